"""Inputs of ``migbench predict``: each supported format as a stream of units and bad lines.

Every reader streams: it holds one line, row batch or document at a time, whatever the size of
the input. Each item carries its position in the input (``line``: the 1-based line of a text,
JSONL or CSV file, the 1-based row of a Parquet file or dataset, the running unit number of
segmented documents), by which bad lines are reported and an interrupted run resumes.

Formats:

- ``jsonl``: one JSON object per line with the unit's text (``--text-field``, default
  ``text``) and optionally its id, document id and neighbours' texts (``prev_text``,
  ``next_text``);
- ``csv``: a header row, then one unit per row, the same columns;
- ``text``: one unit per line; a blank line ends a document;
- ``documents``: plain-text documents (a file, or every ``.txt`` and ``.md`` file of a folder
  in name order), each segmented into units by the project's own segmenter;
- ``parquet``: one unit per row, the same columns;
- ``dataset``: a dataset folder or Hub id read with ``datasets.load_dataset`` (streaming),
  the same columns (the migbench dataset's ``all`` config has them all).
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from migbench.errors import MigbenchError
from migbench.jsonio import clip

FORMATS: tuple[str, ...] = ("jsonl", "csv", "text", "documents", "parquet", "dataset")
_SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".txt": "text"}
_SUFFIXES |= {".parquet": "parquet", ".pq": "parquet"}
_DOCUMENT_SUFFIXES = (".txt", ".md")
#: Rows read at a time from a Parquet file.
PARQUET_BATCH = 1024


class ReadError(MigbenchError):
    """An input that cannot be read at all, or a bad line when bad lines are fatal."""


@dataclass(frozen=True)
class Record:
    """One unit to predict.

    Attributes:
        line: Its position in the input (see the module's docstring).
        id: The input's id of the unit, else ``line-<N>``.
        text: The unit's text.
        doc_id: Its document: units of one document are each other's neighbours.
        prev_text: The previous unit's text, None where the input does not give it.
        next_text: The next unit's text, None where the input does not give it.
    """

    line: int
    id: str
    text: str
    doc_id: str = ""
    prev_text: str | None = None
    next_text: str | None = None


@dataclass(frozen=True)
class BadLine:
    """A line of the input that holds no readable unit, and why."""

    line: int
    reason: str


Item = Record | BadLine


@dataclass(frozen=True)
class Fields:
    """The names of the input's columns (JSONL keys, CSV header, Parquet or dataset columns)."""

    text: str = "text"
    id: str = "id"
    doc_id: str = "doc_id"


def detect_format(source: str) -> str:
    """Return the format of ``source`` from its suffix; a folder or other name is a dataset."""
    path = Path(source)
    if path.is_dir():
        return "dataset"
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None and path.exists():
        raise ReadError(f"{source}: unknown suffix; give --format, one of {', '.join(FORMATS)}")
    return found or "dataset"


def read(
    source: str,
    fmt: str,
    *,
    fields: Fields = Fields(),  # noqa: B008 (frozen, never mutated)
    config: str | None = None,
    split: str = "train",
) -> Iterator[Item]:
    """Yield the units and bad lines of ``source`` in input order.

    Args:
        source: A file, a folder of documents, a dataset folder or a Hub dataset id.
        fmt: One of :data:`FORMATS`.
        fields: The column names.
        config: The dataset's config (``dataset`` only).
        split: The dataset's split; ``a+b`` reads ``a`` then ``b`` (``dataset`` only).

    Raises:
        ReadError: The source cannot be opened or is not of the format.
    """
    if fmt == "jsonl":
        return _jsonl(Path(source), fields)
    if fmt == "csv":
        return _csv(Path(source), fields)
    if fmt == "text":
        return _text(Path(source))
    if fmt == "documents":
        return _documents(Path(source))
    if fmt == "parquet":
        return _rows(_parquet_rows(Path(source)), fields)
    if fmt == "dataset":
        return _rows(_dataset_rows(source, config, split), fields)
    raise ValueError(f"unknown format {fmt!r}; choose from {FORMATS}")


def fingerprint(source: str) -> str:
    """Return a value that changes when the input does.

    The name, size and modification time of the file, or of every file below the folder; a
    Hub id by its name.
    """
    path = Path(source)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    parts = [source]
    for file in files:
        if file.is_file():
            status = file.stat()
            parts.append(f"{file.resolve()}\0{status.st_size}\0{status.st_mtime_ns}")
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def with_context(items: Iterable[Item]) -> Iterator[Item]:
    """Fill in each unit's missing neighbours: the previous and next unit of its document.

    Bad lines are passed through and are no one's neighbour. Holds one unit back at a time.
    """
    previous: Record | None = None
    pending: list[Item] = []  # the unit held back and the bad lines read after it
    for item in items:
        if isinstance(item, BadLine):
            if previous is None:
                yield item
            else:
                pending.append(item)
            continue
        if previous is not None:
            same = previous.doc_id == item.doc_id
            yield _neighbours(pending[0], after=item.text if same else "")
            yield from pending[1:]
        before = previous.text if previous is not None and previous.doc_id == item.doc_id else ""
        current = item if item.prev_text is not None else replace(item, prev_text=before)
        previous, pending = item, [current]
    if pending:
        yield _neighbours(pending[0], after="")
        yield from pending[1:]


def _neighbours(item: Item, *, after: str) -> Item:
    if isinstance(item, Record) and item.next_text is None:
        return replace(item, next_text=after)
    return item


def _open_text(path: Path) -> Any:
    try:
        return path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ReadError(f"cannot read {path}: {exc.strerror}") from None


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """Yield each line's number and text without its end, None for a line not in UTF-8."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ReadError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        for number, raw in enumerate(stream, start=1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield number, None


def _jsonl(path: Path, fields: Fields) -> Iterator[Item]:
    for number, line in _lines(path):
        if line is None:
            yield BadLine(number, "not UTF-8")
            continue
        if not line.strip():
            yield BadLine(number, "blank line")
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield BadLine(number, f"not JSON ({exc.msg}): {clip(line, 60)!r}")
            continue
        if not isinstance(row, dict):
            yield BadLine(number, f"expected a JSON object, got {clip(line, 60)!r}")
            continue
        yield parse_row(number, row, fields)


def _csv(path: Path, fields: Fields) -> Iterator[Item]:
    with _open_text(path) as stream:
        reader = csv.DictReader(stream)
        try:
            header = reader.fieldnames or []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ReadError(f"{path}: unreadable header ({exc})") from None
        if fields.text not in header:
            raise ReadError(f"{path}: no column {fields.text!r}; the header has {header}")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                yield BadLine(reader.line_num, f"unreadable row ({exc})")
                continue
            if None in row or any(value is None for value in row.values()):
                yield BadLine(reader.line_num, f"expected {len(header)} columns")
                continue
            yield parse_row(reader.line_num, row, fields)


def _text(path: Path) -> Iterator[Item]:
    document = 1
    for number, line in _lines(path):
        if line is None:
            yield BadLine(number, "not UTF-8")
        elif not line.strip():
            document += 1
        else:
            yield Record(number, f"line-{number}", line.strip(), doc_id=f"doc-{document}")


def _document_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in _DOCUMENT_SUFFIXES and p.is_file())


def _documents(source: Path) -> Iterator[Item]:
    from migbench.corpus.seeds import Document, SeedEntry
    from migbench.corpus.segment import segment_document
    from migbench.jsonio import read_text

    files = _document_files(source) if source.is_dir() else [source]
    if not files:
        raise ReadError(f"{source}: holds no .txt or .md document")
    position = 0
    for path in files:
        raw = read_text(path)
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        entry = SeedEntry(doc_id=path.stem, file=path.name, sha256=digest, genre="unknown")
        for unit in segment_document(Document(entry=entry, raw=raw)):
            position += 1
            yield Record(position, unit.id, unit.text, doc_id=unit.doc_id)


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise ReadError(f"{path}: not a readable Parquet file ({exc})") from None
    for batch in table.iter_batches(batch_size=PARQUET_BATCH):
        yield from batch.to_pylist()


def _dataset_rows(source: str, config: str | None, split: str) -> Iterator[dict[str, Any]]:
    from datasets import load_dataset

    for part in split.split("+"):
        try:
            rows = load_dataset(
                source, config, split=part, streaming=True, cache_dir=os.environ.get("HF_HOME")
            )
        except (FileNotFoundError, ValueError) as exc:
            raise ReadError(
                f"{source}: cannot load {config or 'its'} {part} split: {exc}"
            ) from None
        yield from rows


def _rows(rows: Iterable[dict[str, Any]], fields: Fields) -> Iterator[Item]:
    for number, row in enumerate(rows, start=1):
        yield parse_row(number, row, fields)


def parse_row(number: int, row: dict[str, Any], fields: Fields) -> Item:
    """Return the unit of the ``number``-th row, or why it holds none."""
    text = row.get(fields.text)
    if not isinstance(text, str) or not text.strip():
        what = "missing" if text is None else f"not a non-empty string: {clip(repr(text), 60)}"
        return BadLine(number, f"{fields.text!r} is {what}")
    unit_id = row.get(fields.id)
    if unit_id is None or unit_id == "":
        unit_id = f"line-{number}"
    elif not isinstance(unit_id, (str, int)) or isinstance(unit_id, bool):
        return BadLine(number, f"{fields.id!r} is not a string: {clip(repr(unit_id), 60)}")
    neighbours = []
    for name in ("prev_text", "next_text"):
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            return BadLine(number, f"{name!r} is not a string: {clip(repr(value), 60)}")
        neighbours.append(value)
    doc_id = row.get(fields.doc_id)
    return Record(
        number,
        str(unit_id),
        text,
        doc_id="" if doc_id is None else str(doc_id),
        prev_text=neighbours[0],
        next_text=neighbours[1],
    )
