"""Source documents: the manifest, checksum verification, cleaning rules and ingestion.

Every command that reads a seed goes through :func:`load_documents`, which refuses a missing or
modified file. The cleaning rules are data (``seeds/cleaning.json``): one declared list of
removals per document plus the regions whose unit type the text alone does not reveal.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from migbench.errors import MigbenchError
from migbench.fileio import write_atomic
from migbench.schema import GENRES, UNIT_TYPES

MANIFEST_NAME = "manifest.json"
CLEANING_NAME = "cleaning.json"
UNKNOWN = "unknown"
#: Manifest fields that describe where a document comes from; each is ``unknown`` unless the
#: text itself states it, and then the manifest quotes the statement under ``evidence``.
PROVENANCE_FIELDS = ("outlet", "author", "date", "title", "location", "url")
_DOC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class SeedEntry:
    """One row of the manifest: provenance of one source document.

    Attributes:
        location: The place the text says it was written or filed from (a dateline).
        url: The address the text gives for itself.
        evidence: Provenance field → the words of the text that state it, verbatim.
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
        return self.entry.doc_id


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(seeds_dir: Path) -> list[SeedEntry]:
    """Read ``manifest.json`` of a seeds folder."""
    path = seeds_dir / MANIFEST_NAME
    if not path.is_file():
        raise MigbenchError(f"{path}: manifest not found")
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [SeedEntry(**row) for row in rows]
    except (ValueError, TypeError) as exc:
        raise MigbenchError(f"{path}: not a valid manifest ({exc})") from None


def write_manifest(seeds_dir: Path, entries: list[SeedEntry]) -> None:
    """Write the manifest, sorted by file name, atomically."""
    rows = [asdict(entry) for entry in sorted(entries, key=lambda e: e.file)]
    write_atomic(seeds_dir / MANIFEST_NAME, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


def read_cleaning_rules(seeds_dir: Path) -> dict[str, CleaningRules]:
    """Read ``cleaning.json``: doc id → declared removals and regions."""
    path = seeds_dir / CLEANING_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            doc_id: CleaningRules(
                removals=tuple(Removal(**r) for r in rules.get("removals", [])),
                regions=tuple(Region(**r) for r in rules.get("regions", [])),
            )
            for doc_id, rules in data.items()
        }
    except (ValueError, TypeError, AttributeError) as exc:
        raise MigbenchError(f"{path}: not valid cleaning rules ({exc})") from None


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
                f"unknown doc id(s) {', '.join(unknown)}; known: {', '.join(sorted(by_id))}"
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
    if not path.is_file():
        raise MigbenchError(
            f"{path}: seed file is missing (listed in the manifest as {entry.doc_id})"
        )
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise MigbenchError(
            f"{path}: sha256 {actual} differs from the manifest's {entry.sha256}; "
            "seeds must stay byte-identical to their sources"
        )
    raw = path.read_bytes().decode("utf-8")
    if not raw.strip():
        raise MigbenchError(f"{path}: seed is empty")
    check_evidence(entry, raw, where=str(seeds_dir / MANIFEST_NAME))
    for rule in (*rules.removals, *rules.regions):
        if not (0 <= rule.start < rule.end <= len(raw)) or not raw[
            rule.start : rule.end
        ].startswith(rule.begins):
            raise MigbenchError(
                f"{seeds_dir / CLEANING_NAME}: rule {rule} for {entry.doc_id} "
                f"does not match the text at {rule.start}:{rule.end}"
            )
        if isinstance(rule, Region) and rule.unit_type not in UNIT_TYPES:
            raise MigbenchError(
                f"{seeds_dir / CLEANING_NAME}: unit type {rule.unit_type!r} for {entry.doc_id}; "
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


def ingest(
    source: Path,
    seeds_dir: Path,
    *,
    doc_id: str,
    genre: str,
    outlet: str = UNKNOWN,
    author: str = UNKNOWN,
    date: str = UNKNOWN,
    title: str = UNKNOWN,
    location: str = UNKNOWN,
    url: str = UNKNOWN,
    evidence: Mapping[str, str] | None = None,
) -> SeedEntry:
    """Copy a new source document into the seeds folder and add its manifest row.

    The provenance fields are those of :class:`SeedEntry`; ``evidence`` maps each one the text
    states to the words that state it.

    Raises:
        MigbenchError: The file is unreadable, empty or not UTF-8, the doc id is malformed or
            taken, the file name is taken, the same bytes are already a seed, or an evidence
            quote is not in the text.
    """
    if not source.is_file():
        raise MigbenchError(f"{source}: not a readable file")
    data = source.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigbenchError(f"{source}: not UTF-8 ({exc})") from None
    if not text.strip():
        raise MigbenchError(f"{source}: document is empty")
    if not _DOC_ID.match(doc_id):
        raise MigbenchError(f"doc id {doc_id!r}: use lower-case letters, digits and single hyphens")
    if genre not in GENRES:
        raise MigbenchError(f"genre {genre!r}: valid genres are {', '.join(GENRES)}")
    entries = read_manifest(seeds_dir)
    digest = hashlib.sha256(data).hexdigest()
    for entry in entries:
        if entry.doc_id == doc_id:
            raise MigbenchError(f"doc id {doc_id!r} is already used by {entry.file}")
        if entry.file == source.name:
            raise MigbenchError(f"{source.name}: a seed of that name exists ({entry.doc_id})")
        if entry.sha256 == digest:
            raise MigbenchError(f"{source}: the same bytes are already seed {entry.doc_id}")
    entry = SeedEntry(
        doc_id=doc_id,
        file=source.name,
        sha256=digest,
        genre=genre,
        outlet=outlet,
        author=author,
        date=date,
        title=title,
        location=location,
        url=url,
        words=len(text.split()),
        evidence=dict(evidence or {}),
    )
    check_evidence(entry, text, where=str(source))
    shutil.copyfile(source, seeds_dir / source.name)
    write_manifest(seeds_dir, [*entries, entry])
    return entry
