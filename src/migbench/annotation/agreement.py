"""Inter-annotator agreement between the first and the second annotation pass."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import krippendorff
import numpy as np
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from migbench import markdown
from migbench.annotation.store import ANNOTATORS_NAME, Annotator, agreement_table
from migbench.annotation.types import AnnotatedUnit, Annotation
from migbench.corpus.tokenize import spans_to_iob2
from migbench.errors import MigbenchError
from migbench.schema import CHOICE_LAYERS


def paired_annotations(
    tasks: Mapping[str, AnnotatedUnit], annotators: Mapping[int, Annotator]
) -> list[tuple[AnnotatedUnit, Annotation, Annotation]]:
    """Return (task, pass-1 annotation, pass-2 annotation) for every doubly annotated unit."""
    pairs = []
    for task in tasks.values():
        by_pass = {
            annotators[a.annotator].annotation_pass: a
            for a in task.annotations
            if a.annotator in annotators
        }
        if 1 in by_pass and 2 in by_pass:
            pairs.append((task, by_pass[1], by_pass[2]))
    return pairs


def choice_agreement(first: list[str], second: list[str], labels: tuple[str, ...]) -> dict:
    """Cohen's kappa, Krippendorff's alpha (nominal), raw agreement and the confusion table."""
    codes = {label: index for index, label in enumerate(labels)}
    alpha = (
        krippendorff.alpha(
            reliability_data=np.array(
                [[codes[x] for x in first], [codes[x] for x in second]], dtype=float
            ),
            level_of_measurement="nominal",
        )
        if len(set(first) | set(second)) > 1
        else math.nan
    )
    return {
        "cohen_kappa": _finite(cohen_kappa_score(first, second, labels=list(labels))),
        "krippendorff_alpha": _finite(alpha),
        "percent_agreement": sum(a == b for a, b in zip(first, second, strict=True)) / len(first),
        "confusion": {
            "labels": list(labels),
            "rows": "first pass",
            "columns": "second pass",
            "matrix": confusion_matrix(first, second, labels=list(labels)).tolist(),
        },
    }


def entity_agreement(pairs: list[tuple[AnnotatedUnit, Annotation, Annotation]]) -> dict:
    """Entity-level F1 between passes: exact span and type, seqeval strict, pass 1 as reference."""
    first = [_tags(task.text, a) for task, a, _ in pairs]
    second = [_tags(task.text, b) for task, _, b in pairs]
    report = classification_report(
        first, second, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    per_type = {
        name: {key: float(value) for key, value in scores.items()}
        for name, scores in report.items()
        if not name.endswith("avg")
    }
    micro = report["micro avg"]
    return {
        "micro_f1": float(micro["f1-score"]),
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "mentions_first_pass": sum(len(a.spans) for _, a, _ in pairs),
        "mentions_second_pass": sum(len(b.spans) for _, _, b in pairs),
        "per_type": per_type,
    }


def agreement_report(
    tasks: Mapping[str, AnnotatedUnit], annotators: Mapping[int, Annotator]
) -> dict:
    """Return the full agreement report between the two passes.

    Raises:
        MigbenchError: No unit has an annotation from both passes, or a pass's annotation has
            no choice on a layer.
    """
    check_complete(tasks, annotators)
    pairs = paired_annotations(tasks, annotators)
    if not pairs:
        raise MigbenchError(
            "no unit has an annotation from both passes (pass 1 and pass 2 in "
            f"{ANNOTATORS_NAME}); agreement needs at least one"
        )
    layers = {
        layer: choice_agreement(
            [a.choices[layer] for _, a, _ in pairs], [b.choices[layer] for _, _, b in pairs], labels
        )
        for layer, labels in CHOICE_LAYERS.items()
    }
    return {
        "n_units": len(pairs),
        "layers": layers,
        "entities": entity_agreement(pairs),
        "gold_changes_from_first_pass": gold_changes(tasks, annotators),
    }


def check_complete(tasks: Mapping[str, AnnotatedUnit], annotators: Mapping[int, Annotator]) -> None:
    """Refuse a first- or second-pass annotation without a choice on every layer.

    Raises:
        MigbenchError: Naming the unit, the annotator and the layers missing.
    """
    for task in tasks.values():
        for annotation in task.annotations:
            annotator = annotators.get(annotation.annotator)
            if annotator is None or annotator.annotation_pass not in (1, 2):
                continue
            if missing := [layer for layer in CHOICE_LAYERS if layer not in annotation.choices]:
                raise MigbenchError(
                    f"unit {task.unit_id}: the pass-{annotator.annotation_pass} annotation by "
                    f"annotator {annotator.id} has no choice for {', '.join(missing)}"
                )


def gold_changes(tasks: Mapping[str, AnnotatedUnit], annotators: Mapping[int, Annotator]) -> dict:
    """Count, per layer, the units whose adjudicated gold differs from the first pass."""
    changes = dict.fromkeys([*CHOICE_LAYERS, "entities"], 0)
    for task in tasks.values():
        first = next(
            (
                a
                for a in task.annotations
                if getattr(annotators.get(a.annotator), "annotation_pass", None) == 1
            ),
            None,
        )
        if first is None or task.gold is None:
            continue
        for layer in CHOICE_LAYERS:
            changes[layer] += first.choices[layer] != task.gold.choices[layer]
        changes["entities"] += first.spans != task.gold.spans
    return changes


def _tags(text: str, annotation: Annotation) -> list[str]:
    return spans_to_iob2(text, [(s.start, s.end, s.label) for s in annotation.spans])


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def disagreements(
    tasks: Mapping[str, AnnotatedUnit], annotators: Mapping[int, Annotator]
) -> list[dict]:
    """Return one row per doubly annotated unit whose passes differ on any layer."""
    check_complete(tasks, annotators)
    rows = []
    for task, first, second in paired_annotations(tasks, annotators):
        layers: dict[str, list[Any]] = {
            layer: [first.choices[layer], second.choices[layer]]
            for layer in CHOICE_LAYERS
            if first.choices[layer] != second.choices[layer]
        }
        first_spans = {(s.start, s.end, s.label, s.text) for s in first.spans}
        second_spans = {(s.start, s.end, s.label, s.text) for s in second.spans}
        if first_spans != second_spans:
            layers["entities"] = [
                sorted(first_spans - second_spans),
                sorted(second_spans - first_spans),
            ]
        if layers:
            rows.append({"unit_id": task.unit_id, "text": task.text, "differences": layers})
    return rows


def agreement_markdown(report: dict) -> str:
    """Render the agreement report as Markdown tables (``annotations/AGREEMENT.md``)."""
    lines = [
        "# Agreement between the annotation passes",
        "",
        "Generated by `migbench agreement` from the Label Studio exports; do not edit by hand.",
        "",
        f"Units annotated in both passes: {report['n_units']}.",
        "",
        agreement_table(report),
    ]
    entities = report["entities"]
    lines += [
        "",
        f"Entities: micro-F1 {entities['micro_f1']:.3f} (precision {entities['precision']:.3f}, "
        f"recall {entities['recall']:.3f}; {entities['mentions_first_pass']} mentions in the first "
        f"pass, {entities['mentions_second_pass']} in the second; first pass as reference).",
        "",
        markdown.table(
            ["type", "precision", "recall", "F1", "support"],
            [
                [
                    name,
                    *(f"{scores[key]:.3f}" for key in ("precision", "recall", "f1-score")),
                    int(scores["support"]),
                ]
                for name, scores in entities["per_type"].items()
            ],
        ),
    ]
    for layer, scores in report["layers"].items():
        confusion = scores["confusion"]
        labels = confusion["labels"]
        lines += ["", f"## {layer}: confusion (rows first pass, columns second pass)", ""]
        rows = [[label, *row] for label, row in zip(labels, confusion["matrix"], strict=True)]
        lines.append(markdown.table(["", *labels], rows))
    return "\n".join(lines) + "\n"
