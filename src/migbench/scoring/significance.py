"""Paired significance tests between systems scored on the same units, and Holm's correction.

Two systems' per-unit statistics are paired by unit: units whose statistics agree under both
systems form one *joint group* (:class:`PairedStatistics`), so a resample is a vector of counts
per joint group and every trial is scored in one numpy step, as in
:mod:`~migbench.scoring.resampling`.

* Paired bootstrap (Koehn 2004; sacrebleu's ``paired_bs``): resample units with replacement,
  score both systems on each resample. The 95 % percentile interval of the difference is
  reported, and the two-sided p-value of the null-shifted bootstrap: how often a resampled
  difference strays from the observed one by at least the observed difference (sacrebleu
  centres on the bootstrap mean of absolute differences; centring the signed difference keeps
  the test two-sided without folding).
* Paired approximate randomization (Riezler & Maxwell 2005; sacrebleu's ``paired_ar``): swap
  each unit's statistics between the systems with probability 1/2; the p-value is how often the
  absolute difference of the shuffled systems reaches the observed one.

Both p-values are ``(c + 1) / (n + 1)`` over ``n`` trials, as sacrebleu's, with ``c`` counting
trials *at least* as extreme as observed (sacrebleu counts strictly more extreme ones, so a
system compared with itself gets p = 1/(n+1); here it gets 1). Pure functions, no I/O.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from migbench.scoring.metrics import Metric, Statistics
from migbench.scoring.resampling import CONFIDENCE

#: Default number of trials of each test.
DEFAULT_TRIALS = 10_000
#: Most trials of each test; beyond it a comparison takes minutes and the Monte Carlo error
#: of a p-value (at most 0.5 / sqrt(trials)) is long below anything that matters.
MAX_TRIALS = 1_000_000
#: Differences within this of the observed one count as ties (scores are floats of integer sums).
TIE_TOLERANCE = 1e-12
#: Cells (trials × joint groups) drawn at once per thread, about 20 MB, and the most threads.
_CHUNK_CELLS = 2_500_000
_MAX_THREADS = 4


@dataclass(frozen=True)
class PairedStatistics:
    """Two systems' statistics on the same units, kept once per joint group.

    Attributes:
        sizes: Number of units in each joint group, shape ``(groups,)``.
        a: Statistics of one unit of each group under the first system, ``(groups, d)``.
        b: The same under the second system.
    """

    sizes: np.ndarray
    a: np.ndarray
    b: np.ndarray

    @classmethod
    def pair(cls, metric: Metric, a: Statistics, b: Statistics) -> PairedStatistics:
        """Pair two systems' statistics over the same units (in the same order).

        Statistics are first reduced to what the metric's main score needs
        (:meth:`~migbench.scoring.metrics.Metric.main_projection`), so that units that differ
        only in ways the main score ignores share a joint group.
        """
        a, b = _project(metric, a), _project(metric, b)
        if a.keys.shape != b.keys.shape:
            raise ValueError(f"cannot pair {len(a.keys)} units with {len(b.keys)}")
        joint = a.keys.astype(np.int64) * len(b.table) + b.keys
        _, first, sizes = np.unique(joint, return_index=True, return_counts=True)
        return cls(sizes, a.table[a.keys[first]], b.table[b.keys[first]])

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Return both systems' statistics summed over all units."""
        return self.sizes @ self.a, self.sizes @ self.b


def paired_bootstrap(
    metric: Metric, paired: PairedStatistics, *, n_trials: int, seed: int
) -> dict[str, Any]:
    """Paired bootstrap test of the difference in the main score (first minus second system).

    Returns:
        ``difference`` (observed), ``ci`` (95 % percentile interval of the difference, with
        ``level``) and ``p_value`` (two-sided, null-shifted).
    """
    check_trials(n_trials, seed)
    total_a, total_b = paired.totals()
    observed = float(metric.main_score(total_a) - metric.main_score(total_b))
    n = int(paired.sizes.sum())
    # Floats: BLAS multiplies them many times faster than integers, exactly below 2**53.
    table_a, table_b = paired.a.astype(float), paired.b.astype(float)

    def trials(rng: np.random.Generator, size: int) -> np.ndarray:
        counts = rng.multinomial(n, paired.sizes / n, size=size).astype(float)
        return metric.main_score(counts @ table_a) - metric.main_score(counts @ table_b)

    differences = _run_trials(trials, n_trials, len(paired.sizes), seed)
    low, high = np.quantile(differences, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    extreme = np.abs(differences - observed) >= abs(observed) - TIE_TOLERANCE
    return {
        "difference": observed,
        "ci": {"level": CONFIDENCE, "low": float(low), "high": float(high)},
        "p_value": _p_value(extreme),
    }


def paired_randomization(
    metric: Metric, paired: PairedStatistics, *, n_trials: int, seed: int
) -> float:
    """Return the two-sided p-value of the paired approximate randomization test."""
    check_trials(n_trials, seed)
    total_a, total_b = paired.totals()
    observed = abs(float(metric.main_score(total_a) - metric.main_score(total_b)))
    # Only units whose statistics differ between the systems change a shuffled total.
    differs = np.any(paired.a != paired.b, axis=1)
    sizes, delta = paired.sizes[differs], (paired.b - paired.a)[differs]
    # Sparse statistics (a confusion cell per unit) change few columns: multiply only those.
    columns = np.flatnonzero(delta.any(axis=0))
    delta = delta[:, columns].astype(float)

    def trials(rng: np.random.Generator, size: int) -> np.ndarray:
        moved = np.zeros((size, len(total_a)))
        moved[:, columns] = rng.binomial(sizes, 0.5, size=(size, len(sizes))).astype(float) @ delta
        return metric.main_score(total_a + moved) - metric.main_score(total_b - moved)

    shuffled = _run_trials(trials, n_trials, len(sizes), seed)
    return _p_value(np.abs(shuffled) >= observed - TIE_TOLERANCE)


def holm(p_values: Sequence[float]) -> list[float]:
    """Return Holm's step-down adjusted p-values (family-wise error), in the input order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = (len(p) - np.arange(len(p))) * p[order]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted.tolist()


def compare_statistics(
    metric: Metric,
    systems: Mapping[str, Statistics],
    *,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Test every pair of systems, in input order, first minus second.

    Every pair is tested with the same seed, so a pair's result does not depend on which other
    systems take part. Holm's correction runs over all pairs, separately for each test.

    Args:
        metric: The task's metric.
        systems: Each system's statistics over the same units, by name (at least two).
        n_trials: Trials of each test, 1 to :data:`MAX_TRIALS`.
        seed: Seed of both tests.

    Returns:
        One dict per pair: ``a``, ``b``, ``difference``, ``ci``, ``p_bootstrap``,
        ``p_randomization``, their Holm-adjusted ``p_bootstrap_holm`` and
        ``p_randomization_holm``, and ``per_label`` (each label's F1 under both and their
        difference).
    """
    check_trials(n_trials, seed)
    if len(systems) < 2:
        raise ValueError(f"need at least two systems to compare, got {len(systems)}")
    pairs = []
    for name_a, name_b in combinations(systems, 2):
        paired = PairedStatistics.pair(metric, systems[name_a], systems[name_b])
        boot = paired_bootstrap(metric, paired, n_trials=n_trials, seed=seed)
        pairs.append(
            {
                "a": name_a,
                "b": name_b,
                "difference": boot["difference"],
                "ci": boot["ci"],
                "p_bootstrap": boot["p_value"],
                "p_randomization": paired_randomization(
                    metric, paired, n_trials=n_trials, seed=seed
                ),
                "per_label": _per_label_f1(
                    metric, systems[name_a].total(), systems[name_b].total()
                ),
            }
        )
    for test in ("p_bootstrap", "p_randomization"):
        for pair, adjusted in zip(pairs, holm([pair[test] for pair in pairs]), strict=True):
            pair[f"{test}_holm"] = adjusted
    return pairs


def check_trials(n_trials: int, seed: int) -> None:
    """Raise ValueError unless ``1 <= n_trials <= MAX_TRIALS`` and ``seed >= 0``, integers."""
    for name, value, low in (("n_trials", n_trials, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer of at least {low}, not {value!r}")
    if n_trials > MAX_TRIALS:
        raise ValueError(
            f"n_trials must be at most {MAX_TRIALS:,}, not {n_trials:,}: the Monte Carlo error "
            f"of a p-value is already below {0.5 / MAX_TRIALS**0.5:.4f} there"
        )


def _project(metric: Metric, statistics: Statistics) -> Statistics:
    projection = metric.main_projection()
    if projection is None:
        return statistics
    projected = Statistics.from_rows(statistics.table @ projection)
    return Statistics(projected.keys[statistics.keys], projected.table)


def _run_trials(
    trials: Callable[[np.random.Generator, int], np.ndarray], n_trials: int, width: int, seed: int
) -> np.ndarray:
    """Run ``trials(rng, size)`` in chunks that make ``n_trials``; concatenate in chunk order.

    Chunks are fixed by ``n_trials`` and ``width`` (draws per trial) and each has its own
    generator spawned from ``seed``, so the result does not depend on the threads: numpy draws
    and multiplies without the GIL, so big tests run on several cores.
    """
    step = max(1, _CHUNK_CELLS // max(width, 1))
    sizes = [min(step, n_trials - start) for start in range(0, n_trials, step)]
    generators = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(sizes))]
    if len(sizes) == 1:
        return trials(generators[0], sizes[0])
    with ThreadPoolExecutor(max_workers=min(len(sizes), os.cpu_count() or 1, _MAX_THREADS)) as pool:
        return np.concatenate(list(pool.map(trials, generators, sizes)))


def _p_value(extreme: np.ndarray) -> float:
    return float((extreme.sum() + 1) / (len(extreme) + 1))


def _per_label_f1(
    metric: Metric, total_a: np.ndarray, total_b: np.ndarray
) -> dict[str, dict[str, float]]:
    scores_a = metric.scores(total_a)["per_label"]
    scores_b = metric.scores(total_b)["per_label"]
    return {
        label: {
            "f1_a": scores_a[label]["f1"],
            "f1_b": scores_b[label]["f1"],
            "difference": scores_a[label]["f1"] - scores_b[label]["f1"],
        }
        for label in metric.labels
    }
