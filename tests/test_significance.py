"""Paired tests, Holm's correction and :func:`migbench.compare`: against naive reimplementations."""

from __future__ import annotations

import json
import random
import warnings
from itertools import combinations

import numpy as np
import pytest
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.scheme import IOB2

import migbench
from migbench.cli import main
from migbench.scoring.gold import load_gold_file
from migbench.scoring.metrics import metric_for
from migbench.scoring.resampling import bootstrap_interval
from migbench.scoring.significance import (
    MAX_TRIALS,
    TIE_TOLERANCE,
    PairedStatistics,
    compare_statistics,
    fair_binomial,
    holm,
    paired_bootstrap,
    paired_randomization,
)
from migbench.scoring.tasks import TASKS
from tests.test_scoring import random_tags, sklearn_main

from .conftest import EXAMPLES, GOLD


def noisy_labels(rng: random.Random, task: str, gold: list[str], right: float) -> list[str]:
    labels = TASKS[task].labels
    return [g if rng.random() < right else rng.choice(labels) for g in gold]


def noisy_tags(rng: random.Random, gold: list[list[str]], right: float) -> list[list[str]]:
    return [g if rng.random() < right else random_tags(rng, len(g)) for g in gold]


def two_systems(task: str, n: int, seed: int) -> tuple[list, list, list]:
    """A skewed gold and two systems of similar quality, so that p-values are moderate."""
    rng = random.Random(seed)
    if TASKS[task].is_sequence:
        gold = [random_tags(rng, rng.randint(1, 10)) for _ in range(n)]
        return gold, noisy_tags(rng, gold, 0.6), noisy_tags(rng, gold, 0.5)
    labels = TASKS[task].labels
    gold = rng.choices(labels, weights=[rng.random() ** 2 for _ in labels], k=n)
    return gold, noisy_labels(rng, task, gold, 0.6), noisy_labels(rng, task, gold, 0.5)


def naive_main(task: str, gold: list, predicted: list) -> float:
    if not TASKS[task].is_sequence:
        return sklearn_main(task, gold, predicted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns when a resample has no entity
        return seqeval_f1(gold, predicted, mode="strict", scheme=IOB2, zero_division=0)


def naive_tests(task: str, gold: list, a: list, b: list, trials: int, seed: int) -> dict:
    """Both tests unit by unit: resample unit indices, swap units' predictions, rescore."""
    rng = np.random.default_rng(seed)
    n = len(gold)
    observed = naive_main(task, gold, a) - naive_main(task, gold, b)
    boot = []
    for _ in range(trials):
        index = rng.integers(n, size=n)
        sample = [gold[i] for i in index]
        boot.append(
            naive_main(task, sample, [a[i] for i in index])
            - naive_main(task, sample, [b[i] for i in index])
        )
    swaps = []
    for _ in range(trials):
        swap = rng.random(n) < 0.5
        shuffled_a = [b[i] if swap[i] else a[i] for i in range(n)]
        shuffled_b = [a[i] if swap[i] else b[i] for i in range(n)]
        swaps.append(naive_main(task, gold, shuffled_a) - naive_main(task, gold, shuffled_b))
    boot, swaps = np.array(boot), np.array(swaps)
    # The percentile interval's own test of 0: twice the smaller tail beyond 0.
    tail = min((boot <= TIE_TOLERANCE).sum(), (boot >= -TIE_TOLERANCE).sum())
    return {
        "difference": observed,
        "low": np.quantile(boot, 0.025),
        "high": np.quantile(boot, 0.975),
        "p_bootstrap": min(1.0, 2 * (tail + 1) / (trials + 1)),
        "p_randomization": ((np.abs(swaps) >= abs(observed) - TIE_TOLERANCE).sum() + 1)
        / (trials + 1),
    }


def paired(task: str, gold: list, a: list, b: list) -> tuple:
    metric = metric_for(TASKS[task])
    return metric, PairedStatistics.pair(
        metric, metric.statistics(gold, a), metric.statistics(gold, b)
    )


@pytest.mark.slow
@pytest.mark.parametrize("task", ["stance", "mfc", "ner"])
def test_p_values_agree_with_a_naive_implementation_within_monte_carlo_error(task):
    gold, a, b = two_systems(task, 60, seed=3)
    metric, stats = paired(task, gold, a, b)
    naive = naive_tests(task, gold, a, b, 400, seed=2)
    boot = assert_agree_with_naive(metric, stats, naive, 400)
    assert boot["difference"] == pytest.approx(naive["difference"], abs=1e-12)


def assert_agree_with_naive(metric, stats, naive: dict, naive_trials: int) -> dict:
    """Check both fast tests against a naive run within Monte Carlo error; return the bootstrap."""
    fast_trials = 20_000
    boot = paired_bootstrap(metric, stats, n_trials=fast_trials, seed=1)
    p_rand = paired_randomization(metric, stats, n_trials=fast_trials, seed=1)
    for ours, theirs in (
        (boot["p_value"], naive["p_bootstrap"]),
        (p_rand, naive["p_randomization"]),
    ):
        assert 0.005 < theirs < 0.995, "the case should have a moderate p-value"
        p = (ours + theirs) / 2
        error = np.sqrt(p * (1 - p) * (1 / fast_trials + 1 / naive_trials))
        assert abs(ours - theirs) <= 4 * error + 2 / naive_trials
    # Interval ends: quantiles of the same distribution, up to the naive one's sampling error.
    spread = naive["high"] - naive["low"]
    assert boot["ci"]["low"] == pytest.approx(naive["low"], abs=0.15 * spread)
    assert boot["ci"]["high"] == pytest.approx(naive["high"], abs=0.15 * spread)
    return boot


@pytest.mark.parametrize("task", list(TASKS))
def test_a_system_compared_with_itself_differs_by_zero_with_p_one(task):
    gold, a, _ = two_systems(task, 80, seed=5)
    metric = metric_for(TASKS[task])
    stats = metric.statistics(gold, a)
    (result,) = compare_statistics(metric, {"a": stats, "b": stats}, n_trials=2000)
    assert result["difference"] == 0
    assert result["ci"]["low"] == result["ci"]["high"] == 0
    assert result["p_bootstrap"] >= 0.99
    assert result["p_randomization"] >= 0.99
    assert all(row["difference"] == 0 for row in result["per_label"].values())


def gold_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        tags = random_tags(rng, rng.randint(2, 9), types=("PERSON", "GPE", "ORG"))
        tags[0] = tags[0] if tags[0] != "O" else "B-GPE"
        rows.append(
            {
                "id": f"u{i:04d}",
                "text": " ".join(f"w{j}" for j in range(len(tags))),
                "tokens": [f"w{j}" for j in range(len(tags))],
                **{
                    layer: rng.choice(TASKS[name].labels)
                    for layer, name in (("stance", "stance"), ("frame", "frame"), ("mfc", "mfc"))
                },
                "ner_tags": tags,
            }
        )
    return rows


@pytest.mark.integration
@pytest.mark.parametrize("task", list(TASKS))
def test_the_gold_against_a_majority_baseline_gives_p_below_a_thousandth(task):
    rows = gold_rows(150, seed=7)
    declared = TASKS[task]
    field = declared.gold_field
    majority = (
        "O"
        if declared.is_sequence
        else max(declared.labels, key=[row[field] for row in rows].count)
    )
    perfect = [{"id": row["id"], field: row[field]} for row in rows]
    constant = [
        {
            "id": row["id"],
            field: [majority] * len(row["tokens"]) if declared.is_sequence else majority,
        }
        for row in rows
    ]
    result = migbench.compare(
        task, {"gold": perfect, "majority": constant}, gold=rows, n_trials=10_000
    )
    (pair,) = result["pairs"]
    assert pair["difference"] > 0.5
    assert pair["p_bootstrap"] < 0.001
    assert pair["p_randomization"] < 0.001
    assert result["systems"][0]["main_score"] == 1.0


def textbook_holm(p: list[float]) -> list[float]:
    """Holm (1979): the i-th smallest p times (m - i + 1), made monotone, capped at 1."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order, start=1):
        running = max(running, min(1.0, (m - rank + 1) * p[i]))
        adjusted[i] = running
    return adjusted


def test_holm_matches_the_textbook_formula_and_a_hand_checked_example():
    # Sorted: 0.005 * 4 = 0.02, 0.01 * 3 = 0.03, 0.03 * 2 = 0.06, 0.04 * 1 -> max(0.06, 0.04).
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    rng = random.Random(0)
    for _ in range(50):
        p = [rng.random() ** 2 for _ in range(rng.randint(1, 8))]
        assert holm(p) == pytest.approx(textbook_holm(p))
    assert holm([0.4, 0.9]) == [0.8, 0.9]  # capped monotone, never above 1
    assert holm([0.7, 0.9]) == [1.0, 1.0]


def test_pairs_come_in_input_order_with_holm_over_all_pairs():
    gold, a, b = two_systems("frame", 60, seed=9)
    metric = metric_for(TASKS["frame"])
    systems = {
        name: metric.statistics(gold, pred) for name, pred in zip("abc", (a, b, gold), strict=True)
    }
    pairs = compare_statistics(metric, systems, n_trials=500, seed=4)
    assert [(p["a"], p["b"]) for p in pairs] == list(combinations("abc", 2))
    for test in ("p_bootstrap", "p_randomization"):
        assert [p[f"{test}_holm"] for p in pairs] == holm([p[test] for p in pairs])
    again = compare_statistics(metric, systems, n_trials=500, seed=4)
    assert again == pairs
    alone = compare_statistics(metric, {"a": systems["a"], "c": systems["c"]}, n_trials=500, seed=4)
    assert alone[0]["p_randomization"] == pairs[1]["p_randomization"]


@pytest.mark.parametrize(
    ("trials", "message"),
    [(0, "at least 1"), (MAX_TRIALS + 1, "at most 1,000,000"), (True, "integer")],
)
def test_trials_are_bounded_with_a_clear_message(trials, message):
    gold, a, _ = two_systems("stance", 10, seed=1)
    metric, stats = paired("stance", gold, a, a)
    with pytest.raises(ValueError, match=message):
        paired_randomization(metric, stats, n_trials=trials, seed=0)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_compares_example_submissions(capsys, tmp_path):
    worse = tmp_path / "worse.jsonl"
    worse.write_text(
        "".join(
            json.dumps({"id": unit.id, "stance": "none"}) + "\n" for unit in load_gold_file(GOLD)
        )
    )
    argv = ["compare", "--task", "stance", str(EXAMPLES / "stance.jsonl"), str(worse)]
    code, out, err = run(capsys, *argv, "--gold", str(GOLD), "--trials", "2000")
    assert code == 0
    assert "Traceback" not in err
    result = json.loads(out)
    assert [s["name"] for s in result["systems"]] == ["stance", "worse"]
    assert result["gold_file"] == str(GOLD)
    assert result["n_trials"] == 2000
    assert result["resampling_unit"] == "unit"  # the example gold names no sections
    assert "resampling_unit" not in result["pairs"][0]  # stated once, for every pair
    assert "resample:randomization=2000+bootstrap=2000+max_trials=640000@unit" in (
        result["signature"].split("|")
    )
    expected = migbench.compare(
        "stance", [EXAMPLES / "stance.jsonl", worse], gold=GOLD, n_trials=2000
    )
    assert result == json.loads(json.dumps(expected))
    code, out, _ = run(capsys, *argv, "--gold", str(GOLD), "--format", "text", "--name", "x",
                       "--name", "y")  # fmt: skip
    assert code == 0
    assert "p rand" in out
    assert "per-label F1, x - y" in out


def test_cli_exits_1_on_an_invalid_submission(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "fixture-0001", "stance": "maybe"}\n')
    code, out, err = run(
        capsys, "compare", "--task", "stance", str(EXAMPLES / "stance.jsonl"), str(bad),
        "--gold", str(GOLD), "--allow-missing",
    )  # fmt: skip
    assert code == 1
    assert out == ""
    assert "line 1" in err
    assert "maybe" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "extra",
    [
        [],  # one submission only
        [str(EXAMPLES / "stance.jsonl")],  # the same name twice
        [str(EXAMPLES / "frame.jsonl"), "--name", "a"],  # names and submissions differ in number
        [str(EXAMPLES / "frame.jsonl"), "--trials", "0"],
        [str(EXAMPLES / "frame.jsonl"), "--trials", str(MAX_TRIALS + 1)],
        [str(EXAMPLES / "frame.jsonl"), "--entity-types", "conll"],
    ],
)
def test_cli_usage_errors_exit_2(capsys, extra):
    code, out, err = run(
        capsys, "compare", "--task", "stance", str(EXAMPLES / "stance.jsonl"), *extra,
        "--gold", str(GOLD),
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert "error" in err
    assert "Traceback" not in err


def test_the_main_projection_keeps_the_main_score_and_merges_ner_groups():
    gold, a, _ = two_systems("ner", 300, seed=11)
    metric = metric_for(TASKS["ner"])
    stats = metric.statistics(gold, a)
    rows = stats.table[stats.keys]
    projected = rows @ metric.main_projection()
    assert metric.main_score(projected.sum(axis=0)) == metric.main_score(rows.sum(axis=0))
    assert len(np.unique(projected, axis=0)) < len(stats.table)
    assert metric_for(TASKS["stance"]).main_projection() is None


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_main_reduction_keeps_the_main_score_in_fewer_columns(task):
    gold, a, b = two_systems(task, 200, seed=13)
    metric = metric_for(TASKS[task])
    reduction = metric.main_reduction()
    rng = np.random.default_rng(0)
    for predicted in (a, b, gold):
        stats = metric.statistics(gold, predicted)
        rows = stats.table[stats.keys]
        # Resampled sums, as the paired tests form them, and the whole.
        weights = np.vstack([rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), 50),
                             np.ones(len(rows), dtype=int)])  # fmt: skip
        totals = (weights @ rows).astype(float)
        reduced = (weights @ (rows @ reduction.matrix)).astype(float)
        assert np.array_equal(reduction.main_score(reduced), metric.main_score(totals))
    assert reduction.matrix.shape[1] < reduction.matrix.shape[0]


@pytest.mark.parametrize(
    "sizes",
    [[1] * 50, [1, 2, 3, 7, 1, 60], list(range(1, 61)), [61, 1, 2], [200, 5000], [4, 1, 30]],
)
def test_fair_binomial_draws_numpys_binomials(sizes):
    sizes = np.array(sizes)
    ours, numpys = np.random.default_rng(21), np.random.default_rng(21)
    drawn = fair_binomial(ours, sizes, 2000)
    assert np.array_equal(drawn, numpys.binomial(sizes, 0.5, size=(2000, len(sizes))))
    # Both generators consumed the same draws.
    assert ours.random() == numpys.random()


@pytest.mark.parametrize("task", ["frame", "ner"])
def test_randomization_is_symmetric_in_the_two_systems(task):
    gold, a, b = two_systems(task, 60, seed=12)
    metric, forward = paired(task, gold, a, b)
    _, backward = paired(task, gold, b, a)
    # Joint groups come in another order, so the draws differ: equal within Monte Carlo error.
    p = paired_randomization(metric, forward, n_trials=3000, seed=5)
    q = paired_randomization(metric, backward, n_trials=3000, seed=5)
    assert abs(p - q) <= 4 * np.sqrt(2 * p * (1 - p) / 3000) + 1e-3
    boot = paired_bootstrap(metric, forward, n_trials=3000, seed=5)
    back = paired_bootstrap(metric, backward, n_trials=3000, seed=5)
    assert back["difference"] == -boot["difference"]


def clustered_systems(task: str, n_clusters: int, seed: int) -> tuple[list, list, list, list]:
    """Clusters of 1 to 6 units that share their gold label and how well each system does."""
    rng = random.Random(seed)
    gold, a, b, clusters = [], [], [], []
    labels = TASKS[task].labels
    for cluster in range(n_clusters):
        size, label = rng.randint(1, 6), rng.choice(labels)
        right_a, right_b = rng.random(), rng.random()
        for _ in range(size):
            gold.append(label)
            a.append(label if rng.random() < right_a else rng.choice(labels))
            b.append(label if rng.random() < right_b else rng.choice(labels))
            clusters.append(f"c{cluster}")
    return gold, a, b, clusters


def naive_clustered_tests(task, gold, a, b, clusters, trials: int, seed: int) -> dict:
    """Both tests cluster by cluster: draw clusters with replacement, swap whole clusters."""
    rng = np.random.default_rng(seed)
    members: dict[str, list[int]] = {}
    for index, cluster in enumerate(clusters):
        members.setdefault(cluster, []).append(index)
    groups = list(members.values())
    observed = naive_main(task, gold, a) - naive_main(task, gold, b)
    boot = []
    for _ in range(trials):
        index = [i for g in rng.integers(len(groups), size=len(groups)) for i in groups[g]]
        sample = [gold[i] for i in index]
        boot.append(
            naive_main(task, sample, [a[i] for i in index])
            - naive_main(task, sample, [b[i] for i in index])
        )
    swaps = []
    for _ in range(trials):
        swapped = {
            i
            for g, swap in zip(groups, rng.random(len(groups)) < 0.5, strict=True)
            if swap
            for i in g
        }
        shuffled_a = [b[i] if i in swapped else a[i] for i in range(len(gold))]
        shuffled_b = [a[i] if i in swapped else b[i] for i in range(len(gold))]
        swaps.append(naive_main(task, gold, shuffled_a) - naive_main(task, gold, shuffled_b))
    boot, swaps = np.array(boot), np.array(swaps)
    tail = min((boot <= TIE_TOLERANCE).sum(), (boot >= -TIE_TOLERANCE).sum())
    return {
        "low": np.quantile(boot, 0.025),
        "high": np.quantile(boot, 0.975),
        "p_bootstrap": min(1.0, 2 * (tail + 1) / (trials + 1)),
        "p_randomization": ((np.abs(swaps) >= abs(observed) - TIE_TOLERANCE).sum() + 1)
        / (trials + 1),
    }


@pytest.mark.slow
@pytest.mark.parametrize("task", ["stance", "frame"])
def test_clustered_tests_agree_with_a_naive_cluster_loop_within_monte_carlo_error(task):
    gold, a, b, clusters = clustered_systems(task, 40, seed=11)
    metric = metric_for(TASKS[task])
    stats = PairedStatistics.pair(
        metric, metric.statistics(gold, a), metric.statistics(gold, b), clusters
    )
    assert stats.sizes.sum() == 40, "each resampled row is a cluster"
    naive = naive_clustered_tests(task, gold, a, b, clusters, 600, seed=2)
    boot = assert_agree_with_naive(metric, stats, naive, 600)
    # Units of a cluster move together: the clustered interval is wider than the unit one.
    units = PairedStatistics.pair(metric, metric.statistics(gold, a), metric.statistics(gold, b))
    unit_boot = paired_bootstrap(metric, units, n_trials=20_000, seed=1)
    assert boot["ci"]["high"] - boot["ci"]["low"] > unit_boot["ci"]["high"] - unit_boot["ci"]["low"]


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASKS))
def test_clusters_of_one_unit_each_give_the_unit_level_results(task):
    gold, a, b = two_systems(task, 120, seed=13)
    metric = metric_for(TASKS[task])
    stats_a, stats_b = metric.statistics(gold, a), metric.statistics(gold, b)
    singletons = [f"s{i}" for i in range(len(gold))]
    trials = 20_000
    (by_unit,) = compare_statistics(metric, {"a": stats_a, "b": stats_b}, n_trials=trials)
    (by_cluster,) = compare_statistics(
        metric, {"a": stats_a, "b": stats_b}, n_trials=trials, clusters=singletons
    )
    assert by_cluster["difference"] == by_unit["difference"]
    # Same distribution, drawn in another order of the groups: equal within Monte Carlo error.
    for test in ("bootstrap", "randomization"):
        ours, theirs = by_cluster[f"p_{test}"], by_unit[f"p_{test}"]
        p = (ours + theirs) / 2
        assert abs(ours - theirs) <= 4 * np.sqrt(2 * p * (1 - p) / trials) + 2 / trials
    spread = by_unit["ci"]["high"] - by_unit["ci"]["low"]
    for end in ("low", "high"):
        assert by_cluster["ci"][end] == pytest.approx(by_unit["ci"][end], abs=0.05 * spread)
    unit_ci = bootstrap_interval(metric, stats_a, n_resamples=2000, seed=3)
    cluster_ci = bootstrap_interval(metric, stats_a, n_resamples=2000, seed=3, clusters=singletons)
    assert (cluster_ci["low"], cluster_ci["high"]) == pytest.approx(
        (unit_ci["low"], unit_ci["high"]), abs=0.02
    )


def test_p_values_carry_their_monte_carlo_error_and_decisions_do_not_flip_with_the_seed():
    task = "frame"
    decisions: dict[tuple[str, str], set[str]] = {}
    for seed in range(5):
        rng = random.Random(21)
        gold = rng.choices(TASKS[task].labels, k=200)
        systems = {
            name: metric_for(TASKS[task]).statistics(gold, noisy_labels(rng, task, gold, right))
            for name, right in (("a", 0.55), ("b", 0.5), ("c", 0.45), ("d", 0.52))
        }
        pairs = compare_statistics(
            metric_for(TASKS[task]), systems, n_trials=500, seed=seed, max_trials=32_000
        )
        for pair in pairs:
            for test in ("bootstrap", "randomization"):
                p, n = pair[f"p_{test}"], pair[f"n_trials_{test}"]
                assert pair[f"p_{test}_se"] == pytest.approx(np.sqrt(p * (1 - p) / n))
                assert n >= 500
                decisions.setdefault((pair["a"] + pair["b"], test), set()).add(
                    pair[f"decision_{test}"]
                )
    assert any(len(found) == 1 for found in decisions.values())
    for found in decisions.values():
        assert not {"significant", "not significant"} <= found, found


def test_the_bootstrap_interval_excludes_zero_exactly_when_the_bootstrap_p_is_below_005():
    metric = metric_for(TASKS["stance"])
    disagreements = 0
    for seed in range(40):
        gold, a, b = two_systems("stance", 50, seed=100 + seed)
        stats = PairedStatistics.pair(
            metric, metric.statistics(gold, a), metric.statistics(gold, b)
        )
        boot = paired_bootstrap(metric, stats, n_trials=4000, seed=seed)
        excludes = boot["ci"]["low"] > 0 or boot["ci"]["high"] < 0
        disagreements += excludes != (boot["p_value"] < 0.05)
    assert disagreements == 0


@pytest.mark.parametrize("max_trials", ["x", 2500.5, 0, True])
def test_max_trials_that_is_no_positive_integer_is_refused(max_trials):
    examples = migbench.examples_dir()
    scorer = migbench.Scorer("stance", migbench.Gold(file=examples / "gold.jsonl"))
    stance = examples / "stance.jsonl"
    with pytest.raises(ValueError, match="max_trials must be an integer"):
        scorer.compare({"a": stance, "b": stance}, n_trials=100, max_trials=max_trials)


@pytest.mark.parametrize(("max_trials", "bound"), [(100, 500), (4000, 4000)])
def test_the_signature_of_a_comparison_names_the_most_trials_a_test_may_grow_to(max_trials, bound):
    result = migbench.Scorer("stance", migbench.Gold(file=GOLD)).compare(
        {"a": EXAMPLES / "stance.jsonl", "b": EXAMPLES / "stance.jsonl"},
        n_trials=500,
        max_trials=max_trials,
    )
    resampling = f"resample:randomization=500+bootstrap=500+max_trials={bound}@unit"
    assert resampling in result["signature"].split("|")


def test_resamples_with_an_undefined_stance_score_are_left_out_of_the_bootstrap():
    # Most unit-level resamples of these ten units hold no favor unit: their F_avg is undefined.
    rows = [{"id": f"u{i}", "stance": "favor" if i == 0 else "none"} for i in range(10)]
    systems = {"a": rows, "b": [{**row, "stance": "none"} for row in rows]}
    gold = migbench.Gold(rows=rows)
    scorer = migbench.Scorer("stance", gold, resampling="unit", seed=0)
    pair = scorer.compare(systems, n_trials=1000)["pairs"][0]
    assert np.isfinite([pair["ci"]["low"], pair["ci"]["high"]]).all()
    assert pair["ci"]["low"] <= pair["difference"] <= pair["ci"]["high"]
    interval = scorer.score(rows, n_resamples=1000)["ci"]
    assert np.isfinite([interval["low"], interval["high"]]).all()
