"""creditline's compiled helpers (``_ctokens.c``, built by setup.py) and whether they were built.

Each helper has a numpy or Python counterpart that gives the same results; callers use the
compiled one when :data:`COMPILED` and the other otherwise (an install without a C compiler).
Property tests compare the two.
"""

from __future__ import annotations

try:
    from creditline.core import _ctokens as ext
except ImportError:  # pragma: no cover - a build without a C compiler
    ext = None

COMPILED = ext is not None  # shown by `creditline --version`


def find_folded(text: str, needles: tuple[bytes, ...], first_only: bool = False) -> list[int] | None:
    """Offsets of the lower-case ASCII ``needles`` in ``text``, ASCII letters compared without
    case (for each needle, its occurrences from the left, each search going on after the last
    one found, as ``bytes.find`` in a loop), in order of offset; with ``first_only``, at most one.
    None when ``text`` is not ASCII or nothing was compiled: search it another way."""
    if ext is None:
        return None
    return ext.find_folded(text, needles, first_only)  # type: ignore[no-any-return]
