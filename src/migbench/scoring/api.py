"""The public scoring API: :func:`score` and :func:`validate` a submission against the gold.

Both validate the whole submission first and raise with every problem listed; nothing is
rounded and nothing is written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from migbench import __version__
from migbench.gcpause import without_cyclic_gc
from migbench.schema import DATASET_VERSION
from migbench.scoring.evaluation import evaluate
from migbench.scoring.gold import (
    DEFAULT_DATA_DIR,
    GoldRecord,
    gold_from_rows,
    load_gold_file,
    load_split,
)
from migbench.scoring.submission import (
    Predictions,
    parse_submission,
    read_submission,
    validate_rows,
)
from migbench.scoring.tasks import Task, check_options, get_task

log = logging.getLogger("migbench")

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0

PathLike = str | os.PathLike[str]
Rows = Iterable[Mapping[str, Any]]
Gold = PathLike | Rows | Iterable[GoldRecord]


@without_cyclic_gc
def score(
    task: str,
    predictions: PathLike | Rows,
    *,
    split: str = "test",
    gold: Gold | None = None,
    data_dir: PathLike = DEFAULT_DATA_DIR,
    tagset: str = "iob2",
    allow_missing: bool = False,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Validate a submission and score it against the gold.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        predictions: Path of a JSONL submission, or its lines as dicts.
        split: Split of the packaged dataset that is the gold; unused when ``gold`` is given.
        gold: Instead of the packaged split: the path of a gold JSONL file, gold rows as dicts,
            or gold units from :mod:`migbench.scoring.gold`'s loaders (to score many submissions
            against one gold without loading it each time).
        data_dir: Folder of the packaged dataset's parquet files.
        tagset: NER only: ``iob2`` (the schema's nine types) or ``conll`` (CoNLL-2003's four).
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        n_resamples: Bootstrap resamples for the interval of the main score; 0 for none.
        seed: Seed of the bootstrap.

    Returns:
        ``task``, ``main_metric``, ``main_score``, ``metrics``, ``ci`` (95 % interval of the
        main score, None without resamples), ``n_units``, ``n_missing``, ``tagset`` (NER),
        ``split`` and ``gold_file`` (the gold's source), ``dataset_version`` and
        ``scorer_version``. Nothing is rounded.

    Raises:
        ValueError: An unknown task, split or tagset, or a bad option.
        SubmissionError: The submission is invalid; every problem is listed.
        GoldError: The gold is missing or invalid.
    """
    declared, units, checked, source = prepare(
        task, predictions, split, gold, data_dir, tagset, allow_missing
    )
    gold_labels = [getattr(unit, declared.gold_field) for unit in units]
    scored = evaluate(
        declared, gold_labels, checked.values, tagset=tagset, n_resamples=n_resamples, seed=seed
    )
    return {
        "task": declared.name,
        **scored,
        "n_units": len(units),
        "n_missing": len(checked.missing),
        **({"tagset": tagset} if declared.is_sequence else {}),
        **source,
        "dataset_version": DATASET_VERSION,
        "scorer_version": __version__,
    }


def validate(
    task: str,
    predictions: PathLike | Rows,
    *,
    split: str = "test",
    gold: Gold | None = None,
    data_dir: PathLike = DEFAULT_DATA_DIR,
    tagset: str = "iob2",
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Check a submission without scoring it; arguments as for :func:`score`.

    Returns:
        ``task``, ``valid`` (True), ``n_units``, ``n_predictions``, ``n_missing`` and the
        gold's source (``split``, ``gold_file``).

    Raises:
        ValueError, SubmissionError, GoldError: As :func:`score`.
    """
    declared, units, checked, source = prepare(
        task, predictions, split, gold, data_dir, tagset, allow_missing
    )
    return {
        "task": declared.name,
        "valid": True,
        "n_units": len(units),
        "n_predictions": len(units) - len(checked.missing),
        "n_missing": len(checked.missing),
        **source,
    }


def prepare(
    task: str,
    predictions: PathLike | Rows,
    split: str,
    gold: Gold | None,
    data_dir: PathLike,
    tagset: str,
    allow_missing: bool,
) -> tuple[Task, list[GoldRecord], Predictions, dict[str, str | None]]:
    """Load the gold and validate a submission against it, as :func:`score` does.

    Returns:
        The task, the gold units, the checked predictions and the gold's source.
    """
    declared = get_task(task)
    check_options(declared, tagset)
    if isinstance(predictions, (bytes, Mapping)) or not isinstance(
        predictions, (str, os.PathLike, Iterable)
    ):
        raise TypeError("predictions must be a path or an iterable of dicts, one per line")
    if gold is None:
        units = load_split(split, data_dir=Path(data_dir))
        source = {"split": split, "gold_file": None}
    elif isinstance(gold, (str, os.PathLike)):
        units = load_gold_file(gold)
        source = {"split": None, "gold_file": str(gold)}
    else:
        rows = list(gold)
        loaded = bool(rows) and all(isinstance(row, GoldRecord) for row in rows)
        units = rows if loaded else gold_from_rows(rows, source="gold rows")
        source = {"split": None, "gold_file": None}
    options = {"tagset": tagset, "allow_missing": allow_missing}
    if isinstance(predictions, (str, os.PathLike)):
        checked = parse_submission(declared, read_submission(predictions), units, **options)
    else:
        checked = validate_rows(declared, predictions, units, **options)
    if checked.missing:
        log.warning(
            "%d of %d gold units have no prediction; scored as wrong",
            len(checked.missing),
            len(units),
        )
    return declared, units, checked, source
