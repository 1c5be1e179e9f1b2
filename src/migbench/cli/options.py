"""Options shared by the commands: bounded numbers, and the choice of the gold."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from migbench.schema import EVALUATION_SPLITS
from migbench.scoring.gold import PROTOCOLS, protocol_files
from migbench.scoring.tasks import TAGSETS, TASKS, check_options, get_task


def bounded(maximum: int, minimum: int = 0) -> Callable[[str], int]:
    """Return an argparse type that accepts an integer from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            shown = text if len(text) <= 20 else text[:17] + "..."
            raise argparse.ArgumentTypeError(
                f"expected an integer from {minimum} to {maximum}, got {shown!r}"
            )
        return value

    return parse


def add_gold_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--task`` and the options that choose the gold: a protocol of the dataset or a file."""
    parser.add_argument("--task", required=True, choices=TASKS)
    # No defaults here: argparse could not tell "--split test" from no --split next to --gold.
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help="split: the fixed split (default); genre: genre transfer; cv: full-corpus "
        "cross-validation, out-of-fold predictions for every unit",
    )
    parser.add_argument(
        "--split", choices=EVALUATION_SPLITS, help="split and genre: gold split (default test)"
    )
    parser.add_argument(
        "--dataset",
        help="dataset folder or Hub id (default: $MIGBENCH_DATASET, else the checkout's)",
    )
    parser.add_argument(
        "--gold", type=Path, help="gold JSONL file instead of a protocol of the dataset"
    )
    parser.add_argument("--tagset", choices=TAGSETS, default="iob2", help="ner: entity types")
    parser.add_argument("--allow-missing", action="store_true", help="score missing units as wrong")


def gold_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the keyword arguments of :func:`migbench.score` set by :func:`add_gold_arguments`."""
    return {
        "protocol": args.protocol or "split",
        "split": args.split or "test",
        "dataset": args.dataset,
        "gold": args.gold,
        "tagset": args.tagset,
        "allow_missing": args.allow_missing,
    }


def gold_usage_problem(args: argparse.Namespace) -> str | None:
    """Say what is wrong with the gold options together, or None."""
    if args.gold is not None and (args.protocol or args.split or args.dataset):
        return "--gold replaces --protocol, --split and --dataset; give one or the other"
    if args.protocol == "cv" and args.split:
        return "--protocol cv scores every unit; --split applies to split and genre only"
    try:
        check_options(get_task(args.task), args.tagset)
    except ValueError as exc:
        return str(exc)
    return None


def gold_inputs(args: argparse.Namespace) -> list[Path]:
    """Return the files the gold options read, which no output may replace."""
    if args.gold is not None:
        return [args.gold]
    protocol, split = args.protocol or "split", args.split or "test"
    return protocol_files(protocol, split=split, dataset=args.dataset)


def gold_description(result: dict[str, Any]) -> str:
    """Say, for a text report, which gold a result was scored against."""
    if result["protocol"]:
        scope = f"{result['split']} split" if result["split"] else "every unit"
        return f"{result['protocol']} protocol, {scope}"
    return result["gold_file"] or "gold rows"
