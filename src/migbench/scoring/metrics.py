"""Metrics of the four tasks and their bootstrap confidence intervals: pure functions, no I/O.

Point estimates come from :mod:`sklearn.metrics`. NER is scored at entity level, exact span and
type, as seqeval's strict IOB2 mode does; entities are read from the tags with numpy (seqeval
reads them token by token in Python, too slow at 100,000 units) and then each span that either
side marks becomes one
sklearn sample whose true and predicted labels are its gold and predicted types ("no entity"
when a side lacks it), so that sklearn's per-label counts are the entity-level counts.
Tests check the result against seqeval.

Confidence intervals are 95 % percentile bootstraps over units. A score depends on a resample
only through how many units it draws from each group of units that contribute alike (one
cell of the confusion matrix; one per-unit triple of true positives, false positives and false
negatives for NER), and those numbers are multinomial, so each resample is drawn as group
counts and scored with numpy in one vectorised step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from migbench.schema import CONLL_MAPPING
from migbench.scoring.tasks import (
    TAGSETS,
    Task,
    check_options,
    check_tagset,
    encode_tags,
    iob2_breaks,
    iob2_message,
    prediction_types,
)

#: Coverage of the bootstrap interval.
CONFIDENCE = 0.95


def evaluate(
    task: Task,
    gold: Sequence[Any],
    predicted: Sequence[Any],
    *,
    tagset: str = "iob2",
    n_resamples: int,
    seed: int,
) -> dict[str, Any]:
    """Score predictions against the gold, with a bootstrap interval of the main score.

    Args:
        task: The task.
        gold: Gold labels, one per unit (for NER, one list of IOB2 tags per unit).
        predicted: Predictions aligned with ``gold``; None marks a unit without a prediction,
            scored as wrong (no label; for NER, no entity).
        tagset: NER only: ``iob2`` scores the schema's types, ``conll`` maps both sides to
            CoNLL-2003's four types first.
        n_resamples: Bootstrap resamples; 0 skips the interval.
        seed: Seed of the bootstrap.

    Returns:
        ``main_metric``, ``main_score``, ``metrics`` (every metric of the task) and ``ci``
        (None when ``n_resamples`` is 0).

    Raises:
        ValueError: Inputs of different lengths, no units, an unknown label or tag, tags that
            break strict IOB2, or a bad option.
    """
    for name, value in (("n_resamples", n_resamples), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    check_options(task, tagset)
    if task.is_sequence:
        match = match_entities(gold, predicted, tagset=tagset)
        metrics = ner_metrics(match)
        groups = match.unit_counts()
    else:
        metrics = classification_metrics(task, gold, predicted)
        groups = confusion_counts(task, gold, predicted)
    ci = None
    if n_resamples:
        scores = bootstrap_scores(task, groups, n_resamples=n_resamples, seed=seed)
        low, high = np.quantile(scores, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
        ci = {
            "level": CONFIDENCE,
            "low": float(low),
            "high": float(high),
            "n_resamples": n_resamples,
            "seed": seed,
            "method": "percentile bootstrap over units",
        }
    main = task.main_metric
    return {"main_metric": main, "main_score": metrics[main], "metrics": metrics, "ci": ci}


def classification_metrics(
    task: Task, gold: Sequence[str], predicted: Sequence[str | None]
) -> dict[str, Any]:
    """Return the metrics of a single-label task.

    ``f_avg`` (stance only) is the mean F1 of ``favor`` and ``against``; ``macro_f1`` averages
    the labels in ``macro_f1_labels`` (all labels, or for ``mfc`` those present in the gold);
    ``micro_f1`` and ``accuracy`` differ only when units lack a prediction. The confusion
    matrix has gold labels as rows, predicted labels as columns, and leaves out units without
    a prediction. Undefined precision, recall or F1 (no support, no prediction) count as 0.
    """
    y_true, y_pred = _encode_labels(task, gold, predicted)
    ids = list(range(len(task.labels)))
    macro_ids = np.unique(y_true).tolist() if task.macro_over_gold else ids
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    metrics: dict[str, Any] = {}
    if task.f_avg_labels:
        f_avg_ids = [task.labels.index(label) for label in task.f_avg_labels]
        metrics["f_avg"] = _f1(y_true, y_pred, f_avg_ids, "macro")
    metrics["macro_f1"] = _f1(y_true, y_pred, macro_ids, "macro")
    metrics["macro_f1_labels"] = [task.labels[i] for i in macro_ids]
    metrics["micro_f1"] = _f1(y_true, y_pred, ids, "micro")
    metrics["accuracy"] = float(accuracy_score(y_true, y_pred))
    metrics["per_label"] = _per_label(task.labels, precision, recall, f1, support)
    matrix = confusion_matrix(y_true, y_pred, labels=ids)
    metrics["confusion_matrix"] = {"labels": list(task.labels), "matrix": matrix.tolist()}
    return metrics


def confusion_counts(
    task: Task, gold: Sequence[str], predicted: Sequence[str | None]
) -> np.ndarray:
    """Return unit counts by gold label (rows) and prediction (columns; the last: none)."""
    y_true, y_pred = _encode_labels(task, gold, predicted)
    size = len(task.labels)
    cells = y_true * (size + 1) + np.where(y_pred < 0, size, y_pred)
    return np.bincount(cells, minlength=size * (size + 1)).reshape(size, size + 1)


def main_from_confusion(task: Task, confusion: np.ndarray) -> np.ndarray:
    """Return the main score of ``task`` from confusion counts, vectorised over leading axes.

    Args:
        task: A single-label task.
        confusion: Counts shaped ``(..., k, k + 1)`` as :func:`confusion_counts` returns.
    """
    size = len(task.labels)
    true_positives = np.diagonal(confusion[..., :size], axis1=-2, axis2=-1)
    support = confusion.sum(axis=-1)
    denominator = support + confusion[..., :size].sum(axis=-2)
    f1 = _safe_divide(2 * true_positives, denominator)
    if task.f_avg_labels:
        return f1[..., [task.labels.index(label) for label in task.f_avg_labels]].mean(axis=-1)
    if task.macro_over_gold:
        present = support > 0
        return (f1 * present).sum(axis=-1) / present.sum(axis=-1)
    return f1.mean(axis=-1)


@dataclass(frozen=True)
class EntityMatch:
    """The entities of both sides of a NER evaluation, as flat arrays.

    Attributes:
        types: The scored entity types; ``*_type`` arrays index into it.
        n_units: Number of units.
        gold_unit: Unit index of each gold entity.
        gold_span: Span key of each gold entity (its first and past-last token, packed).
        gold_type: Type index of each gold entity.
        pred_unit: Unit index of each predicted entity.
        pred_span: Span key of each predicted entity.
        pred_type: Type index of each predicted entity.
        matched: For each gold entity, whether a predicted entity has its span and type.
    """

    types: tuple[str, ...]
    n_units: int
    gold_unit: np.ndarray
    gold_span: np.ndarray
    gold_type: np.ndarray
    pred_unit: np.ndarray
    pred_span: np.ndarray
    pred_type: np.ndarray
    matched: np.ndarray

    def unit_counts(self) -> np.ndarray:
        """Return per-unit true positives, false positives and false negatives, shape (n, 3)."""
        n = self.n_units
        tp = np.bincount(self.gold_unit[self.matched], minlength=n)
        predicted = np.bincount(self.pred_unit, minlength=n)
        true = np.bincount(self.gold_unit, minlength=n)
        return np.stack([tp, predicted - tp, true - tp], axis=1)


def match_entities(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str] | None],
    *,
    tagset: str = "iob2",
) -> EntityMatch:
    """Read the entities of gold and predicted IOB2 tags and match them on span and type.

    Args:
        gold: One tag list per unit, in the schema's types.
        predicted: One tag list per unit, as long as the gold's; None for no entity. Under
            ``conll`` it may also use CoNLL-2003's types.
        tagset: ``iob2`` or ``conll`` (both sides mapped with ``schema.CONLL_MAPPING``).

    Raises:
        ValueError: Lengths differ, a tag is unknown, or tags break strict IOB2.
    """
    check_tagset(tagset)
    _check_aligned(gold, predicted)
    types, accepted = TAGSETS[tagset], prediction_types(tagset)
    filled = []
    for unit, (tags, reference) in enumerate(zip(predicted, gold, strict=True)):
        if tags is not None and len(tags) != len(reference):
            raise ValueError(f"unit {unit}: {len(tags)} predicted tags, {len(reference)} gold")
        filled.append(tags if tags is not None else ("O",) * len(reference))
    lookup = _map_codes(accepted, types)
    sides = []
    for side, sequences in (("gold", gold), ("predicted", filled)):
        try:
            codes, starts = encode_tags(sequences, accepted)
        except ValueError as exc:
            raise ValueError(f"{side}: {exc}") from None
        breaks = iob2_breaks(codes, starts)
        if breaks.size:
            unit = int(np.searchsorted(starts, breaks[0], side="right")) - 1
            message = iob2_message(sequences[unit], int(breaks[0] - starts[unit]))
            raise ValueError(f"{side} unit {unit}: {message}")
        sides.append(_entities(lookup[codes], starts))
    (gold_unit, gold_span, gold_type), (pred_unit, pred_span, pred_type) = sides
    matched = np.isin(gold_span * len(types) + gold_type, pred_span * len(types) + pred_type)
    return EntityMatch(
        types, len(gold), gold_unit, gold_span, gold_type, pred_unit, pred_span, pred_type, matched
    )


def ner_metrics(match: EntityMatch) -> dict[str, Any]:
    """Return entity-level micro precision, recall and F1, and per-type scores (seqeval strict)."""
    spans = np.union1d(match.gold_span, match.pred_span)
    y_true = np.full(len(spans) + 1, -1)
    y_pred = np.full(len(spans) + 1, -1)
    # The extra sample, "no entity" on both sides, counts for no type; it keeps sklearn's input
    # non-empty when neither side has an entity.
    y_true[np.searchsorted(spans, match.gold_span)] = match.gold_type
    y_pred[np.searchsorted(spans, match.pred_span)] = match.pred_type
    ids = list(range(len(match.types)))
    per_type = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    micro = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, average="micro", zero_division=0
    )
    return {
        "micro_f1": float(micro[2]),
        "micro_precision": float(micro[0]),
        "micro_recall": float(micro[1]),
        "n_gold_entities": len(match.gold_span),
        "n_predicted_entities": len(match.pred_span),
        "per_label": _per_label(match.types, *per_type),
    }


def f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """Return micro-F1 from true positive, false positive, false negative counts (last axis)."""
    tp, fp, fn = np.moveaxis(np.asarray(counts, dtype=float), -1, 0)
    return _safe_divide(2 * tp, 2 * tp + fp + fn)


def bootstrap_counts(sizes: np.ndarray, *, n_resamples: int, seed: int) -> np.ndarray:
    """Draw bootstrap resamples of units as counts per group of units that contribute alike.

    Args:
        sizes: Number of units in each group.
        n_resamples: Number of resamples.
        seed: Seed of the random generator.

    Returns:
        Array ``(n_resamples, len(sizes))``: how many units each resample draws from each group,
        distributed as drawing ``sizes.sum()`` units with replacement.
    """
    sizes = np.asarray(sizes)
    total = sizes.sum()
    return np.random.default_rng(seed).multinomial(total, sizes / total, size=n_resamples)


def bootstrap_scores(task: Task, groups: np.ndarray, *, n_resamples: int, seed: int) -> np.ndarray:
    """Return the main score of ``task`` on each bootstrap resample.

    Args:
        task: The task.
        groups: :func:`confusion_counts` for a single-label task; per-unit counts
            (:meth:`EntityMatch.unit_counts`) for NER.
        n_resamples: Number of resamples.
        seed: Seed of the random generator.
    """
    if task.is_sequence:
        # Units with the same (tp, fp, fn) form one group; a flat key sorts faster than rows.
        keys = np.ravel_multi_index(groups.T, groups.max(axis=0) + 1)
        _, first, sizes = np.unique(keys, return_index=True, return_counts=True)
        counts = bootstrap_counts(sizes, n_resamples=n_resamples, seed=seed)
        return f1_from_counts(counts @ groups[first])
    counts = bootstrap_counts(groups.ravel(), n_resamples=n_resamples, seed=seed)
    return main_from_confusion(task, counts.reshape(n_resamples, *groups.shape))


def _encode_labels(
    task: Task, gold: Sequence[str], predicted: Sequence[str | None]
) -> tuple[np.ndarray, np.ndarray]:
    _check_aligned(gold, predicted)
    index = {label: i for i, label in enumerate(task.labels)}
    index_or_none = {**index, None: -1}
    try:
        y_true = np.fromiter((index[label] for label in gold), dtype=np.int64, count=len(gold))
        y_pred = np.fromiter(
            (index_or_none[label] for label in predicted), dtype=np.int64, count=len(predicted)
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"unknown {task.name} label {exc}; expected one of {', '.join(task.labels)}"
        ) from None
    return y_true, y_pred


def _check_aligned(gold: Sequence[Any], predicted: Sequence[Any]) -> None:
    if len(gold) != len(predicted) or not gold:
        raise ValueError(
            f"need one prediction per gold unit and at least one unit: "
            f"{len(predicted)} predictions, {len(gold)} gold units"
        )


def _f1(y_true: np.ndarray, y_pred: np.ndarray, labels: list[int], average: str) -> float:
    return float(f1_score(y_true, y_pred, labels=labels, average=average, zero_division=0))


def _per_label(
    labels: Sequence[str], precision: Any, recall: Any, f1: Any, support: Any
) -> dict[str, dict[str, float | int]]:
    return {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Divide elementwise, with 0 where the denominator is 0 (sklearn's zero_division=0)."""
    numerator = np.asarray(numerator, dtype=float)
    out = np.zeros(np.broadcast_shapes(numerator.shape, np.shape(denominator)))
    return np.divide(numerator, denominator, out=out, where=np.asarray(denominator) > 0)


def _map_codes(accepted: Sequence[str], types: Sequence[str]) -> np.ndarray:
    """Return the lookup from codes over ``accepted`` to codes over ``types`` (CoNLL mapping)."""
    lookup = np.zeros(2 * len(accepted) + 1, dtype=np.int64)
    for index, name in enumerate(accepted):
        scored = name if name in types else CONLL_MAPPING.get(name)
        if scored is not None:
            lookup[2 * index + 1 : 2 * index + 3] = 2 * types.index(scored) + np.array([1, 2])
    return lookup


def _entities(codes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return unit, span key and type of every entity in strict-IOB2 codes."""
    inside = (codes > 0) & (codes % 2 == 0)
    begins = np.flatnonzero(codes % 2 == 1)
    stops = np.flatnonzero(~inside)
    # An entity ends at the first token after its B- that is not inside; valid IOB2 never
    # continues an entity into the next unit, whose first tag is B- or O.
    ends = np.append(stops, len(codes))[np.searchsorted(stops, begins, side="right")]
    units = np.searchsorted(starts, begins, side="right") - 1
    return units, begins * (len(codes) + 1) + ends, (codes[begins] - 1) // 2
