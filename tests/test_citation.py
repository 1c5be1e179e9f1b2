"""CITATION.cff is valid, and it, the BibTeX and the package agree on title, authors and version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migbench.citation import AUTHOR, TITLE, bibtex
from migbench.licensing import CODE_LICENSE, DATA_LICENSE
from migbench.version import DATASET_RELEASED, DATASET_VERSION

from .conftest import REPO

CITATION = REPO / "CITATION.cff"
#: cffconvert pins a jsonschema that the project's label-studio-sdk refuses: it gets its own venv.
CFF_VENV = REPO / ".cff-venv"
CFFCONVERT = "cffconvert==2.0.0"


def cffconvert() -> Path:
    """Return the cffconvert executable of ``.cff-venv/``, creating the venv on first use."""
    executable = CFF_VENV / "bin" / "cffconvert"
    if executable.exists():
        return executable
    subprocess.run([sys.executable, "-m", "venv", str(CFF_VENV)], check=True)
    install = subprocess.run(
        [str(CFF_VENV / "bin" / "python"), "-m", "pip", "install", "-q", CFFCONVERT],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:
        message = f"pip install {CFFCONVERT} failed: {install.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (no registry reachable?)")
    return executable


@pytest.mark.slow  # creates a venv and pip-installs cffconvert on first use
def test_citation_cff_is_valid():
    result = subprocess.run(
        [str(cffconvert()), "--validate", "-i", str(CITATION)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_citation_cff_matches_the_package_and_the_bibtex():
    record = yaml.safe_load(CITATION.read_text(encoding="utf-8"))
    assert record["title"] == TITLE
    assert str(record["version"]) == DATASET_VERSION
    assert record["authors"] == [{"name": AUTHOR}]
    assert record["license"] == DATA_LICENSE
    assert str(record["date-released"]) == DATASET_RELEASED
    assert CODE_LICENSE in record["message"]
    assert "not licensed" in record["message"]
    entry = bibtex()
    assert TITLE in entry
    assert AUTHOR in entry
    assert f"version = {{{DATASET_VERSION}}}" in entry
    assert f"year = {{{DATASET_RELEASED[:4]}}}" in entry
