"""Property: any submission bytes end in a score or a SubmissionError, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import migbench
from migbench.scoring.submission import SubmissionError

from .conftest import REPO, gold_units

FIELDS = ("id", "stance", "frame", "mfc", "ner_tags", "entities", "text")
TAGS = ("O", "B-GPE", "I-GPE", "B-PERSON", "I-PERSON", "B-PER", "I-LOC", "B-DATE", "X")
EXAMPLE_FILES = {
    "stance": ("stance",),
    "frame": ("frame",),
    "mfc": ("mfc",),
    "ner": ("ner", "ner_entities"),
}
EXAMPLES = {
    task: [(REPO / f"examples/{name}.jsonl").read_bytes().splitlines() for name in names]
    for task, names in EXAMPLE_FILES.items()
}
LABELS = ("favor", "none", "rights", "economic", "other", "GPE", "PER", "", "Favor")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 120),
    st.floats(allow_nan=True),
    st.sampled_from(LABELS),
    st.text(max_size=5),
)
entities = st.lists(
    st.dictionaries(st.sampled_from(("start", "end", "label", "text", "p")), scalars, max_size=4),
    max_size=3,
)


@st.composite
def lines(draw) -> bytes:
    """One line: mostly a JSON object close to a valid submission line, sometimes raw bytes."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=40))
    unit = draw(st.sampled_from(gold_units()))
    row = {"id": draw(st.one_of(st.just(unit.id), scalars))}
    for field in draw(st.lists(st.sampled_from(FIELDS[1:]), max_size=2, unique=True)):
        if field == "ner_tags":
            size = draw(st.sampled_from((len(unit.tokens), len(unit.tokens), 0, 3)))
            row[field] = draw(st.lists(st.sampled_from(TAGS), min_size=size, max_size=size))
        elif field == "entities":
            row[field] = draw(st.one_of(entities, scalars))
        else:
            row[field] = draw(scalars)
    if kind == 1:
        return json.dumps([row]).encode()
    return json.dumps(row, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def cases(draw) -> tuple[str, bytes]:
    """A task and a submission: random bytes, or an example submission with some lines dropped
    and some replaced by arbitrary ones, so that both scores and errors are common."""
    task = draw(st.sampled_from(list(EXAMPLES)))
    if draw(st.integers(0, 4)) == 0:
        return task, draw(st.binary(max_size=200))
    example = draw(st.sampled_from(EXAMPLES[task]))
    rows = [line for line in example if draw(st.integers(0, 5))]
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(rows)))
        rows[position:position] = [draw(lines())]
    return task, b"\n".join(rows)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), allow_missing=st.booleans())
def test_any_bytes_end_in_a_score_or_a_submission_error(case, allow_missing):
    task, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "submission.jsonl"
        path.write_bytes(data)
        try:
            result = migbench.score(
                task, path, gold=gold_units(), allow_missing=allow_missing, n_resamples=10
            )
        except SubmissionError as exc:
            error = exc
        else:
            error = None
    if error is not None:
        assert error.problems
        assert str(error)
        event("submission error")
        return
    event("scored")
    assert 0.0 <= result["main_score"] <= 1.0
    assert result["n_units"] == len(gold_units())
