"""The dataset folder's data files: where they lie and how they are written.

Kept apart from the build so that rehydration, which rewrites the same files, needs only the core
dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datasets import Dataset, Features, disable_progress_bars

DATA_DIR = "data"
#: The documents config is not divided; the Hub names the one split of such data ``train``.
DOCUMENTS_SPLIT = "train"


def write_parquet(path: Path, rows: list[dict], features: Features) -> None:
    """Write rows as parquet with the features in its metadata, atomically."""
    disable_progress_bars()  # one bar for the whole build, not one per file
    dataset = Dataset.from_list(rows, features=features)
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(tmp))
    tmp.replace(path)


def join_document(units: Sequence[tuple[int, str]]) -> str:
    """Return a cleaned document's text from its (paragraph, unit text) pairs in reading order."""
    paragraphs: dict[int, list[str]] = {}
    for paragraph, text in units:
        paragraphs.setdefault(paragraph, []).append(text)
    return "\n\n".join(" ".join(texts) for texts in paragraphs.values())
