"""Split schemes: the official split, grouped cross-validation folds and genre transfer.

Units of one paragraph always stay together (they share context), and assignment is stratified on
stance × frame as far as the groups allow. Every random step is seeded.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.model_selection import StratifiedGroupKFold

SPLIT_SEED = 13
N_FOLDS = 5
NO_FOLD = -1


@dataclass(frozen=True)
class SplitRecord:
    """What a split scheme needs to know of a unit."""

    id: str
    doc_id: str
    paragraph: int
    genre: str
    stratum: str


def _fold_of(units: Sequence[SplitRecord], seed: int) -> list[int]:
    """Assign each unit to one of N_FOLDS grouped, stratified folds."""
    folds = [NO_FOLD] * len(units)
    splitter = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=seed)
    groups = [f"{u.doc_id}:{u.paragraph}" for u in units]
    with warnings.catch_warnings():
        # Rare stance × frame strata have fewer members than folds; StratifiedGroupKFold warns.
        warnings.simplefilter("ignore", UserWarning)
        for fold, (_, indices) in enumerate(
            splitter.split(units, [u.stratum for u in units], groups)
        ):
            for index in indices:
                folds[index] = fold
    return folds


def official_split(units: Sequence[SplitRecord], *, seed: int = SPLIT_SEED) -> dict[str, str]:
    """About 60/20/20 train/validation/test: fold 0 is test, fold 1 validation, the rest train."""
    names = {0: "test", 1: "validation"}
    return {
        u.id: names.get(fold, "train") for u, fold in zip(units, _fold_of(units, seed), strict=True)
    }


def train_folds(
    units: Sequence[SplitRecord], split: dict[str, str], *, seed: int = SPLIT_SEED
) -> dict[str, int]:
    """Grouped 5-fold cross-validation folds (0-4) over train; other units get ``NO_FOLD``."""
    train = [u for u in units if split[u.id] == "train"]
    folds = {u.id: NO_FOLD for u in units}
    folds.update({u.id: fold for u, fold in zip(train, _fold_of(train, seed), strict=True)})
    return folds


def genre_transfer_split(
    units: Sequence[SplitRecord], *, source_genre: str = "report", seed: int = SPLIT_SEED
) -> dict[str, str]:
    """Train and validation (one fold in five) from the report, test from the news articles."""
    source = [u for u in units if u.genre == source_genre]
    split = {u.id: "test" for u in units if u.genre != source_genre}
    split.update(
        {
            u.id: "validation" if fold == 0 else "train"
            for u, fold in zip(source, _fold_of(source, seed), strict=True)
        }
    )
    return split
