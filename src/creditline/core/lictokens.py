"""Tokens for license matching.

Texts are lower-cased and split into word tokens (letters and digits; a ``+`` inside or at
the end of a word stays, so ``GPL-2.0+`` keeps its meaning). Punctuation, comment markers and
whitespace are not tokens, so a license reflowed into ``#`` or ``*`` comments tokenises the
same as the original. A few markup words (HTML tags and entities, ``dnl``, ``rem``) are
dropped everywhere, in rules and in queries alike.

Rule texts may mark required phrases with ``{{ }}``; :func:`rule_tokens` returns their token
spans.
"""

from __future__ import annotations

import re

import numpy as np

WORD = re.compile(r"[^_\W]+\+?[^_\W]*", re.UNICODE)
_SPLIT = re.compile(f"({WORD.pattern})", re.UNICODE)
_REQUIRED = re.compile(r"\{\{|\}\}")

STOPWORDS = frozenset(
    """
    amp apos gt lt nbsp quot div span br li ul ol td tr th tbody thead table pre p
    h1 h2 h3 h4 h5 h6 strong em blockquote
    dnl rem hr img href
    """.split()
)

UNKNOWN = 0  # id of words that no rule contains; never part of an exact match


STOP = -1  # id of stopwords in a query vocabulary: dropped before matching


class QueryVocab(dict):  # type: ignore[type-arg]
    """Word -> id, with :data:`UNKNOWN` for missing words and :data:`STOP` for stopwords."""

    def __missing__(self, key: str) -> int:
        return UNKNOWN


def query_vocab(vocab: list[str]) -> QueryVocab:
    """Ids ``1..len(vocab)`` for ``vocab`` (the index's sorted rule words) plus stopwords."""
    out = QueryVocab((w, i + 1) for i, w in enumerate(vocab))
    out.update((w, STOP) for w in STOPWORDS)
    return out


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without stopwords (used for rule texts)."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]


class Tokens:
    """Token ids of a query text (stopwords dropped); offsets are computed on first use."""

    __slots__ = ("ids", "_parts", "_keep", "_spans", "_clamp")

    def __init__(self, ids: np.ndarray, parts: list[str], keep: np.ndarray | None, clamp: int | None) -> None:
        self.ids = ids
        self._parts = parts
        self._keep = keep
        self._clamp = clamp
        self._spans: np.ndarray | None = None

    @property
    def spans(self) -> np.ndarray:
        """``(start, end)`` character offsets per token, an ``(n, 2)`` int array."""
        if self._spans is None:
            lens = np.fromiter(map(len, self._parts), dtype=np.int64, count=len(self._parts))
            ends = np.cumsum(lens)
            spans = np.stack([ends[1::2] - lens[1::2], ends[1::2]], axis=1)
            if self._keep is not None:
                spans = spans[self._keep]
            if self._clamp is not None:  # rare case folding that changes length
                np.minimum(spans, self._clamp, out=spans)
            self._spans = spans
        return self._spans


def tokenize(text: str, vocab: QueryVocab) -> Tokens:
    """Tokenise a query text.

    One ``re.split`` with a capturing group yields gaps and tokens alternately; ids come from a
    C-level ``map`` over the tokens, and offsets (when asked for) from the parts' lengths by a
    cumulative sum, so there is no per-token Python code on this path.
    """
    lowered = text.lower()
    parts = _SPLIT.split(lowered)
    toks = parts[1::2]
    ids = np.fromiter(map(vocab.__getitem__, toks), dtype=np.int32, count=len(toks))
    keep = ids != STOP
    if keep.all():
        return Tokens(ids, parts, None, len(text) if len(lowered) != len(text) else None)
    return Tokens(ids[keep], parts, keep, len(text) if len(lowered) != len(text) else None)


def rule_tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Tokens of a rule text and the token spans of its ``{{required phrases}}``."""
    toks: list[str] = []
    required: list[tuple[int, int]] = []
    start = None
    pos = 0
    for m in _REQUIRED.finditer(text):
        toks.extend(words(text[pos : m.start()]))
        if m.group() == "{{":
            start = len(toks)
        elif start is not None:
            if len(toks) > start:
                required.append((start, len(toks)))
            start = None
        pos = m.end()
    toks.extend(words(text[pos:]))
    return toks, required
