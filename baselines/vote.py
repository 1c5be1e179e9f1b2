"""An ensemble: the majority vote of other baselines' predictions.

The registry's members are fixed in advance, not chosen by their scores: the plain baseline of
each family, frozen sentence embeddings (``embed-lr``), word n-grams (``tfidf-lr``) and the
fine-tuned encoder (``transformer``). The vote trains nothing: it reads the members'
submissions of the same protocol and split, which their runs wrote earlier in the main job, so
a unit's vote under cross-validation comes from models that never saw its fold. Where the three
disagree, the first member's label stands.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import migbench
from baselines.data import Experiment
from baselines.paths import PREDICTIONS, PredictionName, prediction_path
from migbench.errors import MigbenchError


class MissingMember(MigbenchError):
    """A member's submission the vote reads has not been written."""


def fit_predict(
    task: str, experiment: Experiment, seed: int, members: tuple[str, ...]
) -> dict[str, list[Any]]:
    """Return the members' majority label of every target unit.

    A member run with seeds is read at the vote's seed; a member run once, unseeded.

    Raises:
        MissingMember: A member's submission is missing, or lacks a target unit; run that
            baseline first.
    """
    from baselines.registry import BASELINES

    field = migbench.get_task(task).gold_field
    predictions = {}
    for split, units in experiment.targets.items():
        votes = []
        for member in members:
            seeds = BASELINES[member].seeds_in(experiment.protocol)
            name = PredictionName(
                experiment.protocol, member, task, split, None if seeds == (None,) else seed
            )
            path = prediction_path(PREDICTIONS, name)
            found = _read(path, field)
            if missing := [unit["id"] for unit in units if unit["id"] not in found]:
                raise MissingMember(
                    f"{path}: no prediction for {len(missing)} units ({missing[0]}, ...); "
                    "it is an older run's: run that baseline again"
                )
            votes.append([found[unit["id"]] for unit in units])
        predictions[split] = [_majority(labels) for labels in zip(*votes, strict=True)]
    return predictions


def _majority(labels: tuple[str, ...]) -> str:
    label, count = Counter(labels).most_common(1)[0]
    return label if count > 1 else labels[0]


def _read(path: Path, field: str) -> dict[str, str]:
    """Return the labels of a submission the main job wrote, by unit id."""
    if not path.is_file():
        raise MissingMember(f"{path}: missing; the vote reads it: run that baseline first")
    rows = map(json.loads, path.read_text(encoding="utf-8").splitlines())
    return {row["id"]: row[field] for row in rows}
