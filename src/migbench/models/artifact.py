"""A released model on disk: its folder, its manifest, and the checks made before loading it.

A model folder holds ``model.json`` (the manifest: task, kind, labels, the sha256 of every
file of the folder, the pretrained model it builds on and that model's sha256, the dataset
version, the training command and the protocol scores), ``README.md`` (the model card) and the
model's own files: ``classifier.skops`` (a scikit-learn estimator in skops' safe format, with
``encoder/``, a tuned sentence encoder in safetensors, where the model tuned one) or ``pipeline/``
(a spaCy pipeline saved with ``nlp.to_disk``). Nothing is unpickled: skops loads
only the types it is told to trust, and :func:`load` checks every file against the manifest
first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migbench.errors import MigbenchError
from migbench.fileio import sha256_file
from migbench.jsonio import InputError, read_json

MANIFEST = "model.json"
CARD = "README.md"
#: Manifest format; a change that old readers cannot read is a new major number.
FORMAT_VERSION = "1"
#: Where ``migbench models`` and ``migbench predict --model NAME`` look, unless told otherwise.
ENVIRONMENT = "MIGBENCH_MODELS"


class ModelError(MigbenchError):
    """A model folder that is missing, incomplete, altered, or of an unknown kind."""


@dataclass(frozen=True)
class Released:
    """A model folder and its manifest."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        """The model's name: ``migbench-<task>``."""
        return str(self.manifest["name"])

    @property
    def task(self) -> str:
        """The benchmark task it predicts."""
        return str(self.manifest["task"])


def default_root() -> Path:
    """Return the folder of released models: ``$MIGBENCH_MODELS``, else the checkout's."""
    found = os.environ.get(ENVIRONMENT)
    return Path(found) if found else Path(__file__).resolve().parents[3] / "models"


def file_hashes(folder: Path) -> dict[str, str]:
    """Return the sha256 of every file below ``folder`` except the manifest and the card."""
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and path.relative_to(folder).as_posix() not in (MANIFEST, CARD)
        and not path.name.startswith(".")
    }


def read(folder: Path) -> Released:
    """Read a model folder's manifest.

    Raises:
        ModelError: The folder holds no readable manifest of a known format.
    """
    try:
        manifest = read_json(folder / MANIFEST)
    except InputError as exc:
        raise ModelError(f"{folder} is not a migbench model: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise ModelError(f"{folder / MANIFEST}: not a model manifest of format {FORMAT_VERSION}")
    if problem := _manifest_problem(manifest):
        raise ModelError(f"{folder / MANIFEST}: {problem}")
    return Released(folder, manifest)


def _manifest_problem(manifest: dict[str, Any]) -> str | None:
    """Return what the fields every model's manifest needs lack, or None."""
    for key in ("name", "task", "baseline"):
        if not isinstance(manifest.get(key), str):
            return f"{key} must be a string"
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and isinstance(digest, str) for name, digest in files.items()
    ):
        return "files must map each file name to its sha256"
    dataset = manifest.get("dataset")
    if not isinstance(dataset, dict) or not isinstance(dataset.get("version"), str):
        return "dataset.version must be a string"
    return None


def verify(model: Released) -> None:
    """Check every file of the model against its manifest.

    Raises:
        ModelError: Naming each file that is missing, extra or altered.
    """
    expected, found = model.manifest["files"], file_hashes(model.folder)
    problems = [f"{name}: missing" for name in sorted(set(expected) - set(found))]
    problems += [f"{name}: not in the manifest" for name in sorted(set(found) - set(expected))]
    problems += [
        f"{name}: sha256 {found[name]}, the manifest says {digest}"
        for name, digest in sorted(expected.items())
        if name in found and found[name] != digest
    ]
    if problems:
        raise ModelError(
            f"{model.folder} is not the model its manifest describes:\n  " + ("\n  ".join(problems))
        )


def resolve(name_or_path: str, root: Path | None = None) -> Released:
    """Find a model by folder, or by name or task under ``root`` (:func:`default_root`).

    Raises:
        ModelError: Nothing matches; the message lists the models found.
    """
    path = Path(name_or_path)
    if (path / MANIFEST).is_file():
        return read(path)
    root = root or default_root()
    found = available(root)
    for model in found:
        if name_or_path in (model.name, model.task, model.folder.name):
            return model
    names = ", ".join(model.name for model in found) or "none"
    raise ModelError(
        f"no model {name_or_path!r}: not a model folder, and not one of the models in {root} "
        f"({names}); build them with `python -m baselines.release`"
    )


def available(root: Path | None = None) -> list[Released]:
    """Return the models under ``root`` (:func:`default_root`), by name."""
    root = root or default_root()
    if not root.is_dir():
        return []
    return sorted(
        (read(folder) for folder in root.iterdir() if (folder / MANIFEST).is_file()),
        key=lambda model: model.name,
    )
