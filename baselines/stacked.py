"""Frame and mfc stacked: each task's classifier also reads the other task's probabilities.

Frame and mfc are labelled on the same units. For one of them, a class-weighted logistic
regression on the frozen sentence embeddings (:mod:`baselines.embeddings`) of the other task
gives class probabilities: out of fold on the training units (grouped by section, as the inner
selection groups them), and from its refit on all training units for the predicted units. The
task's own logistic regression reads the embedding followed by these probabilities (stacked
generalisation, Wolpert 1992); every C is chosen by grouped cross-validation on the training units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold, cross_val_predict

from baselines.data import Experiment, Unit, cv_groups, gold_labels
from baselines.embeddings import features, search_c

#: The task whose probabilities each task's classifier reads.
PARTNER: dict[str, str] = {"frame": "mfc", "mfc": "frame"}


def partner_probabilities(
    task: str, train: Sequence[Unit], targets: Sequence[Sequence[Unit]], seed: int, *, model: Any
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the partner task's class probabilities: out of fold on train, refit for targets."""
    partner = PARTNER[task]
    x, groups = features(train, context=False, model=model), cv_groups(train)
    search = search_c(partner, train, x, seed)
    folds = GroupKFold(n_splits=min(5, len(set(groups))))
    inner = cross_val_predict(
        search.best_estimator_,
        x,
        gold_labels(partner, train),
        groups=groups,
        cv=folds,
        method="predict_proba",
    )
    outer = [search.predict_proba(features(units, context=False, model=model)) for units in targets]
    return inner, outer


def fit_predict(
    task: str, experiment: Experiment, seed: int, *, model: str | None = None
) -> dict[str, list[Any]]:
    """Train on the experiment's train units and predict its target splits."""
    splits = list(experiment.targets)
    targets = [experiment.targets[split] for split in splits]
    inner, outer = partner_probabilities(task, experiment.train, targets, seed, model=model)
    own = features(experiment.train, context=False, model=model)
    search = search_c(task, experiment.train, np.hstack([own, inner]), seed)
    return {
        split: search.predict(
            np.hstack([features(units, context=False, model=model), probabilities])
        ).tolist()
        for split, units, probabilities in zip(splits, targets, outer, strict=True)
    }
