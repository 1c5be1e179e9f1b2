"""Argument types shared by the commands: every number a user passes is bounded."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def bounded(maximum: int, minimum: int = 0) -> Callable[[str], int]:
    """Return an argparse type that accepts an integer from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            shown = text if len(text) <= 20 else text[:17] + "..."
            raise argparse.ArgumentTypeError(
                f"expected an integer from {minimum} to {maximum}, got {shown!r}"
            )
        return value

    return parse
