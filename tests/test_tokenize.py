"""The tokenizer and the span → IOB2 conversion derived from it."""

from __future__ import annotations

import pytest

from migbench.corpus.tokenize import (
    SpanAlignmentError,
    iob2_to_spans,
    spans_to_iob2,
    token_texts,
    tokenize,
)

TEXTS = [
    "Mr Trump met Modi in the US-Mexico border town on Tuesday.",
    "The U.S. Department of Homeland Security (DHS) deported 1,100 Indians — “illegal”.",
]


def test_hyphens_and_punctuation_are_tokens():
    assert token_texts("India-US ties, U.S.") == [
        "India",
        "-",
        "US",
        "ties",
        ",",
        "U",
        ".",
        "S",
        ".",
    ]
    assert [TEXTS[0][s:e] for s, e in tokenize(TEXTS[0])] == token_texts(TEXTS[0])


def test_span_inside_a_token_is_refused_not_stretched():
    with pytest.raises(SpanAlignmentError, match="token boundaries"):
        spans_to_iob2(TEXTS[0], [(3, 6, "PERSON")])
    with pytest.raises(SpanAlignmentError):
        spans_to_iob2(TEXTS[0], [(2, 8, "PERSON")])  # starts on a space


def test_multi_token_span_and_known_token_count():
    text = TEXTS[1]
    start = text.index("U.S.")
    end = text.index(" (DHS)")
    tags = spans_to_iob2(text, [(start, end, "ORG")])
    assert tags[:10] == ["O", "B-ORG"] + ["I-ORG"] * 7 + ["O"]


def test_iob2_to_spans_inverts_spans_to_iob2():
    text = "Mr. Smith met Dr. Rao in New Delhi, India-US talks."
    spans = [(4, 9, "PERSON"), (25, 34, "GPE"), (36, 41, "GPE"), (42, 44, "GPE")]
    tags = spans_to_iob2(text, spans)
    assert iob2_to_spans(text, tags) == spans
