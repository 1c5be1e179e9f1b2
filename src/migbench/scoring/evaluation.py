"""Score aligned gold and predictions: every metric of a task and the interval of its main score.

Pure functions, no I/O: :func:`migbench.score` reads and validates the files, then calls
:func:`evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from migbench.scoring.metrics import Metric, metric_for
from migbench.scoring.resampling import bootstrap_interval
from migbench.scoring.tasks import Task

#: Bounds of the bootstrap settings; beyond them a run would take minutes or gigabytes.
MAX_RESAMPLES = 100_000


def evaluate(
    task: Task,
    gold: Sequence[Any],
    predicted: Sequence[Any],
    *,
    tagset: str = "iob2",
    n_resamples: int,
    seed: int,
    groups: Mapping[str, Sequence[Any]] | None = None,
    clusters: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Score predictions against the gold, with a bootstrap interval of the main score.

    Args:
        task: The task.
        gold: Gold labels, one per unit (for NER, one list of IOB2 tags per unit).
        predicted: Predictions aligned with ``gold``; None marks a unit without a prediction,
            scored as wrong (no label; for NER, no entity).
        tagset: NER only: ``iob2`` scores the schema's types, ``conll`` maps both sides to
            CoNLL-2003's four types first.
        n_resamples: Bootstrap resamples, at most :data:`MAX_RESAMPLES`; 0 skips the interval.
        seed: Seed of the bootstrap.
        groups: Breakdowns to report: name → the group of each unit (its document, its fold),
            groups hashable and sortable.
        clusters: The section of each unit, for the bootstrap to resample whole sections; None
            to resample units.

    Returns:
        ``main_metric``, ``main_score``, ``metrics`` (every metric of the task), ``ci`` (None
        when ``n_resamples`` is 0), and for each breakdown, group → ``n_units`` and
        ``main_score`` of that group's units, groups in sorted order.

    Raises:
        ValueError: Inputs of different lengths, no units, an unknown label or tag, tags that
            break strict IOB2, or a bad option.
    """
    check_resampling(n_resamples, seed)
    metric = metric_for(task, tagset=tagset)
    statistics = metric.statistics(gold, predicted)
    metrics = metric.scores(statistics.total())
    ci = None
    if n_resamples:
        ci = bootstrap_interval(
            metric, statistics, n_resamples=n_resamples, seed=seed, clusters=clusters
        )
    main = task.main_metric
    result = {"main_metric": main, "main_score": metrics[main], "metrics": metrics, "ci": ci}
    for name, keys in (groups or {}).items():
        if len(keys) != len(gold):
            raise ValueError(f"{name}: {len(keys)} groups for {len(gold)} units")
        labels = np.asarray(keys, dtype=object)
        result[name] = {}
        for key in sorted(set(keys)):
            subset = statistics.subset(labels == key)
            result[name][key] = {"n_units": len(subset.keys), **components(metric, subset.total())}
    return result


def components(metric: Metric, total: np.ndarray) -> dict[str, Any]:
    """Return the main score of summed statistics (None where undefined) and its components.

    The components, for ``f_avg`` only: the F1 (None where undefined) and gold units of each
    label it averages.
    """
    main = float(metric.main_score(total))
    found: dict[str, Any] = {"main_score": None if np.isnan(main) else main}
    if metric.task.f_avg_labels:
        per_label = metric.scores(total)["per_label"]
        found["components"] = {
            label: {"f1": per_label[label]["f1"], "support": per_label[label]["support"]}
            for label in metric.task.f_avg_labels
        }
    return found


def check_resampling(n_resamples: int, seed: int) -> None:
    """Raise ValueError unless ``0 <= n_resamples <= MAX_RESAMPLES`` and ``seed >= 0``, integers."""
    for name, value in (("n_resamples", n_resamples), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    if n_resamples > MAX_RESAMPLES:
        raise ValueError(f"n_resamples must be at most {MAX_RESAMPLES:,}, not {n_resamples:,}")
