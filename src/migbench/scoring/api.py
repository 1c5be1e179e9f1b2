"""The function API: :func:`score`, :func:`validate`, :func:`compare` and :func:`power`.

Each is a thin wrapper over :class:`~migbench.scoring.scorer.Scorer`: it builds the
:class:`~migbench.scoring.gold.Gold` from the keywords (so these functions and the CLI refuse the
same options), then calls the method of the same name. To score many submissions against one
gold, make one ``Scorer`` and call it: the gold is then loaded once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from migbench.scoring.gold import Gold, GoldRecord
from migbench.scoring.scorer import DEFAULT_RESAMPLES, DEFAULT_SEED, PathLike, Scorer, Submission
from migbench.scoring.significance import ALPHA, DEFAULT_TRIALS, MAX_ADAPTIVE_TRIALS

#: What ``gold=`` accepts: a Gold, the path of a gold JSONL file, or gold rows (or units).
GoldLike = Gold | PathLike | Iterable[Mapping[str, Any]] | Iterable[GoldRecord]


def as_gold(
    gold: GoldLike | None = None,
    *,
    protocol: str | None = None,
    split: str | None = None,
    dataset: PathLike | None = None,
) -> Gold:
    """Return the :class:`Gold` the keywords name, refusing what contradicts itself.

    Args:
        gold: A :class:`Gold`, a gold JSONL file, gold rows, or units a loader returned; None:
            the protocol.
        protocol: ``cv`` (the headline), ``split`` (the quick default) or ``genre``.
        split: ``validation`` or ``test`` (default) under ``split`` and ``genre``.
        dataset: The dataset folder or Hub id; by default
            :func:`~migbench.scoring.gold.find_dataset`'s.

    Raises:
        ValueError: A gold with a protocol, split or dataset; a split under ``cv``; an unknown
            protocol or split.
    """
    if isinstance(gold, Gold):
        extra = [
            n
            for n, v in (("protocol", protocol), ("split", split), ("dataset", dataset))
            if v is not None
        ]
        if extra:
            raise ValueError(f"a Gold carries its own {', '.join(extra)}: give one or the other")
        return gold
    if gold is None:
        return Gold(protocol=protocol, split=split, dataset=dataset)
    if isinstance(gold, (str, os.PathLike)):
        return Gold(protocol=protocol, split=split, dataset=dataset, file=gold)
    rows = [row._asdict() if isinstance(row, GoldRecord) else row for row in gold]
    return Gold(protocol=protocol, split=split, dataset=dataset, rows=rows)


def score(
    task: str,
    predictions: Submission,
    *,
    protocol: str | None = None,
    split: str | None = None,
    dataset: PathLike | None = None,
    gold: GoldLike | None = None,
    entity_types: str | None = None,
    tagset: str | None = None,
    allow_missing: bool = False,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    resampling: str = "section",
) -> dict[str, Any]:
    """Validate a submission and score it against the gold.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        predictions: Path of a JSONL submission, or its lines as dicts.
        protocol: ``cv`` (full-corpus cross-validation: out-of-fold predictions for every unit,
            scored pooled; the headline protocol), ``split`` (the fixed split; the quick
            default) or ``genre`` (genre transfer).
        split: ``validation`` or ``test`` (default) under ``split`` and ``genre``.
        dataset: The dataset folder or Hub id; by default the checkout's ``dataset/``.
        gold: Instead of a protocol: a :class:`Gold`, a gold JSONL file or gold rows.
        entity_types: NER only: ``migbench`` (the schema's nine types, the default) or ``conll``
            (CoNLL-2003's four).
        tagset: Deprecated name of ``entity_types`` (``iob2`` for ``migbench``); warns.
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        n_resamples: Bootstrap resamples for the interval of the main score; 0 for none.
        seed: Seed of the bootstrap.
        resampling: ``section`` (the bootstrap draws whole sections, where the gold names
            them; else units) or ``unit``.

    Returns:
        As :meth:`Scorer.score <migbench.scoring.scorer.Scorer.score>`.

    Raises:
        ValueError: An unknown task, protocol, split or entity types, entity types for a task
            other than NER, options that contradict each other, or a bad option.
        SubmissionError: The submission is invalid; every problem is listed.
        GoldError: The gold is missing or invalid.
    """
    types = (entity_types, tagset)
    scorer = _scorer(task, gold, protocol, split, dataset, types, allow_missing, seed, resampling)
    return scorer.score(predictions, n_resamples=n_resamples)


def validate(
    task: str,
    predictions: Submission,
    *,
    protocol: str | None = None,
    split: str | None = None,
    dataset: PathLike | None = None,
    gold: GoldLike | None = None,
    entity_types: str | None = None,
    tagset: str | None = None,
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Check a submission without scoring it; arguments as for :func:`score`.

    Returns:
        As :meth:`Scorer.validate <migbench.scoring.scorer.Scorer.validate>`.
    """
    types = (entity_types, tagset)
    scorer = _scorer(task, gold, protocol, split, dataset, types, allow_missing, DEFAULT_SEED)
    return scorer.validate(predictions)


def compare(
    task: str,
    submissions: Mapping[str, Submission] | Sequence[PathLike],
    *,
    protocol: str | None = None,
    split: str | None = None,
    dataset: PathLike | None = None,
    gold: GoldLike | None = None,
    entity_types: str | None = None,
    tagset: str | None = None,
    allow_missing: bool = False,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    resampling: str = "section",
    alpha: float = ALPHA,
    max_trials: int = MAX_ADAPTIVE_TRIALS,
) -> dict[str, Any]:
    """Compare submissions pairwise; gold options and ``resampling`` as for :func:`score`.

    ``n_trials``, ``alpha`` and ``max_trials`` as for :meth:`Scorer.compare
    <migbench.scoring.scorer.Scorer.compare>`.

    Returns:
        As :meth:`Scorer.compare <migbench.scoring.scorer.Scorer.compare>`.
    """
    types = (entity_types, tagset)
    scorer = _scorer(task, gold, protocol, split, dataset, types, allow_missing, seed, resampling)
    return scorer.compare(submissions, n_trials=n_trials, alpha=alpha, max_trials=max_trials)


def power(
    task: str,
    reference: Submission,
    *,
    protocol: str | None = None,
    split: str | None = None,
    dataset: PathLike | None = None,
    gold: GoldLike | None = None,
    entity_types: str | None = None,
    tagset: str | None = None,
    allow_missing: bool = False,
    seed: int = DEFAULT_SEED,
    resampling: str = "section",
    **simulation: Any,
) -> dict[str, Any]:
    """Estimate the smallest detectable improvement over a reference submission.

    Args:
        task: The task.
        reference: The reference system's submission (path or lines as dicts).
        protocol: As for :func:`score`.
        split: As for :func:`score`.
        dataset: As for :func:`score`.
        gold: As for :func:`score`.
        entity_types: As for :func:`score`.
        tagset: As for :func:`score` (deprecated).
        allow_missing: As for :func:`score`.
        seed: Seed of the simulation and of its tests.
        resampling: As for :func:`score`: what the simulation's tests swap.
        simulation: Options of :func:`~migbench.scoring.power.minimum_detectable_difference`
            (``alpha``, ``power``, ``churn``, ``n_simulations``, ``n_trials``, ``progress``).

    Returns:
        As :meth:`Scorer.power <migbench.scoring.scorer.Scorer.power>`.
    """
    types = (entity_types, tagset)
    scorer = _scorer(task, gold, protocol, split, dataset, types, allow_missing, seed, resampling)
    return scorer.power(reference, **simulation)


def _scorer(
    task: str,
    gold: GoldLike | None,
    protocol: str | None,
    split: str | None,
    dataset: PathLike | None,
    types: tuple[str | None, str | None],
    allow_missing: bool,
    seed: int,
    resampling: str = "section",
) -> Scorer:
    """Return the scorer the functions' keywords describe (``types``: entity types, tagset)."""
    chosen = as_gold(gold, protocol=protocol, split=split, dataset=dataset)
    return Scorer(
        task,
        chosen,
        entity_types=types[0],
        tagset=types[1],
        allow_missing=allow_missing,
        seed=seed,
        resampling=resampling,
    )
