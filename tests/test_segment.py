"""Segmentation: coverage of the kept text, recoverable texts, and the documented repairs."""

from __future__ import annotations

import re

import pytest

from migbench.corpus.segment import normalise, segment_document
from migbench.corpus.units import load_units

MARKDOWN = re.compile(r"[*#]|\\_")
#: The seed documents by id, as the manifest lists them.
DOC_IDS = ("repatriation", "rubio-meeting", "mp-letter", "dhankhar-report")


@pytest.fixture(scope="module")
def segmented(seed_documents) -> dict:
    """Each seed document's units, by doc id."""
    return {doc.doc_id: segment_document(doc) for doc in seed_documents}


@pytest.fixture(scope="module")
def texts(segmented):
    """Return the unit texts of a document."""
    return lambda doc_id: [unit.text for unit in segmented[doc_id]]


@pytest.mark.integration
def test_unit_counts_per_document(segmented):
    assert {doc: len(units) for doc, units in segmented.items()} == {
        "repatriation": 21,
        "rubio-meeting": 16,
        "mp-letter": 14,
        "dhankhar-report": 312,
    }


def test_ids_are_stable_and_unique(segmented):
    ids = [unit.id for units in segmented.values() for unit in units]
    assert len(set(ids)) == len(ids)
    for units in segmented.values():
        assert [u.id for u in units] == [f"{u.doc_id}-{i:04d}" for i, u in enumerate(units, 1)]


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_text_is_recoverable_from_raw_ranges(doc_id, seed_documents, segmented):
    document = next(d for d in seed_documents if d.doc_id == doc_id)
    for unit in segmented[doc_id]:
        assert unit.text == normalise(document.raw, unit.ranges)
        assert not MARKDOWN.search(unit.text), unit.id


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_units_cover_every_kept_word_exactly_once(doc_id, seed_documents, segmented):
    """Every non-space character outside removals and Markdown markers is in exactly one unit."""
    document = next(d for d in seed_documents if d.doc_id == doc_id)
    covered = [0] * len(document.raw)
    for unit in segmented[doc_id]:
        for start, end in unit.ranges:
            for i in range(start, end):
                covered[i] += 1
    removed = [False] * len(document.raw)
    for removal in document.rules.removals:
        removed[removal.start : removal.end] = [True] * (removal.end - removal.start)
    for i, char in enumerate(document.raw):
        if char.isspace() or removed[i]:
            assert covered[i] <= (0 if removed[i] else 1), (document.doc_id, i)
            continue
        if char in "*#" and covered[i] == 0:
            continue  # a Markdown marker
        assert covered[i] == 1, (document.doc_id, i, document.raw[max(0, i - 30) : i + 30])


def test_removals_are_gone(texts):
    assert not any("Your support" in t or "date 2025" in t for t in texts("repatriation"))
    report = " ".join(texts("dhankhar-report"))
    assert "Retrieved from" not in report
    assert "References" not in texts("dhankhar-report")


def test_abbreviations_do_not_split(texts):
    assert any(
        t.startswith("In October last year, the U.S. Department") for t in texts("rubio-meeting")
    )
    assert any("External Affairs Minister S. Jaishankar, in which" in t for t in texts("mp-letter"))
    assert any(
        "St. Lawrence River." in t and t.startswith("However") for t in texts("dhankhar-report")
    )


def test_single_newline_paragraphs_are_paragraphs(segmented):
    paragraphs = [u.paragraph for u in segmented["rubio-meeting"]]
    assert len(set(paragraphs)) == 12


def test_sentence_across_pdf_page_break_is_one_unit(segmented):
    units = [u for u in segmented["dhankhar-report"] if "does India face in addressing" in u.text]
    assert len(units) == 1
    assert units[0].unit_type == "list_item"
    assert len(units[0].ranges) == 2


def test_stray_running_heading_is_removed_and_sentence_rejoined(segmented):
    units = [
        u
        for u in segmented["dhankhar-report"]
        if "political instability, or armed conflicts" in u.text
    ]
    assert len(units) == 1
    assert units[0].text.startswith("The countries experiencing")


def test_sentence_around_a_figure_is_rejoined_and_the_figure_follows(segmented):
    report = segmented["dhankhar-report"]
    position = next(i for i, u in enumerate(report) if "Dakshaben, Meet, and Vidhi" in u.text)
    assert [u.unit_type for u in report[position + 2 : position + 5]] == ["caption"] * 3
    assert report[position + 4].text == "Figure 1. (IOM, 2023)"


def test_section_numbers_and_headings_keep_their_text(texts):
    report = texts("dhankhar-report")
    assert "2.0 Overview of the illegal immigration in India for the USA and Canada" in report
    assert "3.1 Families of Missing Individuals Still Grappling in Pain" in report


def test_run_in_bold_heading_becomes_its_own_unit_in_the_same_paragraph(segmented):
    report = segmented["dhankhar-report"]
    heading = next(u for u in report if u.text == "Border Issues:")
    following = report[report.index(heading) + 1]
    assert heading.unit_type == "heading"
    assert following.paragraph == heading.paragraph


def test_unit_types_cover_the_schema(segmented):
    assert {u.unit_type for units in segmented.values() for u in units} == {
        "heading",
        "sentence",
        "list_item",
        "caption",
        "byline",
    }


def test_tiny_document(tiny_seeds):
    _, units = load_units(tiny_seeds)
    assert [(u.unit_type, u.text) for u in units] == [
        ("heading", "A Heading"),
        ("sentence", "Mr. Smith met Dr. Rao in the U.S. on Monday."),
        ("sentence", "They talked."),
        ("sentence", "India-US ties grew 2.0 per cent."),
    ]
