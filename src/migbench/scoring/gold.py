"""Gold units for scoring: from the packaged dataset's parquet files or from a JSONL file.

A gold row carries ``id``, ``text``, ``tokens`` and the four layers ``stance``, ``frame``,
``mfc`` and ``ner_tags`` (string labels; the parquet files store ClassLabel ids, decoded here
with the names kept in their schema metadata). Other columns, ``entities`` included, are ignored:
``ner_tags`` is the NER gold. Every row is checked against the label schema; ``tokens`` are
taken to be the tokenizer's tokens of ``text``, as the dataset build guarantees (their number
is checked where it matters, when a submission's entity spans are converted to tags).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.gcpause import without_cyclic_gc
from migbench.schema import CHOICE_LAYERS, ENTITY_TYPES, EVALUATION_SPLITS, IOB2_TAGS
from migbench.scoring.iob2 import iob2_problems

#: Folder of the packaged dataset's parquet files, relative to the working directory.
DEFAULT_DATA_DIR = Path("dataset/data/all")
#: Largest gold file read, in bytes (100,000 units take about 80 MB).
MAX_GOLD_BYTES = 512 * 1024 * 1024

_TAGS = frozenset(IOB2_TAGS)
_COLUMNS = ("id", "text", "tokens", *CHOICE_LAYERS, "ner_tags")


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


@without_cyclic_gc
def load_split(split: str, *, data_dir: Path = DEFAULT_DATA_DIR) -> list[GoldRecord]:
    """Load the gold units of a split of the packaged dataset.

    Raises:
        ValueError: ``split`` is not one of :data:`~migbench.schema.EVALUATION_SPLITS`.
        GoldError: The parquet file is missing or does not follow the schema.
    """
    if split not in EVALUATION_SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(EVALUATION_SPLITS)}")
    path = Path(data_dir) / f"{split}.parquet"
    if not path.is_file():
        raise GoldError(
            f"no gold for split {split!r}: {path} does not exist; "
            "run `migbench build` to build the dataset, or pass --gold FILE"
        )
    return gold_from_rows(_parquet_rows(path), source=str(path))


@without_cyclic_gc
def load_gold_file(path: str | Path) -> list[GoldRecord]:
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
            )
        )
    if not units:
        raise GoldError(f"{source}: no gold units")
    problems = iob2_problems([unit.ner_tags for unit in units], ENTITY_TYPES)
    if problems:
        index, message = problems[0]
        raise GoldError(f"{source}, row {index + 1}: ner_tags: {message}")
    return units


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, Mapping):
        return f"expected an object, got {type(row).__name__}"
    missing = [column for column in _COLUMNS if column not in row]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(row["id"], str) or not isinstance(row["text"], str):
        return "id and text must be strings"
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
    columns = {column: table.column(column).to_pylist() for column in _COLUMNS}
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
    return [
        dict(zip(_COLUMNS, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def _class_names(feature: Any, *, sequence: bool) -> tuple[str, ...]:
    from datasets import ClassLabel

    inner = getattr(feature, "feature", None) if sequence else feature
    return tuple(inner.names) if isinstance(inner, ClassLabel) else ()
