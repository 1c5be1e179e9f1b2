"""migbench: stance, framing and named entities in writing on India-US irregular migration.

The public API is :func:`score` and :func:`validate` (from :mod:`migbench.scoring`); they are
imported on first use, so that ``import migbench`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "score", "validate"]

if TYPE_CHECKING:
    from migbench.scoring.api import score, validate


def __getattr__(name: str) -> Any:
    if name in ("score", "validate"):
        from migbench.scoring import api

        return getattr(api, name)
    raise AttributeError(f"module 'migbench' has no attribute {name!r}")
