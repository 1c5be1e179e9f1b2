"""The benchmark's tasks, each declared once: name, label set, main score, submission fields.

Also the label vocabulary of a NER submission and the strict IOB2 rule its tags must follow:
every ``I-X`` continues a ``B-X`` or an ``I-X`` of the same type, so an entity always opens with
``B-``. seqeval's strict mode would silently drop an ``I-X`` after ``O``; the scorer rejects it
instead, so a submission never loses an entity it meant to predict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from migbench.schema import CONLL_TYPES, ENTITY_TYPES, FRAME_LABELS, MFC_LABELS, STANCE_LABELS

#: NER tag sets: the entity types scored under each ``--tagset``.
TAGSETS: dict[str, tuple[str, ...]] = {"iob2": ENTITY_TYPES, "conll": CONLL_TYPES}


@dataclass(frozen=True)
class Task:
    """One benchmark task.

    Attributes:
        name: The task's name.
        labels: The label set; the entity types for ``ner``.
        main_metric: Key in the result's ``metrics`` of the score that ranks systems.
        fields: Submission fields that carry a prediction (exactly one per line).
        description: One line for help texts.
        macro_over_gold: Macro-F1 averages only the labels present in the gold.
        f_avg_labels: Labels whose F1s are averaged into ``f_avg`` (SemEval-2016 Task 6).
    """

    name: str
    labels: tuple[str, ...]
    main_metric: str
    fields: tuple[str, ...]
    description: str
    macro_over_gold: bool = False
    f_avg_labels: tuple[str, ...] = ()

    @property
    def is_sequence(self) -> bool:
        """Whether predictions are tag sequences (NER) rather than one label per unit."""
        return self.name == "ner"


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            "stance",
            STANCE_LABELS,
            "f_avg",
            ("stance",),
            "stance toward enforcement against irregular migration",
            f_avg_labels=("favor", "against"),
        ),
        Task("frame", FRAME_LABELS, "macro_f1", ("frame",), "security versus rights frame"),
        Task(
            "mfc",
            MFC_LABELS,
            "macro_f1",
            ("mfc",),
            "Media Frames Corpus primary dimension",
            macro_over_gold=True,
        ),
        Task(
            "ner",
            ENTITY_TYPES,
            "micro_f1",
            ("ner_tags", "entities"),
            "named entities, exact span and type",
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


def tag_vocabulary(types: Sequence[str]) -> dict[str, int]:
    """Return the IOB2 tags over ``types`` with their codes: 0 for O, 2t+1 for B-t, 2t+2 for I-t."""
    codes = {"O": 0}
    for index, name in enumerate(types):
        codes[f"B-{name}"], codes[f"I-{name}"] = 2 * index + 1, 2 * index + 2
    return codes


def encode_tags(
    sequences: Sequence[Sequence[str]], types: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Encode tag sequences as one flat array of :func:`tag_vocabulary` codes.

    Returns:
        The codes, and the offset in them where each sequence starts.

    Raises:
        ValueError: A tag is not ``O``, ``B-t`` or ``I-t`` with ``t`` in ``types``.
    """
    vocabulary = tag_vocabulary(types)
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    try:
        codes = np.fromiter(
            map(vocabulary.__getitem__, chain.from_iterable(sequences)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"unknown tag {exc}; expected one of {', '.join(vocabulary)}") from None
    return codes, np.cumsum(lengths) - lengths


def iob2_breaks(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return the positions in ``codes`` of I- tags that break strict IOB2.

    Args:
        codes: Flat codes as :func:`encode_tags` returns them.
        starts: Offset where each sequence starts.
    """
    inside = (codes > 0) & (codes % 2 == 0)
    opens_sequence = np.zeros(len(codes), dtype=bool)
    opens_sequence[starts[starts < len(codes)]] = True
    previous = np.concatenate([[0], codes[:-1]])
    # I-t (code 2t+2) continues B-t (2t+1) or I-t (2t+2) of the same sequence.
    continues = (previous == codes) | (previous == codes - 1)
    return np.flatnonzero(inside & (opens_sequence | ~continues))


def iob2_message(tags: Sequence[str], position: int) -> str:
    """Explain why the I- tag at ``position`` breaks strict IOB2."""
    tag, kind = tags[position], tags[position][2:]
    previous = repr(tags[position - 1]) if position else "the start"
    return (
        f"tag {position} {tag!r} follows {previous}; in strict IOB2 an I-{kind} must follow "
        f"B-{kind} or I-{kind} (an entity opens with B-)"
    )
