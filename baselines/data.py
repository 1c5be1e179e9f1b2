"""Data helpers shared by the baselines: units, evaluation schemes, model selection, submissions.

A unit is a row of the dataset's ``all`` config with its labels decoded to strings, so that it
is at once a training example and a gold row the migbench scorer accepts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import migbench
from migbench.schema import CHOICE_LAYERS, EVALUATION_SPLITS, IOB2_TAGS, SPLITS
from migbench.scoring.gold import sections_of

REPO = Path(__file__).resolve().parent.parent
DATASET = REPO / "dataset"
PREDICTIONS = REPO / "baselines" / "predictions"
RESULTS = REPO / "baselines" / "results"

TASKS: tuple[str, ...] = tuple(migbench.TASKS)
#: Tasks with one label per unit.
CLASSIFICATION: tuple[str, ...] = tuple(n for n, t in migbench.TASKS.items() if not t.is_sequence)
#: Dataset config of each evaluation scheme; ``cv`` is the full-corpus cross-validation protocol.
SCHEME_CONFIGS: dict[str, str] = {"official": "all", "genre": "all_genre", "cv": "all"}
#: The scorer's protocol of each evaluation scheme.
SCHEME_PROTOCOLS: dict[str, str] = {"official": "split", "genre": "genre", "cv": "cv"}
#: Split name of a ``cv`` run's file: its out-of-fold predictions cover every unit.
EVERY_UNIT = "all"
#: Folder of a scheme's files under ``predictions/`` and ``results/``.
SCHEME_DIRS: dict[str, str] = {"official": "", "genre": "genre", "cv": "cv"}

Unit = dict[str, Any]


@dataclass(frozen=True)
class Experiment:
    """One training set and the splits predicted from it.

    Attributes:
        scheme: ``official``, ``genre`` or ``cv``.
        train: The training units.
        targets: Units to predict, by split name (``validation``/``test``; for one fold of
            ``cv``, :data:`EVERY_UNIT`, that fold's share of every unit).
    """

    scheme: str
    train: list[Unit]
    targets: dict[str, list[Unit]]


class PredictionName(NamedTuple):
    """What a prediction or result file holds, as its path says."""

    scheme: str
    baseline: str
    task: str
    split: str
    seed: int | None


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


def experiments(scheme: str, *, dataset: Path = DATASET) -> list[Experiment]:
    """Return the experiments of an evaluation scheme.

    ``official`` and ``genre`` train on their train split and predict validation and test;
    ``cv`` gives one experiment per fold of the full-corpus protocol: train on every unit of the
    other folds, predict the fold's units.
    """
    config = SCHEME_CONFIGS[scheme]
    if scheme != "cv":
        train = load_units(config, "train", dataset=dataset)
        targets = {split: load_units(config, split, dataset=dataset) for split in EVALUATION_SPLITS}
        return [Experiment(scheme, train, targets)]
    units = [unit for split in SPLITS for unit in load_units(config, split, dataset=dataset)]
    return [
        Experiment(
            scheme,
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


def selection_scorer(task: str) -> Callable[[Any, Any, Any], float]:
    """Return a scorer ``(estimator, x, y) -> float`` close to the task's main metric.

    It serves model selection only; results come from the migbench scorer.
    """
    from sklearn.metrics import f1_score

    def score(estimator: Any, x: Any, y: Any) -> float:
        predicted = estimator.predict(x)
        if task == "ner":
            return entity_f1(y, predicted)
        # Explicit labels: on a fold with two classes sklearn would treat this as binary F1.
        averaged = ["favor", "against"] if task == "stance" else sorted(set(y) | set(predicted))
        return f1_score(y, predicted, labels=averaged, average="macro", zero_division=0)

    return score


def entity_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Entity-level micro-F1, strict IOB2 (seqeval), for model selection."""
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2

    # GridSearchCV hands over numpy arrays; seqeval wants lists of lists.
    gold, predicted = [list(tags) for tags in gold], [list(tags) for tags in predicted]
    return f1_score(gold, predicted, mode="strict", scheme=IOB2, zero_division=0)


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


def prediction_path(root: Path, name: PredictionName) -> Path:
    """Return ``root/[scheme/]<baseline>.<task>.<split>[.seed<N>].jsonl``."""
    seed = "" if name.seed is None else f".seed{name.seed}"
    stem = f"{name.baseline}.{name.task}.{name.split}{seed}"
    return root / SCHEME_DIRS[name.scheme] / f"{stem}.jsonl"


_NAME = re.compile(r"(?P<baseline>[\w-]+)\.(?P<task>\w+)\.(?P<split>\w+)(?:\.seed(?P<seed>\d+))?")


def parse_name(path: Path) -> PredictionName:
    """Read what a prediction or result file holds from its path.

    Raises:
        ValueError: The path does not follow :func:`prediction_path`.
    """
    schemes = {folder: scheme for scheme, folder in SCHEME_DIRS.items()}
    folder = path.parent.name if path.parent.name in schemes else ""
    match = _NAME.fullmatch(path.name.removesuffix(path.suffix))
    if match is None or match["task"] not in TASKS:
        raise ValueError(f"{path} is not named <baseline>.<task>.<split>[.seed<N>]{path.suffix}")
    seed = None if match["seed"] is None else int(match["seed"])
    return PredictionName(schemes[folder], match["baseline"], match["task"], match["split"], seed)


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
