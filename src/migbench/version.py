"""Versions: of the package (the scorer) and of the released gold, each declared once here.

A corrected gold is a new dataset version, never a silent edit; a change to how scores are
computed is a new package version. Every score carries both (see :class:`migbench.Signature`).
"""

from __future__ import annotations

import json
from pathlib import Path

__version__ = "1.0.0"

#: Version of the released gold that this package builds and expects.
DATASET_VERSION = "3.0.0"
#: The date of the commit that made this dataset version (CHANGELOG.md dates each release so).
DATASET_RELEASED = "2026-12-07"

#: File of a built dataset folder that records, among its statistics, the dataset's version.
STATS_FILE = "stats.json"


def dataset_version(folder: str | Path | None = None) -> str:
    """Return the version of a built dataset folder, or without one this package's.

    The version is the ``dataset_version`` recorded in the folder's ``stats.json``; a folder
    without that file (a Hub download, say) is taken to be of this package's version.

    Raises:
        ValueError: ``stats.json`` exists but holds no version string.
    """
    if folder is None:
        return DATASET_VERSION
    path = Path(folder) / STATS_FILE
    if not path.is_file():
        return DATASET_VERSION
    try:
        version = json.loads(path.read_text(encoding="utf-8")).get("dataset_version")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a JSON object with a dataset_version: {exc}") from None
    if not isinstance(version, str):
        raise ValueError(f"{path}: dataset_version must be a string, not {version!r}")
    return version
