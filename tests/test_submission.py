"""Submission validation: every malformed submission is reported with its line and id."""

from __future__ import annotations

import json

import pytest

from migbench.scoring.gold import GoldError
from migbench.scoring.submission import (
    MAX_SHOWN,
    SubmissionError,
    parse_submission,
    read_submission,
    validate_rows,
)
from migbench.scoring.tasks import TASKS

from .conftest import EXAMPLES as EXAMPLE_DIR
from .conftest import gold_units

GOLD = gold_units()
TEXT = {unit.id: unit.text for unit in GOLD}
EXAMPLES = {
    name: [json.loads(line) for line in (EXAMPLE_DIR / f"{name}.jsonl").read_text().splitlines()]
    for name in ("stance", "ner", "ner_entities")
}
FIRST, LAST = GOLD[0].id, GOLD[-1].id  # "US deports 104 Indian nationals ... to Amritsar."


def jsonl(rows: list) -> bytes:
    """Serialise rows: dicts as JSON, str and bytes as they are, one per line."""
    lines = [
        r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()
        for r in rows
    ]
    return b"\n".join(lines) + b"\n"


def replaced(example: str, line: int, row) -> bytes:
    """The example submission with line ``line`` (from 1) replaced by ``row``."""
    rows = list(EXAMPLES[example])
    rows[line - 1] = row
    return jsonl(rows)


def plus(example: str, *extra) -> bytes:
    """The example submission with lines appended."""
    return jsonl([*EXAMPLES[example], *extra])


def tags_of(line: int) -> list[str]:
    return list(EXAMPLES["ner"][line - 1]["ner_tags"])


def entity_line(*entities: dict) -> dict:
    return {"id": FIRST, "entities": list(entities)}


def problems_of(task: str, data: bytes, **options) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(SubmissionError) as caught:
        parse_submission(TASKS[task], data, GOLD, **options)
    return [(p.line, p.unit_id, p.message) for p in caught.value.problems]


MISSING_1 = (None, FIRST, "no prediction for this unit")
MISSING_12 = (None, LAST, "no prediction for this unit")
BROKEN_I = ["I-GPE", *tags_of(1)[1:]]
AFTER_O = tags_of(1)[:1] + ["O", "I-NORP"] + tags_of(1)[3:]
AFTER_OTHER = ["B-ORG", "I-GPE", *tags_of(1)[2:]]
GPE_US = {"start": 0, "end": 2, "label": "GPE"}

# (case id, task, submission bytes, expected problems: (line, id, message fragment)), in order.
MALFORMED = [
    ("empty file", "stance", b"", [(None, None, "empty submission")]),
    ("only a BOM", "stance", b"\xef\xbb\xbf", [(None, None, "empty submission")]),
    (
        "not UTF-8",
        "stance",
        replaced("stance", 1, b'{"id": "fixture-0001", "stance": "fav\xff"}'),
        [(1, None, "not UTF-8: byte b'\\xff' at column 37"), MISSING_1],
    ),
    (
        "Latin-1 file",
        "stance",
        replaced("stance", 1, '{"id": "fixture-0001", "stance": "none", "é": 1}'.encode("latin-1")),
        [(1, None, "not UTF-8"), MISSING_1],
    ),
    ("blank line", "stance", plus("stance", ""), [(13, None, "blank line")]),
    ("whitespace line", "stance", plus("stance", " \t\r"), [(13, None, "blank line")]),
    (
        "invalid JSON",
        "stance",
        replaced("stance", 1, '{"id": "fixture-0001", "stance": }'),
        [(1, None, "invalid JSON (unexpected character"), MISSING_1],
    ),
    (
        "truncated JSON",
        "stance",
        replaced("stance", 12, '{"id": "fixture-0012", "stance": "none"'),
        [(12, None, "invalid JSON"), MISSING_12],
    ),
    (
        "two objects on one line",
        "stance",
        replaced("stance", 1, '{"id": "fixture-0001", "stance": "none"} {"id": "x"}'),
        [(1, None, "invalid JSON (unexpected content after document"), MISSING_1],
    ),
    (
        "deeply nested JSON",
        "stance",
        plus("stance", "[" * 100_000 + "]" * 100_000),
        [(13, None, "invalid JSON")],
    ),
    (
        "array value",
        "stance",
        plus("stance", '["fixture-0001", "none"]'),
        [(13, None, "expected a JSON object, not array")],
    ),
    (
        "string value",
        "stance",
        plus("stance", '"none"'),
        [(13, None, "expected a JSON object, not string")],
    ),
    ("null value", "stance", plus("stance", "null"), [(13, None, "not null")]),
    ("number value", "stance", plus("stance", "3"), [(13, None, "not number")]),
    (
        "missing id",
        "stance",
        replaced("stance", 1, {"stance": "none"}),
        [(1, None, "id is missing"), MISSING_1],
    ),
    (
        "numeric id",
        "stance",
        replaced("stance", 1, {"id": 1, "stance": "none"}),
        [(1, None, "id is a number, not a string"), MISSING_1],
    ),
    (
        "unknown id",
        "stance",
        plus("stance", {"id": "fixture-9999", "stance": "none"}),
        [(13, "fixture-9999", "unknown id")],
    ),
    (
        "id with a lone surrogate",  # text that no UTF-8 can carry is not JSON here
        "stance",
        plus("stance", '{"id": "\\ud800", "stance": "none"}'),
        [(13, None, "invalid JSON (no low surrogate in string")],
    ),
    (
        "duplicate id",
        "stance",
        plus("stance", {"id": FIRST, "stance": "favor"}),
        [(13, FIRST, "duplicate id, first on line 1")],
    ),
    ("missing ids", "stance", jsonl(EXAMPLES["stance"][1:11]), [MISSING_1, MISSING_12]),
    (
        "unknown label",
        "stance",
        replaced("stance", 1, {"id": FIRST, "stance": "pro"}),
        [(1, FIRST, "unknown stance label 'pro'; expected one of favor, against, none")],
    ),
    (
        "label in upper case",
        "stance",
        replaced("stance", 1, {"id": FIRST, "stance": "None"}),
        [(1, FIRST, "unknown stance label 'None'")],
    ),
    (
        "numeric label",
        "stance",
        replaced("stance", 1, {"id": FIRST, "stance": 2}),
        [(1, FIRST, "stance must be a string label, not number")],
    ),
    (
        "list label",
        "stance",
        replaced("stance", 1, {"id": FIRST, "stance": ["none"]}),
        [(1, FIRST, "stance must be a string label, not array")],
    ),
    (
        "field of another task",
        "stance",
        replaced("stance", 1, {"id": FIRST, "frame": "rights"}),
        [
            (1, FIRST, "field 'frame' belongs to task 'frame'; a stance submission carries"),
            (1, FIRST, "missing field 'stance'"),
        ],
    ),
    (
        "extra field",
        "stance",
        replaced("stance", 1, {"id": FIRST, "stance": "none", "p": 0.9}),
        [(1, FIRST, "unexpected field 'p'")],
    ),
    (
        "no label field",
        "stance",
        replaced("stance", 1, {"id": FIRST}),
        [(1, FIRST, "missing field 'stance'")],
    ),
    (
        "tags of the wrong length",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": ["O"] * 11}),
        [(1, FIRST, "11 tags for the unit's 12 tokens")],
    ),
    (
        "tags as a string",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": "O O O"}),
        [(1, FIRST, "ner_tags must be an array of tags, not string")],
    ),
    (
        "unknown tag",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": ["B-PER", *tags_of(1)[1:]]}),
        [(1, FIRST, 'tag 0 "B-PER" is not O, B-X or I-X with X one of PERSON, NORP')],
    ),
    (
        "null tag",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": [None, *tags_of(1)[1:]]}),
        [(1, FIRST, "tag 0 null is not O, B-X or I-X")],
    ),
    (
        "I- opening a unit",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": BROKEN_I}),
        [(1, FIRST, "tag 0 'I-GPE' follows the start; in strict IOB2 an I-GPE must follow")],
    ),
    (
        "I- after O",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": AFTER_O}),
        [(1, FIRST, "tag 2 'I-NORP' follows 'O'")],
    ),
    (
        "I- after another type",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": AFTER_OTHER}),
        [(1, FIRST, "tag 1 'I-GPE' follows 'B-ORG'; in strict IOB2 an I-GPE must follow B-GPE")],
    ),
    (
        "tags and entities",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": tags_of(1), "entities": []}),
        [(1, FIRST, "both 'ner_tags' and 'entities'; give one")],
    ),
    (
        "neither tags nor entities",
        "ner",
        replaced("ner", 1, {"id": FIRST}),
        [(1, FIRST, "missing field 'ner_tags' or 'entities'")],
    ),
    (
        "a stance line in ner",
        "ner",
        replaced("ner", 1, {"id": FIRST, "stance": "none"}),
        [(1, FIRST, "field 'stance' belongs to task 'stance'"), (1, FIRST, "missing field")],
    ),
    (
        "entities as an object",
        "ner",
        replaced("ner_entities", 1, {"id": FIRST, "entities": {}}),
        [(1, FIRST, "entities must be an array of objects, not object")],
    ),
    (
        "entity as a list",
        "ner",
        replaced("ner_entities", 1, entity_line([0, 2, "GPE"])),
        [(1, FIRST, "entity 0: expected an object, not array")],
    ),
    (
        "entity without start",
        "ner",
        replaced("ner_entities", 1, entity_line({"end": 2, "label": "GPE"})),
        [(1, FIRST, "entity 0: missing key 'start'")],
    ),
    (
        "float offset",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "end": 2.0})),
        [(1, FIRST, "entity 0: end must be an integer, not number")],
    ),
    (
        "boolean offset",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "start": False})),
        [(1, FIRST, "entity 0: start must be an integer, not boolean")],
    ),
    (
        "string offset",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "start": "0"})),
        [(1, FIRST, "entity 0: start must be an integer, not string")],
    ),
    (
        "span past the end",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "end": 99})),
        [(1, FIRST, "entity 0: span 0:99 is out of bounds: the unit text has 65 characters")],
    ),
    (
        "negative start",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "start": -1})),
        [(1, FIRST, "entity 0: span -1:2 is out of bounds")],
    ),
    (
        "start equal to end",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "start": 2})),
        [(1, FIRST, "entity 0: start 2 >= end 2")],
    ),
    (
        "start after end",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "start": 9})),
        [(1, FIRST, "entity 0: start 9 >= end 2")],
    ),
    (
        "overlapping spans",
        "ner",
        replaced("ner_entities", 1, entity_line(GPE_US, {"start": 0, "end": 10, "label": "ORG"})),
        [(1, FIRST, "spans 0:2 and 0:10 overlap")],
    ),
    (
        "unknown entity type",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "label": "PER"})),
        [(1, FIRST, 'entity 0: label "PER" is not one of PERSON, NORP, ORG, GPE')],
    ),
    (
        "entity without label",
        "ner",
        replaced("ner_entities", 1, entity_line({"start": 0, "end": 2})),
        [(1, FIRST, "entity 0: label missing is not one of")],
    ),
    (
        "extra entity key",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "score": 1})),
        [(1, FIRST, "entity 0: unexpected key 'score'")],
    ),
    (
        "span inside a token",
        "ner",
        replaced("ner_entities", 1, entity_line({"start": 56, "end": 61, "label": "GPE"})),
        [(1, FIRST, "span 56:61 'Amrit' does not start and end on token boundaries")],
    ),
    (
        "span with a leading space",
        "ner",
        replaced("ner_entities", 1, entity_line({"start": 55, "end": 64, "label": "GPE"})),
        [(1, FIRST, "span 55:64 ' Amritsar' does not start and end on token boundaries")],
    ),
    (
        "span text that differs",
        "ner",
        replaced("ner_entities", 1, entity_line({**GPE_US, "text": "USA"})),
        [(1, FIRST, 'entity 0: text "USA" but text[0:2] is "US"')],
    ),
    (
        "CoNLL type without --entity-types conll",
        "ner",
        replaced("ner", 1, {"id": FIRST, "ner_tags": ["B-LOC", *tags_of(1)[1:]]}),
        [],  # LOC is also an OntoNotes type: valid
    ),
]


@pytest.mark.parametrize(
    ("task", "data", "expected"),
    [pytest.param(task, data, expected, id=name) for name, task, data, expected in MALFORMED],
)
def test_malformed_submission_is_reported_with_line_and_id(task, data, expected):
    if not expected:
        parse_submission(TASKS[task], data, GOLD)
        return
    problems = problems_of(task, data)
    assert [(line, unit_id) for line, unit_id, _ in problems] == [(n, i) for n, i, _ in expected]
    for (_, _, message), (_, _, fragment) in zip(problems, expected, strict=True):
        assert fragment in message


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        (["B-PER", *tags_of(1)[1:]], None),
        (["B-PERSON", "I-PER", *tags_of(1)[2:]], "tag 1 'I-PER' follows 'B-PERSON'"),
        (["B-MISC", *tags_of(1)[1:]], None),
        (["B-FOO", *tags_of(1)[1:]], "is not O, B-X or I-X"),
    ],
)
def test_conll_entity_types_accept_conll_types_in_strict_iob2(tags, fragment):
    data = replaced("ner", 1, {"id": FIRST, "ner_tags": tags})
    if fragment is None:
        parse_submission(TASKS["ner"], data, GOLD, entity_types="conll")
    else:
        [(_, _, message)] = problems_of("ner", data, entity_types="conll")
        assert fragment in message


def test_the_error_shows_the_expected_format_and_what_was_received():
    data = replaced("stance", 2, {"id": GOLD[1].id, "stance": "pro"})
    with pytest.raises(SubmissionError) as caught:
        parse_submission(TASKS["stance"], data, GOLD)
    message = str(caught.value)
    assert message.splitlines()[:2] == [
        "invalid stance submission: 1 problem(s)",
        'expected one JSON object per line: {"id": "<unit id>", "stance": '
        '"favor" | "against" | "none"}',
    ]
    assert 'received {"id": "fixture-0002", "stance": "pro"}' in message


def test_problems_are_all_collected_and_the_message_is_capped():
    rows = [{"id": f"nobody-{n}", "stance": "maybe"} for n in range(30)]
    with pytest.raises(SubmissionError) as caught:
        parse_submission(TASKS["stance"], jsonl(rows), GOLD)
    # Two problems per line (unknown id, unknown label), then the 12 gold units are missing.
    assert len(caught.value.problems) == 2 * 30 + 12
    lines = str(caught.value).splitlines()
    assert len(lines) == 2 + MAX_SHOWN + 1
    assert lines[-1] == f"  and {2 * 30 + 12 - MAX_SHOWN} more"


def test_missing_units_are_allowed_on_request_and_come_back_as_none():
    data = jsonl(EXAMPLES["stance"][1:])
    predictions = parse_submission(TASKS["stance"], data, GOLD, allow_missing=True)
    assert predictions.missing == [FIRST]
    assert predictions.values[0] is None
    assert predictions.values[1:] == [row["stance"] for row in EXAMPLES["stance"][1:]]


def test_predictions_follow_gold_order_not_file_order():
    data = jsonl(list(reversed(EXAMPLES["stance"])))
    values = parse_submission(TASKS["stance"], data, GOLD).values
    assert values == [row["stance"] for row in EXAMPLES["stance"]]


def test_bom_and_crlf_line_ends_are_accepted():
    data = b"\xef\xbb\xbf" + jsonl(EXAMPLES["stance"]).replace(b"\n", b"\r\n")
    assert parse_submission(TASKS["stance"], data, GOLD).missing == []


def test_last_line_needs_no_newline():
    data = jsonl(EXAMPLES["stance"]).rstrip(b"\n")
    assert len(parse_submission(TASKS["stance"], data, GOLD).values) == len(GOLD)


def test_entities_become_the_same_tags_as_ner_tags():
    from_tags = parse_submission(TASKS["ner"], jsonl(EXAMPLES["ner"]), GOLD)
    from_spans = parse_submission(TASKS["ner"], jsonl(EXAMPLES["ner_entities"]), GOLD)
    assert from_spans.values == from_tags.values


def test_a_gold_whose_tokens_are_not_the_tokenizers_is_a_gold_error():
    broken = [GOLD[0]._replace(tokens=GOLD[0].tokens[:-1], ner_tags=GOLD[0].ner_tags[:-1])]
    rows = [{"id": FIRST, "entities": [GPE_US]}]
    with pytest.raises(GoldError, match=f"gold unit '{FIRST}': tokens are not the tokenizer's"):
        validate_rows(TASKS["ner"], rows, broken)


def test_in_memory_rows_are_checked_like_lines_and_left_unchanged():
    rows = [dict(row) for row in EXAMPLES["ner"]]
    rows[0]["ner_tags"] = AFTER_O
    snapshot = json.dumps(rows)
    with pytest.raises(SubmissionError) as caught:
        validate_rows(TASKS["ner"], rows, GOLD)
    assert [(p.line, p.unit_id) for p in caught.value.problems] == [(1, FIRST)]
    assert json.dumps(rows) == snapshot


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([], "empty submission: no rows"),
        ([{"id": FIRST, "stance": {"none"}}], "stance must be a string label, not set"),
        ([("id", FIRST)], "expected a JSON object, not tuple"),
    ],
)
def test_in_memory_rows_of_other_python_types_are_reported(rows, fragment):
    with pytest.raises(SubmissionError) as caught:
        validate_rows(TASKS["stance"], rows, GOLD, allow_missing=True)
    assert fragment in str(caught.value)


def test_a_directory_is_not_a_submission(tmp_path):
    with pytest.raises(SubmissionError, match="is a folder, not a regular file"):
        read_submission(tmp_path)


def test_a_missing_file_cannot_be_read(tmp_path):
    with pytest.raises(SubmissionError, match=r"cannot be read \(No such file or directory\)"):
        read_submission(tmp_path / "absent.jsonl")


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl(EXAMPLES["stance"]))
    size = path.stat().st_size
    assert read_submission(path, max_bytes=size) == path.read_bytes()
    with pytest.raises(SubmissionError, match=f"larger than the {size - 1}-byte limit"):
        read_submission(path, max_bytes=size - 1)
