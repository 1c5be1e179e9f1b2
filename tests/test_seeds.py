"""Seeds: byte-identical to the shared sources, verified, and ingested with provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migbench.cli import main
from migbench.corpus.ingest import ingest
from migbench.corpus.seeds import (
    CLEANING_NAME,
    MANIFEST_NAME,
    PROVENANCE_FIELDS,
    UNKNOWN,
    load_documents,
    read_manifest,
)
from migbench.errors import MigbenchError

from .conftest import SEEDS


def test_manifest_lists_every_seed_file_with_its_checksum():
    entries = read_manifest(SEEDS)
    assert sorted(e.file for e in entries) == sorted(p.name for p in SEEDS.glob("*.txt"))
    documents = load_documents(SEEDS)
    assert [d.doc_id for d in documents] == [e.doc_id for e in entries]
    assert len({e.doc_id for e in entries}) == len(entries)


def test_unknown_provenance_is_marked_unknown_not_guessed():
    entries = {e.doc_id: e for e in read_manifest(SEEDS)}
    known = {
        doc_id: {
            name: getattr(e, name) for name in PROVENANCE_FIELDS if getattr(e, name) != UNKNOWN
        }
        for doc_id, e in entries.items()
    }
    assert known == {
        "repatriation": {"outlet": "The Independent", "date": "2025-01-22"},
        "rubio-meeting": {"location": "New Delhi"},
        "mp-letter": {},
        "dhankhar-report": {
            "author": "Leena Dhankhar",
            "title": "Tackling Illegal Immigration in India: Causes, Implications, and Solutions",
        },
    }
    assert entries["dhankhar-report"].genre == "report"


def test_every_known_provenance_field_quotes_the_text_that_states_it():
    for document in load_documents(SEEDS):
        entry = document.entry
        filled = {name for name in PROVENANCE_FIELDS if getattr(entry, name) != UNKNOWN}
        assert set(entry.evidence) == filled, entry.doc_id
        for name in filled:
            quote = entry.evidence[name]
            assert quote in document.raw, (entry.doc_id, name)
            assert getattr(entry, name).casefold() in quote.casefold(), (entry.doc_id, name)


def test_evidence_that_is_not_in_the_text_is_refused(seeds_copy: Path):
    path = seeds_copy / MANIFEST_NAME
    rows = json.loads(path.read_text(encoding="utf-8"))
    rows[1]["evidence"] = {"location": "WASHINGTON:"}
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(MigbenchError, match="rubio-meeting: the evidence for location.*WASHINGTON"):
        load_documents(seeds_copy)
    rows[1]["evidence"] = {"publisher": "NEW DELHI:"}
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(MigbenchError, match="evidence for 'publisher'; valid: outlet"):
        load_documents(seeds_copy)


def test_modified_seed_is_refused_naming_the_file(seeds_copy: Path):
    path = next(seeds_copy.glob("001_*.txt"))
    path.write_bytes(path.read_bytes() + b" ")
    with pytest.raises(MigbenchError, match=path.name + ".*sha256"):
        load_documents(seeds_copy)


def test_missing_seed_is_refused_naming_the_file(seeds_copy: Path):
    path = next(seeds_copy.glob("002_*.txt"))
    path.unlink()
    with pytest.raises(MigbenchError, match=path.name + ".*missing"):
        load_documents(seeds_copy)


def test_unknown_doc_id_lists_the_known_ones():
    with pytest.raises(MigbenchError, match="unknown doc id.*nope.*known: dhankhar-report"):
        load_documents(SEEDS, ["nope"])


def test_empty_document_is_refused(tmp_path: Path, tiny_seeds: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(MigbenchError, match="empty"):
        ingest(empty, tiny_seeds, doc_id="empty", genre="news")


def test_cleaning_rule_that_no_longer_matches_is_refused(seeds_copy: Path):
    rules = json.loads((seeds_copy / CLEANING_NAME).read_text(encoding="utf-8"))
    rules["repatriation"]["removals"][0]["start"] += 1
    (seeds_copy / CLEANING_NAME).write_text(json.dumps(rules), encoding="utf-8")
    with pytest.raises(MigbenchError, match="does not match the text"):
        load_documents(seeds_copy)


def test_ingest_adds_a_manifest_row_and_copies_the_file(tmp_path: Path, tiny_seeds: Path):
    source = tmp_path / "fifth.txt"
    source.write_text("A fifth document. It has two sentences.\n", encoding="utf-8")
    entry = ingest(source, tiny_seeds, doc_id="fifth", genre="report", author="A. Writer")
    assert (tiny_seeds / "fifth.txt").read_bytes() == source.read_bytes()
    assert entry in read_manifest(tiny_seeds)
    assert [d.doc_id for d in load_documents(tiny_seeds)] == ["fifth", "tiny"]


@pytest.mark.parametrize(
    ("doc_id", "name", "content", "message"),
    [
        ("tiny", "other.txt", "New text.", "already used"),
        ("other", "tiny.txt", "New text.", "a seed of that name exists"),
        ("copy", "copy.txt", None, "same bytes are already seed tiny"),
        ("Bad Id", "bad.txt", "New text.", "lower-case"),
    ],
)
def test_ingest_refuses_clashes(tmp_path, tiny_seeds, doc_id, name, content, message):
    source = tmp_path / name
    if content is None:
        source.write_bytes((tiny_seeds / "tiny.txt").read_bytes())
    else:
        source.write_text(content, encoding="utf-8")
    before = (tiny_seeds / MANIFEST_NAME).read_bytes()
    with pytest.raises(MigbenchError, match=message):
        ingest(source, tiny_seeds, doc_id=doc_id, genre="news")
    assert (tiny_seeds / MANIFEST_NAME).read_bytes() == before


def test_ingest_records_provenance_with_its_evidence(tmp_path, tiny_seeds):
    source = tmp_path / "dated.txt"
    source.write_text("LONDON: Published 6 February 2025. A sentence.\n", encoding="utf-8")
    args = ["ingest", str(source), "--doc-id", "dated", "--genre", "news", "--seeds"]
    args += [str(tiny_seeds), "--location", "London", "--evidence", "location=LONDON:"]
    assert main(args) == 0
    entry = {e.doc_id: e for e in read_manifest(tiny_seeds)}["dated"]
    assert (entry.location, entry.evidence, entry.date) == (
        "London",
        {"location": "LONDON:"},
        UNKNOWN,
    )


def test_ingest_refuses_evidence_the_text_lacks(tmp_path, tiny_seeds, capsys):
    source = tmp_path / "dated.txt"
    source.write_text("A sentence.\n", encoding="utf-8")
    before = (tiny_seeds / MANIFEST_NAME).read_bytes()
    with pytest.raises(MigbenchError, match="evidence for date.*not in dated.txt"):
        ingest(source, tiny_seeds, doc_id="dated", genre="news", evidence={"date": "6 Feb"})
    assert (tiny_seeds / MANIFEST_NAME).read_bytes() == before
    assert not (tiny_seeds / "dated.txt").exists()
    args = ["ingest", str(source), "--doc-id", "dated", "--genre", "news", "--evidence", "x"]
    assert main(args) == 2
    assert "FIELD=QUOTE" in capsys.readouterr().err


def test_ingest_refuses_non_utf8(tmp_path, tiny_seeds):
    source = tmp_path / "latin.txt"
    source.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(MigbenchError, match="not UTF-8"):
        ingest(source, tiny_seeds, doc_id="latin", genre="news")
