"""The committed annotations: valid, complete gold, two passes, and generated agreement files."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter

import pytest
from sklearn.metrics import cohen_kappa_score

from migbench.annotation.agreement import agreement_markdown, agreement_report, choice_agreement
from migbench.annotation.sampling import second_pass_sample
from migbench.annotation.store import ANNOTATORS_NAME, guidelines_of, read_annotators
from migbench.cli import main
from migbench.errors import MigbenchError
from migbench.labelstudio.export import EXPORTS, ExportError, load_annotated_units
from migbench.schema import CHOICE_LAYERS, ENTITY_TYPES

from .conftest import ANNOTATIONS, SEEDS


@pytest.mark.slow
def test_every_unit_has_exactly_one_complete_gold_annotation(
    repo_annotated, repo_annotators, repo_units
):
    assert set(repo_annotated) == {unit.id for unit in repo_units}
    for task in repo_annotated.values():
        golds = [a for a in task.annotations if a.ground_truth]
        assert len(golds) == 1, task.unit_id
        assert set(golds[0].choices) == set(CHOICE_LAYERS), task.unit_id
        assert repo_annotators[golds[0].annotator].annotation_pass == 0


def test_first_pass_covers_every_unit_and_second_pass_the_seeded_sample(
    repo_annotated, repo_annotators, repo_units
):
    def annotated_in(annotation_pass):
        return {
            task.unit_id
            for task in repo_annotated.values()
            for a in task.annotations
            if repo_annotators[a.annotator].annotation_pass == annotation_pass
        }

    assert annotated_in(1) == set(repo_annotated)
    sample = second_pass_sample(repo_units)
    assert annotated_in(2) == set(sample)
    for doc_id in {unit.doc_id for unit in repo_units}:
        own = [u.id for u in repo_units if u.doc_id == doc_id]
        assert sum(uid in sample for uid in own) >= 0.25 * len(own)


def test_every_pass_disagreement_has_an_adjudication_reason(repo_annotated, repo_annotators):
    report_rows = []
    for task in repo_annotated.values():
        by_pass = {repo_annotators[a.annotator].annotation_pass: a for a in task.annotations}
        if 2 in by_pass and any(
            by_pass[1].choices[layer] != by_pass[2].choices[layer] for layer in CHOICE_LAYERS
        ):
            report_rows.append(task)
            assert task.gold.note, f"{task.unit_id}: disagreement without an adjudication reason"
    assert report_rows


@pytest.mark.slow
def test_validate_annotations_passes_on_the_committed_exports():
    assert (
        main(["validate-annotations", "--seeds", str(SEEDS), "--annotations", str(ANNOTATIONS)])
        == 0
    )


@pytest.mark.slow
def test_validate_annotations_names_task_and_reason(tmp_path, capsys):
    copy = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS, copy)
    path = copy / EXPORTS / "mp-letter.json"
    export = json.loads(path.read_text(encoding="utf-8"))
    export[2]["annotations"][-1]["result"][0]["value"]["choices"] = ["maybe"]
    export[3]["annotations"] = [a for a in export[3]["annotations"] if not a["ground_truth"]]
    path.write_text(json.dumps(export), encoding="utf-8")
    assert main(["validate-annotations", "--seeds", str(SEEDS), "--annotations", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"task {export[2]['id']} (mp-letter-0003)" in err
    assert "Invalid value" in err
    assert "(mp-letter-0004): 0 ground_truth annotations" in err
    assert err.startswith("migbench: error: ")


@pytest.mark.integration
def test_a_unit_without_any_task_is_reported(repo_units, tmp_path):
    copy = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS, copy)
    path = copy / EXPORTS / "rubio-meeting.json"
    export = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(export[:-1]), encoding="utf-8")
    with pytest.raises(ExportError, match="unit rubio-meeting-0016: no task in the exports"):
        load_annotated_units(copy, repo_units)


def test_committed_agreement_files_are_what_the_command_writes(repo_annotated, repo_annotators):
    report = agreement_report(repo_annotated, repo_annotators)
    committed = json.loads((ANNOTATIONS / "agreement.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(report))
    assert (ANNOTATIONS / "AGREEMENT.md").read_text(encoding="utf-8") == agreement_markdown(report)


def test_choice_agreement_matches_sklearn_and_handles_a_single_label():
    first = ["favor", "none", "none", "against", "none", "favor"]
    second = ["favor", "none", "favor", "against", "none", "none"]
    scores = choice_agreement(first, second, ("favor", "against", "none"))
    assert math.isclose(scores["cohen_kappa"], cohen_kappa_score(first, second))
    assert scores["percent_agreement"] == 4 / 6
    assert sum(map(sum, scores["confusion"]["matrix"])) == 6
    constant = choice_agreement(["none"] * 3, ["none"] * 3, ("favor", "against", "none"))
    assert constant["krippendorff_alpha"] is None


@pytest.mark.slow
def test_agreement_refuses_an_annotator_missing_from_annotators_json(tmp_path, capsys):
    copy = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS, copy)
    path = copy / EXPORTS / "mp-letter.json"
    export = json.loads(path.read_text(encoding="utf-8"))
    export[0]["annotations"][0]["completed_by"] = 42
    path.write_text(json.dumps(export), encoding="utf-8")
    assert main(["agreement", "--seeds", str(SEEDS), "--annotations", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "annotator ids not in annotators.json: 42 (e.g. mp-letter-0001)" in err
    assert err.startswith("migbench: error: ")


def test_every_annotator_is_described_and_none_claims_to_be_human(repo_annotated, repo_annotators):
    used = {a.annotator for task in repo_annotated.values() for a in task.annotations}
    # A re-reading leaves no annotation of its own: its corrections are lines of the gold notes,
    # known by the guidelines version they were made under.
    versions = {guidelines_of(task.gold, repo_annotators) for task in repo_annotated.values()}
    rereadings = {
        a.id for a in repo_annotators.values() if a.id not in used and a.guidelines in versions
    }
    assert used | rereadings == set(repo_annotators)
    assert {repo_annotators[i].guidelines for i in rereadings} == {"1.2"}
    for annotator in repo_annotators.values():
        assert annotator.is_language_model, annotator.id
        assert annotator.kind != "human", annotator.id
        assert (annotator.model, annotator.model_version) == ("unknown", "unknown")
        assert "GUIDELINES.md v1." in annotator.instructions
    assert {a.kind for a in repo_annotators.values() if a.annotation_pass == 0} == {"adjudicator"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda row: row.update(kind="expert"), "id 1: unknown kind 'expert'; expected one of"),
        (lambda row: row.update(kind="human"), "id 1: a human needs model null"),
        (lambda row: row.pop("kind"), "id 1: "),
    ],
    ids=["unknown kind", "human with a model", "missing field"],
)
def test_a_bad_annotator_row_is_refused_by_id(tmp_path, edit, message):
    rows = json.loads((ANNOTATIONS / ANNOTATORS_NAME).read_text(encoding="utf-8"))
    edit(rows[0])
    (tmp_path / ANNOTATORS_NAME).write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(MigbenchError, match="not a valid annotator list") as err:
        read_annotators(tmp_path)
    assert message in str(err.value)


REVISION = re.compile(r"^v(?P<version>\d+\.\d+): (?P<layer>\w+) (?P<old>.+?) → (?P<new>.+?): \S")
CHANGE_COUNT = re.compile(
    r"^- (?P<version>\d+\.\d+):(?:(?!\n- ).)*?"
    r"changed (?P<labels>\d+) gold labels\s+on (?P<units>\d+) units"
    r" \(mfc (?P<mfc>\d+), stance (?P<stance>\d+), frame (?P<frame>\d+), entities (?P<ner>\d+)\)",
    re.MULTILINE | re.DOTALL,
)


def _revisions(repo_annotated):
    """Yield (unit, version, layer, old, new) for every revision line of a gold note."""
    for task in repo_annotated.values():
        for line in task.gold.note.splitlines():
            if match := REVISION.match(line):
                yield task, match["version"], match["layer"], match["old"], match["new"]
            else:
                assert not re.match(r"v\d", line), f"{task.unit_id}: malformed revision {line!r}"


def test_every_gold_revision_line_names_valid_labels_and_the_gold_has_the_new_one(repo_annotated):
    revisions = list(_revisions(repo_annotated))
    assert revisions
    for task, _, layer, old, new in revisions:
        if layer == "ner":
            (old_text, old_label), (new_text, new_label) = (v.rsplit(" ", 1) for v in (old, new))
            assert {old_label, new_label} <= set(ENTITY_TYPES), task.unit_id
            spans = {(s.text, s.label) for s in task.gold.spans}
            assert (new_text, new_label) in spans
            assert (old_text, old_label) not in spans
        else:
            assert layer in CHOICE_LAYERS
            assert {old, new} <= set(CHOICE_LAYERS[layer])
            assert old != new, task.unit_id
            assert task.gold.choices[layer] == new, task.unit_id


def test_the_change_log_counts_the_gold_revisions_of_each_version(repo_annotated):
    counted = {}
    for task, version, layer, _, _ in _revisions(repo_annotated):
        counted.setdefault(version, {"units": set(), "layers": Counter()})
        counted[version]["units"].add(task.unit_id)
        counted[version]["layers"][layer] += 1
    log = (ANNOTATIONS / "GUIDELINES.md").read_text(encoding="utf-8").split("## Change log")[1]
    logged = {m["version"]: m for m in CHANGE_COUNT.finditer(log)}
    assert set(logged) == set(counted)
    for version, entry in logged.items():
        layers = counted[version]["layers"]
        assert int(entry["units"]) == len(counted[version]["units"]), version
        assert int(entry["labels"]) == sum(layers.values()), version
        for layer in ("mfc", "stance", "frame", "ner"):
            assert int(entry[layer]) == layers[layer], (version, layer)
