"""Scoring: tasks, gold, submissions, metrics, and the public API.

:func:`score` and :func:`validate` read a submission and its gold; :func:`compare` tests
submissions against each other; :data:`TASKS` declares each task; :func:`repair_iob2` puts a
model's raw tags into the strict IOB2 a submission needs.
"""

from migbench.scoring.api import score, validate
from migbench.scoring.comparison import compare, power
from migbench.scoring.iob2 import repair_iob2
from migbench.scoring.tasks import TASKS, Task, get_task

__all__ = ["TASKS", "Task", "compare", "get_task", "power", "repair_iob2", "score", "validate"]
