"""Entity spans of a submission: read, checked against the unit text, aligned to gold tokens.

Where the gold has no text (the text-free dataset), spans are checked against the text's length
and aligned with the gold's token offsets; an entity's optional ``text`` is then checked only
for its length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple, Protocol, TypeGuard

import numpy as np

from migbench import jsonio
from migbench.scoring.alignment import (
    TokenIndex,
    TokenMismatchError,
    index_offsets,
    index_tokens,
    spans_to_codes,
)
from migbench.scoring.entity_reader import read_entities
from migbench.scoring.gold import GoldError
from migbench.scoring.iob2 import tag_vocabulary
from migbench.scoring.submission.problems import json_type, received

_SPAN_KEYS = frozenset(("start", "end", "label", "text"))
_Span = tuple[int, int, int]  # start, end, type index


class GoldUnit(Protocol):
    """What a submission is checked against: a gold unit's id, text, tokens and their number."""

    @property
    def id(self) -> str:
        """The unit's id."""

    @property
    def text(self) -> str | None:
        """The unit's text; None in the text-free dataset."""

    @property
    def token_offsets(self) -> Sequence[tuple[int, int]] | None:
        """Each token's (start, end) character offsets in the text; None where not loaded."""

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


def text_length(unit: GoldUnit) -> int:
    """Return the length of a unit's text; without the text, the end of its last token.

    A unit's text starts and ends on a token (units are stripped), so both give the same length.
    """
    if unit.text is not None:
        return len(unit.text)
    return unit.token_offsets[-1][1] if unit.token_offsets else 0


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
        lengths = [text_length(self.units[unit_id]) for unit_id in ids]
        spans = read_entities(lists, lengths, self.type_index)
        if spans is not None:
            return SpanTable(ids, list(map(len, lists)), spans), []
        sound, counts, triples, problems = [], [], [], []
        for unit_id in ids:
            unit = self.units[unit_id]
            unit_spans, messages = self._spans(pending[unit_id].entities, unit)
            if messages:
                quoted = f"; received {received(pending[unit_id].row)}"
                problems += [(unit_id, message + quoted) for message in messages]
            else:
                sound.append(unit_id)
                counts.append(len(unit_spans))
                triples += unit_spans
        return SpanTable(sound, counts, np.array(triples, dtype=np.int64).reshape(-1, 3)), problems

    def _spans(self, entities: list[Any], unit: GoldUnit) -> tuple[list[_Span], list[str]]:
        """Return a unit's entities as sorted (start, end, type index) triples, or its problems."""
        spans: list[_Span] = []
        messages: list[str] = []
        for number, entity in enumerate(entities):
            span, more = self._span(entity, unit)
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

    def _span(self, entity: Any, unit: GoldUnit) -> tuple[_Span | None, list[str]]:
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
        length = text_length(unit)
        if start < 0 or end > length:
            return None, [
                f"span {start}:{end} is out of bounds: the unit text has {length} characters"
            ]
        if "text" not in entity:
            return (start, end, kind), []
        given, text = entity["text"], unit.text
        if text is not None and given != text[start:end]:
            actual = received(text[start:end])
            return None, [f"text {received(given)} but text[{start}:{end}] is {actual}"]
        if text is None and not (isinstance(given, str) and len(given) == end - start):
            # The text-free gold cannot show the span's text; its length is what can be checked.
            return None, [f"text {received(given)} is not {end - start} characters long"]
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
        GoldError: A gold unit has another number of tokens than the tokenizer finds in its text,
            or has neither text nor token offsets.
    """
    ids, spans = table.ids, table.spans
    gold = [units[unit_id] for unit_id in ids]
    texts = [unit.text for unit in gold]
    index = _token_index(gold)
    span_units = np.repeat(np.arange(len(ids)), table.counts)
    codes, aligned = spans_to_codes(index, span_units, spans)
    problems = []
    for position in np.flatnonzero(~aligned).tolist():
        unit = int(span_units[position])
        start, end, _ = spans[position].tolist()
        text = texts[unit]
        shown = "" if text is None else f" {jsonio.clip(repr(text[start:end]))}"
        message = (
            f"span {start}:{end}{shown} does not start and end on token boundaries (tokens are "
            "runs of word characters or single other characters)"
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


def _token_index(gold: Sequence[GoldUnit]) -> TokenIndex:
    """Locate the units' tokens: in their texts, or from their token offsets where text lacks."""
    if all(unit.text is not None for unit in gold):
        try:
            return index_tokens([unit.text or "" for unit in gold], (u.n_tokens for u in gold))
        except TokenMismatchError as exc:
            unit_id = gold[exc.units[0]].id
            message = f"gold unit {unit_id!r}: tokens are not the tokenizer's tokens of text"
            raise GoldError(message) from None
    offsets = [unit.token_offsets for unit in gold]
    if missing := next((u for u, o in zip(gold, offsets, strict=True) if o is None), None):
        raise GoldError(
            f"gold unit {missing.id!r} has neither text nor token_offsets: entity spans cannot "
            "be aligned with its tokens"
        )
    return index_offsets(
        [o for o in offsets if o is not None], (text_length(unit) for unit in gold)
    )
