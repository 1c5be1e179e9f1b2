"""Statistics commands: ``migbench compare`` (paired tests) and ``migbench power`` (power analysis).

Both read submissions and the gold as ``migbench score`` does and print JSON (or a table with
``--format text``). Exit codes: 0 ok, 1 invalid submission or gold, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
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
from migbench.scoring.api import compare, power
from migbench.scoring.evaluation import MAX_SEED
from migbench.scoring.power import (
    ALPHA,
    CHURN,
    MAX_POWER_TRIALS,
    MAX_SIMULATIONS,
    N_SIMULATIONS,
    N_TRIALS,
    POWER,
)
from migbench.scoring.resampling import RESAMPLING_UNITS
from migbench.scoring.scorer import DEFAULT_SEED
from migbench.scoring.significance import DEFAULT_TRIALS, MAX_ADAPTIVE_TRIALS, MAX_TRIALS

log = logging.getLogger("migbench")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` and ``power`` subcommands."""
    help_text = "compare submissions pairwise: paired bootstrap and randomization tests"
    parser = subparsers.add_parser("compare", help=help_text, description=help_text)
    parser.add_argument("submissions", type=Path, nargs="+", help="JSONL files, two or more")
    parser.add_argument(
        "--name",
        action="append",
        dest="names",
        help="name of each submission, in order (default: file name without .jsonl)",
    )
    add_gold_arguments(parser)
    parser.add_argument(
        "--trials",
        type=bounded(MAX_TRIALS, 1),
        default=DEFAULT_TRIALS,
        metavar="N",
        help=f"trials each test starts with (default {DEFAULT_TRIALS:,}, at most {MAX_TRIALS:,})",
    )
    parser.add_argument(
        "--max-trials",
        type=bounded(MAX_TRIALS, 1),
        default=MAX_ADAPTIVE_TRIALS,
        metavar="N",
        help="most trials a test grows to while its decision at --alpha is not stable "
        f"(default {MAX_ADAPTIVE_TRIALS:,}); a decision still unstable is 'undecided'",
    )
    parser.add_argument("--alpha", type=_fraction, default=ALPHA, help=f"default {ALPHA}")
    parser.add_argument("--seed", type=bounded(MAX_SEED), default=DEFAULT_SEED)
    _resampling_argument(parser)
    _output_arguments(parser)
    parser.set_defaults(func=_compare)

    help_text = "minimum difference from a reference submission that a paired test detects"
    parser = subparsers.add_parser("power", help=help_text, description=help_text)
    parser.add_argument("submission", type=Path, help="the reference system's JSONL submission")
    add_gold_arguments(parser)
    parser.add_argument("--alpha", type=_fraction, default=ALPHA, help=f"default {ALPHA}")
    parser.add_argument("--power", type=_fraction, default=POWER, help=f"default {POWER}")
    parser.add_argument(
        "--churn", type=float, default=CHURN, help=f"share of units broken (default {CHURN})"
    )
    parser.add_argument(
        "--simulations",
        type=bounded(MAX_SIMULATIONS, 1),
        default=N_SIMULATIONS,
        metavar="N",
        help=f"simulated systems per effect size (default {N_SIMULATIONS})",
    )
    parser.add_argument(
        "--trials",
        type=bounded(MAX_POWER_TRIALS, 1),
        default=N_TRIALS,
        metavar="N",
        help=f"randomization trials per test (default {N_TRIALS})",
    )
    parser.add_argument("--seed", type=bounded(MAX_SEED), default=DEFAULT_SEED)
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    _resampling_argument(parser)
    _output_arguments(parser)
    parser.set_defaults(func=_power)


def _resampling_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resampling",
        choices=RESAMPLING_UNITS,
        default=RESAMPLING_UNITS[0],
        help="resample or swap whole sections (default, where the gold names them) or units",
    )


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json", "text"), default="json")
    parser.add_argument("--out", type=Path, help="also write the result to this file")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text[:40]!r}")
    return value


def _compare(args: argparse.Namespace) -> int:
    if problem := gold_usage_problem(args):
        return _usage(problem)
    _check_out(args)
    submissions: Any = args.submissions
    if args.names is not None:
        if len(args.names) != len(args.submissions) or len(set(args.names)) != len(args.names):
            return _usage(f"give {len(args.submissions)} different --name, one per submission")
        submissions = dict(zip(args.names, args.submissions, strict=True))
    try:
        result = compare(
            args.task,
            submissions,
            n_trials=args.trials,
            seed=args.seed,
            resampling=args.resampling,
            alpha=args.alpha,
            max_trials=args.max_trials,
            **gold_options(args),
        )
    except ValueError as exc:
        return _usage(str(exc))
    return _emit(args, result, format_comparison)


def _power(args: argparse.Namespace) -> int:
    if problem := gold_usage_problem(args):
        return _usage(problem)
    _check_out(args)
    try:
        result = power(
            args.task,
            args.submission,
            **gold_options(args),
            alpha=args.alpha,
            power=args.power,
            churn=args.churn,
            n_simulations=args.simulations,
            n_trials=args.trials,
            seed=args.seed,
            progress=args.progress,
            resampling=args.resampling,
        )
    except ValueError as exc:
        return _usage(str(exc))
    return _emit(args, {**result, "reference": str(args.submission)}, format_power)


def _usage(message: str) -> int:
    print(f"migbench: error: {message}", file=sys.stderr)
    return 2


def _inputs(args: argparse.Namespace) -> list[Path]:
    submissions = args.submissions if hasattr(args, "submissions") else [args.submission]
    return [*submissions, *gold_inputs(args)]


def _check_out(args: argparse.Namespace) -> None:
    """Refuse ``--out`` before the computation, which may take hours, not after it."""
    if args.out is not None:
        check_output_file(args.out, inputs=_inputs(args))


def _emit(
    args: argparse.Namespace, result: dict[str, Any], text: Callable[[dict[str, Any]], str]
) -> int:
    output = json.dumps(result, indent=2)
    if args.format == "text":  # a --name or a file name may hold terminal escapes
        output = printable(text(result), keep="\n")
    if args.out is not None:
        write_atomic(args.out, output + "\n", inputs=_inputs(args))
        log.info("wrote %s", args.out)
    print(output)
    return 0


def format_comparison(result: dict[str, Any]) -> str:
    """Render a :meth:`~migbench.scoring.scorer.Scorer.compare` result as tables, 4 decimals."""
    gold = gold_description(result)
    lines = [
        f"task    {result['task']} (main metric {result['main_metric']}), {gold}, "
        f"{result['n_units']} units",
        f"tests   paired bootstrap and approximate randomization over "
        f"{result['n_resampled']} {result['resampling_unit']}s, from {result['n_trials']:,} "
        f"trials each, seed {result['seed']}; Holm-adjusted p-values over "
        f"{len(result['pairs'])} pairs, decisions at alpha {result['alpha']}",
        "",
    ]
    width = max(len(system["name"]) for system in result["systems"]) + 2
    lines += [f"{'system':<{width}}{result['main_metric']:>10}"]
    lines += [f"{s['name']:<{width}}{s['main_score']:>10.4f}" for s in result["systems"]]
    lines += [
        "",
        f"{'a':<{width}}{'b':<{width}}{'a - b':>8}{'95% CI':>20}"
        f"{'p boot (se)':>19}{'p rand (se)':>19}{'holm r':>9}  {'decision (trials)'}",
    ]
    for pair in result["pairs"]:
        ci = f"[{pair['ci']['low']:.4f}, {pair['ci']['high']:.4f}]"
        tests = "".join(
            f"{pair[f'p_{test}']:>10.4f} ({pair[f'p_{test}_se']:.4f})"
            for test in ("bootstrap", "randomization")
        )
        lines.append(
            f"{pair['a']:<{width}}{pair['b']:<{width}}{pair['difference']:>8.4f}{ci:>20}"
            f"{tests}{pair['p_randomization_holm']:>9.4f}  {pair['decision_randomization']} "
            f"({pair['n_trials_randomization']:,})"
        )
    for pair in result["pairs"]:
        lines += ["", f"per-label F1, {pair['a']} - {pair['b']}"]
        label_width = max(map(len, pair["per_label"])) + 2
        for label, row in pair["per_label"].items():
            values = (row["f1_a"], row["f1_b"], row["difference"])
            lines.append(
                f"  {label:<{label_width}}"
                + "".join(f"{'n/a' if v is None else f'{v:.4f}':>9}" for v in values)
            )
    return "\n".join(lines)


def format_power(result: dict[str, Any]) -> str:
    """Render a power analysis as its curve and its conclusion, 4 decimals."""
    lines = [
        f"task       {result['task']} (main metric {result['main_metric']}), "
        f"{result['n_units']} units; reference {result['reference_score']:.4f}, "
        f"wrong on {result['n_wrong']}",
        f"design     {result['test']} over {result['resampling_unit']}s, alpha "
        f"{result['alpha']}, power {result['power']}, "
        f"churn {result['n_churn']} units, {result['n_simulations']} simulations of "
        f"{result['n_trials']} trials",
        "",
        f"{'units fixed':>12}{'mean diff':>11}{'power':>8}",
    ]
    lines += [
        f"{row['units']:>12}{row['mean_difference']:>11.4f}{row['power']:>8.3f}"
        for row in result["curve"]
    ]
    found = result["minimum_detectable_difference"]
    lines.append("")
    if result["largest_units"] is None:
        lines.append("the reference has no wrong unit to fix")
    elif found is None:
        lines.append(
            "no improvement within reach of the reference reaches the power sought; the largest "
            f"simulated, {result['largest_units']} units net ({result['largest_difference']:+.4f}),"
            f" has power {result['largest_power']:.3f}"
        )
    else:
        lines.append(
            f"minimum detectable difference {found:.4f} "
            f"({result['minimum_detectable_units']} units fixed net)"
        )
    return "\n".join(lines)
