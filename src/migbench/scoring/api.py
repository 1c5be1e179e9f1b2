"""The public scoring API: :func:`score` and :func:`validate` a submission against the gold.

The gold is a protocol of the dataset (``split``, ``genre`` or ``cv``), a gold JSONL file, or gold
rows. Both functions validate the whole submission first and raise with every problem listed;
nothing is rounded and nothing is written.
"""

from __future__ import annotations

import logging
import os
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from migbench import __version__
from migbench.gcpause import without_cyclic_gc
from migbench.schema import DATASET_VERSION
from migbench.scoring.evaluation import evaluate
from migbench.scoring.gold import (
    PROTOCOLS,
    GoldRecord,
    gold_from_rows,
    load_gold_file,
    load_protocol,
)
from migbench.scoring.resampling import check_resampling_unit, clusters_of
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


@dataclass(frozen=True)
class Prepared:
    """A submission checked against its gold.

    Attributes:
        task: The task.
        gold: The gold units.
        predictions: The predictions, aligned with ``gold``.
        source: Where the gold comes from: ``protocol``, ``split``, ``gold_file``.
    """

    task: Task
    gold: list[GoldRecord]
    predictions: Predictions
    source: dict[str, str | None]

    @property
    def gold_labels(self) -> list[Any]:
        """The gold label (NER: tag list) of each unit."""
        return [getattr(unit, self.task.gold_field) for unit in self.gold]


@without_cyclic_gc
def score(
    task: str,
    predictions: PathLike | Rows,
    *,
    protocol: str = "split",
    split: str = "test",
    dataset: PathLike | None = None,
    gold: Gold | None = None,
    tagset: str = "iob2",
    allow_missing: bool = False,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    resampling: str = "section",
) -> dict[str, Any]:
    """Validate a submission and score it against the gold.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        predictions: Path of a JSONL submission, or its lines as dicts.
        protocol: ``split`` (the fixed split), ``genre`` (genre transfer) or ``cv`` (full-corpus
            cross-validation: out-of-fold predictions for every unit, scored pooled); unused
            when ``gold`` is given.
        split: ``validation`` or ``test`` under ``split`` and ``genre``.
        dataset: The dataset folder or Hub id; by default the checkout's ``dataset/`` (see
            :func:`migbench.scoring.gold.find_dataset`).
        gold: Instead of a protocol: the path of a gold JSONL file, gold rows as dicts, or gold
            units from :mod:`migbench.scoring.gold`'s loaders (to score many submissions
            against one gold without loading it each time).
        tagset: NER only: ``iob2`` (the schema's nine types) or ``conll`` (CoNLL-2003's four).
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        n_resamples: Bootstrap resamples for the interval of the main score; 0 for none.
        seed: Seed of the bootstrap.
        resampling: ``section`` (the bootstrap draws whole sections, where the gold names
            them; else units) or ``unit``; the interval names what it drew.

    Returns:
        ``task``, ``main_metric``, ``main_score``, ``metrics``, ``ci`` (95 % interval of the
        main score, None without resamples), ``n_units``, ``n_missing``, ``tagset`` (NER),
        ``per_document`` (each document's units and main score, where the gold names its
        documents), ``folds`` (cv: each fold's main score, their mean and sample standard
        deviation), the gold's source (``protocol``, ``split``, ``gold_file``),
        ``dataset_version`` and ``scorer_version``. Nothing is rounded.

    Raises:
        ValueError: An unknown task, protocol, split or tagset, or a bad option.
        SubmissionError: The submission is invalid; every problem is listed.
        GoldError: The gold is missing or invalid.
    """
    check_resampling_unit(resampling)
    prepared = prepare(
        task,
        predictions,
        protocol=protocol,
        split=split,
        dataset=dataset,
        gold=gold,
        tagset=tagset,
        allow_missing=allow_missing,
    )
    declared, units = prepared.task, prepared.gold
    groups: dict[str, list[Any]] = {}
    if all(unit.doc_id is not None for unit in units):
        groups["per_document"] = [unit.doc_id for unit in units]
    if prepared.source["protocol"] == "cv":
        groups["folds"] = [unit.fold for unit in units]
    scored = evaluate(
        declared,
        prepared.gold_labels,
        prepared.predictions.values,
        tagset=tagset,
        n_resamples=n_resamples,
        seed=seed,
        groups=groups,
        clusters=clusters_of(units, resampling),
    )
    if "folds" in scored:
        per_fold = [
            row["main_score"] for row in scored["folds"].values() if row["main_score"] is not None
        ]
        scored["folds"] = {
            "mean": statistics.fmean(per_fold),
            "sd": statistics.stdev(per_fold) if len(per_fold) > 1 else 0.0,
            "per_fold": scored["folds"],
        }
    return {
        "task": declared.name,
        **scored,
        "n_units": len(units),
        "n_missing": len(prepared.predictions.missing),
        **({"tagset": tagset} if declared.is_sequence else {}),
        **prepared.source,
        "dataset_version": DATASET_VERSION,
        "scorer_version": __version__,
    }


def validate(
    task: str,
    predictions: PathLike | Rows,
    *,
    protocol: str = "split",
    split: str = "test",
    dataset: PathLike | None = None,
    gold: Gold | None = None,
    tagset: str = "iob2",
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Check a submission without scoring it; arguments as for :func:`score`.

    Returns:
        ``task``, ``valid`` (True), ``n_units``, ``n_predictions``, ``n_missing`` and the
        gold's source (``protocol``, ``split``, ``gold_file``).

    Raises:
        ValueError, SubmissionError, GoldError: As :func:`score`.
    """
    prepared = prepare(
        task,
        predictions,
        protocol=protocol,
        split=split,
        dataset=dataset,
        gold=gold,
        tagset=tagset,
        allow_missing=allow_missing,
    )
    missing = len(prepared.predictions.missing)
    return {
        "task": prepared.task.name,
        "valid": True,
        "n_units": len(prepared.gold),
        "n_predictions": len(prepared.gold) - missing,
        "n_missing": missing,
        **prepared.source,
    }


def prepare(
    task: str,
    predictions: PathLike | Rows,
    *,
    protocol: str = "split",
    split: str = "test",
    dataset: PathLike | None = None,
    gold: Gold | None = None,
    tagset: str = "iob2",
    allow_missing: bool = False,
) -> Prepared:
    """Load the gold and validate a submission against it, as :func:`score` does.

    Raises:
        ValueError, SubmissionError, GoldError: As :func:`score`.
    """
    declared = get_task(task)
    check_options(declared, tagset)
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    if isinstance(predictions, (bytes, Mapping)) or not isinstance(
        predictions, (str, os.PathLike, Iterable)
    ):
        raise TypeError("predictions must be a path or an iterable of dicts, one per line")
    units: list[GoldRecord]
    source: dict[str, str | None]
    if gold is None:
        units = load_protocol(protocol, split=split, dataset=dataset)
        scored_split = None if protocol == "cv" else split
        source = {"protocol": protocol, "split": scored_split, "gold_file": None}
    elif isinstance(gold, (str, os.PathLike)):
        units = load_gold_file(gold)
        source = {"protocol": None, "split": None, "gold_file": str(gold)}
    else:
        rows: list[Any] = list(gold)  # gold units, or rows that gold_from_rows checks
        loaded = bool(rows) and all(isinstance(row, GoldRecord) for row in rows)
        units = rows if loaded else gold_from_rows(rows, source="gold rows")
        source = {"protocol": None, "split": None, "gold_file": None}
    if isinstance(predictions, (str, os.PathLike)):
        checked = parse_submission(
            declared,
            read_submission(predictions),
            units,
            tagset=tagset,
            allow_missing=allow_missing,
        )
    else:
        checked = validate_rows(
            declared, predictions, units, tagset=tagset, allow_missing=allow_missing
        )
    if checked.missing:
        log.warning(
            "%d of %d gold units have no prediction; scored as wrong",
            len(checked.missing),
            len(units),
        )
    return Prepared(declared, units, checked, source)
