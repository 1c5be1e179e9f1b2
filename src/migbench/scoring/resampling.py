"""Bootstrap confidence intervals, resampling whole clusters of units or single units.

Units of one section share their context and often their label, so they are not independent.
By default a resample draws whole *clusters* (the cluster bootstrap; Field & Welsh 2007): the
statistics of a cluster are the sum of its units', and clusters are then resampled as units are.
Without clusters (or with every unit its own cluster) it is the ordinary bootstrap over units.

A score depends on a resample only through how many of each group of alike rows (units or
clusters with the same statistics, :class:`~migbench.scoring.metrics.Statistics`) it draws, and
those numbers are multinomial; so each resample is drawn as group counts and scored with numpy
in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from migbench.scoring.metrics import Metric, Statistics

#: Coverage of the bootstrap interval.
CONFIDENCE = 0.95
#: What a resample draws: whole sections (the units of a cluster) or single units.
RESAMPLING_UNITS = ("section", "unit")


def check_resampling_unit(resampling: str) -> None:
    """Raise ValueError unless ``resampling`` is one of ``section`` and ``unit``."""
    if resampling not in RESAMPLING_UNITS:
        raise ValueError(
            f"unknown resampling unit {resampling!r}; expected one of {', '.join(RESAMPLING_UNITS)}"
        )


def clusters_of(gold: Sequence[Any], resampling: str) -> list[str] | None:
    """Return each unit's section to resample by, or None to resample units.

    None too when the gold does not name the sections (a gold file without ``section`` or
    ``doc_id``, ``unit_type`` and ``paragraph``): the result's ``resampling_unit`` says so.
    """
    if resampling == "unit" or any(unit.section is None for unit in gold):
        return None
    return [unit.section for unit in gold]


def clustered(statistics: Statistics, clusters: Sequence[Any] | np.ndarray | None) -> Statistics:
    """Return the statistics of each cluster, the sum of its units', as rows to resample.

    Args:
        statistics: Per-unit statistics.
        clusters: The cluster of each unit (hashable values, or the integer codes of
            :func:`cluster_codes`), or None to keep the units.

    Raises:
        ValueError: ``clusters`` does not name one cluster per unit.
    """
    if clusters is None:
        return statistics
    if len(clusters) != len(statistics.keys):
        raise ValueError(f"{len(clusters)} clusters for {len(statistics.keys)} units")
    codes = cluster_codes(clusters)
    # Sum the rows of each cluster: sort the units by cluster and add up each run.
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    sums = np.add.reduceat(statistics.table[statistics.keys[order]], starts, axis=0)
    return Statistics.from_rows(sums)


def cluster_codes(clusters: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Return each unit's cluster as an integer code, 0 to clusters - 1 (codes pass unchanged).

    Converting once saves the tests that pair many systems over the same clusters from
    converting again.
    """
    if isinstance(clusters, np.ndarray) and clusters.dtype.kind in "iu":
        return clusters
    _, codes = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
    return codes.reshape(-1)


def bootstrap_counts(sizes: np.ndarray, *, n_resamples: int, seed: int) -> np.ndarray:
    """Draw bootstrap resamples as counts per group.

    Args:
        sizes: Number of rows (units or clusters) in each group.
        n_resamples: Number of resamples.
        seed: Seed of the random generator.

    Returns:
        Array ``(n_resamples, len(sizes))``: how many rows each resample draws from each group,
        distributed as drawing ``sizes.sum()`` rows with replacement.
    """
    sizes = np.asarray(sizes)
    total = sizes.sum()
    return np.random.default_rng(seed).multinomial(total, sizes / total, size=n_resamples)


def bootstrap_scores(
    metric: Metric, statistics: Statistics, *, n_resamples: int, seed: int
) -> np.ndarray:
    """Return the main score of each bootstrap resample of the rows of ``statistics``."""
    counts = bootstrap_counts(statistics.sizes, n_resamples=n_resamples, seed=seed)
    return metric.main_score(counts @ statistics.table)


def bootstrap_interval(
    metric: Metric,
    statistics: Statistics,
    *,
    n_resamples: int,
    seed: int,
    clusters: Sequence[Any] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Return the 95 % percentile bootstrap interval of the main score, with its settings.

    Args:
        metric: The task's metric.
        statistics: Per-unit statistics.
        n_resamples: Number of resamples.
        seed: Seed of the bootstrap.
        clusters: The section of each unit, to resample whole sections; None for single units.
    """
    rows = clustered(statistics, clusters)
    scores = bootstrap_scores(metric, rows, n_resamples=n_resamples, seed=seed)
    scores = scores[np.isfinite(scores)]  # resamples whose score is undefined say nothing
    low, high = np.quantile(scores, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    unit = resampling_unit(clusters)
    return {
        "level": CONFIDENCE,
        "low": float(low),
        "high": float(high),
        "n_resamples": n_resamples,
        "seed": seed,
        "resampling_unit": unit,
        "n_resampled": int(len(rows.keys)),
        "method": f"percentile bootstrap over {unit}s",
    }


def resampling_unit(clusters: Sequence[Any] | np.ndarray | None) -> str:
    """Name what a resample draws: ``section`` with clusters, ``unit`` without."""
    return RESAMPLING_UNITS[clusters is None]
