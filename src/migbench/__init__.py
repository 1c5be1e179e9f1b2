"""migbench: stance, framing and named entities in writing on India-US irregular migration.

The public API: :func:`score` and :func:`validate` a submission, :func:`compare` several, the
task declarations :data:`TASKS` (with :func:`get_task`), :func:`repair_iob2`, and :func:`folds`
(the cross-validation protocol as a loop). They come from
:mod:`migbench.scoring` and are imported on first use, so that ``import migbench`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "1.0.0"

__all__ = [
    "TASKS",
    "Task",
    "__version__",
    "compare",
    "folds",
    "get_task",
    "power",
    "repair_iob2",
    "score",
    "validate",
]

if TYPE_CHECKING:
    # From its module: in migbench.scoring, ``power`` also names the submodule scoring.power.
    from migbench.crossval import folds
    from migbench.scoring import TASKS, Task, get_task, repair_iob2, score, validate
    from migbench.scoring.comparison import compare, power


def __getattr__(name: str) -> Any:
    if name == "folds":
        return importlib.import_module("migbench.crossval").folds
    if name in __all__:
        return getattr(importlib.import_module("migbench.scoring"), name)
    raise AttributeError(f"module 'migbench' has no attribute {name!r}")
