"""Power analysis by simulation: its search, its bounds and ``migbench power``."""

from __future__ import annotations

import json
import random

import pytest

from migbench.cli import main
from migbench.scoring.power import minimum_detectable_difference, power_markdown
from migbench.scoring.tasks import TASKS

from .conftest import EXAMPLES, GOLD


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
def test_power_markdown_reports_found_and_unreachable_differences():
    gold, predicted = reference(200, 0.6, seed=1)
    found = mdd(gold, predicted)
    perfect = mdd(gold, gold)
    text = power_markdown([("noisy", found), ("perfect", perfect)])
    assert f"{found['minimum_detectable_difference']:.3f}" in text
    assert "none: not even fixing all 0 wrong units" in text
    assert "alpha = 0.05 with power 0.8" in text
    assert f"| {found['n_churn']} |" in text
