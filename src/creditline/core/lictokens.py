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
_REQUIRED = re.compile(r"\{\{|\}\}")

STOPWORDS = frozenset(
    """
    amp apos gt lt nbsp quot div span br li ul ol td tr th tbody thead table pre
    dnl rem hr img href
    """.split()
)

UNKNOWN = 0  # id of words that no rule contains; never part of an exact match


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without stopwords."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]


def word_spans(text: str) -> tuple[list[str], np.ndarray]:
    """Tokens with their ``(start, end)`` character offsets, as an ``(n, 2)`` int array."""
    toks: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in WORD.finditer(text.lower()):
        w = m.group()
        if w not in STOPWORDS:
            toks.append(w)
            spans.append(m.span())
    return toks, np.asarray(spans, dtype=np.int64).reshape(-1, 2)


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


def to_ids(toks: list[str], vocab: dict[str, int]) -> np.ndarray:
    """Token ids as an int32 array; words missing from ``vocab`` become :data:`UNKNOWN`."""
    get = vocab.get
    return np.fromiter((get(t, UNKNOWN) for t in toks), dtype=np.int32, count=len(toks))
