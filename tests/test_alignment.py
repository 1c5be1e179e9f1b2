"""Token offsets and span codes for many units at once agree with the per-text tokenizer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migbench.corpus.tokenize import SpanAlignmentError, spans_to_iob2, tokenize
from migbench.schema import ENTITY_TYPES
from migbench.scoring.alignment import TokenMismatchError, index_tokens, spans_to_codes
from migbench.scoring.iob2 import tag_vocabulary

TAGS = list(tag_vocabulary(ENTITY_TYPES))
# Word characters (ASCII, accented, an Arabic-Indic digit, one outside the BMP), punctuation, a
# combining mark (not a word character), and spaces: ASCII, no-break, ideographic, separator.
ALPHABET = st.sampled_from(list("ab1_-.,’é٣\u0301 \t\n\x1c\u00a0\u2003\u3000") + ["\U0001d400"])
TEXTS = st.lists(st.text(ALPHABET, max_size=30), min_size=1, max_size=6)


@pytest.mark.integration
@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_token_offsets_are_the_tokenizers(texts):
    index = index_tokens(texts, [len(tokenize(text)) for text in texts])
    for unit, text in enumerate(texts):
        low, high = index.unit_tokens[unit], index.unit_tokens[unit + 1]
        base = index.unit_chars[unit]
        located = list(zip(index.starts[low:high] - base, index.ends[low:high] - base, strict=True))
        assert located == tokenize(text)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(TEXTS, st.data())
def test_span_codes_are_the_tags_of_spans_to_iob2(texts, data):
    units, spans, expected = [], [], []
    for unit, text in enumerate(texts):
        cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=6)))
        pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
        kinds = [data.draw(st.integers(0, len(ENTITY_TYPES) - 1)) for _ in pairs]
        triples = [(*pair, ENTITY_TYPES[kind]) for pair, kind in zip(pairs, kinds, strict=True)]
        try:
            expected.append(spans_to_iob2(text, triples))
        except SpanAlignmentError:
            expected.append(None)
        units += [unit] * len(pairs)
        spans += [(*pair, kind) for pair, kind in zip(pairs, kinds, strict=True)]
    index = index_tokens(texts, [len(tokenize(text)) for text in texts])
    array = np.array(spans, dtype=np.int64).reshape(-1, 3)
    codes, aligned = spans_to_codes(index, np.array(units, dtype=np.int64), array)
    for unit, tags in enumerate(expected):
        unit_aligned = aligned[np.array(units, dtype=np.int64) == unit]
        assert unit_aligned.all() == (tags is not None)
        if tags is not None:
            low, high = index.unit_tokens[unit], index.unit_tokens[unit + 1]
            assert [TAGS[code] for code in codes[low:high]] == tags


def test_a_word_never_runs_from_one_unit_into_the_next():
    index = index_tokens(["India-US", "ties", "", "a b"], [3, 1, 0, 2])
    assert index.starts.tolist() == [0, 5, 6, 8, 12, 14]
    assert index.ends.tolist() == [5, 6, 8, 12, 13, 15]
    assert index.unit_chars.tolist() == [0, 8, 12, 12]
    assert index.unit_tokens.tolist() == [0, 3, 4, 4, 6]


def test_units_with_another_token_count_are_named():
    with pytest.raises(TokenMismatchError) as caught:
        index_tokens(["India-US", "ties", "a b"], [3, 2, 1])
    assert caught.value.units == [1, 2]


def test_no_text_at_all():
    index = index_tokens(["", ""], [0, 0])
    assert index.starts.size == 0
    assert index.unit_tokens.tolist() == [0, 0, 0]
