"""The text-free variant: its hashes resist a word list, and the upload guard finds planted text."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import migbench
from migbench.corpus.tokenize import token_texts
from migbench.dataset.textfree import (
    MIN_KEY_TOKENS,
    derive_key,
    document_keys,
    key_unit,
    source_text_problems,
    text_hmac,
)
from migbench.errors import MigbenchError
from migbench.scoring.submission import SubmissionError

from .conftest import REPO

FULL = REPO / "dataset"
MAX_NGRAM = 4


@pytest.fixture
def notext(built_text_free) -> Path:
    return built_text_free


def _rows(folder: Path, config: str = "all") -> list[dict]:
    paths = sorted((folder / "data" / config).glob("*.parquet"))
    return sorted(
        (row for path in paths for row in pq.read_table(path).to_pylist()), key=lambda r: r["id"]
    )


def _word_list(rows: list[dict]) -> set[str]:
    """The strongest word list an attacker could hold: every run of up to four tokens of the
    sources themselves, and every short unit whole, joined as the units join them."""
    candidates = set()
    for row in rows:
        words = token_texts(row["text"])
        for n in range(1, MAX_NGRAM + 1):
            for start in range(len(words) - n + 1):
                candidates.add(" ".join(words[start : start + n]))
                candidates.add("".join(words[start : start + n]))
        if len(words) < MIN_KEY_TOKENS:
            candidates.add(row["text"])
    return candidates


def test_a_word_list_recovers_no_unit_of_the_text_free_variant(notext):
    full = _rows(FULL)
    hidden = {row["text_hmac"]: row["id"] for row in _rows(notext)}
    candidates = _word_list(full)
    # Against plain sha256 (the previous scheme) the list recovers the short units...
    plain = {hashlib.sha256(row["text"].encode("utf-8")).hexdigest(): row["id"] for row in full}
    recovered_plain = {plain[d] for c in candidates if (d := _sha256(c)) in plain}
    assert len(recovered_plain) >= 50
    # ...while no key an attacker can form without the source opens any keyed hash: none, one
    # derived from each guess itself (as a key unit's is), or one from any public field.
    documents = pq.read_table(notext / "data" / "documents" / "train.parquet").to_pylist()
    public = {value for document in documents for value in document.values() if value}
    keys = [b"", *(derive_key(str(value)) for value in sorted(public, key=str))]
    recovered = set()
    for candidate in candidates:
        guesses = {_sha256(candidate), text_hmac(derive_key(candidate), candidate)}
        guesses |= {text_hmac(key, candidate) for key in keys}
        recovered |= {hidden[guess] for guess in guesses if guess in hidden}
    assert recovered == set()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_source_holder_verifies_every_unit(notext):
    full = _rows(FULL)
    keys = document_keys([(row["doc_id"], row["text"]) for row in full])
    hidden = {row["id"]: row["text_hmac"] for row in _rows(notext)}
    assert {row["id"]: text_hmac(keys[row["doc_id"]], row["text"]) for row in full} == hidden


@pytest.mark.integration
def test_every_key_unit_is_long_and_the_first_longest():
    full = _rows(FULL)
    by_doc: dict[str, list[dict]] = {}
    for row in full:
        by_doc.setdefault(row["doc_id"], []).append(row)
    for own in by_doc.values():
        chosen = own[key_unit([len(row["text"]) for row in own])]
        longest = max(len(row["text"]) for row in own)
        assert len(chosen["token_offsets"]) >= MIN_KEY_TOKENS
        assert chosen is next(row for row in own if len(row["text"]) == longest)


def test_a_document_of_short_units_cannot_be_keyed():
    with pytest.raises(MigbenchError, match=f"fewer than {MIN_KEY_TOKENS} tokens"):
        document_keys([("tiny", "A heading"), ("tiny", "A short sentence.")])


def test_the_text_free_variant_and_its_card_hold_no_source_text(notext):
    assert source_text_problems(notext) == []


@pytest.mark.integration
def test_the_full_dataset_is_found_out_in_every_text_column_and_its_card():
    problems = source_text_problems(FULL)
    for where in (
        "data/all/train.parquet: column text holds text",
        "data/all/train.parquet: column prev_text holds text",
        "data/ner/test.parquet: column tokens holds text",
        "data/ner/test.parquet: column entities.text holds text",
        "data/documents/train.parquet: column text holds text",
        "README.md: quotes the source text",
    ):
        assert where in problems


def _string_columns(path: Path) -> list[str]:
    """The dotted names of the string leaves of a parquet file's schema."""
    names = []

    def walk(field: pa.Field, path: str) -> None:
        kind = field.type
        if pa.types.is_string(kind):
            names.append(path)
        elif pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind):
            walk(kind.value_field, path)
        elif pa.types.is_struct(kind):
            for child in kind:
                walk(child, f"{path}.{child.name}")

    for field in pq.read_schema(path):
        walk(field, field.name)
    return names


def _plant(table: pa.Table, column: str, text: str) -> pa.Table:
    """Return the table with ``text`` in the first row of a (possibly nested) string column."""
    rows = table.to_pylist()
    name, _, sub = column.partition(".")
    if sub:
        entries = next(row[name] for row in rows if row[name])
        entries[0][sub] = text
    elif isinstance(rows[0][name], list) or name == "tokens":
        rows[0][name] = [text]
    else:
        rows[0][name] = text
    return pa.Table.from_pylist(rows, schema=table.schema)


PLANTED_FILES = ("data/ner/train.parquet", "data/documents/train.parquet")


@pytest.mark.parametrize("relative", PLANTED_FILES)
def test_text_planted_in_any_string_column_blocks_the_upload(notext, tmp_path, relative):
    longest = max(_rows(FULL), key=lambda row: len(row["text"]))["text"]
    columns = _string_columns(notext / relative)
    assert len(columns) >= 5
    for column in columns:
        copy = tmp_path / column
        shutil.copytree(notext, copy)
        path = copy / relative
        pq.write_table(_plant(pq.read_table(path), column, longest), path)
        problems = source_text_problems(copy)
        assert any(problem.startswith(f"{relative}: column {column} ") for problem in problems), (
            column,
            problems,
        )


@pytest.mark.parametrize("name", ["README.md", "DATASHEET.md", "croissant.json", "notes.txt"])
def test_text_planted_in_any_other_file_blocks_the_upload(notext, tmp_path, name):
    longest = max(_rows(FULL), key=lambda row: len(row["text"]))["text"]
    copy = tmp_path / "dataset"
    shutil.copytree(notext, copy)
    path = copy / name
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(before + "\n" + longest + "\n", encoding="utf-8")
    assert source_text_problems(copy) == [f"{name}: quotes the source text"]


def test_an_unknown_string_column_blocks_the_upload(notext, tmp_path):
    copy = tmp_path / "dataset"
    shutil.copytree(notext, copy)
    path = copy / "data" / "stance" / "test.parquet"
    table = pq.read_table(path)
    pq.write_table(table.append_column("note", pa.array(["x"] * table.num_rows)), path)
    assert source_text_problems(copy) == [
        "data/stance/test.parquet: column note is not a known text-free field"
    ]


#: One submission per task and protocol, from the committed baseline predictions.
SUBMISSIONS = {
    ("cv", "stance"): "cv/embed-lr-ctx.stance.pooled.jsonl",
    ("cv", "frame"): "cv/embed-lr-ctx.frame.pooled.jsonl",
    ("cv", "mfc"): "cv/embed-lr-ctx.mfc.pooled.jsonl",
    ("cv", "ner"): "cv/crf.ner.pooled.jsonl",
    ("split", "stance"): "embed-lr.stance.test.jsonl",
    ("split", "frame"): "embed-lr.frame.test.jsonl",
    ("split", "mfc"): "embed-lr.mfc.test.jsonl",
    ("split", "ner"): "spacy-ner.ner.test.jsonl",
    ("genre", "stance"): "genre/embed-lr-ctx.stance.test.jsonl",
    ("genre", "ner"): "genre/crf.ner.test.jsonl",
}
PREDICTIONS = REPO / "baselines" / "predictions"


@pytest.mark.parametrize(("protocol", "task"), list(SUBMISSIONS))
def test_each_task_scores_the_same_on_the_text_free_variant(notext, protocol, task):
    path = PREDICTIONS / SUBMISSIONS[protocol, task]
    full = migbench.Scorer(task, migbench.Gold(protocol=protocol, dataset=FULL), seed=3)
    textfree = migbench.Scorer(task, migbench.Gold(protocol=protocol, dataset=notext), seed=3)
    assert textfree.score(path, n_resamples=200) == full.score(path, n_resamples=200)


def _entity_submission(tags_file: Path, units: list, out: Path) -> Path:
    """Write a tag submission as character-offset entities; every other one also gives its text."""
    rows = map(orjson.loads, tags_file.read_bytes().splitlines())
    tags = {row["id"]: row["ner_tags"] for row in rows}
    lines = []
    for unit in units:
        unit_tags, offsets, entities = tags[unit.id], unit.token_offsets, []
        for position, tag in enumerate(unit_tags):
            if tag.startswith("B-"):
                entities.append({"start": offsets[position][0], "label": tag[2:]})
            following = unit_tags[position + 1] if position + 1 < len(unit_tags) else "O"
            if tag != "O" and not following.startswith("I-"):
                entities[-1]["end"] = offsets[position][1]
        for entity in entities[::2]:
            entity["text"] = unit.text[entity["start"] : entity["end"]]
        lines.append(orjson.dumps({"id": unit.id, "entities": entities}))
    out.write_bytes(b"\n".join(lines) + b"\n")
    return out


@pytest.mark.parametrize("protocol", ["cv", "split"])
def test_entity_spans_score_the_same_on_the_text_free_variant(notext, protocol, tmp_path):
    full_gold = migbench.Gold(protocol=protocol, dataset=FULL)
    tags_file = PREDICTIONS / SUBMISSIONS[protocol, "ner"]
    path = _entity_submission(tags_file, full_gold.units(("ner_tags",)), tmp_path / "spans.jsonl")
    full = migbench.Scorer("ner", full_gold, seed=3).score(path, n_resamples=200)
    textfree = migbench.Scorer("ner", migbench.Gold(protocol=protocol, dataset=notext), seed=3)
    assert textfree.score(path, n_resamples=200) == full
    assert full == migbench.Scorer("ner", full_gold, seed=3).score(tags_file, n_resamples=200)


def test_entity_text_on_the_text_free_variant_is_checked_for_its_length(notext, tmp_path):
    unit = migbench.Gold(protocol="cv", dataset=notext).units(("ner_tags",))[0]
    start, end = unit.token_offsets[0]
    entity = {"start": start, "end": end, "label": "GPE", "text": "x" * (end - start + 1)}
    line = {"id": unit.id, "entities": [entity]}
    path = tmp_path / "wrong.jsonl"
    path.write_bytes(orjson.dumps(line) + b"\n")
    with pytest.raises(SubmissionError, match=f"is not {end - start} characters long"):
        migbench.score("ner", path, protocol="cv", dataset=notext, allow_missing=True)


def test_compare_and_power_give_the_same_on_the_text_free_variant(notext):
    pair = [
        PREDICTIONS / "cv/embed-lr-ctx.stance.pooled.jsonl",
        PREDICTIONS / "cv/embed-lr.stance.pooled.jsonl",
    ]
    options = {"protocol": "cv", "n_trials": 200, "seed": 1}
    assert migbench.compare("stance", pair, dataset=notext, **options) == migbench.compare(
        "stance", pair, dataset=FULL, **options
    )
    simulation = {"protocol": "cv", "n_simulations": 20, "n_trials": 50, "seed": 1}
    assert migbench.power("stance", pair[0], dataset=notext, **simulation) == migbench.power(
        "stance", pair[0], dataset=FULL, **simulation
    )
