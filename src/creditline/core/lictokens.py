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

from collections.abc import Callable
from itertools import chain, repeat

import numpy as np

from creditline.core.charclass import CodepointTable, ascii_words, codepoints, runs

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
    """Word -> id, with :data:`UNKNOWN` for missing words and :data:`STOP` for stopwords.

    ``encoded`` holds the same ids keyed by the ASCII words' bytes (for ASCII texts, which are
    tokenised as bytes)."""

    encoded: dict[bytes, int]

    def __missing__(self, key: str) -> int:
        return UNKNOWN


def query_vocab(vocab: list[str]) -> QueryVocab:
    """Ids ``1..len(vocab)`` for ``vocab`` (the index's sorted rule words) plus stopwords."""
    out = QueryVocab((w, i + 1) for i, w in enumerate(vocab))
    out.update((w, STOP) for w in STOPWORDS)
    out.encoded = {w.encode("ascii"): i for w, i in out.items() if w.isascii()}
    return out


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without stopwords (used for rule texts)."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]


class Tokens:
    """Token ids of a query text (stopwords dropped) and their character offsets."""

    __slots__ = ("ids", "_spans", "_offsets")

    def __init__(self, ids: np.ndarray, offsets: Callable[[], np.ndarray]) -> None:
        self.ids = ids
        self._offsets = offsets
        self._spans: np.ndarray | None = None

    @property
    def spans(self) -> np.ndarray:
        """``(start, end)`` character offsets per token, an ``(n, 2)`` int array."""
        if self._spans is None:
            self._spans = self._offsets()
        return self._spans


_ALNUM = CodepointTable(str.isalnum)  # what ``[^_\W]`` matches in a str pattern
_PLUS = ord("+")


def _plus_joins(starts: np.ndarray, ends: np.ndarray, plus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How ``+`` signs join the word runs ``[starts, ends)`` of a text into :data:`WORD` tokens:
    per run, whether a ``+`` follows it (and is part of its token), whether the run right after
    that ``+`` joins it, and whether the run starts a token of its own (it does not when joined).
    ``a+b+c`` is ``a+b``, ``c``, as the regular expression reads it from the left."""
    after = np.zeros(len(ends), dtype=bool)
    inside = ends < len(plus)
    after[inside] = plus[ends[inside]]
    join = np.zeros(len(starts), dtype=bool)
    join[:-1] = after[:-1] & (starts[1:] == ends[:-1] + 1)
    idx = np.arange(len(join))
    first = join.copy()
    first[1:] &= ~join[:-1]
    run_start = np.maximum.accumulate(np.where(first, idx, 0))
    merge = join & ((idx - run_start) % 2 == 0)  # in a chain of joins, every other one from its first
    own = np.ones(len(starts), dtype=bool)
    own[1:] = ~merge[:-1]
    return after, merge, own


def _joined_ends(ends: np.ndarray, after: np.ndarray, merge: np.ndarray) -> np.ndarray:
    new_ends = ends + after
    new_ends[:-1][merge[:-1]] = ends[1:][merge[:-1]]
    return new_ends


def token_bounds(word: np.ndarray, plus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of the :data:`WORD` matches in a text whose characters are marked as word
    characters (``word``) and ``+`` signs (``plus``), without running the regular expression."""
    starts, ends = runs(word)
    if not len(starts) or not plus.any():
        return starts, ends
    after, merge, own = _plus_joins(starts, ends, plus)
    return starts[own], _joined_ends(ends, after, merge)[own]


def _split_plus(chunks: list, chunk_chars: np.ndarray, plus: np.ndarray, word: re.Pattern) -> list:  # type: ignore[type-arg]
    """Tokens from ``chunks`` (the runs of word characters and ``+``, in order): a chunk holding
    a ``+`` is replaced by the ``word`` matches in it (``a+b+c`` -> ``a+b``, ``c``; ``+`` -> none),
    others are tokens as they are. Python work only for the chunks with a ``+``."""
    chunk_starts, _ = runs(chunk_chars)
    with_plus = np.unique(np.searchsorted(chunk_starts, np.flatnonzero(plus), "right") - 1)
    pieces: list[list] = []  # type: ignore[type-arg]
    prev = 0
    for i in with_plus.tolist():
        pieces.append(chunks[prev:i])
        pieces.append(word.findall(chunks[i]))
        prev = i + 1
    pieces.append(chunks[prev:])
    return list(chain.from_iterable(pieces))


def _tokens(ids: np.ndarray, offsets: Callable[[np.ndarray | None], np.ndarray]) -> Tokens:
    keep = ids != STOP
    if keep.all():
        return Tokens(ids, lambda: offsets(None))
    return Tokens(ids[keep], lambda: offsets(keep))


def _with_ids(toks: list, vocab: dict, offsets: Callable[[np.ndarray | None], np.ndarray]) -> Tokens:  # type: ignore[type-arg]
    return _tokens(np.fromiter(map(vocab.get, toks, repeat(UNKNOWN)), dtype=np.int32, count=len(toks)), offsets)


def _span_offsets(starts: np.ndarray, ends: np.ndarray) -> Callable[[np.ndarray | None], np.ndarray]:
    def offsets(keep: np.ndarray | None) -> np.ndarray:
        spans = np.stack([starts, ends], axis=1).astype(np.int64)
        return spans if keep is None else spans[keep]

    return offsets


def _bounded_offsets(word: np.ndarray, plus: np.ndarray) -> Callable[[np.ndarray | None], np.ndarray]:
    def offsets(keep: np.ndarray | None) -> np.ndarray:
        return _span_offsets(*token_bounds(word, plus))(keep)

    return offsets


def _ascii_tokens(text: str, vocab: QueryVocab) -> Tokens:
    """ASCII text: the shared word runs (:func:`~creditline.core.charclass.ascii_words`), ids
    looked up once per distinct word; runs around a ``+`` joined as :data:`WORD` joins them."""
    words = ascii_words(text)
    table = vocab.encoded
    word_ids = np.fromiter(map(table.get, words.distinct, repeat(UNKNOWN)), dtype=np.int32, count=len(words.distinct))
    ids = word_ids[words.inverse]
    starts, ends = words.starts, words.ends
    if b"+" in words.raw:
        plus = np.frombuffer(words.raw, dtype=np.uint8) == _PLUS
        after, merge, own = _plus_joins(starts, ends, plus)
        for i in np.flatnonzero(after & own).tolist():
            ids[i] = table.get(words.word(i) + b"+" + (words.word(i + 1) if merge[i] else b""), UNKNOWN)
        ids, starts, ends = ids[own], starts[own], _joined_ends(ends, after, merge)[own]
    return _tokens(ids, _span_offsets(starts, ends))


def _unicode_tokens(lowered: str, vocab: QueryVocab) -> Tokens:
    codes = codepoints(lowered)
    word, plus = _ALNUM(codes), codes == _PLUS
    kept = word | plus
    chunks = np.where(kept, codes, np.uint32(32)).tobytes().decode("utf-32-le", "surrogatepass").split()
    toks = _split_plus(chunks, kept, plus, WORD) if plus.any() else chunks
    return _with_ids(toks, vocab, _bounded_offsets(word, plus))


def _split_tokens(text: str, lowered: str, vocab: QueryVocab) -> Tokens:
    """Tokens by one ``re.split`` (for a text whose lower-casing changes its length, rare: ``İ``);
    offsets from the parts' lengths, clamped to the text."""
    parts = _SPLIT.split(lowered)

    def offsets(keep: np.ndarray | None) -> np.ndarray:
        lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        stops = np.cumsum(lens)
        spans = np.stack([stops[1::2] - lens[1::2], stops[1::2]], axis=1)
        spans = spans if keep is None else spans[keep]
        return np.minimum(spans, len(text))

    return _with_ids(parts[1::2], vocab, offsets)


def tokenize(text: str, vocab: QueryVocab) -> Tokens:
    """Tokenise a query text: ids of the :data:`WORD` matches in the lower-cased text, stopwords
    dropped, and (computed on first use) their character offsets.

    No per-token Python code and no regular expression over the text: ASCII text uses its word
    runs (one ``bytes.translate`` and ``split``, shared with the fingerprinter) and looks ids up
    once per distinct word; other text becomes runs of word characters and ``+`` by a numpy
    table lookup per code point, then one ``split``. Only the few tokens around a ``+`` are
    handled one by one. Offsets come from the same runs (:func:`token_bounds`). A text whose
    lower-casing changes its length (rare: ``İ``) goes through one ``re.split`` instead.
    """
    if text.isascii():
        return _ascii_tokens(text, vocab)
    lowered = text.lower()
    if len(lowered) != len(text):
        return _split_tokens(text, lowered, vocab)
    return _unicode_tokens(lowered, vocab)


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
