"""No command destroys what it did not create; bad input is a clean error with nothing changed.

One section per class of docs/SECURITY.md: folder outputs, special files, outputs over inputs,
ingest, strict readers, errors instead of tracebacks, bounded inputs, generated docs, Hub upload.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import migbench
from migbench import fileio, jsonio
from migbench.annotation.agreement import agreement_report
from migbench.annotation.store import Annotator
from migbench.annotation.types import AnnotatedUnit, Annotation
from migbench.cli import main
from migbench.corpus.seeds import MANIFEST_NAME, read_cleaning_rules, read_manifest
from migbench.dataset.publish import RELEASE_FILES, check_repo_id, dataset_files, push_dataset
from migbench.docs import render
from migbench.errors import MigbenchError
from migbench.fileio import (
    MARKER_NAME,
    OutputError,
    check_output_dir,
    marker_text,
    output_dir,
    read_marker,
    sha256_file,
    write_atomic,
)
from migbench.labelstudio.client import restore_annotators
from migbench.scoring.gold import load_gold_file
from migbench.scoring.submission import MAX_SHOWN, SubmissionError
from migbench.scoring.submission.problems import MAX_KEPT

from .conftest import ANNOTATIONS, GOLD, REPO, SEEDS

STANCE = REPO / "src/migbench/examples/stance.jsonl"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (symlinks as their target)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = os.readlink(path).encode()
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([str(arg) for arg in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# --- 1. Folder outputs: only new, empty or migbench's own folders are replaced ---------------


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    return folder


def test_build_refuses_its_own_seeds_folder(capsys, seeds_copy):
    before = snapshot(seeds_copy)
    code, err = run(capsys, "build", "--seeds", seeds_copy, "--annotations", ANNOTATIONS,
                    "--out", seeds_copy)  # fmt: skip
    assert code == 1
    assert "is, holds or lies inside the input" in err
    assert snapshot(seeds_copy) == before


@pytest.mark.parametrize("command", ["build", "rehydrate"])
def test_a_users_folder_is_never_replaced(capsys, user_folder, tmp_path, command):
    extra = (
        ["--sources", tmp_path / "in", "--dataset", tmp_path / "none"]
        if command == "rehydrate"
        else []
    )
    code, err = run(capsys, command, *extra, "--out", user_folder)
    assert code == 1
    assert "migbench did not write it" in err
    assert snapshot(user_folder) == {"notes.txt": b"keep me"}


@pytest.mark.parametrize("out", [".", "..", str(REPO), str(REPO / "src")])
def test_the_current_folder_its_parents_and_the_clone_are_refused(
    capsys, tmp_path, monkeypatch, out
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, err = run(capsys, "build", "--seeds", SEEDS, "--annotations", ANNOTATIONS, "--out", out)
    assert code == 1
    assert "choose another output" in err


def test_a_marked_folder_with_a_file_migbench_did_not_write_is_refused(tmp_path):
    out = tmp_path / "dataset"
    with output_dir(out) as staging:
        (staging / "stats.json").write_text("{}", encoding="utf-8")
    assert list(read_marker(out)) == ["stats.json"]
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"did not write \(mine.txt\)"), output_dir(out):
        pass
    assert (out / "mine.txt").read_text() == "mine"


def _write_then_fail(out):
    with output_dir(out) as staging:
        (staging / "a.txt").write_text("new", encoding="utf-8")
        raise RuntimeError("the build failed")


def test_a_failed_write_keeps_the_old_folder_and_leaves_no_staging(tmp_path):
    out = tmp_path / "dataset"
    with output_dir(out) as staging:
        (staging / "a.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="the build failed"):
        _write_then_fail(out)
    assert snapshot(tmp_path) == {"dataset/.migbench-output": (out / MARKER_NAME).read_bytes(),
                                  "dataset/a.txt": b"old"}  # fmt: skip
    with output_dir(out) as staging:  # its own output is replaced
        (staging / "b.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [MARKER_NAME, "b.txt"]
    assert stat.S_IMODE(out.stat().st_mode) != 0o700  # not the private mode of a temporary


def test_a_failed_build_leaves_no_staging_folder(capsys, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    next(seeds.glob("002_*")).write_bytes(b"changed")
    code, _ = run(capsys, "build", "--seeds", seeds, "--annotations", ANNOTATIONS,
                  "--out", tmp_path / "dataset")  # fmt: skip
    assert code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seeds"]


def test_the_committed_dataset_is_marked_as_migbench_output():
    listed = read_marker(REPO / "dataset")
    on_disk = {
        p.relative_to(REPO / "dataset").as_posix(): sha256_file(p)
        for p in sorted((REPO / "dataset").rglob("*"))
        if p.is_file() and p.name != MARKER_NAME
    }
    assert listed == on_disk


# --- 2. Special files: never replaced ----------------------------------------------------------


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        (tmp_path / "target.json").write_text("target", encoding="utf-8")
        path.symlink_to(tmp_path / "target.json")
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("creating a device needs root")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["fifo", "symlink", "device", "folder"])
def test_score_out_never_replaces_a_special_file(capsys, tmp_path, kind):
    path = _special(tmp_path, kind)
    before = os.lstat(path)
    code, err = run(capsys, "score", "--task", "stance", STANCE, "--gold", GOLD, "--out", path)
    assert code == 1
    assert "an output replaces only a file" in err
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if kind == "symlink":
        assert (tmp_path / "target.json").read_text() == "target"


@pytest.mark.slow
@pytest.mark.integration
def test_ls_tasks_out_onto_a_file_is_a_clean_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep", encoding="utf-8")
    code, err = run(capsys, "ls-tasks", "--out", blocker)
    assert code == 1
    assert "cannot write" in err
    assert blocker.read_text() == "keep"


# --- 3. Outputs over inputs -------------------------------------------------------------------


@pytest.mark.parametrize("which", ["submission", "gold"])
def test_score_out_never_overwrites_an_input(capsys, tmp_path, which):
    submission, gold = tmp_path / "sub.jsonl", tmp_path / "gold.jsonl"
    shutil.copy(STANCE, submission)
    shutil.copy(GOLD, gold)
    target = submission if which == "submission" else gold
    before = target.read_bytes()
    code, err = run(capsys, "score", "--task", "stance", submission, "--gold", gold, "--out",
                    target)  # fmt: skip
    assert code == 1
    assert "is also an input" in err
    assert target.read_bytes() == before


def test_an_output_through_a_hard_link_to_an_input_is_refused(tmp_path):
    source = tmp_path / "in.json"
    source.write_text("input", encoding="utf-8")
    os.link(source, tmp_path / "alias.json")
    with pytest.raises(OutputError, match="is also an input"):
        write_atomic(tmp_path / "alias.json", "output", inputs=[source])
    assert source.read_text() == "input"


# --- 4. Ingest checks everything before it writes ----------------------------------------------


def _ingest(capsys, source: Path, seeds: Path, doc_id: str = "new-doc") -> tuple[int, str]:
    return run(capsys, "ingest", source, "--doc-id", doc_id, "--genre", "news", "--seeds", seeds)


@pytest.mark.parametrize("name", [MANIFEST_NAME, "cleaning.json", ".hidden.txt"])
def test_ingest_refuses_reserved_and_hidden_names(capsys, seeds_copy, tmp_path, name):
    source = tmp_path / "in" / name
    source.parent.mkdir()
    source.write_text("A new sentence about migration.\n", encoding="utf-8")
    before = snapshot(seeds_copy)
    code, err = _ingest(capsys, source, seeds_copy)
    assert code == 1
    assert snapshot(seeds_copy) == before


def test_ingest_never_overwrites_an_untracked_file_in_the_seeds(capsys, seeds_copy, tmp_path):
    (seeds_copy / "new.txt").write_text("untracked, precious", encoding="utf-8")
    source = tmp_path / "new.txt"
    source.write_text("A new sentence about migration.\n", encoding="utf-8")
    before = snapshot(seeds_copy)
    code, err = _ingest(capsys, source, seeds_copy)
    assert code == 1
    assert "already in the seeds folder" in err
    assert snapshot(seeds_copy) == before
    # A file already inside the seeds folder is the same case, not a SameFileError.
    code, err = _ingest(capsys, seeds_copy / "new.txt", seeds_copy)
    assert code == 1
    assert snapshot(seeds_copy) == before


def test_ingest_refuses_a_file_name_that_is_not_utf8(capsys, seeds_copy, tmp_path):
    source = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff.txt"))
    source.write_text("A new sentence about migration.\n", encoding="utf-8")
    before = snapshot(seeds_copy)
    code, err = _ingest(capsys, source, seeds_copy)
    assert code == 1
    assert "not UTF-8" in err
    assert snapshot(seeds_copy) == before


@pytest.mark.parametrize(
    ("doc_id", "text"),
    [
        ("new-doc\n", "A new sentence about migration.\n"),  # an id with a trailing newline
        ("new-doc", "***\n"),  # no unit
        ("new-doc", "\u00e9t\u00e9".encode("latin-1")),  # not UTF-8
    ],
    ids=["id with newline", "no unit", "not utf-8"],
)
def test_ingest_refuses_bad_ids_and_documents_without_units(
    capsys, seeds_copy, tmp_path, doc_id, text
):
    source = tmp_path / "new.txt"
    source.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    before = snapshot(seeds_copy)
    code, _ = _ingest(capsys, source, seeds_copy, doc_id)
    assert code == 1
    assert snapshot(seeds_copy) == before


def test_ingest_refuses_a_fifo_without_blocking(capsys, seeds_copy, tmp_path):
    source = tmp_path / "new.txt"
    os.mkfifo(source)
    with _deadline(10):
        code, err = _ingest(capsys, source, seeds_copy)
    assert code == 1
    assert "a FIFO, not a regular file" in err


def test_ingest_adds_the_seed_and_its_manifest_row_together(capsys, seeds_copy, tmp_path):
    source = tmp_path / "new.txt"
    source.write_text("A new sentence about migration.\n", encoding="utf-8")
    code, _ = _ingest(capsys, source, seeds_copy)
    assert code == 0
    assert (seeds_copy / "new.txt").read_bytes() == source.read_bytes()
    assert [e.doc_id for e in read_manifest(seeds_copy)].count("new-doc") == 1


# --- 5. One strict JSON policy -----------------------------------------------------------------


def test_a_repeated_key_is_refused_by_every_reader(tmp_path, capsys):
    submission = tmp_path / "sub.jsonl"
    lines = STANCE.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('{"id"', '{"stance": "favor", "id"', 1)
    submission.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err = run(capsys, "validate", "--task", "stance", submission, "--gold", GOLD)
    assert code == 1
    assert "line 1: an object repeats the key 'stance'" in err
    gold = tmp_path / "gold.jsonl"
    first, *rest = GOLD.read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join([first.replace('{"id"', '{"text": "x", "id"', 1), *rest]))
    with pytest.raises(MigbenchError, match="line 1: an object repeats the key 'text'"):
        load_gold_file(gold)
    manifest = json.loads((SEEDS / MANIFEST_NAME).read_text(encoding="utf-8"))
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = json.dumps(manifest).replace('"genre"', '"words": 1, "genre"', 1)
    (seeds / MANIFEST_NAME).write_text(text, encoding="utf-8")
    with pytest.raises(MigbenchError, match="repeats the key 'words'"):
        read_manifest(seeds)


def test_a_repeated_key_hidden_by_escapes_is_still_found():
    raw = b'{"a": "\\u003a\\u003a", "b": [{"c": 1, "c": 2}]}'
    with pytest.raises(jsonio.InputError, match="repeats the key 'c'"):
        jsonio.loads(raw, source="x")
    assert jsonio.loads(b'{"a": ":", "b": [{"c": "::"}]}', source="x") == {
        "a": ":",
        "b": [{"c": "::"}],
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"words": True}, "words must be an integer, got True"),
        ({"words": "12"}, "words must be an integer"),
        ({"genre": 3}, "genre must be a string"),
        ({"file": "../outside.txt"}, "plain, visible file name"),
        ({"extra": 1}, "unknown keys 'extra'"),
    ],
)
def test_manifest_rows_are_type_checked(tmp_path, row, message):
    rows = json.loads((SEEDS / MANIFEST_NAME).read_text(encoding="utf-8"))
    rows[0].update(row)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(MigbenchError, match=message):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"d": {"removals": [{"start": "1", "end": 2, "reason": "", "begins": ""}]}}, "start"),
        ({"d": {"regions": [{"start": 0, "end": True, "unit_type": "x", "begins": ""}]}}, "end"),
        ({"d": {"removals": {}}}, "removals must be a list"),
        ({"d": []}, "expected an object"),
        ([], "expected a JSON object"),
    ],
)
def test_cleaning_rules_are_type_checked(tmp_path, rules, message):
    (tmp_path / "cleaning.json").write_text(json.dumps(rules), encoding="utf-8")
    with pytest.raises(MigbenchError, match=message):
        read_cleaning_rules(tmp_path)


# --- 6. Errors instead of tracebacks ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.integration
def test_deep_nesting_is_a_clean_error_in_exports_and_submissions(capsys, tmp_path):
    deep = "[" * 5000 + "]" * 5000
    submission = tmp_path / "sub.jsonl"
    submission.write_text(f'{{"id": "fixture-0001", "stance": {deep}}}\n', encoding="utf-8")
    code, err = run(capsys, "validate", "--task", "stance", submission, "--gold", GOLD)
    assert code == 1
    assert "line 1" in err
    annotations = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS, annotations)
    next((annotations / "labelstudio/exports").glob("*.json")).write_text(deep, encoding="utf-8")
    code, err = run(capsys, "validate-annotations", "--annotations", annotations)
    assert code == 1
    assert "not valid JSON" in err


@pytest.mark.parametrize("value", ["100001", "-1", "1e9", "9" * 5000])
def test_bootstrap_is_bounded(capsys, value):
    code, err = run(capsys, "score", "--task", "stance", STANCE, "--gold", GOLD,
                    "--bootstrap", value)  # fmt: skip
    assert code == 2
    assert "expected an integer from 0 to 100000" in err
    assert len(err) < 2000


def _annotation(annotator: int, **choices: str) -> Annotation:
    return Annotation(annotator=annotator, ground_truth=False, choices=choices, spans=())


def test_agreement_without_pairs_or_with_a_missing_layer_is_a_clean_error():
    agent = ("language-model annotation agent", "unknown", "unknown", "GUIDELINES.md v1.0")
    annotators = {
        1: Annotator(1, 1, *agent, "first", "1.0"),
        2: Annotator(2, 2, *agent, "second", "1.0"),
    }
    full = {"stance": "neutral", "frame": "neither", "mfc": "other"}
    alone = {"u": AnnotatedUnit(1, "u", "Text.", (_annotation(1, **full),))}
    with pytest.raises(MigbenchError, match="no unit has an annotation from both passes"):
        agreement_report(alone, annotators)
    partial = {"u": AnnotatedUnit(1, "u", "Text.", (_annotation(1, **full), _annotation(2)))}
    with pytest.raises(MigbenchError, match="pass-2 annotation by annotator 2 has no choice"):
        agreement_report(partial, annotators)


def test_docs_without_readme_is_a_clean_error(capsys, tmp_path):
    code, err = run(capsys, "docs", "--check", "--root", tmp_path)
    assert code == 1
    assert "README.md: cannot be read" in err


def test_rehydrate_of_a_damaged_parquet_is_a_clean_error(capsys, tmp_path):
    dataset = tmp_path / "notext"
    documents = dataset / "data" / "documents" / "train.parquet"
    documents.parent.mkdir(parents=True)
    documents.write_bytes(b"PAR1 not really parquet")
    code, err = run(capsys, "rehydrate", "--sources", SEEDS, "--dataset", dataset,
                    "--out", tmp_path / "out")  # fmt: skip
    assert code == 1
    assert "not a readable dataset file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notext"]


def test_rehydrate_refuses_a_dataset_holding_a_symlink(capsys, tmp_path):
    dataset = tmp_path / "notext"
    dataset.mkdir()
    (dataset / "README.md").symlink_to("/etc/passwd")
    code, err = run(capsys, "rehydrate", "--sources", SEEDS, "--dataset", dataset,
                    "--out", tmp_path / "out")  # fmt: skip
    assert code == 1
    assert "holds symlinks (README.md)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notext"]


def test_ls_pull_refuses_a_lone_surrogate_and_odd_annotators():
    with pytest.raises(MigbenchError, match="not valid JSON"):
        jsonio.loads(b'[{"data": {"text": "\\ud800"}}]', source="project 1: the export")
    export = [{"annotations": [{"completed_by": [1]}, {"completed_by": True}]}]
    with pytest.raises(MigbenchError, match=r"user \[1\] \(1 annotations\), user True"):
        restore_annotators(export, {1: 1})


# --- 7. Bounded inputs -------------------------------------------------------------------------


class _deadline:
    """Fail instead of hanging when a read blocks."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        signal.signal(signal.SIGALRM, self._fail)
        signal.alarm(self.seconds)

    def __exit__(self, *exc) -> None:
        signal.alarm(0)

    @staticmethod
    def _fail(*_) -> None:
        raise AssertionError("the read blocked")


@pytest.mark.parametrize("argument", ["submission", "gold"])
def test_a_fifo_input_is_refused_without_blocking(capsys, tmp_path, argument):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    submission, gold = (fifo, GOLD) if argument == "submission" else (STANCE, fifo)
    with _deadline(10):
        code, err = run(capsys, "validate", "--task", "stance", submission, "--gold", gold)
    assert code == 1
    assert "a FIFO, not a regular file" in err


def test_gold_files_have_a_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr("migbench.scoring.gold.MAX_GOLD_BYTES", 100)
    with pytest.raises(MigbenchError, match="larger than the 100-byte limit"):
        load_gold_file(GOLD)


def test_huge_ids_and_labels_are_shortened_in_messages(capsys, tmp_path):
    submission = tmp_path / "sub.jsonl"
    rows = [
        {"id": "x" * 1_000_000, "stance": "y" * 1_000_000},
        {"id": "fixture-0001", "s" * 10**6: 1},
    ]
    submission.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    code, err = run(capsys, "validate", "--task", "stance", submission, "--gold", GOLD)
    assert code == 1
    assert len(err) < 10_000


# --- 8. Generated docs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<!-- generated:corpus -->\nstale 12\n",
        "<!-- generated:corpus -->\nold\n<!-- /generated:labels -->\n",
        "<!-- generated:corpus --> no newline <!-- /generated:corpus -->\n",
        "x\n<!-- /generated:corpus -->\n",
    ],
    ids=["no closing marker", "mismatched names", "opening not on its own line", "closing only"],
)
def test_unbalanced_generated_markers_are_an_error(text):
    with pytest.raises(MigbenchError, match="generated markers do not pair up"):
        render(text, {"corpus": lambda: "fresh", "labels": lambda: "fresh"}, source="README.md")


# --- 9. Hub upload -----------------------------------------------------------------------------


def test_the_upload_leaves_out_hidden_files_and_refuses_symlinks(tmp_path):
    folder = tmp_path / "dataset"
    (folder / "data").mkdir(parents=True)
    for name in RELEASE_FILES:
        (folder / name).write_text(name, encoding="utf-8")
    (folder / "data" / "t.parquet").write_bytes(b"x")
    (folder / ".env").write_text("HF_TOKEN=secret", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("x", encoding="utf-8")
    (folder / MARKER_NAME).write_text("{}", encoding="utf-8")
    assert dataset_files(folder) == sorted([*map(Path, RELEASE_FILES), Path("data/t.parquet")])
    (folder / "data" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(MigbenchError, match=r"holds symlinks \(data/passwd\)"):
        dataset_files(folder)
    shutil.rmtree(folder / "data")
    (folder / "data").symlink_to(tmp_path)
    with pytest.raises(MigbenchError, match=r"holds symlinks \(data\)"):
        list(push_dataset(folder, "org/name", dry_run=True))


@pytest.mark.parametrize(
    "repo_id", ["name", "a/b/c", "org/na me", "org/../x", "org/x.git", "org/" + "x" * 200, "ö/x"]
)
def test_the_repo_id_is_validated(repo_id):
    with pytest.raises(MigbenchError, match="expected ORG/NAME"):
        check_repo_id(repo_id)
    check_repo_id("some-org/migbench_v1.0")


# --- 9. Identity, not spelling; guarded folders; strict markers ---------------------------------


def _ls_pull(capsys, monkeypatch, out: Path, seeds: Path = SEEDS) -> tuple[int, str]:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")  # refused before any connection
    return run(capsys, "ls", "pull", "--url", "http://127.0.0.1:9", "--project", "1",
               "--seeds", seeds, "--out", out)  # fmt: skip


@pytest.mark.parametrize("name", [MANIFEST_NAME, "000_1bf529ed1d702b9e.txt"])
def test_ls_pull_never_writes_into_the_seeds(capsys, monkeypatch, seeds_copy, name):
    before = snapshot(seeds_copy)
    code, err = _ls_pull(capsys, monkeypatch, seeds_copy / name, seeds_copy)
    assert code == 1
    assert "input folder" in err
    assert snapshot(seeds_copy) == before


def test_score_out_never_writes_into_a_guarded_folder(capsys, seeds_copy, tmp_path):
    before = snapshot(seeds_copy)
    code, err = run(capsys, "score", "--task", "stance", STANCE, "--gold", GOLD,
                    "--out", seeds_copy / MANIFEST_NAME)  # fmt: skip
    assert code == 1
    assert "the seeds folder" in err
    assert snapshot(seeds_copy) == before


@pytest.mark.parametrize("spelling", ["dataset through a link", "output as link/.."])
def test_rehydrate_compares_the_dataset_and_the_output_by_identity(capsys, tmp_path, spelling):
    real = tmp_path / "real" / "dataset"
    (real / "inner").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    if spelling == "dataset through a link":
        (tmp_path / "link").symlink_to(real)
        dataset, out = tmp_path / "link", real
    else:  # spelled tmp/elsewhere/link/.., which is tmp/elsewhere to the letter
        (tmp_path / "elsewhere" / "link").symlink_to(real / "inner")
        dataset, out = real, tmp_path / "elsewhere" / "link" / ".."
    code, err = run(capsys, "rehydrate", "--sources", SEEDS, "--dataset", dataset, "--out", out)
    assert code == 1
    assert "is, holds or lies inside the input" in err
    assert sorted(p.name for p in real.iterdir()) == ["inner"]


@pytest.mark.slow
def test_ls_tasks_replaces_no_file_outside_the_annotations_folder(capsys, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "tasks.json").write_text("my tasks", encoding="utf-8")
    code, err = run(capsys, "ls-tasks", "--out", folder)
    assert code == 1
    assert "exists and migbench did not write it" in err
    assert snapshot(folder) == {"tasks.json": b"my tasks"}  # config.xml not written either


def test_a_folder_holding_empty_subfolders_is_not_empty(tmp_path):
    out = tmp_path / "mine"
    (out / "keep" / "this").mkdir(parents=True)
    with pytest.raises(OutputError, match="migbench did not write it"), output_dir(out):
        pass
    assert (out / "keep" / "this").is_dir()


def _marked(tmp_path: Path, marker: str | None) -> Path:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    if marker is not None:
        (out / MARKER_NAME).write_text(marker, encoding="utf-8")
    return out


@pytest.mark.parametrize(
    "marker",
    [
        json.dumps({"files": ["notes.txt"]}),  # a planted marker of the old shape
        json.dumps({"written_by": "migbench", "files": {"notes.txt": "x"}}),
        json.dumps(
            {"written_by": "migbench", "files": [{"path": "notes.txt", "sha256": "0" * 64}]}
        ),
        json.dumps(
            {"written_by": "migbench", "files": [{"path": "../notes.txt", "sha256": "0" * 64}]}
        ),
        json.dumps({"written_by": "migbench", "files": [], "extra": 1}),
    ],
)
def test_a_marker_must_match_exactly_and_list_the_files_by_hash(tmp_path, marker):
    out = _marked(tmp_path, marker)
    with pytest.raises(OutputError), output_dir(out):
        pass
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_marker_that_is_a_symlink_is_refused(tmp_path):
    out = _marked(tmp_path, None)
    real = tmp_path / "real-marker"
    real.write_text(marker_text(out), encoding="utf-8")
    (out / MARKER_NAME).symlink_to(real)
    with pytest.raises(OutputError, match="not a marker migbench wrote"), output_dir(out):
        pass
    assert (out / "notes.txt").read_text() == "keep me"


def test_replacing_a_folder_deletes_only_what_its_marker_lists(tmp_path):
    out = tmp_path / "dataset"
    with output_dir(out) as staging:
        (staging / "a.txt").write_text("old", encoding="utf-8")
    owned = check_output_dir(out)
    assert owned == {"a.txt": sha256_file(out / "a.txt")}
    (out / "late.txt").write_text("appeared after the check", encoding="utf-8")
    swapped = tmp_path / "staging"
    swapped.mkdir()
    (swapped / "b.txt").write_text("new", encoding="utf-8")
    fileio._swap(swapped, out, owned)
    kept = [p for p in tmp_path.iterdir() if p.name.endswith(fileio.OLD_SUFFIX)]
    assert [snapshot(folder) for folder in kept] == [{"late.txt": b"appeared after the check"}]


def test_a_file_changed_since_migbench_wrote_it_is_not_replaced(tmp_path):
    out = tmp_path / "dataset"
    with output_dir(out) as staging:
        (staging / "a.txt").write_text("old", encoding="utf-8")
    (out / "a.txt").write_text("edited by hand", encoding="utf-8")
    with pytest.raises(OutputError, match=r"changed since migbench wrote them \(a.txt\)"):
        check_output_dir(out)


# --- 10. Wrong output, exit 0 -------------------------------------------------------------------


def _parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def test_rehydrate_orders_unit_numbers_as_numbers(tmp_path):
    from migbench.dataset.rehydrate import _unit_texts

    count = 10_001
    rows = [{"id": f"doc-{n:04d}", "doc_id": "doc", "paragraph": n} for n in range(count)]
    random.Random(0).shuffle(rows)
    _parquet(tmp_path / "data" / "all" / "train.parquet", rows)
    texts = {row["id"]: f"unit {int(row['id'][4:])}" for row in rows}
    context, paragraphs = _unit_texts(tmp_path, texts)
    assert context["doc-10000"] == ("unit 9999", "")
    assert context["doc-1000"] == ("unit 999", "unit 1001")
    assert [text for _, text in paragraphs["doc"]] == [f"unit {n}" for n in range(count)]


def _text_free(tmp_path: Path, units: list[dict]) -> Path:
    dataset = tmp_path / "notext"
    _parquet(dataset / "data" / "documents" / "train.parquet", [{"doc_id": "doc", "text": None}])
    _parquet(dataset / "data" / "all" / "train.parquet", units)
    return dataset


def _unit(**changes) -> dict:
    row = {"id": "doc-0000", "doc_id": "doc", "paragraph": 0, "text_hmac": "0" * 64,
           "token_offsets": [[0, 3]]}  # fmt: skip
    return {**row, **changes}


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ([_unit(), _unit()], "is on more than one row"),
        ([_unit(token_offsets=[0, 3])], "lacks token_offsets"),
        ([_unit(id=None)], "has doc id"),
        ([{k: v for k, v in _unit().items() if k != "paragraph"}], "lacks paragraph"),
        ([_unit(id="doc-x")], "is not <doc id>-<number>"),
    ],
)
def test_rehydrate_refuses_damaged_unit_rows(capsys, tmp_path, units, message):
    dataset = _text_free(tmp_path, units)
    code, err = run(capsys, "rehydrate", "--sources", SEEDS, "--dataset", dataset,
                    "--out", tmp_path / "out")  # fmt: skip
    assert code == 1
    assert message in err


def test_rehydrate_refuses_an_entity_without_a_start():
    from migbench.dataset.rehydrate import _restore_unit

    row = {"id": "doc-0000", "entities": [{"start": None, "end": 3, "label": "GPE"}]}
    with pytest.raises(MigbenchError, match="has no valid start and end"):
        _restore_unit(row, {"doc-0000": "USA"}, {"doc-0000": ("", "")})


# --- 11. Signals and stdout ---------------------------------------------------------------------


def _default_sigint() -> None:
    # A shell's background job starts with SIGINT ignored, and the CLI keeps an ignored one so.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(*argv: object, **options) -> subprocess.Popen:
    command = [sys.executable, "-m", "migbench", *map(str, argv)]
    return subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        preexec_fn=_default_sigint,
        **options,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_build_leaves_no_staging_and_one_line(tmp_path, signum, code):
    out = tmp_path / "dataset"
    process = _cli("build", "--out", out, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*" + fileio.STAGING_SUFFIX)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()[1]
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code
    assert "Traceback" not in err
    reported = [line for line in err.splitlines() if line.startswith("migbench")]
    assert len(reported) == 1  # beside the progress bar, one line
    assert "nothing was left half-written" in reported[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("stdout", ["closed", "/dev/full"])
def test_a_result_that_cannot_reach_stdout_is_an_error(stdout):
    if stdout == "closed":
        command = (
            f"exec {sys.executable} -m migbench validate --task stance {STANCE} --gold {GOLD} >&-"
        )
        process = subprocess.run(["sh", "-c", command], capture_output=True, text=True, cwd=REPO)
    else:
        with open(stdout, "w") as full:
            process = subprocess.run(
                [sys.executable, "-m", "migbench", "validate", "--task", "stance", STANCE,
                 "--gold", GOLD], stdout=full, stderr=subprocess.PIPE, text=True, cwd=REPO,
            )  # fmt: skip
    assert process.returncode == 1
    assert process.stderr.startswith("migbench: error: cannot write the result to stdout")
    assert "Traceback" not in process.stderr


# --- 12. Memory bounded by design ---------------------------------------------------------------


@pytest.mark.slow
def test_structure_checks_never_re_encode_the_value(monkeypatch):
    monkeypatch.setattr(jsonio.orjson, "dumps", _never)
    value = [{"a": "b:c", "d": [1, {"e": "x"}]}] * 50_000  # larger than a JSON Lines line
    assert jsonio.loads(json.dumps(value).encode(), source="x") == value


def _never(*args, **kwargs):
    raise AssertionError("orjson.dumps was called")


def test_a_submission_of_bad_lines_keeps_a_bounded_number_of_problems(tmp_path):
    submission = tmp_path / "sub.jsonl"
    submission.write_bytes(b"x\n" * 5000)
    with pytest.raises(SubmissionError) as caught:
        migbench.validate("stance", submission, gold=GOLD)
    assert caught.value.count == 5000
    assert len(caught.value.problems) == MAX_KEPT
    assert str(caught.value).endswith(f"and {5000 - MAX_SHOWN} more")


@pytest.mark.parametrize("gold_text", ["bom", "crlf", "huge integer"])
def test_gold_and_submissions_share_one_set_of_rules(tmp_path, gold_text):
    gold = tmp_path / "gold.jsonl"
    data = GOLD.read_bytes()
    if gold_text == "bom":
        gold.write_bytes(b"\xef\xbb\xbf" + data)
        assert len(load_gold_file(gold)) == len(load_gold_file(GOLD))
    elif gold_text == "crlf":
        gold.write_bytes(data.replace(b"\n", b"\r\n"))
        assert len(load_gold_file(gold)) == len(load_gold_file(GOLD))
    else:
        gold.write_bytes(
            data.replace(b'"stance": ', b'"x": 1000000000000000000000000000000, "stance": ', 1)
        )
        with pytest.raises(MigbenchError, match="outside the 64-bit range"):
            load_gold_file(gold)


# --- 13. Nothing hangs --------------------------------------------------------------------------


def test_build_refuses_a_fifo_datasheet_without_blocking(capsys, tmp_path):
    fifo = tmp_path / "datasheet"
    os.mkfifo(fifo)
    with _deadline(60):
        code, err = run(capsys, "build", "--datasheet", fifo, "--out", tmp_path / "out")
    assert code == 1
    assert "a FIFO, not a regular file" in err


@pytest.mark.parametrize("kind", ["fifo", "folder", "truncated"])
def test_push_dry_run_refuses_a_parquet_that_is_not_one(capsys, tmp_path, kind):
    folder = tmp_path / "dataset"
    (folder / "data" / "all").mkdir(parents=True)
    for name in RELEASE_FILES:
        (folder / name).write_text(name, encoding="utf-8")
    path = folder / "data" / "all" / "train.parquet"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        _parquet(path, [{"id": "a", "text": "b"}])
        path.write_bytes(path.read_bytes()[:20])
    with _deadline(60):
        code, err = run(capsys, "push", "--repo-id", "org/name", "--dataset", folder, "--dry-run")
    assert code == 1
    assert "train.parquet" in err


# --- 14. Checks before work --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["compare", "power"])
def test_compare_and_power_check_out_before_computing(capsys, monkeypatch, tmp_path, command):
    monkeypatch.setattr(f"migbench.cli.statistics.{command}", _never)
    submissions = [STANCE, STANCE] if command == "compare" else [STANCE]
    code, err = run(capsys, command, "--task", "stance", *submissions, "--gold", GOLD,
                    "--out", tmp_path)  # fmt: skip
    assert code == 1
    assert "an output replaces only a file" in err


# --- 15. Output sanitised ----------------------------------------------------------------------


def test_submission_lines_are_echoed_with_control_characters_escaped(capsys, tmp_path):
    submission = tmp_path / "sub.jsonl"
    submission.write_bytes(b"\x1b[2J\x07 not json\n")
    code, err = run(capsys, "validate", "--task", "stance", submission, "--gold", GOLD)
    assert code == 1
    assert "\x1b" not in err
    assert "\\x1b[2J\\x07" in err


def test_a_gold_doc_id_is_printed_with_control_characters_escaped(capsys, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["doc_id"] = "evil\n\x1b[31mred"
    gold.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main(["score", "--task", "stance", str(STANCE), "--gold", str(gold), "--format",
                 "text", "--bootstrap", "0"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "evil\\n\\x1b[31mred" in out


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--doc-id", "a" * 5000),
        ("--url", "https://x.org/\nInjected: yes"),
        ("--location", "x" * 100_000),
    ],
)
def test_ingest_bounds_every_field(capsys, seeds_copy, tmp_path, option, value):
    source = tmp_path / "new.txt"
    source.write_text("A new sentence about migration.\n", encoding="utf-8")
    before = snapshot(seeds_copy)
    argv = ["ingest", source, "--genre", "news", "--seeds", seeds_copy]
    argv += [] if option == "--doc-id" else ["--doc-id", "new-doc"]
    code, err = run(capsys, *argv, option, value)
    assert code == 1
    assert snapshot(seeds_copy) == before


# --- 16. The policy is written down -------------------------------------------------------------


def test_security_md_states_the_limits_in_the_code():
    from migbench.corpus.seeds import (
        MAX_DOC_ID_CHARS,
        MAX_EVIDENCE_CHARS,
        MAX_FIELD_CHARS,
        MAX_SEED_BYTES,
    )
    from migbench.dataset import build, rehydrate, textfree
    from migbench.labelstudio import client
    from migbench.scoring import gold, submission

    text = (REPO / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    block = text.split("<!-- limits:")[1].split("<!-- /limits -->")[0]
    stated = [int(line.rsplit("|", 2)[1]) for line in block.splitlines() if line.startswith("| ")
              and line.rsplit("|", 2)[1].strip().isdigit()]  # fmt: skip
    assert stated == [
        jsonio.MAX_BYTES,
        client.MAX_EXPORT_BYTES,
        submission.MAX_SUBMISSION_BYTES,
        gold.MAX_GOLD_BYTES,
        jsonio.MAX_LINE_BYTES,
        fileio.MARKER_BYTES,
        rehydrate.MAX_COPY_BYTES,
        rehydrate.MAX_SOURCES_BYTES,
        textfree.MAX_PARQUET_BYTES,
        build.MAX_DATASHEET_BYTES,
        MAX_SEED_BYTES,
        MAX_DOC_ID_CHARS,
        MAX_FIELD_CHARS,
        MAX_EVIDENCE_CHARS,
    ]


@pytest.fixture
def trickling_server():
    """A loopback server that answers every request one byte a second, for ever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b" " * 100000:
                    if stop.wait(1):
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


@pytest.mark.slow
def test_a_trickling_label_studio_server_meets_the_overall_deadline(monkeypatch, trickling_server):
    from migbench.labelstudio import client

    monkeypatch.setattr(client, "TIMEOUT_S", 2)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    started = time.monotonic()
    with pytest.raises(MigbenchError, match="did not answer within 2 s"):
        client.Server(trickling_server)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("field", "value"),
    [("annotation_pass", "1"), ("annotation_pass", True), ("instructions", 3), ("model", 1)],
)
def test_annotators_json_fields_are_type_checked(tmp_path, field, value):
    from migbench.annotation.store import ANNOTATORS_NAME, read_annotators

    rows = json.loads((ANNOTATIONS / ANNOTATORS_NAME).read_text(encoding="utf-8"))
    rows[0][field] = value
    (tmp_path / ANNOTATORS_NAME).write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(MigbenchError, match=f"{field} must be"):
        read_annotators(tmp_path)


@pytest.mark.slow
def test_cross_validation_refuses_a_dataset_without_folds(capsys, tmp_path):
    import pyarrow.parquet as pq

    dataset = tmp_path / "dataset"
    shutil.copytree(REPO / "dataset", dataset)
    for path in dataset.glob("data/*/*.parquet"):
        table = pq.read_table(path)
        if "fold" in table.column_names:
            pq.write_table(table.drop_columns(["fold"]), path)
    code, err = run(capsys, "validate", "--task", "stance", STANCE,
                    "--protocol", "cv", "--dataset", dataset)  # fmt: skip
    assert code == 1
    assert "has no fold" in err


@pytest.mark.parametrize("power", ["[]", '{"reference": "x"}', '{"protocol": 1}'])
def test_a_damaged_power_analysis_is_a_clean_error_naming_it(tmp_path, power):
    from migbench.docs import power_block

    (tmp_path / "power.x.json").write_text(power, encoding="utf-8")
    with pytest.raises(MigbenchError, match=r"power\.x\.json: not a power analysis"):
        power_block(tmp_path)


def test_docs_with_an_empty_confusion_matrix_row_is_a_clean_error(capsys, tmp_path):
    from migbench.cli.docs import blocks

    agreement = json.loads((ANNOTATIONS / "agreement.json").read_text(encoding="utf-8"))
    (tmp_path / "annotations").mkdir()
    text = json.dumps(agreement).replace('"matrix": [[', '"matrix": [[], [', 1)
    (tmp_path / "annotations" / "agreement.json").write_text(text, encoding="utf-8")
    with pytest.raises(MigbenchError, match="block 'agreement' cannot be generated"):
        render("<!-- generated:agreement -->\n<!-- /generated:agreement -->\n",
               blocks(tmp_path), source="README.md")  # fmt: skip


def test_a_label_studio_export_over_the_cap_is_refused_while_downloading(monkeypatch):
    from types import SimpleNamespace

    from migbench.labelstudio import client

    sent = []

    def chunks(*args, **kwargs):
        for _ in range(1000):
            sent.append(1)
            yield b"[" * 1024

    server = client.Server.__new__(client.Server)
    server.url = "http://127.0.0.1:9"
    exports = SimpleNamespace(download_sync=chunks)
    server._client = SimpleNamespace(projects=SimpleNamespace(exports=exports))
    monkeypatch.setattr(client, "MAX_EXPORT_BYTES", 10 * 1024)
    with pytest.raises(MigbenchError, match="larger than the 10240-byte limit"):
        server.export(1)
    assert len(sent) == 11  # it stopped at the chunk that passed the cap


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_finalisers_failing_after_a_signal_print_no_traceback(tmp_path, signum, code):
    # What a signal leaves half-built (a progress bar stopped in its constructor, a writer whose
    # file the clean-up closed) may fail when collected; the one line must stay the only one.
    script = tmp_path / "command.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import argparse, os, sys, time
            from migbench import cli

            class HalfBuilt:
                def __del__(self):
                    raise ValueError("finaliser failed")

            def command(args):
                kept = HalfBuilt()
                os.kill(os.getpid(), {int(signum)})
                time.sleep(30)

            args = argparse.Namespace(func=command, verbose=False)
            cli.build_parser = lambda: argparse.Namespace(parse_args=lambda argv: args)
            sys.exit(cli.main([]))
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_default_sigint,
    )
    assert done.returncode == code
    assert done.stderr.startswith("migbench: error: ")
    assert len(done.stderr.splitlines()) == 1, done.stderr
