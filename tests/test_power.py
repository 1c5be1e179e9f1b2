"""Power analysis by simulation: its search, its bounds and ``migbench power``."""

from __future__ import annotations

import importlib
import json
import random

import numpy as np
import pytest

import migbench
from baselines.pairwise import load
from migbench.cli import main
from migbench.scoring.power import minimum_detectable_difference, power_markdown
from migbench.scoring.tasks import TASKS

from .conftest import EXAMPLES, GOLD, REPO

# The module, not the function that migbench.scoring exports under the same name.
power_module = importlib.import_module("migbench.scoring.power")


def reference(n: int, right: float, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    labels = TASKS["frame"].labels
    gold = [rng.choice(labels) for _ in range(n)]
    return gold, [g if rng.random() < right else rng.choice(labels) for g in gold]


def mdd(gold, predicted, **options):
    options = {"n_simulations": 60, "n_trials": 300, "seed": 0, "churn": 0.1} | options
    return minimum_detectable_difference(TASKS["frame"], gold, predicted, **options)


@pytest.mark.slow
def test_the_smallest_detectable_effect_has_the_power_and_the_one_below_does_not():
    gold, predicted = reference(200, 0.6, seed=1)
    result = mdd(gold, predicted)
    k = result["minimum_detectable_units"]
    by_units = {row["units"]: row for row in result["curve"]}
    assert k is not None
    assert by_units[k]["power"] >= 0.8
    assert by_units[k - 1]["power"] < 0.8
    assert result["minimum_detectable_difference"] == by_units[k]["mean_difference"] > 0
    assert result == mdd(gold, predicted), "seeded: the same result twice"


@pytest.mark.slow
def test_more_units_detect_smaller_differences():
    small = mdd(*reference(100, 0.6, seed=2))["minimum_detectable_difference"]
    large = mdd(*reference(400, 0.6, seed=2))["minimum_detectable_difference"]
    assert large < small


@pytest.mark.slow
def test_churn_makes_differences_harder_to_detect():
    gold, predicted = reference(200, 0.6, seed=3)
    assert (
        mdd(gold, predicted, churn=0.0)["minimum_detectable_units"]
        < mdd(gold, predicted, churn=0.15)["minimum_detectable_units"]
    )


def test_a_perfect_reference_leaves_nothing_to_detect():
    gold, _ = reference(50, 1.0, seed=4)
    result = mdd(gold, gold)
    assert result["n_wrong"] == 0
    assert result["curve"] == []
    assert result["largest_units"] is None
    assert result["minimum_detectable_units"] is None
    assert result["minimum_detectable_difference"] is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"alpha": 0}, "alpha"),
        ({"power": 1.0}, "power"),
        ({"churn": 0.6}, "churn"),
        ({"n_simulations": 0}, "n_simulations"),
        ({"n_trials": 10**6}, "n_trials"),
    ],
)
def test_bad_options_are_value_errors(options, message):
    gold, predicted = reference(20, 0.5, seed=5)
    with pytest.raises(ValueError, match=message):
        mdd(gold, predicted, **options)


def test_cli_power_on_an_example_submission(capsys):
    argv = ["power", "--task", "ner", str(EXAMPLES / "ner.jsonl"), "--gold", str(GOLD)]
    code = main([*argv, "--simulations", "20", "--trials", "200"])
    captured = capsys.readouterr()
    assert code == 0
    assert "Traceback" not in captured.err
    result = json.loads(captured.out)
    assert result["task"] == "ner"
    assert result["n_units"] == 12
    assert result["reference"] == str(EXAMPLES / "ner.jsonl")
    assert main([*argv, "--simulations", "0"]) == 2


@pytest.mark.slow
def test_power_markdown_reports_found_and_unreachable_differences_per_churn():
    gold, predicted = reference(200, 0.6, seed=1)
    found = [mdd(gold, predicted, churn=churn) for churn in (0.0, 0.1)]
    perfect = [mdd(gold, gold)]
    text = power_markdown([("noisy", found), ("perfect", perfect)])
    for result in found:
        cell = f"{result['n_churn']}: {result['minimum_detectable_difference']:.3f}"
        assert cell in text
    assert "none (no wrong unit to fix)" in text
    assert "alpha = 0.05 with power 0.8" in text


def test_a_curve_that_never_reaches_the_power_reports_the_largest_improvement_simulated():
    gold, predicted = reference(12, 0.6, seed=6)
    result = mdd(gold, predicted, churn=0.0, n_simulations=20)
    assert result["minimum_detectable_units"] is None
    largest = result["curve"][-1]
    assert result["largest_units"] == largest["units"] == result["n_wrong"]
    assert result["largest_difference"] == largest["mean_difference"] > 0
    assert result["largest_power"] == largest["power"] < 0.8


def _cv_reference(task: str) -> tuple[migbench.Scorer, list]:
    """The cross-validation scorer and the best committed baseline's predictions."""
    reference_name = load("power")["cv", task, "pooled"]["reference"]
    path = REPO / "baselines/predictions/cv" / f"{reference_name}.{task}.pooled.jsonl"
    scorer = migbench.Scorer(task, migbench.Gold(protocol="cv"))
    return scorer, list(scorer.check(path).predictions.values)


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("task", list(TASKS))
def test_fixing_every_error_is_detected_by_power_whenever_compare_detects_it(task):
    scorer, predicted = _cv_reference(task)
    gold = scorer.gold_labels
    field = TASKS[task].gold_field

    def rows(labels: list) -> list[dict]:
        return [
            {"id": unit.id, field: list(label) if TASKS[task].is_sequence else label}
            for unit, label in zip(scorer.units, labels, strict=True)
        ]

    submissions = {"fixed": rows(gold), "reference": rows(predicted)}
    (pair,) = migbench.compare(task, submissions, protocol="cv")["pairs"]
    result = minimum_detectable_difference(
        TASKS[task],
        gold,
        predicted,
        clusters=scorer.clusters,
        churn=0.0,
        n_simulations=10,
        n_trials=2000,
    )
    every = result["curve"][-1]
    assert every["units"] == result["n_wrong"]
    assert every["mean_difference"] == pytest.approx(pair["difference"])
    assert pair["decision_randomization"] != "undecided"
    assert (every["power"] == 1.0) == (pair["decision_randomization"] == "significant")


@pytest.mark.slow
@pytest.mark.integration
def test_power_never_counts_a_significant_deterioration(monkeypatch):
    # Every test "significant": the power is then the share of simulated systems that are better.
    monkeypatch.setattr(power_module, "paired_randomization", lambda *args, **kwargs: 0.0)
    scorer, predicted = _cv_reference("stance")
    result = minimum_detectable_difference(
        TASKS["stance"],
        scorer.gold_labels,
        predicted,
        churn=0.05,
        n_simulations=100,
        n_trials=10,
    )
    first = result["curve"][0]
    assert first["units"] == 1
    assert first["share_better"] < 0.9, "the case should hold deteriorations"
    for row in result["curve"]:
        assert row["power"] == row["share_better"]


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("task", list(TASKS))
def test_the_simulated_mean_difference_grows_with_the_units_fixed(task):
    scorer, predicted = _cv_reference(task)
    result = minimum_detectable_difference(
        TASKS[task],
        scorer.gold_labels,
        predicted,
        clusters=scorer.clusters,
        churn=0.05,
        n_simulations=40,
        n_trials=200,
    )
    curve = result["curve"]
    assert len(curve) >= 5
    assert curve[-1]["mean_difference"] > curve[0]["mean_difference"] + 0.05
    # Between neighbouring sizes, no fall beyond the Monte Carlo error of the two means.
    for low, high in zip(curve, curve[1:], strict=False):
        error = np.hypot(low["sd_difference"], high["sd_difference"]) / np.sqrt(40)
        assert high["mean_difference"] > low["mean_difference"] - 3 * error
