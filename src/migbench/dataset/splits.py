"""Split schemes: full-corpus cross-validation folds, the fixed split and genre transfer.

The headline protocol is K-fold cross-validation over the whole corpus (as SentEval scores its
small sets): every unit is in exactly one of :data:`N_FOLDS` folds. Folds are grouped by section
(the units from one heading to the next) so that a unit's neighbours, its context, are mostly in
its own fold; a document without headings (the news articles) is grouped by paragraph instead,
because one group per document would put all of its units, and for the MP's letter every
``against`` unit of the corpus, in a single fold. K is 5, not 10: each fine-tuned baseline trains
K times within the main job's budget, and with the 13 ``against`` units in 13 groups ten folds
would leave some folds with one or none.

The fixed train/validation/test split (for quick iteration) and the genre-transfer split keep
paragraphs together. Every assignment is stratified on stance × frame as far as the groups allow,
and seeded. Because the strata are gold labels, a corrected label would move units between
splits; the assignment of a released corpus is therefore frozen in ``seeds/splits.json`` and the
algorithm only assigns a corpus that has none.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.fileio import SEEDS, write_atomic
from migbench.schema import SPLITS

SPLIT_SEED = 13
N_FOLDS = 5
NO_FOLD = -1
SPLITS_NAME = "splits.json"
_MAX_LISTED = 20


@dataclass(frozen=True)
class SplitRecord:
    """What a split scheme needs to know of a unit.

    Attributes:
        section: The unit's section in its document (see :func:`sections`).
    """

    id: str
    doc_id: str
    paragraph: int
    section: int
    genre: str
    stratum: str


def sections(units: Sequence[tuple[str, str, int]]) -> list[int]:
    """Return the section of each unit, given ``(doc_id, unit_type, paragraph)`` in reading order.

    A section runs from one heading to the next; in a document without headings each paragraph
    is a section of its own.
    """
    with_headings = {doc for doc, unit_type, _ in units if unit_type == "heading"}
    numbers: list[int] = []
    current: dict[str, int] = {}
    for doc, unit_type, paragraph in units:
        if doc not in with_headings:
            numbers.append(paragraph)
            continue
        current[doc] = current.get(doc, 0) + (unit_type == "heading")
        numbers.append(current[doc])
    return numbers


def _fold_of(units: Sequence[SplitRecord], seed: int, *, by: str = "paragraph") -> list[int]:
    """Assign each unit to one of N_FOLDS folds, stratified, grouped ``by`` paragraph or section."""
    # scikit-learn takes a second to import and only a corpus without a frozen assignment needs it.
    from sklearn.model_selection import StratifiedGroupKFold

    folds = [NO_FOLD] * len(units)
    splitter = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=seed)
    groups = [f"{u.doc_id}:{getattr(u, by)}" for u in units]
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


def corpus_folds(units: Sequence[SplitRecord], *, seed: int = SPLIT_SEED) -> dict[str, int]:
    """Full-corpus cross-validation: every unit in one of the folds 0 to N_FOLDS - 1."""
    return {u.id: fold for u, fold in zip(units, _fold_of(units, seed, by="section"), strict=True)}


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


@dataclass(frozen=True)
class Assignment:
    """Each unit's official split, cross-validation fold and genre-transfer split."""

    official: dict[str, str]
    folds: dict[str, int]
    genre: dict[str, str]


def assign_splits(units: Sequence[SplitRecord], *, seed: int = SPLIT_SEED) -> Assignment:
    """Assign every unit by the seeded, grouped and stratified schemes above."""
    official = official_split(units, seed=seed)
    return Assignment(
        official, corpus_folds(units, seed=seed), genre_transfer_split(units, seed=seed)
    )


def write_assignment(path: Path, assignment: Assignment) -> None:
    """Write an assignment as JSON, one unit a line in id order, atomically."""
    lines = [
        f"  {json.dumps(uid)}: "
        + json.dumps(
            {
                "official": assignment.official[uid],
                "fold": assignment.folds[uid],
                "genre_transfer": assignment.genre[uid],
            }
        )
        for uid in sorted(assignment.official)
    ]
    write_atomic(path, "{\n" + ",\n".join(lines) + "\n}\n", owns=SEEDS)


def read_assignment(path: Path, unit_ids: Sequence[str]) -> Assignment:
    """Read a frozen assignment that must cover exactly ``unit_ids``.

    Raises:
        MigbenchError: Naming the file, every unit at fault and the valid values.
    """
    rows = jsonio.read_json(path)
    if not isinstance(rows, dict):
        raise MigbenchError(f"{path}: expected an object of unit id → split, got {type(rows)}")
    problems = [f"unit {uid}: no split" for uid in unit_ids if uid not in rows]
    problems += [
        f"unit {uid}: not a unit of the seeds" for uid in sorted(set(rows) - set(unit_ids))
    ]
    folds = set(range(N_FOLDS))
    for uid, row in sorted(rows.items()):
        row = row if isinstance(row, dict) else {}
        official, fold, genre = row.get("official"), row.get("fold"), row.get("genre_transfer")
        if official not in SPLITS or genre not in SPLITS:
            problems.append(
                f"unit {uid}: official and genre_transfer must each be one of {', '.join(SPLITS)}"
            )
        elif type(fold) is not int or fold not in folds:
            problems.append(f"unit {uid}: fold must be an integer from 0 to {N_FOLDS - 1}")
    if problems:
        more = len(problems) - _MAX_LISTED
        listed = problems[:_MAX_LISTED] + ([f"and {more} more"] if more > 0 else [])
        raise MigbenchError(f"{path}: invalid split assignment:\n  " + "\n  ".join(listed))
    return Assignment(
        {uid: rows[uid]["official"] for uid in unit_ids},
        {uid: rows[uid]["fold"] for uid in unit_ids},
        {uid: rows[uid]["genre_transfer"] for uid in unit_ids},
    )
