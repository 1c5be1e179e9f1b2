"""The text-free variant: rows with offsets and keyed hashes but none of the source text.

Each unit carries ``text_hmac``, an HMAC-SHA256 of its text whose key is derived from the text of
its document's key unit (the document's longest unit). Anyone holding the source derives the key
and checks every unit byte for byte; anyone without it cannot test guesses, so a short unit
("Abstract", a byline) cannot be recovered by hashing a word list. The key unit's own
``text_hmac`` is keyed by itself: it can be tested only by guessing the whole of the document's
longest sentence, which the build requires to have at least :data:`MIN_KEY_TOKENS` tokens.

:func:`source_text_problems` is the upload guard: it finds source text in any string column of any
parquet file and in any other file of a dataset folder.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from migbench import jsonio
from migbench.corpus.tokenize import tokenize
from migbench.errors import MigbenchError
from migbench.schema import UNIT_TYPES

#: Unit fields that hold source text; null in the text-free variant.
UNIT_TEXT_FIELDS = ("text", "prev_text", "next_text", "tokens", "entities.text")
#: Document fields that hold source text; null in the text-free variant.
DOCUMENT_TEXT_FIELDS = ("text",)
#: String fields that hold no source text by design: ids, hashes and the bibliographic record.
#: The guard still searches their values for source text.
METADATA_FIELDS = (
    "id",
    "doc_id",
    "text_hmac",
    "guidelines",
    "file",
    "sha256",
    "genre",
    "outlet",
    "author",
    "date",
    "title",
    "location",
    "url",
    "search",
)
#: The fewest tokens a document's key unit may have (a word list cannot reach such a sentence).
MIN_KEY_TOKENS = 20
#: Largest dataset (parquet) file read, in bytes (docs/SECURITY.md); also the largest other file
#: of a dataset folder searched for source text.
MAX_PARQUET_BYTES = 64 * 1024 * 1024
#: Units with at least this many tokens are looked for in every file before an upload. Shorter
#: runs of token lengths recur by chance in any long text, so a match would prove nothing.
MIN_DETECTED_TOKENS = 8
_KEY_DOMAIN = b"migbench unit key v1\n"


def key_unit(lengths: Sequence[int]) -> int:
    """Return the index of a document's key unit: the first of its longest units.

    Args:
        lengths: The length in characters of each unit of one document, in reading order.
    """
    return max(range(len(lengths)), key=lambda index: (lengths[index], -index))


def derive_key(key_text: str) -> bytes:
    """Return a document's unit key, derived from the text of its key unit."""
    return hashlib.sha256(_KEY_DOMAIN + key_text.encode("utf-8")).digest()


def text_hmac(key: bytes, text: str) -> str:
    """Return the HMAC-SHA256 (hex) of a unit's UTF-8 text under its document's key."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def is_key_text(text: str, digest: str) -> bool:
    """Whether ``text`` is the key unit whose ``text_hmac`` is ``digest``."""
    return hmac.compare_digest(text_hmac(derive_key(text), text), digest)


def document_keys(units: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """Return doc id → its unit key, from (doc id, text) pairs in reading order.

    Raises:
        MigbenchError: A document's longest unit has fewer than :data:`MIN_KEY_TOKENS` tokens,
            so its key could be guessed.
    """
    texts: dict[str, list[str]] = defaultdict(list)
    for doc_id, text in units:
        texts[doc_id].append(text)
    keys = {}
    for doc_id, own in texts.items():
        key_text = own[key_unit([len(text) for text in own])]
        if len(tokenize(key_text)) < MIN_KEY_TOKENS:
            raise MigbenchError(
                f"document {doc_id}: its longest unit has fewer than {MIN_KEY_TOKENS} tokens, "
                "too few to key the hashes of the text-free variant"
            )
        keys[doc_id] = derive_key(key_text)
    return keys


def strip_unit_row(row: dict) -> dict:
    """Return a copy of a unit row without source text (offsets, hashes and labels stay)."""
    stripped = {key: (None if key in UNIT_TEXT_FIELDS else value) for key, value in row.items()}
    if "entities" in row:
        stripped["entities"] = [{**entity, "text": None} for entity in row["entities"]]
    return stripped


def strip_document(row: dict) -> dict:
    """Return a copy of a document row without its text."""
    return {key: (None if key in DOCUMENT_TEXT_FIELDS else value) for key, value in row.items()}


def _string_leaves(
    data: pa.Array | pa.ChunkedArray, field: pa.Field, path: str
) -> Iterator[tuple[str, pa.Array]]:
    """Yield (dotted path, flat values) for every string leaf of a column, nested ones too."""
    array = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    kind = field.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        yield path, array
    elif (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        yield from _string_leaves(array.flatten(), kind.value_field, path)
    elif pa.types.is_struct(kind):
        for index in range(kind.num_fields):
            child = kind.field(index)
            yield from _string_leaves(array.field(index), child, f"{path}.{child.name}")


class _Profiles:
    """The token layout of every long unit of a dataset: token lengths and the gaps between."""

    def __init__(self, token_offsets: Sequence[Sequence[Sequence[int]]], exempt: set[int]):
        self.by_head: dict[tuple, list[tuple]] = defaultdict(list)
        for index, offsets in enumerate(token_offsets):
            if index not in exempt and len(offsets) >= MIN_DETECTED_TOKENS:
                profile = _profile(offsets)
                self.by_head[profile[:MIN_DETECTED_TOKENS]].append(profile)

    def found_in(self, text: str) -> bool:
        """Whether ``text`` holds a run of tokens laid out as one of the units."""
        profile = _profile(tokenize(" ".join(text.split())))
        for start in range(len(profile) - MIN_DETECTED_TOKENS + 1):
            for unit in self.by_head.get(profile[start : start + MIN_DETECTED_TOKENS], ()):
                window = profile[start : start + len(unit)]
                # The last token of a unit may be followed by anything, so its gap is not compared.
                if window[:-1] == unit[:-1] and window[-1][0] == unit[-1][0]:
                    return True
        return False


def _profile(offsets: Sequence[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    """Return (token length, gap to the next token) for each token."""
    return tuple(
        (end - start, (offsets[i + 1][0] - end) if i + 1 < len(offsets) else 0)
        for i, (start, end) in enumerate(offsets)
    )


def _read(path: Path) -> pa.Table:
    jsonio.open_regular(path, max_bytes=MAX_PARQUET_BYTES).close()  # not a FIFO, not a folder
    try:
        return pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        raise MigbenchError(
            f"{path}: not a readable parquet file ({jsonio.clip(str(exc))})"
        ) from None


def _unit_profiles(folder: Path) -> _Profiles:
    """Return the layouts of the units of a dataset folder's ``all`` config.

    A document's title is the bibliographic record the card lists, so a heading laid out as a
    document's title is not looked for (the headings of a title field that holds a sentence are).
    """
    paths = sorted(folder.glob("data/all/*.parquet"))
    if not paths:
        raise MigbenchError(f"{folder}: no data/all/*.parquet; is it a migbench dataset?")
    columns = ["unit_type", "token_offsets"]
    rows = [row for path in paths for row in _read(path).select(columns).to_pylist()]
    offsets = [row["token_offsets"] or [] for row in rows]
    titles = set()
    for path in folder.glob("data/documents/*.parquet"):
        table = _read(path)
        if "title" in table.column_names:
            titles |= {
                _profile(tokenize(" ".join(title.split())))
                for title in table.column("title").to_pylist()
                if title
            }
    heading = UNIT_TYPES.index("heading")
    exempt = {
        index
        for index, (row, own) in enumerate(zip(rows, offsets, strict=True))
        if row["unit_type"] == heading and _profile(own) in titles
    }
    return _Profiles(offsets, exempt)


def source_text_problems(folder: Path) -> list[str]:
    """Return where a dataset folder holds source text; empty for a clean text-free variant.

    Every string field of every parquet file is checked: a text field must be null throughout,
    any other field must be a known metadata field, and no value may hold the text of a unit of
    :data:`MIN_DETECTED_TOKENS` tokens or more (found by its token layout). Every other file is
    searched for such units too; a file that is not UTF-8 text (a plot) is not.
    """
    profiles = _unit_profiles(folder)
    problems = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix == ".parquet":
            problems += _parquet_problems(path, relative, profiles)
            continue
        try:
            text = jsonio.read_bytes(path, max_bytes=MAX_PARQUET_BYTES).decode("utf-8")
        except UnicodeDecodeError:  # a plot: binary, no text to quote
            continue
        if profiles.found_in(text):
            problems.append(f"{relative.as_posix()}: quotes the source text")
    return problems


def _parquet_problems(path: Path, relative: Path, profiles: _Profiles) -> list[str]:
    table = _read(path)
    text_fields = DOCUMENT_TEXT_FIELDS if relative.parent.name == "documents" else UNIT_TEXT_FIELDS
    problems = []
    for field in table.schema:
        for name, values in _string_leaves(table.column(field.name), field, field.name):
            where = f"{relative.as_posix()}: column {name}"
            if name in text_fields:
                if values.null_count < len(values):
                    problems.append(f"{where} holds text")
            elif name not in METADATA_FIELDS:
                problems.append(f"{where} is not a known text-free field")
            elif any(profiles.found_in(value) for value in pc.unique(values).to_pylist() if value):
                problems.append(f"{where} holds source text")
    return problems
