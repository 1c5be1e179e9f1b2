"""Annotation commands: ``validate-annotations`` and ``agreement``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from migbench.annotation.store import (
    AGREEMENT_NAME,
    DEFAULT_ANNOTATIONS,
    check_annotators,
    read_annotators,
)
from migbench.cli.corpus import DEFAULT_SEEDS
from migbench.corpus.units import load_units
from migbench.fileio import ANNOTATIONS, write_files
from migbench.labelstudio.export import load_annotated_units

log = logging.getLogger("migbench")

AGREEMENT_TABLES = "AGREEMENT.md"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the annotation subcommands."""
    parser = subparsers.add_parser(
        "validate-annotations", help="check the committed Label Studio exports against the units"
    )
    _add_paths(parser)
    parser.set_defaults(func=_validate, extra="annotation")

    parser = subparsers.add_parser(
        "agreement",
        help="agreement between the passes → annotations/agreement.json and AGREEMENT.md",
    )
    _add_paths(parser)
    parser.add_argument(
        "--list", action="store_true", help="print the disagreements as JSONL instead of writing"
    )
    parser.set_defaults(func=_agreement, extra="annotation")


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder")
    parser.add_argument(
        "--annotations", type=Path, default=DEFAULT_ANNOTATIONS, help="annotations folder"
    )


def _validate(args: argparse.Namespace) -> int:
    _, units = load_units(args.seeds)
    tasks = load_annotated_units(args.annotations, units)
    annotations = sum(len(task.annotations) for task in tasks.values())
    log.info(
        "valid: %d units, each with one gold annotation; %d annotations", len(tasks), annotations
    )
    return 0


def _agreement(args: argparse.Namespace) -> int:
    # seqeval, sklearn and krippendorff load slowly; only this command needs them.
    from migbench.annotation.agreement import agreement_markdown, agreement_report, disagreements

    _, units = load_units(args.seeds)
    tasks = load_annotated_units(args.annotations, units)
    annotators = read_annotators(args.annotations)
    check_annotators(tasks, annotators)
    if args.list:
        for row in disagreements(tasks, annotators):
            print(json.dumps(row, ensure_ascii=False))
        return 0
    report = agreement_report(tasks, annotators)
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    outputs = {
        args.annotations / AGREEMENT_NAME: text,
        args.annotations / AGREEMENT_TABLES: agreement_markdown(report),
    }
    write_files(outputs, inputs=[args.seeds], owns=ANNOTATIONS)
    print(text, end="")
    return 0
