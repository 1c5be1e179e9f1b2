"""What a released model's predictor reads and offers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

#: Number formats a classifier's encoder can run in: ``bfloat16`` runs it under torch's CPU
#: autocast, faster where the CPU has bfloat16 instructions (AMX, AVX-512 BF16), at the cost of a
#: label that differs from ``float32``'s on a few units.
PRECISIONS: tuple[str, ...] = ("float32", "bfloat16")


class Unit(Protocol):
    """A unit to predict: its text and, where known, its neighbours' texts."""

    @property
    def text(self) -> str:
        """The unit's text."""

    @property
    def prev_text(self) -> str | None:
        """The previous unit's text ('' at a document's start)."""

    @property
    def next_text(self) -> str | None:
        """The next unit's text ('' at a document's end)."""


class Predictor(Protocol):
    """A loaded model: its task, whether it reads the neighbours, and its predictions."""

    task: str
    context: bool

    def predict(self, units: Sequence[Unit]) -> list[Any]:
        """Return one submission value per unit: a label, or a list of entity spans."""
