r"""The one tokenizer from which IOB2 tags are derived.

A token is a maximal run of word characters (``\w``, Unicode-aware) or a single other
non-space character. Every punctuation mark, hyphen included, is its own token, so
"India-US" gives ``India``, ``-``, ``US`` and any entity span that starts and ends on a word
or punctuation boundary falls on token boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_TOKEN = re.compile(r"\w+|[^\w\s]")


class SpanAlignmentError(ValueError):
    """A character span starts or ends inside a token."""


def tokenize(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) character offsets of the tokens of ``text``, end-exclusive."""
    return [match.span() for match in _TOKEN.finditer(text)]


def token_texts(text: str) -> list[str]:
    """Return the token strings of ``text``."""
    return [text[start:end] for start, end in tokenize(text)]


def spans_to_iob2(
    text: str,
    spans: Iterable[tuple[int, int, str]],
    *,
    tokens: Sequence[tuple[int, int]] | None = None,
) -> list[str]:
    """Convert non-overlapping character spans to one IOB2 tag per token.

    Args:
        text: The unit text.
        spans: ``(start, end, label)`` triples, end-exclusive.
        tokens: Token offsets of ``text``; computed with :func:`tokenize` when omitted.

    Raises:
        SpanAlignmentError: A span boundary falls inside a token or a span covers no token.
    """
    offsets = list(tokens) if tokens is not None else tokenize(text)
    starts = {start: i for i, (start, _) in enumerate(offsets)}
    ends = {end: i for i, (_, end) in enumerate(offsets)}
    tags = ["O"] * len(offsets)
    for start, end, label in spans:
        if start not in starts or end not in ends or ends[end] < starts[start]:
            raise SpanAlignmentError(
                f"span {start}:{end} {text[start:end]!r} does not start and end on token boundaries"
            )
        first, last = starts[start], ends[end]
        tags[first] = f"B-{label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{label}"
    return tags


def iob2_to_spans(text: str, tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Return the ``(start, end, label)`` character spans of strict IOB2 ``tags`` over ``text``.

    The inverse of :func:`spans_to_iob2`: one tag per token of :func:`tokenize`.
    """
    offsets = tokenize(text)
    spans: list[tuple[int, int, str]] = []
    for (start, end), tag in zip(offsets, tags, strict=True):
        if tag.startswith("B-"):
            spans.append((start, end, tag[2:]))
        elif tag.startswith("I-"):
            spans[-1] = (spans[-1][0], end, spans[-1][2])
    return spans
