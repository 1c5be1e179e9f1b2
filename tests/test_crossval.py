"""migbench.folds: the cross-validation protocol as a loop, and examples/crossval.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import migbench
from migbench.crossval import UNLABELLED_FIELDS, FoldError
from migbench.scoring.submission import SubmissionError

#: Every test here reads the repository's dataset or guidelines.
pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def stance_folds():
    return migbench.folds("stance")


def test_every_unit_is_predicted_once_from_a_model_of_the_other_folds(stance_folds):
    seen = []
    for fold in stance_folds:
        evaluated = {unit["id"] for unit in fold.evaluation}
        assert not evaluated & {unit["id"] for unit in fold.train}
        assert {unit["fold"] for unit in fold.train} == set(stance_folds.numbers) - {fold.number}
        seen += evaluated
    assert sorted(seen) == sorted(unit.id for unit in stance_folds.units)


def test_units_to_predict_carry_no_label(stance_folds):
    fold = next(iter(stance_folds))
    assert {key for unit in fold.evaluation for key in unit} == set(UNLABELLED_FIELDS)


def test_labels_are_the_training_units_gold(stance_folds):
    fold = stance_folds.fold(stance_folds.numbers[0])
    assert fold.labels() == [unit["stance"] for unit in fold.train]


def test_gold_predictions_score_one(tmp_path):
    cv = migbench.folds("frame")
    gold = {unit.id: unit.frame for unit in cv.units}
    for fold in cv:
        cv.predict(fold, [gold[unit["id"]] for unit in fold.evaluation])
    out = cv.write(tmp_path / "frame.jsonl")
    assert migbench.score("frame", out, protocol="cv", n_resamples=0)["main_score"] == 1.0


def test_ner_predictions_are_tag_lists(tmp_path):
    cv = migbench.folds("ner")
    for fold in cv:
        cv.predict(fold, [["O"] * len(unit["tokens"]) for unit in fold.evaluation])
    out = cv.write(tmp_path / "ner.jsonl")
    assert migbench.validate("ner", out, protocol="cv")["n_missing"] == 0


def test_a_wrong_number_of_predictions_names_the_fold(stance_folds):
    with pytest.raises(FoldError, match=r"fold 0 has \d+ units to predict, got 1 predictions"):
        stance_folds.predict(0, ["none"])


def test_an_unknown_fold_lists_the_folds(stance_folds):
    with pytest.raises(FoldError, match=r"no fold 99; the folds are \[0, 1, 2, 3, 4\]"):
        stance_folds.fold(99)


def test_writing_before_every_fold_is_predicted_writes_nothing(tmp_path):
    cv = migbench.folds("stance")
    cv.predict(0, ["none"] * len(cv.fold(0).evaluation))
    with pytest.raises(FoldError, match=r"folds \[1, 2, 3, 4\] have no predictions yet"):
        cv.write(tmp_path / "oof.jsonl")
    assert not list(tmp_path.iterdir())


def test_an_invalid_label_is_reported_and_nothing_is_written(tmp_path):
    cv = migbench.folds("stance")
    for fold in cv:
        cv.predict(fold, ["pro"] * len(fold.evaluation))
    with pytest.raises(SubmissionError, match="pro"):
        cv.write(tmp_path / "oof.jsonl")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_example_runs_and_its_score_is_the_scorers(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "stance.jsonl"
    result = subprocess.run(
        [sys.executable, "examples/crossval.py", str(out)],
        cwd=REPO,
        env={**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(
        r"stance f_avg (\d\.\d{3}) \(95% CI \d\.\d{3}-\d\.\d{3}\); "
        r"per fold \d\.\d{3} ± \d\.\d{3}\n",
        result.stdout,
    )
    assert match, result.stdout
    rescored = migbench.score("stance", out, protocol="cv", n_resamples=0)["main_score"]
    assert f"{rescored:.3f}" == match[1]
