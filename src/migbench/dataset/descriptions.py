"""What each config and feature of the dataset means: the one text for the card and Croissant."""

from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

from migbench.errors import MigbenchError

CONFIG_DESCRIPTIONS = {
    "stance": "stance toward enforcement against irregular migration (favor / against / none)",
    "framing": "security-versus-rights frame and Media Frames Corpus primary dimension",
    "ner": (
        "named entities: `tokens` with their `token_offsets`, IOB2 `ner_tags` (like conll2003) "
        "and char-offset `entities`"
    ),
    "all": "every layer of every unit",
    "documents": "the cleaned documents with their provenance (one split, `train`)",
}
GENRE_SUFFIX = "_genre"

#: Said of every field that holds source text.
_SOURCE_TEXT = (
    " (source text: not licensed by the project, which holds it for research use; null in the "
    "text-free variant)"
)
#: Feature name (a nested one as ``parent.child``) → its meaning.
FIELD_DESCRIPTIONS = {
    "id": "unit id, `<doc_id>-<nnnn>`; the key of a submission",
    "doc_id": "the document the unit belongs to",
    "unit_type": "heading, sentence, list_item, caption or byline",
    "paragraph": "paragraph index within the document (units of one paragraph share a split)",
    "text": "the unit's text" + _SOURCE_TEXT,
    "prev_text": "the previous unit of the document, as context" + _SOURCE_TEXT,
    "next_text": "the next unit of the document, as context" + _SOURCE_TEXT,
    "text_hmac": (
        "HMAC-SHA256 of the unit's UTF-8 text, keyed by a key derived from the text of its "
        "document's longest unit; rehydration checks each restored unit with it, and it cannot be "
        "tested against guesses without the source"
    ),
    "guidelines": (
        "the guidelines version under which the unit's gold labels were last decided: 1.1 "
        "(the adjudication) or 1.2 (a correction by the v1.2 re-reading, recorded in the gold "
        "annotation's note)"
    ),
    "ranges": "the unit's character ranges in the raw source file (end-exclusive)",
    "ranges.start": "first character of the range",
    "ranges.end": "one past the last character of the range",
    "fold": "full-corpus cross-validation fold, 0-4 (grouped by section, or paragraph in the news)",
    "stance": "stance toward enforcement against irregular migration",
    "frame": "security-versus-rights frame",
    "mfc": "Media Frames Corpus primary dimension (Card et al. 2015)",
    "tokens": "the unit's tokens" + _SOURCE_TEXT,
    "token_offsets": "each token's [start, end) character offsets in `text` (kept when text-free)",
    "ner_tags": "one IOB2 tag per token",
    "entities": "entity mentions as character spans of `text`",
    "entities.start": "first character of the mention in `text`",
    "entities.end": "one past the last character of the mention in `text`",
    "entities.label": "entity type (OntoNotes-style)",
    "entities.text": "the mention's text" + _SOURCE_TEXT,
    "file": "the source file's name in the project's `seeds/` folder",
    "sha256": "sha256 of the source file the project holds",
    "genre": "news or report",
    "outlet": "publisher as the text states it; `unknown` where it does not",
    "author": "author as the text states it; `unknown` where it does not",
    "date": "publication date as the text or its page states it; `unknown` otherwise",
    "title": "title as the text states it; `unknown` where it does not",
    "location": "place the text says it was filed from; `unknown` where it does not",
    "url": "address the text gives for itself; `unknown` where it gives none",
    "search": (
        "where the record is incomplete, what to search for to find the text (the project's words)"
    ),
    "words": "words in the raw file",
    "n_units": "units of the document in the dataset",
}


def config_description(config: str) -> str:
    """Return what a config holds (a ``*_genre`` config: the genre-transfer split of its base)."""
    base = config.removesuffix(GENRE_SUFFIX)
    if base not in CONFIG_DESCRIPTIONS:
        raise MigbenchError(f"config {config!r}: no description in {__name__}.CONFIG_DESCRIPTIONS")
    if base != config:
        return f"as `{base}`, genre-transfer split (train on the report, test on the news)"
    return CONFIG_DESCRIPTIONS[base]


def field_description(name: str) -> str:
    """Return what a feature means.

    Raises:
        MigbenchError: The feature has no description, so the card would leave it unexplained.
    """
    if name not in FIELD_DESCRIPTIONS:
        raise MigbenchError(f"feature {name!r}: no description in {__name__}.FIELD_DESCRIPTIONS")
    return FIELD_DESCRIPTIONS[name]


def type_name(feature) -> str:
    """Return a feature's type in words, a class label with its ids and names."""
    if isinstance(feature, ClassLabel):
        return "class label: " + ", ".join(f"{i} {name}" for i, name in enumerate(feature.names))
    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, List):
        return f"list of {type_name(feature.feature)}"
    if isinstance(feature, dict):
        return "{" + ", ".join(f"{k}: {type_name(v)}" for k, v in feature.items()) + "}"
    raise MigbenchError(f"no description of feature type {feature!r}")


def flat_features(features: Features) -> list[tuple[str, object]]:
    """Return (name, feature) for every feature and, after a list of records, its sub-features."""
    flat = []
    for name, feature in features.items():
        flat.append((name, feature))
        inner = feature.feature if isinstance(feature, List) else feature
        if isinstance(inner, dict):
            flat.extend((f"{name}.{key}", value) for key, value in inner.items())
    return flat
