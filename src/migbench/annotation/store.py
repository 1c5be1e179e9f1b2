"""The committed annotations: the exports folder, annotator roles and the gold per unit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migbench import jsonio
from migbench.annotation.types import AnnotatedUnit
from migbench.corpus.segment import Unit
from migbench.errors import MigbenchError
from migbench.labelstudio.export import ExportError, parse_export, read_export

DEFAULT_ANNOTATIONS = Path("annotations")
EXPORTS = Path("labelstudio") / "exports"
ANNOTATORS_NAME = "annotators.json"


@dataclass(frozen=True)
class Annotator:
    """A Label Studio user id and the pass it annotated in (0 for the adjudicator)."""

    id: int
    annotation_pass: int
    description: str


def read_annotators(annotations_dir: Path) -> dict[int, Annotator]:
    """Read ``annotators.json``: who annotated in which pass."""
    path = annotations_dir / ANNOTATORS_NAME
    rows = jsonio.read_json(path)
    if not isinstance(rows, list):
        raise MigbenchError(f"{path}: expected a JSON list of annotators")
    annotators: dict[int, Annotator] = {}
    for number, row in enumerate(rows, 1):
        annotator = jsonio.as_record(Annotator, row, f"{path}, entry {number}")
        if annotator.id in annotators:
            raise MigbenchError(f"{path}, entry {number}: annotator id {annotator.id} repeated")
        annotators[annotator.id] = annotator
    return annotators


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


def check_annotators(tasks: dict[str, AnnotatedUnit], annotators: dict[int, Annotator]) -> None:
    """Refuse annotations by user ids that ``annotators.json`` does not describe.

    Raises:
        MigbenchError: Naming every unknown id with a unit it annotated.
    """
    unknown = {
        a.annotator: task.unit_id
        for task in tasks.values()
        for a in task.annotations
        if a.annotator not in annotators
    }
    if unknown:
        listed = ", ".join(f"{user} (e.g. {unit})" for user, unit in sorted(unknown.items()))
        raise MigbenchError(f"annotator ids not in {ANNOTATORS_NAME}: {listed}")
