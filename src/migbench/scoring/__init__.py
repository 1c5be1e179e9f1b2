"""Scoring: tasks, gold, submissions, metrics, and the public API.

:class:`Scorer` scores, validates and compares submissions against a :class:`Gold`; :func:`score`,
:func:`validate` and :func:`compare` do the same in one call. :data:`TASKS` declares each task;
:func:`repair_iob2` puts a model's raw tags into the strict IOB2 a submission needs. The power
analysis is :func:`migbench.power` (here ``power`` names the module :mod:`.power`), the pure
metrics :func:`migbench.metrics` (here ``metrics`` names the module :mod:`.metrics`).
"""

from migbench.scoring.api import compare, score, validate
from migbench.scoring.gold import Gold
from migbench.scoring.iob2 import repair_iob2
from migbench.scoring.scorer import Scorer, Signature
from migbench.scoring.tasks import TASKS, Task, get_task

__all__ = [
    "TASKS",
    "Gold",
    "Scorer",
    "Signature",
    "Task",
    "compare",
    "get_task",
    "repair_iob2",
    "score",
    "validate",
]
