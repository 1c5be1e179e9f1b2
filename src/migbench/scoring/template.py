"""A blank submission: one line per unit the gold scores, the prediction left null."""

from __future__ import annotations

from typing import Any

from migbench.scoring.gold import Gold
from migbench.scoring.tasks import get_task


def blank_submission(task: str, gold: Gold) -> list[dict[str, Any]]:
    """Return one submission line per gold unit, sorted by id, with a null prediction.

    A classification line is ``{"id": ..., "<task>": null}``; an NER line holds one null tag per
    gold token, so it shows how many tags the unit takes. Filled in, the lines are a submission
    for :func:`migbench.score`; left blank, :func:`migbench.validate` names every line.
    """
    spec = get_task(task)
    field = spec.submission_fields[0]
    lines = []
    for unit in sorted(gold.units((spec.gold_field,)), key=lambda unit: unit.id):
        blank = [None] * unit.n_tokens if spec.kind == "sequence" else None
        lines.append({"id": unit.id, field: blank})
    return lines
