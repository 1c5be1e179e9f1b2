"""Segmentation: coverage of the kept text, recoverable texts, and the documented repairs."""

from __future__ import annotations

import re

import pytest

from migbench.corpus.seeds import load_documents
from migbench.corpus.segment import normalise, segment_document
from migbench.corpus.units import load_units

from .conftest import SEEDS

DOCUMENTS = load_documents(SEEDS)
UNITS = {doc.doc_id: segment_document(doc) for doc in DOCUMENTS}
ALL_UNITS = [unit for units in UNITS.values() for unit in units]
MARKDOWN = re.compile(r"[*#]|\\_")


def texts(doc_id: str) -> list[str]:
    return [unit.text for unit in UNITS[doc_id]]


def test_unit_counts_per_document():
    assert {doc: len(units) for doc, units in UNITS.items()} == {
        "repatriation": 21,
        "rubio-meeting": 16,
        "mp-letter": 14,
        "dhankhar-report": 312,
    }


def test_ids_are_stable_and_unique():
    ids = [unit.id for unit in ALL_UNITS]
    assert len(set(ids)) == len(ids)
    for units in UNITS.values():
        assert [u.id for u in units] == [f"{u.doc_id}-{i:04d}" for i, u in enumerate(units, 1)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.doc_id)
def test_text_is_recoverable_from_raw_ranges(document):
    for unit in UNITS[document.doc_id]:
        assert unit.text == normalise(document.raw, unit.ranges)
        assert not MARKDOWN.search(unit.text), unit.id


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.doc_id)
def test_units_cover_every_kept_word_exactly_once(document):
    """Every non-space character outside removals and Markdown markers is in exactly one unit."""
    covered = [0] * len(document.raw)
    for unit in UNITS[document.doc_id]:
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


def test_removals_are_gone():
    assert not any("Your support" in t or "date 2025" in t for t in texts("repatriation"))
    report = " ".join(texts("dhankhar-report"))
    assert "Retrieved from" not in report
    assert "References" not in texts("dhankhar-report")


def test_abbreviations_do_not_split():
    assert any(
        t.startswith("In October last year, the U.S. Department") for t in texts("rubio-meeting")
    )
    assert any("External Affairs Minister S. Jaishankar, in which" in t for t in texts("mp-letter"))
    assert any(
        "St. Lawrence River." in t and t.startswith("However") for t in texts("dhankhar-report")
    )


def test_single_newline_paragraphs_are_paragraphs():
    paragraphs = [u.paragraph for u in UNITS["rubio-meeting"]]
    assert len(set(paragraphs)) == 12


def test_sentence_across_pdf_page_break_is_one_unit():
    units = [u for u in UNITS["dhankhar-report"] if "does India face in addressing" in u.text]
    assert len(units) == 1
    assert units[0].unit_type == "list_item"
    assert len(units[0].ranges) == 2


def test_stray_running_heading_is_removed_and_sentence_rejoined():
    units = [
        u for u in UNITS["dhankhar-report"] if "political instability, or armed conflicts" in u.text
    ]
    assert len(units) == 1
    assert units[0].text.startswith("The countries experiencing")


def test_sentence_around_a_figure_is_rejoined_and_the_figure_follows():
    report = UNITS["dhankhar-report"]
    position = next(i for i, u in enumerate(report) if "Dakshaben, Meet, and Vidhi" in u.text)
    assert [u.unit_type for u in report[position + 2 : position + 5]] == ["caption"] * 3
    assert report[position + 4].text == "Figure 1. (IOM, 2023)"


def test_section_numbers_and_headings_keep_their_text():
    report = texts("dhankhar-report")
    assert "2.0 Overview of the illegal immigration in India for the USA and Canada" in report
    assert "3.1 Families of Missing Individuals Still Grappling in Pain" in report


def test_run_in_bold_heading_becomes_its_own_unit_in_the_same_paragraph():
    report = UNITS["dhankhar-report"]
    heading = next(u for u in report if u.text == "Border Issues:")
    following = report[report.index(heading) + 1]
    assert heading.unit_type == "heading"
    assert following.paragraph == heading.paragraph


def test_unit_types_cover_the_schema():
    assert {u.unit_type for u in ALL_UNITS} == {
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
