"""Entity spans in character offsets turned into IOB2 tag codes over the tokens, for many units.

The tokens are those of :func:`migbench.corpus.tokenize.tokenize` (runs of word characters,
and every other non-space character on its own). :func:`index_tokens` finds them for all units
at once with numpy over the joined texts, so scoring 100,000 units of entity spans needs no
per-token Python loop; :func:`index_offsets` takes them from the gold's token offsets instead,
which the text-free dataset keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# The tokenizer's classes; characters beyond ASCII are looked up once per distinct character.
_WORD, _SPACE = re.compile(r"\w"), re.compile(r"\s")
_ASCII = [chr(code) for code in range(128)]
_ASCII_WORD = np.array([bool(_WORD.match(char)) for char in _ASCII])
_ASCII_SPACE = np.array([bool(_SPACE.match(char)) for char in _ASCII])


class TokenMismatchError(ValueError):
    """Some units have another number of tokens than their text; ``units`` holds their positions."""

    def __init__(self, units: Sequence[int]) -> None:
        self.units = list(units)
        super().__init__(f"units {self.units[:5]} do not have the tokenizer's number of tokens")


@dataclass(frozen=True)
class TokenIndex:
    """Where the tokens of some units lie in their joined texts.

    Attributes:
        unit_chars: Offset of each unit's text in the joined texts.
        unit_tokens: Index of each unit's first token in ``starts`` and ``ends``, then their
            length.
        starts: Offset in the joined texts of each token's first character.
        ends: Offset in the joined texts just past each token's last character.
    """

    unit_chars: np.ndarray
    unit_tokens: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def index_tokens(texts: Sequence[str], token_counts: Iterable[int]) -> TokenIndex:
    """Locate the tokenizer's tokens of each text.

    Args:
        texts: Unit texts.
        token_counts: The number of tokens each unit is known to have (its gold tokens).

    Raises:
        TokenMismatchError: The tokenizer finds another number of tokens in some texts.
    """
    unit_chars = _offsets(map(len, texts))
    characters = _code_points("".join(texts))
    word = _classify(characters, _WORD, _ASCII_WORD)
    solid = ~_classify(characters, _SPACE, _ASCII_SPACE)
    boundary = np.zeros(len(characters) + 1, dtype=bool)
    boundary[unit_chars] = True  # a run of word characters never crosses from one unit to the next
    word_before, word_after = np.zeros_like(word), np.zeros_like(word)
    word_before[1:], word_after[:-1] = word[:-1], word[1:]
    word_before &= ~boundary[:-1]
    word_after &= ~boundary[1:]
    starts = np.flatnonzero(solid & ~(word & word_before))
    ends = np.flatnonzero(solid & ~(word & word_after)) + 1
    unit_tokens = np.searchsorted(starts, unit_chars)
    expected = np.fromiter(token_counts, dtype=np.int64, count=len(texts))
    bad = np.flatnonzero(np.diff(unit_tokens) != expected)
    if bad.size:
        raise TokenMismatchError(bad.tolist())
    return TokenIndex(unit_chars[:-1], unit_tokens, starts, ends)


def index_offsets(
    offsets: Sequence[Sequence[tuple[int, int]]], lengths: Iterable[int]
) -> TokenIndex:
    """Locate the tokens of each unit from its token offsets, as if the texts were joined.

    Args:
        offsets: Each unit's tokens as (start, end) character offsets into its text.
        lengths: The length of each unit's text.
    """
    unit_chars = _offsets(lengths)
    counts = np.fromiter(map(len, offsets), dtype=np.int64, count=len(offsets))
    pairs = np.array([pair for unit in offsets for pair in unit], dtype=np.int64).reshape(-1, 2)
    base = np.repeat(unit_chars[:-1], counts)
    return TokenIndex(unit_chars[:-1], _offsets(counts), base + pairs[:, 0], base + pairs[:, 1])


def spans_to_codes(
    index: TokenIndex, units: np.ndarray, spans: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the IOB2 codes of non-overlapping spans over all tokens, and which spans align.

    Args:
        index: The units' tokens.
        units: Position of each span's unit in ``index``.
        spans: One row per span: start, end (character offsets into its unit's text,
            end-exclusive, within it) and type index ``t``, coded ``2t + 1`` for B- and
            ``2t + 2`` for I- as :func:`migbench.scoring.iob2.tag_vocabulary` does.

    Returns:
        The codes of all tokens (0 for O), flat as in ``index``; and for each span whether it
        starts on a token's first character and ends on a token's last (only those are coded).
    """
    codes = np.zeros(len(index.starts), dtype=np.int64)
    if not len(codes):
        return codes, np.zeros(len(spans), dtype=bool)
    base = index.unit_chars[units]
    starts, ends, types = base + spans[:, 0], base + spans[:, 1], spans[:, 2]
    first = np.minimum(np.searchsorted(index.starts, starts), len(codes) - 1)
    last = np.minimum(np.searchsorted(index.ends, ends), len(codes) - 1)
    aligned = (index.starts[first] == starts) & (index.ends[last] == ends)
    first, last, types = first[aligned], last[aligned], types[aligned]
    codes[first] = 2 * types + 1
    inside = last - first
    run_start = np.repeat(first + 1 - (np.cumsum(inside) - inside), inside)
    codes[run_start + np.arange(inside.sum())] = np.repeat(2 * types + 2, inside)
    return codes, aligned


def _offsets(lengths: Iterable[int]) -> np.ndarray:
    """Return the running start offsets of pieces of ``lengths``, then their total."""
    return np.concatenate([[0], np.cumsum(np.fromiter(lengths, dtype=np.int64))])


def _code_points(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate (in-memory gold rows may hold one) is a code point here too.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _classify(characters: np.ndarray, pattern: re.Pattern[str], ascii: np.ndarray) -> np.ndarray:
    """Return which code points ``pattern`` matches."""
    matches = ascii[np.minimum(characters, 127)]
    other = np.flatnonzero(characters >= 128)
    if other.size:
        codes, inverse = np.unique(characters[other], return_inverse=True)
        matched = np.array([bool(pattern.match(chr(code))) for code in codes.tolist()])
        matches[other] = matched[inverse]
    return matches
