"""Every place that states a licence says what it covers; every release is dated by its commit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from migbench import __version__, licensing
from migbench.dataset.descriptions import field_description
from migbench.dataset.textfree import DOCUMENT_TEXT_FIELDS, UNIT_TEXT_FIELDS
from migbench.version import DATASET_RELEASED, DATASET_VERSION

from .conftest import REPO

DATASET = REPO / "dataset"
_HEADING = re.compile(r"^## Dataset (\S+)(?:, scorer (\S+))? \((\d{4}-\d{2}-\d{2})\)$", re.M)


def _read(name: str) -> str:
    return (REPO / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "statement"),
    [
        ("NOTICE", licensing.plain()),
        ("README.md", licensing.markdown()),
        ("DATASHEET.md", licensing.markdown()),
        ("dataset/README.md", licensing.markdown()),
        ("dataset/LICENSE", licensing.plain()),
    ],
)
def test_each_licence_statement_says_what_is_and_is_not_licensed(name, statement):
    assert statement in _read(name)


def test_the_statement_names_both_licences_the_texts_the_basis_and_a_takedown_route():
    text = licensing.plain()
    for words in ("CC-BY-4.0", "Apache-2.0", "Not licensed", "seeds/*.txt", "Basis", "Takedown"):
        assert words in text, words


def test_the_licence_files_point_to_what_they_cover():
    assert _read("LICENSE-annotations").startswith("What this licence covers:")
    assert "NOTICE" in _read("LICENSE-annotations").split("\n\n")[0]
    guidelines = _read("annotations/GUIDELINES.md").split("\n## ")[0]
    assert "not\nlicensed by the project" in guidelines
    assert "(../NOTICE)" in guidelines


def test_croissant_licenses_the_data_and_marks_every_text_field_as_not_licensed():
    metadata = json.loads((DATASET / "croissant.json").read_text(encoding="utf-8"))
    assert metadata["license"] == licensing.DATA_LICENSE_URL
    assert licensing.TAKEDOWN in metadata["usageInfo"]
    assert metadata["datePublished"] == DATASET_RELEASED
    for name in {*UNIT_TEXT_FIELDS, *DOCUMENT_TEXT_FIELDS}:
        assert "not licensed" in field_description(name), name


def test_croissant_has_a_checksum_for_every_parquet_file():
    metadata = json.loads((DATASET / "croissant.json").read_text(encoding="utf-8"))
    objects = {
        item["contentUrl"]: item["sha256"]
        for item in metadata["distribution"]
        if item["@type"] == "cr:FileObject"
    }
    files = sorted(DATASET.glob("data/*/*.parquet"))
    assert sorted(objects) == [path.relative_to(DATASET).as_posix() for path in files]


def _releases() -> list[tuple[str, str | None, str]]:
    return _HEADING.findall(_read("CHANGELOG.md"))


def test_the_changelog_dates_the_current_versions():
    releases = _releases()
    assert releases[0][0] == DATASET_VERSION
    assert releases[0][2] == DATASET_RELEASED
    assert __version__ in [scorer for _, scorer, _ in releases]


_DATASET_FILES = ("src/migbench/schema.py", "src/migbench/version.py")
_SCORER_FILES = ("src/migbench/__init__.py", "src/migbench/version.py", "pyproject.toml")


def _commit_date(pattern: str, *paths: str) -> str:
    """Return the date of the first commit that added ``pattern`` to one of ``paths``."""
    result = subprocess.run(
        ["git", "log", "--reverse", "--format=%ad", "--date=short", f"-S{pattern}", "--", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()[0] if result.stdout.split() else "not in the history"


def _full_history() -> bool:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return False
    result = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=REPO, capture_output=True, text=True
    )
    return result.returncode == 0 and result.stdout.strip() == "false"


@pytest.mark.skipif(not _full_history(), reason="needs the repository's full git history")
def test_each_release_is_dated_by_the_commit_that_set_its_versions():
    # The versions moved between files over time: schema.py and __init__.py, then version.py.
    for dataset, scorer, date in _releases():
        assert _commit_date(f'DATASET_VERSION = "{dataset}"', *_DATASET_FILES) == date, dataset
        if scorer:
            assert _commit_date(f'version__ = "{scorer}"', *_SCORER_FILES) == date, scorer
