"""migbench's tasks for the harnesses people already run: lm-evaluation-harness and MTEB.

:mod:`~migbench.harness.lmeval` holds the lm-evaluation-harness tasks (task files in
``lm_eval_tasks/``), :mod:`~migbench.harness.prompts` the prompts drawn from the guidelines.
"""
