"""Markdown helpers shared by every generated text: tables and numbers."""

from __future__ import annotations

from collections.abc import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return a Markdown table.

    An empty cell is one space wide, as in a matrix's corner.

    >>> print(table(["", "b"], [["a", 2]]))
    | | b |
    |---|---|
    | a | 2 |
    """

    def line(cells: Sequence[object]) -> str:
        return "|" + "|".join(f" {cell} " if str(cell) else " " for cell in cells) + "|"

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)])


def number(value: float | None) -> str:
    """Return a score with three decimals, ``n/a`` for None."""
    return "n/a" if value is None else f"{value:.3f}"
