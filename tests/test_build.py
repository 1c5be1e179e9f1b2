"""The dataset build: deterministic, equal to the committed files, loadable, strict on input."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel, load_dataset

from migbench.annotation.store import read_annotators
from migbench.cli import main
from migbench.corpus.units import load_units
from migbench.dataset.build import build_dataset, features_of, split_records, unit_rows
from migbench.dataset.splits import N_FOLDS, SPLITS_NAME, corpus_folds, sections
from migbench.fileio import MARKER_NAME, marker_text
from migbench.labelstudio.export import EXPORTS, load_annotated_units
from migbench.schema import (
    ENTITY_TYPES,
    FRAME_LABELS,
    IOB2_TAGS,
    MFC_LABELS,
    STANCE_LABELS,
    UNIT_TYPES,
)

from .conftest import ANNOTATIONS, DATASET, REPO, SEEDS

UNIT_CONFIGS = ("stance", "framing", "ner", "all")
CONFIGS = UNIT_CONFIGS + tuple(f"{c}_genre" for c in UNIT_CONFIGS)


def files_of(folder: Path) -> list[Path]:
    return sorted(
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


@pytest.mark.slow
def test_two_builds_are_byte_identical(built, tmp_path):
    again = tmp_path / "dataset"
    build_dataset(SEEDS, ANNOTATIONS, again)
    assert files_of(again) == files_of(built)
    for name in files_of(built):
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


@pytest.mark.release
def test_rebuild_equals_the_committed_dataset(built):
    """Release test: seeds + annotations give the committed files and statistics."""
    assert files_of(built) == files_of(DATASET)
    for name in files_of(built):
        if name.suffix == ".parquet":
            ours, theirs = pq.read_table(built / name), pq.read_table(DATASET / name)
            assert ours.equals(theirs), name
            assert ours.schema.metadata == theirs.schema.metadata, name
        elif name.suffix != ".png":  # PNG bytes depend on the matplotlib build; compared above
            assert (built / name).read_bytes() == (DATASET / name).read_bytes(), name


@pytest.mark.integration
@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_loads_with_load_dataset(config, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    stats = json.loads((DATASET / "stats.json").read_text(encoding="utf-8"))
    dataset = load_dataset(str(DATASET), config, cache_dir=str(tmp_path / "cache"))
    scheme = "genre" if config.endswith("_genre") else "split"
    assert {split: len(rows) for split, rows in dataset.items()} == stats["splits"][scheme]
    features = dataset["train"].features
    assert features == features_of(config)
    assert features["unit_type"].names == list(UNIT_TYPES)
    if "stance" in features:
        assert features["stance"] == ClassLabel(names=list(STANCE_LABELS))
    if "frame" in features:
        assert features["frame"].names == list(FRAME_LABELS)
        assert features["mfc"].names == list(MFC_LABELS)
    if "ner_tags" in features:
        assert features["ner_tags"].feature.names == list(IOB2_TAGS)
        assert features["entities"].feature["label"].names == list(ENTITY_TYPES)
        for row in dataset["train"]:
            assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["token_offsets"])
            assert [row["text"][s:e] for s, e in row["token_offsets"]] == row["tokens"]


@pytest.mark.integration
def test_documents_config_has_one_train_split(tmp_path):
    dataset = load_dataset(str(DATASET), "documents", cache_dir=str(tmp_path / "cache"))
    assert list(dataset) == ["train"]
    documents = dataset["train"]
    assert documents["doc_id"] == ["repatriation", "rubio-meeting", "mp-letter", "dhankhar-report"]
    assert documents["location"] == ["unknown", "New Delhi", "unknown", "unknown"]
    assert all("Your support" not in text for text in documents["text"])


@pytest.mark.integration
def test_splits_keep_paragraphs_together_and_folds_keep_sections_together(tmp_path):
    dataset = load_dataset(str(DATASET), "all", cache_dir=str(tmp_path / "cache"))
    rows = sorted((row for split in dataset.values() for row in split), key=lambda r: r["id"])
    split_of, fold_of = {}, {}
    for split, part in dataset.items():
        for row in part:
            key = (row["doc_id"], row["paragraph"])
            assert split_of.setdefault(key, split) == split, key
    unit_types = dataset["train"].features["unit_type"].names
    section = sections([(r["doc_id"], unit_types[r["unit_type"]], r["paragraph"]) for r in rows])
    for row, number in zip(rows, section, strict=True):
        assert fold_of.setdefault((row["doc_id"], number), row["fold"]) == row["fold"], row["id"]
    folds = Counter(row["fold"] for row in rows)
    assert sorted(folds) == list(range(N_FOLDS))
    assert max(folds.values()) - min(folds.values()) < 10
    against = Counter(row["fold"] for row in rows if row["stance"] == 1)
    assert min(against[fold] for fold in range(N_FOLDS)) >= 2  # every fold tests `against`
    genre = load_dataset(str(DATASET), "all_genre", cache_dir=str(tmp_path / "cache"))
    assert set(genre["test"]["doc_id"]) == {"repatriation", "rubio-meeting", "mp-letter"}
    assert set(genre["train"]["doc_id"]) == {"dhankhar-report"}


@pytest.mark.slow
def test_the_frozen_folds_are_the_seeded_assignment_of_the_gold():
    documents, units = load_units(SEEDS)
    tasks = load_annotated_units(ANNOTATIONS, units)
    rows = unit_rows(documents, units, tasks, read_annotators(ANNOTATIONS))
    frozen = json.loads((SEEDS / SPLITS_NAME).read_text(encoding="utf-8"))
    assigned = corpus_folds(split_records(documents, rows))
    assert assigned == {uid: entry["fold"] for uid, entry in frozen.items()}


@pytest.mark.integration
def test_stats_match_the_rows(tmp_path):
    stats = json.loads((DATASET / "stats.json").read_text(encoding="utf-8"))
    dataset = load_dataset(str(DATASET), "all", cache_dir=str(tmp_path / "cache"))
    test = dataset["test"]
    names = test.features["stance"].names
    assert stats["labels"]["stance"]["test"] == {
        n: test["stance"].count(i) for i, n in enumerate(names)
    }
    mentions = sum(len(row["entities"]) for split in dataset.values() for row in split)
    assert stats["entity_mentions"] == mentions


def _copy_inputs(tmp_path: Path) -> tuple[Path, Path]:
    seeds, annotations = tmp_path / "seeds", tmp_path / "annotations"
    shutil.copytree(SEEDS, seeds)
    shutil.copytree(ANNOTATIONS, annotations)
    shutil.copy(REPO / "DATASHEET.md", tmp_path / "DATASHEET.md")
    return seeds, annotations


def _edit_export(annotations: Path, edit) -> None:
    path = annotations / EXPORTS / "mp-letter.json"
    export = json.loads(path.read_text(encoding="utf-8"))
    edit(export)
    path.write_text(json.dumps(export), encoding="utf-8")


def _stale_text(export):
    export[0]["data"]["text"] += " (edited)"


def _unknown_label(export):
    export[0]["annotations"][-1]["result"][0]["value"]["choices"] = ["neutral"]


def _drop_split(seeds: Path, unit_id: str) -> None:
    path = seeds / "splits.json"
    assignment = json.loads(path.read_text(encoding="utf-8"))
    del assignment[unit_id]
    path.write_text(json.dumps(assignment), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda seeds, ann: next(seeds.glob("002_*")).write_bytes(b"changed"), "sha256"),
        (lambda seeds, ann: _edit_export(ann, _stale_text), "differs from the unit's text"),
        (
            lambda seeds, ann: _edit_export(ann, _unknown_label),
            "Invalid value for control 'stance'",
        ),
        (lambda seeds, ann: _drop_split(seeds, "mp-letter-0003"), "unit mp-letter-0003: no split"),
    ],
    ids=["modified seed", "stale export text", "label outside the schema", "unit without a split"],
)
def test_build_refuses_stale_or_inconsistent_input_and_keeps_the_old_dataset(
    tmp_path, corrupt, message, capsys
):
    seeds, annotations = _copy_inputs(tmp_path)
    out = tmp_path / "dataset"
    out.mkdir()
    (out / "keep.txt").write_text("previous build", encoding="utf-8")
    (out / MARKER_NAME).write_text(marker_text(out), encoding="utf-8")
    corrupt(seeds, annotations)
    args = ["build", "--seeds", str(seeds), "--annotations", str(annotations), "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "migbench: error: " in err
    assert (out / "keep.txt").read_text(encoding="utf-8") == "previous build"


@pytest.fixture
def built(built_dataset) -> Path:
    return built_dataset


@pytest.fixture
def notext(built_text_free) -> Path:
    return built_text_free


@pytest.mark.slow
def test_a_corrected_label_moves_no_unit_between_splits(tmp_path):
    def relabel(export):
        for task in export:
            gold = next(a for a in task["annotations"] if a["ground_truth"])
            stance = next(r for r in gold["result"] if r["from_name"] == "stance")
            stance["value"]["choices"] = ["favor"]

    seeds, annotations = _copy_inputs(tmp_path)
    _edit_export(annotations, relabel)
    out = tmp_path / "dataset"
    build_dataset(seeds, annotations, out)
    for config in ("all", "all_genre"):
        for split in ("train", "validation", "test"):
            ours = pq.read_table(out / "data" / config / f"{split}.parquet", columns=["id", "fold"])
            theirs = pq.read_table(
                DATASET / "data" / config / f"{split}.parquet", columns=["id", "fold"]
            )
            assert ours.equals(theirs), (config, split)


@pytest.mark.slow
def test_push_dry_run_lists_exactly_the_text_free_files_without_a_token(
    notext, capsys, monkeypatch
):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    args = ["push", "--repo-id", "org/migbench", "--dataset", str(notext), "--dry-run"]
    assert main(args) == 0
    header, *listed = capsys.readouterr().out.splitlines()
    assert "the text-free variant" in header
    assert "datasets/org/migbench" in header
    assert [line.strip() for line in listed] == [f.as_posix() for f in files_of(notext)]
    for name in ("README.md", "DATASHEET.md", "LICENSE", "croissant.json", "data/all/test.parquet"):
        assert name in [line.strip() for line in listed], name


def test_push_refuses_the_source_texts_without_with_text(capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    args = ["push", "--repo-id", "org/migbench", "--dataset", str(DATASET), "--dry-run"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "holds the source texts" in err
    assert "--with-text" in err
    assert "migbench: error: " in err
    assert main([*args, "--with-text"]) == 0
    assert "source texts included" in capsys.readouterr().out


def test_push_help_says_why_the_texts_need_a_flag(capsys):
    assert main(["push", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--with-text" in help_text
    assert "belong to their publishers" in help_text


def test_push_without_token_or_with_a_bad_repo_id_fails_cleanly(notext, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert main(["push", "--repo-id", "org/migbench", "--dataset", str(notext)]) == 1
    assert "HF_TOKEN" in capsys.readouterr().err
    assert main(["push", "--repo-id", "not a repo", "--dataset", str(notext), "--dry-run"]) == 1


def test_the_guidelines_version_of_each_unit_is_its_latest_correction(repo_annotated):
    rows = []
    for path in sorted((DATASET / "data" / "all").glob("*.parquet")):
        rows.extend(pq.read_table(path, columns=["id", "guidelines"]).to_pylist())
    tasks = repo_annotated
    corrected = {uid for uid, task in tasks.items() if "\nv1.2: " in "\n" + task.gold.note}
    assert len(corrected) == 11
    assert {row["id"] for row in rows if row["guidelines"] == "1.2"} == corrected
    assert {row["guidelines"] for row in rows if row["id"] not in corrected} == {"1.1"}
