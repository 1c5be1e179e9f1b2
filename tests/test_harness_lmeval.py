"""migbench's lm-evaluation-harness tasks: prompts, few-shot draws, metric, and a run of lm_eval."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import migbench
from migbench.cli import main
from migbench.harness import lmeval
from migbench.harness.prompts import definitions, definitions_from_guidelines, instructions
from tests.tiny_models import tiny_gpt2

#: Every test here reads the repository's dataset or guidelines.
pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent


def test_the_shipped_definitions_are_the_guidelines():
    assert definitions_from_guidelines(REPO / "annotations" / "GUIDELINES.md") == definitions()


@pytest.mark.parametrize("task", lmeval.TASKS)
def test_the_prompt_defines_every_label(task):
    text = instructions(task)
    for label, definition in definitions()[task]["labels"].items():
        assert f"- {label}: {definition}" in text


@pytest.mark.parametrize("task", lmeval.TASKS)
def test_fewshot_examples_come_from_other_folds_one_per_label(task):
    field = migbench.get_task(task).gold_field
    for doc in lmeval.documents(task)[::37]:
        shots = lmeval.fewshot_examples(task, doc["id"], doc["fold"])
        assert all(shot.fold != doc["fold"] for shot in shots)
        labels = [getattr(shot, field) for shot in shots]
        assert len(labels) == len(set(labels))
        assert shots == lmeval.fewshot_examples(task, doc["id"], doc["fold"])


def test_a_fewshot_prompt_never_shows_the_unit_itself():
    for doc in lmeval.documents("frame"):
        prompt = lmeval.prompt("frame", doc, fewshot=True)
        assert prompt.count(f"Text: {doc['text']}\n") == 1


@pytest.mark.parametrize("task", lmeval.TASKS)
@pytest.mark.parametrize("seed", range(3))
def test_the_harness_metric_is_the_scorers(task, seed):
    rng = random.Random(seed)
    labels = migbench.get_task(task).labels
    docs = lmeval.documents(task)
    guesses = [rng.randrange(len(labels)) for _ in docs]
    harness = lmeval.main_score(task, [(d["label"], g) for d, g in zip(docs, guesses, strict=True)])
    rows = [{"id": d["id"], task: labels[g]} for d, g in zip(docs, guesses, strict=True)]
    assert harness == migbench.score(task, rows, protocol="cv", n_resamples=0)["main_score"]


def test_the_predicted_choice_is_the_likeliest():
    assert lmeval.predicted([(-3.0, False), (-0.5, False), (-2.0, True)]) == 1


@pytest.mark.slow
def test_lm_eval_runs_the_tasks_and_migbench_score_agrees(tmp_path, capsys, monkeypatch):
    lm_eval = pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    model = tiny_gpt2(tmp_path / "model", [doc["text"] for doc in lmeval.documents("stance")])
    names = ["migbench_frame", "migbench_stance_fewshot"]
    out = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model},dtype=float32",
        tasks=names,
        task_manager=TaskManager(include_path=str(lmeval.tasks_folder())),
        log_samples=True,
        device="cpu",
        batch_size=8,
    )
    for name in names:
        task = name.split("_")[1]
        metric = migbench.get_task(task).main_metric
        submission = tmp_path / f"{name}.jsonl"
        rows = lmeval.submission_from_samples(task, out["samples"][name])
        submission.write_text("".join(json.dumps(row) + "\n" for row in rows))
        capsys.readouterr()
        assert main(["score", "--task", task, "--protocol", "cv", str(submission)]) == 0
        scored = json.loads(capsys.readouterr().out)
        assert scored["n_missing"] == 0
        assert out["results"][name][f"{metric},none"] == scored["main_score"]
