"""Released models: the best baseline of each task, trained on the whole corpus.

:mod:`~migbench.models.artifact` reads and checks a model folder; :func:`load` returns its
:class:`~migbench.models.predictor.Predictor`. Loading needs the ``models`` extra.
"""

from __future__ import annotations

from migbench.models.artifact import ModelError, Released, available, resolve, verify
from migbench.models.predictor import Predictor

__all__ = ["KINDS", "ModelError", "Predictor", "Released", "available", "load", "resolve"]

#: The kinds of released model, as the manifest names them.
KINDS: tuple[str, ...] = ("embedding-classifier", "spacy-ner")


def load(model: Released) -> Predictor:
    """Check a model's files against its manifest and return its predictor.

    Raises:
        ModelError: A file is altered, or the kind is unknown.
    """
    verify(model)
    kind = model.manifest.get("kind")
    if kind == "embedding-classifier":
        from migbench.models.classifier import EmbeddingClassifier

        return EmbeddingClassifier(model)
    if kind == "spacy-ner":
        from migbench.models.tagger import EntityTagger

        return EntityTagger(model)
    raise ModelError(f"{model.folder}: unknown kind {kind!r}; this migbench reads {KINDS}")
