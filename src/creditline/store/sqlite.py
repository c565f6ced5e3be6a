"""``SqliteCatalog``: the on-disk catalog, a directory any number of processes can read.

On-disk format (``schema_version`` 1, ``format_version`` :data:`~creditline.model.CATALOG_FORMAT_VERSION`)::

    <catalog>/catalog.sqlite    works, shard list, line starts, texts, meta (see ``_schema``); WAL mode
    <catalog>/catalog.sqlite-wal, -shm   SQLite's write-ahead log (part of the database)
    <catalog>/writer.lock       the single-writer lock file (holds the writer's pid)
    <catalog>/shards/<name>/    immutable fingerprint shards (see ``_shards``)

Publishing. One ``writer()`` block collects its changes in memory. At a normal exit it writes
one new shard with the block's postings (temporary name, fsync, rename), then commits one
SQLite transaction that lists the shard and inserts, replaces or deletes the works rows. That
commit is the publish point: a process killed at any moment (even by ``SIGKILL``) leaves the
catalog as of the last commit, and an exception or ``KeyboardInterrupt`` inside the block
publishes nothing. Leftover shard directories are never read and are removed by the next writer.

Dead postings. Shards are never changed, so the postings of a replaced or removed work stay in
older shards; ``works.shard`` names the one shard whose postings of that work are live and
lookups drop the others with a vectorised mask (``shard_of[work] == shard``). When there are
more than ``max_shards`` shards, the writer merges them into one, dropping dead postings
(:meth:`SqliteCatalog.compact`), publishes the merge the same way and deletes the old shards.

Locking. Writers take an exclusive lock on ``writer.lock`` (``_lock``); a second writer gets
CatalogLockedError at once. Readers never lock: each lookup uses a snapshot (one read
transaction: generation, shard list, live works) and memory-maps the shards it lists, so a
concurrent writer never blocks it and it never sees half a change. A shard deleted by a
compaction while a reader was loading it makes the reader take a fresh snapshot.

Errors. Another schema or format version, or other fingerprint params: CatalogVersionError.
A damaged or missing database or shard file: CatalogCorruptError naming the file. Both say
what to do. Scale note: a snapshot reads ``(id, shard)`` of every work, once per generation.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from creditline.errors import CatalogCorruptError, CatalogError, CatalogLockedError
from creditline.model import CATALOG_FORMAT_VERSION, Work
from creditline.store import _schema as schema
from creditline.store._lock import WriterLock
from creditline.store._postings import (
    Columns, as_hashes, build_columns, check_channel, count_works, hits_in, line_number, merge_hits,
)
from creditline.store._shards import live_columns, load_shard, new_name, remove_unlisted, write_shard
from creditline.store._writer import Changes, PendingWriter
from creditline.core.textpack import unpack_text
from creditline.store.base import FingerprintParams, Hits, check_params

DB_NAME = "catalog.sqlite"
LOCK_NAME = "writer.lock"
SHARDS_DIR = "shards"
OWN_NAMES = frozenset({DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", LOCK_NAME, SHARDS_DIR})
DEFAULT_MAX_SHARDS = 16
_BATCH = 1000
_SNAPSHOT_TRIES = 5
_REBUILD = "rebuild the catalog with `creditline index` into a new directory"


@dataclass(frozen=True)
class _View:
    """One consistent state: the shards listed and, per work id, its live shard (-1: none)."""

    generation: int
    shards: tuple[tuple[int, dict[str, Columns]], ...]
    shard_of: np.ndarray


@contextmanager
def _sql_errors(db: Path) -> Iterator[None]:
    """Translate sqlite3 errors into the catalog's errors, naming the database file."""
    try:
        yield
    except sqlite3.OperationalError as err:
        if "locked" in str(err) or "busy" in str(err):
            raise CatalogLockedError(f"catalog database {db} is busy: {err}",
                                     hint="retry when the other writer has finished") from err
        raise CatalogCorruptError(f"cannot read catalog database {db}: {err}", hint=_REBUILD) from err
    except sqlite3.DatabaseError as err:
        raise CatalogCorruptError(f"catalog database {db} is damaged: {err}", hint=_REBUILD) from err


def _connect(db: Path, *, readonly: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA synchronous = FULL")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` .. ``COMMIT``; rolled back on any exception, KeyboardInterrupt included."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _existing(conn: sqlite3.Connection, path: str, root: str | None) -> list[tuple[int, str, str]]:
    sql, args = "SELECT id, root, sha1 FROM works WHERE path = ?", [path]
    if root is not None:
        sql, args = sql + " AND root = ?", [path, root]
    return conn.execute(sql + " ORDER BY id", args).fetchall()


def _bump(conn: sqlite3.Connection, next_id: int | None = None) -> None:
    """Advance ``generation`` (and record ``next_work_id``) inside the publishing transaction."""
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    if next_id is not None:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'next_work_id'", (str(next_id),))


def _insert_shard(conn: sqlite3.Connection, name: str, channels: dict[str, Columns], nbytes: int) -> int:
    postings = json.dumps({ch: len(cols.hash) for ch, cols in channels.items()})
    cur = conn.execute("INSERT INTO shards (name, postings, bytes) VALUES (?, ?, ?)", (name, postings, nbytes))
    return int(cur.lastrowid or 0)


class SqliteCatalog:
    """A catalog directory (see the module docstring for its format, publishing and locking).

    ``params`` None opens with the params the catalog records; creating a catalog needs them.
    ``create`` False refuses a missing catalog. ``max_shards`` sets when a writer compacts.
    """

    def __init__(self, directory: str | Path, params: FingerprintParams | None = None, *,
                 create: bool = True, max_shards: int = DEFAULT_MAX_SHARDS) -> None:
        if max_shards < 1:
            raise ValueError(f"max_shards must be >= 1, got {max_shards}")
        self.path = Path(directory)
        self.max_shards = max_shards
        self._db = self.path / DB_NAME
        self._shards_dir = self.path / SHARDS_DIR
        self._mutex = threading.RLock()
        self._view: _View | None = None
        self._loaded: dict[str, dict[str, Columns]] = {}
        self._conn: sqlite3.Connection | None = None
        try:
            with _sql_errors(self._db):
                self.params = self._open(params, create)
        except BaseException:
            self.close()
            raise

    # --- opening -----------------------------------------------------------------------------

    def _open(self, params: FingerprintParams | None, create: bool) -> FingerprintParams:
        if not self._db.is_file():
            self._refuse_missing(create)
            self._create(params)
        self._conn = _connect(self._db, readonly=True)
        if not schema.has_schema(self._conn):
            self._refuse_missing(create)
            self._create(params)
        meta = schema.read_meta(self._conn, self._db)
        schema.check_versions(meta, self._db)
        return schema.check_params(meta, params, self._db)

    def _refuse_missing(self, create: bool) -> None:
        if not create:
            raise CatalogError(f"no catalog at {self.path}", hint="build one with `creditline index`")
        if self.path.exists() and not self.path.is_dir():
            raise CatalogError(f"{self.path} is a file, not a catalog directory", hint="choose another path")
        foreign = sorted(e.name for e in self.path.iterdir() if e.name not in OWN_NAMES) if self.path.exists() else []
        if foreign:
            raise CatalogError(f"{self.path} is not a catalog directory (it holds {foreign[0]!r})",
                               hint="choose a new or empty directory for the catalog")

    def _create(self, params: FingerprintParams | None) -> None:
        """Create the schema under the writer lock (a concurrent creator gets CatalogLockedError)."""
        if params is None:
            raise ValueError(f"creating the catalog {self.path} needs FingerprintParams")
        self._shards_dir.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(self.path / LOCK_NAME)
        lock.acquire()
        try:
            with closing(_connect(self._db, readonly=False)) as conn:
                if not schema.has_schema(conn):
                    conn.execute("PRAGMA journal_mode = WAL")
                    schema.create_schema(conn, params)
        finally:
            lock.release()

    def close(self) -> None:
        """Close the reader connection; the catalog cannot be used afterwards."""
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._view, self._loaded = None, {}

    def __enter__(self) -> SqliteCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -----------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._mutex, _sql_errors(self._db):
            if self._conn is None:
                raise CatalogError(f"catalog {self.path} is closed")
            return self._conn.execute(sql, args).fetchall()

    def works(self) -> Iterator[Work]:
        """Every work, by id (read in batches; works committed meanwhile may appear)."""
        last = 0
        while rows := self._query(f"{schema.SELECT_WORKS} WHERE id > ? ORDER BY id LIMIT {_BATCH}", (last,)):
            yield from (schema.row_work(row) for row in rows)
            last = rows[-1][0]

    def work(self, work_id: int) -> Work:
        """The work with this id; KeyError when there is none."""
        rows = self._query(f"{schema.SELECT_WORKS} WHERE id = ?", (int(work_id),))
        if not rows:
            raise KeyError(work_id)
        return schema.row_work(rows[0])

    def find(self, path: str, root: str | None = None) -> Work | None:
        """The work at ``path`` in ``root`` (any root: the lowest id), or None."""
        sql, args = f"{schema.SELECT_WORKS} WHERE path = ?", (path,)
        if root is not None:
            sql, args = sql + " AND root = ?", (path, root)
        rows = self._query(sql + " ORDER BY id LIMIT 1", args)
        return schema.row_work(rows[0]) if rows else None

    def lookup(self, hashes: np.ndarray, channel: str, max_postings: int | None = None) -> Hits:
        """Every live posting of every query hash found: (query index, work id, start, end)."""
        query, channel = as_hashes(hashes), check_channel(channel)
        view = self._current_view()
        return merge_hits([hits_in(channels[channel], query, view.shard_of, shard_id, max_postings)
                           for shard_id, channels in view.shards if channel in channels])

    def document_frequency(self, hashes: np.ndarray, channel: str) -> np.ndarray:
        """For each query hash, the number of distinct works containing it."""
        qidx, work, _, _ = self.lookup(hashes, channel)
        return count_works(qidx, work, len(as_hashes(hashes)))

    def line_of(self, work_id: int, char_offset: int) -> int:
        """1-based line number of ``char_offset`` in the work; KeyError for an unknown work."""
        rows = self._query("SELECT starts FROM lines WHERE work = ?", (int(work_id),))
        if not rows:
            raise KeyError(work_id)
        return line_number(np.frombuffer(rows[0][0], dtype="<u4"), char_offset)

    def text_of(self, work_id: int) -> str | None:
        """The work's text, or None when it was stored without one (a catalog written before
        texts were kept has no ``texts`` table at all)."""
        try:
            rows = self._query("SELECT body FROM texts WHERE work = ?", (int(work_id),))
        except CatalogCorruptError:
            if self._query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'texts'")[0][0]:
                raise
            return None
        return unpack_text(rows[0][0]) if rows else None

    def work_count(self) -> int:
        return int(self._query("SELECT count(*) FROM works")[0][0])

    def stats(self) -> dict[str, Any]:
        """works, live and dead postings per channel, shards, bytes on disk, params, versions."""
        view = self._current_view()
        live: dict[str, int] = {}
        stored: dict[str, int] = {}
        for shard_id, channels in view.shards:
            for ch, cols in channels.items():
                live[ch] = live.get(ch, 0) + int(np.count_nonzero(view.shard_of[cols.work] == shard_id))
                stored[ch] = stored.get(ch, 0) + len(cols.hash)
        return {"backend": "sqlite", "path": str(self.path), "works": self._query("SELECT count(*) FROM works")[0][0],
                "postings": dict(sorted(live.items())), "dead_postings": sum(stored.values()) - sum(live.values()),
                "shards": len(view.shards), "bytes": self._bytes_on_disk(), "params": self.params.to_dict(),
                "format_version": CATALOG_FORMAT_VERSION, "schema_version": schema.SCHEMA_VERSION}

    def _bytes_on_disk(self) -> int:
        files = [self.path / name for name in OWN_NAMES if name != SHARDS_DIR]
        shard_bytes = self._query("SELECT coalesce(sum(bytes), 0) FROM shards")[0][0]
        return int(shard_bytes) + sum(f.stat().st_size for f in files if f.is_file())

    # --- snapshots -----------------------------------------------------------------------------

    def _current_view(self) -> _View:
        """The cached view, reloaded when another commit advanced the generation."""
        with self._mutex:
            generation = int(self._query("SELECT value FROM meta WHERE key = 'generation'")[0][0])
            if self._view is None or self._view.generation != generation:
                assert self._conn is not None
                self._view = self._load_view(self._conn)
            return self._view

    def _load_view(self, conn: sqlite3.Connection) -> _View:
        """Snapshot the database, then map its shards; retry when a compaction removed one."""
        missing: FileNotFoundError | None = None
        for _ in range(_SNAPSHOT_TRIES):
            generation, rows, shard_of = self._snapshot(conn)
            try:
                shards = tuple((shard_id, self._shard(name, postings)) for shard_id, name, postings in rows)
            except FileNotFoundError as err:
                missing = err
                continue
            with self._mutex:
                self._loaded = {name: self._loaded[name] for _, name, _ in rows}
            return _View(generation, shards, shard_of)
        raise CatalogCorruptError(f"shard file {missing.filename if missing else '?'} is missing", hint=_REBUILD)

    def _snapshot(self, conn: sqlite3.Connection) -> tuple[int, list[tuple[int, str, dict[str, int]]], np.ndarray]:
        """(generation, listed shards, live shard per work id) from one read transaction."""
        with self._mutex, _sql_errors(self._db):
            conn.execute("BEGIN")
            try:
                meta = schema.read_meta(conn, self._db)
                rows = conn.execute("SELECT id, name, postings FROM shards ORDER BY id").fetchall()
                live = conn.execute("SELECT id, shard FROM works WHERE shard IS NOT NULL").fetchall()
            finally:
                conn.execute("COMMIT")
        shard_of = np.full(meta["next_work_id"], -1, dtype=np.int64)
        if live:
            pairs = np.array(live, dtype=np.int64)
            shard_of[pairs[:, 0]] = pairs[:, 1]
        return meta["generation"], [(sid, name, self._postings(name, raw)) for sid, name, raw in rows], shard_of

    def _postings(self, name: str, raw: str) -> dict[str, int]:
        try:
            postings = json.loads(raw)
            return {check_channel(ch): int(n) for ch, n in postings.items()}
        except (ValueError, AttributeError, TypeError) as err:
            raise CatalogCorruptError(f"catalog database {self._db} lists shard {name} with damaged "
                                      f"posting counts", hint=_REBUILD) from err

    def _shard(self, name: str, postings: dict[str, int]) -> dict[str, Columns]:
        with self._mutex:
            if name not in self._loaded:
                self._loaded[name] = load_shard(self._shards_dir / name, postings)
            return self._loaded[name]

    # --- writing -----------------------------------------------------------------------------

    @contextmanager
    def writer(self, params: FingerprintParams | None = None) -> Iterator[PendingWriter]:
        """The single writer: lock, collect the block's changes, publish them at a normal exit."""
        check_params(self.params, params, str(self.path))
        lock = WriterLock(self.path / LOCK_NAME)
        lock.acquire()
        try:
            with closing(_connect(self._db, readonly=False)) as conn:
                pending = self._start_block(conn)
                try:
                    yield pending
                finally:
                    pending.close()
                self._finish_block(conn, pending.changes())
        finally:
            lock.release()

    def compact(self) -> None:
        """Merge all shards into one without dead postings (takes the writer lock)."""
        lock = WriterLock(self.path / LOCK_NAME)
        lock.acquire()
        try:
            with closing(_connect(self._db, readonly=False)) as conn:
                self._start_block(conn)
                with _sql_errors(self._db):
                    self._compact(conn)
        finally:
            lock.release()

    def _start_block(self, conn: sqlite3.Connection) -> PendingWriter:
        """Check versions and params again, drop leftover shards, hand out the writer."""
        with _sql_errors(self._db):
            meta = schema.read_meta(conn, self._db)
            schema.check_versions(meta, self._db)
            schema.check_params(meta, self.params, self._db)
            listed = [row[0] for row in conn.execute("SELECT name FROM shards")]
        self._shards_dir.mkdir(exist_ok=True)
        remove_unlisted(self._shards_dir, listed)
        return PendingWriter(partial(_existing, conn), meta["next_work_id"])

    def _finish_block(self, conn: sqlite3.Connection, changes: Changes) -> None:
        with _sql_errors(self._db):
            if changes:
                self._publish(conn, changes)
            if conn.execute("SELECT count(*) FROM shards").fetchone()[0] > self.max_shards:
                self._compact(conn)

    def _publish(self, conn: sqlite3.Connection, changes: Changes) -> None:
        """Write the block's shard, then commit it with the works rows: the publish point."""
        names = sorted({ch for pending in changes.adds for ch in pending.fingerprints})

        def columns(ch: str) -> Columns:
            return build_columns((p.work.id, p.fingerprints[ch]) for p in changes.adds if ch in p.fingerprints)

        # the channels sort at once, one thread each up to the CPUs (the sort releases the GIL)
        with ThreadPoolExecutor(max(1, min(len(names), os.cpu_count() or 1))) as pool:
            channels = dict(zip(names, pool.map(columns, names), strict=True))
        name = new_name() if channels else None
        nbytes = write_shard(self._shards_dir, name, channels) if name else 0
        with _transaction(conn):
            shard_id = _insert_shard(conn, name, channels, nbytes) if name else None
            conn.executemany("DELETE FROM works WHERE id = ?", [(i,) for i in sorted(changes.removed)])
            conn.executemany("DELETE FROM lines WHERE work = ?", [(i,) for i in sorted(changes.removed)])
            conn.executemany(schema.UPSERT_WORK, [schema.work_row(p.work, shard_id) for p in changes.adds])
            conn.executemany("INSERT OR REPLACE INTO lines (work, starts) VALUES (?, ?)",
                             [(p.work.id, p.line_starts.astype("<u4").tobytes()) for p in changes.adds])
            conn.execute(schema.TEXTS_DDL)  # a catalog from before texts were kept gets the table
            conn.executemany("DELETE FROM texts WHERE work = ?",
                             [(i,) for i in sorted(changes.removed)] + [(p.work.id,) for p in changes.adds if p.text is None])
            conn.executemany("INSERT OR REPLACE INTO texts (work, body) VALUES (?, ?)",
                             [(p.work.id, p.text) for p in changes.adds if p.text is not None])
            _bump(conn, changes.next_id)

    def _compact(self, conn: sqlite3.Connection) -> None:
        """Publish one shard with every live posting, then delete the shards it replaces."""
        view = self._load_view(conn)
        channels = live_columns(view.shards, view.shard_of)
        name = new_name() if channels else None
        nbytes = write_shard(self._shards_dir, name, channels) if name else 0
        with _transaction(conn):
            shard_id = _insert_shard(conn, name, channels, nbytes) if name else None
            conn.execute("UPDATE works SET shard = ? WHERE shard IS NOT NULL", (shard_id,))
            conn.execute("DELETE FROM shards WHERE id IS NOT ?", (shard_id,))
            _bump(conn)
        remove_unlisted(self._shards_dir, [name] if name else [])
