"""Gold units for scoring: a protocol of the dataset (a folder or a Hub id) or a JSONL file.

A protocol names the gold: ``split`` (the fixed split's validation or test units), ``genre`` (the
genre-transfer split's) or ``cv`` (every unit, with its full-corpus cross-validation fold). The
dataset is found by :func:`find_dataset`. A gold row carries ``id``, ``text``, ``tokens`` and the
four layers ``stance``, ``frame``, ``mfc`` and ``ner_tags`` (string labels; the parquet files
store ClassLabel ids, decoded here with the names kept in their schema metadata); ``doc_id`` and
``fold``, where a row has them, give the per-document and per-fold breakdowns; ``section`` (or
``doc_id``, ``unit_type`` and ``paragraph``, from which the section is derived) is what the
clustered bootstrap and the paired tests resample. Other columns,
``entities`` included, are ignored: ``ner_tags`` is the NER gold. Every row is checked against
the label schema; ``tokens`` are taken to be the tokenizer's tokens of ``text``, as the dataset
build guarantees (their number is checked where it matters, when a submission's entity spans are
converted to tags).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.gcpause import without_cyclic_gc
from migbench.schema import (
    CHOICE_LAYERS,
    ENTITY_TYPES,
    EVALUATION_SPLITS,
    IOB2_TAGS,
    SPLITS,
    UNIT_TYPES,
)
from migbench.scoring.iob2 import iob2_problems

#: Each protocol's dataset config and the splits whose units it scores (None: the one asked for).
PROTOCOLS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "split": ("all", None),
    "genre": ("all_genre", None),
    "cv": ("all", SPLITS),
}
#: Environment variable that names the dataset when no ``dataset`` argument does.
DATASET_ENV = "MIGBENCH_DATASET"
#: Largest gold file read, in bytes (100,000 units take about 80 MB).
MAX_GOLD_BYTES = 512 * 1024 * 1024

_TAGS = frozenset(IOB2_TAGS)
_COLUMNS = ("id", "text", "tokens", *CHOICE_LAYERS, "ner_tags")
_OPTIONAL_COLUMNS = ("doc_id", "fold", "unit_type", "paragraph", "section")
_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")


class GoldError(MigbenchError):
    """The gold is missing or does not follow the schema."""


class GoldRecord(NamedTuple):
    """One gold unit with its labels on all four layers."""

    id: str
    text: str
    tokens: tuple[str, ...]
    stance: str
    frame: str
    mfc: str
    ner_tags: tuple[str, ...]
    doc_id: str | None = None
    fold: int | None = None
    section: str | None = None


def find_dataset(dataset: str | os.PathLike[str] | None = None) -> Path | str:
    """Return the dataset to score against: a folder, or a Hub id for ``datasets.load_dataset``.

    Without ``dataset``: the folder or Hub id in ``$MIGBENCH_DATASET``, else the ``dataset/``
    folder of the checkout this package runs from, else ``dataset/`` in the working directory.

    Raises:
        GoldError: Nothing is found; the message says how to point at the dataset.
    """
    named = dataset if dataset is not None else os.environ.get(DATASET_ENV) or None
    if named is not None:
        if Path(named).is_dir():
            return Path(named)
        if isinstance(named, str) and _HUB_ID.fullmatch(named) and not Path(named).exists():
            return named
        raise GoldError(
            f"dataset {jsonio.quote(str(named))} is neither a dataset folder nor a Hub id "
            "(ORG/NAME)"
        )
    checkout = Path(__file__).resolve().parents[3] / "dataset"
    for candidate in (checkout, Path.cwd() / "dataset"):
        if (candidate / "data").is_dir():
            return candidate
    raise GoldError(
        "no migbench dataset found: pass --dataset DIR (the dataset folder, with data/ and "
        f"README.md) or --dataset ORG/NAME (a Hub id), set {DATASET_ENV}, or score against a "
        "gold file with --gold FILE"
    )


@without_cyclic_gc
def load_protocol(
    protocol: str, *, split: str = "test", dataset: str | os.PathLike[str] | None = None
) -> list[GoldRecord]:
    """Load the gold units of a protocol.

    Args:
        protocol: ``split``, ``genre`` or ``cv`` (see :data:`PROTOCOLS`).
        split: ``validation`` or ``test``; unused by ``cv``, which scores every unit.
        dataset: A dataset folder or Hub id; found by :func:`find_dataset` when None.

    Raises:
        ValueError: An unknown protocol or split.
        GoldError: The dataset is not found, or its files are missing or off the schema.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    config, splits = PROTOCOLS[protocol]
    if splits is None:
        if split not in EVALUATION_SPLITS:
            raise ValueError(
                f"unknown split {split!r}; expected one of {', '.join(EVALUATION_SPLITS)}"
            )
        splits = (split,)
    found = find_dataset(dataset)
    rows: list[dict[str, Any]] = []
    for name in splits:
        rows += (
            _parquet_rows(_split_file(found, config, name))
            if isinstance(found, Path)
            else _hub_rows(found, config, name)
        )
    return gold_from_rows(rows, source=f"{found} ({protocol} protocol)")


def protocol_files(
    protocol: str, *, split: str = "test", dataset: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Return the local files a protocol reads (none for a Hub id or a dataset not found)."""
    try:
        found = find_dataset(dataset)
    except GoldError:
        return []
    if not isinstance(found, Path) or protocol not in PROTOCOLS:
        return []
    config, splits = PROTOCOLS[protocol]
    return [found / "data" / config / f"{name}.parquet" for name in splits or (split,)]


def _split_file(dataset: Path, config: str, split: str) -> Path:
    path = dataset / "data" / config / f"{split}.parquet"
    if not path.is_file():
        raise GoldError(
            f"{path} does not exist: {dataset} is not a built migbench dataset "
            "(build it with `migbench build`, or pass --dataset or --gold)"
        )
    return path


@without_cyclic_gc
def load_gold_file(path: str | os.PathLike[str]) -> list[GoldRecord]:
    """Load gold units from a JSONL file with one gold row (string labels) per line.

    Raises:
        GoldError: The file is not a regular file of at most :data:`MAX_GOLD_BYTES` bytes, a line
            is not strict JSON, or a row does not follow the schema.
    """
    try:
        data = jsonio.read_bytes(path, max_bytes=MAX_GOLD_BYTES)
        data.decode("utf-8")  # to name the file rather than a line when it is not UTF-8
    except (jsonio.InputError, UnicodeDecodeError) as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from None
    rows = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise GoldError(f"{path}, line {number}: invalid JSON: {exc}") from None
        if (problem := jsonio.structure_problem(line, row)) is not None:
            raise GoldError(f"{path}, line {number}: {problem}")
        rows.append(row)
    return gold_from_rows(rows, source=str(path))


@without_cyclic_gc
def gold_from_rows(rows: Iterable[Mapping[str, Any]], *, source: str) -> list[GoldRecord]:
    """Check gold rows against the schema and return them as gold units.

    Args:
        rows: Gold rows with string labels; extra keys are ignored.
        source: Where the rows come from, for error messages.

    Raises:
        GoldError: A row breaks the schema or strict IOB2, an id repeats, or there are no rows.
    """
    units: list[GoldRecord] = []
    seen: set[str] = set()
    rows = list(rows)
    section = sections_of(rows)
    for number, row in enumerate(rows, 1):
        problem = _row_problem(row)
        if problem is None and row["id"] in seen:
            problem = f"duplicate id {jsonio.quote(row['id'])}"
        if problem is not None:
            raise GoldError(f"{source}, row {number}: {problem}")
        seen.add(row["id"])
        units.append(
            GoldRecord(
                id=row["id"],
                text=row["text"],
                tokens=tuple(row["tokens"]),
                stance=row["stance"],
                frame=row["frame"],
                mfc=row["mfc"],
                ner_tags=tuple(row["ner_tags"]),
                doc_id=row.get("doc_id"),
                fold=row.get("fold"),
                section=section[number - 1],
            )
        )
    if not units:
        raise GoldError(f"{source}: no gold units")
    problems = iob2_problems([unit.ner_tags for unit in units], ENTITY_TYPES)
    if problems:
        index, message = problems[0]
        raise GoldError(f"{source}, row {index + 1}: ner_tags: {message}")
    return units


def sections_of(rows: list[Any]) -> list[str | None]:
    """Return each row's section: its ``section``, or one derived from its place in its document.

    As the folds group units (:func:`migbench.dataset.splits.sections`): in a document with
    headings a section runs from one heading's paragraph to the next; without headings each
    paragraph is its own. None for every row when a row lacks what it takes.
    """
    if all(isinstance(row, Mapping) and row.get("section") is not None for row in rows):
        return [str(row["section"]) for row in rows]
    columns = ("doc_id", "unit_type", "paragraph")
    if not all(
        isinstance(row, Mapping) and all(row.get(c) is not None for c in columns) for row in rows
    ):
        return [None] * len(rows)
    headings: dict[str, set[int]] = {}
    for row in rows:
        unit_type = row["unit_type"]
        if unit_type == "heading" or unit_type == UNIT_TYPES.index("heading"):
            headings.setdefault(row["doc_id"], set()).add(row["paragraph"])
    sections: list[str | None] = []
    for row in rows:
        doc, paragraph = row["doc_id"], row["paragraph"]
        if doc in headings:
            number = sum(h <= paragraph for h in headings[doc])
            sections.append(f"{doc}:{number}")
        else:
            sections.append(f"{doc}:p{paragraph}")
    return sections


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, Mapping):
        return f"expected an object, got {type(row).__name__}"
    missing = [column for column in _COLUMNS if column not in row]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(row["id"], str) or not isinstance(row["text"], str):
        return "id and text must be strings"
    if not isinstance(row.get("doc_id", ""), str):
        return "doc_id must be a string"
    if "fold" in row and (type(row["fold"]) is not int or row["fold"] < 0):
        return f"fold must be a non-negative integer, not {jsonio.quote(row['fold'])}"
    for layer, labels in CHOICE_LAYERS.items():
        if row[layer] not in labels:
            return f"{layer} {jsonio.quote(row[layer])} is not one of {', '.join(labels)}"
    tokens, tags = row["tokens"], row["ner_tags"]
    if not isinstance(tokens, list):
        return "tokens must be a list of strings"
    if not isinstance(tags, list) or len(tags) != len(tokens):
        return f"ner_tags must be a list of {len(tokens)} tags, one per token"
    if not _all_tags(tags):
        return f"ner_tags holds a tag outside {', '.join(IOB2_TAGS)}"
    return None


def _all_tags(tags: list[Any]) -> bool:
    try:
        return _TAGS.issuperset(tags)
    except TypeError:  # an unhashable element
        return False


def _parquet_rows(path: Path) -> list[dict[str, Any]]:
    # Imported here: datasets takes seconds to import and only this path needs it.
    import pyarrow.parquet as pq
    from datasets import Features

    try:
        table = pq.read_table(path)
        features = Features.from_arrow_schema(table.schema)
    except Exception as exc:  # pyarrow and datasets raise many kinds for a corrupt file
        raise GoldError(f"cannot read {path}: {exc}") from exc
    missing = [column for column in _COLUMNS if column not in table.column_names]
    if missing:
        raise GoldError(f"{path} lacks the columns {', '.join(missing)}")
    present = [c for c in (*_COLUMNS, *_OPTIONAL_COLUMNS) if c in table.column_names]
    return _decoded(
        {column: table.column(column).to_pylist() for column in present}, features, str(path)
    )


def _hub_rows(hub_id: str, config: str, split: str) -> list[dict[str, Any]]:
    from datasets import load_dataset

    try:
        table = load_dataset(hub_id, config, split=split)
    except Exception as exc:  # network, authentication and format errors of every kind
        raise GoldError(f"cannot load {hub_id} ({config}, {split}) from the Hub: {exc}") from None
    present = [c for c in (*_COLUMNS, *_OPTIONAL_COLUMNS) if c in table.column_names]
    missing = [column for column in _COLUMNS if column not in present]
    if missing:
        raise GoldError(f"{hub_id} ({config}) lacks the columns {', '.join(missing)}")
    columns = {column: table[column] for column in present}
    return _decoded(columns, table.features, f"{hub_id} ({config}, {split})")


def _decoded(columns: dict[str, list[Any]], features: Any, path: str) -> list[dict[str, Any]]:
    """Decode the ClassLabel ids of the label columns to names; return the rows."""
    for layer, labels in (*CHOICE_LAYERS.items(), ("ner_tags", IOB2_TAGS)):
        names = _class_names(features[layer], sequence=layer == "ner_tags")
        if names != labels:
            raise GoldError(
                f"{path}: the ClassLabel names of {layer} are {list(names)}, expected "
                f"{list(labels)} (a dataset built with another schema version?)"
            )
        # .get: a null or out-of-range id decodes to None, which the row check reports.
        decode = dict(enumerate(names)).get
        if layer == "ner_tags":
            columns[layer] = [[decode(i) for i in tags] for tags in columns[layer]]
        else:
            columns[layer] = [decode(i) for i in columns[layer]]
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _class_names(feature: Any, *, sequence: bool) -> tuple[str, ...]:
    from datasets import ClassLabel

    inner = getattr(feature, "feature", None) if sequence else feature
    return tuple(inner.names) if isinstance(inner, ClassLabel) else ()
