"""Power analysis by simulation: the smallest difference between systems a test set can detect.

After Card et al. (2020), "With Little Power Comes Great Responsibility": from a reference
system's predictions, simulate a second system that is right on ``k`` more units, with churn
(it also fixes and breaks ``churn`` × units other units, so the two systems disagree on more
units than their net difference, as real systems do), and run the paired approximate
randomization test of :mod:`~migbench.scoring.significance` on each simulated pair. The power at
``k`` is the share of simulations with p < ``alpha``; the minimum detectable difference is the
mean difference in the main score at the smallest ``k`` whose power reaches ``power``.

A unit is *right* when its prediction equals the gold (for NER, every tag). *Fixing* a unit
predicts its gold; *breaking* one predicts a uniformly drawn other label or, for NER, no entity
(so only right units with a gold entity can break). Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from migbench.scoring.metrics import metric_for
from migbench.scoring.significance import PairedStatistics, check_trials, paired_randomization
from migbench.scoring.tasks import Task

#: Defaults: the significance level, the power sought, churn as a share of units, simulated
#: systems per effect size and randomization trials per simulated comparison.
ALPHA = 0.05
POWER = 0.8
CHURN = 0.05
N_SIMULATIONS = 200
N_TRIALS = 1000
#: Most simulations per effect size and trials per test.
MAX_SIMULATIONS = 10_000
MAX_POWER_TRIALS = 100_000


def minimum_detectable_difference(
    task: Task,
    gold: Sequence[Any],
    reference: Sequence[Any],
    *,
    tagset: str = "iob2",
    alpha: float = ALPHA,
    power: float = POWER,
    churn: float = CHURN,
    n_simulations: int = N_SIMULATIONS,
    n_trials: int = N_TRIALS,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Estimate the smallest improvement over ``reference`` that the paired test detects.

    Effect sizes ``k`` (units fixed net) grow geometrically until the power reaches ``power``;
    the step between the last two is then bisected, so about ``2 log2(k)`` sizes are simulated.

    Args:
        task: The task.
        gold: Gold labels (NER: IOB2 tags), one per unit.
        reference: The reference system's predictions aligned with ``gold`` (None: none).
        tagset: NER only, as for scoring.
        alpha: Significance level of the test.
        power: Power sought.
        churn: Share of units the simulated system breaks (and fixes as many more), 0 to 0.5;
            capped by the right units that can break and by the wrong units, one of which is
            kept for ``k``.
        n_simulations: Simulated systems per effect size, 1 to :data:`MAX_SIMULATIONS`.
        n_trials: Randomization trials per test, 1 to :data:`MAX_POWER_TRIALS`.
        seed: Seed of the simulation and of the tests.
        progress: Show a progress bar (tqdm, on stderr).

    Returns:
        The settings, ``reference_score``, ``n_units``, ``n_wrong`` (units the reference gets
        wrong), ``n_churn`` (units broken per simulation), ``curve`` (``units``,
        ``mean_difference`` and ``power`` of every effect size simulated, by size), and
        ``minimum_detectable_units`` and ``minimum_detectable_difference`` (None when even
        fixing every wrong unit is not detected often enough).

    Raises:
        ValueError: Inputs of different lengths, an unknown label, or a bad option.
    """
    _check_options(alpha, power, churn, n_simulations, n_trials, seed)
    metric = metric_for(task, tagset=tagset)
    reference_stats = metric.statistics(gold, reference)
    reference_score = float(metric.main_score(reference_stats.total()))
    right = np.array([_equal(task, p, g) for p, g in zip(reference, gold, strict=True)])
    breakable = right & np.array([_can_break(task, g) for g in gold])
    n_wrong = int((~right).sum())
    # Churn takes wrong units to fix besides the k; leave at least one for k.
    n_churn = min(round(churn * len(gold)), int(breakable.sum()), max(n_wrong - 1, 0))
    max_k = n_wrong - n_churn
    rng = np.random.default_rng(seed)

    def simulate(k: int) -> dict[str, Any]:
        differences, detected = [], 0
        for _ in range(n_simulations):
            fixed = rng.choice(np.flatnonzero(~right), size=k + n_churn, replace=False)
            broken = rng.choice(np.flatnonzero(breakable), size=n_churn, replace=False)
            simulated = list(reference)
            for unit in fixed:
                simulated[unit] = gold[unit]
            for unit in broken:
                simulated[unit] = _broken(task, gold[unit], rng)
            stats = metric.statistics(gold, simulated)
            differences.append(float(metric.main_score(stats.total())) - reference_score)
            paired = PairedStatistics.pair(metric, stats, reference_stats)
            p = paired_randomization(
                metric, paired, n_trials=n_trials, seed=int(rng.integers(2**63))
            )
            detected += p < alpha
        return {
            "units": k,
            "mean_difference": float(np.mean(differences)),
            "power": detected / n_simulations,
        }

    curve: dict[int, dict[str, Any]] = {}
    with tqdm(desc=f"power {task.name}", unit="size", disable=not progress) as bar:

        def point(k: int) -> dict[str, Any]:
            if k not in curve:
                curve[k] = simulate(k)
                bar.update()
            return curve[k]

        low, high = 0, None
        k = 1
        while max_k >= 1 and high is None:
            k = min(k, max_k)
            if point(k)["power"] >= power:
                high = k
            elif k == max_k:
                break
            else:
                low, k = k, max(k + 1, int(k * 1.5))
        while high is not None and high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if point(middle)["power"] >= power else (middle, high)
    found = curve.get(high) if high is not None else None
    return {
        "task": task.name,
        "main_metric": task.main_metric,
        "test": "paired approximate randomization",
        "alpha": alpha,
        "power": power,
        "churn": churn,
        "n_simulations": n_simulations,
        "n_trials": n_trials,
        "seed": seed,
        "n_units": len(gold),
        "reference_score": reference_score,
        "n_wrong": n_wrong,
        "n_churn": n_churn,
        "curve": [curve[k] for k in sorted(curve)],
        "minimum_detectable_units": high,
        "minimum_detectable_difference": found["mean_difference"] if found else None,
    }


def _check_options(
    alpha: float, power: float, churn: float, n_simulations: int, n_trials: int, seed: int
) -> None:
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1, not {value!r}")
    if not 0 <= churn <= 0.5:
        raise ValueError(f"churn must lie between 0 and 0.5, not {churn!r}")
    if isinstance(n_simulations, bool) or not isinstance(n_simulations, int):
        raise ValueError(f"n_simulations must be an integer, not {n_simulations!r}")
    if not 1 <= n_simulations <= MAX_SIMULATIONS:
        raise ValueError(f"n_simulations must be from 1 to {MAX_SIMULATIONS:,}")
    check_trials(n_trials, seed)
    if n_trials > MAX_POWER_TRIALS:
        raise ValueError(f"n_trials must be at most {MAX_POWER_TRIALS:,} in a power analysis")


def _equal(task: Task, predicted: Any, gold: Any) -> bool:
    if predicted is None:
        return False
    return tuple(predicted) == tuple(gold) if task.is_sequence else predicted == gold


def _can_break(task: Task, gold: Any) -> bool:
    return not task.is_sequence or any(tag != "O" for tag in gold)


def _broken(task: Task, gold: Any, rng: np.random.Generator) -> Any:
    if task.is_sequence:
        return ("O",) * len(gold)
    others = [label for label in task.labels if label != gold]
    return others[rng.integers(len(others))]


def power_markdown(results: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """Render power analyses, each with its reference system's name, as a Markdown table.

    Args:
        results: ``(reference name, result of minimum_detectable_difference)`` pairs.
    """
    if not results:
        raise ValueError("no power analyses to render")
    first = results[0][1]
    lines = [
        "| task | main metric | reference (score) | units | churn | smallest detectable "
        "difference |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in results:
        found = result["minimum_detectable_difference"]
        cell = (
            f"{found:.3f} ({result['minimum_detectable_units']} units fixed net)"
            if found is not None
            else f"none: not even fixing all {result['n_wrong']} wrong units"
        )
        lines.append(
            f"| {result['task']} | {result['main_metric']} | {name} "
            f"({result['reference_score']:.3f}) | {result['n_units']} | {result['n_churn']} | "
            f"{cell} |"
        )
    lines += [
        "",
        f"A system must beat the reference by at least this much for the paired approximate "
        f"randomization test to find the difference at alpha = {first['alpha']} with power "
        f"{first['power']}: simulated systems fix wrong units of the reference and, as real "
        f"systems do, also break *churn* right units and fix as many other wrong ones "
        f"({first['n_simulations']} simulations of {first['n_trials']} trials per effect size, "
        f"seed {first['seed']}; method in docs/STATISTICS.md).",
    ]
    return "\n".join(lines)
