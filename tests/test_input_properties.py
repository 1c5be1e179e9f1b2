"""Properties of the strict readers: any input ends in a value or a clean error, never another
exception, and booleans never pass for numbers or ids.

Covers the JSON policy itself (against the standard library), the Label Studio export parser
and the server's responses, the seeds' manifest and cleaning rules readers, and the marker of a
folder migbench wrote.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migbench import jsonio
from migbench.cli import main
from migbench.corpus.seeds import (
    CLEANING_NAME,
    MANIFEST_NAME,
    load_documents,
    read_cleaning_rules,
    read_manifest,
)
from migbench.errors import MigbenchError
from migbench.fileio import MARKER_NAME, OutputError, check_output_dir, marker_text, sha256_file
from migbench.labelstudio.client import restore_annotators
from migbench.labelstudio.export import ExportError, parse_export
from migbench.protocols import get_protocol

from .conftest import DATASET, SEEDS
from .test_labelstudio_export import UNITS, make_export

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
keys = st.sampled_from(["a", "b", "start", "end", "id", ":", "a:b", "\u00e9"])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


ESCAPED_COLON = "\\u003a"


def _key_text(key: str, escape: bool) -> str:
    return json.dumps(key).replace(":", ESCAPED_COLON) if escape else json.dumps(key)


def _object_text(pairs: list[tuple[str, str, bool]]) -> str:
    """An object's text, with a key's colons escaped where asked: escaped colons must not hide
    a repeated key from the colon count."""
    return (
        "{" + ", ".join(f"{_key_text(key, escape)}: {value}" for key, value, escape in pairs) + "}"
    )


texts = st.recursive(
    scalars.map(json.dumps),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(keys, inner, st.booleans()), max_size=4).map(_object_text),
    ),
    max_leaves=20,
)


class _Repeated(Exception):
    pass


def _stdlib_refuses_repeats(pairs):
    if len({key for key, _ in pairs}) != len(pairs):
        raise _Repeated
    return dict(pairs)


@pytest.mark.slow
@SETTINGS
@given(text=texts)
def test_loads_refuses_exactly_what_repeats_a_key(text):
    """Differential: jsonio refuses a text iff the standard library sees a repeated key."""
    raw = text.encode("utf-8")
    try:
        expected = json.loads(raw, object_pairs_hook=_stdlib_refuses_repeats)
    except _Repeated:
        expected = _Repeated
    except ValueError:
        return  # e.g. an integer too long for the standard library
    try:
        got = jsonio.loads(raw, source="x")
    except jsonio.InputError as exc:
        message = str(exc)
        assert expected is _Repeated or any(
            reason in message for reason in ("not valid JSON", "nested", "64-bit range")
        )
        return
    assert expected is not _Repeated
    assert got == expected


def _paths(value, prefix=()):
    """Every path (tuple of keys and indices) into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(value, path, new):
    if not path:
        return new
    copied = copy.deepcopy(value)
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return copied


EXPORT = make_export()
EXPORT_PATHS = list(_paths(EXPORT))


@pytest.mark.slow
@SETTINGS
@given(
    edits=st.lists(st.tuples(st.sampled_from(EXPORT_PATHS), values), min_size=1, max_size=3),
    gold=st.booleans(),
)
def test_a_mutated_export_parses_or_fails_with_an_export_error(edits, gold):
    export = EXPORT
    for path, new in edits:
        try:
            export = _replace(export, path, new)
        except (KeyError, IndexError, TypeError):  # an earlier edit removed the path
            continue
    try:
        parse_export(export, source="x.json", unit_texts=UNITS, require_gold=gold)
    except ExportError as exc:
        problems = exc.problems
    else:
        problems = []
    assert all(len(problem) < 1000 for problem in problems)


def _get(value, path):
    for step in path:
        value = value[step]
    return value


INTEGER_PATHS = [
    path
    for path in EXPORT_PATHS
    if path
    and path[-1] in ("id", "completed_by", "start", "end")
    and (path[-1] != "id" or len(path) == 2)  # task ids; annotation ids only name it in messages
    and type(_get(EXPORT, path)) is int
]


@SETTINGS
@given(path=st.sampled_from(INTEGER_PATHS), flag=st.booleans())
def test_a_boolean_never_passes_for_an_offset_an_annotator_or_a_task_id(path, flag):
    export = _replace(EXPORT, path, flag)
    try:
        parse_export(export, source="x.json", unit_texts=UNITS, require_gold=True)
    except ExportError:
        return
    raise AssertionError(f"{path} = {flag} was accepted")


@pytest.fixture(scope="module")
def seed_rules() -> dict:
    """The repository's manifest and cleaning rules, by file name."""
    return {
        name: json.loads((SEEDS / name).read_text(encoding="utf-8"))
        for name in (MANIFEST_NAME, CLEANING_NAME)
    }


def _read(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        seeds = Path(folder)
        for path in SEEDS.iterdir():
            (seeds / path.name).write_bytes(path.read_bytes())
        (seeds / name).write_bytes(data)
        reader = read_manifest if name == MANIFEST_NAME else read_cleaning_rules
        reader(seeds)
        load_documents(seeds)  # the rules must also apply without a TypeError


@pytest.mark.slow
@SETTINGS
@given(
    which=st.sampled_from([MANIFEST_NAME, CLEANING_NAME]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), values), min_size=1, max_size=3),
)
def test_a_mutated_manifest_or_cleaning_file_reads_or_fails_cleanly(seed_rules, which, edits):
    data = seed_rules[which]
    paths = list(_paths(data))
    for index, new in edits:
        try:
            data = _replace(data, paths[index % len(paths)], new)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        _read(which, json.dumps(data).encode("utf-8"))
    except MigbenchError as exc:
        message = str(exc)
    else:
        message = ""
    assert len(message) < 2000


@pytest.mark.integration
@SETTINGS
@given(which=st.sampled_from([MANIFEST_NAME, CLEANING_NAME]), data=st.binary(max_size=60))
def test_any_bytes_as_manifest_or_cleaning_file_fail_cleanly(which, data):
    with contextlib.suppress(MigbenchError):
        _read(which, data)


# --- Output markers: a folder is replaced only when its marker lists every file by hash ----------

names = st.sampled_from(["a.txt", "sub/b.txt", "sub", "../x", "", MARKER_NAME, "c.txt"])
marker_entries = st.lists(
    st.one_of(
        st.fixed_dictionaries({"path": names, "sha256": st.sampled_from(["0" * 64, "HASH", 1])}),
        values,
    ),
    max_size=4,
)
markers = st.one_of(
    values,
    st.fixed_dictionaries({"written_by": st.just("migbench"), "files": marker_entries}),
)


@SETTINGS
@given(
    files=st.dictionaries(st.sampled_from(["a.txt", "sub/b.txt", "c.txt"]), st.binary(max_size=4)),
    marker=markers,
    honest=st.booleans(),
)
@pytest.mark.slow
def test_a_folder_passes_the_check_only_when_its_marker_lists_every_file(files, marker, honest):
    with tempfile.TemporaryDirectory() as temporary:
        out = Path(temporary) / "out"
        out.mkdir()
        for name, data in files.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_bytes(data)
        text = marker_text(out) if honest else json.dumps(marker)
        (out / MARKER_NAME).write_text(text, encoding="utf-8")
        try:
            owned = check_output_dir(out)
        except OutputError:
            assert not honest
            return
        assert owned == {name: sha256_file(out / name) for name in files}


# --- Label Studio responses: any export a server sends ends in tasks or a clean error -----------


@SETTINGS
@given(
    export=st.lists(values, max_size=4),
    accounts=st.dictionaries(st.integers(0, 3), st.integers(1, 3)),
)
@pytest.mark.slow
def test_any_server_export_ends_in_tasks_or_a_clean_error(export, accounts):
    try:
        restored = restore_annotators(copy.deepcopy(export), accounts)
        parse_export(restored, source="project 1", unit_texts=UNITS)
    except MigbenchError:
        pass


# --- The dataset folder: damaged parquet files, missing, extra and retyped columns ---------------

SPLIT_FILE = Path("data") / get_protocol("split").config / "test.parquet"


def _retyped(column: pa.ChunkedArray, kind: str) -> pa.Array:
    size = len(column)
    return {
        "int": pa.array(range(size), pa.int64()),
        "string": pa.array(["x"] * size),
        "null": pa.nulls(size, column.type),
        "list": pa.array([["O"]] * size),
        "float": pa.array([0.5] * size),
    }[kind]


damages = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 10**6)),
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("drop"), st.sampled_from(["id", "stance", "ner_tags", "text", "tokens"])),
    st.tuples(st.just("extra"), st.sampled_from(["extra", "__index_level_0__", "fold"])),
    st.tuples(
        st.just("retype"),
        st.sampled_from(["id", "stance", "ner_tags", "tokens", "text", "doc_id"]),
        st.sampled_from(["int", "string", "null", "list", "float"]),
    ),
)


def _damage(path: Path, damage: tuple) -> None:
    kind, *args = damage
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[: args[0] % len(data)])
        return
    if kind == "flip":
        index = args[0] % len(data)
        path.write_bytes(data[:index] + bytes([args[1]]) + data[index + 1 :])
        return
    table = pq.read_table(path)
    metadata = table.schema.metadata
    if kind == "drop" and args[0] in table.column_names:
        table = table.drop_columns([args[0]])
    elif kind == "extra":
        table = table.append_column(args[0], pa.array(range(len(table)), pa.int64()))
    elif kind == "retype" and args[0] in table.column_names:
        index = table.column_names.index(args[0])
        table = table.set_column(index, args[0], _retyped(table[args[0]], args[1]))
    pq.write_table(table.replace_schema_metadata(metadata), path)


@pytest.mark.slow
@pytest.mark.integration
@SETTINGS
@given(damage=damages, task=st.sampled_from(["stance", "ner"]))
def test_a_damaged_dataset_is_one_line_naming_the_file(damage, task):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "dataset"
        (target / SPLIT_FILE).parent.mkdir(parents=True)
        shutil.copyfile(DATASET / SPLIT_FILE, target / SPLIT_FILE)
        _damage(target / SPLIT_FILE, damage)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["template", "--task", task, "--dataset", str(target)])
        message = err.getvalue()
        assert code in (0, 1), message
        if code == 1:
            assert message.startswith("migbench: error: "), message
            assert message.count("\n") == 1, message
            assert str(target / SPLIT_FILE) in message, message
