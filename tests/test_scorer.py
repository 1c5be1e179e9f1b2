"""The object API: Gold checks itself and loads once, Scorer signs its results, the functions
wrap it, metrics() is the pure layer, and a single-label layer scores from ids and labels alone."""

from __future__ import annotations

import doctest
import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.scheme import IOB2
from sklearn.metrics import accuracy_score, f1_score

import migbench
import migbench.scoring.evaluation
import migbench.scoring.scorer
import migbench.version
from migbench.scoring import gold as gold_module
from migbench.scoring.iob2 import repair_iob2
from migbench.scoring.submission import SubmissionError

from .conftest import DATASET, EXAMPLES, GOLD, REPO

TEXT_COLUMNS = ("text", "prev_text", "next_text", "tokens")


def test_a_gold_file_is_read_once_for_every_submission(monkeypatch):
    reads = []
    real = gold_module.load_gold_file
    monkeypatch.setattr(
        gold_module, "load_gold_file", lambda *a, **k: reads.append(1) or real(*a, **k)
    )
    scorer = migbench.Scorer("stance", migbench.Gold(file=GOLD))
    first = scorer.score(EXAMPLES / "stance.jsonl", n_resamples=0)
    second = scorer.score(EXAMPLES / "stance.jsonl", n_resamples=0)
    assert scorer.validate(EXAMPLES / "stance.jsonl")["valid"]
    assert first == second
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"protocol": "cv", "split": "test"}, "a split applies to split and genre only"),
        ({"file": "gold.jsonl", "protocol": "cv"}, "gold file replaces protocol"),
        ({"file": "gold.jsonl", "dataset": "dataset"}, "gold file replaces dataset"),
        ({"file": "gold.jsonl", "rows": [{"id": "a"}]}, "not both"),
        ({"protocol": "official"}, "unknown protocol 'official'; expected one of split, genre, cv"),
        ({"split": "train"}, "unknown split 'train'"),
    ],
)
def test_a_gold_that_contradicts_itself_is_refused_at_construction(options, message):
    with pytest.raises(ValueError, match=message):
        migbench.Gold(**options)


def test_a_gold_fills_in_the_defaults_it_was_not_given():
    assert migbench.Gold().source == {"protocol": "split", "split": "test", "gold_file": None}
    assert migbench.Gold(protocol="cv").source == {
        "protocol": "cv",
        "split": None,
        "gold_file": None,
    }
    assert migbench.Gold(protocol="genre", split="validation").split == "validation"


def test_every_result_carries_a_signature_that_names_what_made_it():
    scorer = migbench.Scorer("ner", migbench.Gold(protocol="split", dataset=DATASET), seed=7)
    path = REPO / "baselines" / "predictions" / "crf.ner.test.jsonl"
    result = scorer.score(path, n_resamples=50)
    signature = result["signature"]
    for part in (
        "task:ner",
        "gold:split/test",
        f"dataset:{migbench.version.DATASET_VERSION}",
        "entity_types:migbench",
        "resample:bootstrap=50@section",
        "seed:7",
    ):
        assert part in signature.split("|")
    assert f"sha256:{result['gold_sha256'][:12]}" in signature
    assert f"version:{migbench.__version__}" in signature
    assert scorer.score(path, n_resamples=0)["signature"] != signature


def test_the_gold_hash_depends_on_the_labels_not_on_where_they_were_read():
    rows = [json.loads(line) for line in GOLD.read_text().splitlines()]
    from_file = migbench.Gold(file=GOLD).sha256(("stance",))
    assert migbench.Gold(rows=rows).sha256(("stance",)) == from_file
    rows[0]["stance"] = "none" if rows[0]["stance"] != "none" else "favor"
    assert migbench.Gold(rows=rows).sha256(("stance",)) != from_file


@pytest.mark.parametrize("task", ["stance", "frame", "mfc", "ner"])
def test_the_functions_return_what_the_scorer_methods_return(task):
    gold = migbench.Gold(file=GOLD)
    scorer = migbench.Scorer(task, gold, seed=3)
    submission = EXAMPLES / f"{task}.jsonl"
    assert migbench.score(task, submission, gold=GOLD, seed=3, n_resamples=100) == scorer.score(
        submission, n_resamples=100
    )
    assert migbench.validate(task, submission, gold=GOLD) == scorer.validate(submission)
    pair = {"a": submission, "b": submission}
    assert migbench.compare(task, pair, gold=gold, n_trials=50, seed=3) == scorer.compare(
        pair, n_trials=50
    )
    options = {"n_simulations": 5, "n_trials": 20}
    assert migbench.power(task, submission, gold=GOLD, seed=3, **options) == scorer.power(
        submission, **options
    )


def test_a_gold_object_next_to_a_protocol_is_refused():
    with pytest.raises(ValueError, match="a Gold carries its own protocol"):
        migbench.score("stance", EXAMPLES / "stance.jsonl", gold=migbench.Gold(), protocol="cv")


@pytest.mark.parametrize("seed", range(20))
def test_metrics_agree_with_scikit_learn_on_random_labels(seed):
    rng = random.Random(seed)
    for task in ("stance", "frame", "mfc"):
        labels = migbench.get_task(task).labels
        n = rng.randint(1, 40)
        y_true = [rng.choice(labels) for _ in range(n)]
        y_pred = [rng.choice(labels) for _ in range(n)]
        scores = migbench.metrics(task, y_true, y_pred)
        present = sorted(set(y_true), key=labels.index) if task == "mfc" else list(labels)
        macro = f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        assert scores["macro_f1"] == pytest.approx(macro)
        assert scores["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
        if task == "stance":
            f_avg = f1_score(
                y_true, y_pred, labels=["favor", "against"], average="macro", zero_division=0
            )
            assert scores["f_avg"] == pytest.approx(f_avg)


@pytest.mark.parametrize("seed", range(20))
def test_metrics_agree_with_seqeval_on_random_tags(seed):
    rng = random.Random(seed)
    tags = ["O", "O", "B-GPE", "I-GPE", "B-PERSON", "I-PERSON", "B-DATE"]
    y_true = [repair_iob2([rng.choice(tags) for _ in range(rng.randint(1, 12))]) for _ in range(15)]
    y_pred = [repair_iob2([rng.choice(tags) for _ in unit]) for unit in y_true]
    expected = seqeval_f1(y_true, y_pred, mode="strict", scheme=IOB2, zero_division=0)
    assert migbench.metrics("ner", y_true, y_pred)["micro_f1"] == pytest.approx(expected)


def test_metrics_refuse_an_unknown_label_and_unaligned_inputs():
    with pytest.raises(ValueError, match="unknown stance label"):
        migbench.metrics("stance", ["favor"], ["pro"])
    with pytest.raises(ValueError, match="one prediction per gold unit"):
        migbench.metrics("stance", ["favor", "none"], ["favor"])


@pytest.fixture(scope="module")
def text_free(tmp_path_factory) -> Path:
    """The repository's fixed split, test units, with every text column null (as --no-text)."""
    folder = tmp_path_factory.mktemp("notext")
    target = folder / "data" / "all" / "test.parquet"
    target.parent.mkdir(parents=True)
    table = pq.read_table(DATASET / "data" / "all" / "test.parquet")
    for name in TEXT_COLUMNS:
        index = table.schema.get_field_index(name)
        column = pa.nulls(len(table), table.schema.field(name).type)
        table = table.set_column(index, table.schema.field(name), column)
    pq.write_table(table, target)
    return folder


def test_the_text_free_dataset_scores_as_the_full_one(text_free):
    for task, baseline in (("stance", "tfidf-lr"), ("ner", "crf")):
        path = REPO / "baselines" / "predictions" / f"{baseline}.{task}.test.jsonl"
        full = migbench.score(task, path, dataset=DATASET, n_resamples=0)
        free = migbench.score(task, path, dataset=text_free, n_resamples=0)
        assert free["metrics"] == full["metrics"]
        assert free["gold_sha256"] == full["gold_sha256"]


def test_entity_spans_against_a_gold_without_text_or_offsets_say_what_to_do(text_free):
    unit = migbench.Gold(dataset=text_free).units(("ner_tags",))[0]
    assert unit.text is None
    assert unit.token_offsets is not None
    bare = [unit._replace(token_offsets=None)]
    rows = [{"id": unit.id, "entities": []}]
    with pytest.raises(SubmissionError, match="text or token_offsets, which this gold lacks"):
        migbench.score("ner", rows, gold=bare)


@pytest.mark.integration
def test_scoring_a_classification_layer_needs_neither_datasets_nor_other_layers(text_free):
    table = pq.read_table(text_free / "data" / "all" / "test.parquet", columns=None)
    kept = table.select(["id", "stance"])
    only = text_free / "stance-only"
    (only / "data" / "all").mkdir(parents=True)
    pq.write_table(
        kept.replace_schema_metadata(table.schema.metadata), only / "data/all/test.parquet"
    )
    path = REPO / "baselines" / "predictions" / "majority.stance.test.jsonl"
    code = (
        "import sys, migbench; "
        f"r = migbench.score('stance', {str(path)!r}, dataset={str(only)!r}, n_resamples=0); "
        "print(r['n_units'], 'datasets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["73", "False"]


@pytest.mark.parametrize(
    "module", [migbench.scoring.scorer, migbench.scoring.evaluation, migbench.scoring.gold]
)
def test_the_docstring_examples_run(module, monkeypatch):
    monkeypatch.chdir(REPO)  # the examples name the repository's files
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


def test_the_readme_python_example_runs(monkeypatch):
    monkeypatch.chdir(REPO)
    failures, tried = doctest.testfile(
        str(REPO / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert tried >= 5
    assert failures == 0


@pytest.mark.parametrize(("tagset", "entity_types"), [("iob2", "migbench"), ("conll", "conll")])
def test_the_deprecated_tagset_scores_as_the_entity_types_it_names(tagset, entity_types):
    path = EXAMPLES / "ner.jsonl"
    with pytest.warns(DeprecationWarning, match="use entity_types"):
        old = migbench.score("ner", path, gold=GOLD, tagset=tagset, n_resamples=50)
    assert old == migbench.score("ner", path, gold=GOLD, entity_types=entity_types, n_resamples=50)
    assert old["entity_types"] == entity_types
    gold, predicted = [["B-GPE", "O"]], [["B-LOC", "O"]]
    with pytest.warns(DeprecationWarning, match="use entity_types"):
        assert migbench.metrics("ner", gold, predicted, tagset=tagset) == migbench.metrics(
            "ner", gold, predicted, entity_types=entity_types
        )


def test_only_ner_takes_entity_types_and_the_old_default_still_passes_for_stance():
    gold = migbench.Gold(file=GOLD)
    assert migbench.Scorer("stance", gold).entity_types is None
    assert migbench.Scorer("ner", gold).entity_types == "migbench"
    with pytest.raises(ValueError, match="entity_types applies to the ner task only, not stance"):
        migbench.Scorer("stance", gold, entity_types="migbench")
    with pytest.warns(DeprecationWarning, match="use entity_types"):
        assert migbench.Scorer("stance", gold, tagset="iob2").entity_types is None
    with (
        pytest.warns(DeprecationWarning, match="use entity_types"),
        pytest.raises(ValueError, match="ner task only"),
    ):
        migbench.Scorer("stance", gold, tagset="conll")
    with (
        pytest.warns(DeprecationWarning, match="use entity_types"),
        pytest.raises(ValueError, match="not both"),
    ):
        migbench.Scorer("ner", gold, entity_types="conll", tagset="conll")
