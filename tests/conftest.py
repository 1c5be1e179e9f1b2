"""Shared paths and fixtures: the repository's seeds, units, annotations and built datasets, and
tiny inputs for bad-input tests. Repository data is read, and a dataset built, once per session,
when a test first asks for it; a test that asks is marked ``integration`` (left out of
``make check-unit``), and one that needs a built dataset ``slow`` as well (left out of
``make check-fast``)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from migbench.annotation.store import read_annotators
from migbench.corpus.seeds import SeedEntry, load_documents, sha256_of, write_manifest
from migbench.corpus.units import load_units
from migbench.labelstudio.export import load_annotated_units
from migbench.scoring.gold import GoldRecord, load_gold_file

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"
#: The committed dataset, which the release tests hold equal to a fresh build.
DATASET = REPO / "dataset"
EXAMPLES = REPO / "examples"
#: The tiny gold file of the scorer's tests (12 units, every layer).
GOLD = REPO / "tests" / "fixtures" / "gold.jsonl"


@cache
def gold_units() -> tuple[GoldRecord, ...]:
    """The units of :data:`GOLD`, read on first use (strategies and tests share them)."""
    return tuple(load_gold_file(GOLD))


#: Fixtures that read the repository's data or build a dataset: their tests are integration tests.
DATA_FIXTURES = frozenset(
    {
        "seed_documents",
        "repo_units",
        "repo_annotated",
        "repo_annotators",
        "seeds_copy",
    }
)
#: Fixtures that build a dataset (seconds each): their tests are slow tests.
BUILD_FIXTURES = frozenset({"built_dataset", "built_text_free"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use repository data ``integration``, those that build ``slow``."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & (DATA_FIXTURES | BUILD_FIXTURES):
            item.add_marker(pytest.mark.integration)
        if used & BUILD_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory) -> Path:
    """The dataset built afresh from the repository's seeds and annotations, once per session."""
    from migbench.dataset.build import build_dataset

    out = tmp_path_factory.mktemp("build") / "dataset"
    build_dataset(SEEDS, ANNOTATIONS, out)
    return out


@pytest.fixture(scope="session")
def built_text_free(tmp_path_factory) -> Path:
    """The text-free variant built from the repository's inputs, once per session."""
    from migbench.dataset.build import build_dataset

    out = tmp_path_factory.mktemp("notext") / "dataset-notext"
    build_dataset(SEEDS, ANNOTATIONS, out, with_text=False)
    return out


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
