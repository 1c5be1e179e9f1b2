"""The one strict-IOB2 rule: validity check, its messages, and repair."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import migbench
from migbench.scoring.iob2 import iob2_problems, repair_iob2

TYPES = ("GPE", "ORG", "PERSON", "DATE")
tags = st.lists(st.sampled_from(["O", *(f"{p}-{t}" for t in TYPES for p in "BI")]), max_size=12)


def test_repair_iob2_opens_every_entity_with_b():
    raw = ["I-GPE", "I-GPE", "O", "I-ORG", "B-PERSON", "I-DATE", "I-DATE"]
    assert repair_iob2(raw) == ["B-GPE", "I-GPE", "O", "B-ORG", "B-PERSON", "B-DATE", "I-DATE"]
    assert migbench.repair_iob2 is repair_iob2


@pytest.mark.slow
@given(st.lists(tags, max_size=5))
def test_repaired_tags_pass_the_check_and_keep_valid_tags(sequences):
    repaired = [repair_iob2(sequence) for sequence in sequences]
    assert iob2_problems(repaired, TYPES) == []
    for sequence, fixed in zip(sequences, repaired, strict=True):
        if not iob2_problems([sequence], TYPES):
            assert fixed == sequence


def test_problems_name_the_sequence_and_its_first_break_only():
    problems = iob2_problems([["O"], ["B-GPE", "I-ORG", "I-ORG"], ["I-DATE"]], TYPES)
    assert [index for index, _ in problems] == [1, 2]
    assert problems[0][1].startswith("tag 1 'I-ORG' follows 'B-GPE'")
    assert problems[1][1].startswith("tag 0 'I-DATE' follows the start")


def test_unknown_tags_are_a_value_error_naming_the_choices():
    with pytest.raises(ValueError, match=r"unknown tag 'B-FOO'; expected one of O, B-GPE"):
        iob2_problems([["B-FOO"]], TYPES)
