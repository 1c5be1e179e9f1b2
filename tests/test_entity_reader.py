"""The bulk entity reader agrees with the one-at-a-time check it stands in for."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from migbench.corpus.tokenize import tokenize
from migbench.schema import ENTITY_TYPES
from migbench.scoring.entity_reader import read_entities
from migbench.scoring.submission import SubmissionError, spans, validate_rows
from migbench.scoring.tasks import TASKS

from .conftest import gold_units

TYPE_INDEX = {name: index for index, name in enumerate(ENTITY_TYPES)}

# Values an entity field may take: mostly sound, sometimes of the wrong kind.
offsets = st.one_of(st.integers(-2, 70), st.booleans(), st.floats(0, 5), st.just(2**70))
labels = st.one_of(st.sampled_from(ENTITY_TYPES), st.sampled_from(("PER", "", "gpe")), st.none())


@st.composite
def unit_entities(draw, text: str, broken: bool) -> list:
    """A unit's entity objects: token-aligned spans, apart from one another, perhaps broken."""
    tokens = tokenize(text)
    firsts = sorted(draw(st.sets(st.integers(0, len(tokens) - 1), max_size=3)))
    items = []
    for first, stop in pairwise([*firsts, len(tokens)]):
        last = draw(st.integers(first, min(first + 2, stop - 1)))
        label = draw(st.sampled_from(ENTITY_TYPES))
        items.append({"start": tokens[first][0], "end": tokens[last][1], "label": label})
    for span in items if broken else ():
        if draw(st.integers(0, 19)) == 0:
            key = draw(st.sampled_from(("start", "end", "label", "text", "score", "drop")))
            if key == "drop":
                del span[draw(st.sampled_from(sorted(span)))]
            elif key == "text":
                span["text"] = draw(st.sampled_from((text[span["start"] : span["end"]], "x")))
            else:
                span[key] = draw(labels if key in ("label", "score") else offsets)
    if broken and items and draw(st.integers(0, 19)) == 0:
        items.append(dict(items[0]))  # overlaps its original
    if broken and draw(st.integers(0, 29)) == 0:
        items.append(draw(st.sampled_from((None, 3, "GPE", []))))
    return items


@st.composite
def submissions(draw) -> list[dict]:
    """Entity lines for the fixture's units, some of them broken in half of the submissions."""
    broken = draw(st.booleans())
    return [
        {"id": unit.id, "entities": draw(unit_entities(unit.text, broken))} for unit in gold_units()
    ]


def outcome(rows: list[dict]) -> object:
    try:
        return validate_rows(TASKS["ner"], rows, gold_units()).values
    except SubmissionError as exc:
        return [str(problem) for problem in exc.problems]


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_bulk_reading_gives_what_one_at_a_time_gives(rows):
    bulk = outcome(rows)
    event("valid" if isinstance(bulk[0], list) else "invalid")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spans, "read_entities", lambda *args: None)
        one_at_a_time = outcome(rows)
    assert bulk == one_at_a_time


def test_sound_entities_are_read_in_bulk_in_order():
    lists = [[{"start": 3, "end": 5, "label": "GPE"}, {"start": 0, "end": 2, "label": "DATE"}], []]
    spans = read_entities(lists, [10, 0], TYPE_INDEX)
    assert spans.tolist() == [[3, 5, TYPE_INDEX["GPE"]], [0, 2, TYPE_INDEX["DATE"]]]


@pytest.mark.parametrize(
    "entity",
    [
        {"start": 0, "end": 2, "label": "PER"},  # unknown type
        {"start": 0, "end": 2, "label": ["GPE"]},  # unhashable label
        {"start": 0, "end": 2},  # no label
        {"start": 0, "end": 2, "label": "GPE", "text": "US"},  # text: checked one at a time
        {"start": True, "end": 2, "label": "GPE"},  # a boolean is no offset
        {"start": 0.0, "end": 2, "label": "GPE"},
        {"start": 0, "end": 2**70, "label": "GPE"},
        {"start": 2, "end": 2, "label": "GPE"},  # empty
        {"start": -1, "end": 2, "label": "GPE"},
        {"start": 0, "end": 11, "label": "GPE"},  # past the text's 10 characters
        {"start": 1, "end": 4, "label": "GPE"},  # overlaps the sound span 3:5
    ],
)
def test_any_doubt_leaves_the_entities_to_the_one_at_a_time_check(entity):
    lists = [[{"start": 3, "end": 5, "label": "GPE"}, entity]]
    assert read_entities(lists, [10], TYPE_INDEX) is None
