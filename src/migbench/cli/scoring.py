"""Scoring commands: ``migbench score`` and ``migbench validate``, over :mod:`migbench.scoring.api`.

``score`` prints the result as JSON (or a table with ``--format text``); ``validate`` checks a
submission without scoring it. Exit codes: 0 ok, 1 invalid submission or gold, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from migbench.cli.options import (
    add_gold_arguments,
    bounded,
    gold_description,
    gold_inputs,
    gold_options,
    gold_usage_problem,
)
from migbench.fileio import check_output_file, write_atomic
from migbench.jsonio import printable
from migbench.scoring.api import score, validate
from migbench.scoring.evaluation import MAX_RESAMPLES, MAX_SEED
from migbench.scoring.resampling import RESAMPLING_UNITS
from migbench.scoring.scorer import DEFAULT_RESAMPLES, DEFAULT_SEED

log = logging.getLogger("migbench")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` and ``validate`` subcommands."""
    for name, help_text in (
        ("score", "score a submission: JSON result on stdout"),
        ("validate", "check a submission without scoring it"),
    ):
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("submission", type=Path, help="JSONL file, one object per unit id")
        add_gold_arguments(parser)
        if name == "score":
            parser.add_argument("--format", choices=("json", "text"), default="json")
            parser.add_argument("--out", type=Path, help="also write the result to this file")
            parser.add_argument(
                "--bootstrap",
                type=bounded(MAX_RESAMPLES),
                default=DEFAULT_RESAMPLES,
                metavar="N",
                help=f"bootstrap resamples, at most {MAX_RESAMPLES} "
                f"(default {DEFAULT_RESAMPLES}; 0: no interval)",
            )
            parser.add_argument(
                "--seed", type=bounded(MAX_SEED), default=DEFAULT_SEED, help="bootstrap seed"
            )
            parser.add_argument(
                "--resampling",
                choices=RESAMPLING_UNITS,
                default=RESAMPLING_UNITS[0],
                help="the bootstrap draws whole sections (default, where the gold names them) "
                "or units",
            )
        parser.set_defaults(func=_score if name == "score" else _validate)


def _usage_error(args: argparse.Namespace) -> bool:
    problem = gold_usage_problem(args)
    if problem:
        print(f"migbench: error: {problem}", file=sys.stderr)
    return problem is not None


def _score(args: argparse.Namespace) -> int:
    if _usage_error(args):
        return 2
    inputs = [args.submission, *gold_inputs(args)]
    if args.out is not None:
        check_output_file(args.out, inputs=inputs)  # before scoring, not after
    result = score(
        args.task,
        args.submission,
        n_resamples=args.bootstrap,
        seed=args.seed,
        resampling=args.resampling,
        **gold_options(args),
    )
    output = format_text(result) if args.format == "text" else json.dumps(result, indent=2)
    if args.out is not None:
        write_atomic(args.out, output + "\n", inputs=inputs)
        log.info("wrote %s", args.out)
    print(output)
    return 0


def _validate(args: argparse.Namespace) -> int:
    if _usage_error(args):
        return 2
    summary = validate(args.task, args.submission, **gold_options(args))
    print(json.dumps(summary, indent=2))
    log.info("%s: a valid %s submission", args.submission, args.task)
    return 0


def format_text(result: dict[str, Any]) -> str:
    """Render a :func:`score` result as a small table, scores rounded to 4 decimals."""
    gold = gold_description(result)
    lines = [
        f"task      {result['task']} (main metric {result['main_metric']})",
        f"gold      {gold}; dataset {result['dataset_version'] or 'unknown'}, "
        f"scorer {result['scorer_version']}",
        f"signature {result['signature']}",
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
                f"  95% CI [{ci['low']:.4f}, {ci['high']:.4f}], {ci['n_resamples']} resamples "
                f"of {ci['n_resampled']} {ci['resampling_unit']}s"
            )
    if "folds" in result:
        folds = result["folds"]
        each = ", ".join(_number(row["main_score"]) for row in folds["per_fold"].values())
        lines.append(f"{'per fold':<22}{folds['mean']:.4f} ± {folds['sd']:.4f} ({each})")
    for document, row in result.get("per_document", {}).items():
        parts = [
            f"{label} {_number(part['f1'])} ({part['support']} gold)"
            for label, part in row.get("components", {}).items()
        ]
        detail = f"; F1 {', '.join(parts)}" if parts else ""
        lines.append(
            f"{printable(document):<22}{_number(row['main_score'])} "
            f"({row['n_units']} units{detail})"
        )
    width = max(map(len, metrics["per_label"])) + 2
    lines += ["", f"{'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for label, row in metrics["per_label"].items():
        scores = "".join(f"{_number(row[key]):>10}" for key in ("precision", "recall", "f1"))
        lines.append(f"{label:<{width}}{scores}{row['support']:>10}")
    if "confusion_matrix" in metrics:
        matrix = metrics["confusion_matrix"]
        lines += ["", "confusion matrix (rows gold, columns predicted, in label order)"]
        lines += [" ".join(f"{count:>6}" for count in row) for row in matrix["matrix"]]
    return printable("\n".join(lines), keep="\n")  # a doc id or file name may hold escapes


def _number(value: float | None) -> str:
    """Format a score to 4 decimals, or ``n/a`` where it is undefined."""
    return "n/a" if value is None else f"{value:.4f}"
