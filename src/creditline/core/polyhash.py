"""Polynomial hashes of every window of a sequence at once (used for token windows, words and
k-grams).

A window ``v[a:b]`` of 64-bit values hashes to ``sum(v[j] * P**(b-1-j))`` modulo 2**64 (the same
value wherever the window sits). With prefix sums ``S`` over ``v[j] * P**-(j+1)``, every window
hash is ``P**b * (S[b] - S[a])``: one vectorised pass gives the hash of every window of any
length. ``P`` is odd, so it has an inverse modulo 2**64.
"""

from __future__ import annotations

import numpy as np

P = np.uint64(0x9E3779B97F4A7C15)
P_INV = np.uint64(pow(int(P), -1, 2**64))

__all__ = ["P", "P_INV", "hashes_of", "power_table", "prefix_hashes", "window_hashes"]


def _power_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    pw = np.empty(n + 1, dtype=np.uint64)
    pw[0] = 1
    pw[1:] = P
    np.cumprod(pw, out=pw)
    inv = np.full(max(n, 1), P_INV, dtype=np.uint64)
    np.cumprod(inv, out=inv)
    pw.flags.writeable = inv.flags.writeable = False
    return pw, inv


_POWERS = [_power_table(1 << 12)]  # grown (doubled) as longer texts come, up to _POWERS_KEPT; read-only
_POWERS_KEPT = 1 << 20  # 16 MiB; longer texts get a table of their own
_PIECE = 1 << 16  # values hashed at a time by hashes_of (512 KiB of 64-bit values)


def power_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``P**i`` for ``i <= n`` and ``P**-(i+1)`` for ``i < n`` (wrapping uint64 products): views
    of one read-only table kept for the process (texts up to a million tokens)."""
    pw, inv = _POWERS[0]
    if len(inv) < n:
        if n > _POWERS_KEPT:
            pw, inv = _power_table(n)
        else:
            pw, inv = _POWERS[0] = _power_table(max(n, min(2 * len(inv), _POWERS_KEPT)))
    return pw[: n + 1], inv[:n]


def prefix_hashes(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S, pw) such that the hash of window ``[a, b)`` is ``pw[b] * (S[b] - S[a])``."""
    n = len(vals)
    pw, inv = power_table(n)
    s = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(vals * inv, out=s[1:])
    return s, pw


def window_hashes(s: np.ndarray, pw: np.ndarray, starts: np.ndarray, length: np.ndarray | int) -> np.ndarray:
    ends = starts + length
    return pw[ends] * (s[ends] - s[starts])


def hashes_of(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The hash of each window ``values[starts[i]:ends[i]]`` of an integer array; the windows are
    in order (starts and ends both never decrease: words, tokens, k-grams). A long array is
    hashed ``_PIECE`` values at a time (a window is never cut), so the 64-bit temporaries stay
    in the CPU cache: about 2.5 times faster than one pass over a few megabytes."""
    out = np.empty(len(starts), dtype=np.uint64)
    first = 0
    while first < len(starts):
        base = int(starts[first])
        stop = len(starts) if ends[-1] - base <= _PIECE else max(int(np.searchsorted(ends, base + _PIECE, "right")), first + 1)
        s, pw = prefix_hashes(values[base : int(ends[stop - 1])].astype(np.uint64))
        out[first:stop] = window_hashes(s, pw, starts[first:stop] - base, ends[first:stop] - starts[first:stop])
        first = stop
    return out
