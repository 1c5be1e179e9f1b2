"""Every relative link in the repository's Markdown files resolves to a file and, where given, to
a heading of it."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from .conftest import REPO

#: The card template's links are relative to the dataset folder it is rendered into; the rendered
#: card (dataset/README.md) is checked instead.
NOT_CHECKED = {"src/migbench/dataset/templates/dataset_card.md"}

_MD = MarkdownIt("commonmark")


def tracked_markdown() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.splitlines() if name not in NOT_CHECKED]


def links(text: str) -> list[str]:
    """Return the targets of every link and image in a Markdown text, code excluded."""
    targets = []

    def walk(tokens):
        for token in tokens:
            if token.type == "link_open":
                targets.append(token.attrs["href"])
            elif token.type == "image":
                targets.append(token.attrs["src"])
            walk(token.children or [])

    walk(_MD.parse(text))
    return targets


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    tokens = _MD.parse(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set()
    for opening, inline in pairwise(tokens):
        if opening.type == "heading_open":
            base = slug("".join(child.content for child in inline.children or []))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def broken_links(source: Path) -> list[str]:
    """Return a message for each relative link of ``source`` that does not resolve."""
    broken = []
    for target in links(source.read_text(encoding="utf-8")):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue
        path = (source.parent / unquote(parts.path)).resolve() if parts.path else source
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif parts.fragment and path.suffix == ".md" and parts.fragment not in anchors(path):
            broken.append(f"{target}: no heading #{parts.fragment} in {path.name}")
    return broken


@pytest.mark.parametrize("name", tracked_markdown())
def test_relative_links_resolve(name):
    assert broken_links(REPO / name) == []


def test_a_broken_link_or_anchor_is_reported(tmp_path):
    (tmp_path / "other.md").write_text("# A Heading, here\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-heading-here) [gone](missing.md) [bad](other.md#nope) "
        "[web](https://example.org/x.md) `[code](missing.md)`\n\n## Local\n\n[self](#local)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nope: no heading #nope in other.md",
    ]
