"""Restore the text of a text-free dataset from the user's own copies of the sources.

A copy is any UTF-8 text file under the sources folder, whatever its name. Each unit is looked up
in every copy by its text with whitespace runs collapsed, as the build collapses them, so line
ends, line wrapping and page furniture (banners, date lines, running heads) between units do not
matter. A unit's ``token_offsets`` give the length and the number of tokens to look for. Each
document's key unit (its longest, :func:`migbench.dataset.textfree.key_unit`) is found first: a
candidate is taken when it verifies its own keyed hash. The key it gives then verifies every other
unit of the document: a candidate is taken only when its HMAC equals the unit's ``text_hmac``, so
every restored text is byte-identical to the full dataset's. A unit that furniture interrupts in
the copy (a figure or a running head inside a sentence, up to :data:`MAX_GAP` characters) is found
as two runs around it, split where the unit has a space, between the units found before and after
it.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow.parquet as pq
from datasets import Features

from migbench.corpus.tokenize import token_texts, tokenize
from migbench.corpus.units import context_of
from migbench.dataset.files import DATA_DIR, DOCUMENTS_SPLIT, join_document, write_parquet
from migbench.dataset.textfree import (
    MAX_PARQUET_BYTES,
    derive_key,
    is_key_text,
    key_unit,
    text_hmac,
)
from migbench.errors import MigbenchError
from migbench.fileio import check_output_dir, output_dir
from migbench.jsonio import InputError, clip, file_kind, quote, read_bytes

log = logging.getLogger("migbench")

#: The most characters of furniture (after whitespace collapsing) looked for inside one unit.
MAX_GAP = 2000
#: A document with more units missing than this is reported in one line.
MAX_UNIT_LINES = 10
_UNIT_COLUMNS = ("id", "doc_id", "text_hmac", "token_offsets")
#: Largest copy of a source read, and largest total of the copies, in bytes (docs/SECURITY.md).
MAX_COPY_BYTES = 4 * 1024 * 1024
MAX_SOURCES_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class UnitKey:
    """What a text-free row tells of its unit's text: its keyed hash and its token layout."""

    id: str
    doc_id: str
    hmac: str
    token_offsets: tuple[tuple[int, int], ...]

    @property
    def length(self) -> int:
        """The unit's length in characters: the end of its last token."""
        return self.token_offsets[-1][1]

    def shape(self, first: int = 0, stop: int | None = None) -> tuple[int, int, int, int]:
        """Return the token count, length and first and last token lengths of a token run."""
        run = self.token_offsets[first:stop]
        return len(run), run[-1][1] - run[0][0], run[0][1] - run[0][0], run[-1][1] - run[-1][0]

    def splits(self) -> Iterable[tuple[int, int]]:
        """Yield (tokens before, characters before) for each space between two tokens."""
        for index in range(1, len(self.token_offsets)):
            end = self.token_offsets[index - 1][1]
            if self.token_offsets[index][0] == end + 1:
                yield index, end


@dataclass(frozen=True)
class Found:
    """A unit's text, the copy it was found in and where (offsets in the collapsed copy)."""

    text: str
    copy: str
    start: int
    end: int

    @property
    def interruption(self) -> int:
        """Characters of the copy skipped inside the unit (0 when it is one run)."""
        return self.end - self.start - len(self.text)


class _Copy:
    """One copy, whitespace-collapsed, with the offsets of its tokens."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.flat = " ".join(text.split())
        offsets = np.array(tokenize(self.flat), dtype=np.int64).reshape(-1, 2)
        self.starts, self.ends = offsets[:, 0], offsets[:, 1]
        self.lengths = self.ends - self.starts

    def windows(
        self, shape: tuple[int, int, int, int], lo: int = 0, hi: int | None = None
    ) -> np.ndarray:
        """Return the first-token indices of the token runs of a :meth:`UnitKey.shape`.

        Only runs inside the characters ``lo:hi`` count.
        """
        n_tokens, length, first, last = shape
        if n_tokens > len(self.starts):
            return np.empty(0, dtype=np.int64)
        count = len(self.starts) - n_tokens + 1
        starts = self.starts[:count]
        ends = self.ends[n_tokens - 1 :]
        keep = (ends - starts == length) & (starts >= lo)
        keep &= (self.lengths[:count] == first) & (self.lengths[n_tokens - 1 :] == last)
        if hi is not None:
            keep &= ends <= hi
        return np.flatnonzero(keep)

    def text_at(self, token: int, length: int) -> str:
        start = int(self.starts[token])
        return self.flat[start : start + length]


def _keys_from_copies(units: Sequence[UnitKey], copies: Sequence[_Copy]) -> dict[str, bytes]:
    """Return doc id → its unit key, for each document whose key unit is in a copy."""
    by_doc: dict[str, list[UnitKey]] = defaultdict(list)
    for unit in units:
        by_doc[unit.doc_id].append(unit)
    keys = {}
    for doc_id, own in by_doc.items():
        unit = own[key_unit([key.length for key in own])]
        for copy in copies:
            text = _find_key_text(unit, copy)
            if text is not None:
                keys[doc_id] = derive_key(text)
                break
    return keys


def _find_key_text(unit: UnitKey, copy: _Copy) -> str | None:
    """Return the text of a document's key unit from a copy, in one run or two."""
    for token in copy.windows(unit.shape()):
        text = copy.text_at(token, unit.length)
        if is_key_text(text, unit.hmac):
            return text
    found = _find_interrupted(
        unit, copy, 0, len(copy.flat), lambda text: is_key_text(text, unit.hmac)
    )
    return None if found is None else found.text


def unit_order(unit_id: str, doc_id: str) -> tuple[str, int]:
    """Sort key of a unit: its document, then its number as a number (``-10000`` after ``-9999``).

    Raises:
        MigbenchError: The id is not ``<doc id>-<number>``.
    """
    number = unit_id.removeprefix(f"{doc_id}-")
    if number == unit_id or not number.isascii() or not number.isdigit():
        raise MigbenchError(f"unit id {quote(unit_id)} is not <doc id>-<number> of {quote(doc_id)}")
    return doc_id, int(number)


def find_units(units: Sequence[UnitKey], copies: Mapping[str, str]) -> dict[str, Found]:
    """Find the text of each unit in the copies; return unit id → where it was found.

    A document's units are looked for once its key unit is found (which gives the key their
    hashes are checked with). A unit is first looked for as one run of a copy. A unit not found
    so is then looked for in two runs, between the places where the units before and after it
    were found in the same copy, so that it is never pieced together from other passages.

    Args:
        units: The units to restore, in reading order within each document.
        copies: Copy name → its text.
    """
    prepared = [_Copy(name, text) for name, text in sorted(copies.items())]
    keys = _keys_from_copies(units, prepared)
    places: dict[str, dict[str, list[Found]]] = defaultdict(dict)  # unit id → copy → hits
    # shape → doc id → keyed hash → units
    by_shape: dict[tuple[int, int, int, int], dict[str, dict[str, list[UnitKey]]]]
    by_shape = defaultdict(lambda: defaultdict(dict))
    for unit in units:
        if unit.doc_id in keys:
            by_shape[unit.shape()][unit.doc_id].setdefault(unit.hmac, []).append(unit)
    for copy in prepared:
        for shape, docs in by_shape.items():
            length = shape[1]
            for token in copy.windows(shape):
                text = copy.text_at(token, length)
                start = int(copy.starts[token])
                hit = Found(text, copy.name, start, start + length)
                for doc_id, hashes in docs.items():
                    for unit in hashes.get(text_hmac(keys[doc_id], text), ()):
                        places[unit.id].setdefault(copy.name, []).append(hit)
    by_doc: dict[str, list[UnitKey]] = defaultdict(list)
    for unit in units:
        by_doc[unit.doc_id].append(unit)
    for doc_id, own in by_doc.items():
        if doc_id not in keys:
            continue
        for index, unit in enumerate(own):
            if unit.id in places:
                continue

            def verify(text: str, key: bytes = keys[doc_id], digest: str = unit.hmac) -> bool:
                return text_hmac(key, text) == digest

            for copy in prepared:
                region = _region(own, index, copy.name, len(copy.flat), places)
                if region is not None and (
                    interrupted := _find_interrupted(unit, copy, *region, verify)
                ):
                    places[unit.id][copy.name] = [interrupted]
                    break
    found: dict[str, Found] = {}
    for own in by_doc.values():
        counts = Counter(name for unit in own for name in places.get(unit.id, ()))
        ranked = sorted(counts, key=lambda name: (-counts[name], name))
        for unit in own:
            name = next((name for name in ranked if name in places.get(unit.id, ())), None)
            if name is not None:
                found[unit.id] = places[unit.id][name][0]
    return found


def _region(
    own: Sequence[UnitKey],
    index: int,
    copy: str,
    size: int,
    places: Mapping[str, Mapping[str, list[Found]]],
) -> tuple[int, int] | None:
    """Return the characters of a copy between the nearest found units around ``own[index]``."""
    hits = [places.get(unit.id, {}).get(copy) for unit in own]
    before = next((h for h in reversed(hits[:index]) if h), None)
    after = next((h for h in hits[index + 1 :] if h), None)
    if before is None:
        return None if after is None else (0, max(hit.start for hit in after))
    if after is None:
        return min(hit.end for hit in before), size
    pairs = [(b.end, a.start) for b in before for a in after if b.end <= a.start]
    return min(pairs, key=lambda pair: pair[1] - pair[0]) if pairs else None


def _find_interrupted(
    unit: UnitKey, copy: _Copy, lo: int, hi: int, verify: Callable[[str], bool]
) -> Found | None:
    """Return the unit's text from two runs of ``copy[lo:hi]`` with furniture between them.

    A candidate is taken when ``verify`` accepts its text.
    """
    for n_before, before in unit.splits():
        after = unit.length - before - 1
        heads = copy.windows(unit.shape(0, n_before), lo, hi)
        if not heads.size:
            continue
        tails = copy.windows(unit.shape(n_before), lo, hi)
        tail_starts = copy.starts[tails]
        head_ends = copy.ends[heads + n_before - 1]
        firsts = np.searchsorted(tail_starts, head_ends, side="right")
        lasts = np.searchsorted(tail_starts, head_ends + MAX_GAP, side="right")
        for head, first, last in zip(heads, firsts, lasts, strict=True):
            for tail in tails[first:last]:
                text = copy.text_at(head, before) + " " + copy.text_at(tail, after)
                if verify(text):
                    start = int(copy.starts[head])
                    return Found(text, copy.name, start, int(copy.starts[tail]) + after)
    return None


def read_copies(sources: Path) -> tuple[dict[str, str], list[str]]:
    """Read every UTF-8 text file under ``sources``; return name → text and the skipped files.

    Hidden files and folders are left out; a byte-order mark is dropped.

    Raises:
        MigbenchError: ``sources`` is not a folder or holds no readable text file.
    """
    if not sources.is_dir():
        raise MigbenchError(
            f"{sources}: not a folder; pass the folder with your copies of the sources"
        )
    copies, skipped = {}, []
    total = 0
    for path in sorted(sources.rglob("*")):
        relative = path.relative_to(sources)
        if path.is_dir() or any(part.startswith(".") for part in relative.parts):
            continue
        name = relative.as_posix()
        try:  # a FIFO or device is skipped unread, a large file unread
            data = read_bytes(path, max_bytes=MAX_COPY_BYTES)
            copies[name] = data.decode("utf-8-sig")
        except InputError as exc:
            skipped.append(f"{name} ({clip(str(exc))})")
            continue
        except UnicodeDecodeError:
            skipped.append(f"{name} (not readable as UTF-8 text)")
            continue
        total += len(data)
        if total > MAX_SOURCES_BYTES:
            raise MigbenchError(
                f"{sources}: its copies hold more than the {MAX_SOURCES_BYTES}-byte limit; "
                "pass a folder with the copies of the dataset's sources only"
            )
    if not copies:
        raise MigbenchError(f"{sources}: no UTF-8 text file to restore the text from")
    return copies, skipped


def copy_of_documents(units: Sequence[UnitKey], found: Mapping[str, Found]) -> dict[str, str]:
    """Return doc id → the copy most of its found units come from (first name on a tie)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for unit in units:
        if unit.id in found:
            counts[unit.doc_id][found[unit.id].copy] += 1
    return {doc: min(c, key=lambda name: (-c[name], name)) for doc, c in counts.items()}


def missing_report(
    units: Sequence[UnitKey], found: Mapping[str, Found], sources: Path
) -> list[str]:
    """Return why units were not found: one line per unit, or per document when many are."""
    copy_of = copy_of_documents(units, found)
    by_doc: dict[str, list[UnitKey]] = defaultdict(list)
    for unit in units:
        by_doc[unit.doc_id].append(unit)
    lines = []
    for doc_id, own in by_doc.items():
        missing = [unit.id for unit in own if unit.id not in found]
        if not missing:
            continue
        if doc_id not in copy_of:
            lines.append(f"{doc_id}: none of its {len(own)} units is in any file of {sources}")
        elif len(missing) <= MAX_UNIT_LINES:
            lines += [
                f"{uid}: text not found in copy {copy_of[doc_id]} (edited?)" for uid in missing
            ]
        else:
            lines.append(
                f"{doc_id}: {len(missing)} of {len(own)} units not found in copy "
                f"{copy_of[doc_id]}, the file with most of its units (another text?): "
                + _id_ranges(own, found)
            )
    return lines


def _id_ranges(own: Sequence[UnitKey], found: Mapping[str, Found]) -> str:
    """Return the missing units of one document as runs of ids, e.g. ``0003-0004, 0006``."""
    runs: list[list[str]] = []
    previous_missing = False
    for unit in own:
        missing = unit.id not in found
        suffix = unit.id.removeprefix(f"{unit.doc_id}-")
        if missing and previous_missing:
            runs[-1][1:] = [suffix]
        elif missing:
            runs.append([suffix])
        previous_missing = missing
    return ", ".join("-".join(run) for run in runs)


def _read_rows(path: Path) -> tuple[list[dict], Features]:
    try:
        status = os.lstat(path)
    except OSError as exc:
        raise MigbenchError(f"{path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(status.st_mode):
        raise MigbenchError(f"{path}: is {file_kind(status.st_mode)}, not a dataset file")
    if status.st_size > MAX_PARQUET_BYTES:
        raise MigbenchError(f"{path}: larger than the {MAX_PARQUET_BYTES}-byte limit")
    try:
        table = pq.read_table(path)
        features = Features.from_arrow_schema(table.schema)
    except Exception as exc:  # pyarrow and datasets raise many kinds for a damaged file
        raise MigbenchError(f"{path}: not a readable dataset file ({clip(str(exc))})") from None
    return table.to_pylist(), features


def read_unit_keys(dataset: Path) -> list[UnitKey]:
    """Read what a dataset tells of its units' texts, from its ``all`` and ``documents`` configs.

    Raises:
        MigbenchError: A file is missing, damaged, lacks a column or names an unknown document.
    """
    documents_path = dataset / DATA_DIR / "documents" / f"{DOCUMENTS_SPLIT}.parquet"
    if not documents_path.is_file():
        raise MigbenchError(f"{documents_path}: not found; is {dataset} a migbench dataset?")
    documents, features = _read_rows(documents_path)
    _require(documents_path, features, ("doc_id",))
    doc_ids = [row["doc_id"] for row in documents]
    keys = []
    seen: set[str] = set()
    for path in sorted((dataset / DATA_DIR / "all").glob("*.parquet")):
        rows, features = _read_rows(path)
        _require(path, features, (*_UNIT_COLUMNS, "paragraph"))
        for row in rows:
            unit_id = row["id"]
            if not isinstance(unit_id, str) or row["doc_id"] not in doc_ids:
                raise MigbenchError(
                    f"{path}: unit {quote(unit_id)} has doc id {quote(row['doc_id'])}, not a "
                    f"document of the dataset ({', '.join(map(str, doc_ids))})"
                )
            if unit_id in seen:
                raise MigbenchError(f"{path}: unit {quote(unit_id)} is on more than one row")
            seen.add(unit_id)
            offsets = _offsets(row["token_offsets"])
            if not offsets or not isinstance(row["text_hmac"], str):
                raise MigbenchError(
                    f"{path}: unit {quote(unit_id)} lacks token_offsets (pairs of integers, "
                    "start before end) or text_hmac"
                )
            unit_order(unit_id, row["doc_id"])
            keys.append(UnitKey(unit_id, row["doc_id"], row["text_hmac"], offsets))
    if not keys:
        raise MigbenchError(
            f"{dataset / DATA_DIR / 'all'}: no units; is {dataset} a migbench dataset?"
        )
    return sorted(keys, key=lambda key: unit_order(key.id, key.doc_id))


def _require(path: Path, features: Features, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in features]
    if missing:
        raise MigbenchError(
            f"{path}: lacks {', '.join(missing)}; rebuild the text-free dataset with "
            "`migbench build --no-text`"
        )


def _offsets(value: object) -> tuple[tuple[int, int], ...] | None:
    """Return token offsets as (start, end) pairs, or None unless they are such pairs."""
    if not isinstance(value, list):
        return None
    pairs = []
    for pair in value:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(type(item) is int for item in pair)
            and 0 <= pair[0] < pair[1]
        ):
            return None
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _check_ids(dataset: Path, known: Mapping[str, str], documents_path: Path) -> None:
    """Refuse a parquet file with a unit the ``all`` config lacks, before anything is written."""
    for path in sorted((dataset / DATA_DIR).glob("*/*.parquet")):
        if path == documents_path:
            continue
        for row in _read_rows(path)[0]:
            if row.get("id") not in known:
                raise MigbenchError(f"{path}: unit {row.get('id')!r} is not in the all config")


class _Located(NamedTuple):
    id: str
    doc_id: str
    text: str


def _unit_texts(dataset: Path, texts: dict[str, str]) -> tuple[dict, dict]:
    """Return unit id → (previous, next) text and doc id → [(paragraph, text)]."""
    rows = []
    for path in sorted((dataset / DATA_DIR / "all").glob("*.parquet")):
        rows.extend(_read_rows(path)[0])
    rows.sort(key=lambda row: unit_order(row["id"], row["doc_id"]))
    context = context_of([_Located(r["id"], r["doc_id"], texts[r["id"]]) for r in rows])
    paragraphs = defaultdict(list)
    for row in rows:
        paragraphs[row["doc_id"]].append((row["paragraph"], texts[row["id"]]))
    return context, paragraphs


def _restore_unit(row: dict, texts: dict, context: dict) -> dict:
    text = texts[row["id"]]
    restored = {
        **row,
        "text": text,
        "prev_text": context[row["id"]][0],
        "next_text": context[row["id"]][1],
    }
    if "tokens" in row:
        restored["tokens"] = token_texts(text)
    if "entities" in row:
        restored["entities"] = [
            _restore_entity(entity, row["id"], text) for entity in row["entities"] or ()
        ]
    return restored


def _restore_entity(entity: dict, unit_id: str, text: str) -> dict:
    start, end = entity.get("start"), entity.get("end")
    if not (type(start) is int and type(end) is int and 0 <= start < end <= len(text)):
        raise MigbenchError(
            f"unit {quote(unit_id)}: entity {quote(entity)} has no valid start and end "
            f"within its {len(text)} characters"
        )
    return {**entity, "text": text[start:end]}


def _check_regular(dataset: Path) -> None:
    """Refuse a dataset folder holding a symlink, FIFO or device: its copy would follow or block."""
    if not dataset.is_dir():
        raise MigbenchError(f"{dataset}: not a folder; pass the text-free dataset folder")
    links, special = [], []
    for path in sorted(dataset.rglob("*")):
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            links.append(str(path.relative_to(dataset)))
        elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            special.append(f"{path.relative_to(dataset)} ({file_kind(mode)})")
    if links:
        raise MigbenchError(
            f"{dataset}: holds symlinks ({', '.join(links[:5])}); a dataset folder holds regular "
            "files only, so replace them with the files"
        )
    if special:
        raise MigbenchError(
            f"{dataset}: holds files that are not regular files ({', '.join(special[:5])}); "
            "a dataset folder holds regular files only"
        )


def rehydrate(dataset: Path, sources: Path, out: Path) -> dict[str, str]:
    """Write a copy of a text-free dataset with every text column restored from ``sources``.

    Returns:
        Doc id → the copy most of its units were found in.

    Raises:
        MigbenchError: A dataset file is damaged or inconsistent, the dataset holds a symlink
            (its copy would follow it out of the folder), ``sources`` holds no text, or a unit's
            text is in no copy; the message names every such unit, and nothing is written.
    """
    check_output_dir(out, inputs=(dataset, sources))
    _check_regular(dataset)
    units = read_unit_keys(dataset)
    documents_path = dataset / DATA_DIR / "documents" / f"{DOCUMENTS_SPLIT}.parquet"
    documents, document_features = _read_rows(documents_path)
    copies, skipped = read_copies(sources)
    for line in skipped:
        log.warning("skipped %s", line)
    found = find_units(units, copies)
    problems = missing_report(units, found, sources)
    if problems:
        problems += [f"skipped {line}" for line in skipped]
        raise MigbenchError(
            f"{len(units) - len(found)} of {len(units)} units could not be restored from the "
            f"copies in {sources}; nothing was written:\n  " + "\n  ".join(problems)
        )
    copy_of = copy_of_documents(units, found)
    for doc_id, copy in copy_of.items():
        log.info("%s: restored from %s", doc_id, copy)
    for unit in units:
        hit = found[unit.id]
        if hit.copy != copy_of[unit.doc_id]:
            log.info("%s: found in %s", unit.id, hit.copy)
        if hit.interruption:
            log.info("%s: found in two parts, %d characters apart", unit.id, hit.interruption)
    texts = {unit_id: hit.text for unit_id, hit in found.items()}
    _check_ids(dataset, texts, documents_path)
    context, paragraphs = _unit_texts(dataset, texts)
    with output_dir(out, inputs=(dataset, sources)) as staging:
        shutil.copytree(
            dataset, staging, ignore=shutil.ignore_patterns("*.parquet"), dirs_exist_ok=True
        )
        for path in sorted((dataset / DATA_DIR).glob("*/*.parquet")):
            target = staging / path.relative_to(dataset)
            if path == documents_path:
                rows = [{**d, "text": join_document(paragraphs[d["doc_id"]])} for d in documents]
                write_parquet(target, rows, document_features)
                continue
            rows, features = _read_rows(path)
            write_parquet(target, [_restore_unit(row, texts, context) for row in rows], features)
    return copy_of
