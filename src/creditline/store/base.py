"""The catalog behind one interface: :class:`Catalog`, :class:`CatalogWriter`, :func:`open_catalog`.

A catalog maps fingerprints (64-bit hashes of winnowed k-grams) to *postings*: the work that
contains the hash and the character span it covers. Two backends implement the same
contract: :class:`~creditline.store.memory.MemoryCatalog` (dicts and arrays, for tests and
one-shot runs) and :class:`~creditline.store.sqlite.SqliteCatalog` (a directory on disk; its
module docstring describes the on-disk format and the crash and lock behaviour).

Contract shared by both backends:

- **Params.** A catalog records the :class:`FingerprintParams` it was built with; opening it
  with other params, ``writer(params)`` with other params, or writing after another process
  rebuilt it with other params, raises :class:`~creditline.errors.CatalogVersionError`. Fingerprints made with different params
  never match, so mixing them would silently find nothing.
- **One writer.** ``with catalog.writer() as w:`` gives the only writer; a second one, in this
  or another process, gets :class:`~creditline.errors.CatalogLockedError` at once. Readers
  never lock and are never blocked.
- **Atomic blocks.** Everything written in one ``writer()`` block becomes visible together
  when the block exits normally, or not at all (exception, ``KeyboardInterrupt``, ``SIGKILL``).
- **Identity.** A work is keyed by ``(root, path)``. Adding a work whose key exists replaces
  it and keeps its id (its old postings disappear); adding one with the same ``sha1`` is a
  no-op returning the existing id. Ids are never reused after a removal.
- **Roots.** ``root=None`` in :meth:`Catalog.find` and :meth:`CatalogWriter.remove` means
  "any root": ``find`` returns the match with the lowest id, ``remove`` removes every match.
- **Lookups** are vectorised and return parallel ``int64`` arrays sorted by
  (query index, work id, start).
- **Texts.** A work may be stored with its text (:func:`~creditline.core.textpack.pack_text`); :meth:`Catalog.text_of`
  gives it back, or None for works stored without one (catalogs written before texts were
  kept). Trace uses it to extend each matched span token by token to the exact ends of the
  copy, which fingerprints alone place only to within a winnowing window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from creditline.errors import CatalogVersionError
from creditline.model import Work

#: Channels the fingerprinter produces: ``exact`` (normalised tokens) and ``renamed``
#: (identifiers and literals abstracted). Any lowercase name is accepted.
CHANNELS = ("exact", "renamed")
CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

#: (hashes uint64, start char int64, end char int64) of one channel of one work.
Postings = tuple[np.ndarray, np.ndarray, np.ndarray]
#: (query index, work id, start char, end char), all int64, one entry per posting found.
Hits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class FingerprintParams:
    """How fingerprints were made; a catalog only ever holds fingerprints of one params set."""

    fingerprint_version: int
    k: int
    window: int
    hash_seed: int

    def __post_init__(self) -> None:
        if self.fingerprint_version < 1 or self.k < 1 or self.window < 1:
            raise ValueError(f"fingerprint_version, k and window must be >= 1, got {self}")
        if not 0 <= self.hash_seed < 2**64:
            raise ValueError(f"hash_seed must be in 0..2**64-1, got {self.hash_seed}")

    @classmethod
    def current(cls) -> FingerprintParams:
        """The params :mod:`creditline.core.fingerprint` fingerprints with in this release."""
        from creditline.core import fingerprint, normalize

        return cls(fingerprint.FINGERPRINT_VERSION, fingerprint.K, fingerprint.WINDOW, normalize.TOKEN_SEED)

    def to_dict(self) -> dict[str, int]:
        return {"fingerprint_version": self.fingerprint_version, "k": self.k,
                "window": self.window, "hash_seed": self.hash_seed}


class CatalogWriter(Protocol):
    """Collects the changes of one ``writer()`` block; they are published when the block exits."""

    def add_work(self, work: Work, fingerprints: dict[str, Postings], line_starts: np.ndarray,
                 text: bytes | None = None) -> int:
        """Add or replace ``work`` with its postings per channel; return its id.

        ``line_starts`` holds the char offset where each line starts (``[0, ...]``) so that
        :meth:`Catalog.line_of` can turn offsets into line numbers without the source;
        ``text``, the work's text from :func:`~creditline.core.textpack.pack_text` (None: not kept).
        """
        ...

    def remove(self, path: str, root: str | None = None) -> bool:
        """Remove the work(s) at ``path`` (in ``root``, or any root); True when one existed."""
        ...


class Catalog(Protocol):
    """Read side of a catalog plus :meth:`writer`; see the module docstring for the contract."""

    params: FingerprintParams

    def writer(self, params: FingerprintParams | None = None) -> AbstractContextManager[CatalogWriter]:
        """The single writer; CatalogLockedError when another one is active.

        ``params``, when given, must equal the catalog's (else CatalogVersionError): pass the
        params the fingerprints were made with.
        """
        ...

    def works(self) -> Iterator[Work]:
        """Every work, by id."""
        ...

    def work(self, work_id: int) -> Work:
        """The work with this id; KeyError when there is none."""
        ...

    def find(self, path: str, root: str | None = None) -> Work | None:
        """The work at ``path`` in ``root`` (any root: the lowest id), or None."""
        ...

    def lookup(self, hashes: np.ndarray, channel: str, max_postings: int | None = None) -> Hits:
        """Every posting of every query hash found: (query index, work id, start, end). A hash
        with more than ``max_postings`` postings (in one shard) gives none: boilerplate."""
        ...

    def document_frequency(self, hashes: np.ndarray, channel: str) -> np.ndarray:
        """For each query hash, the number of distinct works containing it (int64)."""
        ...

    def line_of(self, work_id: int, char_offset: int) -> int:
        """1-based line number of ``char_offset`` in the work; KeyError for an unknown work."""
        ...

    def text_of(self, work_id: int) -> str | None:
        """The work's text, or None when it was stored without one (or is unknown)."""
        ...

    def stats(self) -> dict[str, Any]:
        """works, postings per channel, shards, bytes on disk, params, format and schema versions.

        Counts live postings, so it reads every shard: for reports, not for hot paths."""
        ...

    def work_count(self) -> int:
        """Number of works, cheaply (one query): what per-lookup code should use."""
        ...

    def close(self) -> None:
        """Release files and connections (catalogs are also context managers)."""
        ...


def check_params(stored: FingerprintParams, wanted: FingerprintParams | None, where: str) -> None:
    """Raise CatalogVersionError when ``wanted`` (None: anything) differs from ``stored``."""
    if wanted is not None and wanted != stored:
        raise CatalogVersionError(
            f"catalog {where} holds fingerprints made with {stored.to_dict()}, not {wanted.to_dict()}",
            hint="index the works again into a new catalog directory (`creditline index PATH --catalog NEW`); "
                 "this creditline fingerprints with the new params")


def open_catalog(path: str | None, params: FingerprintParams | None = None, *, create: bool = True) -> Catalog:
    """Open the catalog directory at ``path`` (None: a new in-memory catalog).

    ``params`` None accepts whatever the catalog records; creating a catalog needs params.
    With ``create=False`` a missing catalog raises :class:`~creditline.errors.CatalogError`.
    """
    if path is None:
        if params is None:
            raise ValueError("an in-memory catalog needs FingerprintParams")
        from creditline.store.memory import MemoryCatalog

        return MemoryCatalog(params)
    from creditline.store.sqlite import SqliteCatalog

    return SqliteCatalog(path, params, create=create)

