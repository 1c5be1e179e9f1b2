"""Paired significance tests between systems scored on the same units, and Holm's correction.

Two systems' per-unit statistics are paired by unit. By default the tests resample or swap whole
*sections* (clusters of units that share context; Field & Welsh 2007), as the folds do: each
cluster's statistics are the sums of its units' (:func:`~migbench.scoring.resampling.clustered`);
without clusters every unit is its own. Rows whose statistics agree under both systems form one
*joint group* (:class:`PairedStatistics`), so a resample is a vector of counts per joint group and
every trial is scored in one numpy step, as in :mod:`~migbench.scoring.resampling`.

* Paired bootstrap (Koehn 2004; sacrebleu's ``paired_bs``): resample rows with replacement,
  score both systems on each resample. The 95 % percentile interval of the difference is
  reported, and the p-value of the same construction: twice the smaller share of resampled
  differences at or below 0 and at or above 0, so the interval excludes 0 exactly when p is
  below 0.05 (up to the ``+ 1`` of the p-value and the quantiles' interpolation, one trial).
* Paired approximate randomization (Riezler & Maxwell 2005; sacrebleu's ``paired_ar``): swap
  each row's statistics between the systems with probability 1/2; the p-value is how often the
  absolute difference of the shuffled systems reaches the observed one.

Both p-values are ``(c + 1) / (n + 1)`` over ``n`` trials, as sacrebleu's, with ``c`` counting
trials *at least* as extreme as observed, and carry their Monte Carlo standard error
``sqrt(p (1 - p) / n)``. :func:`compare_statistics` adds trials to a test until its decision at
``alpha`` after Holm's correction lies more than :data:`STABLE_Z` standard errors from ``alpha``,
up to a bound; a decision still within them is ``undecided``. Pure functions, no I/O.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from migbench.scoring.metrics import Metric, Statistics
from migbench.scoring.resampling import CONFIDENCE, cluster_codes, clustered

#: Default number of trials of each test.
DEFAULT_TRIALS = 10_000
#: Most trials of each test; beyond it a comparison takes minutes and the Monte Carlo error
#: of a p-value (at most 0.5 / sqrt(trials)) is long below anything that matters.
MAX_TRIALS = 1_000_000
#: Significance level of the decisions, after Holm's correction.
ALPHA = 0.05
#: A decision is stable when its adjusted p-value lies this many Monte Carlo standard errors
#: from ``alpha`` (two-sided 0.3 % chance that more trials would flip it).
STABLE_Z = 3.0
#: Most trials :func:`compare_statistics` grows a test to (by a factor of 4 each time).
MAX_ADAPTIVE_TRIALS = 640_000
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
    def pair(
        cls, metric: Metric, a: Statistics, b: Statistics, clusters: Any = None
    ) -> PairedStatistics:
        """Pair two systems' statistics over the same units (in the same order).

        Statistics are first reduced to what the metric's main score needs
        (:meth:`~migbench.scoring.metrics.Metric.main_projection`), so that units that differ
        only in ways the main score ignores share a joint group; with ``clusters`` (the
        section of each unit), each cluster's summed statistics then stand for its units.
        """
        if a.keys.shape != b.keys.shape:
            raise ValueError(f"cannot pair {len(a.keys)} units with {len(b.keys)}")
        a, b = _project(metric, a), _project(metric, b)
        a, b = clustered(a, clusters), clustered(b, clusters)
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
        ``level``) and ``p_value`` (two-sided, from the same resampled differences).
    """
    check_trials(n_trials, seed)
    total_a, total_b = paired.totals()
    observed = float(metric.main_score(total_a) - metric.main_score(total_b))
    n = int(paired.sizes.sum())
    # Both systems' reduced statistics side by side, multiplied with the weights at once.
    reduction = metric.main_reduction()
    width = reduction.matrix.shape[1]
    table = np.hstack([paired.a, paired.b]).astype(float) @ np.kron(np.eye(2), reduction.matrix)
    # A resampled total is at most n rows times the largest row's value.
    precision = _exact_float(n * table.max(initial=0))
    table = table.astype(precision)

    groups = len(paired.sizes)
    # numpy draws a multinomial one category after another: with about as many groups as rows
    # (sections that all differ), drawing the rows themselves and counting them is far faster.
    by_row = n <= 4 * groups
    # 32-bit draws below 2**31 rows: the same numbers as 64-bit ones (numpy draws 32 bits
    # for any bound below 2**32), four times faster.
    row_type = np.int32 if n < 2**31 else np.int64
    group_of_row = np.repeat(np.arange(groups, dtype=row_type), paired.sizes)
    every_row_a_group = groups == n

    def trials(rng: np.random.Generator, size: int) -> np.ndarray:
        counts: np.ndarray
        if by_row:
            drawn: np.ndarray = rng.integers(n, size=(size, n), dtype=row_type)
            if not every_row_a_group:
                drawn = group_of_row[drawn]
            # Each trial's rows counted at once: trial t's groups offset by t * groups.
            drawn += np.arange(0, size * groups, groups, dtype=row_type)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=size * groups).reshape(size, groups)
            counts = counts.astype(precision)
        else:
            counts = rng.multinomial(n, paired.sizes / n, size=size).astype(precision)
        totals = (counts @ table).astype(float)
        return reduction.main_score(totals[:, :width]) - reduction.main_score(totals[:, width:])

    differences = _run_trials(trials, n_trials, max(groups, n if by_row else 0), seed)
    # A resample without a unit the main score needs (stance with no favor or against, gold or
    # predicted) has no score: it can say nothing of the difference, and is left out.
    differences = differences[np.isfinite(differences)]
    low, high = np.quantile(differences, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    # Which side of 0 the resamples fall on: the percentile interval's own test of 0.
    below = differences <= TIE_TOLERANCE
    above = differences >= -TIE_TOLERANCE
    p_value = min(1.0, 2 * min(_p_value(below), _p_value(above)))
    return {
        "difference": observed,
        "ci": {"level": CONFIDENCE, "low": float(low), "high": float(high)},
        "p_value": p_value,
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
    sizes = paired.sizes[differs]
    reduction = metric.main_reduction()
    matrix = reduction.matrix.astype(float)
    delta = (paired.b - paired.a)[differs].astype(float) @ matrix
    total_a, total_b = total_a @ matrix, total_b @ matrix
    # Sparse statistics (few labels per unit) change few columns: multiply only those.
    columns = np.flatnonzero(delta.any(axis=0))
    # A shuffled total moves by at most every differing row's largest change.
    precision = _exact_float(sizes.sum() * np.abs(delta).max(initial=0))
    delta = delta[:, columns].astype(precision)

    def trials(rng: np.random.Generator, size: int) -> np.ndarray:
        moved = np.zeros((size, len(total_a)))
        moved[:, columns] = fair_binomial(rng, sizes, size).astype(precision) @ delta
        return reduction.main_score(total_a + moved) - reduction.main_score(total_b - moved)

    shuffled = _run_trials(trials, n_trials, len(sizes), seed)
    return _p_value(np.abs(shuffled) >= observed - TIE_TOLERANCE)


def fair_binomial(rng: np.random.Generator, sizes: np.ndarray, n_trials: int) -> np.ndarray:
    """Return ``rng.binomial(sizes, 0.5, size=(n_trials, len(sizes)))`` as floats, drawn faster.

    The same numbers, from the same draws: below ``n p = 30`` numpy draws a binomial by
    inversion (Kachitvichyanukul & Schmeiser 1988), one uniform double per draw, stepping ``x``
    up while the uniform, less the probabilities of the values passed, exceeds the next one.
    The probabilities depend on ``n`` alone, so the steps run on whole arrays; a size of 1 is
    one comparison. Larger sizes, and the rare draw that would restart, are left to numpy.
    """
    shape = (n_trials, len(sizes))
    if len(sizes) == 0 or sizes.max() > 60 or math.exp(math.log(0.5)) != 0.5:
        return rng.binomial(sizes, 0.5, size=shape).astype(float)
    state = rng.bit_generator.state
    uniform = rng.random(shape)
    drawn = (uniform > 0.5).astype(float)
    # Each size on its own: its probabilities are scalars, and it needs at most n steps.
    for n in np.unique(sizes[sizes > 1]).tolist():
        columns = np.flatnonzero(sizes == n)
        remaining = uniform[:, columns]
        # numpy's steps, in its order of operations: exp(n log q), then ((n - x + 1) p px) / (x q).
        probability = math.exp(n * math.log(0.5))
        active = remaining > probability
        x = np.zeros(remaining.shape)
        step = 0
        while active.any():
            step += 1
            if step > n:  # numpy starts this draw again with a new uniform
                rng.bit_generator.state = state
                return rng.binomial(sizes, 0.5, size=shape).astype(float)
            x += active
            remaining -= probability
            probability = ((n - step + 1) * 0.5 * probability) / (step * 0.5)
            active &= remaining > probability
        drawn[:, columns] = x
    return drawn


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
    clusters: Any = None,
    alpha: float = ALPHA,
    max_trials: int = MAX_ADAPTIVE_TRIALS,
) -> list[dict[str, Any]]:
    """Test every pair of systems, in input order, first minus second.

    Every pair is tested with the same seed, so a pair's result does not depend on which other
    systems take part. Holm's correction runs over all pairs, separately for each test. A test
    whose decision at ``alpha`` is not stable (see :data:`STABLE_Z`) is run again with four
    times the trials, up to ``max_trials``.

    Args:
        metric: The task's metric.
        systems: Each system's statistics over the same units, by name (at least two).
        n_trials: Trials each test starts with, 1 to :data:`MAX_TRIALS`.
        seed: Seed of both tests.
        clusters: The section of each unit, to resample or swap whole sections; None for
            single units.
        alpha: Significance level of the decisions.
        max_trials: Most trials a test grows to (no growth when at most ``n_trials``).

    Returns:
        One dict per pair: ``a``, ``b``, ``difference``, ``ci``, and for each test
        (``bootstrap``, ``randomization``) ``p_<test>``, its Monte Carlo standard error
        ``p_<test>_se``, the trials it ran ``n_trials_<test>``, the Holm-adjusted
        ``p_<test>_holm`` and ``decision_<test>`` (``significant``, ``not significant`` or
        ``undecided``); and ``per_label`` (each label's F1 under both and their difference).
    """
    check_trials(n_trials, seed)
    if len(systems) < 2:
        raise ValueError(f"need at least two systems to compare, got {len(systems)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, not {alpha!r}")
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1:
        raise ValueError(f"max_trials must be an integer of at least 1, not {max_trials!r}")
    max_trials = trial_bound(n_trials, max_trials)
    codes = None if clusters is None else cluster_codes(clusters)
    pairs: list[dict[str, Any]] = []
    paired: list[PairedStatistics] = []
    for name_a, name_b in combinations(systems, 2):
        paired.append(PairedStatistics.pair(metric, systems[name_a], systems[name_b], codes))
        pairs.append(
            {
                "a": name_a,
                "b": name_b,
                "per_label": _per_label_f1(
                    metric, systems[name_a].total(), systems[name_b].total()
                ),
            }
        )

    def bootstrap(index: int, trials: int) -> float:
        result = paired_bootstrap(metric, paired[index], n_trials=trials, seed=seed)
        pairs[index].update(difference=result["difference"], ci=result["ci"])
        return result["p_value"]

    def randomization(index: int, trials: int) -> float:
        return paired_randomization(metric, paired[index], n_trials=trials, seed=seed)

    for test, run in (("bootstrap", bootstrap), ("randomization", randomization)):
        trials = [n_trials] * len(pairs)
        p_values = [run(index, n_trials) for index in range(len(pairs))]
        while True:
            decisions = holm_decisions(p_values, trials, alpha)
            unstable = [i for i, d in enumerate(decisions) if d[2] == "undecided"]
            if not unstable or all(trials[i] >= max_trials for i in unstable):
                break
            for index in unstable:
                if trials[index] < max_trials:
                    trials[index] = min(4 * trials[index], max_trials)
                    p_values[index] = run(index, trials[index])
        for pair, p, n, (adjusted, se, decision) in zip(
            pairs, p_values, trials, decisions, strict=True
        ):
            pair.update(
                {
                    f"p_{test}": p,
                    f"p_{test}_se": monte_carlo_error(p, n),
                    f"n_trials_{test}": n,
                    f"p_{test}_holm": adjusted,
                    f"p_{test}_holm_se": se,
                    f"decision_{test}": decision,
                }
            )
    return [{key: pair[key] for key in ("a", "b", "difference", "ci")} | pair for pair in pairs]


def trial_bound(n_trials: int, max_trials: int) -> int:
    """Return the most trials a test that starts with ``n_trials`` grows to under ``max_trials``."""
    return max(n_trials, min(max_trials, MAX_TRIALS))


def monte_carlo_error(p_value: float, n_trials: int) -> float:
    """Return the Monte Carlo standard error of a p-value estimated from ``n_trials`` trials."""
    return float(np.sqrt(p_value * (1 - p_value) / n_trials))


def holm_decisions(
    p_values: Sequence[float], n_trials: Sequence[int], alpha: float
) -> list[tuple[float, float, str]]:
    """Return each test's Holm-adjusted p-value, its Monte Carlo error and its decision.

    The error of an adjusted p-value is its Holm factor (how many p-values are at least as
    large) times the raw p-value's error, floored at one trial. This is approximate where the
    step-down maximum takes the adjusted value from a smaller p-value: the error is then that of
    this test's own p-value, not of the one that set the maximum. The decision is
    ``significant`` or ``not significant`` when the adjusted p-value lies more than
    :data:`STABLE_Z` errors below or above ``alpha``, else ``undecided``.
    """
    adjusted = holm(p_values)
    order = np.argsort(np.asarray(p_values, dtype=float), kind="stable")
    factor = np.empty(len(p_values))
    factor[order] = len(p_values) - np.arange(len(p_values))
    decisions = []
    for p, n, q, m in zip(p_values, n_trials, adjusted, factor, strict=True):
        se = float(min(1.0, m * max(monte_carlo_error(p, n), 1 / n)))
        if q + STABLE_Z * se < alpha:
            decision = "significant"
        elif q - STABLE_Z * se >= alpha:
            decision = "not significant"
        else:
            decision = "undecided"
        decisions.append((q, se, decision))
    return decisions


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


def _exact_float(bound: float) -> type[np.floating[Any]]:
    """Return the cheaper float type whose products and sums of integers up to ``bound`` are exact.

    BLAS multiplies floats many times faster than integers, single precision twice as fast as
    double; integers are exact in single precision below 2**24 (every partial sum of
    non-negative terms, or of terms whose absolute values sum below it, is then exact too).
    """
    return np.float32 if bound < 2**24 else np.float64


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
    and multiplies without the GIL, so big tests run on several cores. Matrix products run on
    one core: BLAS threads of their own, on top of these or of other processes, spin on busy
    cores (measured twice to nine times the CPU time on two busy cores).
    """
    step = max(1, _CHUNK_CELLS // max(width, 1))
    sizes = [min(step, n_trials - start) for start in range(0, n_trials, step)]
    generators = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(sizes))]
    with _blas().limit(limits=1, user_api="blas"):
        if len(sizes) == 1:
            return trials(generators[0], sizes[0])
        threads = min(len(sizes), os.cpu_count() or 1, _MAX_THREADS)
        with ThreadPoolExecutor(threads) as pool:
            return np.concatenate(list(pool.map(trials, generators, sizes)))


@cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries numpy loaded, found once (finding them takes longer than a test)."""
    return ThreadpoolController()


def _p_value(extreme: np.ndarray) -> float:
    return float((extreme.sum() + 1) / (len(extreme) + 1))


def _per_label_f1(
    metric: Metric, total_a: np.ndarray, total_b: np.ndarray
) -> dict[str, dict[str, float | None]]:
    scores_a = metric.scores(total_a)["per_label"]
    scores_b = metric.scores(total_b)["per_label"]
    return {
        label: {
            "f1_a": scores_a[label]["f1"],
            "f1_b": scores_b[label]["f1"],
            "difference": None
            if scores_a[label]["f1"] is None or scores_b[label]["f1"] is None
            else scores_a[label]["f1"] - scores_b[label]["f1"],
        }
        for label in metric.labels
    }
