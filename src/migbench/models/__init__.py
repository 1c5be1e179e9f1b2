"""Released models: the best releasable baseline of each task, trained on the whole corpus.

:mod:`~migbench.models.artifact` reads and checks a model folder; :func:`load` returns its
:class:`~migbench.models.predictor.Predictor`. Loading needs the ``models`` extra.
"""

from __future__ import annotations

from migbench.models.artifact import ModelError, Released, available, resolve, verify
from migbench.models.predictor import PRECISIONS, Predictor

__all__ = [
    "KINDS",
    "PRECISIONS",
    "ModelError",
    "Predictor",
    "Released",
    "available",
    "check_precision",
    "load",
    "resolve",
]

#: The kinds of released model, as the manifest names them.
KINDS: tuple[str, ...] = ("embedding-classifier", "spacy-ner")


def load(model: Released, precision: str = "float32") -> Predictor:
    """Check a model's files against its manifest and return its predictor.

    ``precision`` is the number format of a classifier's encoder
    (:data:`PRECISIONS`); the recogniser runs in ``float32`` only.

    Raises:
        ModelError: A file is altered, the kind is unknown, or the precision is not the model's.
    """
    verify(model)
    check_precision(model, precision)
    kind = model.manifest.get("kind")
    if kind == "embedding-classifier":
        from migbench.models.classifier import EmbeddingClassifier

        return EmbeddingClassifier(model, precision)
    if kind == "spacy-ner":
        from migbench.models.tagger import EntityTagger

        return EntityTagger(model)
    raise ModelError(f"{model.folder}: unknown kind {kind!r}; this migbench reads {KINDS}")


def check_precision(model: Released, precision: str) -> None:
    """Check that the model can run in ``precision``.

    A classifier runs in any of :data:`PRECISIONS`, any other kind in ``float32`` only.

    Raises:
        ModelError: It cannot.
    """
    if precision not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r}; choose from {PRECISIONS}")
    kind = model.manifest.get("kind")
    if precision != "float32" and kind != "embedding-classifier":
        raise ModelError(
            f"{model.folder}: precision {precision} is for the classifiers; a {kind} model runs "
            "in float32"
        )
