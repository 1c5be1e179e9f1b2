"""The released entity recogniser: a fine-tuned spaCy pipeline over the project's tokens.

Each unit is tokenized by :func:`migbench.corpus.tokenize.tokenize`, as the dataset is, so the
spans it returns are on the tokens the scorer expects; types outside the dataset's nine are
dropped and the tags repaired to valid IOB2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from migbench.corpus.tokenize import iob2_to_spans, tokenize
from migbench.models.artifact import Released
from migbench.models.predictor import Unit
from migbench.schema import ENTITY_TYPES
from migbench.scoring.iob2 import repair_iob2

PIPELINE = "pipeline"


class EntityTagger:
    """Predict the entity spans of units."""

    def __init__(self, model: Released) -> None:
        import spacy

        self.task: str = model.manifest["task"]
        self.context = False
        self._nlp = spacy.load(model.folder / PIPELINE)

    def _doc(self, text: str) -> Any:
        from spacy.tokens import Doc

        offsets = tokenize(text)
        words = [text[start:end] for start, end in offsets]
        spaces = [end < start for (_, end), (start, _) in zip(offsets, offsets[1:], strict=False)]
        return Doc(self._nlp.vocab, words=words, spaces=[*spaces, False][: len(words)])

    def predict(self, units: Sequence[Unit]) -> list[list[dict[str, Any]]]:
        """Return the entities of each unit: ``{"start", "end", "label"}``, character offsets."""
        docs = self._nlp.pipe(self._doc(unit.text) for unit in units)
        found = []
        for unit, doc in zip(units, docs, strict=True):
            tags = repair_iob2(
                [
                    f"{token.ent_iob_}-{token.ent_type_}"
                    if token.ent_type_ in ENTITY_TYPES
                    else "O"
                    for token in doc
                ]
            )
            spans = iob2_to_spans(unit.text, tags)
            found.append([{"start": s, "end": e, "label": label} for s, e, label in spans])
        return found
