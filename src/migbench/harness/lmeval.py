r"""migbench's classification tasks for lm-evaluation-harness, scored by migbench's metrics.

The task files live in ``migbench/harness/lm_eval_tasks/`` (:func:`tasks_folder`, which
``python -m migbench.harness.lmeval`` prints); run them with::

    lm_eval --model hf --model_args pretrained=MODEL --tasks migbench \
        --include_path "$(python -m migbench.harness.lmeval)" --log_samples --output_path runs/

``migbench`` runs ``migbench_stance``, ``migbench_frame`` and ``migbench_mfc`` zero-shot;
``migbench_fewshot`` the same with examples in the prompt (``*_fewshot`` tasks). Every unit of the
dataset is evaluated, so the predictions form the cross-validation protocol's submission: a
zero-shot model is trained on nothing, and the examples a few-shot prompt shows for a unit are drawn
from the other folds only (one per label, chosen by a seeded draw on the unit's id). The harness
scores each choice's log-likelihood and predicts the likeliest; the metric is the task's main
score computed by migbench's own metric code, so it equals what ``migbench score --protocol cv``
gives for :func:`submission_from_samples` of the logged samples.

NER is not offered: a generated list of mentions must be mapped back to token spans (a mention
can occur several times in a unit, a model may change its spelling), and that parser would decide
much of the score; a tagger evaluated through ``migbench.folds`` avoids it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from migbench.harness.prompts import example, instructions
from migbench.scoring.evaluation import metrics
from migbench.scoring.gold import Gold, GoldError, GoldRecord
from migbench.scoring.tasks import get_task

#: The tasks offered: migbench's classification tasks.
TASKS = ("stance", "frame", "mfc")
#: Seed of the few-shot draws.
FEWSHOT_SEED = 0


def tasks_folder() -> Path:
    """Return the folder to pass to ``lm_eval --include_path``."""
    return Path(__file__).resolve().parent / "lm_eval_tasks"


@lru_cache(maxsize=2)
def units(dataset: str | None = None) -> tuple[GoldRecord, ...]:
    """Return every unit of the dataset (by default ``$MIGBENCH_DATASET`` or the checkout's)."""
    loaded = tuple(Gold(protocol="cv", dataset=dataset).units())
    if any(unit.text is None for unit in loaded):
        raise GoldError(
            "the dataset holds no text (the text-free variant): restore it with "
            "`migbench rehydrate` before running a language model on it"
        )
    return loaded


def documents(task: str) -> list[dict[str, Any]]:
    """Return the harness's documents of ``task``: one per unit, with its gold label's index."""
    labels = get_task(task).labels
    return [
        {
            "id": unit.id,
            "text": unit.text,
            "fold": unit.fold,
            "label": labels.index(getattr(unit, get_task(task).gold_field)),
        }
        for unit in units()
    ]


def fewshot_examples(task: str, unit_id: str, fold: int) -> list[GoldRecord]:
    """Return one example per label for ``unit_id``, drawn from units of the other folds.

    The draw is fixed by the unit's id and :data:`FEWSHOT_SEED`; a label that no other fold has
    is left out.
    """
    field = get_task(task).gold_field
    chosen = []
    for label in get_task(task).labels:
        pool = [u for u in units() if u.fold != fold and getattr(u, field) == label]
        if pool:
            key = hashlib.sha256(f"{FEWSHOT_SEED}:{unit_id}:{label}".encode()).digest()
            chosen.append(pool[int.from_bytes(key[:8], "big") % len(pool)])
    # Sorted by id, not by label, so that the last example does not always carry the same label.
    return sorted(chosen, key=lambda u: u.id)


def prompt(task: str, doc: dict[str, Any], *, fewshot: bool) -> str:
    """Return the prompt of one document: instructions, examples (few-shot), the text."""
    field = get_task(task).gold_field
    shots = fewshot_examples(task, doc["id"], doc["fold"]) if fewshot else []
    return (
        instructions(task)
        + "".join(example(str(u.text), getattr(u, field)) for u in shots)
        + example(doc["text"])
    )


def predicted(results: Sequence[Any]) -> int:
    """Return the index of the likeliest choice from the harness's ``(loglikelihood, greedy)``."""
    scores = [float(result[0]) for result in results]
    return max(range(len(scores)), key=scores.__getitem__)


def main_score(task: str, items: Iterable[tuple[int, int]]) -> float:
    """Return the task's main score over ``(gold index, predicted index)`` pairs (migbench's)."""
    labels = get_task(task).labels
    pairs = list(items)
    gold = [labels[g] for g, _ in pairs]
    prediction = [labels[p] for _, p in pairs]
    return float(metrics(task, gold, prediction)[get_task(task).main_metric])


def submission_from_samples(task: str, samples: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the migbench submission of the harness's logged samples of ``task``.

    Args:
        task: ``stance``, ``frame`` or ``mfc``.
        samples: The harness's samples (``results["samples"][name]`` of ``simple_evaluate``, or
            the lines of its ``samples_*.jsonl``): each with ``doc`` and ``resps``.
    """
    labels = get_task(task).labels
    return [
        {"id": sample["doc"]["id"], task: labels[predicted([r[0] for r in sample["resps"]])]}
        for sample in samples
    ]


def task_functions(task: str) -> dict[str, Any]:
    """Return the functions a task file names, keyed ``TASK_dataset``, ``TASK_prompt`` etc.

    ``TASK_dataset`` builds the harness's dataset (one ``test`` split of every unit);
    ``TASK_prompt`` and ``TASK_fewshot_prompt`` the prompts; ``TASK_results`` pairs a document's
    gold index with the predicted one under the main metric's name; ``TASK_score`` aggregates the
    pairs into the main score with migbench's metric.
    """
    metric = get_task(task).main_metric

    def dataset(**_: Any) -> Any:
        import datasets

        return datasets.DatasetDict({"test": datasets.Dataset.from_list(documents(task))})

    def results(doc: dict[str, Any], results: Sequence[Any]) -> dict[str, tuple[int, int]]:
        return {metric: (doc["label"], predicted(results))}

    return {
        f"{task}_dataset": dataset,
        f"{task}_prompt": lambda doc: prompt(task, doc, fewshot=False),
        f"{task}_fewshot_prompt": lambda doc: prompt(task, doc, fewshot=True),
        f"{task}_results": results,
        f"{task}_score": lambda items: main_score(task, items),
    }


if __name__ == "__main__":
    print(tasks_folder())
