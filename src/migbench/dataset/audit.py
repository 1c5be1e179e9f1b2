"""Leakage and shortcut audit of the split schemes: shared context and document identity.

For every split scheme, each partition into training and evaluation units is checked for

* **context overlap**: evaluation units whose ``text`` appears word for word in the
  ``prev_text`` or ``next_text`` of a training unit (a model trained with context has read
  them), and evaluation units whose context holds a training unit's ``text``;
* **document identity**: the score of a rule that predicts, for each evaluation unit, the most
  frequent training label of its document (``doc_id``), falling back to the training majority
  for a document without training units; next to it, the training majority alone.

A scheme with several partitions (cross-validation folds) is scored pooled over all of them.
:func:`audit_markdown` renders the result as a block for the dataset card.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migbench import markdown
from migbench.schema import SPLITS
from migbench.scoring.metrics import metric_for
from migbench.scoring.tasks import TASKS

#: Columns that identify a unit's document or position: never features (see the card).
IDENTITY_COLUMNS = ("id", "doc_id", "paragraph", "ranges", "text_hmac", "fold", "guidelines")

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Partition:
    """Training and evaluation units of one train/evaluate run of a scheme."""

    name: str
    train: Sequence[Row]
    evaluation: Sequence[Row]


def context_overlap(partitions: Sequence[Partition]) -> dict[str, int]:
    """Count evaluation units that share text with the training units' context, and back.

    Returns:
        ``n_evaluation``, ``text_in_train_context`` (the unit's text lies word for word in a
        training unit's ``prev_text`` or ``next_text``) and ``train_text_in_context`` (the
        unit's own context holds a training unit's text), summed over the partitions.
    """
    counts: Counter[str] = Counter()
    for partition in partitions:
        contexts = "\0".join(
            row[key] for row in partition.train for key in ("prev_text", "next_text")
        )
        train_texts = {row["text"] for row in partition.train}
        for row in partition.evaluation:
            counts["n_evaluation"] += 1
            counts["text_in_train_context"] += row["text"] in contexts
            own = f"{row['prev_text']}\0{row['next_text']}"
            counts["train_text_in_context"] += any(text in own for text in train_texts)
    return {
        key: counts[key]
        for key in ("n_evaluation", "text_in_train_context", "train_text_in_context")
    }


def document_rule_scores(partitions: Sequence[Partition], task: str) -> dict[str, float]:
    """Score the document-majority rule and the training majority on a classification task.

    Returns:
        ``document_majority`` and ``majority``: main scores pooled over the partitions; for a
        task scored by ``f_avg``, also ``components``: per averaged label, the document rule's
        F1 (None where undefined), its gold units and the documents they come from.
    """
    declared = TASKS[task]
    if declared.is_sequence:
        raise ValueError(f"{task} has no unit label; the document rule applies to classification")
    field = declared.gold_field
    gold, by_document, overall = [], [], []
    for partition in partitions:
        majority = _most_common(row[field] for row in partition.train)
        per_document: dict[str, Counter] = {}
        for row in partition.train:
            per_document.setdefault(row["doc_id"], Counter())[row[field]] += 1
        for row in partition.evaluation:
            gold.append(row[field])
            seen = per_document.get(row["doc_id"])
            by_document.append(_most_common(seen.elements()) if seen else majority)
            overall.append(majority)
    metric = metric_for(declared)
    scores: dict[str, Any] = {
        name: float(metric.main_score(metric.statistics(gold, predicted).total()))
        for name, predicted in (("document_majority", by_document), ("majority", overall))
    }
    if declared.f_avg_labels:
        per_label = metric.scores(metric.statistics(gold, by_document).total())["per_label"]
        documents = [row["doc_id"] for partition in partitions for row in partition.evaluation]
        scores["components"] = {
            label: {
                "f1": per_label[label]["f1"],
                "support": per_label[label]["support"],
                "documents": sorted(
                    {d for d, g in zip(documents, gold, strict=True) if g == label}
                ),
            }
            for label in declared.f_avg_labels
        }
    return scores


def audit(schemes: Mapping[str, Sequence[Partition]]) -> dict[str, Any]:
    """Audit each scheme: context overlap and, per classification task, the document rule."""
    tasks = [name for name, task in TASKS.items() if not task.is_sequence]
    return {
        scheme: {
            "partitions": [partition.name for partition in partitions],
            "context": context_overlap(partitions),
            "document_rule": {task: document_rule_scores(partitions, task) for task in tasks},
        }
        for scheme, partitions in schemes.items()
    }


def dataset_schemes(
    official: Mapping[str, Sequence[dict[str, Any]]], genre: Mapping[str, Sequence[dict[str, Any]]]
) -> dict[str, list[Partition]]:
    """The schemes of a dataset: full-corpus cross-validation, the fixed split, genre transfer.

    Args:
        official: The rows of the ``all`` config by split, labels as names.
        genre: The rows of the ``all_genre`` config by split.
    """
    every = [row for split in SPLITS for row in official[split]]
    folds = sorted({row["fold"] for row in every})
    return {
        "cross-validation": [
            Partition(
                f"fold {fold}",
                [row for row in every if row["fold"] != fold],
                [row for row in every if row["fold"] == fold],
            )
            for fold in folds
        ],
        **{
            f"fixed split, {split}": [Partition(split, official["train"], official[split])]
            for split in ("test", "validation")
        },
        "genre transfer, test": [Partition("test", genre["train"], genre["test"])],
    }


def folder_schemes(data_root: Path) -> dict[str, list[Partition]]:
    """:func:`dataset_schemes` of a built dataset's ``data`` folder."""
    official = {split: _rows(data_root / "all" / f"{split}.parquet") for split in SPLITS}
    genre = {split: _rows(data_root / "all_genre" / f"{split}.parquet") for split in SPLITS}
    return dataset_schemes(official, genre)


def audit_markdown(result: Mapping[str, Any]) -> str:
    """Render :func:`audit`'s result as a Markdown block for the dataset card."""
    tasks = list(next(iter(result.values()))["document_rule"])
    header = ["scheme", "evaluated on", "units", "text in training context"]
    header += ["context holds training text"]
    header += [f"{task}: document rule (majority)" for task in tasks]
    rows = []
    for scheme, row in result.items():
        context = row["context"]
        n = context["n_evaluation"]
        cells = [scheme, ", ".join(row["partitions"]), str(n)]
        cells += [
            f"{context[key]} ({context[key] / n:.0%})"
            for key in ("text_in_train_context", "train_text_in_context")
        ]
        cells += [
            f"{scores['document_majority']:.3f} ({scores['majority']:.3f})"
            for scores in row["document_rule"].values()
        ]
        rows.append(cells)
    lines = [markdown.table(header, rows)]
    columns = ", ".join(f"`{column}`" for column in IDENTITY_COLUMNS)
    if note := stance_note(result):
        lines += ["", *note]
    lines += [
        "",
        "Scores are each task's main score, pooled over a scheme's evaluation units. The document "
        "rule predicts the most frequent training label of the unit's document; in parentheses, "
        "the most frequent training label overall.",
        "",
        f"**Do not use {columns}, or the document name that begins every `id`, as features.** "
        "They name a unit's document and position, not its content: labels cluster by "
        "document, so a model that reads them learns which document a unit comes from, and its "
        "score says how well documents were memorised, not how well stance, framing or "
        "entities are read from text. `prev_text` and `next_text` are the previous and next "
        "units of the same document: a model trained on them has read evaluation text (never "
        "its label) as often as the table says. Say whether a system reads context.",
    ]
    return "\n".join(lines)


def stance_note(result: Mapping[str, Any], scheme: str = "cross-validation") -> list[str]:
    """Say what the stance score rests on under ``scheme``; empty without a stance audit.

    The gold units and documents of each class F_avg averages, and what the document rule
    scores on each.
    """
    rule = result.get(scheme, {}).get("document_rule", {}).get("stance", {})
    if "components" not in rule:
        return []
    parts = []
    for label, part in rule["components"].items():
        documents = part["documents"]
        where = (
            f"all in one document, {documents[0]}"
            if len(documents) == 1
            else f"from {len(documents)} documents"
        )
        f1 = "n/a" if part["f1"] is None else f"{part['f1']:.3f}"
        parts.append(f"F1 {label} on {part['support']} gold `{label}` units ({where}): {f1}")
    return [
        f"**Stance rests on few units.** F_avg is the mean of F1 favor and F1 against. Under "
        f"{scheme} the rule that knows only the document scores F_avg "
        f"{rule['document_majority']:.3f}; " + "; ".join(parts) + ". A system's F1 against, "
        "half of its F_avg, is decided by those few units of one document."
    ]


def _most_common(labels: Any) -> str:
    """Return the most frequent label; ties go to the label that sorts first."""
    counts = Counter(labels)
    return min(counts, key=lambda label: (-counts[label], label))


def _rows(path: Path) -> list[dict[str, Any]]:
    """Read a dataset parquet file with ClassLabel ids decoded to names."""
    # Imported here: datasets takes seconds to import.
    import pyarrow.parquet as pq
    from datasets import ClassLabel, Features

    table = pq.read_table(path)
    features = Features.from_arrow_schema(table.schema)
    rows = table.to_pylist()
    for name, feature in features.items():
        if isinstance(feature, ClassLabel):
            for row in rows:
                row[name] = feature.int2str(row[name])
    return rows
