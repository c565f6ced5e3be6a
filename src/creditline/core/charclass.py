"""Character classes looked up per code point with numpy, word boundaries from them, and the
words of ASCII texts.

A :class:`CodepointTable` answers "is this code point a word character?" for a whole array of
code points at once. The answer for a code point is computed (by a Python predicate) the first
time that code point is seen and kept, so a text costs one table lookup per character plus
Python work only for code points never seen before in this process; building the whole table up
front would call the predicate 1.1 million times (about 0.4 s per process).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import numpy as np

_UNKNOWN, _NO, _YES = 0, 1, 2
CODEPOINTS = 0x110000


class CodepointTable:
    """A boolean property of code points, filled in as code points are met."""

    def __init__(self, predicate: Callable[[str], bool]) -> None:
        self._predicate = predicate
        self._state = np.zeros(CODEPOINTS, dtype=np.uint8)
        self._fill(np.arange(128, dtype=np.uint32))

    def _fill(self, codes: np.ndarray) -> None:
        pred = self._predicate
        self._state[codes] = np.fromiter((_YES if pred(chr(c)) else _NO for c in codes.tolist()), dtype=np.uint8,
                                         count=len(codes))

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Boolean per code point of ``codes`` (an integer array of code points)."""
        state = self._state[codes]
        missing = state == _UNKNOWN
        if missing.any():
            self._fill(np.unique(codes[missing]))
            state = self._state[codes]
        return state == _YES


def runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of every run of True in a boolean array."""
    padded = np.zeros(len(flags) + 2, dtype=bool)
    padded[1:-1] = flags
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def codepoints(text: str) -> np.ndarray:
    """The code points of ``text`` (lone surrogates included), one uint32 per character."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def newlines(text: str) -> np.ndarray:
    """The character offsets of the ``"\\n"`` in ``text`` (one byte per character looked at for
    ASCII text)."""
    if text.isascii():
        return np.flatnonzero(np.frombuffer(text.encode("ascii"), dtype=np.uint8) == 10)
    return np.flatnonzero(codepoints(text) == 10)


# --- the words of an ASCII text, for fingerprinting ---------------------------------------

_ASCII_ALNUM = np.zeros(256, dtype=bool)
_ASCII_ALNUM[[*range(48, 58), *range(65, 91), *range(97, 123)]] = True
# ASCII bytes -> letters lower-cased, digits kept, everything else a space.
_ASCII_FOLD = bytes(c + 32 if 65 <= c <= 90 else c if _ASCII_ALNUM[c] else 32 for c in range(256))


@dataclass(frozen=True, eq=False)
class AsciiWords:
    """The runs of letters and digits of an ASCII text, lower-cased, with their offsets, and
    each distinct word once (so per-word work is done once per distinct word)."""

    raw: bytes  # the text's bytes
    starts: np.ndarray  # int64 offset of each word (a run of [A-Za-z0-9])
    ends: np.ndarray  # int64 end offset of each word
    distinct: list[bytes]  # each word once, lower-cased, in first-seen order
    inverse: np.ndarray  # per word, its index in ``distinct``

    def word(self, i: int) -> bytes:
        """Word ``i``, lower-cased."""
        return self.distinct[int(self.inverse[i])]


_LAST: list[tuple[str, AsciiWords]] = []


def ascii_words(text: str) -> AsciiWords:
    """The :class:`AsciiWords` of ``text`` (which must be ASCII). The last text's result is
    kept (about 24 bytes per word besides the text), so callers reading one document share one
    pass. One ``bytes.split`` makes the words and one dictionary pass numbers them (a new word
    gets the next number)."""
    if _LAST and _LAST[0][0] is text:
        return _LAST[0][1]
    raw = text.encode("ascii")
    starts, ends = runs(_ASCII_ALNUM[np.frombuffer(raw, dtype=np.uint8)])
    words = raw.translate(_ASCII_FOLD).split()
    position: defaultdict[bytes, int] = defaultdict(count().__next__)
    inverse = np.fromiter(map(position.__getitem__, words), dtype=np.intp, count=len(words))
    found = AsciiWords(raw, starts, ends, list(position), inverse)
    _LAST[:] = [(text, found)]
    return found
