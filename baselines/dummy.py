"""Reference baselines: scikit-learn's DummyClassifier, majority class or stratified random.

NER is treated as token classification, so the majority baseline tags every token ``O`` and the
stratified one draws tags by their training frequency (repaired to strict IOB2).
"""

from __future__ import annotations

from itertools import accumulate, chain
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier

from baselines.data import Experiment, gold_labels
from migbench import repair_iob2


def majority(task: str, experiment: Experiment, seed: int) -> dict[str, list[Any]]:
    """Predict the most frequent training label (``O`` for every NER token)."""
    return _dummy("most_frequent", task, experiment, seed)


def stratified(task: str, experiment: Experiment, seed: int) -> dict[str, list[Any]]:
    """Draw labels at random with their training frequencies."""
    return _dummy("stratified", task, experiment, seed)


def _dummy(strategy: str, task: str, experiment: Experiment, seed: int) -> dict[str, list[Any]]:
    targets = gold_labels(task, experiment.train)
    if task == "ner":
        targets = list(chain.from_iterable(targets))
    # A RandomState instance, not an int: an int would restart the same draws on every call.
    model = DummyClassifier(strategy=strategy, random_state=np.random.RandomState(seed))
    model.fit(np.zeros((len(targets), 1)), targets)
    predictions = {}
    for split, units in experiment.targets.items():
        if task != "ner":
            predictions[split] = model.predict(np.zeros((len(units), 1))).tolist()
            continue
        ends = list(accumulate(len(unit["tokens"]) for unit in units))
        tags = model.predict(np.zeros((ends[-1], 1))).tolist()
        starts = [0, *ends[:-1]]
        predictions[split] = [repair_iob2(tags[a:b]) for a, b in zip(starts, ends, strict=True)]
    return predictions
