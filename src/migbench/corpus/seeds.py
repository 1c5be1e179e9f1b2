"""Source documents: the manifest, checksum verification and cleaning rules.

Every command that reads a seed goes through :func:`load_documents`, which refuses a missing or
modified file. The cleaning rules are data (``seeds/cleaning.json``): one declared list of
removals per document plus the regions whose unit type the text alone does not reveal.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.fileio import SEEDS, write_atomic
from migbench.schema import GENRES, UNIT_TYPES

MANIFEST_NAME = "manifest.json"
CLEANING_NAME = "cleaning.json"
UNKNOWN = "unknown"
#: Manifest fields that describe where a document comes from; each is ``unknown`` unless the
#: text itself states it, and then the manifest quotes the statement under ``evidence``.
PROVENANCE_FIELDS = ("outlet", "author", "date", "title", "location", "url")
DOC_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Largest seed document read, in bytes.
MAX_SEED_BYTES = 16 * 1024 * 1024
#: Largest manifest or cleaning rules file read, in bytes.
MAX_RULES_BYTES = 16 * 1024 * 1024
#: Longest file name or metadata value of a seed, in characters.
MAX_FIELD_CHARS = 200
#: Longest doc id, in characters.
MAX_DOC_ID_CHARS = 64


@dataclass(frozen=True)
class SeedEntry:
    """One row of the manifest: provenance of one source document.

    Attributes:
        location: The place the text says it was written or filed from (a dateline).
        url: The address the text gives for itself.
        evidence: Provenance field → the words of the text that state it, verbatim.
        search: Where the record is incomplete, what to search for to find the text: the
            project's own words, from what the text says of itself.
    """

    doc_id: str
    file: str
    sha256: str
    genre: str
    outlet: str = UNKNOWN
    author: str = UNKNOWN
    date: str = UNKNOWN
    title: str = UNKNOWN
    location: str = UNKNOWN
    url: str = UNKNOWN
    words: int = 0
    evidence: Mapping[str, str] = field(default_factory=dict)
    search: str = ""


@dataclass(frozen=True)
class Removal:
    """A raw character range that is not document content, with the reason it goes."""

    start: int
    end: int
    reason: str
    begins: str


@dataclass(frozen=True)
class Region:
    """A raw character range whose units get a declared unit type (captions, bylines)."""

    start: int
    end: int
    unit_type: str
    begins: str


@dataclass(frozen=True)
class CleaningRules:
    """The declared cleaning of one document."""

    removals: tuple[Removal, ...] = ()
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class Document:
    """A verified seed: its manifest entry, raw text and cleaning rules."""

    entry: SeedEntry
    raw: str
    rules: CleaningRules = field(default_factory=CleaningRules)

    @property
    def doc_id(self) -> str:
        """The document's id, from its manifest entry."""
        return self.entry.doc_id


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    return hashlib.sha256(jsonio.read_bytes(path, max_bytes=MAX_SEED_BYTES)).hexdigest()


def _check_entry(entry: SeedEntry, where: str) -> None:
    if len(entry.doc_id) > MAX_DOC_ID_CHARS or not DOC_ID.fullmatch(entry.doc_id):
        raise MigbenchError(f"{where}: doc id {jsonio.quote(entry.doc_id)} is not a slug")
    if entry.genre not in GENRES:
        raise MigbenchError(
            f"{where}: genre {jsonio.quote(entry.genre)}; valid genres are {', '.join(GENRES)}"
        )
    if file_name_problem(entry.file):
        raise MigbenchError(
            f"{where}: file {jsonio.quote(entry.file)}: {file_name_problem(entry.file)}"
        )
    if not _SHA256.fullmatch(entry.sha256):
        raise MigbenchError(f"{where}: sha256 {jsonio.quote(entry.sha256)} is not 64 hex digits")


def read_manifest(seeds_dir: Path) -> list[SeedEntry]:
    """Read ``manifest.json`` of a seeds folder.

    Raises:
        MigbenchError: The manifest is missing, not strict JSON, or a row is malformed.
    """
    path = seeds_dir / MANIFEST_NAME
    if not path.exists():
        raise MigbenchError(f"{path}: manifest not found")
    rows = jsonio.read_json(path, max_bytes=MAX_RULES_BYTES)
    if not isinstance(rows, list):
        raise MigbenchError(f"{path}: expected a JSON list of documents")
    entries = []
    for number, row in enumerate(rows, 1):
        entry = jsonio.as_record(SeedEntry, row, f"{path}, entry {number}")
        _check_entry(entry, f"{path}, entry {number}")
        entries.append(entry)
    for key in ("doc_id", "file"):
        values = [getattr(entry, key) for entry in entries]
        if repeated := sorted({v for v in values if values.count(v) > 1}):
            raise MigbenchError(f"{path}: {key} repeated: {', '.join(map(jsonio.quote, repeated))}")
    return entries


def write_manifest(seeds_dir: Path, entries: list[SeedEntry]) -> None:
    """Write the manifest, sorted by file name, atomically."""
    rows = [asdict(entry) for entry in sorted(entries, key=lambda e: e.file)]
    text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    write_atomic(seeds_dir / MANIFEST_NAME, text, owns=SEEDS)


def read_cleaning_rules(seeds_dir: Path) -> dict[str, CleaningRules]:
    """Read ``cleaning.json``: doc id → declared removals and regions.

    Raises:
        MigbenchError: The file is not strict JSON or a rule is malformed.
    """
    path = seeds_dir / CLEANING_NAME
    if not path.exists():
        return {}
    data = jsonio.read_json(path, max_bytes=MAX_RULES_BYTES)
    if not isinstance(data, dict):
        raise MigbenchError(f"{path}: expected a JSON object of doc id → rules")
    rules = {}
    for doc_id, given in data.items():
        where = f"{path}, {jsonio.quote(doc_id)}"
        if not isinstance(given, dict) or not set(given) <= {"removals", "regions"}:
            raise MigbenchError(f"{where}: expected an object with removals and regions lists")
        lists = {}
        for key, cls in (("removals", Removal), ("regions", Region)):
            items = given.get(key, [])
            if not isinstance(items, list):
                raise MigbenchError(f"{where}: {key} must be a list")
            lists[key] = tuple(
                jsonio.as_record(cls, item, f"{where}, {key} {n}")
                for n, item in enumerate(items, 1)
            )
        rules[doc_id] = CleaningRules(**lists)
    return rules


def load_documents(seeds_dir: Path, doc_ids: list[str] | None = None) -> list[Document]:
    """Load and verify the seeds listed in the manifest.

    Raises:
        MigbenchError: A seed is missing, its sha256 differs from the manifest, it is empty,
            an asked-for doc id is unknown, or a cleaning rule does not match the text.
    """
    entries = read_manifest(seeds_dir)
    by_id = {entry.doc_id: entry for entry in entries}
    if doc_ids is not None:
        unknown = [doc_id for doc_id in doc_ids if doc_id not in by_id]
        if unknown:
            raise MigbenchError(
                f"unknown doc id(s) {', '.join(map(jsonio.quote, unknown))}; "
                f"known: {', '.join(sorted(by_id))}"
            )
        entries = [by_id[doc_id] for doc_id in doc_ids]
    rules = read_cleaning_rules(seeds_dir)
    stray = sorted(set(rules) - set(by_id))
    if stray:
        raise MigbenchError(f"{seeds_dir / CLEANING_NAME}: rules for unknown doc id(s) {stray}")
    return [
        _load_document(seeds_dir, entry, rules.get(entry.doc_id, CleaningRules()))
        for entry in entries
    ]


def _load_document(seeds_dir: Path, entry: SeedEntry, rules: CleaningRules) -> Document:
    path = seeds_dir / entry.file
    if not path.exists():
        raise MigbenchError(
            f"{path}: seed file is missing (listed in the manifest as {entry.doc_id})"
        )
    data = jsonio.read_bytes(path, max_bytes=MAX_SEED_BYTES)
    actual = hashlib.sha256(data).hexdigest()
    if actual != entry.sha256:
        raise MigbenchError(
            f"{path}: sha256 {actual} differs from the manifest's {entry.sha256}; "
            "seeds must stay byte-identical to their sources"
        )
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigbenchError(f"{path}: not UTF-8 (byte {exc.start})") from None
    if not raw.strip():
        raise MigbenchError(f"{path}: seed is empty")
    check_evidence(entry, raw, where=str(seeds_dir / MANIFEST_NAME))
    for rule in rules.removals + rules.regions:
        if not (0 <= rule.start < rule.end <= len(raw)) or not raw[
            rule.start : rule.end
        ].startswith(rule.begins):
            raise MigbenchError(
                f"{seeds_dir / CLEANING_NAME}: rule {rule} for {entry.doc_id} "
                f"does not match the text at {rule.start}:{rule.end}"
            )
        if isinstance(rule, Region) and rule.unit_type not in UNIT_TYPES:
            raise MigbenchError(
                f"{seeds_dir / CLEANING_NAME}: unit type {jsonio.quote(rule.unit_type)} "
                f"for {entry.doc_id}; "
                f"valid: {', '.join(UNIT_TYPES)}"
            )
    return Document(entry=entry, raw=raw, rules=rules)


def check_evidence(entry: SeedEntry, raw: str, *, where: str) -> None:
    """Check that every quote under ``evidence`` names a provenance field and is in the text.

    Raises:
        MigbenchError: A quote is for another field or is not in the text, naming ``where``.
    """
    if not isinstance(entry.evidence, Mapping):
        raise MigbenchError(f"{where}: {entry.doc_id}: evidence must be an object")
    for name, quote in entry.evidence.items():
        if name not in PROVENANCE_FIELDS:
            raise MigbenchError(
                f"{where}: {entry.doc_id}: evidence for {name!r}; "
                f"valid: {', '.join(PROVENANCE_FIELDS)}"
            )
        if not isinstance(quote, str) or not quote.strip() or quote not in raw:
            raise MigbenchError(
                f"{where}: {entry.doc_id}: the evidence for {name} ({quote!r}) "
                f"is not in {entry.file}"
            )


def file_name_problem(name: str) -> str | None:
    """Say why ``name`` cannot be a seed file's name; None if it can."""
    if name in (MANIFEST_NAME, CLEANING_NAME):
        return "reserved for the seeds folder's own files; rename the source"
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return "a seed file needs a plain, visible file name"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not UTF-8; rename the source"
    if not name.isprintable() or len(name) > MAX_FIELD_CHARS:
        return f"the file name must be printable and at most {MAX_FIELD_CHARS} characters"
    return None
