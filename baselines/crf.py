"""Conditional random field for NER (sklearn-crfsuite) on token, shape, affix and context features.

Its L2 penalty ``c2`` is chosen by grouped cross-validation on train.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sklearn_crfsuite import CRF

from baselines.data import Experiment, cv_groups, gold_labels, grouped_search
from migbench import repair_iob2

#: Values of the L2 penalty tried by the grouped cross-validation (L1 fixed at 0.1).
C2_GRID: list[float] = [0.01, 0.1, 1.0]


def shape(token: str) -> str:
    """Return the token's shape with runs collapsed: ``Amritsar`` → ``Xx``, ``H-1B`` → ``X-dX``."""
    coarse = re.sub(r"\d", "d", re.sub(r"[a-z]", "x", re.sub(r"[A-Z]", "X", token)))
    return re.sub(r"(.)\1+", r"\1", coarse)


def _token_features(token: str, prefix: str) -> dict[str, Any]:
    return {
        f"{prefix}lower": token.lower(),
        f"{prefix}shape": shape(token),
        f"{prefix}title": token.istitle(),
        f"{prefix}upper": token.isupper(),
    }


def features(tokens: Sequence[str]) -> list[dict[str, Any]]:
    """Return the CRF features of each token: itself, its affixes, and its two neighbours a side."""
    rows = []
    for i, token in enumerate(tokens):
        row: dict[str, Any] = {
            "bias": 1.0,
            **_token_features(token, ""),
            "digit": token.isdigit(),
            "length": min(len(token), 8),
            "prefix2": token[:2],
            "prefix3": token[:3],
            "suffix2": token[-2:],
            "suffix3": token[-3:],
        }
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                row.update(_token_features(tokens[j], f"{offset:+d}:"))
            else:
                row[f"{offset:+d}:edge"] = True
        rows.append(row)
    return rows


def fit_predict(task: str, experiment: Experiment, seed: int) -> dict[str, list[Any]]:
    """Train on the experiment's train units and predict the tags of its target splits.

    ``seed`` is unused: L-BFGS training of a CRF is deterministic.
    """
    if task != "ner":
        raise ValueError(f"the CRF baseline tags entities; task {task!r} is not ner")
    train = experiment.train
    crf = CRF(algorithm="lbfgs", c1=0.1, max_iterations=50, all_possible_transitions=True)
    model = grouped_search(
        crf,
        {"c2": C2_GRID},
        [features(unit["tokens"]) for unit in train],
        gold_labels(task, train),
        cv_groups(train),
        task,
    )
    return {
        split: [repair_iob2(tags) for tags in model.predict([features(u["tokens"]) for u in units])]
        for split, units in experiment.targets.items()
    }
