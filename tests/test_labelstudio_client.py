"""The Label Studio round trip's logic that needs no server: predictions, tasks, ids, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from label_studio_sdk.core.api_error import ApiError

from migbench.annotation.types import AnnotatedUnit, Annotation, Span
from migbench.cli import main
from migbench.corpus.segment import Unit
from migbench.corpus.tokenize import spans_to_iob2
from migbench.corpus.units import load_units
from migbench.errors import MigbenchError
from migbench.labelstudio.client import (
    Server,
    annotator_email,
    api_error_message,
    config_differences,
    push_tasks,
    read_predictions,
    restore_annotators,
)
from migbench.labelstudio.config import import_tasks, labeling_config
from migbench.labelstudio.export import (
    annotation_result,
    parse_export,
)

from .conftest import SEEDS

URL = "http://ls.example:8080"


@pytest.fixture(scope="module")
def units() -> list[Unit]:
    """The first three units of the repository's rubio-meeting document."""
    return load_units(SEEDS, ["rubio-meeting"])[1][:3]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def entity(text: str, surface: str, label: str) -> dict:
    start = text.index(surface)
    return {"start": start, "end": start + len(surface), "label": label}


def test_predictions_of_several_files_combine_per_unit(units, tmp_path):
    first, second = units[0], units[1]
    rubio = entity(first.text, "Marco Rubio", "PERSON")
    stance = write_jsonl(
        tmp_path / "stance.jsonl",
        [{"id": first.id, "stance": "favor"}, {"id": second.id, "stance": "none"}],
    )
    frame = write_jsonl(tmp_path / "frame.jsonl", [{"id": first.id, "frame": "security"}])
    ner = write_jsonl(tmp_path / "ner.jsonl", [{"id": first.id, "entities": [rubio]}])

    predictions = read_predictions([stance, frame, ner], units)

    assert predictions == {
        first.id: {
            "model_version": "stance+frame+ner",
            "result": annotation_result(
                {"stance": "favor", "frame": "security"}, [Span(**rubio, text="Marco Rubio")]
            ),
        },
        second.id: {
            "model_version": "stance+frame+ner",
            "result": annotation_result({"stance": "none"}, []),
        },
    }


def test_ner_tags_predictions_become_spans(units, tmp_path):
    first = units[0]
    rubio = entity(first.text, "Marco Rubio", "PERSON")
    tags = spans_to_iob2(first.text, [(rubio["start"], rubio["end"], "PERSON")])
    path = write_jsonl(tmp_path / "tags.jsonl", [{"id": first.id, "ner_tags": tags}])
    result = read_predictions([path], units)[first.id]["result"]
    assert result == annotation_result({}, [Span(**rubio, text="Marco Rubio")])


def test_predictions_are_read_as_the_scorer_reads_submissions(units, tmp_path):
    text = units[0].text
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"id": units[0].id, "stance": "favor"},
            {"id": "nope-0001", "stance": "favor"},
            {"id": units[1].id, "stance": "pro"},
            ["not", "an", "object"],
        ],
    )
    with pytest.raises(MigbenchError) as error:
        read_predictions([bad], units)
    message = str(error.value)
    assert message.startswith(f"{bad}: invalid stance submission: 3 problem(s)")
    for expected in ("line 2, id 'nope-0001'", "line 3, id 'rubio-meeting-0002'", "line 4"):
        assert expected in message
    entities = [entity(text, "NEW DELHI", "GPE"), entity(text, "DELHI", "GPE")]
    overlapping = write_jsonl(
        tmp_path / "overlap.jsonl", [{"id": units[0].id, "entities": entities}]
    )
    with pytest.raises(MigbenchError, match="spans 0:9 and 4:9 overlap"):
        read_predictions([overlapping], units)
    (tmp_path / "blank.jsonl").write_text(f'{{"id": "{units[0].id}", "mfc": "other"}}\n\n')
    with pytest.raises(MigbenchError, match="line 2: blank line"):
        read_predictions([tmp_path / "blank.jsonl"], units)


def test_a_file_without_a_prediction_field_or_a_second_file_of_one_task_is_refused(units, tmp_path):
    unknown = write_jsonl(tmp_path / "x.jsonl", [{"id": units[0].id, "sentiment": "positive"}])
    with pytest.raises(MigbenchError, match="carries none of the prediction fields"):
        read_predictions([unknown], units)
    one = write_jsonl(tmp_path / "one.jsonl", [{"id": units[0].id, "stance": "none"}])
    two = write_jsonl(tmp_path / "two.jsonl", [{"id": units[1].id, "stance": "none"}])
    with pytest.raises(MigbenchError, match=f"{two}: a second stance submission, after {one}"):
        read_predictions([one, two], units)


def test_a_prediction_text_must_match_the_unit(units, tmp_path):
    wrong = entity(units[0].text, "NEW DELHI", "GPE") | {"text": "Mumbai"}
    path = write_jsonl(tmp_path / "ner.jsonl", [{"id": units[0].id, "entities": [wrong]}])
    with pytest.raises(MigbenchError, match='text "Mumbai" but text\\[0:9\\] is "NEW DELHI"'):
        read_predictions([path], units)


def test_push_tasks_carry_annotations_as_annotator_accounts_and_predictions(units):
    labels = {"stance": "none", "frame": "neither", "mfc": "other"}
    span = Span(**entity(units[0].text, "India", "GPE"), text="India")
    gold = Annotation(6, True, labels, (span,), note="adjudicated")
    first = Annotation(1, False, labels | {"stance": "favor"}, ())
    annotated = {units[0].id: AnnotatedUnit(9, units[0].id, units[0].text, (first, gold))}
    prediction = {"model_version": "m", "result": annotation_result(labels, [])}

    tasks = push_tasks(import_tasks(units[:2]), annotated, {units[1].id: prediction})

    assert [task["data"]["unit_id"] for task in tasks] == [units[0].id, units[1].id]
    assert tasks[0]["annotations"] == [
        {
            "completed_by": {"email": "annotator-1@migbench.invalid"},
            "result": annotation_result(first.choices, ()),
            "ground_truth": False,
            "was_cancelled": False,
        },
        {
            "completed_by": {"email": "annotator-6@migbench.invalid"},
            "result": annotation_result(labels, (span,), "adjudicated"),
            "ground_truth": True,
            "was_cancelled": False,
        },
    ]
    assert tasks[0]["predictions"] == []
    assert tasks[1]["annotations"] == []
    assert tasks[1]["predictions"] == [prediction]


def test_restore_annotators_gives_back_the_annotator_ids(units):
    result = annotation_result({"stance": "none", "frame": "neither", "mfc": "other"}, ())
    annotations = [
        {"completed_by": 12, "result": result},
        {"completed_by": {"id": 13}, "result": result},
    ]
    export = [
        {
            "id": 1,
            "data": {"unit_id": units[0].id, "text": units[0].text},
            "annotations": annotations,
        }
    ]

    restored = restore_annotators(export, {12: 1, 13: 6})

    assert [a["completed_by"] for a in restored[0]["annotations"]] == [1, 6]
    assert [a.annotator for a in parse_export(restored, source="x")[0].annotations] == [1, 6]


def test_restore_annotators_refuses_users_without_an_annotator_account(units):
    export = [{"id": 1, "data": {}, "annotations": [{"completed_by": 1}, {"completed_by": 1}]}]
    with pytest.raises(MigbenchError, match=r"user 1 \(2 annotations\)"):
        restore_annotators(export, {12: 1})


def test_annotator_email_is_what_restore_reads_back():
    assert annotator_email(6) == "annotator-6@migbench.invalid"


def test_the_schema_config_matches_itself():
    assert config_differences(labeling_config()) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (('<Choice value="other"/>', ""), "control 'mfc' is Choices"),
        (('<Label value="LAW"', '<Label value="LAWS"'), "control 'ner' is Labels"),
        (('name="stance"', 'name="stance2"'), "missing control 'stance'"),
        (('value="$next_text"', 'value="$after"'), "object 'next_text' is Text of $after"),
        (("<View>", "<View><Choices"), "unparseable labeling config"),
    ],
)
def test_a_different_config_is_reported(edit, expected):
    differences = config_differences(labeling_config().replace(*edit, 1))
    assert any(expected in difference for difference in differences), differences


def test_api_errors_are_explained_without_the_key():
    def message(status: int, body=None, project=None) -> str:
        return api_error_message(URL, ApiError(status_code=status, body=body), project)

    assert "refused the API key in LABEL_STUDIO_API_KEY" in message(
        401, {"detail": "Invalid token."}
    )
    assert "may not do this" in message(403)
    assert (
        message(404, {"detail": "Not found."}, 7) == f"Label Studio at {URL} has no project 7 (404)"
    )
    assert "is that the server's address?" in message(404, "<html>...</html>")
    assert '{"title": ["Too short."]}' in message(
        400, {"validation_errors": {"title": ["Too short."]}}
    )


def test_missing_api_key(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(MigbenchError, match="set LABEL_STUDIO_API_KEY"):
        Server(URL)


def test_ls_without_a_subcommand_is_a_usage_error(capsys):
    assert main(["ls"]) == 2
    assert "push" in capsys.readouterr().err
