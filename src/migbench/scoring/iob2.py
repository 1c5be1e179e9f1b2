"""Strict IOB2 tags: the one validity rule, its messages, encoding and repair.

Every ``I-X`` continues a ``B-X`` or an ``I-X`` of the same type, so an entity always opens with
``B-``. seqeval's strict mode would silently drop an ``I-X`` after ``O``; migbench rejects such
tags in gold and submissions instead, so a submission never loses an entity it meant to predict.
:func:`repair_iob2` is the reading a model's raw output needs before it is submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np


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


def iob2_problems(
    sequences: Sequence[Sequence[str]], types: Sequence[str]
) -> list[tuple[int, str]]:
    """Check tag sequences against strict IOB2.

    Returns:
        For each sequence that breaks the rule, its index and the explanation of its first break,
        in order.

    Raises:
        ValueError: A tag is unknown (see :func:`encode_tags`).
    """
    codes, starts = encode_tags(sequences, types)
    problems: list[tuple[int, str]] = []
    for position in iob2_breaks(codes, starts).tolist():
        index = int(np.searchsorted(starts, position, side="right")) - 1
        if not problems or problems[-1][0] != index:
            tags, offset = sequences[index], position - int(starts[index])
            problems.append((index, _message(tags, offset)))
    return problems


def repair_iob2(tags: Sequence[str]) -> list[str]:
    """Return ``tags`` in strict IOB2: each ``I-X`` that continues no ``X`` entity becomes ``B-X``.

    This is conlleval's reading of such a tag (it opens an entity), which seqeval's default mode
    shares; use it on a model's raw output before submitting.

    >>> repair_iob2(["O", "I-GPE", "I-GPE", "I-ORG"])
    ['O', 'B-GPE', 'I-GPE', 'B-ORG']
    """
    repaired: list[str] = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        repaired.append(tag)
        previous = tag
    return repaired


def _message(tags: Sequence[str], position: int) -> str:
    tag, kind = tags[position], tags[position][2:]
    previous = repr(tags[position - 1]) if position else "the start"
    return (
        f"tag {position} {tag!r} follows {previous}; in strict IOB2 an I-{kind} must follow "
        f"B-{kind} or I-{kind} (an entity opens with B-)"
    )
