"""The benchmark's tasks, each declared once (as MTEB's ``TaskMetadata``).

The CLI, the scorer, the baselines, the figures and the generated docs read these records; no
other registry of tasks exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from migbench.schema import (
    CONLL_TYPES,
    ENTITY_TYPES,
    EVALUATION_SPLITS,
    FRAME_LABELS,
    MFC_LABELS,
    STANCE_LABELS,
)

#: NER tag sets: the entity types scored under each ``--tagset``.
TAGSETS: dict[str, tuple[str, ...]] = {"iob2": ENTITY_TYPES, "conll": CONLL_TYPES}


@dataclass(frozen=True)
class Task:
    """One benchmark task.

    Attributes:
        name: The task's name, as the CLI and results spell it.
        kind: ``classification`` (one label per unit) or ``sequence`` (one tag per token).
        description: One line for help texts and tables.
        labels: The label set; for a sequence task, the entity types.
        gold_field: The dataset column that holds the gold.
        config: The dataset config that carries the task.
        main_metric: Key in a result's ``metrics`` of the score that ranks systems.
        submission_fields: Fields of a submission line that can carry a prediction (one per line).
        metric_kwargs: Options of the metric: ``f_avg_labels`` (labels whose F1s are averaged into
            ``f_avg``, SemEval-2016 Task 6) and ``macro_over_gold`` (macro-F1 over the labels
            present in the gold only).
        eval_splits: Splits of the fixed split that can be scored.
    """

    name: str
    kind: Literal["classification", "sequence"]
    description: str
    labels: tuple[str, ...]
    gold_field: str
    config: str
    main_metric: str
    submission_fields: tuple[str, ...]
    metric_kwargs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    eval_splits: tuple[str, ...] = EVALUATION_SPLITS

    @property
    def is_sequence(self) -> bool:
        """Whether predictions are tag sequences rather than one label per unit."""
        return self.kind == "sequence"

    @property
    def f_avg_labels(self) -> tuple[str, ...]:
        """Labels averaged into ``f_avg``; empty when the task has no such metric."""
        return tuple(self.metric_kwargs.get("f_avg_labels", ()))

    @property
    def macro_over_gold(self) -> bool:
        """Whether macro-F1 averages only the labels present in the gold."""
        return bool(self.metric_kwargs.get("macro_over_gold", False))


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="stance",
            kind="classification",
            description="stance toward enforcement against irregular migration",
            labels=STANCE_LABELS,
            gold_field="stance",
            config="stance",
            main_metric="f_avg",
            submission_fields=("stance",),
            metric_kwargs=MappingProxyType({"f_avg_labels": ("favor", "against")}),
        ),
        Task(
            name="frame",
            kind="classification",
            description="security versus rights frame",
            labels=FRAME_LABELS,
            gold_field="frame",
            config="framing",
            main_metric="macro_f1",
            submission_fields=("frame",),
        ),
        Task(
            name="mfc",
            kind="classification",
            description="Media Frames Corpus primary dimension",
            labels=MFC_LABELS,
            gold_field="mfc",
            config="framing",
            main_metric="macro_f1",
            submission_fields=("mfc",),
            metric_kwargs=MappingProxyType({"macro_over_gold": True}),
        ),
        Task(
            name="ner",
            kind="sequence",
            description="named entities, exact span and type",
            labels=ENTITY_TYPES,
            gold_field="ner_tags",
            config="ner",
            main_metric="micro_f1",
            submission_fields=("ner_tags", "entities"),
        ),
    )
}


def get_task(name: str) -> Task:
    """Return the task called ``name``.

    Raises:
        ValueError: No such task.
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")
    return TASKS[name]


def check_tagset(tagset: str) -> None:
    """Raise ValueError unless ``tagset`` is one of :data:`TAGSETS`."""
    if tagset not in TAGSETS:
        raise ValueError(f"unknown tagset {tagset!r}; expected one of {', '.join(TAGSETS)}")


def check_options(task: Task, tagset: str) -> None:
    """Raise ValueError unless ``tagset`` is known and, other than ``iob2``, used with NER."""
    check_tagset(tagset)
    if tagset != "iob2" and not task.is_sequence:
        raise ValueError(f"tagset {tagset!r} applies to the ner task only, not {task.name}")


def prediction_types(tagset: str) -> tuple[str, ...]:
    """Entity types a NER submission may use: the OntoNotes types, plus CoNLL's under ``conll``."""
    check_tagset(tagset)
    extra = tuple(t for t in TAGSETS[tagset] if t not in ENTITY_TYPES)
    return ENTITY_TYPES + extra
