"""Metrics and bootstrap: differential tests against sklearn.metrics and seqeval (strict IOB2)."""

from __future__ import annotations

import copy
import random
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2, Entities
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from migbench.schema import CONLL_MAPPING, ENTITY_TYPES
from migbench.scoring.evaluation import evaluate
from migbench.scoring.iob2 import repair_iob2
from migbench.scoring.metrics import metric_for
from migbench.scoring.resampling import CONFIDENCE, bootstrap_counts, bootstrap_scores
from migbench.scoring.tasks import TASKS

CLASSIFICATION = tuple(name for name, task in TASKS.items() if not task.is_sequence)
MISSING = "<no prediction>"  # how the differential tests spell a missing prediction for sklearn


def scores(task: str, gold: list, predicted: list, entity_types: str | None = None) -> dict:
    """Every metric of the task, through the statistics path the scorer uses."""
    metric = metric_for(TASKS[task], entity_types=entity_types)
    return metric.scores(metric.statistics(gold, predicted).total())


def random_labels(task: str, n: int, seed: int, *, missing: float = 0.0) -> tuple[list, list]:
    rng = random.Random(seed)
    labels = TASKS[task].labels
    # A skewed gold: some labels are rare or absent, as in the real data.
    weights = [rng.random() ** 3 for _ in labels]
    gold = rng.choices(labels, weights=weights, k=n)
    predicted = [
        None if rng.random() < missing else (g if rng.random() < 0.5 else rng.choice(labels))
        for g in gold
    ]
    return gold, predicted


def sklearn_main(task: str, gold: list[str], predicted: list[str | None]) -> float:
    """The main score computed directly with sklearn on string labels."""
    y_pred = [MISSING if p is None else p for p in predicted]
    declared = TASKS[task]
    if declared.f_avg_labels:
        # A label in neither the gold nor the predictions has no F1 and stays out of the mean.
        labels = [label for label in declared.f_avg_labels if label in {*gold, *y_pred}]
        if not labels:
            return float("nan")
    elif declared.macro_over_gold:
        labels = sorted(set(gold))
    else:
        labels = list(declared.labels)
    return f1_score(gold, y_pred, labels=labels, average="macro", zero_division=0)


def random_tags(rng: random.Random, length: int, types=("PERSON", "GPE", "ORG", "DATE")) -> list:
    """A strict IOB2 sequence, with adjacent entities of the same type now and then."""
    tags: list[str] = []
    while len(tags) < length:
        if rng.random() < 0.35:
            kind = rng.choice(types)
            tags += [f"B-{kind}"] + [f"I-{kind}"] * rng.randint(0, 2)
        else:
            tags.append("O")
    return tags[:length]


def noisy_copy(rng: random.Random, tags: list[str]) -> list[str]:
    """Predicted tags: the gold with some entities dropped, retyped or cut short."""
    out = list(tags)
    for i, tag in enumerate(out):
        if tag.startswith("B-") and rng.random() < 0.4:
            kind = rng.choice(("PERSON", "GPE", "LOC", tag[2:]))
            j = i
            while j < len(out) and (j == i or out[j] == f"I-{tag[2:]}"):
                out[j] = "O" if rng.random() < 0.3 else f"{'B' if j == i else 'I'}-{kind}"
                j += 1
    return repair_iob2(out)


def random_ner(n: int, seed: int, *, missing: float = 0.0) -> tuple[list, list]:
    rng = random.Random(seed)
    gold = [random_tags(rng, rng.randint(0, 12)) for _ in range(n)]
    predicted = [
        None
        if rng.random() < missing
        else (noisy_copy(rng, g) if rng.random() < 0.7 else random_tags(rng, len(g)))
        for g in gold
    ]
    return gold, predicted


def seqeval_report(gold: list, predicted: list) -> dict:
    filled = [p if p is not None else ["O"] * len(g) for g, p in zip(gold, predicted, strict=True)]
    with warnings.catch_warnings():
        # seqeval's macro average takes the mean of an empty array when there is no entity.
        warnings.simplefilter("ignore", RuntimeWarning)
        return classification_report(
            gold, filled, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
        )


def to_conll(tags: list[str]) -> list[str]:
    out = []
    for tag in tags:
        mapped = CONLL_MAPPING.get(tag[2:]) if tag != "O" else None
        out.append(f"{tag[:2]}{mapped}" if mapped else "O")
    return out


@pytest.mark.parametrize("task", CLASSIFICATION)
@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_equal_sklearn(task, seed):
    gold, predicted = random_labels(task, 300, seed, missing=0.1 if seed % 2 else 0.0)
    labels = list(TASKS[task].labels)
    y_pred = [MISSING if p is None else p for p in predicted]
    metrics = scores(task, gold, predicted)
    assert metrics["macro_f1"] == pytest.approx(
        f1_score(
            gold,
            y_pred,
            labels=sorted(set(gold)) if task == "mfc" else labels,
            average="macro",
            zero_division=0,
        ),
        abs=1e-12,
    )
    assert metrics["accuracy"] == pytest.approx(accuracy_score(gold, y_pred), abs=1e-12)
    assert metrics["micro_f1"] == pytest.approx(
        f1_score(gold, y_pred, labels=labels, average="micro", zero_division=0), abs=1e-12
    )
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, y_pred, labels=labels, zero_division=0
    )
    for i, label in enumerate(labels):
        row = metrics["per_label"][label]
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (precision[i], recall[i], f1[i], support[i]), abs=1e-12
        )
    expected_matrix = confusion_matrix(gold, y_pred, labels=labels).tolist()
    assert metrics["confusion_matrix"] == {"labels": labels, "matrix": expected_matrix}
    if task == "stance":
        assert metrics["f_avg"] == pytest.approx(sklearn_main(task, gold, predicted), abs=1e-12)


def test_stance_f_avg_is_the_mean_of_favor_and_against_f1_unrounded():
    gold = ["favor", "favor", "against", "against", "none", "none"]
    predicted = ["favor", "none", "against", "favor", "none", None]
    metrics = scores("stance", gold, predicted)
    f1_favor, f1_against = 2 * 1 / (2 + 2), 2 * 1 / (2 + 1)
    assert metrics["per_label"]["favor"]["f1"] == f1_favor
    assert metrics["f_avg"] == (f1_favor + f1_against) / 2  # 0.58333..., not rounded
    assert metrics["accuracy"] == 3 / 6
    # The unit without a prediction is wrong, yet in no column of the matrix.
    assert metrics["confusion_matrix"]["matrix"] == [[1, 0, 1], [1, 1, 0], [0, 0, 1]]


def test_mfc_macro_f1_averages_only_labels_present_in_the_gold():
    gold = ["economic", "economic", "political", "other"]
    predicted = ["economic", "morality", "political", "political"]
    metrics = scores("mfc", gold, predicted)
    assert metrics["macro_f1_labels"] == ["economic", "political", "other"]
    f1 = {"economic": 2 / 3, "political": 2 / 3, "other": 0.0}
    assert metrics["macro_f1"] == pytest.approx(sum(f1.values()) / 3, abs=1e-12)
    # morality, predicted but absent from the gold, still costs economic its recall.
    assert metrics["per_label"]["morality"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
    }


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("entity_types", ["migbench", "conll"])
def test_ner_metrics_equal_seqeval_strict(seed, entity_types):
    gold, predicted = random_ner(150, seed, missing=0.1 if seed % 2 else 0.0)
    metrics = scores("ner", gold, predicted, entity_types)
    if entity_types == "conll":
        gold = [to_conll(tags) for tags in gold]
        predicted = [None if tags is None else to_conll(tags) for tags in predicted]
    report = seqeval_report(gold, predicted)
    micro = report["micro avg"]
    assert (metrics["micro_precision"], metrics["micro_recall"], metrics["micro_f1"]) == (
        pytest.approx((micro["precision"], micro["recall"], micro["f1-score"]), abs=1e-12)
    )
    assert metrics["n_gold_entities"] == micro["support"]
    for kind, row in metrics["per_label"].items():
        expected = report.get(kind, {"precision": 0, "recall": 0, "f1-score": 0, "support": 0})
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (expected["precision"], expected["recall"], expected["f1-score"], expected["support"]),
            abs=1e-12,
        )


iob2_sequences = st.lists(
    st.tuples(st.sampled_from(("O", *ENTITY_TYPES[:3])), st.integers(1, 3)), max_size=6
).map(
    lambda runs: [
        tag
        for kind, size in runs
        for tag in (["O"] * size if kind == "O" else [f"B-{kind}"] + [f"I-{kind}"] * (size - 1))
    ]
)


@st.composite
def ner_pairs(draw):
    gold = draw(st.lists(iob2_sequences, min_size=1, max_size=5))
    predicted = []
    for tags in gold:
        other = draw(iob2_sequences)
        other = (other + ["O"] * len(tags))[: len(tags)]
        predicted.append(draw(st.sampled_from([tags, repair_iob2(other), None])))
    return gold, predicted


@pytest.mark.integration
@settings(max_examples=150, deadline=None)
@given(ner_pairs())
def test_ner_micro_f1_equals_seqeval_on_any_iob2_sequences(pair):
    gold, predicted = pair
    metrics = scores("ner", gold, predicted)
    expected = seqeval_report(gold, predicted)["micro avg"]["f1-score"]
    assert metrics["micro_f1"] == pytest.approx(expected, abs=1e-12)


def test_per_unit_counts_match_seqeval_entities():
    gold, predicted = random_ner(80, 11, missing=0.1)
    metric = metric_for(TASKS["ner"])
    statistics = metric.statistics(gold, predicted)
    per_type = statistics.table[statistics.keys].reshape(len(gold), len(metric.labels), 3)
    filled = [p if p is not None else ["O"] * len(g) for g, p in zip(gold, predicted, strict=True)]
    for unit, (tags, guess) in enumerate(zip(gold, filled, strict=True)):
        true = {e.to_tuple()[1:] for e in Entities([tags], IOB2).entities[0]}
        pred = {e.to_tuple()[1:] for e in Entities([guess], IOB2).entities[0]}
        for index, kind in enumerate(metric.labels):
            true_k = {e for e in true if e[0] == kind}
            pred_k = {e for e in pred if e[0] == kind}
            expected = [len(true_k & pred_k), len(pred_k - true_k), len(true_k - pred_k)]
            assert per_type[unit, index].tolist() == expected
    total = metric.main_score(statistics.total())
    assert total == pytest.approx(seqeval_report(gold, predicted)["micro avg"]["f1-score"])


def test_conll_entity_types_map_both_sides_and_drops_date():
    gold = [["B-GPE", "O", "B-DATE", "I-DATE"], ["B-NORP", "O"]]
    predicted = [["B-LOC", "O", "O", "O"], ["B-EVENT", "O"]]
    assert scores("ner", gold, predicted)["micro_f1"] == 0.0
    metrics = scores("ner", gold, predicted, "conll")
    assert metrics["micro_f1"] == 1.0
    assert metrics["n_gold_entities"] == 2  # the DATE is gone
    assert list(metrics["per_label"]) == ["PER", "ORG", "LOC", "MISC"]


def test_adjacent_entities_of_one_type_are_two_entities():
    gold = [["B-GPE", "B-GPE", "I-GPE"]]
    metrics = scores("ner", gold, [["B-GPE", "I-GPE", "I-GPE"]])
    assert (metrics["n_gold_entities"], metrics["n_predicted_entities"]) == (2, 1)
    assert metrics["micro_f1"] == 0.0


def test_a_missing_ner_prediction_predicts_no_entity():
    gold = [["B-GPE", "O"], ["B-ORG", "I-ORG"]]
    metrics = scores("ner", gold, [["B-GPE", "O"], None])
    assert (metrics["micro_precision"], metrics["micro_recall"]) == (1.0, 0.5)


@pytest.mark.parametrize("task", CLASSIFICATION)
def test_each_vectorised_resample_equals_sklearn_on_that_resample(task):
    gold, predicted = random_labels(task, 120, 3, missing=0.05)
    declared = TASKS[task]
    metric = metric_for(declared)
    statistics = metric.statistics(gold, predicted)
    assert metric.main_score(statistics.total()) == pytest.approx(
        sklearn_main(task, gold, predicted), abs=1e-12
    )
    counts = bootstrap_counts(statistics.sizes, n_resamples=20, seed=5)
    assert (counts.sum(axis=1) == len(gold)).all()
    vectorised = bootstrap_scores(metric, statistics, n_resamples=20, seed=5)
    size = len(declared.labels)
    for resample, per_group in enumerate(counts):
        # Rebuild the resample's units from its group counts: a classification group is one
        # confusion cell, gold label × prediction, the last column "no prediction".
        cells = np.repeat(np.arange(per_group.size), per_group)
        rows, columns = np.divmod(cells, size + 1)
        resampled_gold = [declared.labels[i] for i in rows]
        resampled_pred = [declared.labels[j] if j < size else None for j in columns]
        expected = sklearn_main(task, resampled_gold, resampled_pred)
        assert vectorised[resample] == pytest.approx(expected, abs=1e-12)


def test_each_ner_resample_equals_seqeval_on_that_resample():
    gold, predicted = random_ner(60, 4, missing=0.1)
    metric = metric_for(TASKS["ner"])
    statistics = metric.statistics(gold, predicted)
    draws = bootstrap_counts(statistics.sizes, n_resamples=10, seed=2)
    scores = bootstrap_scores(metric, statistics, n_resamples=10, seed=2)
    # Any unit of a group stands for the group: take the first one, that many times.
    first = [int(np.flatnonzero(statistics.keys == g)[0]) for g in range(len(statistics.table))]
    for resample, per_group in enumerate(draws):
        chosen = [u for u, k in zip(first, per_group, strict=True) for _ in range(k)]
        expected = seqeval_report([gold[u] for u in chosen], [predicted[u] for u in chosen])
        assert scores[resample] == pytest.approx(expected["micro avg"]["f1-score"], abs=1e-12)


@pytest.mark.integration
def test_group_bootstrap_matches_resampling_units_one_by_one():
    gold, predicted = random_labels("frame", 80, 9)
    metric = metric_for(TASKS["frame"])
    statistics = metric.statistics(gold, predicted)
    ours = bootstrap_scores(metric, statistics, n_resamples=4000, seed=0)
    # The textbook bootstrap: draw unit indices, then sum each resample's unit statistics
    # (main_score is checked against sklearn above).
    picks = np.random.default_rng(1).integers(0, len(gold), (4000, len(gold)))
    naive = metric.main_score(statistics.table[statistics.keys][picks].sum(axis=1))
    bounds = [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2]
    assert np.quantile(ours, bounds) == pytest.approx(np.quantile(naive, bounds), abs=0.02)
    assert np.mean(ours) == pytest.approx(np.mean(naive), abs=0.005)
    assert np.std(ours) == pytest.approx(np.std(naive), rel=0.1)


@pytest.mark.parametrize("task", [*CLASSIFICATION, "ner"])
def test_evaluate_gives_a_seeded_interval_around_the_main_score(task):
    if task == "ner":
        gold, predicted = random_ner(200, 1)
    else:
        gold, predicted = random_labels(task, 200, 1)
    result = evaluate(TASKS[task], gold, predicted, n_resamples=500, seed=7)
    again = evaluate(TASKS[task], gold, predicted, n_resamples=500, seed=7)
    other = evaluate(TASKS[task], gold, predicted, n_resamples=500, seed=8)
    ci = result["ci"]
    assert result == again
    assert ci != other["ci"]
    assert result["main_score"] == result["metrics"][TASKS[task].main_metric]
    assert ci["low"] < result["main_score"] < ci["high"]
    assert (ci["level"], ci["n_resamples"], ci["seed"]) == (0.95, 500, 7)


def test_no_resamples_means_no_interval():
    gold, predicted = random_labels("stance", 30, 2)
    assert evaluate(TASKS["stance"], gold, predicted, n_resamples=0, seed=0)["ci"] is None


def test_inputs_are_not_mutated():
    gold, predicted = random_ner(40, 5, missing=0.2)
    before = copy.deepcopy((gold, predicted))
    evaluate(TASKS["ner"], gold, predicted, entity_types="conll", n_resamples=50, seed=0)
    assert (gold, predicted) == before


@pytest.mark.parametrize(
    ("task", "gold", "predicted", "options", "message"),
    [
        ("stance", ["favor"], [], {}, "need one prediction per gold unit"),
        ("stance", [], [], {}, "at least one unit"),
        ("stance", ["pro"], ["favor"], {}, "unknown stance label 'pro'"),
        ("stance", ["favor"], ["pro"], {}, "unknown stance label 'pro'"),
        ("stance", ["favor"], ["favor"], {"entity_types": "conll"}, "applies to the ner task only"),
        ("stance", ["favor"], ["favor"], {"entity_types": "migbench"}, "ner task only"),
        ("stance", ["favor"], ["favor"], {"n_resamples": -1}, "non-negative integer"),
        ("stance", ["favor"], ["favor"], {"n_resamples": True}, "non-negative integer"),
        ("stance", ["favor"], ["favor"], {"seed": 1.5}, "seed must be a non-negative integer"),
        ("stance", ["favor"], ["favor"], {"n_resamples": 10**9}, "at most 100,000"),
        ("ner", [["O"]], [["O"]], {"entity_types": "iob2"}, "unknown entity_types 'iob2'"),
        ("ner", [["O", "O"]], [["O"]], {}, "unit 0: 1 predicted tags, 2 gold"),
        ("ner", [["B-FOO"]], [["O"]], {}, "gold: unknown tag 'B-FOO'"),
        ("ner", [["O"]], [["B-PER"]], {}, "predicted: unknown tag 'B-PER'"),
        ("ner", [["O", "I-GPE"]], [["O", "O"]], {}, "gold unit 0: tag 1 'I-GPE' follows 'O'"),
        ("ner", [["O"], ["O"]], [["O"], ["I-GPE"]], {}, "predicted unit 1: tag 0 'I-GPE'"),
    ],
)
def test_bad_inputs_raise_precise_value_errors(task, gold, predicted, options, message):
    arguments = {"n_resamples": 10, "seed": 0, **options}
    with pytest.raises(ValueError, match=message):
        evaluate(TASKS[task], gold, predicted, **arguments)
