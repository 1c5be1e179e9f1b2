"""The full-corpus cross-validation protocol as a loop: :func:`folds`.

Every unit of the dataset lies in one of five folds (the ``fold`` column, grouped by section).
:func:`folds` yields, per fold, the units of the other folds to train on and the fold's units to
predict; the predictions are collected fold by fold and written as one out-of-fold submission,
the file ``migbench score --protocol cv`` scores.

    >>> cv = migbench.folds("stance")                          # doctest: +SKIP
    >>> for fold in cv:                                        # doctest: +SKIP
    ...     model.fit(fold.texts("train"), fold.labels())
    ...     cv.predict(fold, model.predict(fold.texts("evaluation")))
    >>> cv.write("stance.oof.jsonl")                           # doctest: +SKIP

The units to predict carry no label of any layer, so that nothing of a fold's gold reaches the
model that predicts it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from migbench.errors import MigbenchError
from migbench.fileio import write_atomic
from migbench.scoring.gold import Gold, GoldRecord
from migbench.scoring.scorer import Scorer
from migbench.scoring.tasks import Task, get_task

#: Fields of a unit to predict: no label of any layer.
UNLABELLED_FIELDS = ("id", "text", "tokens", "doc_id", "fold")


class FoldError(MigbenchError):
    """Predictions that do not fit the fold they are given for, or a submission with gaps."""


@dataclass(frozen=True)
class Fold:
    """One fold of the protocol.

    Attributes:
        number: The fold's number (the dataset's ``fold`` value).
        task: The task whose labels :meth:`labels` returns.
        train: The units of every other fold, with the labels of every layer.
        evaluation: The fold's units, without labels (fields :data:`UNLABELLED_FIELDS`).
    """

    number: int
    task: Task
    train: tuple[dict[str, Any], ...]
    evaluation: tuple[dict[str, Any], ...]

    def texts(self, part: Literal["train", "evaluation"]) -> list[str]:
        """Return the text of each unit of ``part``, in order."""
        return [unit["text"] for unit in getattr(self, part)]

    def labels(self) -> list[Any]:
        """Return the task's gold label (tag list for ``ner``) of each training unit."""
        return [unit[self.task.gold_field] for unit in self.train]


class CrossValidation:
    """The folds of one task and the out-of-fold predictions collected from them.

    Iterating yields each :class:`Fold` in order of its number; :meth:`predict` records a fold's
    predictions and :meth:`write` writes the out-of-fold submission once every fold has them.
    """

    def __init__(self, task: Task, gold: Gold) -> None:
        self.task = task
        self.gold = gold
        self.units: list[GoldRecord] = gold.units()
        self._fold_of = {unit.id: unit.fold for unit in self.units if unit.fold is not None}
        if len(self._fold_of) != len(self.units):
            unfolded = [unit.id for unit in self.units if unit.fold is None]
            raise FoldError(f"{len(unfolded)} units have no fold, e.g. {unfolded[0]!r}")
        self._predictions: dict[int, list[Any]] = {}

    @property
    def numbers(self) -> list[int]:
        """The fold numbers, sorted."""
        return sorted(set(self._fold_of.values()))

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[Fold]:
        for number in self.numbers:
            yield self.fold(number)

    def fold(self, number: int) -> Fold:
        """Return fold ``number``.

        Raises:
            FoldError: No unit lies in that fold.
        """
        if number not in self.numbers:
            raise FoldError(f"no fold {number}; the folds are {self.numbers}")
        train = tuple(unit._asdict() for unit in self.units if unit.fold != number)
        evaluation = tuple(
            {field: getattr(unit, field) for field in UNLABELLED_FIELDS}
            for unit in self.units
            if unit.fold == number
        )
        return Fold(number, self.task, train, evaluation)

    def predict(self, fold: Fold | int, predictions: Sequence[Any]) -> None:
        """Record the predictions for a fold's units, in the order of ``fold.evaluation``.

        A label per unit; for ``ner``, a list of IOB2 tags per unit (one per token). Recording a
        fold again replaces its predictions.

        Raises:
            FoldError: The number of predictions is not the fold's number of units.
        """
        number = fold.number if isinstance(fold, Fold) else fold
        if number not in self.numbers:
            raise FoldError(f"no fold {number}; the folds are {self.numbers}")
        size = sum(unit.fold == number for unit in self.units)
        predictions = [_plain(value) for value in predictions]
        if len(predictions) != size:
            raise FoldError(
                f"fold {number} has {size} units to predict, got {len(predictions)} predictions"
            )
        self._predictions[number] = predictions

    def submission(self) -> list[dict[str, Any]]:
        """Return the out-of-fold submission: one line per unit, in the dataset's order.

        Raises:
            FoldError: A fold has no predictions yet.
        """
        missing = [number for number in self.numbers if number not in self._predictions]
        if missing:
            raise FoldError(
                f"folds {missing} have no predictions yet; call predict() for every fold"
            )
        field = self.task.submission_fields[0]
        remaining = {number: iter(values) for number, values in self._predictions.items()}
        return [
            {"id": unit.id, field: next(remaining[self._fold_of[unit.id]])} for unit in self.units
        ]

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Validate the out-of-fold submission against the gold and write it as JSONL.

        The file is written whole or not at all (:func:`migbench.fileio.write_atomic`).

        Returns:
            The path written.

        Raises:
            FoldError: A fold has no predictions yet.
            SubmissionError: A prediction is not a valid label (every problem is listed).
        """
        rows = self.submission()
        Scorer(self.task.name, self.gold).validate(rows)
        target = Path(path)
        write_atomic(target, b"".join(orjson.dumps(row) + b"\n" for row in rows))
        return target


def folds(task: str, *, dataset: str | os.PathLike[str] | None = None) -> CrossValidation:
    """Return the cross-validation folds of ``task`` over every unit of the dataset.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        dataset: The dataset folder or Hub id; by default the one the scorer finds.

    Raises:
        ValueError: An unknown task.
        GoldError: The dataset is not found or breaks the schema.
    """
    return CrossValidation(get_task(task), Gold(protocol="cv", dataset=dataset))


def _plain(value: Any) -> Any:
    """Return numpy scalars and arrays (what models predict) as Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
