"""Check that every released model's cross-validation score comes back from its recorded command.

Usage::

    python -m baselines.reproduce [--models models] [--tasks TASK ...]

Each released model's manifest records the command that retrains its baseline's cv folds
(``training.cv_command``, a ``python -m baselines.run_all`` command line). Its options are read
with the main job's own parser, the cv runs they name are planned as the main job plans them
(:func:`baselines.run_all.plan`), their folds are run one job each and joined in fold order as
``Job.run`` joins them, and their out-of-fold submission is written to a temporary folder and
scored by the migbench scorer. A model reproduces when that submission
equals the committed one byte for byte and its score equals the score its manifest records.
The folds of all models are retrained in parallel, as many at once as the main job's
fine-tuning runs, those of the baselines that fine-tune an encoder first (they take longest); one
line per model is printed, in task order, and the exit code is 1 when any does not reproduce.
The committed predictions and results are not touched.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

import migbench
from baselines.data import TASKS
from baselines.paths import EVERY_UNIT, PREDICTIONS
from baselines.provenance import ProvenanceError
from baselines.registry import BASELINES
from baselines.release import MODELS
from baselines.run_all import Job, arguments, fine_tuning_processes, loader, plan, record_stage
from baselines.score import gold_of
from migbench.errors import MigbenchError
from migbench.models import artifact

log = logging.getLogger("baselines")

PROTOCOL = "cv"
#: What a model's recorded command can run into, reported for that model alone.
_REPORTED = (ValueError, KeyError, MigbenchError, ProvenanceError)
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


def cv_job(manifest: dict[str, Any]) -> Job:
    """Return the cv run that a manifest's recorded command names.

    Raises:
        ValueError: The command is not one (see :func:`cv_options`).
    """
    options = cv_options(manifest["training"]["cv_command"])
    chosen = [BASELINES[name] for name in options.baselines]
    jobs = plan(chosen, options.tasks, [PROTOCOL], load=loader(options, None), requested=True)
    [job] = [job for job in jobs if job.baseline.name == manifest["baseline"]]
    return job


def plan_models(
    manifests: Sequence[dict[str, Any]],
) -> tuple[list[tuple[dict[str, Any], Job]], list[dict[str, Any]]]:
    """Return each manifest with its cv run, and what kept the others' commands from running."""
    planned, errors = [], []
    for manifest in manifests:
        try:
            planned.append((manifest, cv_job(manifest)))
        except _REPORTED as exc:
            errors.append({"model": manifest["name"], "error": str(exc) or repr(exc)})
    return planned, errors


def folds(job: Job) -> list[Job]:
    """Return one run per fold of a cv run; their predictions, joined in order, are its own.

    A fold may then run in a process that has not embedded the earlier folds' texts: the frozen
    encoder's embeddings must not depend on what else is in their batch (the main job's
    processes already rely on it, and reproduction checks it byte for byte).
    """
    return [replace(job, experiments=(experiment,)) for experiment in job.experiments]


def join(runs: Sequence[tuple[dict[str, list[Any]], float]]) -> tuple[dict[str, list[Any]], float]:
    """Join the predictions of a run's folds, in fold order, and add up their seconds."""
    predictions: dict[str, list[Any]] = {}
    for found, _ in runs:
        for split, values in found.items():
            predictions.setdefault(split, []).extend(values)
    return predictions, sum(seconds for _, seconds in runs)


def compare(
    manifest: dict[str, Any], job: Job, predictions: dict[str, list[Any]], scratch: Path
) -> dict[str, Any]:
    """Write and score a retrained cv submission; return what matched the committed one."""
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
    }


def retrain(jobs: Sequence[Job]) -> list[list[tuple[dict[str, list[Any]], float] | str]]:
    """Run the folds of every job in one pool; return each job's fold runs in fold order.

    A fold that cannot run gives what kept it from running instead.
    """
    runs = [(number, fold) for number, job in enumerate(jobs) for fold in folds(job)]
    # The encoders' fine-tuning first, so that the short folds fill the other process at the end.
    order = sorted(range(len(runs)), key=lambda index: runs[index][1].baseline.parallel)
    pool = Parallel(n_jobs=max(1, min(len(runs), fine_tuning_processes())))
    done = pool(delayed(_run_or_say)(runs[index][1]) for index in order)
    by_job: list[list[tuple[dict[str, list[Any]], float] | str]] = [[] for _ in jobs]
    for index, found in sorted(zip(order, done, strict=True)):
        by_job[runs[index][0]].append(found)
    return by_job


def _run_or_say(job: Job) -> tuple[dict[str, list[Any]], float] | str:
    """Return a fold's run, or what kept it from running."""
    try:
        return job.run()
    except _REPORTED as exc:
        return str(exc) or repr(exc)


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
    planned, results = plan_models(ready)
    by_model = retrain([job for _, job in planned])
    with tempfile.TemporaryDirectory(prefix="migbench-reproduce-") as scratch:
        for (manifest, job), found in zip(planned, by_model, strict=True):
            problems = [problem for problem in found if isinstance(problem, str)]
            if problems:
                results.append({"model": manifest["name"], "error": problems[0]})
                continue
            predictions, seconds = join(found)
            try:
                results.append(
                    {**compare(manifest, job, predictions, Path(scratch)), "seconds": seconds}
                )
            except _REPORTED as exc:
                results.append({"model": manifest["name"], "error": str(exc) or repr(exc)})
    order = [manifest["name"] for manifest in ready]
    for found in sorted(results, key=lambda found: order.index(found["model"])):
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
