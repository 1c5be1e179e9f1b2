"""Entity spans of a submission: read, checked against the unit text, aligned to gold tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple, Protocol, TypeGuard

import numpy as np

from migbench import jsonio
from migbench.scoring.alignment import TokenMismatchError, index_tokens, spans_to_codes
from migbench.scoring.entity_reader import read_entities
from migbench.scoring.gold import GoldError
from migbench.scoring.iob2 import tag_vocabulary
from migbench.scoring.submission.problems import json_type, received

_SPAN_KEYS = frozenset(("start", "end", "label", "text"))
_Span = tuple[int, int, int]  # start, end, type index


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
class Entities:
    """A unit's entity objects, read with every other unit's once all lines are checked."""

    entities: list[Any]
    row: dict[str, Any]


class SpanTable(NamedTuple):
    """Entity spans of some units: rows (start, end, type index), ``counts[i]`` for ``ids[i]``."""

    ids: list[str]
    counts: list[int]
    spans: np.ndarray


def is_integer(value: Any) -> TypeGuard[int]:
    """Whether a decoded JSON value is an integer (``true`` and ``false`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


class SpanReader:
    """Reads the entity objects of units against their texts and the entity types."""

    def __init__(self, units: Mapping[str, GoldUnit], types: Sequence[str]) -> None:
        self.units = units
        self.types = types
        self.type_index = {name: index for index, name in enumerate(types)}

    def table(self, pending: Mapping[str, Entities]) -> tuple[SpanTable, list[tuple[str, str]]]:
        """Read the entities of every unit: all at once, or one by one if that finds a problem.

        Returns:
            The spans of the units whose entities are sound, and (unit id, problem) for the
            others, the problem quoting the line received.
        """
        ids = list(pending)
        lists = [pending[unit_id].entities for unit_id in ids]
        lengths = [len(self.units[unit_id].text or "") for unit_id in ids]
        spans = read_entities(lists, lengths, self.type_index)
        if spans is not None:
            return SpanTable(ids, list(map(len, lists)), spans), []
        sound, counts, triples, problems = [], [], [], []
        for unit_id in ids:
            text = self.units[unit_id].text or ""
            unit_spans, messages = self._spans(pending[unit_id].entities, text)
            if messages:
                quoted = f"; received {received(pending[unit_id].row)}"
                problems += [(unit_id, message + quoted) for message in messages]
            else:
                sound.append(unit_id)
                counts.append(len(unit_spans))
                triples += unit_spans
        return SpanTable(sound, counts, np.array(triples, dtype=np.int64).reshape(-1, 3)), problems

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
            return None, [f"expected an object, not {json_type(entity)}"]
        start, end, label = entity.get("start"), entity.get("end"), entity.get("label")
        kind = self.type_index.get(label) if isinstance(label, str) else None
        shaped = entity.keys() <= _SPAN_KEYS
        if kind is None or not (shaped and is_integer(start) and is_integer(end)):
            return None, self._shape_messages(entity)
        if start >= end:
            return None, [f"start {start} >= end {end}; a span is end-exclusive and not empty"]
        if start < 0 or end > len(text):
            return None, [
                f"span {start}:{end} is out of bounds: the unit text has {len(text)} characters"
            ]
        if "text" in entity and entity["text"] != text[start:end]:
            actual = received(text[start:end])
            return None, [f"text {received(entity['text'])} but text[{start}:{end}] is {actual}"]
        return (start, end, kind), []

    def _shape_messages(self, entity: dict[str, Any]) -> list[str]:
        messages = [
            f"unexpected key {jsonio.quote(key)}" for key in entity if key not in _SPAN_KEYS
        ]
        for key in ("start", "end"):
            if key not in entity:
                messages.append(f"missing key {key!r}")
            elif not is_integer(entity[key]):
                messages.append(f"{key} must be an integer, not {json_type(entity[key])}")
        label = entity.get("label")
        if not isinstance(label, str) or label not in self.type_index:
            got = "missing" if "label" not in entity else received(label)
            messages.append(f"label {got} is not one of {', '.join(self.types)}")
        return messages


def align_spans(
    table: SpanTable, units: Mapping[str, GoldUnit], types: Sequence[str]
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
            f"span {start}:{end} {jsonio.clip(repr(texts[unit][start:end]))} does not start and "
            "end on token boundaries (tokens are runs of word characters or single other "
            "characters)"
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
