"""Metrics of the four tasks, in two steps as sacrebleu's: per-unit statistics, then a score.

A :class:`Metric` turns gold and predictions into :class:`Statistics`, the sufficient statistics
of every unit, and computes every score from their sum. A single-label task's statistic is the
unit's cell of the confusion matrix (gold label × prediction, "no prediction" included); NER's
is the unit's true positives, false positives and false negatives per entity type, entities
matched on exact span and type as seqeval's strict IOB2 mode matches them. Point estimates,
bootstrap intervals, pooled cross-validation and paired tests all sum the same statistics over
some multiset of units, so they share one code path. The tests check every number against
scikit-learn and seqeval. Pure functions, no I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from migbench.schema import CONLL_MAPPING
from migbench.scoring.iob2 import encode_tags, iob2_problems
from migbench.scoring.tasks import (
    DEFAULT_ENTITY_TYPES,
    ENTITY_TYPE_SETS,
    Task,
    entity_types_of,
    prediction_types,
)


@dataclass(frozen=True)
class Statistics:
    """Per-unit sufficient statistics, kept once per group of units that contribute alike.

    Attributes:
        keys: The group of each unit, shape ``(n,)``.
        table: The statistics of one unit of each group, shape ``(groups, d)``.
    """

    keys: np.ndarray
    table: np.ndarray

    @classmethod
    def from_rows(cls, rows: np.ndarray) -> Statistics:
        """Group per-unit statistics ``(n, d)`` (non-negative integers) by their value."""
        # Each row as one opaque byte string, big-endian so that byte order is numeric order:
        # sorting those is many times faster than np.unique(axis=0), with the same groups.
        width = next(w for w in (1, 2, 4, 8) if rows.max(initial=0) < 256**w)
        packed = np.ascontiguousarray(rows.astype(f">u{width}"))
        _, first, keys = np.unique(
            packed.view(np.dtype((np.void, width * rows.shape[1])))[:, 0],
            return_index=True,
            return_inverse=True,
        )
        return cls(keys.reshape(-1), rows[first])

    @property
    def sizes(self) -> np.ndarray:
        """Number of units in each group."""
        return np.bincount(self.keys, minlength=len(self.table))

    def total(self) -> np.ndarray:
        """Return the sum of the statistics over all units, shape ``(d,)``."""
        return self.sizes @ self.table

    def subset(self, units: np.ndarray) -> Statistics:
        """Return the statistics of the units at indices (or the boolean mask) ``units``."""
        return Statistics(self.keys[units], self.table)


@dataclass(frozen=True)
class Reduction:
    """A narrower linear image of the statistics that still gives the main score.

    Attributes:
        matrix: Shape ``(d, k)``: the reduced statistics are ``statistics @ matrix``.
        main_score: The main score from reduced statistics summed over units (last axis),
            equal to :meth:`Metric.main_score` of the unreduced sums.
    """

    matrix: np.ndarray
    main_score: Callable[[np.ndarray], np.ndarray]


class Metric(ABC):
    """The metrics of one task: per-unit statistics, and scores from summed statistics.

    Attributes:
        task: The task.
        labels: The classes, or for NER the scored entity types.
    """

    task: Task
    labels: tuple[str, ...]

    @abstractmethod
    def statistics(self, gold: Sequence[Any], predicted: Sequence[Any]) -> Statistics:
        """Return the statistics of each unit.

        Args:
            gold: One gold label (NER: one list of IOB2 tags) per unit.
            predicted: Predictions aligned with ``gold``; None for a unit without prediction,
                scored as wrong (no label; for NER, no entity).

        Raises:
            ValueError: Lengths differ, there are no units, or a label or tag is invalid.
        """

    @abstractmethod
    def main_score(self, totals: np.ndarray) -> np.ndarray:
        """Return the main score from summed statistics, vectorised over leading axes."""

    @abstractmethod
    def scores(self, total: np.ndarray) -> dict[str, Any]:
        """Return every metric of the task from the statistics summed over the units."""

    def main_projection(self) -> np.ndarray | None:
        """Return ``M`` with ``main_score(x @ M) == main_score(x)`` merging what it only sums.

        Paired tests group units by their projected statistics, so fewer groups mean faster
        tests; None when nothing can be merged.
        """
        return None

    @abstractmethod
    def main_reduction(self) -> Reduction:
        """Return the fewest columns of the statistics the main score needs (a :class:`Reduction`).

        Paired tests multiply their resampling weights with reduced statistics: fewer columns,
        faster tests, the same scores.
        """


class ClassificationMetric(Metric):
    """F1-based metrics of a single-label task.

    ``f_avg`` (stance) is the mean F1 of those of its ``f_avg_labels`` that are defined (in the
    gold or the predictions): a label with neither has no F1 (``per_label`` reports None) and
    stays out of the mean, and ``f_avg`` is NaN (None in results) when none is defined.
    ``macro_f1`` averages all labels, or for ``mfc`` those present in the gold; ``micro_f1`` and
    ``accuracy`` differ only when units lack a prediction. Otherwise undefined precision, recall
    or F1 count as 0 (scikit-learn's ``zero_division=0``). The confusion matrix has gold labels
    as rows and predictions as columns, in label order, and leaves out units without a
    prediction.
    """

    def __init__(self, task: Task):
        self.task = task
        self.labels = task.labels
        self._index = {label: i for i, label in enumerate(task.labels)}

    def statistics(self, gold: Sequence[Any], predicted: Sequence[Any]) -> Statistics:
        """Return each unit's confusion cell: gold label × prediction (the last: none)."""
        _check_aligned(gold, predicted)
        index, size = self._index, len(self.labels)
        index_or_none = {label: i for i, label in enumerate((*self.labels, None))}
        try:
            y_true = np.fromiter(map(index.__getitem__, gold), dtype=np.int64, count=len(gold))
            y_pred = np.fromiter(
                map(index_or_none.__getitem__, predicted), dtype=np.int64, count=len(predicted)
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"unknown {self.task.name} label {exc}; expected one of {', '.join(self.labels)}"
            ) from None
        cells = size * (size + 1)
        return Statistics(y_true * (size + 1) + y_pred, np.eye(cells, dtype=np.int64))

    def main_score(self, totals: np.ndarray) -> np.ndarray:
        """Return the main score from confusion cells summed over units (last axis)."""
        return self._main_score(*self._counts(totals))

    def main_reduction(self) -> Reduction:
        """Reduce confusion cells to true positives, gold support and predictions per label."""
        size = len(self.labels)
        cells = np.arange(size * (size + 1))
        gold, predicted = np.divmod(cells, size + 1)
        matrix = np.zeros((len(cells), 3 * size), dtype=np.int64)
        matrix[cells[gold == predicted], gold[gold == predicted]] = 1
        matrix[cells, size + gold] = 1
        scored = predicted < size
        matrix[cells[scored], 2 * size + predicted[scored]] = 1

        def main_score(reduced: np.ndarray) -> np.ndarray:
            counts = reduced.reshape(*reduced.shape[:-1], 3, size)
            return self._main_score(counts[..., 0, :], counts[..., 1, :], counts[..., 2, :])

        return Reduction(matrix, main_score)

    def _main_score(
        self, true_positives: np.ndarray, support: np.ndarray, predicted: np.ndarray
    ) -> np.ndarray:
        f1 = _safe_divide(2 * true_positives, support + predicted)
        if self.task.f_avg_labels:
            columns = [self._index[label] for label in self.task.f_avg_labels]
            defined = (support + predicted)[..., columns] > 0
            with np.errstate(invalid="ignore"):
                return (f1[..., columns] * defined).sum(axis=-1) / defined.sum(axis=-1)
        if self.task.macro_over_gold:
            present = support > 0
            return (f1 * present).sum(axis=-1) / present.sum(axis=-1)
        return f1.mean(axis=-1)

    def scores(self, total: np.ndarray) -> dict[str, Any]:
        """Return ``f_avg`` (stance), macro-F1, micro-F1, accuracy, per label and confusion."""
        size = len(self.labels)
        confusion = total.reshape(size, size + 1)
        f1, support, predicted = self._per_label(total)
        true_positives = np.diagonal(confusion[:, :size])
        present = np.flatnonzero(support > 0)
        macro = present if self.task.macro_over_gold else np.arange(size)
        metrics: dict[str, Any] = {}
        if self.task.f_avg_labels:
            f_avg = float(self.main_score(total))
            metrics["f_avg"] = None if np.isnan(f_avg) else f_avg
        metrics["macro_f1"] = float(f1[macro].mean())
        metrics["macro_f1_labels"] = [self.labels[i] for i in macro]
        metrics["micro_f1"] = float(
            _safe_divide(2 * true_positives.sum(), support.sum() + predicted.sum())
        )
        metrics["accuracy"] = float(true_positives.sum() / support.sum())
        metrics["per_label"] = _per_label(
            self.labels,
            _safe_divide(true_positives, predicted),
            _safe_divide(true_positives, support),
            np.where(support + predicted > 0, f1, np.nan),
            support,
        )
        metrics["confusion_matrix"] = {
            "labels": list(self.labels),
            "matrix": confusion[:, :size].tolist(),
        }
        return metrics

    def _per_label(self, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return F1, gold support and predicted count of each label."""
        true_positives, support, predicted = self._counts(totals)
        return _safe_divide(2 * true_positives, support + predicted), support, predicted

    def _counts(self, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return true positives, gold support and predicted count of each label."""
        size = len(self.labels)
        confusion = totals.reshape(*totals.shape[:-1], size, size + 1)
        true_positives = np.diagonal(confusion[..., :size], axis1=-2, axis2=-1)
        support = confusion.sum(axis=-1)
        predicted = confusion[..., :size].sum(axis=-2)
        return true_positives, support, predicted


class EntityMetric(Metric):
    """Entity-level precision, recall and F1 (exact span and type), micro and per type."""

    def __init__(self, task: Task, entity_types: str = DEFAULT_ENTITY_TYPES):
        chosen = entity_types_of(task, entity_types)
        if chosen is None:
            raise ValueError(f"{task.name} is not scored by entities")
        self.task = task
        self.entity_types = chosen
        self.labels = ENTITY_TYPE_SETS[chosen]

    def statistics(self, gold: Sequence[Any], predicted: Sequence[Any]) -> Statistics:
        """Return each unit's true positives, false positives and false negatives per type.

        Under the ``conll`` entity types both sides are mapped with ``schema.CONLL_MAPPING`` first;
        predictions may then also use CoNLL-2003's types.
        """
        _check_aligned(gold, predicted)
        accepted = prediction_types(self.entity_types)
        filled = []
        for unit, (tags, reference) in enumerate(zip(predicted, gold, strict=True)):
            if tags is not None and len(tags) != len(reference):
                raise ValueError(f"unit {unit}: {len(tags)} predicted tags, {len(reference)} gold")
            filled.append(tags if tags is not None else ("O",) * len(reference))
        lookup = _map_codes(accepted, self.labels)
        n, types = len(gold), len(self.labels)
        found = []
        for side, sequences in (("gold", gold), ("predicted", filled)):
            try:
                problems = iob2_problems(sequences, accepted)
            except ValueError as exc:
                raise ValueError(f"{side}: {exc}") from None
            if problems:
                unit, message = problems[0]
                raise ValueError(f"{side} unit {unit}: {message}")
            codes, starts = encode_tags(sequences, accepted)
            found.append(_entities(lookup[codes], starts))
        (gold_unit, gold_span, gold_type), (pred_unit, pred_span, pred_type) = found
        matched = np.isin(gold_span * types + gold_type, pred_span * types + pred_type)
        cells = n * types
        tp = np.bincount(gold_unit[matched] * types + gold_type[matched], minlength=cells)
        true = np.bincount(gold_unit * types + gold_type, minlength=cells)
        pred = np.bincount(pred_unit * types + pred_type, minlength=cells)
        rows = np.stack([tp, pred - tp, true - tp], axis=1).reshape(n, types * 3)
        return Statistics.from_rows(rows)

    def main_score(self, totals: np.ndarray) -> np.ndarray:
        """Return micro-F1 from per-type counts summed over units (last axis)."""
        return _micro_f1(self._counts(totals).sum(axis=-2))

    def scores(self, total: np.ndarray) -> dict[str, Any]:
        """Return micro precision, recall and F1, entity counts and per-type scores."""
        tp, fp, fn = self._counts(total).T
        predicted, true = tp + fp, tp + fn
        micro_tp, micro_predicted, micro_true = tp.sum(), predicted.sum(), true.sum()
        return {
            "micro_f1": float(_safe_divide(2 * micro_tp, micro_true + micro_predicted)),
            "micro_precision": float(_safe_divide(micro_tp, micro_predicted)),
            "micro_recall": float(_safe_divide(micro_tp, micro_true)),
            "n_gold_entities": int(micro_true),
            "n_predicted_entities": int(micro_predicted),
            "per_label": _per_label(
                self.labels,
                _safe_divide(tp, predicted),
                _safe_divide(tp, true),
                _safe_divide(2 * tp, true + predicted),
                true,
            ),
        }

    def main_projection(self) -> np.ndarray:
        """Micro-F1 sums counts over types: move every type's tp, fp and fn onto the first's."""
        projection = np.zeros((3 * len(self.labels), 3 * len(self.labels)), dtype=np.int64)
        projection[:, :3] = np.tile(np.eye(3, dtype=np.int64), (len(self.labels), 1))
        return projection

    def main_reduction(self) -> Reduction:
        """Reduce per-type counts to true positives, false positives and false negatives."""
        return Reduction(self.main_projection()[:, :3], _micro_f1)

    def _counts(self, totals: np.ndarray) -> np.ndarray:
        """Return summed statistics shaped ``(..., types, 3)``: tp, fp, fn per type."""
        return totals.reshape(*totals.shape[:-1], len(self.labels), 3)


def metric_for(task: Task, *, entity_types: str | None = None) -> Metric:
    """Return the metric of ``task``; ``entity_types`` chooses the entity types scored for NER."""
    chosen = entity_types_of(task, entity_types)
    return EntityMetric(task, chosen) if chosen is not None else ClassificationMetric(task)


def _micro_f1(counts: np.ndarray) -> np.ndarray:
    """Return micro-F1 from true positives, false positives and false negatives (last axis)."""
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    return _safe_divide(2 * tp, 2 * tp + fp + fn)


def _check_aligned(gold: Sequence[Any], predicted: Sequence[Any]) -> None:
    if len(gold) != len(predicted) or not gold:
        raise ValueError(
            f"need one prediction per gold unit and at least one unit: "
            f"{len(predicted)} predictions, {len(gold)} gold units"
        )


def _per_label(
    labels: Sequence[str], precision: Any, recall: Any, f1: Any, support: Any
) -> dict[str, dict[str, float | int | None]]:
    return {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": None if np.isnan(f1[i]) else float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }


def _safe_divide(numerator: Any, denominator: Any) -> np.ndarray:
    """Divide elementwise, with 0 where the denominator is 0 (sklearn's zero_division=0)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator)
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


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
