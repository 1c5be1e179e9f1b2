"""The functions migbench's task files name (``!function utils.NAME``), from migbench.harness.

For each task ``T`` of :data:`migbench.harness.lmeval.TASKS`: ``T_dataset``, ``T_prompt``,
``T_fewshot_prompt``, ``T_results`` and ``T_score`` (see :func:`task_functions`).
"""

from migbench.harness.lmeval import TASKS, task_functions

for _task in TASKS:
    globals().update(task_functions(_task))
