"""Shared fixtures: the repository's seeds, and a tiny seeds folder for bad-input tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migbench.corpus.seeds import SeedEntry, sha256_of, write_manifest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's seeds folder."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def tiny_seeds(tmp_path: Path) -> Path:
    """A seeds folder with one short news document and no cleaning rules."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    doc = folder / "tiny.txt"
    doc.write_text(
        "# A Heading\n\nMr. Smith met Dr. Rao in the U.S. on Monday. They talked.\n"
        "India-US ties grew 2.0 per cent.\n",
        encoding="utf-8",
    )
    write_manifest(
        folder,
        [SeedEntry(doc_id="tiny", file="tiny.txt", sha256=sha256_of(doc), genre="news", words=18)],
    )
    return folder
