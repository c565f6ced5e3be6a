"""``MemoryCatalog``: the in-memory twin of the on-disk catalog, for tests and one-shot runs.

It keeps the same contract as :class:`~creditline.store.sqlite.SqliteCatalog` (see
:mod:`creditline.store.base`): one writer at a time (a second one gets CatalogLockedError),
all changes of a block published together by swapping in a new immutable state, postings
searched with the same vectorised code. Nothing is persisted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from creditline.errors import CatalogLockedError
from creditline.model import CATALOG_FORMAT_VERSION, Work
from creditline.store._postings import (
    Columns, as_hashes, build_columns, check_channel, count_works, hits_in, line_number, merge_hits,
)
from creditline.store._writer import Changes, PendingWriter
from creditline.core.textpack import unpack_text
from creditline.store.base import FingerprintParams, Hits, Postings, check_params


@dataclass
class _State:
    """One published version of the catalog; replaced, never changed, after publication."""

    works: dict[int, Work] = field(default_factory=dict)
    keys: dict[tuple[str, str], int] = field(default_factory=dict)
    postings: dict[int, dict[str, Postings]] = field(default_factory=dict)
    lines: dict[int, np.ndarray] = field(default_factory=dict)
    texts: dict[int, bytes] = field(default_factory=dict)
    next_id: int = 1
    index: dict[str, Columns] = field(default_factory=dict)  # built lazily per channel

    def columns(self, channel: str) -> Columns:
        if channel not in self.index:
            pairs = ((wid, fps[channel]) for wid, fps in self.postings.items() if channel in fps)
            self.index[channel] = build_columns(pairs)
        return self.index[channel]


def _applied(old: _State, changes: Changes) -> _State:
    """A new state: ``old`` with ``changes`` applied (``old`` is left untouched)."""
    new = _State(dict(old.works), dict(old.keys), dict(old.postings), dict(old.lines), dict(old.texts),
                 changes.next_id)
    for work_id in changes.removed:
        work = new.works.pop(work_id)
        del new.keys[(work.root, work.path)], new.postings[work_id], new.lines[work_id]
        new.texts.pop(work_id, None)
    for pending in changes.adds:
        work = pending.work
        new.works[work.id], new.keys[(work.root, work.path)] = work, work.id
        new.postings[work.id], new.lines[work.id] = pending.fingerprints, pending.line_starts
        if pending.text is not None:
            new.texts[work.id] = pending.text
        else:
            new.texts.pop(work.id, None)
    return new


class MemoryCatalog:
    """A catalog held in dicts and arrays; see :mod:`creditline.store.base` for the contract."""

    def __init__(self, params: FingerprintParams) -> None:
        if not isinstance(params, FingerprintParams):
            raise TypeError(f"params must be FingerprintParams, got {type(params).__name__}")
        self.params = params
        self._state = _State()
        self._writing = False

    def close(self) -> None:
        """Nothing to release; present for symmetry with the on-disk catalog."""

    def __enter__(self) -> MemoryCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writer(self, params: FingerprintParams | None = None) -> Iterator[PendingWriter]:
        """The single writer; its changes are published when the block exits normally."""
        check_params(self.params, params, "in memory")
        if self._writing:
            raise CatalogLockedError("this in-memory catalog already has an active writer",
                                     hint="finish the other `with catalog.writer()` block first")
        self._writing = True
        pending = PendingWriter(self._existing, self._state.next_id)
        try:
            yield pending
            pending.close()
            if pending.changes():
                self._state = _applied(self._state, pending.changes())
        finally:
            pending.close()
            self._writing = False

    def _existing(self, path: str, root: str | None) -> list[tuple[int, str, str]]:
        if root is not None:
            work_id = self._state.keys.get((root, path))
            ids = [] if work_id is None else [work_id]
        else:
            ids = sorted(wid for (_, p), wid in self._state.keys.items() if p == path)
        return [(wid, self._state.works[wid].root, self._state.works[wid].sha1) for wid in ids]

    def works(self) -> Iterator[Work]:
        """Every work, by id."""
        state = self._state
        return iter([state.works[wid] for wid in sorted(state.works)])

    def work(self, work_id: int) -> Work:
        """The work with this id; KeyError when there is none."""
        return self._state.works[work_id]

    def find(self, path: str, root: str | None = None) -> Work | None:
        """The work at ``path`` in ``root`` (any root: the lowest id), or None."""
        found = self._existing(path, root)
        return self._state.works[found[0][0]] if found else None

    def lookup(self, hashes: np.ndarray, channel: str, max_postings: int | None = None) -> Hits:
        """Every posting of every query hash found: (query index, work id, start, end)."""
        query = as_hashes(hashes)
        return merge_hits([hits_in(self._state.columns(check_channel(channel)), query,
                                   max_postings=max_postings)])

    def document_frequency(self, hashes: np.ndarray, channel: str) -> np.ndarray:
        """For each query hash, the number of distinct works containing it."""
        qidx, work, _, _ = self.lookup(hashes, channel)
        return count_works(qidx, work, len(as_hashes(hashes)))

    def line_of(self, work_id: int, char_offset: int) -> int:
        """1-based line number of ``char_offset`` in the work."""
        return line_number(self._state.lines[work_id], char_offset)

    def text_of(self, work_id: int) -> str | None:
        body = self._state.texts.get(int(work_id))
        return unpack_text(body) if body is not None else None

    def work_count(self) -> int:
        return len(self._state.works)

    def stats(self) -> dict[str, Any]:
        """works, postings per channel, shards (0), bytes (in memory), params, versions."""
        state = self._state
        channels = sorted({ch for fps in state.postings.values() for ch in fps})
        postings = {ch: len(state.columns(ch).hash) for ch in channels}
        nbytes = sum(c.nbytes for ch in channels for c in state.columns(ch))
        return {"backend": "memory", "path": None, "works": len(state.works), "postings": postings,
                "dead_postings": 0, "shards": 0, "bytes": nbytes, "params": dataclasses.asdict(self.params),
                "format_version": CATALOG_FORMAT_VERSION, "schema_version": None}
