"""The public comparison API: :func:`compare` submissions, and the :func:`power` of a protocol.

Each submission is validated exactly as :func:`~migbench.scoring.api.score` validates it; the
tests themselves live in :mod:`~migbench.scoring.significance`, the simulation in
:mod:`~migbench.scoring.power`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migbench import __version__
from migbench.gcpause import without_cyclic_gc
from migbench.schema import DATASET_VERSION
from migbench.scoring.api import DEFAULT_SEED, Gold, PathLike, Rows, prepare
from migbench.scoring.metrics import metric_for
from migbench.scoring.power import minimum_detectable_difference
from migbench.scoring.resampling import check_resampling_unit, clusters_of
from migbench.scoring.significance import (
    ALPHA,
    DEFAULT_TRIALS,
    MAX_ADAPTIVE_TRIALS,
    check_trials,
    compare_statistics,
)


@without_cyclic_gc
def compare(
    task: str,
    submissions: Mapping[str, PathLike | Rows] | Sequence[PathLike],
    *,
    protocol: str = "split",
    split: str = "test",
    dataset: PathLike | None = None,
    gold: Gold | None = None,
    tagset: str = "iob2",
    allow_missing: bool = False,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    resampling: str = "section",
    alpha: float = ALPHA,
    max_trials: int = MAX_ADAPTIVE_TRIALS,
) -> dict[str, Any]:
    """Compare submissions pairwise with paired bootstrap and approximate randomization tests.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        submissions: Paths of JSONL submissions (named by their file names without
            ``.jsonl``), or submissions (paths or lines as dicts) by name; at least two.
        protocol: ``split``, ``genre`` or ``cv``, as for :func:`~migbench.scoring.api.score`.
        split: ``validation`` or ``test`` under ``split`` and ``genre``.
        dataset: The dataset folder or Hub id; by default the checkout's ``dataset/``.
        gold: Instead of a protocol: a gold JSONL file, gold rows or gold units.
        tagset: NER only: ``iob2`` (the schema's types) or ``conll`` (CoNLL-2003's four).
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        n_trials: Trials each test starts with, 1 to
            :data:`~migbench.scoring.significance.MAX_TRIALS`.
        seed: Seed of both tests.
        resampling: ``section`` (resample and swap whole sections, where the gold names them;
            else units) or ``unit``.
        alpha: Significance level of the decisions.
        max_trials: Most trials a test grows to while its decision at ``alpha`` is unstable.

    Returns:
        ``task``, ``main_metric``, ``n_units``, ``systems`` (name, ``main_score``,
        ``n_missing`` of each), ``pairs`` (see
        :func:`~migbench.scoring.significance.compare_statistics`: differences are first minus
        second system, in input order), ``n_trials``, ``seed``, ``resampling_unit`` and
        ``n_resampled`` (how many sections or units a resample draws), ``alpha``,
        ``correction`` (``holm``), the
        gold's source (``protocol``, ``split``, ``gold_file``), ``tagset`` (NER),
        ``dataset_version`` and ``scorer_version``. Nothing is rounded.

    Raises:
        ValueError: Fewer than two submissions, repeated names, an unknown task, protocol, split
            or tagset, or a bad option.
        SubmissionError: A submission is invalid; every problem is listed.
        GoldError: The gold is missing or invalid.
    """
    check_trials(n_trials, seed)
    check_resampling_unit(resampling)
    named = _named(submissions)
    metric = None
    statistics, systems = {}, []
    units: Gold | None = gold
    source: dict[str, str | None] = {}
    for name, submission in named.items():
        prepared = prepare(
            task,
            submission,
            protocol=protocol,
            split=split,
            dataset=dataset,
            gold=units,
            tagset=tagset,
            allow_missing=allow_missing,
        )
        declared, loaded = prepared.task, prepared.gold
        if metric is None:
            # The first submission loads the gold; the others reuse the loaded units.
            metric, units, source = metric_for(declared, tagset=tagset), loaded, prepared.source
        statistics[name] = metric.statistics(prepared.gold_labels, prepared.predictions.values)
        systems.append(
            {
                "name": name,
                "main_score": float(metric.main_score(statistics[name].total())),
                "n_missing": len(prepared.predictions.missing),
            }
        )
    assert metric is not None  # _named returns two submissions or more
    clusters = clusters_of(loaded, resampling)
    pairs = compare_statistics(
        metric,
        statistics,
        n_trials=n_trials,
        seed=seed,
        clusters=clusters,
        alpha=alpha,
        max_trials=max_trials,
    )
    return {
        "task": declared.name,
        "main_metric": declared.main_metric,
        "n_units": len(loaded),
        "systems": systems,
        "pairs": pairs,
        "n_trials": n_trials,
        "seed": seed,
        "resampling_unit": pairs[0]["resampling_unit"],
        "n_resampled": len(set(clusters)) if clusters is not None else len(loaded),
        "alpha": alpha,
        "correction": "holm",
        **({"tagset": tagset} if declared.is_sequence else {}),
        **source,
        "dataset_version": DATASET_VERSION,
        "scorer_version": __version__,
    }


def power(
    task: str,
    reference: PathLike | Rows,
    *,
    protocol: str = "split",
    split: str = "test",
    dataset: PathLike | None = None,
    gold: Gold | None = None,
    tagset: str = "iob2",
    allow_missing: bool = False,
    resampling: str = "section",
    **simulation: Any,
) -> dict[str, Any]:
    """Estimate the smallest improvement over a reference submission that the paired test finds.

    Args:
        task: The task.
        reference: The reference system's submission (path or lines as dicts).
        protocol: ``split``, ``genre`` or ``cv``, as for :func:`~migbench.scoring.api.score`.
        split: ``validation`` or ``test`` under ``split`` and ``genre``.
        dataset: The dataset folder or Hub id; by default the checkout's ``dataset/``.
        gold: Instead of a protocol: a gold JSONL file, gold rows or gold units.
        tagset: NER only: ``iob2`` (the schema's types) or ``conll`` (CoNLL-2003's four).
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        resampling: ``section`` or ``unit``, as for :func:`compare`.
        simulation: Options of :func:`~migbench.scoring.power.minimum_detectable_difference`
            (``alpha``, ``power``, ``churn``, ``n_simulations``, ``n_trials``, ``seed``,
            ``progress``).

    Returns:
        The simulation's result (see ``minimum_detectable_difference``) and the gold's source.
    """
    check_resampling_unit(resampling)
    prepared = prepare(
        task,
        reference,
        protocol=protocol,
        split=split,
        dataset=dataset,
        gold=gold,
        tagset=tagset,
        allow_missing=allow_missing,
    )
    result = minimum_detectable_difference(
        prepared.task,
        prepared.gold_labels,
        prepared.predictions.values,
        tagset=tagset,
        clusters=clusters_of(prepared.gold, resampling),
        **simulation,
    )
    return {**result, **prepared.source}


def _named(
    submissions: Mapping[str, PathLike | Rows] | Sequence[PathLike],
) -> dict[str, PathLike | Rows]:
    """Return the submissions by name; paths are named by their file name without ``.jsonl``."""
    if isinstance(submissions, Mapping):
        named = dict(submissions)
    elif isinstance(submissions, (str, bytes, os.PathLike)):
        raise TypeError("submissions must be several paths, or submissions by name")
    else:
        paths = list(submissions)
        names = [Path(path).name.removesuffix(".jsonl") for path in paths]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"submissions share the names {', '.join(repeated)}; name them explicitly"
            )
        named = dict(zip(names, paths, strict=True))
    if len(named) < 2:
        raise ValueError(f"need at least two submissions to compare, got {len(named)}")
    return named
