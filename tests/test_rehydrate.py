"""Rehydration: units found in other copies of the sources, byte-identical, failures named."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from migbench.cli import main
from migbench.corpus.seeds import read_cleaning_rules, read_manifest
from migbench.dataset.rehydrate import find_units, read_unit_keys, rehydrate
from migbench.errors import MigbenchError
from migbench.fileio import MARKER_NAME, read_marker, sha256_file

from .conftest import DATASET, SEEDS

REPORT_SENTENCE = "revealed a significant increase"
EDITED = ("poses significant challenges for India, impacting its socio", "poses big challenges")


@pytest.fixture
def full() -> Path:
    """The committed dataset, which the release test holds equal to a fresh build."""
    return DATASET


@pytest.fixture
def notext(built_text_free) -> Path:
    return built_text_free


def _rows(dataset: Path) -> list[dict]:
    rows = []
    for path in sorted((dataset / "data" / "all").glob("*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return sorted(rows, key=lambda row: row["id"])


def _crlf(doc_id: str, text: str) -> str:
    return text.replace("\n", "\r\n")


def _rewrapped(doc_id: str, text: str) -> str:
    return "\n".join(
        textwrap.fill(line, 40, break_long_words=False, break_on_hyphens=False)
        for line in text.split("\n")
    )


def _furniture_added(doc_id: str, text: str) -> str:
    """A header, banners between paragraphs and a page break inside a sentence."""
    text = text.replace("\n", "\nADVERTISEMENT\nShare this article\n", 3)
    text = text.replace(REPORT_SENTENCE, "revealed a\n\n3 | Page 7 of 20\n\nsignificant increase")
    return f"Printed from example.org on 2026-01-05\n{doc_id.upper()} | World news\n\n{text}"


def _furniture_missing(doc_id: str, text: str) -> str:
    """The copy lacks what the seed has besides the document: banners, running heads, references."""
    rules = read_cleaning_rules(SEEDS).get(doc_id)
    for removal in sorted(rules.removals if rules else (), key=lambda r: -r.start):
        text = text[: removal.start] + text[removal.end :]
    return text


def _copies(folder: Path, transform: Callable[[str, str], str]) -> Path:
    """Write a transformed copy of each seed under a name of the user's choosing."""
    folder.mkdir()
    for entry in read_manifest(SEEDS):
        text = (SEEDS / entry.file).read_text(encoding="utf-8")
        (folder / f"{entry.doc_id}.txt").write_text(transform(entry.doc_id, text), "utf-8")
    return folder


def test_furniture_added_interrupts_a_report_sentence():
    report = next(e for e in read_manifest(SEEDS) if e.doc_id == "dhankhar-report")
    text = _furniture_added("dhankhar-report", (SEEDS / report.file).read_text(encoding="utf-8"))
    assert "revealed a\n\n3 | Page 7 of 20\n\nsignificant increase" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "transform", [_crlf, _rewrapped, _furniture_added, _furniture_missing], ids=lambda f: f.__name__
)
def test_every_unit_is_found_byte_identical_in_other_copies(full, notext, tmp_path, transform):
    units = read_unit_keys(notext)
    folder = _copies(tmp_path / "copies", transform)
    copies = {p.name: p.read_bytes().decode("utf-8") for p in folder.iterdir()}
    found = find_units(units, copies)
    assert {unit_id: hit.text for unit_id, hit in found.items()} == {
        row["id"]: row["text"] for row in _rows(full)
    }
    assert {hit.copy for unit_id, hit in found.items() if unit_id.startswith("mp-letter")} == {
        "mp-letter.txt"
    }


def _combined(doc_id: str, text: str) -> str:
    return _crlf(
        doc_id, _rewrapped(doc_id, _furniture_added(doc_id, _furniture_missing(doc_id, text)))
    )


@pytest.mark.slow
def test_rehydrate_from_other_copies_gives_the_full_dataset_byte_for_byte(full, notext, tmp_path):
    assert set(pq.read_table(notext / "data" / "all" / "test.parquet")["text"].to_pylist()) == {
        None
    }
    sources = _copies(tmp_path / "copies", _combined)
    (sources / "scan.pdf").write_bytes(b"%PDF-1.7\n\xe2\x28\xa1 not text")
    (sources / "notes").mkdir()
    (sources / "notes" / "todo.md").write_text("Read the report again.\n", encoding="utf-8")
    restored = tmp_path / "restored"
    copy_of = rehydrate(notext, sources, restored)
    assert copy_of == {doc_id: f"{doc_id}.txt" for doc_id in copy_of}
    assert len(copy_of) == 4
    files = sorted(p.relative_to(full) for p in full.rglob("*") if p.is_file())
    assert sorted(p.relative_to(restored) for p in restored.rglob("*") if p.is_file()) == files
    # The card and the Croissant file stay the text-free variant's: they describe its files and
    # quote no text. Plots are copied as they are.
    own = {Path("README.md"), Path("croissant.json")}
    for name in files:
        if name.suffix != ".png" and name.name != MARKER_NAME:
            expected = notext if name in own else full
            assert (restored / name).read_bytes() == (expected / name).read_bytes(), name
    # The marker lists what the rehydration wrote, the text-free card included.
    listed = {
        name.as_posix(): sha256_file(restored / name) for name in files if name.name != MARKER_NAME
    }
    assert read_marker(restored) == listed


@pytest.mark.integration
def test_an_edited_sentence_is_named_and_nothing_is_written(full, notext, tmp_path, capsys):
    sources = _copies(tmp_path / "copies", _crlf)
    report = sources / "dhankhar-report.txt"
    text = report.read_text(encoding="utf-8")
    assert EDITED[0] in text
    report.write_text(text.replace(*EDITED), encoding="utf-8")
    edited = [row["id"] for row in _rows(full) if EDITED[0] in row["text"]]
    out = tmp_path / "restored"
    args = ["rehydrate", "--dataset", str(notext), "--sources", str(sources), "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"1 of {len(_rows(full))} units could not be restored" in err
    assert err.startswith("migbench: error: ")
    assert f"{edited[0]}: text not found in copy dhankhar-report.txt (edited?)" in err
    assert err.count("not found in copy") == 1
    assert not out.exists()


def test_a_document_without_a_copy_is_named(full, notext, tmp_path, capsys):
    sources = _copies(tmp_path / "copies", _crlf)
    (sources / "mp-letter.txt").unlink()
    args = ["rehydrate", "--dataset", str(notext), "--sources", str(sources)]
    assert main([*args, "--out", str(tmp_path / "restored")]) == 1
    n_units = sum(row["doc_id"] == "mp-letter" for row in _rows(full))
    assert f"mp-letter: none of its {n_units} units is in any file of {sources}" in (
        capsys.readouterr().err
    )


@pytest.mark.integration
def test_a_copy_of_another_text_is_reported_as_runs_of_ids(full, notext, tmp_path):
    sources = _copies(tmp_path / "copies", _crlf)
    article = sources / "rubio-meeting.txt"
    article.write_text("".join(article.read_text("utf-8").splitlines(True)[:3]), "utf-8")
    ids = [row["id"] for row in _rows(full) if row["doc_id"] == "rubio-meeting"]
    text = (tmp_path / "copies" / "rubio-meeting.txt").read_text("utf-8")
    kept = [row["id"] for row in _rows(full) if row["id"] in ids and row["text"] in text]
    assert kept == ids[: len(kept)]
    assert 0 < len(kept) < len(ids) - 10
    missing = (
        f"{ids[len(kept)].removeprefix('rubio-meeting-')}-{ids[-1].removeprefix('rubio-meeting-')}"
    )
    with pytest.raises(MigbenchError) as error:
        rehydrate(notext, sources, tmp_path / "restored")
    assert (
        f"rubio-meeting: {len(ids) - len(kept)} of {len(ids)} units not found in copy "
        f"rubio-meeting.txt, the file with most of its units (another text?): {missing}"
    ) in str(error.value)


@pytest.mark.parametrize("damage", ["garbage", "unknown doc id"])
def test_a_damaged_dataset_is_a_clean_error_naming_the_file(notext, tmp_path, capsys, damage):
    dataset = tmp_path / "notext"
    shutil.copytree(notext, dataset)
    path = dataset / "data" / "all" / "test.parquet"
    if damage == "garbage":
        path.write_bytes(b"PAR1 this is not parquet")
    else:
        table = pq.read_table(path)
        doc_ids = table["doc_id"].to_pylist()
        doc_ids[0] = "nope"
        column = table.schema.get_field_index("doc_id")
        pq.write_table(table.set_column(column, "doc_id", pa.array(doc_ids)), path)
    sources = _copies(tmp_path / "copies", _crlf)
    out = tmp_path / "restored"
    args = ["rehydrate", "--dataset", str(dataset), "--sources", str(sources), "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert str(path) in err
    assert "migbench: error: " in err
    if damage == "unknown doc id":
        assert "doc id 'nope'" in err
        assert "dhankhar-report" in err
    assert not out.exists()


def test_sources_without_text_are_a_clean_error(notext, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    for sources in (empty, tmp_path / "missing"):
        args = ["rehydrate", "--dataset", str(notext), "--sources", str(sources)]
        assert main([*args, "--out", str(tmp_path / "restored")]) == 1
        assert str(sources) in capsys.readouterr().err
