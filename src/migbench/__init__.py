"""migbench: stance, framing and named entities in writing on India-US irregular migration.

The public API: a :class:`Scorer` scores, validates and compares submissions of one task against
a :class:`Gold` (a protocol of the dataset, a file or rows) and signs every result; :func:`metrics`
scores aligned labels with no I/O; :func:`score`, :func:`validate`, :func:`compare` and
:func:`power` do a scorer's work in one call; :func:`folds` runs the cross-validation protocol as a
loop that writes the out-of-fold submission. :data:`TASKS` and :data:`PROTOCOLS` declare the
tasks and protocols. Everything is imported on first use, so that ``import migbench`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from migbench.version import __version__

#: Each public name and the module that defines it.
_EXPORTS = {
    "Gold": "migbench.scoring.gold",
    "PROTOCOLS": "migbench.protocols",
    "Protocol": "migbench.protocols",
    "Scorer": "migbench.scoring.scorer",
    "Signature": "migbench.scoring.scorer",
    "TASKS": "migbench.scoring.tasks",
    "Task": "migbench.scoring.tasks",
    "compare": "migbench.scoring.api",
    "folds": "migbench.crossval",
    "get_task": "migbench.scoring.tasks",
    "metrics": "migbench.scoring.evaluation",
    "power": "migbench.scoring.api",
    "repair_iob2": "migbench.scoring.iob2",
    "score": "migbench.scoring.api",
    "validate": "migbench.scoring.api",
}

__all__ = [
    "PROTOCOLS",
    "TASKS",
    "Gold",
    "Protocol",
    "Scorer",
    "Signature",
    "Task",
    "__version__",
    "compare",
    "folds",
    "get_task",
    "metrics",
    "power",
    "repair_iob2",
    "score",
    "validate",
]

if TYPE_CHECKING:
    from migbench.crossval import folds
    from migbench.protocols import PROTOCOLS, Protocol
    from migbench.scoring.api import compare, power, score, validate
    from migbench.scoring.evaluation import metrics
    from migbench.scoring.gold import Gold
    from migbench.scoring.iob2 import repair_iob2
    from migbench.scoring.scorer import Scorer, Signature
    from migbench.scoring.tasks import TASKS, Task, get_task


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'migbench' has no attribute {name!r}")
