"""Label Studio JSON exports: parsing, validation and writing of annotation results.

The exports under ``annotations/labelstudio/exports/`` are the only source of truth for the gold.
This module reads them with its own checks (never Label Studio's CoNLL converter, which stretches
spans): offsets are character offsets into the task text, end-exclusive, and must equal the span's
``text``, lie on token boundaries and not overlap. Labels and control names are checked against
the labeling config with the SDK's :class:`LabelInterface`. Cancelled annotations and drafts are
ignored; several annotators per task are kept with their ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard

from migbench import jsonio
from migbench.annotation.types import AnnotatedUnit, Annotation, Span
from migbench.corpus.segment import Unit
from migbench.corpus.tokenize import tokenize
from migbench.errors import MigbenchError
from migbench.jsonio import clip, quote
from migbench.labelstudio.config import NOTE_NAME, TEXT_NAME, labeling_config
from migbench.schema import CHOICE_LAYERS, NER_LAYER

#: The folder of the export files, under the annotations folder.
EXPORTS = Path("labelstudio") / "exports"
MAX_REPORTED = 20
#: Longest message of the SDK's validation quoted, in characters (it quotes the label given).
MESSAGE_CHARS = 300


class ExportError(MigbenchError):
    """An export failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        lines = shown + ([f"and {more} more"] if more else [])
        super().__init__(f"{len(problems)} problem(s) in the export:\n  " + "\n  ".join(lines))


@dataclass
class _Collector:
    source: str
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        self.problems.append(f"{self.source}: {where}: {reason}")


@lru_cache(maxsize=1)
def _interface():
    # The SDK takes seconds to import; only validation needs it, so every other command stays fast.
    from label_studio_sdk.label_interface import LabelInterface

    return LabelInterface(labeling_config())


def read_export(path: Path) -> list:
    """Read an export file's JSON strictly (see :mod:`migbench.jsonio`).

    Raises:
        MigbenchError: The file is unreadable, too large, not strict JSON or not a list.
    """
    data = jsonio.read_json(path)
    if not isinstance(data, list):
        raise MigbenchError(f"{path}: an export is a JSON list of tasks, got {type(data).__name__}")
    return data


def parse_export(
    data: list,
    *,
    source: str,
    unit_texts: Mapping[str, str] | None = None,
    require_gold: bool = False,
) -> list[AnnotatedUnit]:
    """Validate a Label Studio JSON export and return its tasks.

    Args:
        data: The decoded export (a list of task objects).
        source: Name of the file, used in messages.
        unit_texts: Unit id → text; when given, every task must name a known unit and carry its
            exact text.
        require_gold: Every task must have exactly one ``ground_truth`` annotation with one choice
            per single-choice layer.

    Raises:
        ExportError: Listing every problem with its task id and reason.
    """
    if not isinstance(data, list):
        raise ExportError([f"{source}: an export is a JSON list of tasks, not {quote(data)}"])
    collector = _Collector(source)
    tasks: list[AnnotatedUnit] = []
    seen_units: dict[str, int] = {}
    seen_tasks: set[int] = set()
    for position, task in enumerate(data):
        parsed = _parse_task(task, position, collector, unit_texts, require_gold)
        if parsed is None:
            continue
        if parsed.unit_id in seen_units:
            collector.add(
                f"task {parsed.task_id}",
                f"duplicate task for unit {clip(parsed.unit_id)} "
                f"(also task {seen_units[parsed.unit_id]})",
            )
            continue
        seen_units[parsed.unit_id] = parsed.task_id
        if parsed.task_id in seen_tasks:
            collector.add(f"task {parsed.task_id}", "duplicate task id")
            continue
        seen_tasks.add(parsed.task_id)
        tasks.append(parsed)
    if collector.problems:
        raise ExportError(collector.problems)
    return tasks


def _parse_task(task, position, collector, unit_texts, require_gold) -> AnnotatedUnit | None:
    if not isinstance(task, dict):
        collector.add(f"item {position}", "a task must be a JSON object")
        return None
    task_id = task.get("id")
    if not _is_integer(task_id):
        collector.add(f"item {position}", f"task id must be an integer, got {quote(task_id)}")
        return None
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("unit_id"), str):
        collector.add(f"task {task_id}", "missing data.unit_id")
        return None
    unit_id, text = data["unit_id"], data.get(TEXT_NAME)
    where = f"task {task_id} ({clip(unit_id)})"
    if not isinstance(text, str):
        collector.add(where, f"missing data.{TEXT_NAME}")
        return None
    if unit_texts is not None:
        if unit_id not in unit_texts:
            collector.add(where, "unknown unit id (not a unit of the current seeds)")
            return None
        if unit_texts[unit_id] != text:
            collector.add(where, "task text differs from the unit's text in the current seeds")
            return None
    raw_annotations = task.get("annotations")
    if not isinstance(raw_annotations, list):
        collector.add(where, "missing annotations list")
        return None
    annotations = []
    for index, raw in enumerate(raw_annotations):
        if not isinstance(raw, dict):
            collector.add(where, f"annotation {index} is not an object")
            continue
        name = f"{where} annotation {clip(str(raw.get('id', index)))}"
        flags = [raw.get(flag, False) for flag in ("was_cancelled", "ground_truth")]
        if not all(isinstance(flag, bool) for flag in flags):
            collector.add(name, "was_cancelled and ground_truth must be true or false")
        elif not flags[0]:
            annotation = _parse_annotation(raw, text, name, collector)
            if annotation is not None:
                annotations.append(annotation)
    if (
        raw_annotations
        and not annotations
        and all(isinstance(a, dict) and a.get("was_cancelled") is True for a in raw_annotations)
    ):
        collector.add(where, "only cancelled annotations")
    golds = [a for a in annotations if a.ground_truth]
    if require_gold:
        if len(golds) != 1:
            collector.add(where, f"{len(golds)} ground_truth annotations, expected exactly 1")
        elif missing := [layer for layer in CHOICE_LAYERS if layer not in golds[0].choices]:
            collector.add(where, f"gold has no choice for {', '.join(missing)}")
    return AnnotatedUnit(task_id, unit_id, text, tuple(annotations))


def _parse_annotation(raw: dict, text: str, where: str, collector: _Collector) -> Annotation | None:
    annotator = raw.get("completed_by")
    if isinstance(annotator, dict):  # some exports expand the user
        annotator = annotator.get("id")
    result = raw.get("result")
    if not _is_integer(annotator) or not isinstance(result, list):
        collector.add(where, "missing completed_by (user id) or result list")
        return None
    errors = _interface().validate_prediction({"result": result}, return_errors=True)
    for error in errors or []:
        collector.add(where, clip(str(error), MESSAGE_CHARS))
    if errors:
        return None
    choices: dict[str, str] = {}
    spans: list[Span] = []
    note = ""
    for region in result:
        name, value = region["from_name"], region["value"]
        if name in CHOICE_LAYERS:
            picked = value.get("choices", [])
            if len(picked) != 1 or name in choices:
                collector.add(where, f"{name} is single-choice, got {quote(picked)}")
                continue
            choices[name] = picked[0]
        elif name == NER_LAYER:
            span = _parse_span(value, text, where, collector)
            if span is not None:
                spans.append(span)
        elif name == NOTE_NAME:
            note = " ".join(value.get("text", []))
    spans.sort(key=lambda s: (s.start, s.end))
    for first, second in itertools.pairwise(spans):
        if second.start < first.end:
            collector.add(
                where,
                f"overlapping spans {first.start}:{first.end} and {second.start}:{second.end}",
            )
    return Annotation(
        annotator=annotator,
        ground_truth=bool(raw.get("ground_truth", False)),
        choices=choices,
        spans=tuple(spans),
        note=note,
    )


def _parse_span(value: dict, text: str, where: str, collector: _Collector) -> Span | None:
    start, end, labels = value.get("start"), value.get("end"), value.get("labels", [])
    if not (_is_integer(start) and _is_integer(end) and 0 <= start < end <= len(text)):
        collector.add(
            where,
            f"span offsets {quote(start)}:{quote(end)} out of range for a text of {len(text)} "
            "characters (offsets are integers)",
        )
        return None
    if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
        collector.add(where, f"span {start}:{end} needs exactly one label, got {quote(labels)}")
        return None
    surface = text[start:end]
    if value.get("text") != surface:
        collector.add(
            where,
            f"span {start}:{end} text {quote(value.get('text'))} differs from the task text "
            f"{quote(surface)}",
        )
        return None
    boundaries = tokenize(text)
    if start not in {s for s, _ in boundaries} or end not in {e for _, e in boundaries}:
        collector.add(
            where,
            f"span {start}:{end} {quote(surface)} starts or ends inside a token or on whitespace",
        )
        return None
    return Span(start, end, labels[0], surface)


def _is_integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def annotation_result(
    choices: Mapping[str, str], spans: Iterable[Span], note: str = ""
) -> list[dict]:
    """Return a Label Studio ``result`` list for one unit's labels (annotation or prediction)."""
    result = [
        {
            "id": f"{layer}",
            "from_name": layer,
            "to_name": TEXT_NAME,
            "type": "choices",
            "origin": "manual",
            "value": {"choices": [choices[layer]]},
        }
        for layer in CHOICE_LAYERS
        if layer in choices
    ]
    result += [
        {
            "id": f"ent{index}",
            "from_name": NER_LAYER,
            "to_name": TEXT_NAME,
            "type": "labels",
            "origin": "manual",
            "value": {
                "start": span.start,
                "end": span.end,
                "text": span.text,
                "labels": [span.label],
            },
        }
        for index, span in enumerate(spans, 1)
    ]
    if note:
        result.append(
            {
                "id": NOTE_NAME,
                "from_name": NOTE_NAME,
                "to_name": TEXT_NAME,
                "type": "textarea",
                "origin": "manual",
                "value": {"text": [note]},
            }
        )
    return result


def export_task(task_id: int, data: Mapping, annotations: Iterable[dict]) -> dict:
    """Return one task in Label Studio's JSON export shape."""
    return {"id": task_id, "data": dict(data), "annotations": list(annotations), "predictions": []}


def export_annotation(
    annotation_id: int, task_id: int, annotator: int, result: list[dict], *, ground_truth: bool
) -> dict:
    """Return one annotation in Label Studio's JSON export shape."""
    return {
        "id": annotation_id,
        "completed_by": annotator,
        "result": result,
        "was_cancelled": False,
        "ground_truth": ground_truth,
        "task": task_id,
    }


def load_annotated_units(
    annotations_dir: Path, units: list[Unit], *, require_gold: bool = True
) -> dict[str, AnnotatedUnit]:
    """Parse every export file and return unit id → task, validated against the units.

    Raises:
        ExportError: Every problem of every file, and every unit without a task.
    """
    files = sorted((annotations_dir / EXPORTS).glob("*.json"))
    if not files:
        raise MigbenchError(f"{annotations_dir / EXPORTS}: no export files")
    texts = {unit.id: unit.text for unit in units}
    problems: list[str] = []
    tasks: dict[str, AnnotatedUnit] = {}
    for path in files:
        try:
            parsed = parse_export(
                read_export(path), source=str(path), unit_texts=texts, require_gold=require_gold
            )
        except ExportError as exc:
            problems.extend(exc.problems)
            continue
        for task in parsed:
            if task.unit_id in tasks:
                problems.append(f"{path}: task {task.task_id}: unit {task.unit_id} is in two files")
            tasks[task.unit_id] = task
    if not problems:
        problems = [
            f"unit {unit.id}: no task in the exports" for unit in units if unit.id not in tasks
        ]
    if problems:
        raise ExportError(problems)
    return tasks
