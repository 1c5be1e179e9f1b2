"""TF-IDF + logistic regression for the classification tasks, with or without context.

Word (1-2) and character (2-5) n-gram TF-IDF features of the unit, a class-weighted logistic
regression, and its inverse regularisation strength C chosen by grouped cross-validation on
train. With context, word n-grams of the previous and the next unit (``prev_text``,
``next_text``) are two more feature blocks, each with its own vocabulary, so that a word says
something different in the unit and next to it. With the embedding, the unit's frozen sentence
embedding (:func:`baselines.embeddings.embed`, unit length as each n-gram block is) is one more
block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from baselines.data import Experiment, Unit, cv_groups, gold_labels, grouped_search
from baselines.embeddings import embed

#: Values of C tried by the grouped cross-validation.
C_GRID: list[float] = [0.1, 1.0, 10.0, 100.0]
#: The unit's neighbours, each a feature block of the context variant.
CONTEXT_FIELDS: tuple[str, ...] = ("prev_text", "next_text")
#: The column of the unit's sentence embedding in :func:`table`.
EMBEDDING = "embedding"


def _unit_features() -> FeatureUnion:
    # min_df=2: n-grams seen in one unit only cannot generalise, and they triple the features.
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    return FeatureUnion([("word", word), ("char", char)])


def _stack(column: Any) -> Any:
    import numpy as np

    return np.vstack(column)


def pipeline(seed: int, *, context: bool = False, embedding: bool = False) -> Pipeline:
    """Return the untrained pipeline; it reads a :func:`table` of the same options."""
    blocks: list[tuple[str, Any, str]] = [("text", _unit_features(), "text")]
    if context:
        blocks += [
            (name, TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2), name)
            for name in CONTEXT_FIELDS
        ]
    if embedding:
        blocks.append((EMBEDDING, FunctionTransformer(_stack), EMBEDDING))
    # newton-cg: several times faster than lbfgs here on 8,000 features and up to 15 classes.
    classifier = LogisticRegression(
        class_weight="balanced", solver="newton-cg", max_iter=1000, random_state=seed
    )
    return Pipeline([("tfidf", ColumnTransformer(blocks)), ("lr", classifier)])


def table(units: Sequence[Unit], *, embedding: bool = False, model: str | None = None) -> Any:
    """Return the pipeline's input: the units' text and context fields (and embeddings).

    ``model`` is the encoder of the embeddings (:func:`baselines.embeddings.embed`).
    """
    import pandas as pd

    fields = ("text", *CONTEXT_FIELDS)
    columns = {field: [unit[field] for unit in units] for field in fields}
    if embedding:
        columns[EMBEDDING] = list(embed([unit["text"] for unit in units], model))
    return pd.DataFrame(columns)


def fit_predict(
    task: str,
    experiment: Experiment,
    seed: int,
    *,
    context: bool = False,
    embedding: bool = False,
    model: str | None = None,
) -> dict[str, list[Any]]:
    """Train on the experiment's train units and predict its target splits.

    ``model`` is the encoder of the embeddings, with ``embedding``.
    """
    train = experiment.train
    fitted = grouped_search(
        pipeline(seed, context=context, embedding=embedding),
        {"lr__C": C_GRID},
        table(train, embedding=embedding, model=model),
        gold_labels(task, train),
        cv_groups(train),
        task,
    )
    return {
        split: fitted.predict(table(units, embedding=embedding, model=model)).tolist()
        for split, units in experiment.targets.items()
    }
