"""The main job: verify the seeds, build the dataset, train every baseline, score, tabulate.

Usage::

    python -m baselines.run_all [--model PATH_OR_HUB_ID] [--spacy-model NAME_OR_PATH]
                                [--baselines NAME ...]
                                [--tasks TASK ...] [--schemes SCHEME ...] [--skip-build]

Steps: ``migbench units`` (verifies the seeds against their checksums) and ``migbench build``;
then the packaged pretrained models are verified against their pins (``baselines/models.json``);
then every baseline on every task and evaluation scheme it covers writes its submission files
under ``baselines/predictions/``; the migbench scorer scores them into ``baselines/results/``;
``RESULTS.md`` and the plots are regenerated from the results. The baselines other than the
transformer run in parallel processes, one per core; the transformer runs alone, on a GPU when
there is one. A full run (no filter) also records its run time in ``baselines/timings.json``.
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
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from joblib import Parallel, delayed
from tqdm.auto import tqdm

from baselines import (
    crf,
    dummy,
    embeddings,
    figures,
    make_table,
    provenance,
    score,
    spacy_ner,
    tfidf,
    transformer,
)
from baselines.data import (
    CLASSIFICATION,
    DATASET,
    PREDICTIONS,
    REPO,
    SCHEME_CONFIGS,
    TASKS,
    Experiment,
    PredictionName,
    experiments,
    prediction_path,
    write_submission,
)
from baselines.summary import load_results

log = logging.getLogger("baselines")

SEEDS: tuple[int, ...] = (0, 1, 2)
SCHEMES: tuple[str, ...] = tuple(SCHEME_CONFIGS)
#: Run-time budgets in seconds, checked by benchmarks/bench_baselines.py.
BUDGETS: dict[str, int] = {
    "scikit-learn and CRF baselines": 120,
    "transformer per task and seed": 600,
    "total": 45 * 60,
}

FitPredict = Callable[[str, Experiment, int], dict[str, list[Any]]]


@dataclass(frozen=True)
class Baseline:
    """A baseline and what it runs on.

    Attributes:
        name: Its name in file names and tables.
        fit_predict: ``(task, experiment, seed) -> {split: predictions}``.
        tasks: Tasks it does.
        schemes: Evaluation schemes it runs in.
        seeds: Seeds of its runs, each named in its files; None for one run, seed 0, unnamed.
        parallel: Whether its runs go to the process pool (the transformer uses every core).
    """

    name: str
    fit_predict: FitPredict
    tasks: tuple[str, ...]
    schemes: tuple[str, ...] = SCHEMES
    seeds: tuple[int, ...] | None = None
    parallel: bool = True


@dataclass(frozen=True)
class Job:
    """One run: a baseline on a task, an experiment and a seed."""

    baseline: Baseline
    task: str
    experiment: Experiment
    seed: int | None

    def run(self) -> tuple[dict[str, list[Any]], float]:
        """Train and predict; return the predictions by split and the wall time in seconds."""
        start = time.perf_counter()
        predictions = self.baseline.fit_predict(self.task, self.experiment, self.seed or 0)
        return predictions, time.perf_counter() - start

    def write(self, predictions: dict[str, list[Any]]) -> None:
        """Write one submission file per predicted split."""
        for split, values in predictions.items():
            name = PredictionName(
                self.experiment.scheme, self.baseline.name, self.task, split, self.seed
            )
            units = self.experiment.targets[split]
            write_submission(prediction_path(PREDICTIONS, name), self.task, units, values)


def registry(
    settings: transformer.Settings, *, spacy_model: str | None = None
) -> tuple[Baseline, ...]:
    """Return every baseline: the transformer with ``settings``, the sentence encoder of
    ``embed-lr`` from ``settings.model`` too, the spaCy ones from ``spacy_model``.
    """
    encoder = settings.model
    return (
        Baseline("majority", dummy.majority, TASKS),
        Baseline("stratified", dummy.stratified, TASKS, seeds=SEEDS),
        Baseline("tfidf-lr", tfidf.fit_predict, CLASSIFICATION),
        Baseline("tfidf-lr-ctx", partial(tfidf.fit_predict, context=True), CLASSIFICATION),
        Baseline("embed-lr", partial(embeddings.fit_predict, model=encoder), CLASSIFICATION),
        Baseline(
            "embed-lr-ctx",
            partial(embeddings.fit_predict, context=True, model=encoder),
            CLASSIFICATION,
        ),
        Baseline("crf", crf.fit_predict, ("ner",)),
        Baseline("spacy-zero-shot", partial(spacy_ner.zero_shot, model=spacy_model), ("ner",)),
        Baseline("spacy-ner", partial(spacy_ner.fine_tuned, model=spacy_model), ("ner",)),
        Baseline(
            "transformer",
            partial(transformer.fit_predict, settings=settings),
            TASKS,
            schemes=("official",),
            seeds=SEEDS,
            parallel=False,
        ),
        Baseline(
            "transformer-ctx",
            partial(transformer.fit_predict, settings=replace(settings, context=True)),
            CLASSIFICATION,
            schemes=("official",),
            seeds=(0,),
            parallel=False,
        ),
    )


def plan(baselines: Sequence[Baseline], tasks: Sequence[str], schemes: Sequence[str]) -> list[Job]:
    """Return the jobs of the chosen baselines, tasks and schemes."""
    jobs = []
    for scheme in schemes:
        for experiment in experiments(scheme, dataset=DATASET):
            jobs += [
                Job(baseline, task, experiment, seed)
                for baseline in baselines
                if scheme in baseline.schemes
                for task in tasks
                if task in baseline.tasks
                for seed in baseline.seeds or (None,)
            ]
    return jobs


def run_jobs(jobs: Sequence[Job], *, desc: str, parallel: bool) -> list[float]:
    """Run jobs, in a process pool if ``parallel``, and write their submissions.

    Returns:
        The wall time of each job in seconds, in the order of ``jobs``.
    """
    if parallel:
        pool = Parallel(n_jobs=os.cpu_count(), return_as="generator_unordered")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark end to end; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m baselines.run_all", description=__doc__)
    parser.add_argument(
        "--model", help="encoder of the transformer and embed-lr baselines: local path or hub id"
    )
    parser.add_argument(
        "--spacy-model", help="spaCy pipeline of the spaCy baselines: package name or folder"
    )
    parser.add_argument("--baselines", nargs="+", metavar="NAME", help="only these baselines")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=TASKS)
    parser.add_argument("--schemes", nargs="+", choices=SCHEMES, default=SCHEMES)
    parser.add_argument("--skip-build", action="store_true", help="use the dataset as it is")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    baselines = registry(transformer.Settings(model=args.model), spacy_model=args.spacy_model)
    known = [baseline.name for baseline in baselines]
    if unknown := set(args.baselines or ()) - set(known):
        parser.error(f"unknown baselines {sorted(unknown)}; choose from {known}")
    chosen = [b for b in baselines if args.baselines is None or b.name in args.baselines]
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name: str, step: Callable[[], Any]) -> Any:
        log.info("%s ...", name)
        begin = time.perf_counter()
        value = step()
        stages[name] = time.perf_counter() - begin
        return value

    if not args.skip_build:
        stage("verify seeds", lambda: migbench_cli("units", "--seeds", str(REPO / "seeds")))
        stage(
            "build dataset",
            lambda: migbench_cli(
                "build",
                *("--seeds", str(REPO / "seeds")),
                *("--annotations", str(REPO / "annotations")),
                *("--out", str(DATASET)),
            ),
        )
    # Before any training: the packaged models must be the pinned ones (baselines/models.json).
    stage("verify models", provenance.verify_all)
    jobs = plan(chosen, args.tasks, args.schemes)
    light = [job for job in jobs if job.baseline.parallel]
    heavy = [job for job in jobs if not job.baseline.parallel]
    stage(
        "scikit-learn and CRF baselines",
        lambda: run_jobs(light, desc="scikit-learn and CRF baselines", parallel=True),
    )
    heavy_seconds = stage(
        "transformer", lambda: run_jobs(heavy, desc="transformer", parallel=False)
    )
    stage("score", score.score_all)
    stage("plots", lambda: figures.draw_all(load_results()))
    full = not args.skip_build and args.baselines is None
    if full and set(args.tasks) == set(TASKS) and set(args.schemes) == set(SCHEMES):
        stages["total"] = time.perf_counter() - started
        write_timings(stages, heavy, heavy_seconds)
    make_table.main([])
    log.info("done in %.0f s; see %s", time.perf_counter() - started, make_table.RESULTS_MD)
    return 0


def write_timings(stages: dict[str, float], jobs: Sequence[Job], seconds: list[float]) -> None:
    """Record the run time of a full run in ``baselines/timings.json``."""
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    timings = {
        "cpus": os.cpu_count(),
        "device": device,
        "torch_threads": torch.get_num_threads(),
        "stages": stages,
        "transformer_jobs": [
            {"task": job.task, "scheme": job.experiment.scheme, "seed": job.seed, "seconds": s}
            for job, s in zip(jobs, seconds, strict=True)
        ],
        "budgets": BUDGETS,
    }
    make_table.TIMINGS.write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
