"""Gold loading: the fixture JSONL, parquet files written by HF datasets, and clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import migbench
from migbench.schema import FRAME_LABELS, IOB2_TAGS, MFC_LABELS, STANCE_LABELS
from migbench.scoring.gold import (
    GoldError,
    _not_utf8_at,
    gold_from_rows,
    load_gold_file,
    load_protocol,
)

from .conftest import EXAMPLES, GOLD

ROWS = [json.loads(line) for line in GOLD.read_text().splitlines()]


def features(stance_names=STANCE_LABELS):
    from datasets import ClassLabel, Features, List, Value

    span = {
        "start": Value("int32"),
        "end": Value("int32"),
        "label": Value("string"),
        "text": Value("string"),
    }
    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "tokens": List(Value("string")),
            "stance": ClassLabel(names=list(stance_names)),
            "frame": ClassLabel(names=list(FRAME_LABELS)),
            "mfc": ClassLabel(names=list(MFC_LABELS)),
            "ner_tags": List(ClassLabel(names=list(IOB2_TAGS))),
            "entities": List(span),
            "doc_id": Value("string"),  # a column the scorer ignores
        }
    )


def write_split(folder: Path, split: str, rows: list[dict], **feature_options) -> Path:
    """Write rows as the dataset build does: HF datasets, ClassLabels in the parquet schema."""
    from datasets import Dataset

    encoded = [{**row, "doc_id": row["id"].rsplit("-", 1)[0]} for row in rows]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{split}.parquet"
    Dataset.from_list(encoded, features=features(**feature_options)).to_parquet(str(path))
    return path


def test_the_fixture_has_all_layers_and_every_label_of_stance_and_frame():
    units = load_gold_file(GOLD)
    assert [unit.id for unit in units] == [f"fixture-{n:04d}" for n in range(1, 13)]
    assert {unit.stance for unit in units} == set(STANCE_LABELS)
    assert {unit.frame for unit in units} == set(FRAME_LABELS)
    assert units[3].tokens[9:12] == ("US", "-", "Mexico")
    assert units[3].ner_tags[9:12] == ("B-GPE", "O", "B-GPE")


def test_a_split_written_by_datasets_loads_as_the_same_units(tmp_path):
    write_split(tmp_path / "data" / "all", "test", ROWS)
    loaded = load_protocol("split", split="test", dataset=tmp_path)
    assert [unit._replace(doc_id=None) for unit in loaded] == load_gold_file(GOLD)
    assert {unit.doc_id for unit in loaded} == {"fixture"}


def test_score_reads_the_split_from_the_dataset_folder(tmp_path):
    write_split(tmp_path / "data" / "all", "validation", ROWS)
    result = migbench.score(
        "mfc", EXAMPLES / "mfc.jsonl", split="validation", dataset=tmp_path, n_resamples=0
    )
    source = (result["protocol"], result["split"], result["gold_file"], result["n_units"])
    assert source == ("split", "validation", None, 12)


def test_a_dataset_built_with_other_label_names_is_refused(tmp_path):
    write_split(tmp_path / "data" / "all", "test", ROWS, stance_names=("against", "favor", "none"))
    with pytest.raises(GoldError, match="ClassLabel names of stance are .* another schema"):
        load_protocol("split", split="test", dataset=tmp_path)


def test_a_missing_split_file_tells_how_to_get_one(tmp_path):
    with pytest.raises(GoldError) as caught:
        load_protocol("split", split="test", dataset=tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "data" / "all" / "test.parquet") in message
    assert "migbench build" in message
    assert "--gold" in message


def test_a_bad_row_of_a_pooled_protocol_names_its_file_and_row(tmp_path):
    folder = tmp_path / "data" / "all"
    bad = [dict(row) for row in ROWS[6:]]
    bad[1]["ner_tags"] = ["I-GPE", *bad[1]["ner_tags"][1:]]  # an entity that does not begin
    write_split(folder, "train", ROWS[:3])
    write_split(folder, "validation", ROWS[3:6])
    write_split(folder, "test", bad)
    with pytest.raises(GoldError) as caught:
        load_protocol("cv", dataset=tmp_path)
    assert str(caught.value).startswith(f"{folder / 'test.parquet'} (cv protocol), row 2: ")


def test_an_unknown_split_is_a_value_error():
    with pytest.raises(ValueError, match="unknown split 'train'; expected one of validation, test"):
        load_protocol("split", split="train")


def test_a_corrupt_parquet_file_is_a_gold_error(tmp_path):
    (tmp_path / "data" / "all").mkdir(parents=True)
    (tmp_path / "data" / "all" / "test.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(GoldError, match="cannot read"):
        load_protocol("split", split="test", dataset=tmp_path)


def broken(index: int, **changes) -> list[dict]:
    rows = [dict(row) for row in ROWS]
    rows[index].update(changes)
    return rows


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "no gold units"),
        ([["fixture-0001"]], "row 1: expected an object, got list"),
        ([{k: v for k, v in ROWS[0].items() if k != "mfc"}], "row 1: missing mfc"),
        (broken(2, id=3), "row 3: id must be a string"),
        (broken(2, text=3), "row 3: text must be a string"),
        (broken(1, stance="pro"), "row 2: stance 'pro' is not one of favor, against, none"),
        (broken(4, tokens="Many migrants"), "row 5: tokens must be a list"),
        (broken(0, ner_tags=["O"]), "row 1: ner_tags must be a list of 12 tags"),
        (broken(0, ner_tags=["B-PER"] + ROWS[0]["ner_tags"][1:]), "row 1: ner_tags holds a tag"),
        (broken(0, ner_tags=[["O"]] + ROWS[0]["ner_tags"][1:]), "row 1: ner_tags holds a tag"),
        (broken(6, ner_tags=["O", "I-LAW"] + ROWS[6]["ner_tags"][2:]), "row 7: ner_tags: tag 1"),
        (broken(5, id="fixture-0001"), "row 6: duplicate id 'fixture-0001'"),
    ],
)
def test_gold_rows_that_break_the_schema_are_refused(rows, message):
    with pytest.raises(GoldError, match=message):
        gold_from_rows(rows, source="gold.jsonl")


def test_a_gold_file_that_is_not_jsonl_names_the_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(GOLD.read_text() + "{oops\n")
    with pytest.raises(GoldError, match=r"gold.jsonl, line 13: invalid JSON"):
        load_gold_file(path)


def test_an_unreadable_gold_file_is_a_gold_error(tmp_path):
    (tmp_path / "latin1.jsonl").write_bytes(b"\xe9\n")
    for path in (tmp_path / "absent.jsonl", tmp_path / "latin1.jsonl", tmp_path):
        with pytest.raises(GoldError, match="cannot read gold file"):
            load_gold_file(path)


def test_a_class_id_outside_the_names_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = write_split(tmp_path / "data" / "all", "test", ROWS)
    table = pq.read_table(path)
    ids = table.column("frame").to_pylist()
    ids[4] = len(FRAME_LABELS)  # one past the last name
    column = table.schema.get_field_index("frame")
    pq.write_table(table.set_column(column, "frame", pa.array(ids, pa.int64())), path)
    with pytest.raises(GoldError, match="row 5: frame None is not one of security"):
        load_protocol("split", split="test", dataset=tmp_path)


def _first_bad_byte(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


@given(
    st.lists(st.sampled_from([b"a", "\u00e9".encode(), "\u20ac".encode(), "\U0001d11e".encode(),
                              b"\n", b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xf0\x9d"])),
    st.integers(1, 9),
)  # fmt: skip
def test_the_chunked_utf8_check_finds_the_byte_a_whole_decode_finds(pieces, chunk):
    data = b"".join(pieces)
    assert _not_utf8_at(data, chunk) == _first_bad_byte(data)


def test_a_gold_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path):
    path, good = tmp_path / "gold.jsonl", GOLD.read_bytes()
    path.write_bytes(good + b'{"id": "caf\xe9"}\n')
    with pytest.raises(GoldError, match=f"gold.jsonl: not UTF-8 at byte {len(good) + 11}$"):
        load_gold_file(path)


def test_null_ner_tags_beside_tokens_are_a_gold_error():
    row = {"id": "u1", "tokens": ["A", "B"], "ner_tags": None}
    with pytest.raises(GoldError, match="row 1: ner_tags must be a list of 2 tags, one per token"):
        gold_from_rows([row], source="rows", layers=("ner_tags",))
