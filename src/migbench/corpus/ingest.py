"""Ingestion: copy a new source document into the seeds folder and add its manifest row.

Apart from :mod:`~migbench.corpus.seeds`, because it segments the new document to check that it
yields units, and segmentation reads seeds.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from migbench import jsonio
from migbench.corpus.seeds import (
    DOC_ID,
    MAX_DOC_ID_CHARS,
    MAX_FIELD_CHARS,
    MAX_SEED_BYTES,
    PROVENANCE_FIELDS,
    UNKNOWN,
    Document,
    SeedEntry,
    check_evidence,
    file_name_problem,
    read_manifest,
    write_manifest,
)
from migbench.corpus.segment import segment_document
from migbench.errors import MigbenchError
from migbench.fileio import SEEDS, write_new
from migbench.schema import GENRES


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
    states to the words that state it. Everything is checked before anything is written; the
    seed file is created (never replacing anything) and the manifest rewritten together: if the
    manifest cannot be written, the new seed file is removed again.

    Raises:
        MigbenchError: The file is not a readable UTF-8 regular file or yields no unit, its name
            is reserved, hidden, not UTF-8 or already in the seeds folder, the doc id is
            malformed or taken, the same bytes are already a seed, or an evidence quote is not
            in the text.
    """
    if len(doc_id) > MAX_DOC_ID_CHARS or not DOC_ID.fullmatch(doc_id):
        raise MigbenchError(
            f"doc id {jsonio.quote(doc_id)}: use lower-case letters, digits and single hyphens, "
            f"at most {MAX_DOC_ID_CHARS} characters"
        )
    if genre not in GENRES:
        raise MigbenchError(f"genre {jsonio.quote(genre)}: valid genres are {', '.join(GENRES)}")
    fields = zip(PROVENANCE_FIELDS, (outlet, author, date, title, location, url), strict=True)
    for name, value in fields:
        if len(value) > MAX_FIELD_CHARS or not value.isprintable():
            raise MigbenchError(
                f"{name} {jsonio.quote(value)}: one line of printable text, "
                f"at most {MAX_FIELD_CHARS} characters"
            )
    if problem := file_name_problem(source.name):
        raise MigbenchError(f"{jsonio.quote(source.name)}: {problem}")
    data = jsonio.read_bytes(source, max_bytes=MAX_SEED_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigbenchError(f"{source}: not UTF-8 (byte {exc.start})") from None
    entries = read_manifest(seeds_dir)
    digest = hashlib.sha256(data).hexdigest()
    for entry in entries:
        if entry.doc_id == doc_id:
            raise MigbenchError(f"doc id {doc_id!r} is already used by {entry.file}")
        if entry.file == source.name:
            raise MigbenchError(f"{source.name}: a seed of that name exists ({entry.doc_id})")
        if entry.sha256 == digest:
            raise MigbenchError(f"{source}: the same bytes are already seed {entry.doc_id}")
    target = seeds_dir / source.name
    if os.path.lexists(target):
        raise MigbenchError(
            f"{target}: a file of that name is already in the seeds folder; rename the source"
        )
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
    if not text.strip() or not segment_document(Document(entry=entry, raw=text)):
        raise MigbenchError(f"{source}: the document yields no unit (is it empty?)")
    write_new(target, data, owns=SEEDS)
    try:
        write_manifest(seeds_dir, [*entries, entry])
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return entry
