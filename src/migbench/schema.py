"""The label schema (annotations/SCHEMA.md v1.1): label sets, declared once for the package."""

from __future__ import annotations

SCHEMA_VERSION = "1.1"

STANCE_LABELS: tuple[str, ...] = ("favor", "against", "none")
FRAME_LABELS: tuple[str, ...] = ("security", "rights", "both", "neither")
MFC_LABELS: tuple[str, ...] = (
    "economic",
    "capacity_and_resources",
    "morality",
    "fairness_and_equality",
    "legality_constitutionality_and_jurisprudence",
    "policy_prescription_and_evaluation",
    "crime_and_punishment",
    "security_and_defense",
    "health_and_safety",
    "quality_of_life",
    "cultural_identity",
    "public_opinion",
    "political",
    "external_regulation_and_reputation",
    "other",
)
ENTITY_TYPES: tuple[str, ...] = (
    "PERSON",
    "NORP",
    "ORG",
    "GPE",
    "LOC",
    "FAC",
    "EVENT",
    "LAW",
    "DATE",
)
UNIT_TYPES: tuple[str, ...] = ("heading", "sentence", "list_item", "caption", "byline")
GENRES: tuple[str, ...] = ("news", "report")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
#: Splits of the fixed split that are scored (train is for training only).
EVALUATION_SPLITS: tuple[str, ...] = SPLITS[1:]

#: Single-choice layers: the Label Studio control name and its label set.
CHOICE_LAYERS: dict[str, tuple[str, ...]] = {
    "stance": STANCE_LABELS,
    "frame": FRAME_LABELS,
    "mfc": MFC_LABELS,
}
#: The Label Studio control that carries entity spans.
NER_LAYER = "ner"

#: IOB2 tag set in a fixed order (the ClassLabel order of `ner_tags`).
IOB2_TAGS: tuple[str, ...] = ("O",) + tuple(
    f"{prefix}-{entity}" for entity in ENTITY_TYPES for prefix in ("B", "I")
)

#: CoNLL-2003 mapping for models trained on it; DATE has no CoNLL type and is dropped.
CONLL_MAPPING: dict[str, str | None] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "LAW": "MISC",
    "DATE": None,
}
CONLL_TYPES: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")
