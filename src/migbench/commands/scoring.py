"""Scoring: the Python API (:func:`score`, :func:`validate`) and the commands that wrap it.

``migbench score`` prints the result of :func:`score` as JSON (or a table with
``--format text``); ``migbench validate`` checks a submission without scoring it. Exit codes:
0 ok, 1 invalid submission or gold, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from migbench import __version__
from migbench.errors import MigbenchError
from migbench.fileio import write_atomic
from migbench.gcpause import without_cyclic_gc
from migbench.gold import (
    DEFAULT_DATA_DIR,
    SPLITS,
    GoldUnit,
    gold_from_rows,
    load_gold_file,
    load_split,
)
from migbench.schema import DATASET_VERSION
from migbench.submission import Predictions, parse_submission, read_submission, validate_rows
from migbench.tasks import TAGSETS, TASKS, Task, check_options, get_task

log = logging.getLogger("migbench")

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0

PathLike = str | os.PathLike
Rows = Iterable[Mapping[str, Any]]
Gold = PathLike | Rows | Iterable[GoldUnit]


@without_cyclic_gc
def score(
    task: str,
    predictions: PathLike | Rows,
    *,
    split: str = "test",
    gold: Gold | None = None,
    data_dir: PathLike = DEFAULT_DATA_DIR,
    tagset: str = "iob2",
    allow_missing: bool = False,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Validate a submission and score it against the gold.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        predictions: Path of a JSONL submission, or its lines as dicts.
        split: Split of the packaged dataset that is the gold; unused when ``gold`` is given.
        gold: Instead of the packaged split: the path of a gold JSONL file, gold rows as dicts,
            or gold units from :mod:`migbench.gold`'s loaders (to score many submissions
            against one gold without loading it each time).
        data_dir: Folder of the packaged dataset's parquet files.
        tagset: NER only: ``iob2`` (the schema's nine types) or ``conll`` (CoNLL-2003's four).
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        n_resamples: Bootstrap resamples for the interval of the main score; 0 for none.
        seed: Seed of the bootstrap.

    Returns:
        ``task``, ``main_metric``, ``main_score``, ``metrics``, ``ci`` (95 % interval of the
        main score, None without resamples), ``n_units``, ``n_missing``, ``tagset`` (NER),
        ``split`` and ``gold_file`` (the gold's source), ``dataset_version`` and
        ``scorer_version``. Nothing is rounded.

    Raises:
        ValueError: An unknown task, split or tagset, or a bad option.
        SubmissionError: The submission is invalid; every problem is listed.
        GoldError: The gold is missing or invalid.
    """
    declared, units, checked, source = _prepare(
        task, predictions, split, gold, data_dir, tagset, allow_missing
    )
    # Imported here: sklearn takes seconds to import, and `import migbench` and the other
    # commands should not pay for it.
    from migbench.scoring import evaluate

    gold_labels = [
        getattr(unit, "ner_tags" if declared.is_sequence else declared.name) for unit in units
    ]
    scored = evaluate(
        declared, gold_labels, checked.values, tagset=tagset, n_resamples=n_resamples, seed=seed
    )
    return {
        "task": declared.name,
        **scored,
        "n_units": len(units),
        "n_missing": len(checked.missing),
        **({"tagset": tagset} if declared.is_sequence else {}),
        **source,
        "dataset_version": DATASET_VERSION,
        "scorer_version": __version__,
    }


def validate(
    task: str,
    predictions: PathLike | Rows,
    *,
    split: str = "test",
    gold: Gold | None = None,
    data_dir: PathLike = DEFAULT_DATA_DIR,
    tagset: str = "iob2",
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Check a submission without scoring it; arguments as for :func:`score`.

    Returns:
        ``task``, ``valid`` (True), ``n_units``, ``n_predictions``, ``n_missing`` and the
        gold's source (``split``, ``gold_file``).

    Raises:
        ValueError, SubmissionError, GoldError: As :func:`score`.
    """
    declared, units, checked, source = _prepare(
        task, predictions, split, gold, data_dir, tagset, allow_missing
    )
    return {
        "task": declared.name,
        "valid": True,
        "n_units": len(units),
        "n_predictions": len(units) - len(checked.missing),
        "n_missing": len(checked.missing),
        **source,
    }


def _prepare(
    task: str,
    predictions: PathLike | Rows,
    split: str,
    gold: Gold | None,
    data_dir: PathLike,
    tagset: str,
    allow_missing: bool,
) -> tuple[Task, list[GoldUnit], Predictions, dict[str, str | None]]:
    declared = get_task(task)
    check_options(declared, tagset)
    if isinstance(predictions, (bytes, Mapping)) or not isinstance(
        predictions, (str, os.PathLike, Iterable)
    ):
        raise TypeError("predictions must be a path or an iterable of dicts, one per line")
    if gold is None:
        units = load_split(split, data_dir=Path(data_dir))
        source = {"split": split, "gold_file": None}
    elif isinstance(gold, (str, os.PathLike)):
        units = load_gold_file(gold)
        source = {"split": None, "gold_file": str(gold)}
    else:
        rows = list(gold)
        loaded = bool(rows) and all(isinstance(row, GoldUnit) for row in rows)
        units = rows if loaded else gold_from_rows(rows, source="gold rows")
        source = {"split": None, "gold_file": None}
    options = {"tagset": tagset, "allow_missing": allow_missing}
    if isinstance(predictions, (str, os.PathLike)):
        checked = parse_submission(declared, read_submission(predictions), units, **options)
    else:
        checked = validate_rows(declared, predictions, units, **options)
    if checked.missing:
        log.warning(
            "%d of %d gold units have no prediction; scored as wrong",
            len(checked.missing),
            len(units),
        )
    return declared, units, checked, source


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` and ``validate`` subcommands."""
    for name, help_text in (
        ("score", "score a submission: JSON result on stdout"),
        ("validate", "check a submission without scoring it"),
    ):
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("submission", type=Path, help="JSONL file, one object per unit id")
        parser.add_argument("--task", required=True, choices=TASKS)
        source = parser.add_mutually_exclusive_group()
        # No default here: argparse could not tell "--split test" from no --split next to --gold.
        source.add_argument("--split", choices=SPLITS, help="gold split (default test)")
        source.add_argument("--gold", type=Path, help="gold JSONL file instead of a split")
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help=f"folder of the dataset's parquet files (default {DEFAULT_DATA_DIR})",
        )
        parser.add_argument(
            "--tagset", choices=TAGSETS, default="iob2", help="ner: entity types scored"
        )
        parser.add_argument(
            "--allow-missing", action="store_true", help="score missing units as wrong"
        )
        if name == "score":
            parser.add_argument("--format", choices=("json", "text"), default="json")
            parser.add_argument("--out", type=Path, help="also write the result to this file")
            parser.add_argument(
                "--bootstrap",
                type=_non_negative,
                default=DEFAULT_RESAMPLES,
                metavar="N",
                help=f"bootstrap resamples (default {DEFAULT_RESAMPLES}; 0: no interval)",
            )
            parser.add_argument(
                "--seed", type=_non_negative, default=DEFAULT_SEED, help="bootstrap seed"
            )
        parser.set_defaults(func=_score if name == "score" else _validate)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _common(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "split": args.split or "test",
        "gold": args.gold,
        "data_dir": args.data_dir,
        "tagset": args.tagset,
        "allow_missing": args.allow_missing,
    }


def _usage_error(args: argparse.Namespace) -> bool:
    try:
        check_options(get_task(args.task), args.tagset)
    except ValueError as exc:
        print(f"migbench: error: {exc}", file=sys.stderr)
        return True
    return False


def _score(args: argparse.Namespace) -> int:
    if _usage_error(args):
        return 2
    result = score(
        args.task, args.submission, n_resamples=args.bootstrap, seed=args.seed, **_common(args)
    )
    output = format_text(result) if args.format == "text" else json.dumps(result, indent=2)
    if args.out is not None:
        try:
            write_atomic(args.out, output + "\n")
        except OSError as exc:
            raise MigbenchError(f"cannot write {args.out}: {exc.strerror}") from exc
        log.info("wrote %s", args.out)
    print(output)
    return 0


def _validate(args: argparse.Namespace) -> int:
    if _usage_error(args):
        return 2
    summary = validate(args.task, args.submission, **_common(args))
    print(json.dumps(summary, indent=2))
    log.info("%s: a valid %s submission", args.submission, args.task)
    return 0


def format_text(result: dict[str, Any]) -> str:
    """Render a :func:`score` result as a small table, scores rounded to 4 decimals."""
    gold = f"{result['split']} split" if result["split"] else result["gold_file"] or "gold rows"
    lines = [
        f"task      {result['task']} (main metric {result['main_metric']})",
        f"gold      {gold}; dataset {result['dataset_version']}, scorer {result['scorer_version']}",
        f"units     {result['n_units']} ({result['n_missing']} without prediction)",
    ]
    ci = result["ci"]
    metrics = result["metrics"]
    for name, value in metrics.items():
        if not isinstance(value, float):
            continue
        lines.append(f"{name:<22}{value:.4f}")
        if ci and name == result["main_metric"]:
            lines[-1] += (
                f"  95% CI [{ci['low']:.4f}, {ci['high']:.4f}], {ci['n_resamples']} resamples"
            )
    width = max(map(len, metrics["per_label"])) + 2
    lines += ["", f"{'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for label, row in metrics["per_label"].items():
        scores = "".join(f"{row[key]:>10.4f}" for key in ("precision", "recall", "f1"))
        lines.append(f"{label:<{width}}{scores}{row['support']:>10}")
    if "confusion_matrix" in metrics:
        matrix = metrics["confusion_matrix"]
        lines += ["", "confusion matrix (rows gold, columns predicted, in label order)"]
        lines += [" ".join(f"{count:>6}" for count in row) for row in matrix["matrix"]]
    return "\n".join(lines)
