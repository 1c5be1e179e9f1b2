"""TF-IDF + logistic regression for the classification tasks.

Word (1-2) and character (2-5) n-gram TF-IDF features, a class-weighted logistic regression,
and its inverse regularisation strength C chosen by grouped cross-validation on train.
"""

from __future__ import annotations

from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from baselines.data import Experiment, cv_groups, gold_labels, grouped_search

#: Values of C tried by the grouped cross-validation.
C_GRID: list[float] = [0.1, 1.0, 10.0, 100.0]


def pipeline(seed: int) -> Pipeline:
    """Return the untrained TF-IDF + logistic regression pipeline."""
    # min_df=2: n-grams seen in one unit only cannot generalise, and they triple the features.
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    features = FeatureUnion([("word", word), ("char", char)])
    # newton-cg: several times faster than lbfgs here on 8,000 features and up to 15 classes.
    classifier = LogisticRegression(
        class_weight="balanced", solver="newton-cg", max_iter=1000, random_state=seed
    )
    return Pipeline([("tfidf", features), ("lr", classifier)])


def fit_predict(task: str, experiment: Experiment, seed: int) -> dict[str, list[Any]]:
    """Train on the experiment's train units and predict its target splits."""
    train = experiment.train
    model = grouped_search(
        pipeline(seed),
        {"lr__C": C_GRID},
        [unit["text"] for unit in train],
        gold_labels(task, train),
        cv_groups(train),
        task,
    )
    return {
        split: model.predict([unit["text"] for unit in units]).tolist()
        for split, units in experiment.targets.items()
    }
