"""Window hashes (core/polyhash.py): piecewise hashing gives the plain polynomial."""

from __future__ import annotations

import numpy as np
import pytest

from creditline.core import polyhash
from creditline.core.polyhash import P, hashes_of


def _polynomial(values: np.ndarray) -> int:
    out = 0
    for v in values.tolist():
        out = (out * int(P) + v) % 2**64
    return out


@pytest.mark.parametrize("n", [0, 1, 37, polyhash._PIECE + 50, 3 * polyhash._PIECE])
def test_windows_across_pieces(n: int) -> None:
    rng = np.random.default_rng(n)
    values = rng.integers(0, 2**20, n).astype(np.uint32)
    short = n - polyhash._PIECE - 10 if n > polyhash._PIECE else n  # room for one window longer than a piece
    starts = np.sort(rng.integers(0, short, min(short, 300))) if short else np.empty(0, dtype=np.int64)
    ends = np.maximum.accumulate(np.minimum(starts + rng.integers(1, 9, len(starts)), short))  # overlapping k-grams too
    if n > polyhash._PIECE:
        starts, ends = np.append(starts, n - polyhash._PIECE - 5), np.append(ends, n)
    found = hashes_of(values, starts, ends)
    assert found.dtype == np.uint64
    assert found.tolist() == [_polynomial(values[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
