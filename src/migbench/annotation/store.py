"""The committed annotations: the annotators and the agreement report beside the exports.

The exports themselves are Label Studio's format, read by :mod:`migbench.labelstudio.export`:
the annotation layer does not know the tool.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from migbench import jsonio, markdown
from migbench.annotation.types import AnnotatedUnit, Annotation
from migbench.errors import MigbenchError

DEFAULT_ANNOTATIONS = Path("annotations")
ANNOTATORS_NAME = "annotators.json"
AGREEMENT_NAME = "agreement.json"


#: What an annotator is. An adjudicator may itself be a language-model agent or a human; which,
#: is recorded by ``model`` (``None`` for a human).
ANNOTATOR_KINDS = ("language-model annotation agent", "adjudicator", "human")


@dataclass(frozen=True)
class Annotator:
    """A Label Studio user id: the pass it annotated in (0 for the adjudicator) and what it is.

    Attributes:
        id: The Label Studio user id of its annotations.
        annotation_pass: 1 or 2 for the annotation passes, 0 for the adjudicator.
        kind: One of ``ANNOTATOR_KINDS``.
        model: The language model behind the annotator (``"unknown"`` where not recorded), or
            ``None`` for a human.
        model_version: The model's version (``"unknown"`` where not recorded), ``None`` for a human.
        instructions: What the annotator was given (schema and guidelines versions, inputs).
        description: Which units it annotated and how.
        guidelines: The version of the guidelines it annotated under.
    """

    id: int
    annotation_pass: int
    kind: str
    model: str | None
    model_version: str | None
    instructions: str
    description: str
    guidelines: str

    @property
    def is_language_model(self) -> bool:
        """Whether the annotator is a language-model agent."""
        return self.model is not None


#: The JSON types each field of ``annotators.json`` takes.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (int,),
    "annotation_pass": (int,),
    "kind": (str,),
    "model": (str, type(None)),
    "model_version": (str, type(None)),
    "instructions": (str,),
    "description": (str,),
}


def _annotator(row: dict) -> Annotator:
    try:
        annotator = Annotator(**row)
    except TypeError as exc:
        fields = ", ".join(Annotator.__dataclass_fields__)
        raise ValueError(f"id {row.get('id')}: {exc}; the fields are {fields}") from None
    for name, kinds in _FIELD_TYPES.items():
        value = getattr(annotator, name)
        if type(value) not in kinds:  # bool is not int; a number is not a string
            wanted = " or ".join("null" if kind is type(None) else kind.__name__ for kind in kinds)
            raise ValueError(f"id {row.get('id')}: {name} must be {wanted}, not {value!r}")
    if annotator.annotation_pass not in (0, 1, 2):
        raise ValueError(f"id {annotator.id}: annotation_pass must be 0, 1 or 2")
    if annotator.kind not in ANNOTATOR_KINDS:
        raise ValueError(
            f"id {annotator.id}: unknown kind {annotator.kind!r}; "
            f"expected one of {', '.join(ANNOTATOR_KINDS)}"
        )
    if (annotator.kind == "human") != (annotator.model is None):
        raise ValueError(
            f"id {annotator.id}: a {annotator.kind} needs model "
            + ("null" if annotator.kind == "human" else '"unknown" or its name')
        )
    return annotator


def read_annotators(annotations_dir: Path) -> dict[int, Annotator]:
    """Read ``annotators.json``: who annotated in which pass, and what each annotator is.

    Raises:
        MigbenchError: The file is missing or malformed, naming the annotator id at fault.
    """
    path = annotations_dir / ANNOTATORS_NAME
    rows = jsonio.read_json(path)
    if not isinstance(rows, list):
        raise MigbenchError(f"{path}: expected a JSON list of annotators")
    annotators: dict[int, Annotator] = {}
    for number, row in enumerate(rows, 1):
        try:
            if not isinstance(row, dict) or type(row.get("id")) is not int:
                raise ValueError(f"entry {number}: expected an object with an integer id")
            annotator = _annotator(row)
        except ValueError as exc:
            raise MigbenchError(f"{path}: not a valid annotator list ({exc})") from None
        if annotator.id in annotators:
            raise MigbenchError(f"{path}, entry {number}: annotator id {annotator.id} repeated")
        annotators[annotator.id] = annotator
    return annotators


#: A correction of a gold label under a later guidelines version: a line of its note.
_CORRECTION = re.compile(r"^v(\d+\.\d+): ", re.M)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def guidelines_of(annotation: Annotation, annotators: dict[int, Annotator]) -> str:
    """Return the guidelines version under which an annotation was last decided.

    That is its annotator's version, or a later one under which a line of its note
    (``v1.2: <layer> <old> → <new>: <reason>``) corrected it.
    """
    versions = [annotators[annotation.annotator].guidelines, *_CORRECTION.findall(annotation.note)]
    return max(versions, key=_version_key)


def read_agreement(annotations_dir: Path) -> dict:
    """Read ``agreement.json``, the report that ``migbench agreement`` writes.

    Raises:
        MigbenchError: The file is missing or not JSON; run ``migbench agreement``.
    """
    path = annotations_dir / AGREEMENT_NAME
    if not path.is_file():
        raise MigbenchError(f"{path}: no agreement report; run `migbench agreement`")
    return jsonio.read_json(path)


def agreement_table(report: Mapping) -> str:
    """Render the per-layer agreement of a report as a Markdown table: κ, α, raw agreement."""
    return markdown.table(
        ["layer", "Cohen's κ", "Krippendorff's α", "raw agreement"],
        [
            [
                layer,
                markdown.number(scores["cohen_kappa"]),
                markdown.number(scores["krippendorff_alpha"]),
                f"{scores['percent_agreement']:.3f}",
            ]
            for layer, scores in report["layers"].items()
        ],
    )


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
