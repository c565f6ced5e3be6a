"""The writer both backends hand out: it collects one block's changes in memory.

Nothing touches the catalog until the block exits normally; the backend then publishes the
collected :class:`Changes` in one step. Ids are allocated from the catalog's ``next_id``
counter at ``add_work`` time, so callers get them at once; ids of changes that are never
published are simply not used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from creditline.model import Work
from creditline.store._postings import MAX_WORK_ID, check_fingerprints, check_line_starts
from creditline.store.base import Postings

#: (path, root or None for any root) -> committed [(id, root, sha1)], ordered by id.
Existing = Callable[[str, "str | None"], list[tuple[int, str, str]]]


@dataclass(frozen=True)
class PendingWork:
    """A validated work to publish: ``work.id`` is set; postings per channel; line starts; the
    work's text, compressed (:func:`~creditline.core.textpack.pack_text`), or None."""

    work: Work
    fingerprints: dict[str, Postings]
    line_starts: np.ndarray
    text: bytes | None = None


@dataclass(frozen=True)
class Changes:
    """Everything one writer block changes: works to add or replace, ids to drop."""

    adds: tuple[PendingWork, ...]
    removed: frozenset[int]
    next_id: int

    def __bool__(self) -> bool:
        return bool(self.adds or self.removed)


class PendingWriter:
    """A :class:`~creditline.store.base.CatalogWriter` that records changes for its backend."""

    def __init__(self, existing: Existing, next_id: int) -> None:
        self._existing = existing
        self._next_id = next_id
        self._adds: dict[tuple[str, str], PendingWork] = {}
        self._removed: set[int] = set()
        self._open = True

    def add_work(self, work: Work, fingerprints: dict[str, Sequence[object]], line_starts: np.ndarray,
                 text: bytes | None = None) -> int:
        """Add or replace ``work`` (keyed by root and path); same sha1 there: no-op."""
        self._check_open()
        if not isinstance(work, Work):
            raise TypeError(f"add_work expects a Work, got {type(work).__name__}")
        if not (work.path and isinstance(work.path, str) and isinstance(work.root, str) and isinstance(work.sha1, str)):
            raise ValueError(f"a catalogued work needs a path and str root and sha1, got {work!r}")
        checked, starts = check_fingerprints(fingerprints), check_line_starts(line_starts)
        if text is not None and not isinstance(text, bytes):
            raise TypeError(f"a work's text is stored packed (bytes from pack_text), got {type(text).__name__}")
        key = (work.root, work.path)
        work_id, unchanged = self._resolve(key, work.sha1)
        if not unchanged:
            self._adds[key] = PendingWork(dataclasses.replace(work, id=work_id), checked, starts, text)
        return work_id

    def remove(self, path: str, root: str | None = None) -> bool:
        """Drop the work(s) at ``path`` in ``root`` (None: any root); True when one existed."""
        self._check_open()
        pending = [key for key in self._adds if key[1] == path and root in (None, key[0])]
        for key in pending:
            del self._adds[key]
        committed = [wid for wid, _, _ in self._existing(path, root) if wid not in self._removed]
        self._removed.update(committed)
        return bool(pending or committed)

    def changes(self) -> Changes:
        """What this block changed so far."""
        return Changes(tuple(self._adds.values()), frozenset(self._removed), self._next_id)

    def close(self) -> None:
        """Refuse further use: the block is over."""
        self._open = False

    def _resolve(self, key: tuple[str, str], sha1: str) -> tuple[int, bool]:
        """(id for the work at ``key``, whether the work there already has this sha1)."""
        pending = self._adds.get(key)
        if pending is not None:
            return pending.work.id, pending.work.sha1 == sha1
        for work_id, _, old_sha1 in self._existing(key[1], key[0]):
            self._removed.discard(work_id)  # removed earlier in this block: back again
            return work_id, old_sha1 == sha1
        return self._allocate(), False

    def _allocate(self) -> int:
        if self._next_id > MAX_WORK_ID:
            raise ValueError("catalog is full: work ids are 32-bit")
        self._next_id += 1
        return self._next_id - 1

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("catalog writer used outside its `with catalog.writer()` block")
