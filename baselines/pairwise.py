"""Paired significance tests between the baselines, and the power of each protocol.

For every protocol, task and evaluation split, ``migbench.compare`` tests every pair of baselines
(seed 0 of a seeded baseline) with paired bootstrap and approximate randomization over whole
sections, Holm-adjusted, with as many trials as each decision needs to be stable;
``migbench power`` estimates, from the best baseline's submission, the smallest difference that
the randomization test detects, at the low, median and high churn of the pairs of trained
baselines (:func:`churn_calibration`). The results are JSON files under
``baselines/significance/``, read by ``make_table`` and ``migbench docs``.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed
from tqdm.auto import tqdm

import migbench
from baselines.paths import (
    DATASET,
    EVERY_UNIT,
    PREDICTIONS,
    SIGNIFICANCE,
    PredictionName,
    parse_name,
    parse_significance_name,
    significance_path,
)
from baselines.score import gold_of
from migbench.scoring.power import churn_between

log = logging.getLogger("baselines")

#: Where power is estimated: (protocol, split) of the protocols README and the card report.
POWER_RUNS: tuple[tuple[str, str], ...] = (("cv", EVERY_UNIT), ("split", "test"))
#: Baselines that are no system one would improve on: left out of the churn calibration.
DUMMIES = ("majority", "stratified")
#: The churns each power analysis simulates, from :func:`churn_calibration`.
CHURN_LEVELS = ("low", "median", "high")


def submissions(predictions: Path = PREDICTIONS) -> dict[tuple[str, str, str], dict[str, Path]]:
    """Return, by (protocol, task, split), each baseline's submission (seed 0 of seeded ones)."""
    found: dict[tuple[str, str, str], dict[str, Path]] = defaultdict(dict)
    for path in sorted(predictions.rglob("*.jsonl")):
        name = parse_name(path.relative_to(predictions))
        if name.seed in (None, 0):
            found[name.protocol, name.task, name.split][name.baseline] = path
    return dict(found)


def compare_all(predictions: Path = PREDICTIONS, out: Path = SIGNIFICANCE) -> list[Path]:
    """Compare every pair of baselines per protocol, task and split; return the files written."""
    written = []
    for (protocol, task, split), named in tqdm(
        sorted(submissions(predictions).items()), desc="comparing", unit="table"
    ):
        if len(named) < 2:
            continue
        gold = gold_of(PredictionName(protocol, "", task, split, None), dataset=DATASET)
        result = migbench.Scorer(task, gold).compare(named)
        written.append(_write(significance_path(out, "compare", protocol, task, split), result))
    return written


def churn_calibration(scorer: migbench.Scorer, named: dict[str, Path]) -> dict[str, Any]:
    """Return the churn of every pair of trained baselines, and its low, median and high.

    A pair's churn is the smaller of the units one system fixes and the other breaks (the
    units on which they disagree beyond their net difference), as a simulated system of
    :mod:`migbench.scoring.power` churns. Without two trained baselines, every baseline counts.
    """
    trained = {name: path for name, path in named.items() if name not in DUMMIES}
    systems = trained if len(trained) >= 2 else named
    predicted = {
        name: scorer.check(path).predictions.values for name, path in sorted(systems.items())
    }
    pairs = []
    for a, b in combinations(predicted, 2):
        pair = churn_between(scorer.task, scorer.gold_labels, predicted[a], predicted[b])
        pairs.append({"a": a, "b": b, **pair})
    churns = [pair["churn"] for pair in pairs]
    return {
        "baselines": sorted(systems),
        "pairs": pairs,
        "low": min(churns),
        "median": round(statistics.median(churns)),
        "high": max(churns),
    }


def power_all(
    best: dict[tuple[str, str, str], str],
    predictions: Path = PREDICTIONS,
    out: Path = SIGNIFICANCE,
    *,
    protocols: Sequence[tuple[str, str]] = POWER_RUNS,
    n_jobs: int = 2,
) -> list[Path]:
    """Estimate the power of each protocol of :data:`POWER_RUNS` from its best baseline.

    Each protocol and task is simulated at the low, median and high churn of
    :func:`churn_calibration`, the simulations in ``n_jobs`` processes.

    Args:
        best: The best baseline by (protocol, task, split), as the results table names it.
        predictions: The folder of the baselines' submissions.
        out: The folder the results go to, one JSON file per protocol.
        protocols: The (protocol, split) pairs to estimate, by default :data:`POWER_RUNS`.
        n_jobs: Processes that simulate at once.

    Returns:
        The files written.

    Raises:
        ValueError: A best baseline has no submission of seed 0 (or without a seed).
    """
    found = submissions(predictions)
    runs = [(p, t, x) for p, x in protocols for t in migbench.TASKS if (p, t, x) in best]
    for run in [run for run in runs if len(found.get(run, {})) < 2]:
        log.warning("no power for %s: fewer than two baselines to calibrate the churn", run)
        runs.remove(run)
    plans = {}
    for protocol, task, split in runs:
        reference = best[protocol, task, split]
        if reference not in found[protocol, task, split]:
            raise ValueError(
                f"no power for {protocol}/{task}/{split}: its best baseline {reference} has no "
                f"submission of seed 0 under {predictions} (the seed every baseline is tested "
                f"with); found {', '.join(sorted(found[protocol, task, split]))}"
            )
        gold = gold_of(PredictionName(protocol, reference, task, split, None), dataset=DATASET)
        path = found[protocol, task, split][reference]
        scorer = migbench.Scorer(task, gold)
        calibration = churn_calibration(scorer, found[protocol, task, split])
        plans[protocol, task, split] = (reference, path, gold, calibration, len(scorer.units))
    jobs = [(run, level) for run in runs for level in CHURN_LEVELS]
    analyses = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(migbench.power)(
            run[1], plans[run][1], churn=plans[run][3][level] / plans[run][4], gold=plans[run][2]
        )
        for run, level in jobs
    )
    by_run: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for (run, _), analysis in zip(
        jobs, tqdm(analyses, total=len(jobs), desc="power", unit="analysis"), strict=True
    ):
        by_run[run].append(analysis)
    written = []
    for run in runs:
        reference, _, _, calibration, _ = plans[run]
        first = by_run[run][0]
        result = {
            "reference": reference,
            "task": run[1],
            "protocol": first["protocol"],
            "split": first["split"],
            "churn_calibration": calibration,
            "analyses": by_run[run],
        }
        written.append(_write(significance_path(out, "power", *run), result))
    return written


def load(kind: str, significance: Path = SIGNIFICANCE) -> dict[tuple[str, str, str], Any]:
    """Return the ``compare`` or ``power`` results by (protocol, task, split)."""
    results = {}
    for path in sorted(significance.glob(f"{kind}.*.json")):
        _, protocol, task, split = parse_significance_name(path)
        results[protocol, task, split] = json.loads(path.read_text(encoding="utf-8"))
    return results


def _write(path: Path, result: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
