"""creditline's compiled helpers (``_ctokens.c``, built by setup.py) and whether they were built.

Each helper has a numpy or Python counterpart that gives the same results; callers use the
compiled one when :data:`COMPILED` and the other otherwise (an install without a C compiler).
Property tests compare the two.
"""

from __future__ import annotations

import threading

import numpy as np

try:
    from creditline.core import _ctokens as ext
except ImportError:  # pragma: no cover - a build without a C compiler
    ext = None

COMPILED = ext is not None  # shown by `creditline --version`

SCRATCH_KEPT = 1 << 22  # items: output arrays up to this size are kept for the thread's next call
_SCRATCH = threading.local()


def scratch(key: str, n: int, dtypes: tuple[type, ...]) -> tuple[np.ndarray, ...]:
    """Output arrays of at least ``n`` items, one per dtype, for a compiled helper to fill: the
    same thread's next call with the same ``key`` gets them again when they hold no more than
    SCRATCH_KEPT items. Fresh memory costs a page fault per 4 KiB written (about as much as the
    helpers' work); memory is only used as far as it was ever written."""
    kept = getattr(_SCRATCH, key, None)
    if kept is not None and len(kept[0]) >= n:
        return kept  # type: ignore[no-any-return]
    arrays = tuple(np.empty(max(n, 1), dtype) for dtype in dtypes)
    if n <= SCRATCH_KEPT:
        setattr(_SCRATCH, key, arrays)
    return arrays


def find_folded(text: str, needles: tuple[bytes, ...], first_only: bool = False) -> list[int] | None:
    """Offsets of the lower-case ASCII ``needles`` in ``text``, ASCII letters compared without
    case (for each needle, its occurrences from the left, each search going on after the last
    one found, as ``str.find`` in a loop), in order of offset; with ``first_only``, at most one.
    Text of any characters is read in place (no lower-cased copy). None when nothing was
    compiled: search it another way."""
    if ext is None:
        return None
    return ext.find_folded(text, needles, first_only)  # type: ignore[no-any-return]


def argsort_stable(keys: np.ndarray) -> np.ndarray:
    """The stable argsort of uint64 ``keys`` (``np.argsort(keys, kind="stable")``): a compiled
    radix sort where built (about 2.5 times faster than numpy's merge sort on random hashes; it
    releases the GIL, so channels sort in threads at once)."""
    if ext is None:
        return np.argsort(keys, kind="stable")
    out = np.empty(len(keys), dtype=np.int64)
    ext.argsort_u64(np.ascontiguousarray(keys, dtype=np.uint64), out)
    return out
