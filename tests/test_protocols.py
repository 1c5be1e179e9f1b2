"""Scoring protocols: full-corpus cross-validation pooled and per fold, per-document breakdowns,
and finding the dataset from anywhere."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import warnings

import pytest
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.scheme import IOB2
from sklearn.metrics import f1_score

import migbench
from migbench.scoring.gold import DATASET_ENV, GoldError, _hub_rows, find_dataset, load_protocol
from migbench.scoring.iob2 import repair_iob2

from .conftest import DATASET, REPO


@pytest.fixture(scope="module")
def every_unit():
    return load_protocol("cv", dataset=DATASET)


def random_submission(units, task: str, seed: int) -> list[dict]:
    rng = random.Random(seed)
    declared = migbench.get_task(task)
    rows = []
    for unit in units:
        if declared.is_sequence:
            tags = [rng.choice(["O", "O", "O", "B-GPE", "I-GPE", "B-PERSON"]) for _ in unit.tokens]
            rows.append({"id": unit.id, "ner_tags": repair_iob2(tags)})
        else:
            gold = getattr(unit, declared.gold_field)
            guess = gold if rng.random() < 0.6 else rng.choice(declared.labels)
            rows.append({"id": unit.id, declared.name: guess})
    return rows


def reference(task: str, gold: list, predicted: list) -> float:
    """The main score computed directly with scikit-learn or seqeval."""
    declared = migbench.get_task(task)
    if declared.is_sequence:
        gold, predicted = [list(tags) for tags in gold], [list(tags) for tags in predicted]
        return seqeval_f1(gold, predicted, mode="strict", scheme=IOB2, zero_division=0)
    if declared.f_avg_labels:
        # A class in neither the gold nor the predictions has no F1 and stays out of F_avg.
        labels = [label for label in declared.f_avg_labels if label in {*gold, *predicted}]
        if not labels:
            return None
    else:
        labels = sorted(set(gold)) if declared.macro_over_gold else list(declared.labels)
    return f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)


def reference_f1(label: str, gold: list, predicted: list) -> float | None:
    """One class's F1 with scikit-learn; None where neither side has the class."""
    if label not in {*gold, *predicted}:
        return None
    return f1_score(gold, predicted, labels=[label], average="macro", zero_division=0)


@pytest.mark.integration
@pytest.mark.parametrize("task", list(migbench.TASKS))
def test_cv_scores_pooled_per_fold_and_per_document_as_sklearn_and_seqeval(every_unit, task):
    submission = random_submission(every_unit, task, seed=3)
    result = migbench.score(task, submission, protocol="cv", dataset=DATASET, n_resamples=0)
    field = migbench.get_task(task).gold_field
    gold = [getattr(unit, field) for unit in every_unit]
    predicted = [row[field] for row in submission]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert result["main_score"] == pytest.approx(reference(task, gold, predicted), abs=1e-12)
        assert (result["protocol"], result["split"], result["n_units"]) == ("cv", None, 363)
        per_fold = result["folds"]["per_fold"]
        assert sorted(per_fold) == list(range(5))
        for key, groups in (("fold", per_fold), ("doc_id", result["per_document"])):
            for group, row in groups.items():
                members = [i for i, u in enumerate(every_unit) if getattr(u, key) == group]
                expected = reference(
                    task, [gold[i] for i in members], [predicted[i] for i in members]
                )
                assert row["n_units"] == len(members)
                assert row["main_score"] == pytest.approx(expected)
                for label, part in row.get("components", {}).items():
                    part_gold = [gold[i] for i in members]
                    part_predicted = [predicted[i] for i in members]
                    assert part["support"] == part_gold.count(label)
                    assert part["f1"] == pytest.approx(
                        reference_f1(label, part_gold, part_predicted)
                    )
    scores = [row["main_score"] for row in per_fold.values() if row["main_score"] is not None]
    assert result["folds"]["mean"] == pytest.approx(sum(scores) / len(scores))


def test_a_cv_submission_must_cover_every_unit(every_unit):
    submission = random_submission(every_unit[:-1], "stance", seed=0)
    with pytest.raises(migbench.scoring.submission.SubmissionError, match="no prediction"):
        migbench.score("stance", submission, protocol="cv", dataset=DATASET, n_resamples=0)


@pytest.mark.integration
def test_the_hub_reader_gives_the_rows_the_folder_reader_gives():
    # datasets.load_dataset reads a Hub id and a local folder alike; a folder needs no network.
    via_datasets = [row["id"] for row in _hub_rows(str(DATASET), "all", "test")]
    assert via_datasets == [unit.id for unit in load_protocol("split", dataset=DATASET)]


@pytest.mark.integration
def test_scoring_works_from_outside_the_checkout(tmp_path):
    submission = REPO / "baselines" / "predictions" / "majority.stance.test.jsonl"
    env = {k: v for k, v in os.environ.items() if k != DATASET_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "migbench", "score", "--task", "stance", str(submission)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_units"] == 73


def test_the_environment_names_the_dataset_and_a_bad_name_says_what_is_expected(monkeypatch):
    monkeypatch.setenv(DATASET_ENV, str(DATASET))
    assert find_dataset() == DATASET
    monkeypatch.setenv(DATASET_ENV, "no/such/folder")
    with pytest.raises(GoldError, match="neither a dataset folder nor a Hub id"):
        find_dataset()
    assert find_dataset("org/name") == "org/name"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--protocol", "cv", "--split", "test"], "a split applies to split and genre only"),
        (["--gold", "x.jsonl", "--protocol", "cv"], "gold file replaces protocol"),
        (["--protocol", "folds"], "invalid choice: 'folds'"),
    ],
)
def test_protocol_usage_errors_exit_2(capsys, argv, message):
    from migbench.cli import main

    code = main(["score", "--task", "stance", "x.jsonl", *argv])
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"protocol": "cv", "split": "test"}, "a split applies to split and genre only"),
        ({"protocol": "cv", "gold": "x.jsonl"}, "gold file replaces protocol"),
        ({"split": "train"}, "unknown split 'train'"),
        ({"protocol": "folds"}, "unknown protocol 'folds'"),
    ],
)
def test_the_api_refuses_what_the_cli_refuses(options, message):
    with pytest.raises(ValueError, match=message):
        migbench.score("stance", "x.jsonl", **options)
