"""Options shared by the commands: bounded numbers, and the choice of the gold."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from migbench.protocols import DEFAULT_PROTOCOL, DEFAULT_SPLIT, PROTOCOLS
from migbench.schema import EVALUATION_SPLITS
from migbench.scoring.gold import Gold
from migbench.scoring.tasks import ENTITY_TYPE_SETS, TAGSETS, TASKS, entity_types_of, get_task


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
    # No defaults here: Gold tells "--split test" from no --split, and refuses it next to --gold.
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help=f"cv: full-corpus cross-validation, out-of-fold predictions for every unit (the "
        f"headline protocol: report results under it); {DEFAULT_PROTOCOL}: the fixed split (the "
        "quick default); genre: genre transfer",
    )
    parser.add_argument(
        "--split",
        choices=EVALUATION_SPLITS,
        help=f"split and genre: gold split (default {DEFAULT_SPLIT})",
    )
    parser.add_argument(
        "--dataset",
        help="dataset folder or Hub id (default: $MIGBENCH_DATASET, else the checkout's)",
    )
    parser.add_argument(
        "--gold", type=Path, help="gold JSONL file instead of a protocol of the dataset"
    )
    parser.add_argument(
        "--entity-types",
        choices=ENTITY_TYPE_SETS,
        help="ner only: the entity types scored, the schema's nine (migbench, the default) or "
        "CoNLL-2003's four (conll)",
    )
    parser.add_argument(
        "--tagset", choices=TAGSETS, help="deprecated: use --entity-types (iob2 is migbench)"
    )
    parser.add_argument("--allow-missing", action="store_true", help="score missing units as wrong")


def gold_of(args: argparse.Namespace) -> Gold:
    """Return the gold that :func:`add_gold_arguments`' options name.

    Raises:
        ValueError: The options contradict each other, as :class:`Gold` checks them.
    """
    return Gold(protocol=args.protocol, split=args.split, dataset=args.dataset, file=args.gold)


def gold_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the keyword arguments of :func:`migbench.score` set by :func:`add_gold_arguments`."""
    return {
        "gold": gold_of(args),
        "entity_types": args.entity_types,
        "allow_missing": args.allow_missing,
    }


def gold_usage_problem(args: argparse.Namespace) -> str | None:
    """Say what is wrong with the gold options together, or None.

    The deprecated ``--tagset`` is turned into ``--entity-types`` here, with a warning.
    """
    try:
        gold_of(args)
        task = get_task(args.task)
        if args.tagset is not None:
            print(
                "migbench: warning: --tagset is deprecated; use --entity-types (iob2 is migbench)",
                file=sys.stderr,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # said above, in CLI terms
                args.entity_types = entity_types_of(task, args.entity_types, tagset=args.tagset)
            args.tagset = None
        else:
            entity_types_of(task, args.entity_types)
    except ValueError as exc:
        return str(exc)
    return None


def gold_inputs(args: argparse.Namespace) -> list[Path]:
    """Return the files the gold options read, which no output may replace."""
    return gold_of(args).files()


def gold_description(result: dict[str, Any]) -> str:
    """Say, for a text report, which gold a result was scored against."""
    if result["protocol"]:
        scope = f"{result['split']} split" if result["split"] else "every unit"
        return f"{result['protocol']} protocol, {scope}"
    return result["gold_file"] or "gold rows"
