"""The Label Studio round trip against a real server: push, pull, rebuild, and the error cases.

``make test`` runs the suite under ``scripts/labelstudio_server.py``, which starts a throwaway
server and sets LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY. Without them these tests skip, except
in CI (CI=true), where a missing server is a failure.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio

from migbench.annotation.store import AGREEMENT_NAME, ANNOTATORS_NAME
from migbench.annotation.types import AnnotatedUnit, Annotation
from migbench.cli import main
from migbench.corpus.units import load_units
from migbench.dataset.build import build_dataset
from migbench.errors import MigbenchError
from migbench.labelstudio.client import Server, annotator_email, push_tasks
from migbench.labelstudio.config import import_tasks, labeling_config
from migbench.labelstudio.export import (
    EXPORTS,
    annotation_result,
    load_annotated_units,
    parse_export,
    read_export,
)

from .conftest import ANNOTATIONS, DATASET, REPO, SEEDS

pytestmark = pytest.mark.labelstudio

URL = os.environ.get("LABEL_STUDIO_URL", "")
KEY = os.environ.get("LABEL_STUDIO_API_KEY", "")
DOC = "rubio-meeting"


def cli(*argv: str) -> tuple[int, str, str]:
    """Run ``migbench`` and return its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def pull(project: int, out: Path, url: str = URL) -> tuple[int, str, str]:
    return cli("ls", "pull", "--url", url, "--project", str(project), "--out", str(out))


@pytest.fixture(scope="module")
def sdk() -> LabelStudio:
    """The SDK client of the server under test; fails in CI and skips elsewhere without one."""
    if not (URL and KEY):
        reason = (
            "no Label Studio server: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY "
            "(make test runs pytest under scripts/labelstudio_server.py, which does)"
        )
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"CI needs the Label Studio integration tests to run: {reason}")
        pytest.skip(reason)
    return LabelStudio(base_url=URL, api_key=KEY)


@pytest.fixture(scope="module")
def units(sdk) -> dict:
    return {unit.id: unit for unit in load_units(SEEDS)[1]}


@pytest.fixture(scope="module")
def gold_round_trip(sdk, tmp_path_factory) -> Path:
    """An annotations folder whose only export is pulled from a push of the committed gold."""
    code, out, err = cli("ls", "push", "--url", URL, "--with-annotations")
    assert code == 0, err
    pushed = json.loads(out)
    assert KEY not in out + err
    folder = tmp_path_factory.mktemp("pulled") / "annotations"
    (folder / EXPORTS).mkdir(parents=True)
    for name in (ANNOTATORS_NAME, AGREEMENT_NAME):
        shutil.copy(ANNOTATIONS / name, folder / name)
    code, out, err = pull(pushed["project"], folder / EXPORTS / "all.json")
    assert code == 0, err
    assert json.loads(out)["tasks"] == pushed["tasks"]
    return folder


def test_round_trip_rebuilds_the_committed_dataset(gold_round_trip, tmp_path):
    built = tmp_path / "dataset"
    build_dataset(
        SEEDS,
        gold_round_trip,
        built,
        datasheet=REPO / "DATASHEET.md",
        significance_dir=REPO / "baselines" / "significance",
    )
    tables = sorted(path.relative_to(DATASET) for path in DATASET.rglob("*.parquet"))
    assert tables == sorted(path.relative_to(built) for path in built.rglob("*.parquet"))
    for name in tables:
        assert pq.read_table(built / name).equals(pq.read_table(DATASET / name)), name
    for name in ("stats.json", "README.md"):
        assert (built / name).read_bytes() == (DATASET / name).read_bytes(), name


def test_round_trip_keeps_every_annotation_and_annotator(gold_round_trip, units):
    def annotations(folder: Path) -> dict:
        tasks = load_annotated_units(folder, list(units.values()))
        return {unit: sorted(task.annotations, key=repr) for unit, task in tasks.items()}

    pulled, committed = annotations(gold_round_trip), annotations(ANNOTATIONS)
    assert pulled == committed
    assert {a.annotator for task in pulled.values() for a in task} == {1, 2, 3, 4, 5, 6}


def test_two_annotators_drafts_and_a_cancelled_annotation(sdk, units, tmp_path):
    first, second = [unit for unit in units.values() if unit.doc_id == DOC][:2]
    labels = {"stance": "none", "frame": "neither", "mfc": "political"}
    gold, other = (
        Annotation(7, True, labels, ()),
        Annotation(8, False, labels | {"frame": "both"}, ()),
    )
    annotated = {
        first.id: AnnotatedUnit(0, first.id, first.text, (gold, other)),
        second.id: AnnotatedUnit(0, second.id, second.text, (gold,)),
    }
    server = Server(URL)
    server.ensure_annotators({7, 8})
    tasks = push_tasks(import_tasks([first, second]), annotated, {})
    project = server.create_project("two annotators", tasks)
    task = next(
        task.id for task in sdk.tasks.list(project=project) if task.data["unit_id"] == second.id
    )
    account = next(user.id for user in sdk.users.list() if user.email == annotator_email(8))
    # What the Skip button sends, and an unsubmitted draft, as annotators leave them.
    sdk.annotations.create(id=task, result=[], was_cancelled=True, completed_by=account)
    draft = {"result": annotation_result(labels, ()), "lead_time": 1.0}
    headers = {"Authorization": f"Token {KEY}"}
    httpx.post(f"{URL}/api/tasks/{task}/drafts", json=draft, headers=headers).raise_for_status()

    code, _, err = pull(project, tmp_path / "export.json")

    assert code == 0, err
    raw = {task["data"]["unit_id"]: task for task in read_export(tmp_path / "export.json")}
    assert raw[second.id]["drafts"]
    kept = sorted((a["completed_by"], a["was_cancelled"]) for a in raw[second.id]["annotations"])
    assert kept == [(7, False), (8, True)]
    parsed = {task.unit_id: task for task in parse_export(list(raw.values()), source="pulled")}
    assert parsed[first.id].annotations == (gold, other)
    assert parsed[second.id].annotations == (gold,)


def test_predictions_arrive_as_predictions(sdk, units, tmp_path):
    gold = load_annotated_units(ANNOTATIONS, list(units.values()))
    ours = [unit for unit in units.values() if unit.doc_id == DOC][:3]
    elsewhere = next(unit for unit in units.values() if unit.doc_id != DOC)
    stance, ner = tmp_path / "stance.jsonl", tmp_path / "ner.jsonl"
    stance.write_text(
        "".join(json.dumps({"id": u.id, "stance": "favor"}) + "\n" for u in [*ours, elsewhere])
    )
    ner.write_text(
        "".join(
            json.dumps({"id": u.id, "entities": [vars(s) for s in gold[u.id].gold.spans]}) + "\n"
            for u in ours
        )
    )
    argv = ["ls", "push", "--url", URL, "--doc", DOC, "--predictions", str(stance)]
    code, out, err = cli(*argv, "--predictions", str(ner))
    assert code == 0, err
    project = json.loads(out)["project"]

    unit_of = {task.id: task.data["unit_id"] for task in sdk.tasks.list(project=project)}
    predictions = sdk.predictions.list(project=project)
    assert sorted(unit_of[p.task] for p in predictions) == sorted(u.id for u in ours)
    for prediction in predictions:
        spans = gold[unit_of[prediction.task]].gold.spans
        assert prediction.model_version == "stance+ner"
        assert prediction.result == annotation_result({"stance": "favor"}, spans)


def test_unreachable_server(sdk, tmp_path):
    with socket.socket() as sock:  # a port that nothing listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = pull(1, tmp_path / "export.json", url=f"http://127.0.0.1:{port}")
    assert code == 1
    assert "cannot reach Label Studio" in err
    assert "migbench: error: " in err


@pytest.mark.parametrize("token", ["0" * 40, None])
def test_wrong_or_missing_api_key(sdk, token, monkeypatch, tmp_path):
    if token is None:
        monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    else:
        monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    code, out, err = cli("ls", "push", "--url", URL, "--doc", DOC)
    assert code == 1
    assert not out
    assert "LABEL_STUDIO_API_KEY" in err
    assert "migbench: error: " in err
    assert token is None or (token not in err and "401" in err)


def test_unknown_project(sdk, tmp_path):
    code, _, err = pull(987654, tmp_path / "export.json")
    assert code == 1
    assert "no project 987654" in err
    assert "migbench: error: " in err


def test_project_with_another_labeling_config(sdk, tmp_path):
    config = labeling_config().replace('<Choice value="other"/>', "")
    project = sdk.projects.create(title="other config", label_config=config).id
    code, _, err = pull(project, tmp_path / "export.json")
    assert code == 1
    assert "does not use the migbench labeling config" in err
    assert "control 'mfc'" in err
    assert not (tmp_path / "export.json").exists()


def test_invalid_export_leaves_the_previous_file(sdk, units, tmp_path):
    unit = next(unit for unit in units.values() if unit.doc_id == DOC)
    server = Server(URL)
    task = import_tasks([unit])[0]
    edited = [{"data": task["data"] | {"text": unit.text + " (edited)"}}]
    project = server.create_project("edited text", edited)
    out = tmp_path / "export.json"
    out.write_text("the previous export\n")

    code, _, err = pull(project, out)

    assert code == 1
    assert "task text differs from the unit's text" in err
    assert "migbench: error: " in err
    assert out.read_text() == "the previous export\n"
    assert [path.name for path in tmp_path.iterdir()] == ["export.json"]


def test_annotations_by_other_users_are_refused(sdk, units, tmp_path):
    unit = next(unit for unit in units.values() if unit.doc_id == DOC)
    server = Server(URL)
    project = server.create_project("admin annotates", import_tasks([unit]))
    task = next(iter(sdk.tasks.list(project=project)))
    result = annotation_result({"stance": "none", "frame": "neither", "mfc": "other"}, ())
    sdk.annotations.create(id=task.id, result=result)

    code, _, err = pull(project, tmp_path / "export.json")

    assert code == 1
    assert "not annotator accounts" in err
    assert "migbench: error: " in err
    assert not (tmp_path / "export.json").exists()


def test_a_failed_import_leaves_no_project_behind(sdk):
    before = {project.id for project in sdk.projects.list()}
    with pytest.raises(MigbenchError) as caught:
        Server(URL).create_project("refused", [{"data": {"not_text": "no $text variable"}}])
    assert "400" in str(caught.value)
    assert {project.id for project in sdk.projects.list()} == before
