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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from creditline.core.charclass import CodepointTable, codepoints, runs
from creditline.core.polyhash import P, hashes_of, power_table

from creditline.core import native as _native
from creditline.core.native import ext as _ctokens  # the compiled inner loops; None without a compiler

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
    """Word -> id, with :data:`UNKNOWN` for missing words and :data:`STOP` for stopwords;
    :attr:`table` finds the same ids by the words' polynomial hashes (how texts are tokenised)."""

    _table: VocabTable | None = None

    def __missing__(self, key: str) -> int:
        return UNKNOWN

    @property
    def table(self) -> VocabTable:
        if self._table is None:
            self._table = VocabTable.of(self)
        return self._table


def prepare(vocab: QueryVocab) -> None:
    """Build now what tokenising with ``vocab`` builds on first use (its table and spellings,
    about 0.1 s): a process that forks workers after this shares them instead of each worker
    building its own."""
    vocab.table.ascii_spelling()
    vocab.table.code_spelling()


def query_vocab(vocab: list[str]) -> QueryVocab:
    """Ids ``1..len(vocab)`` for ``vocab`` (the index's sorted rule words) plus stopwords."""
    out = QueryVocab((w, i + 1) for i, w in enumerate(vocab))
    out.update((w, STOP) for w in STOPWORDS)
    return out


_MIX = np.uint64(0x9E3779B97F4A7C15)  # spreads hashes over the table's slots (Fibonacci hashing)
_LOW_BYTES = np.asarray([(1 << (8 * n)) - 1 for n in range(8)] + [2**64 - 1], dtype=np.uint64)


@dataclass(frozen=True, eq=False)
class VocabTable:
    """A vocabulary as an open-addressing (linear probing) table keyed by each word's
    polynomial hash of its code points (:mod:`~creditline.core.polyhash`), so that the tokens
    of a whole text are looked up by a few numpy passes, with no Python object per token.
    A hit counts only when the token is spelled as the word (compared eight bytes at a time),
    so the ids are exactly the dictionary's."""

    slot_hash: np.ndarray  # uint64 hash of the word in each slot
    slot_word: np.ndarray  # int32 word in each slot, -1 for an empty slot
    probes: int  # slots looked at, at most, to find a word or an empty slot
    ids: np.ndarray  # int32 id of each word
    lengths: np.ndarray  # int64 code points of each word
    words: list[str]
    _spellings: dict[int, tuple] = field(default_factory=dict)  # type: ignore[type-arg]

    @classmethod
    def of(cls, vocab: dict[str, int]) -> VocabTable:
        words = list(vocab)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        starts = np.cumsum(lengths) - lengths
        hashes = hashes_of(codepoints("".join(words)), starts, starts + lengths)
        bits = max(4, (4 * len(words)).bit_length())
        slot_hash = np.zeros(1 << bits, dtype=np.uint64)
        slot_word = np.full(1 << bits, -1, dtype=np.int32)
        mask, probes = (1 << bits) - 1, 1
        for word, home in enumerate(_home_slots(hashes, bits).tolist()):
            slot, step = home, 1
            while slot_word[slot] >= 0:
                slot, step = (slot + 1) & mask, step + 1
            slot_hash[slot], slot_word[slot], probes = hashes[word], word, max(probes, step)
        ids = np.fromiter(vocab.values(), dtype=np.int32, count=len(words))
        return cls(slot_hash, slot_word, probes, ids, lengths, words)

    def lookup(self, hashes: np.ndarray, starts: np.ndarray, ends: np.ndarray, units: np.ndarray) -> np.ndarray:
        """The id of each token ``units[starts[i]:ends[i]]`` (the lower-cased text as bytes for
        ASCII text, as code points otherwise) whose hash is ``hashes[i]``; :data:`UNKNOWN` for
        words not in the vocabulary. Most tokens are settled at their home slot (the table is a
        quarter full); the rest probe on, a few at a time."""
        out = np.full(len(hashes), UNKNOWN, dtype=np.int32)
        mask = len(self.slot_word) - 1
        packed = _packed(units)
        home = _home_slots(hashes, mask.bit_length())
        todo = np.arange(len(hashes))
        for step in range(self.probes):
            slot = home if step == 0 else (home[todo] + step) & mask
            word = self.slot_word[slot]
            same = self.slot_hash[slot] == (hashes if step == 0 else hashes[todo])
            same &= word >= 0
            hit = np.flatnonzero(same)
            hit_word, hit = word[hit], todo[hit]
            ok = self._spelled(hit_word, starts[hit], ends[hit], packed, units.itemsize)
            out[hit[ok]] = self.ids[hit_word[ok]]
            # an empty slot ends the search (not in the vocabulary); a taken one sends it on
            todo = np.concatenate([todo[(word >= 0) & ~same], hit[~ok]])
            if not len(todo):
                break
        return out

    def _spelled(self, word: np.ndarray, starts: np.ndarray, ends: np.ndarray, packed: np.ndarray,
                 width: int) -> np.ndarray:
        """Whether each token (``packed``: the text read 8 bytes from every code unit of
        ``width`` bytes) is spelled as word ``word[i]``: one numpy pass per 8 bytes of the
        longest word."""
        lanes, first_lane, length_in_units = self._spelling(width)
        per = 8 // width
        length = ends - starts
        ok = length == length_in_units[word]
        live = np.flatnonzero(ok)
        at, lane, left = starts[live], first_lane[word[live]], length[live]
        while len(live):
            same = (packed[at] & _LOW_BYTES[np.minimum(left, per) * width]) == lanes[lane]
            ok[live[~same]] = False
            more = np.flatnonzero(same & (left > per))
            live, at, lane, left = live[more], at[more] + per, lane[more] + 1, left[more] - per
        return ok

    @property
    def bits(self) -> int:
        """log2 of the number of slots."""
        return (len(self.slot_word) - 1).bit_length()

    def ascii_spelling(self) -> tuple[np.ndarray, np.ndarray, bytes]:
        """For the compiled tokenizer: each word's length in bytes (-1 for a word that is not
        ASCII), where its bytes start, and all ASCII words' bytes one after another."""
        cached = self._spellings.get(0)
        if cached is None:
            spelled = [w.encode("ascii") if w.isascii() else b"" for w in self.words]
            length = np.fromiter((len(b) if w.isascii() else -1 for b, w in zip(spelled, self.words)), dtype=np.int64,
                                 count=len(spelled))
            sizes = np.fromiter(map(len, spelled), dtype=np.int64, count=len(spelled))
            cached = self._spellings[0] = (length, np.cumsum(sizes) - sizes, b"".join(spelled))
        return cached  # type: ignore[return-value]

    def code_spelling(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the compiled tokenizer of other text: each word's length in code points, where
        its code points start, and all words' code points one after another (uint32)."""
        cached = self._spellings.get(-1)
        if cached is None:
            cached = self._spellings[-1] = (self.lengths, np.cumsum(self.lengths) - self.lengths,
                                            codepoints("".join(self.words)))
        return cached  # type: ignore[return-value]

    def _spelling(self, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every word's code points as code units of ``width`` bytes, read 8 bytes at a time
        (zero-padded), where each word's lanes start, and each word's length in such units (-1
        for words that are not: only ASCII words are bytes)."""
        cached = self._spellings.get(width)
        if cached is None:
            kind = {1: "<u1", 4: "<u4"}[width]
            fits = [width == 4 or w.isascii() for w in self.words]
            units = [np.asarray([ord(c) for c in w] if ok else [], dtype=kind).tobytes() for w, ok in zip(self.words, fits)]
            padded = b"".join(u + bytes(-len(u) % 8) for u in units)
            n_lanes = np.fromiter(((len(u) + 7) // 8 for u in units), dtype=np.int64, count=len(units))
            length = np.where(np.asarray(fits, dtype=bool), self.lengths, -1)
            cached = self._spellings[width] = (np.frombuffer(padded, dtype="<u8"), np.cumsum(n_lanes) - n_lanes, length)
        return cached


def _packed(units: np.ndarray) -> np.ndarray:
    """``units`` (a contiguous uint8 or uint32 array) read as a little-endian uint64 from every
    code unit on (unaligned, zero-padded past the end)."""
    buffer = np.zeros(units.nbytes + 8, dtype=np.uint8)
    buffer[: units.nbytes] = np.ascontiguousarray(units).view(np.uint8)
    return np.ndarray((len(units),), dtype="<u8", buffer=buffer, strides=(units.itemsize,))


def _home_slots(hashes: np.ndarray, bits: int) -> np.ndarray:
    return ((hashes * _MIX) >> np.uint64(64 - bits)).astype(np.intp)


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without stopwords (used for rule texts)."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]


class Tokens:
    """Token ids of a query text (stopwords dropped) and their character offsets."""

    __slots__ = ("ids", "_bounds", "_offsets")

    def __init__(self, ids: np.ndarray, offsets: Callable[[], tuple[np.ndarray, np.ndarray]]) -> None:
        self.ids = ids
        self._offsets = offsets
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end character offset of each token (int64 arrays), computed on first use."""
        if self._bounds is None:
            self._bounds = self._offsets()
        return self._bounds

    @property
    def spans(self) -> np.ndarray:
        """``(start, end)`` character offsets per token, an ``(n, 2)`` int array."""
        return np.stack(self.bounds, axis=1)


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


def _tokens(ids: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Tokens:
    keep = ids != STOP
    if keep.all():
        return Tokens(ids, lambda: (starts.astype(np.int64, copy=False), ends.astype(np.int64, copy=False)))
    return Tokens(ids[keep], lambda: (starts[keep].astype(np.int64, copy=False), ends[keep].astype(np.int64, copy=False)))


def _with_ids(toks: list, vocab: dict, starts: Callable[[], tuple[np.ndarray, np.ndarray]]) -> Tokens:  # type: ignore[type-arg]
    ids = np.fromiter(map(vocab.get, toks, repeat(UNKNOWN)), dtype=np.int32, count=len(toks))
    keep = ids != STOP
    if keep.all():
        return Tokens(ids, starts)
    return Tokens(ids[keep], lambda: tuple(a[keep] for a in starts()))  # type: ignore[return-value]


_ASCII_ALNUM = np.zeros(256, dtype=bool)
_ASCII_ALNUM[[*range(48, 58), *range(65, 91), *range(97, 123)]] = True
_ASCII_LOWER = bytes(c + 32 if 65 <= c <= 90 else c for c in range(256))
_LAST_RUNS: list[tuple[str, np.ndarray, np.ndarray]] = []  # (ASCII text, its word runs' starts, their hashes)


def _ascii_tokens(text: str, vocab: QueryVocab) -> Tokens:
    """ASCII text: its lower-cased bytes, the runs of letters and digits, the polynomial hash
    of every run, the :data:`WORD` tokens the runs form around ``+`` signs, and each token's
    id. The runs' hashes are the words' hashes of :func:`creditline.core.dedup.word_hashes`;
    the last text's are kept (:func:`share_words`).

    Done in one compiled pass (:mod:`creditline.core._ctokens`, reading the str in place and
    lower-casing as it goes) where that module was built, else by numpy passes
    (:func:`_ascii_tokens_numpy`), with the same results."""
    if _ctokens is None:
        return _ascii_tokens_numpy(text, text.encode("ascii").translate(_ASCII_LOWER), vocab)
    table = vocab.table
    word_len, word_start, spelling = table.ascii_spelling()
    run_start, run_hash, tok_start, tok_end, tok_id = out = _scratch(len(text) // 2 + 1)
    n_runs, n_tokens = _ctokens.ascii_tokens(text, table.slot_hash, table.slot_word, table.ids, word_len, word_start,
                                             spelling, table.bits, *out)
    _LAST_RUNS[:] = [(text, run_start[:n_runs].copy(), run_hash[:n_runs].copy())]
    return _tokens(tok_id[:n_tokens].copy(), tok_start[:n_tokens].copy(), tok_end[:n_tokens].copy())


def _scratch(n: int) -> tuple[np.ndarray, ...]:
    """Output arrays of at least ``n`` items for the compiled tokenizer (run starts, run hashes,
    token starts, token ends, token ids), reused by the thread's next call when not too large
    (:func:`creditline.core.native.scratch`)."""
    return _native.scratch("tokens", n, (np.int64, np.uint64, np.int64, np.int64, np.int32))


def _ascii_tokens_numpy(text: str, raw: bytes, vocab: QueryVocab) -> Tokens:
    """:func:`_ascii_tokens` by numpy passes over the lower-cased bytes ``raw``: the runs of
    letters and digits, the polynomial hash of every run
    (:func:`~creditline.core.polyhash.hashes_of`), runs around a ``+`` joined as :data:`WORD`
    joins them (their hashes extended, :func:`_joined_hashes`), and ids looked up by hash
    (:meth:`VocabTable.lookup`)."""
    lowered = np.frombuffer(raw, dtype=np.uint8)
    starts, ends = runs(_ASCII_ALNUM[lowered])
    hashes = word_hashes = hashes_of(lowered, starts, ends)
    _LAST_RUNS[:] = [(text, starts, word_hashes)]
    if len(starts) and b"+" in raw:
        after, merge, own = _plus_joins(starts, ends, lowered == _PLUS)
        hashes = _joined_hashes(hashes, ends - starts, after, merge)[own]
        starts, ends = starts[own], _joined_ends(ends, after, merge)[own]
    return _tokens(vocab.table.lookup(hashes, starts, ends, lowered), starts, ends)


def _joined_hashes(hashes: np.ndarray, lengths: np.ndarray, after: np.ndarray, merge: np.ndarray) -> np.ndarray:
    """The hashes of runs extended by the ``+`` after them and, where they merge, by the next
    run (``h(x + y) = h(x) * P**len(y) + h(y)``), as :func:`_plus_joins` decides."""
    out = hashes.copy()
    ext = np.flatnonzero(after)
    out[ext] = hashes[ext] * P + np.uint64(_PLUS)
    both = np.flatnonzero(merge)
    pw, _ = power_table(int(lengths[both + 1].max(initial=0)))
    out[both] = out[both] * pw[lengths[both + 1]] + hashes[both + 1]
    return out


def _unicode_tokens(lowered: str, vocab: QueryVocab) -> Tokens:
    """Other text: word characters by a code point table, then :data:`WORD` tokens and their
    ids in one compiled pass (:mod:`creditline.core._ctokens`) or by numpy passes
    (:func:`_unicode_tokens_numpy`), with the same results."""
    codes = codepoints(lowered)
    word = _ALNUM(codes)
    if _ctokens is None:
        return _unicode_tokens_numpy(codes, word, vocab)
    table = vocab.table
    word_len, word_start, spelling = table.code_spelling()
    _, _, tok_start, tok_end, tok_id = out = _scratch(len(codes) // 2 + 1)
    n_tokens = _ctokens.unicode_tokens(codes, word, table.slot_hash, table.slot_word, table.ids, word_len, word_start,
                                       spelling, table.bits, *out[2:])
    return _tokens(tok_id[:n_tokens].copy(), tok_start[:n_tokens].copy(), tok_end[:n_tokens].copy())


def _unicode_tokens_numpy(codes: np.ndarray, word: np.ndarray, vocab: QueryVocab) -> Tokens:
    """:func:`_unicode_tokens` by numpy passes: :data:`WORD` tokens from the word characters
    and ``+`` signs (:func:`token_bounds`), and ids by hash as for ASCII text."""
    starts, ends = token_bounds(word, codes == _PLUS)
    hashes = hashes_of(codes, starts, ends)
    return _tokens(vocab.table.lookup(hashes, starts, ends, codes), starts, ends)


_PARTS: dict[int, tuple[str, np.ndarray]] = {}


def share_words(joined: str, texts: Sequence[str | None], offsets: Sequence[int]) -> None:
    """Keep the word hashes of each of ``texts`` from the tokens of ``joined`` (the last ASCII
    text tokenised, which holds text ``i`` verbatim at character ``offsets[i]``, no word
    running across texts; ``None`` marks a text held in another form). Dataset rows are
    tokenised together for license matching; their MinHash signatures then take their words
    from here (:func:`shared_word_hashes`) instead of reading each row again. Only the last
    batch is kept; a ``joined`` not just tokenised changes nothing."""
    last = _LAST_RUNS[0] if _LAST_RUNS else None  # read once: another thread may tokenise meanwhile
    if last is None or last[0] is not joined:
        return
    _, starts, hashes = last
    kept = [(text, offset) for text, offset in zip(texts, offsets) if text is not None]
    begin = np.fromiter((offset for _, offset in kept), dtype=np.int64, count=len(kept))
    end = begin + np.fromiter((len(text) for text, _ in kept), dtype=np.int64, count=len(kept))
    first, stop = np.searchsorted(starts, begin), np.searchsorted(starts, end)
    _PARTS.clear()
    for (text, _), a, b in zip(kept, first.tolist(), stop.tolist()):
        _PARTS[id(text)] = (text, hashes[a:b])


def shared_word_hashes(text: str) -> np.ndarray | None:
    """The hashes of the words of ``text`` (runs of ASCII letters and digits, lower-cased) if it
    was one of the texts of the last :func:`share_words`."""
    found = _PARTS.get(id(text))
    return found[1] if found is not None and found[0] is text else None


def _split_tokens(text: str, lowered: str, vocab: QueryVocab) -> Tokens:
    """Tokens by one ``re.split`` (for a text whose lower-casing changes its length, rare: ``İ``);
    offsets from the parts' lengths, clamped to the text."""
    parts = _SPLIT.split(lowered)

    def offsets() -> tuple[np.ndarray, np.ndarray]:
        lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        stops = np.cumsum(lens)
        return np.minimum(stops[1::2] - lens[1::2], len(text)), np.minimum(stops[1::2], len(text))

    return _with_ids(parts[1::2], vocab, offsets)


def tokenize(text: str, vocab: QueryVocab) -> Tokens:
    """Tokenise a query text: ids of the :data:`WORD` matches in the lower-cased text, stopwords
    dropped, and (computed on first use) their character offsets.

    No per-token Python code and no regular expression over the text: the tokens come from runs
    of word characters (a byte table for ASCII text, a code point table for other text), joined
    around ``+`` as :data:`WORD` joins them, and their ids from their polynomial hashes
    (:class:`VocabTable`, each hit confirmed code point by code point). A text whose
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
