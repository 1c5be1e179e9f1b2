"""Bootstrap confidence intervals over units, drawn as counts per group of alike units.

A score depends on a resample only through how many units it draws from each group of units
with the same statistics (:class:`~migbench.scoring.metrics.Statistics`), and those numbers are
multinomial; so each resample is drawn as group counts and scored with numpy in one step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from migbench.scoring.metrics import Metric, Statistics

#: Coverage of the bootstrap interval.
CONFIDENCE = 0.95


def bootstrap_counts(sizes: np.ndarray, *, n_resamples: int, seed: int) -> np.ndarray:
    """Draw bootstrap resamples of units as counts per group.

    Args:
        sizes: Number of units in each group.
        n_resamples: Number of resamples.
        seed: Seed of the random generator.

    Returns:
        Array ``(n_resamples, len(sizes))``: how many units each resample draws from each group,
        distributed as drawing ``sizes.sum()`` units with replacement.
    """
    sizes = np.asarray(sizes)
    total = sizes.sum()
    return np.random.default_rng(seed).multinomial(total, sizes / total, size=n_resamples)


def bootstrap_scores(
    metric: Metric, statistics: Statistics, *, n_resamples: int, seed: int
) -> np.ndarray:
    """Return the main score of each bootstrap resample of the units."""
    counts = bootstrap_counts(statistics.sizes, n_resamples=n_resamples, seed=seed)
    return metric.main_score(counts @ statistics.table)


def bootstrap_interval(
    metric: Metric, statistics: Statistics, *, n_resamples: int, seed: int
) -> dict[str, Any]:
    """Return the 95 % percentile bootstrap interval of the main score, with its settings."""
    scores = bootstrap_scores(metric, statistics, n_resamples=n_resamples, seed=seed)
    low, high = np.quantile(scores, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return {
        "level": CONFIDENCE,
        "low": float(low),
        "high": float(high),
        "n_resamples": n_resamples,
        "seed": seed,
        "method": "percentile bootstrap over units",
    }
