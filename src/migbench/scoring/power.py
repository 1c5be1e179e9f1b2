"""Power analysis by simulation: the smallest difference between systems a test set can detect.

After Card et al. (2020), "With Little Power Comes Great Responsibility": from a reference
system's predictions, simulate a second system that is right on ``k`` more units net, with churn
(it also breaks ``churn`` × units right units and fixes as many more wrong ones, so the two
systems disagree on more units than their net difference, as real systems do), and run the
paired approximate randomization test of :mod:`~migbench.scoring.significance` on each simulated
pair, resampling the same unit as ``compare`` (whole sections by default). The power at ``k`` is
the share of simulations that the test finds significantly *better* (p < ``alpha`` and a positive
difference: a significant deterioration is no detection). The minimum detectable difference is
the mean difference in the main score at the smallest ``k`` from which on every simulated size
reaches ``power``.

A unit is *right* when its prediction equals the gold (for NER, every tag). *Fixing* a unit
predicts its gold. *Breaking* follows the reference's own errors (its confusion matrix): a right
unit of gold class ``g`` is chosen with weight the reference's error rate on ``g`` and becomes
label ``l`` with probability the share of the reference's errors on ``g`` that predict ``l``; a
class the reference never gets wrong is never broken. For NER a broken unit misses one of its gold
entities, drawn uniformly (missed entities are the commonest NER error), and only units with a
gold entity break. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from migbench.scoring.metrics import Statistics, metric_for
from migbench.scoring.resampling import cluster_codes, resampling_unit
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
#: Effect sizes of the first pass: this many, spread geometrically from 1 to the largest.
N_GRID = 8


def minimum_detectable_difference(
    task: Task,
    gold: Sequence[Any],
    reference: Sequence[Any],
    *,
    entity_types: str | None = None,
    clusters: Sequence[Any] | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
    churn: float = CHURN,
    n_simulations: int = N_SIMULATIONS,
    n_trials: int = N_TRIALS,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Estimate the smallest improvement over ``reference`` that the paired test detects.

    A first pass simulates :data:`N_GRID` effect sizes ``k`` (units fixed net) spread
    geometrically from 1 to the largest possible; the step below the smallest size from which on
    the power stays at ``power`` is then bisected. A curve that falls again above a size does
    not count that size as detectable.

    Args:
        task: The task.
        gold: Gold labels (NER: IOB2 tags), one per unit.
        reference: The reference system's predictions aligned with ``gold`` (None: none).
        entity_types: NER only, as for scoring.
        clusters: The section of each unit, for the test to swap whole sections; None for
            single units.
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
        The settings, ``resampling_unit``, ``reference_score``, ``n_units``, ``n_wrong`` (units
        the reference gets wrong), ``n_churn`` (units broken per simulation), ``break_model``
        (for classification: the reference's errors, gold → predicted label → count),
        ``curve`` (``units``, ``mean_difference`` and ``sd_difference`` over the simulated
        systems, ``share_better`` (simulated systems that
        score higher), ``power`` and ``power_se``, its Monte Carlo error, of every effect size
        simulated, by size), ``minimum_detectable_units`` and
        ``minimum_detectable_difference`` (None when no simulated size reaches the power
        sought), and ``largest_units``, ``largest_difference`` and ``largest_power``: the
        largest improvement simulated.

    Raises:
        ValueError: Inputs of different lengths, an unknown label, or a bad option.
    """
    _check_options(alpha, power, churn, n_simulations, n_trials, seed)
    metric = metric_for(task, entity_types=entity_types)
    reference_stats = metric.statistics(gold, reference)
    reference_score = float(metric.main_score(reference_stats.total()))
    right = np.array([_equal(task, p, g) for p, g in zip(reference, gold, strict=True)])
    errors = _errors(task, gold, reference, right)
    weights = _break_weights(task, gold, right, errors)
    n_wrong = int((~right).sum())
    # Churn takes wrong units to fix besides the k; leave at least one for k.
    n_churn = min(round(churn * len(gold)), int((weights > 0).sum()), max(n_wrong - 1, 0))
    max_k = n_wrong - n_churn
    rng = np.random.default_rng(seed)
    codes = None if clusters is None else cluster_codes(clusters)
    # Per-unit rows of the reference; a simulated system rescores only the units it changes.
    reference_rows = reference_stats.table[reference_stats.keys]

    def simulate(k: int) -> dict[str, Any]:
        differences, detected = [], 0
        for _ in range(n_simulations):
            fixed = rng.choice(np.flatnonzero(~right), size=k + n_churn, replace=False)
            broken = (
                rng.choice(len(gold), size=n_churn, replace=False, p=weights)
                if n_churn
                else np.array([], dtype=int)
            )
            changed = np.concatenate([fixed, broken])
            predicted = [gold[unit] for unit in fixed]
            predicted += [_broken(task, gold[unit], errors, rng) for unit in broken]
            rows = reference_rows.copy()
            update = metric.statistics([gold[unit] for unit in changed], predicted)
            rows[changed] = update.table[update.keys]
            stats = Statistics.from_rows(rows)
            difference = float(metric.main_score(rows.sum(axis=0))) - reference_score
            differences.append(difference)
            paired = PairedStatistics.pair(metric, stats, reference_stats, codes)
            p = paired_randomization(
                metric, paired, n_trials=n_trials, seed=int(rng.integers(2**63))
            )
            detected += p < alpha and difference > 0
        share = detected / n_simulations
        return {
            "units": k,
            "mean_difference": float(np.mean(differences)),
            "sd_difference": float(np.std(differences, ddof=1)) if n_simulations > 1 else 0.0,
            "share_better": float(np.mean(np.array(differences) > 0)),
            "power": share,
            "power_se": float(np.sqrt(share * (1 - share) / n_simulations)),
        }

    curve: dict[int, dict[str, Any]] = {}
    with tqdm(desc=f"power {task.name}", unit="size", disable=not progress) as bar:

        def point(k: int) -> dict[str, Any]:
            if k not in curve:
                curve[k] = simulate(k)
                bar.update()
            return curve[k]

        if max_k >= 1:
            grid = np.unique(np.geomspace(1, max_k, min(N_GRID, max_k)).round().astype(int))
            for k in grid:
                point(int(k))
            high = _smallest_reached(curve, power)
            while high is not None:
                low = max((k for k in curve if k < high), default=0)
                if high - low <= 1:
                    break
                point((low + high) // 2)
                high = _smallest_reached(curve, power)
    found = curve.get(high) if max_k >= 1 and high is not None else None
    largest = curve[max(curve)] if curve else None
    return {
        "task": task.name,
        "main_metric": task.main_metric,
        "test": "paired approximate randomization",
        "resampling_unit": resampling_unit(clusters),
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
        "break_model": None if task.is_sequence else errors,
        "curve": [curve[k] for k in sorted(curve)],
        "minimum_detectable_units": found["units"] if found else None,
        "minimum_detectable_difference": found["mean_difference"] if found else None,
        "largest_units": largest["units"] if largest else None,
        "largest_difference": largest["mean_difference"] if largest else None,
        "largest_power": largest["power"] if largest else None,
    }


def churn_between(
    task: Task, gold: Sequence[Any], a: Sequence[Any], b: Sequence[Any]
) -> dict[str, int]:
    """Count how two systems' right units differ.

    Returns:
        ``fixes`` (units b gets right and a wrong), ``breaks`` (a right, b wrong) and
        ``churn``, the smaller of the two: the disagreement beyond the net difference, which a
        simulated system of :func:`minimum_detectable_difference` reproduces.
    """
    right_a = np.array([_equal(task, p, g) for p, g in zip(a, gold, strict=True)])
    right_b = np.array([_equal(task, p, g) for p, g in zip(b, gold, strict=True)])
    fixes, breaks = int((right_b & ~right_a).sum()), int((right_a & ~right_b).sum())
    return {"fixes": fixes, "breaks": breaks, "churn": min(fixes, breaks)}


def _smallest_reached(curve: dict[int, dict[str, Any]], power: float) -> int | None:
    """Return the smallest simulated size from which on every simulated size has ``power``."""
    found = None
    for k in sorted(curve, reverse=True):
        if curve[k]["power"] < power:
            break
        found = k
    return found


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


def _errors(
    task: Task, gold: Sequence[Any], reference: Sequence[Any], right: np.ndarray
) -> dict[str, dict[str, int]]:
    """Return the reference's errors: gold label → predicted label → units (classification)."""
    if task.is_sequence:
        return {}
    errors: dict[str, dict[str, int]] = {label: {} for label in task.labels}
    for g, p, ok in zip(gold, reference, right, strict=True):
        if not ok and p is not None:
            errors[g][p] = errors[g].get(p, 0) + 1
    return {g: dict(sorted(row.items())) for g, row in errors.items()}


def _break_weights(
    task: Task, gold: Sequence[Any], right: np.ndarray, errors: dict[str, dict[str, int]]
) -> np.ndarray:
    """Return the probability of each unit to be the next one broken (0 for wrong units)."""
    if task.is_sequence:
        weights = right & np.array([any(tag != "O" for tag in g) for g in gold])
    else:
        n_gold = {label: 0 for label in task.labels}
        for g in gold:
            n_gold[g] += 1
        rate = {g: sum(row.values()) / n_gold[g] if n_gold[g] else 0.0 for g, row in errors.items()}
        weights = right * np.array([rate[g] for g in gold])
    weights = weights.astype(float)
    total = weights.sum()
    return weights / total if total else weights


def _broken(
    task: Task, gold: Any, errors: dict[str, dict[str, int]], rng: np.random.Generator
) -> Any:
    if task.is_sequence:
        # Miss one of the unit's gold entities, the error NER systems make most.
        starts = [i for i, tag in enumerate(gold) if tag.startswith("B-")]
        start = starts[rng.integers(len(starts))]
        end = start + 1
        while end < len(gold) and gold[end].startswith("I-"):
            end += 1
        return (*gold[:start], *("O",) * (end - start), *gold[end:])
    labels, counts = zip(*errors[gold].items(), strict=True)
    return labels[rng.choice(len(labels), p=np.array(counts) / sum(counts))]


def power_markdown(results: Sequence[tuple[str, Sequence[dict[str, Any]]]]) -> str:
    """Render power analyses as a Markdown table: per task, one cell per churn simulated.

    Args:
        results: ``(reference name, results of minimum_detectable_difference)`` pairs, the
            results of one task at ascending churn (the low, median and high churn of real pairs
            of systems, as the caller calibrated it).
    """
    if not results or not all(analyses for _, analyses in results):
        raise ValueError("no power analyses to render")
    first = results[0][1][0]
    lines = [
        "| task | main metric | reference (score) | units | wrong | churn (units): smallest "
        "detectable difference |",
        "|---|---|---|---|---|---|",
    ]
    for name, analyses in results:
        result = analyses[0]
        cells = "; ".join(f"{r['n_churn']}: {_detectable(r)}" for r in analyses)
        lines.append(
            f"| {result['task']} | {result['main_metric']} | {name} "
            f"({result['reference_score']:.3f}) | {result['n_units']} | {result['n_wrong']} | "
            f"{cells} |"
        )
    lines += [
        "",
        f"A system must beat the reference by at least this much for the paired approximate "
        f"randomization test (swapping whole {first['resampling_unit']}s) to find it "
        f"significantly better at alpha = {first['alpha']} with power {first['power']}. "
        f"Simulated systems fix wrong units of the reference and, as real systems do, also break "
        f"*churn* right units (as the reference errs: its own confusions) and fix as many other "
        f"wrong ones; churn is the low, median and high churn of the pairs of trained baselines "
        f"(units one system fixes and the other breaks, the smaller count). `none` gives the "
        f"largest net improvement that could be simulated and its power "
        f"({first['n_simulations']} simulations of {first['n_trials']} trials per effect size, "
        f"seed {first['seed']}; whole curves in `baselines/significance/`; method in "
        f"docs/STATISTICS.md).",
    ]
    return "\n".join(lines)


def _detectable(result: dict[str, Any]) -> str:
    found = result["minimum_detectable_difference"]
    if found is not None:
        return f"{found:.3f} ({result['minimum_detectable_units']} units net)"
    if result["largest_units"] is None:
        return "none (no wrong unit to fix)"
    return (
        f"none (largest simulated {result['largest_difference']:+.3f}, "
        f"{result['largest_units']} units net, power {result['largest_power']:.2f})"
    )
