"""Failure paths, as SQLite tests them: every write step of every writing command fails in turn.

A run is first made with the write primitives counted (temporary files and folders, renames,
links, mode changes); then, for each step, a run in which that step raises ``OSError``. Each time
the command must fail cleanly (exit 1, one line, no traceback), leave the previous output
byte-identical, and leave no temporary file, backup or staging folder beside it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from migbench.cli import labelstudio as labelstudio_cli
from migbench.cli import main
from migbench.corpus.seeds import read_manifest
from migbench.dataset.build import build_dataset
from migbench.fileio import MARKER_NAME, OutputError, output_dir, write_files

from .conftest import REPO, SEEDS

ANNOTATIONS = REPO / "annotations"
EXPORTS = ANNOTATIONS / "labelstudio" / "exports"
GOLD = REPO / "src/migbench/examples/gold.jsonl"
STANCE = REPO / "src/migbench/examples/stance.jsonl"
#: The primitives every write goes through, by module and name.
PRIMITIVES = (
    (tempfile, "mkstemp"),
    (tempfile, "mkdtemp"),
    (os, "replace"),
    (os, "link"),
    (os, "chmod"),
)


class Injector:
    """Counts the calls of the write primitives, and makes call number ``fail_at`` raise."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> None:
        self.calls = 0
        self.fail_at = fail_at
        for module, name in PRIMITIVES:
            monkeypatch.setattr(module, name, self._wrap(getattr(module, name)))

    def _wrap(self, function: Callable) -> Callable:
        def step(*args, **kwargs):
            self.calls += 1
            if self.calls == self.fail_at:
                raise OSError(28, "No space left on device (injected)")
            return function(*args, **kwargs)

        return step


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry below ``folder``: a file with its bytes, a folder as ``b"/"``."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        found[key] = b"/" if path.is_dir() and not path.is_symlink() else path.read_bytes()
    return found


def steps_of(monkeypatch: pytest.MonkeyPatch, command: Callable[[], object]) -> int:
    """Run ``command`` once with the primitives counted; return the number of write steps."""
    with monkeypatch.context() as patch:
        injector = Injector(patch)
        command()
    assert injector.calls > 0
    return injector.calls


def fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys, command: Callable[[], int], step: int
) -> None:
    with monkeypatch.context() as patch:
        Injector(patch, fail_at=step)
        code = command()
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err


# --- File outputs -------------------------------------------------------------------------------


def _previous(path: Path, text: str = "previous result\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _file_survives_every_step(monkeypatch, capsys, command: Callable[[], int], out: Path) -> None:
    """Fail ``command`` at each of its steps; ``out``'s folder must hold the previous file alone."""
    _previous(out)
    steps = steps_of(monkeypatch, command)
    capsys.readouterr()
    for step in range(1, steps + 1):
        _previous(out)
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(out.parent) == {out.name: b"previous result\n"}


FILE_COMMANDS = {
    "score": lambda out: [
        "score",
        "--task",
        "stance",
        STANCE,
        "--gold",
        GOLD,
        "--bootstrap",
        "10",
        "--out",
        out,
    ],  # fmt: skip
    "compare": lambda out: [
        "compare",
        "--task",
        "stance",
        STANCE,
        STANCE,
        "--name",
        "a",
        "--name",
        "b",
        "--gold",
        GOLD,
        "--trials",
        "100",
        "--out",
        out,
    ],  # fmt: skip
    "power": lambda out: [
        "power",
        STANCE,
        "--task",
        "stance",
        "--gold",
        GOLD,
        "--simulations",
        "2",
        "--trials",
        "20",
        "--out",
        out,
    ],  # fmt: skip
    "template": lambda out: ["template", "--task", "stance", "--gold", GOLD, "--out", out],
}


@pytest.mark.parametrize("name", FILE_COMMANDS)
def test_a_file_output_survives_a_failure_at_every_step(monkeypatch, capsys, tmp_path, name):
    out = tmp_path / "out" / "result.json"

    def command() -> int:
        return main([str(arg) for arg in FILE_COMMANDS[name](out)])

    _file_survives_every_step(monkeypatch, capsys, command, out)


# --- Several files, all or nothing --------------------------------------------------------------


def test_several_files_are_replaced_all_or_none_at_every_step(monkeypatch, tmp_path):
    first, second = _previous(tmp_path / "a.md", "old a"), _previous(tmp_path / "b.md", "old b")

    def command() -> None:
        write_files({first: "new a", second: "new b"})

    steps = steps_of(monkeypatch, command)
    for step in range(1, steps + 1):
        _previous(first, "old a")
        _previous(second, "old b")
        with monkeypatch.context() as patch:
            Injector(patch, fail_at=step)
            with pytest.raises(OutputError, match="injected"):
                command()
        assert snapshot(tmp_path) in (
            {"a.md": b"old a", "b.md": b"old b"},
            {"a.md": b"new a", "b.md": b"new b"},  # the failing step came after the renames
        )


@pytest.fixture
def annotations_copy(tmp_path: Path) -> Path:
    target = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS, target)
    return target


@pytest.mark.slow
def test_ls_tasks_keeps_both_files_at_every_step(monkeypatch, capsys, annotations_copy):
    out = annotations_copy / "labelstudio"

    def command() -> int:
        return main(["ls-tasks", "--seeds", str(SEEDS), "--out", str(out)])

    steps = steps_of(monkeypatch, command)
    for step in range(1, steps + 1):
        for name in ("tasks.json", "config.xml"):  # both differ from what the command writes
            (out / name).write_text(f"previous {name}\n", encoding="utf-8")
        before = snapshot(annotations_copy)
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(annotations_copy) == before


@pytest.mark.slow
@pytest.mark.integration
def test_ls_pull_keeps_the_previous_export_at_every_step(monkeypatch, capsys, tmp_path):
    """The server is replaced after the connection: the steps are those of the write."""
    export = json.loads((EXPORTS / "mp-letter.json").read_text(encoding="utf-8"))
    users = {a["completed_by"] for task in export for a in task["annotations"]}

    class Server:
        url = "http://127.0.0.1:9"

        def check_project(self, project: int) -> None:
            pass

        def export(self, project: int) -> list:
            return copy.deepcopy(export)

        def annotator_accounts(self) -> dict[int, int]:
            return {user: user for user in users}

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    monkeypatch.setattr(labelstudio_cli, "_connect", lambda args: Server())
    out = tmp_path / "out" / "export.json"

    def command() -> int:
        return main(["ls", "pull", "--url", Server.url, "--project", "1", "--seeds", str(SEEDS),
                     "--out", str(out)])  # fmt: skip

    _file_survives_every_step(monkeypatch, capsys, command, out)


@pytest.mark.integration
def test_ingest_keeps_the_seeds_at_every_step(monkeypatch, capsys, tmp_path, seeds_copy):
    source = _previous(tmp_path / "in" / "new.txt", "A new sentence about migration.\n")
    before = snapshot(seeds_copy)

    def command() -> int:
        return main(["ingest", str(source), "--doc-id", "new-doc", "--genre", "news",
                     "--seeds", str(seeds_copy)])  # fmt: skip

    steps = steps_of(monkeypatch, command)
    shutil.rmtree(seeds_copy)
    shutil.copytree(SEEDS, seeds_copy)
    for step in range(1, steps + 1):
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(seeds_copy) == before


def _docs_root(root: Path) -> Path:
    for relative in ("README.md", "DATASHEET.md", "NOTICE", "dataset/stats.json",
                     "annotations/agreement.json", "annotations/annotators.json",
                     "baselines/RESULTS.md", "baselines/timings.json",
                     "benchmarks/bench_scorer.txt", "benchmarks/bench_compare.txt",
                     "benchmarks/bench_leaderboard.txt", "benchmarks/bench_predict.txt",
                     "docs/SCALING.md", "Makefile"):  # fmt: skip
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / relative, root / relative)
    shutil.copytree(REPO / "baselines/significance", root / "baselines/significance")
    return root


def _stale(root: Path) -> None:
    """Make both documents stale: one generated block of each hand-edited."""
    for name in ("README.md", "DATASHEET.md"):
        path = root / name
        text = path.read_text(encoding="utf-8")
        start = text.index("<!-- generated:corpus -->") + len("<!-- generated:corpus -->")
        path.write_text(text[:start] + "\nhand-edited\n" + text[start:], encoding="utf-8")


@pytest.mark.integration
def test_docs_replaces_both_documents_or_neither_at_every_step(monkeypatch, capsys, tmp_path):
    root = _docs_root(tmp_path / "root")

    def command() -> int:
        return main(["docs", "--root", str(root)])

    _stale(root)
    steps = steps_of(monkeypatch, command)
    for step in range(1, steps + 1):
        _stale(root)
        before = snapshot(root)
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(root) == before


# --- Folder outputs -----------------------------------------------------------------------------


def test_a_folder_output_survives_a_failure_at_every_step(monkeypatch, tmp_path):
    out = tmp_path / "out"
    with output_dir(out) as staging:
        (staging / "sub").mkdir()
        (staging / "sub" / "a.txt").write_text("previous", encoding="utf-8")
    before = snapshot(tmp_path)

    def command() -> None:
        with output_dir(out) as staging:
            (staging / "b.txt").write_text("new", encoding="utf-8")

    steps = steps_of(monkeypatch, command)
    shutil.rmtree(out)
    with output_dir(out) as staging:
        (staging / "sub").mkdir()
        (staging / "sub" / "a.txt").write_text("previous", encoding="utf-8")
    for step in range(1, steps + 1):
        with monkeypatch.context() as patch:
            Injector(patch, fail_at=step)
            with pytest.raises(OutputError, match="injected"):
                command()
        assert snapshot(tmp_path) == before
    assert f"out/{MARKER_NAME}" in before


@pytest.mark.slow
def test_build_keeps_the_previous_dataset_when_its_last_steps_fail(monkeypatch, capsys, tmp_path):
    """The build's own steps are the folder's (above); here the swap of a real build fails."""
    out = tmp_path / "dataset"
    build_dataset(SEEDS, ANNOTATIONS, out)
    before = snapshot(tmp_path)

    def command() -> int:
        return main(["build", "--seeds", str(SEEDS), "--annotations", str(ANNOTATIONS),
                     "--out", str(out)])  # fmt: skip

    steps = steps_of(monkeypatch, command)
    assert snapshot(tmp_path) == before  # the same inputs rebuild the same bytes
    for step in (1, steps - 3, steps - 2, steps - 1, steps):  # staging; old folder; swaps
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_agreement_keeps_both_files_at_every_step(monkeypatch, capsys, annotations_copy):
    before = snapshot(annotations_copy)

    def command() -> int:
        return main(["agreement", "--seeds", str(SEEDS), "--annotations", str(annotations_copy)])

    steps = steps_of(monkeypatch, command)
    capsys.readouterr()
    assert snapshot(annotations_copy) == before  # the same exports give the same files
    (annotations_copy / "agreement.json").write_text("{}\n", encoding="utf-8")
    before = snapshot(annotations_copy)
    for step in range(1, steps + 1):
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(annotations_copy) == before


def _folder_survives_every_step(monkeypatch, capsys, command: Callable[[], int], out: Path) -> None:
    """Run ``command`` once to make the previous ``out``, then fail it at each of its steps."""
    assert command() == 0
    before = snapshot(out.parent)
    assert f"{out.name}/{MARKER_NAME}" in before
    steps = steps_of(monkeypatch, command)
    assert snapshot(out.parent) == before  # the same inputs give the same folder
    capsys.readouterr()
    for step in range(1, steps + 1):
        fails_cleanly(monkeypatch, capsys, command, step)
        assert snapshot(out.parent) == before


@pytest.mark.slow
def test_rehydrate_keeps_the_previous_folder_at_every_step(
    monkeypatch, capsys, tmp_path, built_text_free
):
    sources = tmp_path / "sources"
    sources.mkdir()
    for entry in read_manifest(SEEDS):
        shutil.copyfile(SEEDS / entry.file, sources / f"{entry.doc_id}.txt")
    out = tmp_path / "out" / "dataset"
    out.parent.mkdir()

    def command() -> int:
        return main(["rehydrate", "--sources", str(sources), "--dataset", str(built_text_free),
                     "--out", str(out)])  # fmt: skip

    _folder_survives_every_step(monkeypatch, capsys, command, out)


@pytest.mark.slow
def test_submit_keeps_the_stored_system_at_every_step(monkeypatch, capsys, tmp_path):
    pytest.importorskip("jsonschema")
    from .test_leaderboard import baseline

    folder, store = baseline(tmp_path, "majority"), tmp_path / "store" / "results"
    store.mkdir(parents=True)

    def command() -> int:
        return main(["submit", str(folder), "--store", str(store)])

    _folder_survives_every_step(monkeypatch, capsys, command, store / "majority")


@pytest.mark.slow
def test_leaderboard_keeps_the_previous_site_at_every_step(monkeypatch, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    from .test_leaderboard import baseline

    store, site = tmp_path / "results", tmp_path / "out" / "site"
    store.mkdir()
    site.parent.mkdir()
    assert main(["submit", str(baseline(tmp_path, "majority")), "--store", str(store)]) == 0

    def command() -> int:
        return main(["leaderboard", "--store", str(store), "--out", str(site)])

    _folder_survives_every_step(monkeypatch, capsys, command, site)


@pytest.mark.slow
def test_predict_keeps_the_previous_output_and_resumes_after_a_failure_at_every_step(
    monkeypatch, capsys, tmp_path
):
    pytest.importorskip("skops")
    pytest.importorskip("sentence_transformers")
    from .test_predict import make_model, write_jsonl

    model = make_model(tmp_path / "models" / "migbench-stance", context=True)
    source = write_jsonl(tmp_path / "in.jsonl", 60)
    out = tmp_path / "out" / "stance.jsonl"

    def command() -> int:
        return main(["predict", str(source), "--model", str(model), "--batch-size", "20",
                     "--out", str(out)])  # fmt: skip

    out.parent.mkdir()
    assert command() == 0
    expected = {out.name: out.read_bytes()}
    steps = steps_of(monkeypatch, command)
    capsys.readouterr()
    for step in range(1, steps + 1):
        _previous(out)
        fails_cleanly(monkeypatch, capsys, command, step)
        assert out.read_bytes() == b"previous result\n"
        # The next run resumes from what the failed one left and ends with nothing beside it.
        assert command() == 0
        assert snapshot(out.parent) == expected
