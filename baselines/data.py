"""Data helpers of the baselines: units, experiments per protocol, model selection, submissions.

A unit is a row of the dataset's ``all`` config with its labels decoded to strings, so that it
is at once a training example and a gold row the migbench scorer accepts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import migbench
from baselines.paths import DATASET, EVERY_UNIT
from migbench.schema import CHOICE_LAYERS, EVALUATION_SPLITS, IOB2_TAGS, SPLITS
from migbench.scoring.gold import sections_of

TASKS: tuple[str, ...] = tuple(migbench.TASKS)
#: Tasks with one label per unit.
CLASSIFICATION: tuple[str, ...] = tuple(n for n, t in migbench.TASKS.items() if not t.is_sequence)
#: The protocols, by name.
PROTOCOL_NAMES: tuple[str, ...] = tuple(migbench.PROTOCOLS)

Unit = dict[str, Any]


@dataclass(frozen=True)
class Experiment:
    """One training set and the splits predicted from it.

    Attributes:
        protocol: ``split``, ``genre`` or ``cv``.
        train: The training units.
        targets: Units to predict, by split name (``validation``/``test``; for one fold of
            ``cv``, :data:`EVERY_UNIT`, that fold's share of every unit).
    """

    protocol: str
    train: list[Unit]
    targets: dict[str, list[Unit]]


def labels(task: str) -> tuple[str, ...]:
    """Return the label set of ``task``: its classes, or the IOB2 tags for ``ner``."""
    declared = migbench.get_task(task)
    return IOB2_TAGS if declared.is_sequence else declared.labels


def gold_labels(task: str, units: Sequence[Unit]) -> list[Any]:
    """Return the gold label (tag list for ``ner``) of each unit."""
    return [unit[migbench.get_task(task).gold_field] for unit in units]


@lru_cache(maxsize=8)
def _load(dataset: Path, config: str) -> Any:
    from datasets import load_dataset

    # Read at call time: datasets reads the variable once, at import, which tests cannot redirect.
    # Prepared anew: a cache of an earlier build of the same folder can be served as current.
    return load_dataset(
        str(dataset),
        config,
        cache_dir=os.environ.get("HF_DATASETS_CACHE"),
        download_mode="force_redownload",
    )


def load_units(config: str, split: str, *, dataset: Path = DATASET) -> list[Unit]:
    """Load a split of a dataset config with its labels decoded to strings."""
    rows = _load(Path(dataset), config)[split]
    features = rows.features
    layers = [layer for layer in CHOICE_LAYERS if layer in features]
    tag_names = features["ner_tags"].feature.names if "ner_tags" in features else ()
    units = []
    for row in rows:
        for layer in layers:
            row[layer] = features[layer].int2str(row[layer])
        if tag_names:
            row["ner_tags"] = [tag_names[tag] for tag in row["ner_tags"]]
        units.append(row)
    return units


def experiments(protocol: str, *, dataset: Path = DATASET) -> list[Experiment]:
    """Return the experiments of a protocol.

    ``split`` and ``genre`` train on their train split and predict validation and test; ``cv``
    gives one experiment per fold of the full-corpus protocol: train on every unit of the other
    folds, predict the fold's units.
    """
    declared = migbench.PROTOCOLS[protocol]
    config = declared.config
    if not declared.pooled:
        train = load_units(config, "train", dataset=dataset)
        targets = {split: load_units(config, split, dataset=dataset) for split in EVALUATION_SPLITS}
        return [Experiment(protocol, train, targets)]
    units = [unit for split in SPLITS for unit in load_units(config, split, dataset=dataset)]
    return [
        Experiment(
            protocol,
            [unit for unit in units if unit["fold"] != fold],
            {EVERY_UNIT: [unit for unit in units if unit["fold"] == fold]},
        )
        for fold in sorted({unit["fold"] for unit in units})
    ]


def cv_groups(units: Sequence[Unit]) -> list[str]:
    """Return the group of each unit for grouped inner cross-validation on a training set.

    The unit's section, as the folds group units: units that share context never straddle an
    inner split.
    """
    return sections_of(list(units))


def inner_split(
    units: Sequence[Unit], *, seed: int, fraction: float = 0.2
) -> tuple[list[Unit], list[Unit]]:
    """Split training units into a fitting part and a development part, by :func:`cv_groups`.

    For the baselines that choose when to stop on held-out data: they hold out part of their
    training units, so that no evaluation split is seen before it is predicted.

    Returns:
        The fitting units and the development units (about ``fraction`` of them).
    """
    from sklearn.model_selection import GroupShuffleSplit

    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    fit, dev = next(splitter.split(units, groups=cv_groups(units)))
    return [units[i] for i in fit], [units[i] for i in dev]


def main_score(task: str, gold: Sequence[Any], predicted: Sequence[Any]) -> float:
    """Return the task's main score, as the scorer computes it (:func:`migbench.metrics`).

    Predicted NER tags are put into strict IOB2 first, as a submission must be.
    """
    if migbench.get_task(task).is_sequence:
        # GridSearchCV hands over numpy arrays; the metric wants lists of tags.
        gold = [list(tags) for tags in gold]
        predicted = [migbench.repair_iob2(list(tags)) for tags in predicted]
    return float(migbench.metrics(task, gold, predicted)[migbench.get_task(task).main_metric])


def selection_scorer(task: str) -> Callable[[Any, Any, Any], float]:
    """Return a scorer ``(estimator, x, y) -> float``: the task's main score on held-out folds.

    Model selection thus optimises what the scorer reports; the results come from the scorer.
    """

    def score(estimator: Any, x: Any, y: Any) -> float:
        return main_score(task, list(y), list(estimator.predict(x)))

    return score


def grouped_search(
    estimator: Any, grid: dict[str, list[Any]], x: Any, y: Any, groups: list[Any], task: str
) -> Any:
    """Choose hyper-parameters by grouped cross-validation and refit on all of ``x``.

    Returns:
        The fitted ``GridSearchCV``; it predicts with the refitted best estimator.
    """
    from sklearn.model_selection import GridSearchCV, GroupKFold

    search = GridSearchCV(
        estimator,
        grid,
        scoring=selection_scorer(task),
        cv=GroupKFold(n_splits=min(5, len(set(groups)))),
        error_score="raise",
    )
    return search.fit(x, y, groups=groups)


def write_submission(
    path: Path, task: str, units: Sequence[Unit], predictions: Sequence[Any]
) -> None:
    """Write one JSONL line per unit: its id and its prediction under the task's field."""
    if len(units) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(units)} units")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"id": unit["id"], migbench.get_task(task).gold_field: prediction})
        for unit, prediction in zip(units, predictions, strict=True)
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
