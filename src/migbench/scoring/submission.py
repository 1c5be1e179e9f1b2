"""Submissions: read a JSONL file and check every line against its task and the gold.

One JSON object per line, keyed by unit id, with the prediction under the task's field. Every
problem is collected, with its line number and id, before a :class:`SubmissionError` is raised,
so one run reports them all. A valid submission comes back as :class:`Predictions`, aligned with
the gold units; entity spans are converted to IOB2 tags over the gold unit's tokens.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple, Protocol, TypeGuard

import numpy as np
import orjson

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.gcpause import without_cyclic_gc
from migbench.scoring.alignment import TokenMismatchError, index_tokens, spans_to_codes
from migbench.scoring.entity_reader import read_entities
from migbench.scoring.gold import GoldError
from migbench.scoring.iob2 import iob2_problems, tag_vocabulary
from migbench.scoring.tasks import TASKS, Task, prediction_types

#: Largest submission file read, in bytes.
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
#: Problems shown in an error message; the rest are counted.
MAX_SHOWN = 20
_SNIPPET_CHARS = 100
_SPAN_KEYS = frozenset(("start", "end", "label", "text"))
_Span = tuple[int, int, int]  # start, end, type index
_ALLOW_MISSING = "pass --allow-missing (allow_missing=True) to score missing units as wrong"


class GoldUnit(Protocol):
    """What a submission is checked against: a gold unit's id, text and number of tokens."""

    @property
    def id(self) -> str:
        """The unit's id."""

    @property
    def text(self) -> str | None:
        """The unit's text; None in the text-free dataset."""

    @property
    def n_tokens(self) -> int:
        """The number of the unit's tokens, which IOB2 tags follow one by one."""


@dataclass(frozen=True)
class Problem:
    """One problem of a submission: where it is and what is wrong."""

    line: int | None
    unit_id: str | None
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.unit_id is not None:
            where.append(f"id {jsonio.quote(self.unit_id)}")
        return f"{', '.join(where) or 'submission'}: {self.message}"


class SubmissionError(MigbenchError):
    """An invalid submission; ``problems`` holds every problem found."""

    def __init__(self, problems: Sequence[Problem], *, task: Task | None = None) -> None:
        self.problems = list(problems)
        self.task = task
        count = len(self.problems)
        lines = [f"invalid {task.name + ' ' if task else ''}submission: {count} problem(s)"]
        if task is not None:
            lines.append(f"expected one JSON object per line: {expected_line(task)}")
        lines += [f"  {problem}" for problem in self.problems[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"  and {count - MAX_SHOWN} more")
        super().__init__("\n".join(lines))


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


def expected_line(task: Task) -> str:
    """Describe one valid submission line of ``task``."""
    if task.is_sequence:
        return (
            '{"id": "<unit id>", "ner_tags": ["O", "B-GPE", "I-GPE", ...]} with one tag per gold '
            'token, or {"id": "<unit id>", "entities": [{"start": 0, "end": 5, "label": "GPE"}]} '
            "with character offsets into the unit text, end-exclusive"
        )
    labels = " | ".join(json.dumps(label) for label in task.labels)
    return f'{{"id": "<unit id>", "{task.name}": {labels}}}'


def task_of(data: bytes) -> Task:
    """Return the task whose prediction field the first line of a submission carries.

    Raises:
        SubmissionError: The first line is not a JSON object with one task's field.
    """
    first = data.removeprefix(codecs.BOM_UTF8).partition(b"\n")[0]
    try:
        row = orjson.loads(first)
    except orjson.JSONDecodeError as exc:
        raise SubmissionError([Problem(1, None, _unreadable_line(first, exc))]) from None
    if isinstance(row, dict):
        for task in TASKS.values():
            if any(name in row for name in task.submission_fields):
                return task
    fields = ", ".join(repr(name) for task in TASKS.values() for name in task.submission_fields)
    message = f"the first line carries none of the prediction fields {fields}"
    raise SubmissionError([Problem(1, None, f"{message}; received {_clip(_to_json(row))}")])


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
    tagset: str = "iob2",
    allow_missing: bool = False,
) -> Predictions:
    r"""Parse the bytes of a JSONL submission and check it against ``task`` and ``gold``.

    A UTF-8 byte order mark is skipped; lines end with ``\n`` (a ``\r`` before it is fine).

    Raises:
        SubmissionError: The submission is invalid; every problem is listed.
    """
    problems: list[Problem] = []
    rows = _parse_lines(data, problems)
    return _check(task, rows, gold, tagset, allow_missing, problems)


@without_cyclic_gc
def validate_rows(
    task: Task,
    rows: Iterable[Any],
    gold: Sequence[GoldUnit],
    *,
    tagset: str = "iob2",
    allow_missing: bool = False,
) -> Predictions:
    """Check in-memory submission rows (one dict per line) against ``task`` and ``gold``.

    Problems name a row by its position from 1, as its line in a file would be.

    Raises:
        SubmissionError: The submission is invalid; every problem is listed.
    """
    problems: list[Problem] = []
    numbered = list(enumerate(rows, 1))
    if not numbered:
        problems.append(Problem(None, None, "empty submission: no rows"))
    return _check(task, numbered, gold, tagset, allow_missing, problems)


def _parse_lines(data: bytes, problems: list[Problem]) -> list[tuple[int, Any]]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data:
        problems.append(Problem(None, None, "empty submission: no lines"))
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":  # the newline that ends the last line
        lines.pop()
    rows = []
    for number, raw in enumerate(lines, 1):
        try:
            row = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            problems.append(Problem(number, None, _unreadable_line(raw, exc)))
            continue
        if (problem := jsonio.structure_problem(raw, row)) is not None:
            problems.append(Problem(number, None, problem))
        else:
            rows.append((number, row))
    return rows


def _unreadable_line(raw: bytes, error: orjson.JSONDecodeError) -> str:
    """Say why a line is not a JSON value: not UTF-8, blank, or not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8: byte {raw[exc.start : exc.start + 1]!r} at column {exc.start}"
        return f"{message}; received {_clip(repr(raw))}"
    if not text.strip():
        return "blank line; every line must be a JSON object"
    return f"invalid JSON ({error}); received {_clip(text)}"


def _check(
    task: Task,
    rows: list[tuple[int, Any]],
    gold: Sequence[GoldUnit],
    tagset: str,
    allow_missing: bool,
    problems: list[Problem],
) -> Predictions:
    checker = _RowChecker(task, gold, tagset)
    found: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for number, row in rows:
        unit_id, value, messages = checker.check(row)
        if unit_id is not None and unit_id in first_line:
            messages.insert(0, f"duplicate id, first on line {first_line[unit_id]}")
        elif unit_id is not None:
            first_line[unit_id] = number
        if messages:
            received = f"; received {_clip(_to_json(row))}"
            problems += [Problem(number, unit_id, message + received) for message in messages]
        elif unit_id is not None:
            found[unit_id] = value
    if task.is_sequence:
        tags = {i: value for i, value in found.items() if not isinstance(value, _Entities)}
        problems += _iob2_problems(tags, first_line, checker.types)
        pending = {i: value for i, value in found.items() if isinstance(value, _Entities)}
        table, more = checker.span_table(pending, first_line)
        aligned, misaligned = _align_spans(table, checker.units, checker.types)
        found.update(aligned)
        problems += more
        for unit_id, message in misaligned:
            received = f"; received {_clip(_to_json(pending[unit_id].row))}"
            problems.append(Problem(first_line[unit_id], unit_id, message + received))
    missing = [unit.id for unit in gold if unit.id not in first_line]
    if not allow_missing and rows:
        problems += [
            Problem(None, i, f"no prediction for this unit; {_ALLOW_MISSING}") for i in missing
        ]
    if problems:
        problems.sort(key=lambda problem: (problem.line is None, problem.line or 0))
        raise SubmissionError(problems, task=task)
    return Predictions([found.get(unit.id) for unit in gold], missing)


def _iob2_problems(
    found: dict[str, list[str]], first_line: dict[str, int], types: Sequence[str]
) -> list[Problem]:
    ids = list(found)
    return [
        Problem(first_line[ids[index]], ids[index], message)
        for index, message in iob2_problems(list(found.values()), types)
    ]


def _align_spans(
    table: _SpanTable, units: dict[str, GoldUnit], types: Sequence[str]
) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Convert the entity spans of each unit to IOB2 tags over its gold tokens.

    Returns:
        The tags of each unit whose spans all fall on token boundaries, and the unit id and
        problem of each span that does not.

    Raises:
        GoldError: A gold unit has another number of tokens than the tokenizer finds in its text.
    """
    ids, spans = table.ids, table.spans
    texts = [units[unit_id].text or "" for unit_id in ids]
    try:
        index = index_tokens(texts, (units[unit_id].n_tokens for unit_id in ids))
    except TokenMismatchError as exc:
        unit_id = ids[exc.units[0]]
        message = f"gold unit {unit_id!r}: tokens are not the tokenizer's tokens of text"
        raise GoldError(message) from None
    span_units = np.repeat(np.arange(len(ids)), table.counts)
    codes, aligned = spans_to_codes(index, span_units, spans)
    problems = []
    for position in np.flatnonzero(~aligned).tolist():
        unit = int(span_units[position])
        start, end, _ = spans[position].tolist()
        message = (
            f"span {start}:{end} {texts[unit][start:end]!r} does not start and end on token "
            "boundaries (tokens are runs of word characters or single other characters)"
        )
        problems.append((ids[unit], message))
    names = np.array(list(tag_vocabulary(types)), dtype=object)[codes].tolist()
    bounds = index.unit_tokens.tolist()
    wrong = set(span_units[~aligned].tolist())
    tags = {
        unit_id: names[bounds[unit] : bounds[unit + 1]]
        for unit, unit_id in enumerate(ids)
        if unit not in wrong
    }
    return tags, problems


class _RowChecker:
    """Checks one parsed line: its id, its fields and its prediction."""

    def __init__(self, task: Task, gold: Sequence[GoldUnit], tagset: str) -> None:
        self.task = task
        self.units = {unit.id: unit for unit in gold}
        self.types = prediction_types(tagset) if task.is_sequence else ()
        self.tags = frozenset(tag_vocabulary(self.types))
        self.type_index = {name: index for index, name in enumerate(self.types)}
        self.foreign = {
            f: t.name for t in TASKS.values() if t is not task for f in t.submission_fields
        }

    def check(self, row: Any) -> tuple[str | None, Any, list[str]]:
        """Return the row's id (None if unusable), its prediction and its problems."""
        if not isinstance(row, dict):
            return None, None, [f"expected a JSON object, not {_json_type(row)}"]
        messages: list[str] = []
        unit_id = row.get("id")
        if not isinstance(unit_id, str):
            got = "missing" if "id" not in row else f"a {_json_type(unit_id)}, not a string"
            messages.append(f"id is {got}")
            unit_id = None
        unit = self.units.get(unit_id) if unit_id is not None else None
        if unit_id is not None and unit is None:
            messages.append("unknown id: no gold unit has it")
        field_messages = self._field_messages(row)
        messages += field_messages
        if field_messages:
            return unit_id, None, messages
        value: str | list[str] | _Entities | None
        if not self.task.is_sequence:
            value, more = self._label(row[self.task.name])
        elif unit is not None:
            value, more = self._sequence(row, unit)
        else:
            return unit_id, None, messages  # a tag sequence is checked against its gold unit
        return unit_id, value, messages + more

    def _field_messages(self, row: dict[str, Any]) -> list[str]:
        fields = self.task.submission_fields
        if len(row) == 2 and "id" in row and sum(field in row for field in fields) == 1:
            return []  # the usual line, told apart quickly
        messages = []
        for key in row:
            if key in self.foreign:
                messages.append(
                    f"field {jsonio.quote(key)} belongs to task {self.foreign[key]!r}; "
                    f"a {self.task.name} submission carries {' or '.join(map(repr, fields))}"
                )
            elif key != "id" and key not in fields:
                messages.append(f"unexpected field {jsonio.quote(key)}")
        given = [field for field in fields if field in row]
        if not given:
            messages.append(f"missing field {' or '.join(map(repr, fields))}")
        elif len(given) > 1:
            messages.append(f"both {' and '.join(map(repr, given))}; give one")
        return messages

    def _label(self, label: Any) -> tuple[str | None, list[str]]:
        name = self.task.name
        if not isinstance(label, str):
            return None, [f"{name} must be a string label, not {_json_type(label)}"]
        if label not in self.task.labels:
            expected = ", ".join(self.task.labels)
            return None, [f"unknown {name} label {jsonio.quote(label)}; expected one of {expected}"]
        return label, []

    def _sequence(
        self, row: dict[str, Any], unit: GoldUnit
    ) -> tuple[list[str] | _Entities | None, list[str]]:
        if "entities" in row:
            if unit.text is None:
                return None, [
                    "entities need the unit's text, which the text-free dataset lacks: submit "
                    "ner_tags, or score against the dataset with text (migbench rehydrate)"
                ]
            entities = row["entities"]
            if not isinstance(entities, list):
                return None, [f"entities must be an array of objects, not {_json_type(entities)}"]
            return _Entities(entities, row), []
        tags = row["ner_tags"]
        if not isinstance(tags, list):
            return None, [f"ner_tags must be an array of tags, not {_json_type(tags)}"]
        if len(tags) != unit.n_tokens:
            return None, [f"{len(tags)} tags for the unit's {unit.n_tokens} tokens"]
        if not self._known_tags(tags):
            position, tag = next((i, t) for i, t in enumerate(tags) if not self._known_tags([t]))
            return None, [f"tag {position} {_clip(_to_json(tag))} is not {self._tag_pattern()}"]
        return tags, []

    def _known_tags(self, tags: list[Any]) -> bool:
        try:
            return self.tags.issuperset(tags)
        except TypeError:  # an unhashable element
            return False

    def _tag_pattern(self) -> str:
        return f"O, B-X or I-X with X one of {', '.join(self.types)}"

    def span_table(
        self, pending: dict[str, _Entities], first_line: dict[str, int]
    ) -> tuple[_SpanTable, list[Problem]]:
        """Read the entities of every unit: all at once, or one by one if that finds a problem.

        Returns:
            The spans of the units whose entities are sound, and the problems of the others.
        """
        ids = list(pending)
        lists = [pending[unit_id].entities for unit_id in ids]
        lengths = [len(self.units[unit_id].text or "") for unit_id in ids]
        spans = read_entities(lists, lengths, self.type_index)
        if spans is not None:
            return _SpanTable(ids, list(map(len, lists)), spans), []
        sound, counts, triples, problems = [], [], [], []
        for unit_id in ids:
            text = self.units[unit_id].text or ""
            unit_spans, messages = self._spans(pending[unit_id].entities, text)
            if messages:
                received = f"; received {_clip(_to_json(pending[unit_id].row))}"
                line = first_line[unit_id]
                problems += [Problem(line, unit_id, message + received) for message in messages]
            else:
                sound.append(unit_id)
                counts.append(len(unit_spans))
                triples += unit_spans
        return _SpanTable(sound, counts, np.array(triples, dtype=np.int64).reshape(-1, 3)), problems

    def _spans(self, entities: list[Any], text: str) -> tuple[list[_Span], list[str]]:
        """Return a unit's entities as sorted (start, end, type index) triples, or its problems."""
        spans: list[_Span] = []
        messages: list[str] = []
        for number, entity in enumerate(entities):
            span, more = self._span(entity, text)
            messages += [f"entity {number}: {message}" for message in more]
            if span is not None:
                spans.append(span)
        if messages:
            return [], messages
        spans.sort()
        for (start, end, _), (next_start, next_end, _) in pairwise(spans):
            if next_start < end:
                messages.append(f"spans {start}:{end} and {next_start}:{next_end} overlap")
        return ([], messages) if messages else (spans, [])

    def _span(self, entity: Any, text: str) -> tuple[_Span | None, list[str]]:
        """Return an entity as (start, end, type index), or its problems."""
        if not isinstance(entity, dict):
            return None, [f"expected an object, not {_json_type(entity)}"]
        start, end, label = entity.get("start"), entity.get("end"), entity.get("label")
        kind = self.type_index.get(label) if isinstance(label, str) else None
        shaped = entity.keys() <= _SPAN_KEYS
        if kind is None or not (shaped and _is_integer(start) and _is_integer(end)):
            return None, self._shape_messages(entity)
        if start >= end:
            return None, [f"start {start} >= end {end}; a span is end-exclusive and not empty"]
        if start < 0 or end > len(text):
            return None, [
                f"span {start}:{end} is out of bounds: the unit text has {len(text)} characters"
            ]
        if "text" in entity and entity["text"] != text[start:end]:
            actual = _to_json(text[start:end])
            given = _clip(_to_json(entity["text"]))
            return None, [f"text {given} but text[{start}:{end}] is {actual}"]
        return (start, end, kind), []

    def _shape_messages(self, entity: dict[str, Any]) -> list[str]:
        messages = [
            f"unexpected key {jsonio.quote(key)}" for key in entity if key not in _SPAN_KEYS
        ]
        for key in ("start", "end"):
            if key not in entity:
                messages.append(f"missing key {key!r}")
            elif not _is_integer(entity[key]):
                messages.append(f"{key} must be an integer, not {_json_type(entity[key])}")
        label = entity.get("label")
        if not isinstance(label, str) or label not in self.type_index:
            got = "missing" if "label" not in entity else _clip(_to_json(label))
            messages.append(f"label {got} is not one of {', '.join(self.types)}")
        return messages


@dataclass(frozen=True)
class _Entities:
    """A unit's entity objects, read with every other unit's once all lines are checked."""

    entities: list[Any]
    row: dict[str, Any]


class _SpanTable(NamedTuple):
    """Entity spans of some units: rows (start, end, type index), ``counts[i]`` for ``ids[i]``."""

    ids: list[str]
    counts: list[int]
    spans: np.ndarray


def _is_integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def _json_type(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else "boolean"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _to_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # in-memory rows may hold values JSON cannot carry
        return repr(value)


def _clip(text: str) -> str:
    if len(text) <= _SNIPPET_CHARS:
        return text
    return text[: _SNIPPET_CHARS - 3] + "..."
