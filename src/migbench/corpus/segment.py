"""Documents → sentence-level units with stable ids and raw character ranges.

Procedure (each step documented in the README, section "Segmentation"):

1. Removals declared in ``seeds/cleaning.json`` are blanked (offsets are kept).
2. Declared regions (bylines, captions, a heading the text does not mark) are cut out of the
   running text and segmented on their own with their declared unit type.
3. The rest is split into paragraphs: a blank line or a single newline ends a paragraph, except a
   Markdown hard break (two trailing spaces). ``#`` lines are headings, ``1.``/``-`` lines list
   items, and a paragraph that opens with ``**Bold:**`` yields that run-in heading as a unit.
4. Repair of page breaks: a paragraph that does not end in terminal punctuation continues into the
   next one when that one starts in lower case or the first ends with a comma (a PDF page break, or
   a removed running heading or a cut-out figure in between).
5. pysbd splits each paragraph into sentences.

A unit's text is its raw ranges' slices, joined by a space, with whitespace runs collapsed
(:func:`normalise`); Markdown markers are never inside a range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from migbench.corpus.seeds import Document

_HEADING = re.compile(r"^\s*#{1,6}\s+")
_LIST_ITEM = re.compile(r"^(?:\d+[.)]|[-+]|\*(?=\s))\s+")
_EMPHASIS = re.compile(r"^[*_]{1,3}|[*_]{1,3}$")
_RUN_IN_HEADING = re.compile(r"^\*\*([^*]+?)\*\*\s*(?=\S)")
_TERMINAL = tuple(".!?:;\"”’')")


@dataclass(frozen=True)
class Unit:
    """One sentence-level unit of a cleaned document."""

    id: str
    doc_id: str
    index: int
    unit_type: str
    paragraph: int
    text: str
    ranges: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class _Piece:
    """A run of raw text inside one line, Markdown markers excluded."""

    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class _Paragraph:
    kind: str  # heading, list_item, text, or a declared region's unit type
    pieces: list[_Piece]
    run_in_heading: _Piece | None = None

    @property
    def start(self) -> int:
        return (self.run_in_heading or self.pieces[0]).start


def normalise(raw: str, ranges: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """Return the unit text that raw character ranges stand for."""
    return " ".join(" ".join(raw[start:end] for start, end in ranges).split())


def segment_document(document: Document) -> list[Unit]:
    """Split a verified document into units, in reading order."""
    raw = document.raw
    regions = document.rules.regions
    flow = _blank(raw, [(r.start, r.end) for r in document.rules.removals + regions])
    paragraphs = _join_page_breaks(_paragraphs(flow, default_kind="text"))
    for region in regions:
        alone = _blank(raw, [(0, region.start), (region.end, len(raw))])
        paragraphs.extend(_paragraphs(alone, default_kind=region.unit_type))
    paragraphs.sort(key=lambda paragraph: paragraph.start)

    units: list[Unit] = []
    for paragraph_index, paragraph in enumerate(paragraphs):
        for unit_type, ranges in _unit_ranges(paragraph):
            index = len(units) + 1
            units.append(
                Unit(
                    id=f"{document.doc_id}-{index:04d}",
                    doc_id=document.doc_id,
                    index=index,
                    unit_type=unit_type,
                    paragraph=paragraph_index,
                    text=normalise(raw, ranges),
                    ranges=ranges,
                )
            )
    return units


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each span by newlines of the same length, so offsets stay valid."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "\n" * (end - start)
    return "".join(chars)


def _paragraphs(text: str, *, default_kind: str) -> list[_Paragraph]:
    """Split text into paragraphs of line pieces (steps 2 and 3 of the module docstring)."""
    paragraphs: list[_Paragraph] = []
    open_paragraph: _Paragraph | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        start, body = offset, line.rstrip("\r\n")
        offset += len(line)
        kind, piece = _classify_line(body, start, default_kind)
        if piece is None:
            open_paragraph = None
            continue
        if open_paragraph is not None and kind == default_kind:
            open_paragraph.pieces.append(piece)
        else:
            open_paragraph = _Paragraph(kind=kind, pieces=[piece])
            paragraphs.append(open_paragraph)
            if kind == "text":
                _split_run_in_heading(open_paragraph)
        if kind == "heading" or not body.endswith("  "):
            open_paragraph = None
    return [p for p in paragraphs if p.pieces or p.run_in_heading]


def _classify_line(body: str, start: int, default_kind: str) -> tuple[str, _Piece | None]:
    """Return the line's kind and its content without Markdown markers (None if it has none)."""
    kind, content = default_kind, body
    if heading := _HEADING.match(body):
        kind, content = (
            ("heading" if default_kind == "text" else default_kind),
            body[heading.end() :],
        )
    elif default_kind == "text" and _LIST_ITEM.match(body):
        kind = "list_item"
    inner = content.strip()
    if _RUN_IN_HEADING.match(inner) is None or kind == "heading":
        inner = _EMPHASIS.sub("", inner).strip()
    if not inner:
        return kind, None
    return kind, _Piece(start + body.index(inner, len(body) - len(content)), inner)


def _split_run_in_heading(paragraph: _Paragraph) -> None:
    """Cut a leading ``**Label:**`` off a paragraph into its run-in heading."""
    first = paragraph.pieces[0]
    match = _RUN_IN_HEADING.match(first.text)
    if match is None:
        return
    label = match.group(1).strip()
    paragraph.run_in_heading = _Piece(first.start + first.text.index(label), label)
    rest = first.text[match.end() :]
    paragraph.pieces[0] = _Piece(first.end - len(rest), rest)


def _join_page_breaks(paragraphs: list[_Paragraph]) -> list[_Paragraph]:
    """Step 4: rejoin paragraphs that a page break, a running heading or a figure split."""
    joined: list[_Paragraph] = []
    for paragraph in paragraphs:
        if joined and _continues(joined[-1], paragraph):
            joined[-1].pieces.extend(paragraph.pieces)
        else:
            joined.append(paragraph)
    return joined


def _continues(previous: _Paragraph, paragraph: _Paragraph) -> bool:
    if previous.kind == "heading" or paragraph.kind != "text" or paragraph.run_in_heading:
        return False
    if not previous.pieces or not paragraph.pieces:
        return False
    tail, head = previous.pieces[-1].text, paragraph.pieces[0].text
    return tail.endswith(",") or (not tail.endswith(_TERMINAL) and head[:1].islower())


def _unit_ranges(paragraph: _Paragraph):
    """Yield (unit type, raw ranges) for each unit of a paragraph (step 5)."""
    if paragraph.run_in_heading is not None:
        heading = paragraph.run_in_heading
        yield "heading", ((heading.start, heading.end),)
    if not paragraph.pieces:
        return
    if paragraph.kind not in ("text", "list_item"):
        yield paragraph.kind, tuple((p.start, p.end) for p in paragraph.pieces)
        return
    unit_type = "sentence" if paragraph.kind == "text" else paragraph.kind
    # Normalised paragraph text, with the raw offset of each of its characters.
    chars: list[str] = []
    offsets: list[int | None] = []
    for piece in paragraph.pieces:
        if chars:
            chars.append(" ")
            offsets.append(None)
        for position, char in enumerate(piece.text):
            if char.isspace() and chars and chars[-1] == " ":
                continue
            chars.append(" " if char.isspace() else char)
            offsets.append(piece.start + position)
    text = "".join(chars)
    cursor = 0
    for sentence in _segmenter().segment(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        begin = text.index(sentence, cursor)
        cursor = begin + len(sentence)
        yield unit_type, _ranges_of(offsets[begin:cursor])


def _ranges_of(offsets: list[int | None]) -> tuple[tuple[int, int], ...]:
    """Group the raw offsets of a unit's characters into ranges, one per piece it touches."""
    ranges: list[list[int]] = []
    for offset in offsets:
        if offset is None:
            ranges.append([])
            continue
        if not ranges:
            ranges.append([])
        ranges[-1].append(offset)
    return tuple((group[0], group[-1] + 1) for group in ranges if group)


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd  # the corpus extra; scoring never segments

    return pysbd.Segmenter(language="en", clean=False)
