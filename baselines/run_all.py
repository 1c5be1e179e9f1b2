"""The main job: verify the seeds, build the dataset, train every baseline, score, tabulate.

Usage::

    python -m baselines.run_all [--model PATH_OR_HUB_ID] [--spacy-model NAME_OR_PATH]
                                [--baselines NAME ...]
                                [--tasks TASK ...] [--protocols PROTOCOL ...] [--skip-build]

Steps: ``migbench units`` (verifies the seeds against their checksums) and ``migbench build``;
then the packaged pretrained models the chosen baselines load are verified against their pins
(``baselines/models.json``); then every baseline of :mod:`baselines.registry` on every task and
protocol it covers writes its submission files
under ``baselines/predictions/``; the migbench scorer scores them into ``baselines/results/``;
``RESULTS.md`` and the plots are regenerated from the results. The baselines run in parallel
processes, one per core: first those that fine-tune no encoder, then the fine-tuning runs
(``transformer``, ``setfit-sel``) with one torch thread each (on two cores, faster than one run
using both; on a GPU one at a time), then the ensembles, which read the others' submissions. A
full run (no filter) also records its run time in ``baselines/timings.json``. A baseline's
on-request tasks (:attr:`~baselines.registry.Baseline.on_request`) run only when ``--baselines``
names it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed
from tqdm.auto import tqdm

import migbench
from baselines import figures, make_table, pairwise, provenance, score
from baselines.data import PROTOCOL_NAMES, TASKS, Experiment, experiments, write_submission
from baselines.paths import (
    DATASET,
    PREDICTIONS,
    REPO,
    TIMINGS,
    PredictionName,
    parse_name,
    prediction_path,
)
from baselines.registry import BASELINES, Baseline, FitPredict
from baselines.summary import best_baseline, load_results, scores
from migbench.errors import MigbenchError
from migbench.fileio import write_atomic

log = logging.getLogger("baselines")

#: Run-time budgets in seconds, checked by benchmarks/bench_baselines.py.
BUDGETS: dict[str, int] = {
    "feature, embedding and spaCy baselines": 15 * 60,
    "fine-tuning": 45 * 60,
    "main job": 60 * 60,
}
#: Memory set aside for each fine-tuning run on CPU (one transformer run peaked at 1.4 GB resident).
FINE_TUNING_RUN_BYTES = 2 * 2**30
#: The steps of the main job after ``run_all``, each recording its wall time (``record_stage``).
LATER_STAGES: tuple[str, ...] = ("release models", "reproduce models")


@dataclass(frozen=True)
class Job:
    """One run: a baseline on a task with a seed, over its experiments.

    One experiment for the fixed split and genre transfer; for ``cv`` one per fold, whose
    predictions together make the run's one submission for every unit.
    """

    baseline: Baseline
    fit_predict: FitPredict
    task: str
    experiments: tuple[Experiment, ...]
    seed: int | None

    def run(self) -> tuple[dict[str, list[Any]], float]:
        """Train and predict; return the predictions by split and the wall time in seconds."""
        start = time.perf_counter()
        predictions: dict[str, list[Any]] = {}
        for experiment in self.experiments:
            found = self.fit_predict(self.task, experiment, self.seed or 0)
            for split, values in found.items():
                predictions.setdefault(split, []).extend(values)
        return predictions, time.perf_counter() - start

    def name(self, split: str) -> PredictionName:
        """Return what the submission file of a predicted split holds."""
        protocol = self.experiments[0].protocol
        return PredictionName(protocol, self.baseline.name, self.task, split, self.seed)

    def path(self, split: str, root: Path = PREDICTIONS) -> Path:
        """Return the submission file of a predicted split under ``root``."""
        return prediction_path(root, self.name(split))

    def write(self, predictions: dict[str, list[Any]], root: Path = PREDICTIONS) -> None:
        """Write one submission file per predicted split under ``root``."""
        for split, values in predictions.items():
            units = [unit for experiment in self.experiments for unit in experiment.targets[split]]
            write_submission(self.path(split, root), self.task, units, values)


def plan(
    baselines: Sequence[Baseline],
    tasks: Sequence[str],
    protocols: Sequence[str],
    *,
    load: Callable[[Baseline], FitPredict],
    requested: bool = False,
) -> list[Job]:
    """Return the jobs of the chosen baselines, tasks and protocols; ``load`` imports each.

    A baseline's :attr:`~baselines.registry.Baseline.on_request` tasks are left out unless
    ``requested`` (the baselines were named).
    """
    loaded = {baseline.name: load(baseline) for baseline in baselines}
    jobs = []
    for protocol in protocols:
        found = experiments(protocol, dataset=DATASET)
        pooled = migbench.PROTOCOLS[protocol].pooled
        runs = [tuple(found)] if pooled else [(experiment,) for experiment in found]
        jobs += [
            Job(baseline, loaded[baseline.name], task, run, seed)
            for run in runs
            for baseline in baselines
            if protocol in baseline.protocols
            for task in tasks
            if task in baseline.tasks and (requested or task not in baseline.on_request)
            for seed in baseline.seeds_in(protocol)
        ]
    return jobs


def fine_tuning_processes() -> int:
    """Return how many fine-tuning runs go in parallel.

    On a GPU one; on CPU one per core, as many as the memory holds at
    :data:`FINE_TUNING_RUN_BYTES` each.
    """
    import torch

    if torch.cuda.is_available():
        return 1
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1, min(os.cpu_count() or 1, memory // FINE_TUNING_RUN_BYTES))


def run_jobs(jobs: Sequence[Job], *, desc: str, processes: int) -> list[float]:
    """Run jobs, in a pool of ``processes`` processes if more than one, and write their submissions.

    Returns:
        The wall time of each job in seconds, in the order of ``jobs``.
    """
    if processes > 1:
        pool = Parallel(n_jobs=processes, return_as="generator_unordered")
        runs = pool(delayed(_run_indexed)(index, job) for index, job in enumerate(jobs))
    else:
        runs = (_run_indexed(index, job) for index, job in enumerate(jobs))
    seconds = [0.0] * len(jobs)
    for index, predictions, elapsed in tqdm(runs, total=len(jobs), desc=desc, unit="run"):
        jobs[index].write(predictions)
        seconds[index] = elapsed
    return seconds


def _run_indexed(index: int, job: Job) -> tuple[int, dict[str, list[Any]], float]:
    # The index says which job a result belongs to: the pool returns copies, out of order.
    return index, *job.run()


def migbench_cli(*args: str) -> None:
    """Run a migbench subcommand; its stdout is discarded, a failure raises."""
    command = [sys.executable, "-m", "migbench", *args]
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)


def arguments() -> argparse.ArgumentParser:
    """Return the parser of the main job's command line."""
    parser = argparse.ArgumentParser(prog="python -m baselines.run_all", description=__doc__)
    parser.add_argument(
        "--model",
        help="encoder of the transformer, embed-lr and setfit-sel baselines: local path or hub id",
    )
    parser.add_argument(
        "--spacy-model", help="spaCy pipeline of the spaCy baselines: package name or folder"
    )
    parser.add_argument("--baselines", nargs="+", metavar="NAME", help="only these baselines")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=TASKS)
    parser.add_argument(
        "--protocols", nargs="+", choices=PROTOCOL_NAMES, default=list(PROTOCOL_NAMES)
    )
    parser.add_argument("--skip-build", action="store_true", help="use the dataset as it is")
    return parser


def loader(args: argparse.Namespace, torch_threads: int | None) -> Callable[[Baseline], FitPredict]:
    """Return what imports a baseline's fit-predict with the models the command line names.

    ``torch_threads`` are the transformer's (None: every core).
    """

    def load(baseline: Baseline) -> FitPredict:
        settings = None
        if baseline.model_option == "settings":
            from baselines.transformer import Settings

            settings = Settings(model=args.model, threads=torch_threads)
        return baseline.load(model=args.model, spacy_model=args.spacy_model, settings=settings)

    return load


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark end to end; return the exit code."""
    parser = arguments()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    known = list(BASELINES)
    if unknown := set(args.baselines or ()) - set(known):
        parser.error(f"unknown baselines {sorted(unknown)}; choose from {known}")
    chosen = [b for b in BASELINES.values() if args.baselines is None or b.name in args.baselines]
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name: str, step: Callable[[], Any]) -> Any:
        log.info("%s ...", name)
        begin = time.perf_counter()
        value = step()
        stages[name] = time.perf_counter() - begin
        return value

    def build() -> None:
        migbench_cli(
            "build",
            *("--seeds", str(REPO / "seeds")),
            *("--annotations", str(REPO / "annotations")),
            *("--out", str(DATASET)),
        )

    if not args.skip_build:
        stage("verify seeds", lambda: migbench_cli("units", "--seeds", str(REPO / "seeds")))
        stage("build dataset", build)
    # Before any training: the packaged models must be the pinned ones (baselines/models.json).
    # A model the user names instead (--model, --spacy-model) is not checked.
    pinned = {m for b in chosen for m in b.models}
    if args.model is not None:
        pinned -= {m for b in chosen if b.model_option in ("model", "settings") for m in b.models}
    if args.spacy_model is not None:
        pinned -= {m for b in chosen if b.model_option == "spacy_model" for m in b.models}
    stage("verify models", lambda: provenance.verify_all(sorted(pinned)))

    processes = fine_tuning_processes() if any(not b.parallel for b in chosen) else 1
    torch_threads = 1 if processes > 1 else None
    jobs = plan(
        chosen,
        args.tasks,
        args.protocols,
        load=loader(args, torch_threads),
        requested=args.baselines is not None,
    )
    light = [job for job in jobs if job.baseline.parallel and not job.baseline.reads]
    # The longest runs (cv: five fine-tunings) first, so that no process ends alone on one.
    heavy = sorted(
        (job for job in jobs if not job.baseline.parallel), key=lambda job: -len(job.experiments)
    )
    light_seconds = stage(
        "feature, embedding and spaCy baselines",
        lambda: run_jobs(
            light, desc="feature, embedding and spaCy baselines", processes=os.cpu_count() or 1
        ),
    )
    heavy_seconds = stage(
        "fine-tuning", lambda: run_jobs(heavy, desc="fine-tuning", processes=processes)
    )
    readers = [job for job in jobs if job.baseline.reads]
    readers_seconds = stage("ensembles", lambda: run_jobs(readers, desc="ensembles", processes=1))
    record_runs([*light, *heavy, *readers], [*light_seconds, *heavy_seconds, *readers_seconds])
    if args.baselines is None and set(args.tasks) == set(TASKS):
        written = {job.path(split) for job in jobs for split in job.experiments[0].targets}
        remove_stale(written, args.protocols)
    stage("score", score.score_all)
    stage("significance", pairwise.compare_all)
    summary = scores(load_results())
    best = {
        (protocol, task, split): best_baseline(summary, task, protocol, split)
        for protocol, split in pairwise.POWER_RUNS
        for task in args.tasks
    }
    stage("power", lambda: pairwise.power_all({k: v for k, v in best.items() if v}))
    stage("plots", lambda: figures.draw_all(load_results()))
    if not args.skip_build:
        # The card reports the power just estimated: build it again (the data do not change).
        stage("dataset card", build)
    full = not args.skip_build and args.baselines is None
    full = full and set(args.tasks) == set(TASKS) and set(args.protocols) == set(PROTOCOL_NAMES)
    if full:
        stages["total"] = time.perf_counter() - started
        write_timings(stages, heavy, heavy_seconds, processes)
    make_table.main([])
    log.info("done in %.0f s; see %s", time.perf_counter() - started, make_table.RESULTS_MD)
    return 0


def remove_stale(written: set[Path], protocols: Sequence[str], root: Path = PREDICTIONS) -> None:
    """Delete the submissions under ``root`` that a full plan should have written but did not.

    A full plan writes every submission of its baselines in the main job under ``protocols``:
    another file of one of them there is an earlier run's. Files of other names, of other
    protocols and of on-request tasks are left alone.
    """
    for stale in sorted(set(root.rglob("*.jsonl")) - written):
        try:
            name = parse_name(stale.relative_to(root))
        except ValueError:
            continue
        baseline = BASELINES.get(name.baseline)
        if baseline is None or name.protocol not in protocols:
            continue
        if name.task not in baseline.on_request:
            stale.unlink()


def _timings() -> dict[str, Any]:
    if not TIMINGS.is_file():
        return {}
    return dict(json.loads(TIMINGS.read_text(encoding="utf-8")))


def record_runs(jobs: Sequence[Job], seconds: Sequence[float]) -> None:
    """Record the wall time of each run, full job or not, in ``baselines/timings.json``.

    Under ``runs``, by ``protocol/baseline/task`` (and ``/seedN`` for a seeded run); a later run
    of the same baseline replaces its entries, other entries stay.
    """
    if not jobs:
        return
    timings = _timings()
    runs = dict(timings.get("runs", {}))
    for job, s in zip(jobs, seconds, strict=True):
        protocol = job.experiments[0].protocol
        key = f"{protocol}/{job.baseline.name}/{job.task}"
        runs[key if job.seed is None else f"{key}/seed{job.seed}"] = s
    timings["runs"] = dict(sorted(runs.items()))
    write_atomic(TIMINGS, json.dumps(timings, indent=2) + "\n")


def record_stage(name: str, seconds: float) -> None:
    """Record a later step of the main job (:data:`LATER_STAGES`) after the last full run.

    ``main job`` is then the run's ``total`` and the later steps' times together. Nothing is
    recorded without a full run to add to.
    """
    timings = _timings()
    stages = dict(timings.get("stages", {}))
    if "total" not in stages:
        return
    stages.pop("main job", None)
    stages[name] = seconds
    stages["main job"] = stages["total"] + sum(stages.get(later, 0.0) for later in LATER_STAGES)
    timings["stages"] = stages
    write_atomic(TIMINGS, json.dumps(timings, indent=2) + "\n")


def write_timings(
    stages: dict[str, float], jobs: Sequence[Job], seconds: list[float], processes: int
) -> None:
    """Record the run time of a full run in ``baselines/timings.json``, keeping ``runs``.

    ``processes`` is how many fine-tuning runs went in parallel.
    """
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    timings = {
        "cpus": os.cpu_count(),
        "device": device,
        "fine_tuning_processes": processes,
        "torch_threads": 1 if processes > 1 else os.cpu_count(),
        "stages": stages,
        "fine_tuning_jobs": [
            {
                "baseline": job.baseline.name,
                "task": job.task,
                "protocol": job.experiments[0].protocol,
                "seed": job.seed,
                "seconds": s,
            }
            for job, s in zip(jobs, seconds, strict=True)
        ],
        "budgets": BUDGETS,
        "runs": _timings().get("runs", {}),
    }
    write_atomic(TIMINGS, json.dumps(timings, indent=2) + "\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MigbenchError as exc:
        sys.exit(f"baselines.run_all: error: {exc}")
