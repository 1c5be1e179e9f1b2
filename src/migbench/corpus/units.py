"""The units of the seeds: one call that verifies, segments and attaches context."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from migbench.corpus.seeds import Document, load_documents
from migbench.corpus.segment import Unit, segment_document


def load_units(
    seeds_dir: Path, doc_ids: list[str] | None = None
) -> tuple[list[Document], list[Unit]]:
    """Verify the seeds and return the documents and their units, in manifest order."""
    documents = load_documents(seeds_dir, doc_ids)
    units = [unit for document in documents for unit in segment_document(document)]
    return documents, units


class Located(Protocol):
    """What :func:`context_of` reads of a unit: its id, its document and its text."""

    @property
    def id(self) -> str:
        """The unit's id."""

    @property
    def doc_id(self) -> str:
        """The id of the unit's document."""

    @property
    def text(self) -> str:
        """The unit's text."""


def context_of(units: Sequence[Located]) -> dict[str, tuple[str, str]]:
    """Map each unit id to the texts of the previous and next unit of its document ('' at edges)."""
    context: dict[str, tuple[str, str]] = {}
    for position, unit in enumerate(units):
        before = units[position - 1] if position > 0 else None
        after = units[position + 1] if position + 1 < len(units) else None
        context[unit.id] = (
            before.text if before is not None and before.doc_id == unit.doc_id else "",
            after.text if after is not None and after.doc_id == unit.doc_id else "",
        )
    return context
