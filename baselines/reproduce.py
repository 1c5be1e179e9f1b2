"""Check that every released model's cross-validation score comes back from its recorded command.

Usage::

    python -m baselines.reproduce [--models models] [--tasks TASK ...]

Each released model's manifest records the command that retrains its baseline's cv folds
(``training.cv_command``, a ``python -m baselines.run_all`` command line). Its options are read
with the main job's own parser, the cv runs they name are planned and trained as the main job
trains them (:func:`baselines.run_all.plan`), and their out-of-fold submission is written to a
temporary folder and scored by the migbench scorer. A model reproduces when that submission
equals the committed one byte for byte and its score equals the score its manifest records.
The models are retrained in parallel, as many at once as the main job's fine-tuning runs; one
line per model is printed, and the exit code is 1 when any does not reproduce. The committed
predictions and results are not touched.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

import migbench
from baselines.data import TASKS
from baselines.paths import EVERY_UNIT, PREDICTIONS
from baselines.registry import BASELINES
from baselines.release import MODELS
from baselines.run_all import arguments, fine_tuning_processes, loader, plan, record_stage
from baselines.score import gold_of
from migbench.errors import MigbenchError
from migbench.models import artifact

log = logging.getLogger("baselines")

PROTOCOL = "cv"
COMMAND = ("python", "-m", "baselines.run_all")


def cv_options(command: str) -> argparse.Namespace:
    """Return the main job's options of a recorded cv command.

    Raises:
        ValueError: The command is not a main-job run of the cv protocol.
    """
    words = shlex.split(command)
    if tuple(words[: len(COMMAND)]) != COMMAND:
        raise ValueError(f"{command!r} is not a `{' '.join(COMMAND)}` command")
    try:
        options = arguments().parse_args(words[len(COMMAND) :])
    except SystemExit:  # argparse has printed what it could not read
        raise ValueError(f"{command!r} has options the main job does not take") from None
    if options.protocols != [PROTOCOL] or not options.baselines or len(options.tasks) != 1:
        raise ValueError(f"{command!r} does not name one task's {PROTOCOL} runs of a baseline")
    return options


def reproduce(manifest: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Retrain the cv folds a manifest's command names; return what matched."""
    options = cv_options(manifest["training"]["cv_command"])
    chosen = [BASELINES[name] for name in options.baselines]
    jobs = plan(chosen, options.tasks, [PROTOCOL], load=loader(options, None))
    [job] = [job for job in jobs if job.baseline.name == manifest["baseline"]]
    predictions, seconds = job.run()
    job.write(predictions, scratch)
    retrained, committed = job.path(EVERY_UNIT, scratch), job.path(EVERY_UNIT, PREDICTIONS)
    result = migbench.Scorer(job.task, gold_of(job.name(EVERY_UNIT))).score(retrained)
    recorded = manifest["scores"][PROTOCOL]["score"]["value"]
    return {
        "model": manifest["name"],
        "baseline": job.baseline.name,
        "recorded": recorded,
        "retrained": result["main_score"],
        "same_predictions": committed.is_file()
        and retrained.read_bytes() == committed.read_bytes(),
        "seconds": seconds,
    }


def _reproduce_or_say(manifest: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Return :func:`reproduce`'s result, or what kept the recorded command from running."""
    try:
        return reproduce(manifest, scratch)
    except (ValueError, KeyError, MigbenchError) as exc:
        return {"model": manifest["name"], "error": str(exc) or repr(exc)}


def main(argv: Sequence[str] | None = None) -> int:
    """Retrain and compare every released model's cv runs; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m baselines.reproduce", description=__doc__)
    parser.add_argument("--models", type=Path, default=MODELS, help="folder of the models")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=TASKS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    failed = 0
    started = time.perf_counter()
    ready = []
    for task in args.tasks:
        try:
            manifest = artifact.read(args.models / f"migbench-{task}").manifest
        except artifact.ModelError as exc:
            failed += 1
            print(f"{task}: {exc} (build it with python -m baselines.release)", flush=True)
            continue
        if not (manifest.get("scores") or {}).get(PROTOCOL):
            failed += 1
            print(f"{manifest['name']}: no recorded {PROTOCOL} score to compare", flush=True)
            continue
        ready.append(manifest)
    with tempfile.TemporaryDirectory(prefix="migbench-reproduce-") as scratch:
        # As many at once as fine-tuning runs: each writes its own files under the scratch folder.
        pool = Parallel(n_jobs=max(1, min(len(ready), fine_tuning_processes())))
        results = pool(delayed(_reproduce_or_say)(manifest, Path(scratch)) for manifest in ready)
    for found in results:
        if "error" in found:
            failed += 1
            print(f"{found['model']}: cannot retrain: {found['error']}", flush=True)
            continue
        same = found["same_predictions"] and found["retrained"] == found["recorded"]
        failed += not same
        print(
            f"{found['model']:<16} {found['baseline']:<13} cv recorded "
            f"{found['recorded']:.6f} retrained {found['retrained']:.6f}, predictions "
            f"{'identical' if found['same_predictions'] else 'DIFFERENT'} "
            f"({found['seconds']:.0f} s): {'reproduced' if same else 'NOT REPRODUCED'}",
            flush=True,
        )
    if not failed and set(args.tasks) == set(TASKS) and args.models.resolve() == MODELS.resolve():
        record_stage("reproduce models", time.perf_counter() - started)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
