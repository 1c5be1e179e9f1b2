"""``migbench template``: a blank submission with every unit id the chosen gold scores."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from migbench.cli.options import add_gold_arguments, gold_inputs, gold_of, gold_usage_problem
from migbench.fileio import check_output_file, write_atomic
from migbench.scoring.template import blank_submission

log = logging.getLogger("migbench")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``template`` subcommand."""
    help_text = "write a blank submission: one JSONL line per unit id, the prediction null"
    parser = subparsers.add_parser("template", help=help_text, description=help_text)
    add_gold_arguments(parser)
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.set_defaults(func=_template)


def _template(args: argparse.Namespace) -> int:
    problem = gold_usage_problem(args)
    if problem:
        log.error("%s", problem)
        return 2
    inputs = gold_inputs(args)
    if args.out is not None:
        check_output_file(args.out, inputs=inputs)
    lines = blank_submission(args.task, gold_of(args))
    text = "".join(json.dumps(line) + "\n" for line in lines)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.out, text, inputs=inputs)
        log.info("wrote %s: %d units", args.out, len(lines))
    return 0
