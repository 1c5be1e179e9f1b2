"""Shared fixtures: the repository's seeds, units and annotations, and tiny inputs for bad-input
tests. Repository data is read once per session, when a test first asks for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migbench.annotation.store import read_annotators
from migbench.corpus.seeds import SeedEntry, load_documents, sha256_of, write_manifest
from migbench.corpus.units import load_units
from migbench.labelstudio.export import load_annotated_units

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


@pytest.fixture(scope="session")
def seed_documents() -> list:
    """The repository's seed documents, verified."""
    return load_documents(SEEDS)


@pytest.fixture(scope="session")
def repo_units() -> list:
    """The units of the repository's seeds."""
    return load_units(SEEDS)[1]


@pytest.fixture(scope="session")
def repo_annotated(repo_units) -> dict:
    """The committed exports: unit id → the unit with its annotations."""
    return load_annotated_units(REPO / "annotations", repo_units)


@pytest.fixture(scope="session")
def repo_annotators() -> dict:
    """The committed annotator list."""
    return read_annotators(REPO / "annotations")
