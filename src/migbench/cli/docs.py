"""``migbench docs``: regenerate the generated blocks of the documents, and NOTICE."""

from __future__ import annotations

import argparse
import logging
from functools import partial
from pathlib import Path

from migbench import docs, jsonio, licensing
from migbench.annotation.store import read_annotators
from migbench.citation import bibtex
from migbench.fileio import write_files
from migbench.protocols import HEADLINE_HEADING

log = logging.getLogger("migbench")

DOCUMENTS = (Path("README.md"), Path("DATASHEET.md"), Path("docs") / "SCALING.md")
#: Files written whole from the package.
WHOLE_FILES = {Path("NOTICE"): licensing.notice}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the docs subcommand."""
    parser = subparsers.add_parser(
        "docs", help="rewrite the generated numbers in README.md, DATASHEET.md and docs/SCALING.md"
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument("--check", action="store_true", help="fail if a document is stale")
    parser.set_defaults(func=_docs, extra="dataset")


def _load(path: Path) -> dict:
    return jsonio.read_json(path)


def _read(path: Path) -> str:
    return jsonio.read_text(path)


def blocks(root: Path) -> dict:
    """Return the generators of every block, reading the committed files lazily."""
    stats = partial(_load, root / "dataset" / "stats.json")
    agreement = partial(_load, root / "annotations" / "agreement.json")
    return {
        "corpus": lambda: docs.corpus_block(stats()),
        "layers": docs.layers_block,
        "install": lambda: docs.install_block(_read(root / "Makefile")),
        "labels": lambda: docs.labels_block(stats()),
        "agreement": lambda: docs.agreement_block(agreement()),
        "sample": lambda: docs.sample_block(agreement()),
        "annotators": lambda: docs.annotators_block(read_annotators(root / "annotations")),
        "citation": lambda: f"```bibtex\n{bibtex()}\n```",
        "licensing": licensing.markdown,
        "results": lambda: docs.first_table(
            docs.section(
                _read(root / "baselines" / "RESULTS.md"),
                HEADLINE_HEADING,
            )
        ),
        "stance": lambda: docs.section(
            _read(root / "baselines" / "RESULTS.md"), "What the stance score rests on", level=3
        ),
        "power": lambda: docs.power_block(root / "baselines" / "significance"),
        "leaderboard-benchmark": lambda: docs.leaderboard_benchmark_block(
            _read(root / "benchmarks" / "bench_leaderboard.txt")
        ),
        "predict-benchmark": lambda: docs.predict_benchmark_block(
            _read(root / "benchmarks" / "bench_predict.txt")
        ),
        "performance": lambda: docs.performance_block(
            _read(root / "benchmarks" / "bench_scorer.txt"),
            _read(root / "benchmarks" / "bench_compare.txt"),
            _load(root / "baselines" / "timings.json"),
        ),
    }


def _docs(args: argparse.Namespace) -> int:
    generators = blocks(args.root)
    changed = {}
    for name in DOCUMENTS:
        path = args.root / name
        text = _read(path)
        rendered = docs.render(text, generators, source=str(path))
        if rendered != text:
            changed[path] = rendered
    for name, write in WHOLE_FILES.items():
        path = args.root / name
        text = write()
        if not path.is_file() or _read(path) != text:
            changed[path] = text
    stale = [str(path) for path in changed]
    if not args.check:
        write_files(changed)  # every document rendered before any is replaced
    if args.check and stale:
        log.error("stale generated blocks in %s; run `migbench docs`", ", ".join(stale))
        return 1
    log.info("%s", "updated " + ", ".join(stale) if stale else "generated blocks are up to date")
    return 0
