"""Dataset statistics: counts per split, document, label and entity type."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from migbench.dataset.splits import N_FOLDS
from migbench.schema import CHOICE_LAYERS, ENTITY_TYPES, SCHEMA_VERSION, SPLITS, UNIT_TYPES
from migbench.version import DATASET_VERSION


def _count(values, labels: Sequence[str]) -> dict[str, int]:
    counter = Counter(values)
    return {label: counter.get(label, 0) for label in labels}


def dataset_stats(
    rows: list[dict], official: dict[str, str], genre: dict[str, str], folds: dict[str, int]
) -> dict:
    """Return the statistics of the built dataset.

    Args:
        rows: One row per unit with string labels (``build.unit_rows``).
        official: Unit id → its split under the fixed split.
        genre: Unit id → genre-transfer split.
        folds: Unit id → full-corpus cross-validation fold.
    """
    doc_ids = list(dict.fromkeys(r["doc_id"] for r in rows))
    by_split = {split: [r for r in rows if official[r["id"]] == split] for split in SPLITS}
    labels = {
        layer: {"all": _count((r[layer] for r in rows), names)}
        | {split: _count((r[layer] for r in part), names) for split, part in by_split.items()}
        for layer, names in CHOICE_LAYERS.items()
    }
    entity_labels = {
        "all": _count((e["label"] for r in rows for e in r["entities"]), ENTITY_TYPES)
    } | {
        split: _count((e["label"] for r in part for e in r["entities"]), ENTITY_TYPES)
        for split, part in by_split.items()
    }
    return {
        "dataset_version": DATASET_VERSION,
        "schema_version": SCHEMA_VERSION,
        "units": len(rows),
        "tokens": sum(len(r["tokens"]) for r in rows),
        "entity_mentions": sum(len(r["entities"]) for r in rows),
        "unit_types": _count((r["unit_type"] for r in rows), UNIT_TYPES),
        "guidelines": dict(sorted(Counter(r["guidelines"] for r in rows).items())),
        "documents": {
            doc: {
                "units": sum(r["doc_id"] == doc for r in rows),
                "entity_mentions": sum(len(r["entities"]) for r in rows if r["doc_id"] == doc),
                "splits": _count((official[r["id"]] for r in rows if r["doc_id"] == doc), SPLITS),
            }
            for doc in doc_ids
        },
        "splits": {
            "split": _count(official.values(), SPLITS),
            "genre": _count(genre.values(), SPLITS),
            "folds": {str(f): sum(v == f for v in folds.values()) for f in range(N_FOLDS)},
        },
        "labels": labels,
        "labels_per_document": {
            layer: {
                doc: _count((r[layer] for r in rows if r["doc_id"] == doc), names)
                for doc in doc_ids
            }
            for layer, names in CHOICE_LAYERS.items()
        },
        "frame_by_stance": {
            stance: _count(
                (r["frame"] for r in rows if r["stance"] == stance), CHOICE_LAYERS["frame"]
            )
            for stance in CHOICE_LAYERS["stance"]
        },
        "entities": entity_labels,
    }
