"""Exact and near-duplicate rows: MinHash signatures (vectorised here) and LSH (datasketch).

A row's signature is MinHash over its word ``SHINGLE``-grams: the shingles are the polynomial
hashes of :func:`creditline.core.fingerprint.kgram_hashes` over the prose token hashes, folded to
32 bits ``x``, and permutation ``i`` maps ``x`` to ``(a_i * x + b_i) mod 2**32`` (fixed, seeded,
odd ``a_i``: a bijection of the 32-bit values): one numpy broadcast per row in 32-bit lanes, no
per-shingle Python. Measured against the 64-bit multiply-shift family on 300 random set pairs,
the estimate's bias (0.003) and spread (0.049) are the same, at a fifth of the time.
Two rows' signatures agree in a share of positions that estimates the Jaccard similarity of their
shingle sets. :class:`NearDuplicates` indexes signatures with datasketch's ``MinHashLSH``
(banding tuned by datasketch for ``threshold``) and answers, row by row, "is this a near copy of
a row seen before?" with the earliest such row, so the first row of a cluster is its
representative, whatever order the rest arrive in.
"""

from __future__ import annotations

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from creditline.core.charclass import codepoints, runs
from creditline.core.fingerprint import kgram_hashes
from creditline.core.licindex import prefix_hashes, window_hashes
from creditline.core.normalize import WORD_CHARS

SHINGLE = 5  # words per shingle
NUM_PERM = 64  # permutations per signature
THRESHOLD = 0.8  # estimated Jaccard similarity from which two rows are near duplicates
SEED = 0x6D696E68617368  # ASCII "minhash"
_CHUNK = 16_384  # shingles per broadcast, so huge rows use bounded memory
_EMPTY = np.uint32(0xFFFFFFFF)

_rng = np.random.default_rng(SEED)
_A = (_rng.integers(0, 2**31, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)).astype(np.uint32)
_B = _rng.integers(0, 2**32, size=NUM_PERM, dtype=np.uint64).astype(np.uint32)


def word_hashes(text: str) -> np.ndarray:
    """A hash per word of ``text`` (runs of letters and digits, ASCII letters lower-cased): the
    polynomial hash of its code points, for every word at once from one prefix sum, so that
    no Python code runs per word. Made for signatures, where speed matters more than the full
    Unicode normalisation of :func:`creditline.core.normalize.prose_tokens`."""
    if text.isascii():
        values = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.uint64)
        is_word = _ASCII_WORD[values]
    else:
        codes = codepoints(text)
        values = codes.astype(np.uint64)
        is_word = WORD_CHARS(codes)
    upper = (values >= 65) & (values <= 90)
    values[upper] += np.uint64(32)
    starts, ends = runs(is_word)
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    s, pw = prefix_hashes(values)
    return window_hashes(s, pw, starts, ends - starts)


_ASCII_WORD = np.zeros(256, dtype=bool)
_ASCII_WORD[[*range(48, 58), *range(65, 91), *range(97, 123)]] = True


def text_signature(text: str) -> np.ndarray:
    """:func:`signature` of the words of ``text`` (:func:`word_hashes`)."""
    return signature(word_hashes(text))


def signature(token_hashes: np.ndarray, shingle: int = SHINGLE) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` uint64 values below 2**32) of a token-hash stream.

    A text shorter than one shingle is its tokens; an empty text gets the all-max signature,
    which LSH never pairs with anything but another empty text."""
    tokens = np.asarray(token_hashes, dtype=np.uint64)
    shingles = kgram_hashes(tokens, shingle) if len(tokens) >= shingle else tokens  # repeats change no minimum
    folded = ((shingles >> np.uint64(32)) ^ shingles).astype(np.uint32)
    out = np.full(NUM_PERM, _EMPTY, dtype=np.uint32)
    for start in range(0, len(folded), _CHUNK):
        np.minimum(out, (folded[start:start + _CHUNK, None] * _A + _B).min(axis=0), out=out)
    return out.astype(np.uint64)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.mean(np.asarray(a) == np.asarray(b)))


class NearDuplicates:
    """Rows seen so far, by signature; :meth:`add` tells whether a new row nearly repeats one."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, key: int, sig: np.ndarray) -> int | None:
        """Index row ``key`` unless it nearly repeats an indexed row; return that row's key (the
        earliest whose estimated similarity reaches the threshold) or None when the row is new."""
        # datasketch only uses the scheme label to refuse mixing signatures of different schemes;
        # ours are all made here, 32-bit values, so they carry its 32-bit label.
        minhash = LeanMinHash(seed=SEED, hashvalues=np.asarray(sig, dtype=np.uint64), scheme="affine32")
        candidates = sorted(self._lsh.query(minhash))
        for other in candidates:
            if similarity(self._signatures[other], sig) >= self.threshold:
                return other
        self._lsh.insert(key, minhash)
        self._signatures[key] = np.asarray(sig, dtype=np.uint64)
        return None
