"""Export parsing: valid exports round-trip; malformed ones are refused with task id and reason."""

from __future__ import annotations

import copy

import pytest

from migbench.annotation.types import Span
from migbench.labelstudio.export import (
    ExportError,
    annotation_result,
    export_annotation,
    export_task,
    parse_export,
)

TEXT = "Mr Trump met Modi in the US-Mexico border town on Tuesday."
UNITS = {"doc-0001": TEXT, "doc-0002": "India is ready."}
SPANS = (Span(3, 8, "PERSON", "Trump"), Span(13, 17, "PERSON", "Modi"), Span(25, 27, "GPE", "US"))
CHOICES = {"stance": "none", "frame": "neither", "mfc": "political"}


def make_export() -> list[dict]:
    first = export_task(
        1,
        {"unit_id": "doc-0001", "text": TEXT},
        [
            export_annotation(11, 1, 1, annotation_result(CHOICES, SPANS), ground_truth=False),
            export_annotation(
                12, 1, 6, annotation_result(CHOICES, SPANS, "agreed"), ground_truth=True
            ),
        ],
    )
    second = export_task(
        2,
        {"unit_id": "doc-0002", "text": "India is ready."},
        [
            export_annotation(
                21,
                2,
                6,
                annotation_result(
                    {"stance": "favor", "frame": "security", "mfc": "crime_and_punishment"},
                    [Span(0, 5, "GPE", "India")],
                ),
                ground_truth=True,
            )
        ],
    )
    return [first, second]


def problems_of(export, **kwargs) -> list[str]:
    with pytest.raises(ExportError) as info:
        parse_export(export, source="x.json", unit_texts=UNITS, require_gold=True, **kwargs)
    return info.value.problems


def test_valid_export_parses_with_every_annotator_kept():
    tasks = parse_export(make_export(), source="x.json", unit_texts=UNITS, require_gold=True)
    assert [t.unit_id for t in tasks] == ["doc-0001", "doc-0002"]
    first = tasks[0]
    assert [a.annotator for a in first.annotations] == [1, 6]
    assert first.gold.spans == SPANS
    assert dict(first.gold.choices) == CHOICES
    assert first.gold.note == "agreed"


def test_cancelled_annotations_and_drafts_are_ignored():
    export = make_export()
    cancelled = copy.deepcopy(export[0]["annotations"][0])
    cancelled.update(id=13, completed_by=2, was_cancelled=True, result=[])
    export[0]["annotations"].append(cancelled)
    export[0]["drafts"] = [{"result": [{"bogus": True}]}]
    tasks = parse_export(export, source="x.json", unit_texts=UNITS, require_gold=True)
    assert [a.annotator for a in tasks[0].annotations] == [1, 6]


def region(export, task=0, annotation=1, index=0) -> dict:
    return export[task]["annotations"][annotation]["result"][index]


def span_region(export) -> dict:
    return next(r for r in export[0]["annotations"][1]["result"] if r["from_name"] == "ner")


def _missing_data(export):
    del export[0]["data"]


def _missing_text(export):
    del export[0]["data"]["text"]


def _missing_annotations(export):
    del export[0]["annotations"]


def _missing_completed_by(export):
    del export[0]["annotations"][1]["completed_by"]


def _span_text_differs(export):
    span_region(export)["value"]["text"] = "Trumps"


def _offsets_out_of_range(export):
    span_region(export)["value"].update(start=50, end=99)


def _start_after_end(export):
    span_region(export)["value"].update(start=8, end=3)


def _overlapping(export):
    export[0]["annotations"][1]["result"].append(
        {
            "id": "x",
            "from_name": "ner",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 3, "end": 12, "text": "Trump met", "labels": ["PERSON"]},
        }
    )


def _inside_token(export):
    span_region(export)["value"].update(start=3, end=6, text="Tru")


def _unknown_entity_label(export):
    span_region(export)["value"]["labels"] = ["POLITICIAN"]


def _unknown_choice(export):
    region(export)["value"]["choices"] = ["maybe"]


def _two_choices(export):
    region(export)["value"]["choices"] = ["favor", "against"]


def _unknown_from_name(export):
    region(export)["from_name"] = "sentiment"


def _duplicate_task(export):
    export.append(copy.deepcopy(export[0]))


def _unknown_unit(export):
    export[1]["data"]["unit_id"] = "doc-9999"


def _text_changed(export):
    export[1]["data"]["text"] = "India is not ready."


def _only_cancelled(export):
    for annotation in export[1]["annotations"]:
        annotation["was_cancelled"] = True


def _no_gold(export):
    export[1]["annotations"][0]["ground_truth"] = False


def _two_golds(export):
    export[0]["annotations"][0]["ground_truth"] = True


def _gold_missing_a_layer(export):
    export[1]["annotations"][0]["result"] = export[1]["annotations"][0]["result"][1:]


def _task_not_object(export):
    export.append("task")


MALFORMED = {
    "missing data": (_missing_data, "missing data.unit_id"),
    "missing text": (_missing_text, "missing data.text"),
    "missing annotations": (_missing_annotations, "missing annotations list"),
    "missing completed_by": (_missing_completed_by, "missing completed_by"),
    "span text differs": (_span_text_differs, "differs from the task text"),
    "offsets out of range": (_offsets_out_of_range, "out of range"),
    "start after end": (_start_after_end, "out of range"),
    "overlapping spans": (_overlapping, "overlapping spans"),
    "span inside a token": (_inside_token, "inside a token"),
    "unknown entity label": (_unknown_entity_label, "valid labels"),
    "unknown choice": (_unknown_choice, "Invalid value for control 'stance'"),
    "two choices": (_two_choices, "stance is single-choice"),
    "unknown from_name": (_unknown_from_name, "'sentiment' not found"),
    "duplicate task": (_duplicate_task, "duplicate task for unit doc-0001"),
    "unknown unit id": (_unknown_unit, "unknown unit id"),
    "text changed": (_text_changed, "differs from the unit's text"),
    "only cancelled": (_only_cancelled, "only cancelled annotations"),
    "no gold": (_no_gold, "0 ground_truth annotations"),
    "two golds": (_two_golds, "2 ground_truth annotations"),
    "gold missing a layer": (_gold_missing_a_layer, "gold has no choice for stance"),
    "task not an object": (_task_not_object, "must be a JSON object"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_export_is_refused_with_task_and_reason(case):
    corrupt, message = MALFORMED[case]
    export = make_export()
    corrupt(export)
    problems = problems_of(export)
    assert any(message in p for p in problems), problems
    assert all(p.startswith("x.json: ") for p in problems)
    assert any("task " in p or "item " in p for p in problems)


def test_every_problem_is_collected_before_failing():
    export = make_export()
    _span_text_differs(export)
    _unknown_unit(export)
    assert len(problems_of(export)) == 2


def test_result_round_trips_through_annotation_result():
    tasks = parse_export(make_export(), source="x.json", unit_texts=UNITS)
    gold = tasks[0].gold
    rebuilt = annotation_result(gold.choices, gold.spans, gold.note)
    assert rebuilt == make_export()[0]["annotations"][1]["result"]
