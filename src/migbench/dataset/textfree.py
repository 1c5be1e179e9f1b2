"""The text-free variant: rows with offsets and hashes but none of the source text."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from migbench import jsonio
from migbench.errors import MigbenchError

#: Unit columns that hold source text. ``text_sha256``, ``ranges`` and ``token_offsets`` stay:
#: they are not text, and rehydration finds each unit's text in a user's copy by them.
UNIT_TEXT_COLUMNS = ("text", "prev_text", "next_text", "tokens")


#: Largest dataset (parquet) file read, in bytes (docs/SECURITY.md).
MAX_PARQUET_BYTES = 64 * 1024 * 1024


def strip_unit_row(row: dict) -> dict:
    """Return a copy of a unit row without source text (entity offsets and labels stay)."""
    stripped = {key: (None if key in UNIT_TEXT_COLUMNS else value) for key, value in row.items()}
    if "entities" in row:
        stripped["entities"] = [{**entity, "text": None} for entity in row["entities"]]
    return stripped


def strip_document(row: dict) -> dict:
    """Return a copy of a document row without its text."""
    return {**row, "text": None}


def holds_text(folder: Path) -> bool:
    """Whether any parquet file of a dataset folder has a source text in its ``text`` column."""
    for path in sorted(folder.glob("data/*/*.parquet")):
        jsonio.open_regular(path, max_bytes=MAX_PARQUET_BYTES).close()  # not a FIFO, not a folder
        try:
            if "text" not in pq.read_schema(path).names:
                continue
            column = pq.read_table(path, columns=["text"]).column("text")
        except Exception as exc:  # pyarrow raises many kinds for a damaged file
            raise MigbenchError(
                f"{path}: not a readable parquet file ({jsonio.clip(str(exc))})"
            ) from None
        if column.null_count < len(column):
            return True
    return False
