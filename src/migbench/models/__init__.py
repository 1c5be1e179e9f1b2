"""Released models: the best baseline of each task, trained on the whole corpus.

:mod:`~migbench.models.artifact` reads and checks a model folder; :func:`load` returns its
predictor, an object with ``task``, ``context`` (whether it reads the neighbouring units) and
``predict(records) -> list``, one submission value per unit. Loading needs the ``models`` extra.
"""

from __future__ import annotations

from typing import Any

from migbench.models.artifact import ModelError, Released, available, resolve, verify

__all__ = ["KINDS", "ModelError", "Released", "available", "load", "resolve"]

#: The kinds of released model, as the manifest names them.
KINDS: tuple[str, ...] = ("embedding-classifier", "spacy-ner")


def load(model: Released) -> Any:
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
