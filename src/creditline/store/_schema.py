"""SQLite schema of ``catalog.sqlite`` and the conversions between its rows and :class:`Work`.

Tables (``schema_version`` 1)::

    meta   (key TEXT PRIMARY KEY, value TEXT)   schema_version, format_version, fingerprint_version,
                                                k, window, hash_seed, next_work_id, generation
    shards (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, postings TEXT, bytes INTEGER)
           postings: JSON {channel: number of postings stored}; name: directory under shards/
    works  (id INTEGER PRIMARY KEY, root, path, sha1, size, license, declared_license,
            license_agrees (NULL/0/1), copyrights JSON, holders JSON, title, author, source_url,
            kind, language, tokens, shard)  UNIQUE (root, path)
           shard: id of the shard holding this work's postings (NULL: none)
    lines  (work INTEGER PRIMARY KEY, starts BLOB)  char offsets where lines start, uint32 LE
    texts  (work INTEGER PRIMARY KEY, body BLOB)    the work's text, Zstandard-compressed UTF-8 (zlib before)
           (``base.pack_text``); optional: a catalog written before texts were kept has no
           such table until its next write, and works without a row have no text

``generation`` grows by one with every published change, so readers can tell cheaply whether
their cached view is current. ``next_work_id`` makes ids never reused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from creditline.errors import CatalogCorruptError, CatalogVersionError
from creditline.model import CATALOG_FORMAT_VERSION, Work
from creditline.store.base import FingerprintParams
from creditline.store.base import check_params as check_params_equal

SCHEMA_VERSION = 1
PARAM_KEYS = ("fingerprint_version", "k", "window", "hash_seed")
_REBUILD = "rebuild it with `creditline index` into a new directory"

DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE shards (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
    postings TEXT NOT NULL, bytes INTEGER NOT NULL);
CREATE TABLE works (
    id INTEGER PRIMARY KEY, root TEXT NOT NULL, path TEXT NOT NULL, sha1 TEXT NOT NULL,
    size INTEGER NOT NULL, license TEXT, declared_license TEXT, license_agrees INTEGER,
    copyrights TEXT NOT NULL, holders TEXT NOT NULL, title TEXT, author TEXT, source_url TEXT,
    kind TEXT NOT NULL, language TEXT, tokens INTEGER NOT NULL, shard INTEGER REFERENCES shards(id),
    UNIQUE (root, path));
CREATE INDEX works_path ON works (path);
CREATE INDEX works_shard ON works (shard);
CREATE TABLE lines (work INTEGER PRIMARY KEY, starts BLOB NOT NULL);
CREATE TABLE texts (work INTEGER PRIMARY KEY, body BLOB NOT NULL);
"""
TEXTS_DDL = "CREATE TABLE IF NOT EXISTS texts (work INTEGER PRIMARY KEY, body BLOB NOT NULL)"

WORK_COLUMNS = ("id", "root", "path", "sha1", "size", "license", "declared_license", "license_agrees",
                "copyrights", "holders", "title", "author", "source_url", "kind", "language", "tokens")
SELECT_WORKS = f"SELECT {', '.join(WORK_COLUMNS)} FROM works"
UPSERT_WORK = (f"INSERT OR REPLACE INTO works ({', '.join(WORK_COLUMNS)}, shard) "
               f"VALUES ({', '.join('?' * (len(WORK_COLUMNS) + 1))})")


def create_schema(conn: sqlite3.Connection, params: FingerprintParams) -> None:
    """Create every table and the meta rows in one transaction (all or nothing)."""
    meta = {"schema_version": SCHEMA_VERSION, "format_version": CATALOG_FORMAT_VERSION,
            **params.to_dict(), "next_work_id": 1, "generation": 0}
    conn.execute("BEGIN IMMEDIATE")
    for statement in DDL.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    conn.execute("COMMIT")


def has_schema(conn: sqlite3.Connection) -> bool:
    """Whether the database holds any table at all (False: a fresh or half-created file)."""
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def read_meta(conn: sqlite3.Connection, db: Path) -> dict[str, int]:
    """The meta table as integers; CatalogCorruptError when a row is missing or not a number."""
    rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    needed = ("schema_version", "format_version", *PARAM_KEYS, "next_work_id", "generation")
    try:
        return {key: int(rows[key]) for key in needed}
    except (KeyError, ValueError) as err:
        raise CatalogCorruptError(f"catalog database {db} has a damaged meta table ({err})",
                                  hint=_REBUILD) from err


def check_versions(meta: dict[str, int], db: Path) -> None:
    """Refuse a catalog written by another schema or shard format version."""
    for key, ours in (("schema_version", SCHEMA_VERSION), ("format_version", CATALOG_FORMAT_VERSION)):
        if meta[key] != ours:
            raise CatalogVersionError(
                f"catalog {db.parent} has {key} {meta[key]}; this creditline reads {key} {ours}",
                hint=f"use the creditline version that wrote it, or {_REBUILD}")


def check_params(meta: dict[str, int], wanted: FingerprintParams | None, db: Path) -> FingerprintParams:
    """The catalog's params; CatalogVersionError when ``wanted`` differs from them."""
    try:
        stored = FingerprintParams(**{key: meta[key] for key in PARAM_KEYS})
    except ValueError as err:
        raise CatalogCorruptError(f"catalog database {db} records invalid params: {err}", hint=_REBUILD) from err
    check_params_equal(stored, wanted, str(db.parent))
    return stored


def work_row(work: Work, shard: int | None) -> tuple[Any, ...]:
    """The ``works`` row of ``work`` (``UPSERT_WORK`` parameters)."""
    agrees = None if work.license_agrees is None else int(work.license_agrees)
    return (work.id, work.root, work.path, work.sha1, work.size, work.license, work.declared_license,
            agrees, json.dumps(list(work.copyrights)), json.dumps(list(work.holders)), work.title,
            work.author, work.source_url, work.kind, work.language, work.tokens, shard)


def row_work(row: Sequence[Any]) -> Work:
    """The :class:`Work` of a ``SELECT_WORKS`` row."""
    values = dict(zip(WORK_COLUMNS, row))
    agrees = values["license_agrees"]
    values["license_agrees"] = None if agrees is None else bool(agrees)
    values["copyrights"] = tuple(json.loads(values["copyrights"]))
    values["holders"] = tuple(json.loads(values["holders"]))
    return Work(**values)
