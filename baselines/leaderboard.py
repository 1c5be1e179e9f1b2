"""Enter the baselines into the leaderboard the way a user enters a system, and build the site.

Usage::

    python -m baselines.leaderboard [--store leaderboard/results] [--site leaderboard/site]
                                    [--screenshot leaderboard/screenshot.png]

For each baseline, a submission folder is assembled in a temporary directory from its committed
predictions under ``baselines/predictions/`` (seed 0 where a baseline runs several seeds; the
test split under ``split`` and ``genre``, the out-of-fold file under ``cv``) and a system card
made from its record in :mod:`baselines.registry`; ``migbench submit`` enters it into the store.
Then ``migbench leaderboard`` builds the site, and a headless Chromium takes the screenshot README
shows.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from baselines.paths import PREDICTIONS, REPO, PredictionName, prediction_path
from baselines.registry import BASELINES
from migbench.fileio import MARKER_NAME, output_dir
from migbench.leaderboard.card import CARD_NAME
from migbench.leaderboard.store import PROTOCOL_SPLITS, file_name, submit

log = logging.getLogger("baselines")

STORE = REPO / "leaderboard" / "results"
SITE = REPO / "leaderboard" / "site"
SCREENSHOT = REPO / "leaderboard" / "screenshot.png"
#: Baselines that run several seeds: the seed whose files are submitted.
SUBMITTED_SEED = 0


def card(name: str, protocols: Sequence[str]) -> dict[str, Any]:
    """Return the system card of baseline ``name``, from its registry record."""
    baseline = BASELINES[name]
    pinned = ", ".join(f"{model} (pinned in baselines/models.json)" for model in baseline.models)
    return {
        "name": name,
        "authors": ["migbench maintainers"],
        "description": f"A migbench baseline: {baseline.description}. After {baseline.citation}.",
        "url": None,
        "model": pinned or "none",
        "training_data": "none beyond each protocol's training units",
        "language_model": False,
        # A pretrained model may have read the sources; a model trained from scratch has not.
        "pretraining_exposure": "unknown" if baseline.models else "no",
        "protocols": list(protocols),
        "seeds": [SUBMITTED_SEED],
        "date": "unknown",
        "licence": "Apache-2.0",
    }


def submission_folder(name: str, folder: Path, predictions: Path = PREDICTIONS) -> Path | None:
    """Assemble baseline ``name``'s submission folder from its committed predictions.

    Returns:
        The folder, or None when the baseline has no committed predictions.
    """
    baseline = BASELINES[name]
    seed = SUBMITTED_SEED if baseline.seeds else None
    files = {}
    for protocol, split in PROTOCOL_SPLITS.items():
        for task in baseline.tasks:
            source = prediction_path(predictions, PredictionName(protocol, name, task, split, seed))
            if source.is_file():
                files[file_name(task, protocol)] = source
    if not files:
        return None
    folder.mkdir(parents=True, exist_ok=False)
    for target, source in files.items():
        shutil.copyfile(source, folder / target)
    protocols = [p for p in PROTOCOL_SPLITS if any(t.endswith(f".{p}.jsonl") for t in files)]
    (folder / CARD_NAME).write_text(json.dumps(card(name, protocols), indent=2) + "\n")
    return folder


def enter_baselines(store: Path = STORE, predictions: Path = PREDICTIONS) -> list[str]:
    """Submit every baseline with committed predictions into ``store``; return their names.

    The baselines are submitted in registry order into an empty store first, so that each
    record holds the tests against the baselines before it whatever ``store`` held; then each
    baseline's folder replaces its namesake in ``store``, and other systems there stay.
    """
    entered = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "store"
        for name in BASELINES:
            folder = submission_folder(name, Path(tmp) / "submissions" / name, predictions)
            if folder is not None:
                submit(folder, fresh)
                entered.append(name)
                log.info("entered %s", name)
        for name in entered:
            with output_dir(store / name, inputs=[fresh]) as staging:
                for path in sorted((fresh / name).iterdir()):
                    if path.name != MARKER_NAME:
                        shutil.copyfile(path, staging / path.name)
    return entered


def main(argv: Sequence[str] | None = None) -> int:
    """Enter the baselines, build the site, take the screenshot."""
    parser = argparse.ArgumentParser(prog="python -m baselines.leaderboard", description=__doc__)
    parser.add_argument("--store", type=Path, default=STORE)
    parser.add_argument("--site", type=Path, default=SITE)
    parser.add_argument("--screenshot", type=Path, default=SCREENSHOT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    from migbench.leaderboard.browser import screenshot
    from migbench.leaderboard.site import build_site

    enter_baselines(args.store)
    build_site(args.store, args.site)
    screenshot(args.site / "index.html", args.screenshot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
