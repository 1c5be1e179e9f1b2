"""Corpus commands: ``ingest``, ``units``, ``ls-tasks``."""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from pathlib import Path

from migbench.corpus.ingest import ingest
from migbench.corpus.seeds import PROVENANCE_FIELDS, UNKNOWN
from migbench.corpus.units import load_units
from migbench.fileio import ANNOTATIONS, guarded_folder, write_files
from migbench.labelstudio import config as labelstudio_config
from migbench.schema import GENRES

log = logging.getLogger("migbench")

DEFAULT_SEEDS = Path("seeds")
DEFAULT_LS_DIR = Path("annotations/labelstudio")
CONFIG_NAME = "config.xml"
TASKS_NAME = "tasks.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the corpus subcommands."""
    parser = subparsers.add_parser(
        "ingest", help="add a source document to seeds/ and the manifest"
    )
    parser.add_argument("file", type=Path, help="UTF-8 text file of the document")
    parser.add_argument("--doc-id", required=True, help="short readable slug, e.g. 'rubio-meeting'")
    parser.add_argument("--genre", required=True, choices=GENRES)
    for field in PROVENANCE_FIELDS:
        parser.add_argument(
            f"--{field}", default=UNKNOWN, help=f"as the text states it (default {UNKNOWN})"
        )
    parser.add_argument(
        "--evidence",
        action="append",
        default=[],
        type=_evidence_pair,
        metavar="FIELD=QUOTE",
        help="the words of the text that state a provenance field, verbatim (repeatable)",
    )
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder")
    parser.set_defaults(func=_ingest, extra="corpus")

    parser = subparsers.add_parser("units", help="verify the seeds and print their units as JSONL")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder")
    parser.add_argument("--doc", action="append", help="only this doc id (repeatable)")
    parser.set_defaults(func=_units, extra="corpus")

    parser = subparsers.add_parser(
        "ls-tasks", help="write the Label Studio labeling config and the task import file"
    )
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_LS_DIR, help="output folder")
    parser.set_defaults(func=_ls_tasks, extra="corpus")


def _evidence_pair(text: str) -> tuple[str, str]:
    name, sep, quote = text.partition("=")
    if not sep or name not in PROVENANCE_FIELDS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected FIELD=QUOTE with FIELD one of {', '.join(PROVENANCE_FIELDS)}"
        )
    return name, quote


def _ingest(args: argparse.Namespace) -> int:
    entry = ingest(
        args.file,
        args.seeds,
        doc_id=args.doc_id,
        genre=args.genre,
        outlet=args.outlet,
        author=args.author,
        date=args.date,
        title=args.title,
        location=args.location,
        url=args.url,
        evidence=dict(args.evidence),
    )
    log.info("ingested %s as %s (sha256 %s)", entry.file, entry.doc_id, entry.sha256)
    return 0


def _units(args: argparse.Namespace) -> int:
    _, units = load_units(args.seeds, args.doc)
    for unit in units:
        print(json.dumps(asdict(unit), ensure_ascii=False))
    return 0


def _ls_tasks(args: argparse.Namespace) -> int:
    documents, units = load_units(args.seeds)
    tasks = labelstudio_config.import_tasks(units)
    outputs = {
        args.out / CONFIG_NAME: labelstudio_config.labeling_config(),
        args.out / TASKS_NAME: json.dumps(tasks, indent=1, ensure_ascii=False) + "\n",
    }
    # Its own files in the annotations folder are replaced; files elsewhere are not its own.
    guard = guarded_folder(args.out / TASKS_NAME)
    owned = guard is not None and guard[1] == ANNOTATIONS
    write_files(outputs, inputs=[args.seeds], owns=ANNOTATIONS, replace=owned)
    log.info(
        "%d documents, %d units → %s, %s",
        len(documents),
        len(units),
        args.out / CONFIG_NAME,
        args.out / TASKS_NAME,
    )
    return 0
