"""The benchmark's tasks, each declared once (as MTEB's ``TaskMetadata``).

The CLI, the scorer, the baselines, the figures and the generated docs read these records; no
other registry of tasks exists.
"""

from __future__ import annotations

import warnings
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

#: The entity types NER scores under each choice of ``entity_types``: the schema's nine, or
#: CoNLL-2003's four (both sides mapped with ``schema.CONLL_MAPPING`` first).
ENTITY_TYPE_SETS: dict[str, tuple[str, ...]] = {"migbench": ENTITY_TYPES, "conll": CONLL_TYPES}
DEFAULT_ENTITY_TYPES = "migbench"
#: The deprecated ``tagset`` values and the ``entity_types`` each stands for.
TAGSETS: dict[str, str] = {"iob2": "migbench", "conll": "conll"}


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


def entity_types_of(
    task: Task, entity_types: str | None = None, *, tagset: str | None = None
) -> str | None:
    """Return the entity types ``task`` is scored on; None for a task other than NER.

    For NER, a key of :data:`ENTITY_TYPE_SETS`, by default :data:`DEFAULT_ENTITY_TYPES`.

    Args:
        task: The task.
        entity_types: ``migbench`` or ``conll``; NER only.
        tagset: Deprecated name of ``entity_types`` (``iob2`` for ``migbench``); warns.

    Raises:
        ValueError: An unknown choice, both names given, or entity types for another task.
    """
    if tagset is not None:
        warnings.warn(
            "tagset is deprecated; use entity_types ('iob2' is now 'migbench')",
            DeprecationWarning,
            stacklevel=3,
        )
        if entity_types is not None:
            raise ValueError("give entity_types or the deprecated tagset, not both")
        if tagset not in TAGSETS:
            raise ValueError(f"unknown tagset {tagset!r}; expected one of {', '.join(TAGSETS)}")
        if not task.is_sequence and TAGSETS[tagset] == DEFAULT_ENTITY_TYPES:
            return None  # the old default, named: it never applied to this task
        entity_types = TAGSETS[tagset]
    if entity_types is None:
        return DEFAULT_ENTITY_TYPES if task.is_sequence else None
    if entity_types not in ENTITY_TYPE_SETS:
        raise ValueError(
            f"unknown entity_types {entity_types!r}; expected one of {', '.join(ENTITY_TYPE_SETS)}"
        )
    if not task.is_sequence:
        raise ValueError(f"entity_types applies to the ner task only, not {task.name}")
    return entity_types


def prediction_types(entity_types: str) -> tuple[str, ...]:
    """Entity types a NER submission may use: the schema's, plus CoNLL's under ``conll``."""
    extra = tuple(t for t in ENTITY_TYPE_SETS[entity_types] if t not in ENTITY_TYPES)
    return ENTITY_TYPES + extra
