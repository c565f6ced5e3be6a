"""Fingerprints: k-gram hashes selected by winnowing (Schleimer, Wilkerson & Aiken, SIGMOD 2003).

k-gram hash (stable, documented): for token hashes ``t`` (uint64, from
:mod:`creditline.core.normalize`), the k-gram starting at token ``i`` hashes to the polynomial

    H(i) = sum(t[i + j] * P**(k - 1 - j) for j in range(k))   modulo 2**64,

with ``P = 0x9E3779B97F4A7C15``, the same hash family as the license index
(:func:`creditline.core.licindex.prefix_hashes`): one pass of prefix sums gives every k-gram
hash at once, so there is no Python loop over tokens. The token hashes are seeded
(``normalize.TOKEN_SEED``), so the k-gram hashes are too; a snapshot test pins both.

Winnowing: of every window of ``WINDOW`` consecutive k-gram hashes the minimum is selected (the
rightmost one on ties, as in the paper); a k-gram selected by several windows is kept once.

Guarantee: two texts sharing a run of at least ``t = K + WINDOW - 1`` consecutive tokens share
at least one selected fingerprint. Such a run holds ``WINDOW`` consecutive k-grams, that is one
whole window with identical hashes in both texts, and each text selects that window's minimum.
Runs shorter than ``K`` tokens are never found (the noise threshold).

Renamed channel (parameterised k-grams, after Baker's p-strings, 1993): code with identifiers
and literals abstracted (``TokenStream.renamed``) is low in entropy, so unrelated code shares
long runs of "identifier = identifier(identifier)". Its k-gram hash also records, for every
identifier, where it last occurred inside the same k-gram: the j-th token (j = 0..k-1) adds
``back * R`` to its hash, where ``back`` is the distance in tokens to the previous occurrence of
the same identifier when that lies inside the k-gram (``back <= j``) and 0 otherwise, and
``R = 0xC2B2AE3D27D4EB4F``. Consistently renaming identifiers (every ``a`` becomes ``x``) keeps
every such distance, so a renamed copy keeps its k-grams and the guarantee below holds for it
too, while code that only has the same shape (``a = b(c)`` against ``a = b(a)``) no longer
matches. A k-gram without repeated identifiers hashes as in the plain formula.

Why ``K = 12``, ``WINDOW = 5`` (``t = 16``) and ``RENAMED_WINDOW = 9`` (``t = 20``): twenty
tokens are a long sentence of prose or two to three lines of code, the shortest copy we report
(``trace --min-tokens``, default 20). Twelve words in a row rarely recur in independent prose
(idioms and stock phrases are shorter), and twelve code tokens are about one statement, so
shorter matches would mostly be idiom. The literal channels (``exact``, and ``words`` of code)
are winnowed more densely than the 20-token promise needs: a copy broken up by inserted or
deleted lines or by edited words is found from its pieces, and a piece of 16 tokens always
holds a fingerprint (with ``WINDOW = 9`` only pieces of 20 did, and copies of 30 to 40 tokens
cut in two were often missed). That costs ``2 / (WINDOW + 1) = 0.33`` fingerprints per token,
about 5.3 bytes per token as 16-byte (hash, position) postings. The renamed channel keeps
``RENAMED_WINDOW = 9`` (0.2 per token): abstracted code is low in entropy, and denser renamed
fingerprints mostly find more shared idiom. The fingerprint version records both windows.

Line-skipping k-grams (:func:`line_skip_kgrams`, for lookups only): a query may also be read as
if one of its lines were not there, so that the pieces of a copy with a line inserted between
them join again into the k-grams of the source, even when each piece is shorter than ``K``.
They hash like any k-gram of the tokens they join, so they are looked up in the same index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numpy.lib.stride_tricks import sliding_window_view

from creditline.core import native
from creditline.core.licindex import P, prefix_hashes, window_hashes
from creditline.core.normalize import PLACEHOLDER_NUMBER, PLACEHOLDER_STRING, TokenStream, token_hash

FINGERPRINT_VERSION = 4  # 2: parameterised k-grams in the renamed channel; 3: literal channels' window 5; 4: code lexer
K = 12  # k-gram length in tokens: the noise threshold
WINDOW = 5  # winnowing window in k-grams of the literal channels (exact, words)
RENAMED_WINDOW = 9  # winnowing window in k-grams of the renamed channel
GUARANTEE = K + WINDOW - 1  # any shared run this long is found (literal channels)
RENAMED_GUARANTEE = K + RENAMED_WINDOW - 1  # the same in the renamed channel


def window_of(channel: str) -> int:
    """The winnowing window of a channel's fingerprints: RENAMED_WINDOW for ``renamed``, else WINDOW."""
    return RENAMED_WINDOW if channel == "renamed" else WINDOW
_R = np.uint64(0xC2B2AE3D27D4EB4F)  # multiplier of an identifier's back reference
_LITERALS = np.array([token_hash(PLACEHOLDER_STRING), token_hash(PLACEHOLDER_NUMBER)], dtype=np.uint64)


@dataclass(frozen=True, eq=False)
class Fingerprints:
    """Selected k-gram hashes of one token stream and where each k-gram starts."""

    hashes: np.ndarray  # uint64, selected k-gram hashes
    positions: np.ndarray  # int64 token index of each selected k-gram's first token

    def __len__(self) -> int:
        return len(self.hashes)


def kgram_hashes(tokens: np.ndarray, k: int = K) -> np.ndarray:
    """The polynomial hash of every run of ``k`` consecutive tokens (``len(tokens) - k + 1`` of them)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    count = len(tokens) - k + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    s, pw = prefix_hashes(np.asarray(tokens, dtype=np.uint64))
    return window_hashes(s, pw, np.arange(count, dtype=np.int64), k)


def winnow(hashes: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Indices (ascending, distinct) of the k-grams that winnowing selects from ``hashes``.

    Each window of ``window`` consecutive hashes selects its rightmost minimum; fewer hashes than
    a window select the rightmost minimum of all of them. Selected indices never decrease from
    one window to the next, so duplicates are adjacent and dropped without sorting.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    n = len(hashes)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if native.ext is not None:
        out = np.empty(n, dtype=np.int64)
        return out[: native.ext.winnow(np.ascontiguousarray(hashes, dtype=np.uint64), window, out)]
    width = min(window, n)
    reversed_windows = sliding_window_view(hashes, width)[:, ::-1]
    picks = np.arange(n - width + 1, dtype=np.int64) + (width - 1 - reversed_windows.argmin(axis=1))
    keep = np.ones(len(picks), dtype=bool)
    keep[1:] = picks[1:] != picks[:-1]
    return picks[keep]


def renamed_kgram_hashes(renamed: np.ndarray, exact: np.ndarray, k: int = K) -> np.ndarray:
    """Parameterised k-gram hashes of abstracted code (see the module notes): ``renamed`` the
    abstracted token hashes, ``exact`` the token hashes, which tell identifiers apart (a token
    is an identifier when its abstracted hash differs from its own and is no literal
    placeholder). ``k`` vectorised passes over the tokens; no loop per token."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    n = len(renamed)
    count = n - k + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    renamed = np.asarray(renamed, dtype=np.uint64)
    exact = np.asarray(exact, dtype=np.uint64)
    is_name = (renamed != exact) & (renamed != _LITERALS[0]) & (renamed != _LITERALS[1])
    names = np.flatnonzero(is_name)
    order = names[np.argsort(exact[names], kind="stable")]  # each name's occurrences, in text order
    repeat = exact[order[1:]] == exact[order[:-1]]
    back = np.zeros(n, dtype=np.int64)
    back[order[1:][repeat]] = order[1:][repeat] - order[:-1][repeat]
    if native.ext is not None:
        out = np.empty(count, dtype=np.uint64)
        native.ext.renamed_kgrams(np.ascontiguousarray(renamed), back, k, int(_R), out)
        return out
    hashes = np.zeros(count, dtype=np.uint64)
    for j in range(k):
        b = back[j : j + count]
        inside = np.where(b <= j, b, 0).astype(np.uint64)
        hashes = hashes * P + (renamed[j : j + count] + inside * _R)
    return hashes


def line_skip_kgrams(tokens: np.ndarray, token_starts: np.ndarray, line_starts: np.ndarray, k: int = K,
                     max_lines: int = 2, max_tokens: int = 30,
                     allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-grams of a token stream read as if up to ``max_lines`` consecutive whole lines (at most
    ``max_tokens`` tokens in all) were not there: for every such gap, the k-grams that start
    before it and end after it, ``L`` tokens before and ``k - L`` after (``0 < L < k``). A copy
    with lines inserted into it holds these k-grams of its source where its own are broken.

    Returns (hashes, first token, end token) per k-gram: the hash is the one :func:`kgram_hashes`
    gives the ``k`` tokens it joins, and the end is past the skipped lines. ``token_starts``: the
    character offset of each token, ``line_starts`` that of each line; ``allowed`` (one per
    token): a k-gram is made only when every token it joins or skips is allowed. These k-grams
    are for looking up, never for indexing: the index keeps the winnowed k-grams of each work as
    it is, and a k-gram a source selected is found whichever way the query reaches it. Per line
    at most ``max_lines * (k - 1)`` k-grams, in ``max_lines * (k - 1)`` vectorised passes."""
    tokens = np.asarray(tokens, dtype=np.uint64)
    n = len(tokens)
    empty = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if n <= k:
        return empty
    s, pw = prefix_hashes(tokens)
    barred = np.zeros(n + 1, dtype=np.int64)  # tokens not allowed before each position
    if allowed is not None:
        np.cumsum(~np.asarray(allowed, dtype=bool), out=barred[1:])
    first = np.unique(np.searchsorted(np.asarray(token_starts, dtype=np.int64), np.asarray(line_starts, dtype=np.int64)))
    hashes, starts, ends = [], [], []
    for skip in range(1, max_lines + 1):
        a, b = first[:-skip], first[skip:]
        keep = (b > a) & (b - a <= max_tokens) & (a > 0) & (b < n)
        a, b = a[keep], b[keep]
        for before in range(1, k):
            ok = (a >= before) & (b + k - before <= n)
            ok[ok] = barred[b[ok] + k - before] == barred[a[ok] - before]
            i, hi = a[ok] - before, b[ok]
            hashes.append(window_hashes(s, pw, i, before) * pw[k - before] + window_hashes(s, pw, hi, k - before))
            starts.append(i)
            ends.append(hi + k - before)
    if not hashes:
        return empty
    return np.concatenate(hashes), np.concatenate(starts), np.concatenate(ends)


def stream_kgram_hashes(tokens: TokenStream, channel: str, k: int = K) -> np.ndarray:
    """The k-gram hashes of one channel of a token stream: ``exact`` (plain) or ``renamed``
    (parameterised; code only)."""
    if channel == "exact":
        return kgram_hashes(tokens.exact, k)
    if channel == "renamed" and tokens.renamed is not None:
        return renamed_kgram_hashes(tokens.renamed, tokens.exact, k)
    raise ValueError(f"no {channel!r} channel in a {tokens.kind} token stream")


def winnowed(hashes: np.ndarray, window: int = WINDOW) -> Fingerprints:
    """The fingerprints winnowing selects from a sequence of k-gram hashes."""
    picks = winnow(hashes, window)
    return Fingerprints(hashes[picks], picks)


def fingerprint(tokens: np.ndarray, k: int = K, window: int = WINDOW) -> Fingerprints:
    """Winnowed k-gram fingerprints of a token-hash stream (e.g. ``TokenStream.exact``)."""
    return winnowed(kgram_hashes(tokens, k), window)
