"""Score aligned gold and predictions: every metric of a task and the interval of its main score.

Pure functions, no I/O, in the style of seqeval and ``evaluate``: :func:`metrics` is the public
layer (``migbench.metrics``); :class:`~migbench.scoring.scorer.Scorer` reads and validates the
files, then calls :func:`evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from migbench.scoring.metrics import Metric, metric_for
from migbench.scoring.resampling import bootstrap_interval
from migbench.scoring.tasks import Task, entity_types_of, get_task

#: Bounds of the bootstrap settings; beyond them a run would take minutes or gigabytes.
MAX_RESAMPLES = 100_000
#: Largest seed of any random step (numpy takes any non-negative integer; 64 bits is plenty).
MAX_SEED = 2**63 - 1


def metrics(
    task: str | Task,
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    *,
    entity_types: str | None = None,
    tagset: str | None = None,
) -> dict[str, Any]:
    """Return every metric of a task for aligned gold and predicted labels; no I/O.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner`` (or its :class:`Task`).
        y_true: The gold label of each unit; for ``ner``, one list of IOB2 tags per unit.
        y_pred: The predictions, aligned with ``y_true``; None marks a unit without a prediction,
            scored as wrong (no label; for NER, no entity).
        entity_types: NER only: ``migbench`` (the schema's types, the default) or ``conll``
            (CoNLL-2003's four).
        tagset: Deprecated name of ``entity_types`` (``iob2`` for ``migbench``).

    Returns:
        The task's metrics by name (its main metric among them, see ``Task.main_metric``),
        ``per_label`` precision, recall, F1 and support, and for the single-label tasks the
        ``confusion_matrix``. Nothing is rounded.

    Raises:
        ValueError: An unknown task or entity types, entity types for a task other than NER,
            inputs of different lengths, no units, an unknown label or tag, or tags that break
            strict IOB2.

    Example:
        >>> import migbench
        >>> gold = ["favor", "against", "none"]
        >>> scores = migbench.metrics("stance", gold, ["favor", "none", "none"])
        >>> scores["f_avg"], scores["accuracy"]
        (0.5, 0.6666666666666666)
    """
    declared = task if isinstance(task, Task) else get_task(task)
    chosen = entity_types_of(declared, entity_types, tagset=tagset)
    metric = metric_for(declared, entity_types=chosen)
    return metric.scores(metric.statistics(list(y_true), list(y_pred)).total())


def evaluate(
    task: Task,
    gold: Sequence[Any],
    predicted: Sequence[Any],
    *,
    entity_types: str | None = None,
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
        entity_types: NER only: ``migbench`` (the default) scores the schema's types, ``conll``
            maps both sides to CoNLL-2003's four types first.
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
    metric = metric_for(task, entity_types=entity_types)
    statistics = metric.statistics(gold, predicted)
    scores = metric.scores(statistics.total())
    ci = None
    if n_resamples:
        ci = bootstrap_interval(
            metric, statistics, n_resamples=n_resamples, seed=seed, clusters=clusters
        )
    main = task.main_metric
    result = {"main_metric": main, "main_score": scores[main], "metrics": scores, "ci": ci}
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
    """Raise ValueError unless ``n_resamples`` and ``seed`` are integers within their bounds."""
    for name, value, maximum in (
        ("n_resamples", n_resamples, MAX_RESAMPLES),
        ("seed", seed, MAX_SEED),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        if value > maximum:
            raise ValueError(f"{name} must be at most {maximum:,}, not {value:,}")
