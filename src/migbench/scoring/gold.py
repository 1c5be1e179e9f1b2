"""The gold a submission is scored against: :class:`Gold`, and the loaders behind it.

A :class:`Gold` names the gold once and checks the choice at construction: a protocol of the
dataset (``split``, ``genre`` or ``cv``, see :mod:`migbench.protocols`) with its split and the
dataset folder or Hub id, or a gold JSONL file, or gold rows. It loads the units a task needs on
first use and keeps them, so one ``Gold`` serves many submissions.

A gold row carries ``id`` and the layers scored: ``stance``, ``frame`` and ``mfc`` (one label
each) and ``ner_tags`` (IOB2 tags, one per token); ``doc_id`` and ``fold`` are read where
present, and ``text``, ``tokens`` and ``token_offsets`` (which entity spans are aligned with)
with ``ner_tags``. Every unit also gets its ``section`` (a ``section`` column, or one derived
from ``doc_id``, ``unit_type`` and ``paragraph``), which the clustered bootstrap and the paired
tests resample. Scoring a single-label task needs only ids and that layer, and entity spans
need only the token offsets, so the text-free dataset (``migbench build --no-text``) scores as
the full one. The parquet files store ClassLabel ids, decoded here with the names kept in their
schema metadata; every row is checked against the label schema.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.gcpause import without_cyclic_gc
from migbench.protocols import DEFAULT_PROTOCOL, DEFAULT_SPLIT, get_protocol
from migbench.schema import CHOICE_LAYERS, ENTITY_TYPES, IOB2_TAGS, UNIT_TYPES
from migbench.scoring.iob2 import iob2_problems
from migbench.version import dataset_version

#: Environment variable that names the dataset when no ``dataset`` argument does.
DATASET_ENV = "MIGBENCH_DATASET"
#: Largest gold file read, in bytes (100,000 units take about 80 MB).
MAX_GOLD_BYTES = 128 * 1024 * 1024
#: The gold layers: the single-label layers and the IOB2 tags.
LAYERS: tuple[str, ...] = (*CHOICE_LAYERS, "ner_tags")

_TAGS = frozenset(IOB2_TAGS)
_OPTIONAL_COLUMNS = ("doc_id", "fold", "unit_type", "paragraph", "section")
#: The columns a unit's section is derived from (:func:`sections_of`).
_PLACE_COLUMNS = ("section", "doc_id", "unit_type", "paragraph")
#: Columns read with the NER layer where present: entity spans are aligned with the tokens.
_TOKEN_COLUMNS = ("text", "tokens", "token_offsets")
_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")
_HF_METADATA = b"huggingface"

PathLike = str | os.PathLike[str]


class GoldError(MigbenchError):
    """The gold is missing or does not follow the schema."""


class GoldRecord(NamedTuple):
    """One gold unit: its id and the layers loaded (None: not loaded, or not in the dataset)."""

    id: str
    stance: str | None = None
    frame: str | None = None
    mfc: str | None = None
    ner_tags: tuple[str, ...] | None = None
    text: str | None = None
    tokens: tuple[str, ...] | None = None
    token_offsets: tuple[tuple[int, int], ...] | None = None
    doc_id: str | None = None
    fold: int | None = None
    section: str | None = None

    @property
    def n_tokens(self) -> int:
        """The number of the unit's tokens: of its IOB2 tags (0 when NER is not loaded)."""
        return len(self.ner_tags or ())


@dataclass(frozen=True)
class Gold:
    """The gold to score against, checked once; its units are loaded on first use and kept.

    Give a protocol (with ``split`` and ``dataset``), or ``file``, or ``rows``; with none of them,
    the fixed split's test units of the dataset :func:`find_dataset` finds.

    Attributes:
        protocol: ``split``, ``genre`` or ``cv`` (None for a file or rows).
        split: ``validation`` or ``test`` under ``split`` and ``genre``; None otherwise.
        dataset: The dataset folder or Hub id of a protocol; None: :func:`find_dataset`'s.
        file: A gold JSONL file, one gold row (string labels) per line.
        rows: Gold rows as mappings (string labels).

    Raises:
        ValueError: The options contradict each other (a file and a protocol, a split under
            ``cv``), or name an unknown protocol or split.

    Example:
        >>> Gold(protocol="cv", split="test")
        Traceback (most recent call last):
        ...
        ValueError: protocol cv scores every unit; a split applies to split and genre only
    """

    protocol: str | None = None
    split: str | None = None
    dataset: PathLike | None = None
    file: PathLike | None = None
    rows: Sequence[Mapping[str, Any]] | None = field(default=None, repr=False)
    _units: dict[tuple[str, ...], list[GoldRecord]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        given = [name for name in ("file", "rows") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError("give a gold file or gold rows, not both")
        if given:
            extra = [n for n in ("protocol", "split", "dataset") if getattr(self, n) is not None]
            if extra:
                raise ValueError(
                    f"gold {given[0]} replaces {', '.join(extra)}: give one or the other"
                )
            if self.rows is not None:
                if isinstance(self.rows, (str, bytes, os.PathLike, Mapping)):
                    raise TypeError("gold rows must be a sequence of mappings, one per unit")
                object.__setattr__(self, "rows", tuple(self.rows))
            return
        protocol = get_protocol(self.protocol or DEFAULT_PROTOCOL)
        split = None if protocol.pooled and self.split is None else self.split or DEFAULT_SPLIT
        protocol.scored_splits(split)  # raises for a split under cv, or an unknown split
        object.__setattr__(self, "protocol", protocol.name)
        object.__setattr__(self, "split", split)

    @property
    def source(self) -> dict[str, str | None]:
        """Where the gold comes from: ``protocol``, ``split`` and ``gold_file``."""
        gold_file = str(self.file) if self.file is not None else None
        return {"protocol": self.protocol, "split": self.split, "gold_file": gold_file}

    @property
    def dataset_version(self) -> str | None:
        """The version of the dataset a protocol reads; None for a gold file or rows."""
        if self.protocol is None:
            return None
        found = find_dataset(self.dataset)
        return dataset_version(found if isinstance(found, Path) else None)

    def files(self) -> list[Path]:
        """Return the local files the gold reads (none for rows, a Hub id or no dataset)."""
        if self.file is not None:
            return [Path(self.file)]
        if self.protocol is None:
            return []
        try:
            found = find_dataset(self.dataset)
        except GoldError:
            return []
        if not isinstance(found, Path):
            return []
        protocol = get_protocol(self.protocol)
        return [_split_path(found, protocol.config, name) for name in self._splits()]

    def units(self, layers: Sequence[str] = LAYERS) -> list[GoldRecord]:
        """Return the gold units with ``layers`` loaded and checked (loaded once, then kept).

        Raises:
            GoldError: The gold is missing, unreadable or off the schema.
        """
        key = tuple(layers)
        if key not in self._units:
            if self.file is not None:
                loaded = load_gold_file(self.file, layers=key)
            elif self.rows is not None:
                loaded = gold_from_rows(self.rows, source="gold rows", layers=key)
            else:
                assert self.protocol is not None  # set by __post_init__
                loaded = load_protocol(
                    self.protocol, split=self.split, dataset=self.dataset, layers=key
                )
            self._units[key] = loaded
        return self._units[key]

    def sha256(self, layers: Sequence[str] = LAYERS) -> str:
        """Return the sha256 of the gold's ids and ``layers``, whatever file or rows held them."""
        digest = hashlib.sha256()
        for unit in self.units(layers):
            labels = [getattr(unit, layer) for layer in layers]
            digest.update(orjson.dumps([unit.id, *labels]) + b"\n")
        return digest.hexdigest()

    def _splits(self) -> tuple[str, ...]:
        assert self.protocol is not None
        return get_protocol(self.protocol).scored_splits(self.split)


def find_dataset(dataset: PathLike | None = None) -> Path | str:
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
    protocol: str,
    *,
    split: str | None = DEFAULT_SPLIT,
    dataset: PathLike | None = None,
    layers: Sequence[str] = LAYERS,
) -> list[GoldRecord]:
    """Load the gold units of a protocol.

    Args:
        protocol: ``split``, ``genre`` or ``cv`` (see :data:`migbench.protocols.PROTOCOLS`).
        split: ``validation`` or ``test``; unused by ``cv``, which scores every unit.
        dataset: A dataset folder or Hub id; found by :func:`find_dataset` when None.
        layers: The layers to load; the others are not read.

    Raises:
        ValueError: An unknown protocol or split.
        GoldError: The dataset is not found, or its files are missing or off the schema.
    """
    declared = get_protocol(protocol)
    splits = declared.splits or declared.scored_splits(split)
    found = find_dataset(dataset)
    rows: list[dict[str, Any]] = []
    starts: list[tuple[int, str]] = []  # (first row, where it comes from) per split
    for name in splits:
        if isinstance(found, Path):
            path = _split_file(found, declared.config, name)
            starts.append((len(rows), str(path)))
            rows += _parquet_rows(path, layers)
        else:
            starts.append((len(rows), f"{found}, {declared.config}/{name}"))
            rows += _hub_rows(found, declared.config, name, layers)
    source = f"{found} ({protocol} protocol)"

    def locate(number: int) -> str:
        first, where = next((s for s in reversed(starts) if s[0] < number), starts[0])
        return f"{where} ({protocol} protocol), row {number - first}"

    units = gold_from_rows(rows, source=source, layers=layers, locate=locate)
    if declared.pooled and (unfolded := next((u for u in units if u.fold is None), None)):
        # Pooled scores are reported per fold: a unit without one would be scored nowhere.
        raise GoldError(f"{source}: unit {jsonio.quote(unfolded.id)} has no fold")
    return units


def _split_path(dataset: Path, config: str, split: str) -> Path:
    return dataset / "data" / config / f"{split}.parquet"


def _split_file(dataset: Path, config: str, split: str) -> Path:
    path = _split_path(dataset, config, split)
    if not path.is_file():
        raise GoldError(
            f"{path} does not exist: {dataset} is not a built migbench dataset "
            "(build it with `migbench build`, or pass --dataset or --gold)"
        )
    return path


@without_cyclic_gc
def load_gold_file(path: PathLike, *, layers: Sequence[str] = LAYERS) -> list[GoldRecord]:
    """Load gold units from a JSONL file with one gold row (string labels) per line.

    Raises:
        GoldError: The file is not a regular file of at most :data:`MAX_GOLD_BYTES` bytes, a line
            is not strict JSON, or a row does not follow the schema.
    """
    try:
        data = jsonio.read_bytes(path, max_bytes=MAX_GOLD_BYTES)
    except jsonio.InputError as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from None
    if (offset := _not_utf8_at(data)) is not None:  # name the file rather than a line
        raise GoldError(f"cannot read gold file {path}: not UTF-8 at byte {offset}")
    return gold_from_rows(_gold_lines(path, data), source=str(path), layers=layers)


def _not_utf8_at(data: bytes, chunk: int = 1 << 20) -> int | None:
    """Return the offset of the first byte of ``data`` that is not UTF-8, or None.

    The bytes are decoded a chunk at a time, so that the check costs no copy of the whole file.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data) + 1, chunk):
        piece = view[start : start + chunk]
        try:
            decoder.decode(piece, final=start + chunk >= len(data))
        except UnicodeDecodeError as exc:
            pending = len(decoder.getstate()[0])  # bytes held back from the previous chunk
            return start - pending + exc.start
    return None


def _gold_lines(path: str | os.PathLike[str], data: bytes) -> Iterator[Any]:
    """Yield the rows of a gold JSONL text one by one, so the first bad one stops the reading."""
    for number, line in jsonio.jsonl_lines(data):  # the rules every JSONL reader shares
        row, problem = jsonio.parse_line(line)
        if problem is not None:
            raise GoldError(f"{path}, line {number}: {problem}")
        yield row


@without_cyclic_gc
def gold_from_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    source: str,
    layers: Sequence[str] = LAYERS,
    locate: Callable[[int], str] | None = None,
) -> list[GoldRecord]:
    """Check gold rows against the schema and return them as gold units.

    Args:
        rows: Gold rows with string labels; keys other than ``id``, the layers and
            ``text``, ``tokens``, ``token_offsets``, ``doc_id`` and ``fold`` are ignored, and
            ``text``, ``tokens`` and ``token_offsets`` are kept only with ``ner_tags``, as a
            dataset's columns are read.
        source: Where the rows come from, for error messages.
        layers: The layers each row must carry.
        locate: Where row ``n`` (from 1) comes from, for error messages (rows pooled from
            several files name the file); ``source, row n`` when None.

    Raises:
        ValueError: An unknown layer.
        GoldError: A row breaks the schema or strict IOB2, an id repeats, or there are no rows.
    """
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown:
        raise ValueError(f"unknown gold layers {unknown}; expected some of {', '.join(LAYERS)}")
    where = locate or (lambda number: f"{source}, row {number}")
    units: list[GoldRecord] = []
    seen: set[str] = set()
    with_text = "ner_tags" in layers
    # One object per distinct label, tag, token and doc id: a large gold repeats them millions
    # of times, and each parsed copy would otherwise be kept.
    shared: dict[str, str] = {}
    # What each row's section is derived from, kept instead of the rows (which may be many).
    places: list[dict[str, Any]] = []
    for number, row in enumerate(rows, 1):
        if (problem := _row_problem(row, layers, seen)) is not None:
            raise GoldError(f"{where(number)}: {problem}")
        seen.add(row["id"])
        tags, tokens, doc_id = row.get("ner_tags"), row.get("tokens"), row.get("doc_id")
        offsets = row.get("token_offsets")
        units.append(
            GoldRecord(
                id=row["id"],
                **{
                    layer: shared.setdefault(row[layer], row[layer])
                    for layer in CHOICE_LAYERS
                    if layer in layers
                },
                ner_tags=_shared(tags or (), shared) if with_text else None,
                text=row.get("text") if with_text else None,
                tokens=_shared(tokens, shared) if with_text and tokens is not None else None,
                token_offsets=(
                    tuple((start, end) for start, end in offsets)
                    if with_text and offsets is not None
                    else None
                ),
                doc_id=shared.setdefault(doc_id, doc_id) if isinstance(doc_id, str) else doc_id,
                fold=row.get("fold"),
            )
        )
        places.append({column: row.get(column) for column in _PLACE_COLUMNS})
    if not units:
        raise GoldError(f"{source}: no gold units")
    units = [
        unit._replace(section=section)
        for unit, section in zip(units, sections_of(places), strict=True)
    ]
    if "ner_tags" in layers:
        problems = iob2_problems([unit.ner_tags or () for unit in units], ENTITY_TYPES)
        if problems:
            index, message = problems[0]
            raise GoldError(f"{where(index + 1)}: ner_tags: {message}")
    return units


def _shared(values: Sequence[Any], shared: dict[str, str]) -> tuple[Any, ...]:
    """Return ``values`` as a tuple, each string replaced by the equal one already in ``shared``."""
    return tuple(shared.setdefault(v, v) if isinstance(v, str) else v for v in values)


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


def _row_problem(row: Any, layers: Sequence[str], seen: set[str]) -> str | None:
    """Say what is wrong with a gold row whose file's earlier ids are ``seen``, or None."""
    if not isinstance(row, Mapping):
        return f"expected an object, got {type(row).__name__}"
    missing = [column for column in ("id", *layers) if column not in row]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(row["id"], str):
        return "id must be a string"
    if row["id"] in seen:
        return f"duplicate id {jsonio.quote(row['id'])}"
    if not isinstance(row.get("text"), (str, type(None))):
        return "text must be a string (or null in the text-free dataset)"
    if not isinstance(row.get("doc_id"), (str, type(None))):
        return "doc_id must be a string"
    if row.get("fold") is not None and (type(row["fold"]) is not int or row["fold"] < 0):
        return f"fold must be a non-negative integer, not {jsonio.quote(row['fold'])}"
    for layer, labels in CHOICE_LAYERS.items():
        if layer in layers and row[layer] not in labels:
            return f"{layer} {jsonio.quote(row[layer])} is not one of {', '.join(labels)}"
    tokens = row.get("tokens")
    if tokens is not None and not (
        isinstance(tokens, (list, tuple)) and all(isinstance(token, str) for token in tokens)
    ):
        return "tokens must be a list of strings"
    offsets = row.get("token_offsets")
    if offsets is not None and not _token_offsets(offsets):
        return "token_offsets must be a list of [start, end] pairs, each after the one before"
    if tokens is not None and offsets is not None and len(offsets) != len(tokens):
        return f"token_offsets must give {len(tokens)} pairs, one per token"
    if "ner_tags" in layers:
        tags = row["ner_tags"]
        known = tokens if tokens is not None else offsets
        count = f"{len(known)} tags, one per token" if known is not None else "tags"
        if not isinstance(tags, (list, tuple)) or (known is not None and len(tags) != len(known)):
            return f"ner_tags must be a list of {count}"
        if not _all_tags(tags):
            return f"ner_tags holds a tag outside {', '.join(IOB2_TAGS)}"
    return None


def _token_offsets(offsets: Any) -> bool:
    """Whether ``offsets`` are [start, end] pairs of integers, each token after the one before."""
    if not isinstance(offsets, (list, tuple)):
        return False
    previous = 0
    for pair in offsets:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            return False
        start, end = pair
        if type(start) is not int or type(end) is not int or not previous <= start < end:
            return False
        previous = end
    return True


def _all_tags(tags: Sequence[Any]) -> bool:
    try:
        return _TAGS.issuperset(tags)
    except TypeError:  # an unhashable element
        return False


def _parquet_rows(path: Path, layers: Sequence[str]) -> list[dict[str, Any]]:
    """Read the id, ``layers`` and optional columns of a parquet split, labels decoded."""
    # pyarrow's parquet reader alone: ``datasets`` takes seconds to import, its features are
    # plain JSON here, and ``pq.read_table`` would import ``pyarrow.dataset`` and with it pandas.
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            schema = parquet.schema_arrow
            features = orjson.loads((schema.metadata or {}).get(_HF_METADATA, b"{}"))
            features = features.get("info", {}).get("features", {})
            columns = _columns(schema.names, layers, path)
            table = parquet.read(columns=columns)
        values = {column: table.column(column).to_pylist() for column in columns}
    except GoldError:
        raise
    except Exception as exc:  # pyarrow raises many kinds for a corrupt file, some lazily
        reason = " ".join(str(exc).split())  # pyarrow's messages span several lines
        raise GoldError(f"cannot read {path}: {reason}") from exc
    return _decoded(values, features, layers, str(path))


def _hub_rows(
    hub_id: str, config: str, split: str, layers: Sequence[str] = LAYERS
) -> list[dict[str, Any]]:
    from datasets import load_dataset

    where = f"{hub_id} ({config}, {split})"
    try:
        table = load_dataset(hub_id, config, split=split)
    except Exception as exc:  # network, authentication and format errors of every kind
        raise GoldError(f"cannot load {where} from the Hub: {exc}") from None
    columns = _columns(table.column_names, layers, where)
    return _decoded(
        {column: list(table[column]) for column in columns},
        table.features.to_dict(),
        layers,
        where,
    )


def _columns(names: Sequence[str], layers: Sequence[str], where: Any) -> list[str]:
    """Return the columns to read; raise GoldError when the id or a layer is absent."""
    missing = [column for column in ("id", *layers) if column not in names]
    if missing:
        raise GoldError(f"{where} lacks the columns {', '.join(missing)}")
    optional = (*_OPTIONAL_COLUMNS, *(_TOKEN_COLUMNS if "ner_tags" in layers else ()))
    return ["id", *layers, *(column for column in optional if column in names)]


def _decoded(
    columns: dict[str, list[Any]], features: Mapping[str, Any], layers: Sequence[str], where: str
) -> list[dict[str, Any]]:
    """Decode the ClassLabel ids of the label columns to names; return the rows, checked."""
    for layer in layers:
        expected = IOB2_TAGS if layer == "ner_tags" else CHOICE_LAYERS[layer]
        names = _class_names(features.get(layer), sequence=layer == "ner_tags")
        if names != expected:
            raise GoldError(
                f"{where}: the ClassLabel names of {layer} are {list(names)}, expected "
                f"{list(expected)} (a dataset built with another schema version?)"
            )

        # A null, out-of-range or mistyped id decodes to None, which the row check reports.
        def decode(i: Any, names: tuple[str, ...] = names) -> str | None:
            return names[i] if type(i) is int and 0 <= i < len(names) else None

        if layer == "ner_tags":
            columns[layer] = [
                [decode(i) for i in tags] if isinstance(tags, list) else tags
                for tags in columns[layer]
            ]
        else:
            columns[layer] = [decode(i) for i in columns[layer]]
    keys = list(columns)
    rows = [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):  # here, to name the file rather than the dataset
        if (problem := _row_problem(row, layers, seen)) is not None:
            raise GoldError(f"{where}, row {number}: {problem}")
        seen.add(row["id"])
    return rows


def _class_names(feature: Any, *, sequence: bool) -> tuple[str, ...]:
    """Return the names of a ClassLabel feature (or of a list's items) as ``datasets`` saves it."""
    if sequence and isinstance(feature, Mapping):
        feature = feature.get("feature")
    if isinstance(feature, Mapping) and feature.get("_type") == "ClassLabel":
        return tuple(feature.get("names", ()))
    return ()
