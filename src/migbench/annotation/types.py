"""Annotation types: an entity span, one annotator's labels, a unit with its annotations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """An entity mention: character offsets into the unit text, end-exclusive."""

    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True)
class Annotation:
    """One annotator's labels for one unit."""

    annotator: int
    ground_truth: bool
    choices: Mapping[str, str]
    spans: tuple[Span, ...]
    note: str = ""


@dataclass(frozen=True)
class AnnotatedUnit:
    """A unit (a Label Studio task of an export) with its usable, not cancelled, annotations."""

    task_id: int
    unit_id: str
    text: str
    annotations: tuple[Annotation, ...]

    @property
    def gold(self) -> Annotation | None:
        """The annotation marked ``ground_truth``, if any."""
        return next((a for a in self.annotations if a.ground_truth), None)
