"""Leaderboard commands: ``migbench submit DIR`` and ``migbench leaderboard``.

``submit`` validates a submission folder (system card and predictions files), scores it and
enters it into the results store; ``leaderboard`` builds the static site from the store.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

log = logging.getLogger("migbench")

#: The store and the site of this checkout, relative to the working directory.
DEFAULT_STORE = Path("leaderboard") / "results"
DEFAULT_SITE = Path("leaderboard") / "site"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``submit`` and ``leaderboard`` subcommands."""
    submit = subparsers.add_parser(
        "submit",
        help="validate, score and enter a submission folder into the results store",
        description="Validate a submission folder (system.json and TASK.PROTOCOL.jsonl files), "
        "score every file and write the system's record into the results store.",
    )
    submit.add_argument("folder", type=Path, help="the submission folder")
    submit.add_argument("--store", type=Path, default=DEFAULT_STORE, help="results store")
    submit.add_argument("--dataset", help="dataset folder or Hub id (default: the checkout's)")
    submit.set_defaults(func=_submit, extra="leaderboard")
    board = subparsers.add_parser(
        "leaderboard",
        help="build the static leaderboard site from the results store",
        description="Build the leaderboard (HTML pages, leaderboard.json, plots) from the store.",
    )
    board.add_argument("--store", type=Path, default=DEFAULT_STORE, help="results store")
    board.add_argument("--out", type=Path, default=DEFAULT_SITE, help="the site's folder")
    board.add_argument("--dataset", help="dataset folder or Hub id (default: the checkout's)")
    board.set_defaults(func=_leaderboard, extra="leaderboard")


def _submit(args: argparse.Namespace) -> int:
    from migbench.leaderboard.store import submit

    record = submit(args.folder, args.store, dataset=args.dataset)
    summary = {
        r["table"]: {"main_score": r["main_score"], "signature": r["signature"]}
        for r in record["results"]
    }
    print(json.dumps({"name": record["name"], "results": summary}, indent=2))
    log.info("entered %s into %s", record["name"], args.store)
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    from migbench.leaderboard.site import build_site

    data = build_site(args.store, args.out, dataset=args.dataset)
    log.info("wrote %s: %d systems, %d tables", args.out, len(data["systems"]), len(data["tables"]))
    return 0
