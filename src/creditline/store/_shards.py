"""Fingerprint shards: immutable directories of sorted posting columns under ``shards/``.

Layout of one shard ``shards/<name>/`` (``<name>`` is ``<utc time>-<random hex>``)::

    <channel>.hash.npy      uint64[n]     the hashes, sorted ascending
    <channel>.postings.npy  uint32[n, 3]  per hash: work id, start char, end char (exclusive)

one pair of ``.npy`` files (plain NumPy format, little-endian, C order) per channel that has
postings; rows are sorted by hash (a stable sort: ties keep the order the writer added them
in). Files are memory-mapped with ``np.load(mmap_mode="r")`` and never change once published.

Publishing: a writer builds the shard in ``shards/.tmp-<name>/``, fsyncs every file and the
directory, renames it to ``shards/<name>/`` and fsyncs ``shards/``; only then does the SQLite
transaction that lists it commit. A shard not listed in ``catalog.sqlite`` (a killed writer's
temporary or renamed directory, or one dropped by compaction) is invisible to readers and is
deleted by the next writer, under the writer lock.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from creditline.errors import CatalogCorruptError
from creditline.store._postings import Columns, sort_columns

HASH, POSTINGS = np.dtype("<u8"), np.dtype("<u4")
TMP_PREFIX = ".tmp-"
_REBUILD = "rebuild the catalog with `creditline index` into a new directory"


def new_name() -> str:
    """A fresh, unique shard name that sorts by creation time."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(6)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be fsynced on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_npy(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def write_shard(shards_dir: Path, name: str, channels: dict[str, Columns]) -> int:
    """Write, fsync and rename a shard into place; return its size in bytes (not yet published)."""
    tmp = shards_dir / (TMP_PREFIX + name)
    tmp.mkdir(parents=True)
    for channel, cols in channels.items():
        _write_npy(tmp / f"{channel}.hash.npy", cols.hash.astype(HASH, copy=False))
        _write_npy(tmp / f"{channel}.postings.npy", np.stack([cols.work, cols.start, cols.end], axis=1).astype(POSTINGS))
    _fsync_dir(tmp)
    size = sum(f.stat().st_size for f in tmp.iterdir())
    os.rename(tmp, shards_dir / name)
    _fsync_dir(shards_dir)
    return size


def _load_array(path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as err:
        raise CatalogCorruptError(f"shard file {path} is damaged: {err}", hint=_REBUILD) from err
    if arr.dtype != dtype or arr.shape != shape:
        raise CatalogCorruptError(f"shard file {path} holds {arr.dtype}{list(arr.shape)}, expected "
                                  f"{dtype}{list(shape)}", hint=_REBUILD)
    return arr


def _load_channel(path: Path, channel: str, count: int) -> Columns:
    hashes = _load_array(path / f"{channel}.hash.npy", HASH, (count,))
    postings = _load_array(path / f"{channel}.postings.npy", POSTINGS, (count, 3))
    return Columns(hashes, postings[:, 0], postings[:, 1], postings[:, 2])


def load_shard(path: Path, postings: dict[str, int]) -> dict[str, Columns]:
    """Memory-map a shard's columns; FileNotFoundError when it vanished (a compaction raced)."""
    return {ch: _load_channel(path, ch, count) for ch, count in postings.items()}


def remove_unlisted(shards_dir: Path, listed: Iterable[str]) -> None:
    """Delete every entry of ``shards/`` that the database does not list (writer lock held)."""
    keep = set(listed)
    for entry in shards_dir.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def live_columns(shards: Iterable[tuple[int, dict[str, Columns]]], shard_of: np.ndarray) -> dict[str, Columns]:
    """Every live posting of several shards, merged and sorted per channel (for compaction)."""
    parts: dict[str, list[Columns]] = {}
    for shard_id, channels in shards:
        for channel, cols in channels.items():
            keep = shard_of[cols.work] == shard_id
            parts.setdefault(channel, []).append(Columns(*(np.asarray(c[keep]) for c in cols)))
    merged = {ch: sort_columns(Columns(*(np.concatenate(c) for c in zip(*cs))), sorted_runs=True)
              for ch, cs in parts.items()}
    return {ch: cols for ch, cols in merged.items() if len(cols.hash)}
