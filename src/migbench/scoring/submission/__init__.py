"""Submissions: read a JSONL file and check every line against its task and the gold.

One JSON object per line, keyed by unit id, with the prediction under the task's field. Lines
are read and checked one at a time; the first :data:`~.problems.MAX_KEPT` problems are kept,
with their line numbers and ids, and all are counted, before a :class:`SubmissionError` is
raised, so one run reports them and memory stays bounded whatever the file holds. A valid
submission comes back as :class:`Predictions`, aligned with the gold units; entity spans are
converted to IOB2 tags over the gold unit's tokens.

The modules: :mod:`.problems` (problems and the error), :mod:`.rows` (one line's checks),
:mod:`.spans` (entity spans and their alignment to tokens).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from migbench import jsonio
from migbench.gcpause import without_cyclic_gc
from migbench.scoring.iob2 import iob2_problems
from migbench.scoring.submission.problems import (
    MAX_SHOWN,
    Problem,
    ProblemLog,
    SubmissionError,
    expected_line,
    received,
)
from migbench.scoring.submission.rows import RowChecker
from migbench.scoring.submission.spans import Entities, GoldUnit, SpanReader, align_spans
from migbench.scoring.tasks import TASKS, Task, entity_types_of, prediction_types

__all__ = [
    "MAX_SHOWN",
    "MAX_SUBMISSION_BYTES",
    "GoldUnit",
    "Predictions",
    "Problem",
    "SubmissionError",
    "expected_line",
    "parse_submission",
    "read_submission",
    "task_of",
    "validate_rows",
]

#: Largest submission file read, in bytes.
MAX_SUBMISSION_BYTES = 32 * 1024 * 1024
_ALLOW_MISSING = "pass --allow-missing (allow_missing=True) to score missing units as wrong"


@dataclass(frozen=True)
class Predictions:
    """A valid submission aligned with the gold.

    Attributes:
        values: One entry per gold unit, in gold order: the label (classification tasks), the
            IOB2 tags (NER), or None where the submission has no line for the unit.
        missing: Ids of the gold units without a prediction.
    """

    values: list[Any]
    missing: list[str]


def task_of(data: bytes) -> Task:
    """Return the task whose prediction field the first line of a submission carries.

    Raises:
        SubmissionError: The first line is not a JSON object with one task's field.
    """
    row, problem = jsonio.parse_line(next(jsonio.jsonl_lines(data), (1, b""))[1])
    if problem is not None:
        raise SubmissionError([Problem(1, None, problem)])
    if isinstance(row, dict):
        for task in TASKS.values():
            if any(name in row for name in task.submission_fields):
                return task
    fields = ", ".join(repr(name) for task in TASKS.values() for name in task.submission_fields)
    message = f"the first line carries none of the prediction fields {fields}"
    raise SubmissionError([Problem(1, None, f"{message}; received {received(row)}")])


def read_submission(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_SUBMISSION_BYTES
) -> bytes:
    """Return the bytes of a submission file.

    Raises:
        SubmissionError: The path is not a regular file (a folder, FIFO or device), cannot be
            read, or holds more than ``max_bytes`` bytes.
    """
    try:
        return jsonio.read_bytes(path, max_bytes=max_bytes)
    except jsonio.InputError as exc:
        raise SubmissionError([Problem(None, None, str(exc))]) from None


@without_cyclic_gc
def parse_submission(
    task: Task,
    data: bytes,
    gold: Sequence[GoldUnit],
    *,
    entity_types: str | None = None,
    allow_missing: bool = False,
) -> Predictions:
    r"""Parse the bytes of a JSONL submission and check it against ``task`` and ``gold``.

    The lines follow :func:`migbench.jsonio.jsonl_lines`: a UTF-8 byte order mark is skipped;
    lines end with ``\n`` (a ``\r`` before it is fine).

    Raises:
        SubmissionError: The submission is invalid; the first problems are listed, all counted.
    """
    problems = ProblemLog()
    rows = _parse_lines(data, problems)
    checked = _check(task, rows, gold, entity_types, allow_missing, problems)
    if problems.count == 0 and not checked.seen:
        problems.add(Problem(None, None, "empty submission: no lines"))
    return checked.result(problems, task)


@without_cyclic_gc
def validate_rows(
    task: Task,
    rows: Iterable[Any],
    gold: Sequence[GoldUnit],
    *,
    entity_types: str | None = None,
    allow_missing: bool = False,
) -> Predictions:
    """Check in-memory submission rows (one dict per line) against ``task`` and ``gold``.

    Problems name a row by its position from 1, as its line in a file would be.

    Raises:
        SubmissionError: The submission is invalid; the first problems are listed, all counted.
    """
    problems = ProblemLog()
    checked = _check(task, enumerate(rows, 1), gold, entity_types, allow_missing, problems)
    if not checked.seen:
        problems.add(Problem(None, None, "empty submission: no rows"))
    return checked.result(problems, task)


def _parse_lines(data: bytes, problems: ProblemLog) -> Iterator[tuple[int, Any]]:
    for number, raw in jsonio.jsonl_lines(data):
        row, problem = jsonio.parse_line(raw)
        if problem is None:
            yield number, row
        elif problems.wants(number):
            problems.add(Problem(number, None, problem))


@dataclass
class _Checked:
    """What the line checks found: the predictions by unit id and whether any line was read."""

    values: dict[str, Any]
    missing: list[str]
    order: list[str]
    seen: bool

    def result(self, problems: ProblemLog, task: Task) -> Predictions:
        if problems:
            raise SubmissionError.from_log(problems, task=task)
        return Predictions([self.values.get(unit_id) for unit_id in self.order], self.missing)


def _check(
    task: Task,
    rows: Iterable[tuple[int, Any]],
    gold: Sequence[GoldUnit],
    entity_types: str | None,
    allow_missing: bool,
    problems: ProblemLog,
) -> _Checked:
    units = {unit.id: unit for unit in gold}
    chosen = entity_types_of(task, entity_types)
    types = prediction_types(chosen) if chosen is not None else ()
    checker = RowChecker(task, units, types)
    found: dict[str, Any] = {}
    # Only gold ids are remembered, so memory is bounded by the gold, not by the submission.
    first_line: dict[str, int] = {}
    seen = False
    for number, row in rows:
        seen = True
        unit_id, value, messages = checker.check(row)
        if unit_id is not None and unit_id in first_line:
            messages.insert(0, f"duplicate id, first on line {first_line[unit_id]}")
        elif unit_id is not None and unit_id in units:
            first_line[unit_id] = number
        if messages and problems.wants(number, len(messages)):
            quoted = f"; received {received(row)}"
            problems.extend(Problem(number, unit_id, message + quoted) for message in messages)
        elif unit_id is not None:
            found[unit_id] = value
    if task.is_sequence:
        tags = {i: value for i, value in found.items() if not isinstance(value, Entities)}
        ids = list(tags)
        for index, message in iob2_problems(list(tags.values()), types):
            problems.add(Problem(first_line[ids[index]], ids[index], message))
        pending = {i: value for i, value in found.items() if isinstance(value, Entities)}
        table, unreadable = SpanReader(units, types).table(pending)
        aligned, misaligned = align_spans(table, units, types)
        found.update(aligned)
        problems.extend(Problem(first_line[i], i, message) for i, message in unreadable)
        for unit_id, message in misaligned:
            quoted = f"; received {received(pending[unit_id].row)}"
            problems.add(Problem(first_line[unit_id], unit_id, message + quoted))
    missing = [unit.id for unit in gold if unit.id not in first_line]
    if not allow_missing and seen:
        problems.extend(
            Problem(None, i, f"no prediction for this unit; {_ALLOW_MISSING}") for i in missing
        )
    return _Checked(found, missing, [unit.id for unit in gold], seen)
