"""Datasets as rows: JSON Lines, CSV, Parquet and Hugging Face ``save_to_disk`` directories.

:func:`iter_rows` reads a dataset (one file, or a directory of shards of one format; see
:mod:`.dataset_files`) and yields one item per row, in order: a :class:`Row` holding the row's
:class:`~creditline.model.Document`, or a :class:`RowError` holding a
:class:`~creditline.model.SkippedRows` that says why the row could not be read. One bad row
never stops the stream and no row is dropped silently: every row that can be delimited (a JSON
Lines line, a CSV record, a Parquet or Arrow row) gives exactly one item; what cannot be
delimited (a damaged row group, a file or stream cut short) gives one ``RowError`` whose
``rows`` says how many rows it stands for (``None`` when nobody can tell).

Which columns hold what is a :class:`ColumnSpec`, found by :func:`detect_layout` from the
column names (:func:`dataset_columns`) or given by the caller. Known layouts:

- **The Stack** / StarCoder data (``max_stars_repo_name``): text ``content``, license
  ``max_stars_repo_licenses``, id ``hexsha``; the source URL is
  ``https://github.com/<repo>/blob/HEAD/<path>`` and the title the file's path in its repository.
- **GitHub code** (``repo_name`` and ``path``, as in The Stack v2 or github-code): text
  ``content`` or ``code``, license ``detected_licenses`` or ``license``, id ``blob_id``; URL and
  title built the same way.
- **Generic**: text ``text`` (else ``content``, ``code``, ``body``), and where present ``id``,
  ``license``, ``url`` (or ``source_url``, ``link``), ``author`` (or ``authors``, ``creator``)
  and ``title``. Column names match case-insensitively when auto-detected.

A license column holding a list (The Stack lists every license found in the repository) becomes
one expression joined with ``AND``: the files of that repository are offered under all of those
licenses at once, so reusing them must honour each; an element that is itself an ``OR``
expression is parenthesised. Other list values (authors) are joined with ``", "``.

Readers stream: Parquet one row group at a time, page by page, in record batches of at most
``batch_rows`` rows and about ``batch_bytes`` of data (so a batch of large files is a few rows),
Arrow IPC streams batch by batch (sliced the same way), text formats line by line; columns are
converted once per batch (``to_pylist``), so memory stays flat whatever the size of the dataset.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import pyarrow as pa

from creditline.errors import ConfigError
from creditline.ingest.dataset_files import (
    CsvHeader,
    CsvProblem,
    Lost,
    Shard,
    arrow_batches,
    csv_records,
    file_format,
    find_shards,
    is_dataset_dir,
    jsonl_lines,
    parquet_batches,
    shard_columns,
)
from creditline.ingest.decode import UndecodableError, binary_reason, decode, normalize_newlines
from creditline.ingest.walk import Limits
from creditline.model import Document, SkippedRows

__all__ = ["BatchRef", "ColumnSpec", "CsvRef", "Row", "RowError", "dataset_columns", "dataset_format",
           "detect_layout", "iter_rows", "output_suffix"]

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 2048
"""Rows converted to Python objects at a time (Parquet and Arrow)..."""
DEFAULT_BATCH_BYTES = 4 << 20
"""...or fewer, to keep a batch's data near this size."""

_DEFAULT_LIMITS = Limits()
_MISSING = object()

_TEXT_CANDIDATES = ("text", "content", "code", "body")
_CODE_TEXT = ("content", "code", "text")
_GENERIC = {
    "id": ("id", "hexsha", "blob_id", "doc_id"),
    "license": ("license", "licenses", "license_expression"),
    "url": ("url", "source_url", "link"),
    "author": ("author", "authors", "creator"),
    "title": ("title",),
}


@dataclass(frozen=True)
class ColumnSpec:
    """Which column holds what. Only ``text`` is required.

    ``repo`` (``owner/name`` on GitHub) and ``repo_path`` (the file's path in it) build the
    source URL and title when ``url`` and ``title`` are not given (or null in a row).
    ``layout`` names the layout detected (``the-stack``, ``github-code``, ``generic``), ``custom``
    for a spec built by hand, or ``unknown`` when no column could be read.
    """

    text: str
    id: str | None = None
    license: str | None = None
    url: str | None = None
    author: str | None = None
    title: str | None = None
    repo: str | None = None
    repo_path: str | None = None
    layout: str = "custom"

    def columns(self) -> list[str]:
        """The column names used, text first, without duplicates."""
        names = (self.text, self.license, self.url, self.author, self.title, self.id, self.repo, self.repo_path)
        return list(dict.fromkeys(n for n in names if n))


class BatchRef(NamedTuple):
    """Where a Parquet or Arrow row lives: its record batch, its index in it, and whether the
    batch has every column of the file (``iter_rows(..., full_rows=True)``)."""

    batch: pa.RecordBatch
    index: int
    full: bool


class CsvRef(NamedTuple):
    """A CSV row as read: the shard's header and the row's fields."""

    header: tuple[str, ...]
    record: list[str]


RowRef = bytes | CsvRef | BatchRef
"""What a writer needs to copy a row: the raw line (JSON Lines), a :class:`CsvRef` or a :class:`BatchRef`."""


@dataclass(frozen=True, slots=True)
class Row:
    """A row that became a Document.

    ``row`` is its 0-based number in the whole dataset (across shards). ``document.path`` is
    ``<file>#<row in that file>`` (``<file>`` is the file name for a file, the path relative to
    the directory for a shard), ``document.root`` the dataset path as given, ``document.declared``
    the row's metadata under ``license``, ``source`` (URL), ``author``, ``title`` and ``id``.
    ``ref`` is for :class:`~creditline.ingest.dataset_writer.DatasetWriter` (None when read with
    ``iter_rows(..., refs=False)``); it may hold the whole record batch, so hand ``document``
    (not the Row) to other processes.
    """

    document: Document
    row: int
    ref: RowRef | None = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class RowError:
    """A row (or, for damaged data, a run of rows) that could not become a Document.

    ``skipped`` says which and why (codes in :data:`creditline.model.ROW_SKIP_CODES`);
    ``ref`` is set when the row itself could be delimited, so a writer can still copy it, and
    ``None`` for lost data.
    """

    skipped: SkippedRows
    ref: RowRef | None = field(default=None, repr=False, compare=False)

    @property
    def row(self) -> int | None:
        return self.skipped.row

    @property
    def rows(self) -> int | None:
        return self.skipped.rows


# --- formats and columns ----------------------------------------------------------------------


def dataset_format(path: str | Path) -> str | None:
    """``jsonl``, ``csv``, ``parquet`` or ``arrow`` when ``path`` is a dataset file or a directory of
    such shards (Hugging Face ``save_to_disk`` directories are ``arrow``); None otherwise (a plain
    file, a tree of plain files, a path that does not exist). Reads no data."""
    p = Path(path)
    if p.is_file():
        found = file_format(p.name)
        return found[0] if found else None
    if p.is_dir() and is_dataset_dir(p):
        return find_shards(str(p))[0].fmt
    return None


def output_suffix(path: str | Path) -> str:
    """The file suffix :class:`DatasetWriter` writes for the dataset at ``path``: ``.jsonl``,
    ``.jsonl.gz``, ``.csv`` or ``.parquet`` (Parquet and Arrow inputs both give Parquet)."""
    shards = find_shards(str(path))
    first = shards[0]
    if first.fmt == "jsonl":
        return ".jsonl.gz" if first.gzip else ".jsonl"
    return ".csv" if first.fmt == "csv" else ".parquet"


def dataset_columns(path: str | Path) -> list[str]:
    """The column names of the dataset at ``path``, in order: the schema (Parquet, Arrow), the
    header (CSV) or the keys of the first 1000 objects (JSON Lines) of the first shard that can
    be read; empty when none can. Raises :class:`InputError` when ``path`` is not a dataset."""
    for shard in find_shards(str(path)):
        names = shard_columns(shard)
        if names:
            return names
    return []


def detect_layout(
    available: Sequence[str], *, text_column: str | None = None, id_column: str | None = None,
    license_column: str | None = None, url_column: str | None = None, author_column: str | None = None,
    title_column: str | None = None,
) -> ColumnSpec:
    """The :class:`ColumnSpec` for a dataset with columns ``available``.

    Columns named by the caller win and must exist; the others are auto-detected (see the
    module docstring). Raises one :class:`ConfigError` listing every named column that does not
    exist, or saying that no text column was found, with the available columns.
    """
    given = {"text": text_column, "id": id_column, "license": license_column, "url": url_column,
             "author": author_column, "title": title_column}
    names = list(available)
    missing = [f"{key} column {col!r}" for key, col in given.items() if col is not None and col not in names]
    if missing:
        raise ConfigError(f"no such column: {', '.join(missing)}; the dataset has: {_listing(names)}",
                          hint="name one of the dataset's columns")
    layout, found = _auto(names)
    found.update({k: v for k, v in given.items() if v is not None})
    if not found.get("text"):
        raise ConfigError(f"no text column found; the dataset has: {_listing(names)}",
                          hint="name the column holding the text with --text-column")
    return ColumnSpec(layout=layout, **found)


def _listing(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "(no columns)"


def _auto(names: list[str]) -> tuple[str, dict[str, Any]]:
    """``(layout, {field: column})`` from the column names alone."""
    lower = {n.lower(): n for n in reversed(names)}

    def first(*candidates: str) -> str | None:
        return next((lower[c] for c in candidates if c in lower), None)

    if "max_stars_repo_name" in lower:
        return "the-stack", {
            "text": first("content", *_TEXT_CANDIDATES), "license": first("max_stars_repo_licenses"),
            "id": first("hexsha", "id"), "repo": lower["max_stars_repo_name"],
            "repo_path": first("max_stars_repo_path"),
        }
    if "repo_name" in lower and "path" in lower:
        return "github-code", {
            "text": first(*_CODE_TEXT, "body"), "license": first("detected_licenses", "license", "licenses"),
            "id": first("blob_id", "hexsha", "id"), "repo": lower["repo_name"], "repo_path": lower["path"],
            "url": first(*_GENERIC["url"]), "author": first(*_GENERIC["author"]),
        }
    found = {key: first(*cands) for key, cands in _GENERIC.items()}
    found["text"] = first(*_TEXT_CANDIDATES)
    return "generic", {k: v for k, v in found.items() if v}


def _check_spec(spec: ColumnSpec, available: list[str]) -> None:
    if not available:
        return  # nothing readable: every row will be reported as lost
    missing = [c for c in spec.columns() if c not in available]
    if missing:
        raise ConfigError(f"no such column: {', '.join(map(repr, missing))}; the dataset has: {_listing(available)}",
                          hint="name one of the dataset's columns")


# --- rows -------------------------------------------------------------------------------------


def iter_rows(
    path: str | Path, columns: ColumnSpec | None = None, *, batch_rows: int = DEFAULT_BATCH_ROWS,
    batch_bytes: int | None = DEFAULT_BATCH_BYTES, full_rows: bool = False, refs: bool = True,
    limits: Limits = _DEFAULT_LIMITS,
) -> Iterator[Row | RowError]:
    """Every row of the dataset at ``path``, in order, as :class:`Row` or :class:`RowError`.

    ``columns`` defaults to :func:`detect_layout` of :func:`dataset_columns`. Parquet reads only
    the columns used unless ``full_rows`` is set, which a
    :class:`~creditline.ingest.dataset_writer.DatasetWriter` copying the rows needs; ``refs=False``
    leaves ``Row.ref`` None, so that rows waiting to be scanned do not keep their record batch
    (or raw line) alive beside their text. Texts over
    ``limits.size_limit`` bytes are cut there (``Document.truncated``; ``size`` and ``sha1`` are of
    the whole text). Checked at call time, before anything is yielded:
    :class:`~creditline.errors.InputError` when ``path`` is not a dataset,
    :class:`~creditline.errors.ConfigError` when a column is missing or no text column is found.
    """
    if batch_rows < 1 or (batch_bytes is not None and batch_bytes < 1):
        raise ValueError("batch_rows and batch_bytes must be at least 1")
    shards = find_shards(str(path))
    available = next((names for s in shards if (names := shard_columns(s))), [])
    if columns is not None:
        spec = columns
        _check_spec(spec, available)
    elif available:
        spec = detect_layout(available)
    else:  # nothing readable to detect from: every row will be reported
        spec = ColumnSpec("text", layout="unknown")
    maker = _RowMaker(spec, str(path), limits.size_limit, refs)
    return _iter_shards(shards, maker, batch_rows, batch_bytes, full_rows)


def _iter_shards(shards: list[Shard], maker: _RowMaker, batch_rows: int, batch_bytes: int | None,
                 full_rows: bool) -> Iterator[Row | RowError]:
    for shard in shards:
        maker.start(shard)
        try:
            if shard.fmt == "jsonl":
                yield from _jsonl_rows(shard, maker)
            elif shard.fmt == "csv":
                yield from _csv_rows(shard, maker)
            else:
                cols = None if full_rows else maker.spec.columns()
                batches = (parquet_batches(shard, cols, batch_rows, batch_bytes) if shard.fmt == "parquet"
                           else arrow_batches(shard, batch_rows, batch_bytes))
                yield from _batch_rows(batches, maker, full_rows or shard.fmt == "arrow")
        except OSError as err:
            yield maker.lost(Lost(None, f"cannot read: {err.strerror or err}", "unreadable"))
        except Exception as err:  # noqa: BLE001 - one bad shard must never abort the run
            log.warning("unexpected error reading %s", shard.path, exc_info=True)
            yield maker.lost(Lost(None, f"internal error: {type(err).__name__}: {err}", "unreadable"))


class _RowMaker:
    """Turns column values into Rows and RowErrors, counting rows per file and overall."""

    def __init__(self, spec: ColumnSpec, root: str, size_limit: int, refs: bool = True) -> None:
        self.spec = spec
        self.refs = refs
        self.root = root
        self.size_limit = size_limit
        self.rel = ""
        self.local = 0
        self.row = 0
        self.text_source = False

    def start(self, shard: Shard) -> None:
        self.rel = shard.rel
        self.local = 0
        self.text_source = shard.fmt in ("jsonl", "csv")  # Arrow strings are always valid UTF-8

    def _next(self) -> tuple[str, int]:
        where, row = f"{self.rel}#{self.local}", self.row
        self.local += 1
        self.row += 1
        return where, row

    def error(self, code: str, detail: str, ref: RowRef | None) -> RowError:
        where, row = self._next()
        return RowError(SkippedRows(where, code, detail, self.root, row, 1), ref if self.refs else None)

    def lost(self, lost: Lost) -> RowError:
        where, row = f"{self.rel}#{self.local}", self.row
        if lost.rows:
            self.local += lost.rows
            self.row += lost.rows
        return RowError(SkippedRows(where, lost.code, lost.detail, self.root, row, lost.rows), None)

    def make(self, text: Any, license: Any, url: Any, author: Any, title: Any, ident: Any, repo: Any,
             repo_path: Any, ref: RowRef) -> Row | RowError:
        """One row from its values (``_MISSING`` for an absent key)."""
        if isinstance(text, str):
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError as err:
                return self.error("undecodable", _surrogate_detail(self.spec.text, text, err), ref)
            decoded, encoding = text, "utf-8"
        elif isinstance(text, bytes):
            data = text
            reason = binary_reason(data)
            if reason is not None:
                return self.error("binary", f"column {self.spec.text!r}: {reason}", ref)
            try:
                decoded, encoding = decode(data)
            except UndecodableError as err:
                return self.error("undecodable", f"column {self.spec.text!r}: {err}", ref)
        elif text is None or text is _MISSING:
            what = "absent" if text is _MISSING else "null"
            return self.error("missing_text", f"text column {self.spec.text!r} is {what}", ref)
        else:
            return self.error("bad_type", f"text column {self.spec.text!r} holds {type(text).__name__}, not text",
                              ref)
        declared = _declared(license, url, author, title, ident, repo, repo_path)
        if self.text_source:
            declared = _valid_utf8(declared)
        where, row = self._next()
        truncated = len(data) > self.size_limit
        if truncated:
            decoded = data[: self.size_limit].decode("utf-8", "ignore") if encoding == "utf-8" else decoded[
                : self.size_limit]
        sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        doc = Document(where, normalize_newlines(decoded), self.root, len(data), sha1, encoding, truncated, declared)
        return Row(doc, row, ref if self.refs else None)


def _surrogate_detail(column: str, text: str, err: UnicodeEncodeError) -> str:
    char = text[err.start]
    if "\udc80" <= char <= "\udcff":  # a byte kept by surrogateescape (CSV)
        return f"column {column!r}: invalid UTF-8 byte 0x{ord(char) - 0xDC00:02x} at character {err.start}"
    return f"column {column!r}: lone surrogate U+{ord(char):04X} at character {err.start}"


def _meta(value: Any, joiner: str = ", ") -> str | None:
    """A metadata value as one string, or None when empty."""
    if type(value) is str:
        return value.strip() or None
    if value is None or value is _MISSING:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (list, tuple)):
        parts = list(dict.fromkeys(p for p in (_meta(v, joiner) for v in value) if p))
        if joiner == " AND " and len(parts) > 1:
            parts = [f"({p})" if " or " in p.lower() else p for p in parts]
        return joiner.join(parts) or None
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")


def _quote(text: str) -> str:
    return text if _URL_SAFE.fullmatch(text) else quote(text, errors="replace")


def _declared(license: Any, url: Any, author: Any, title: Any, ident: Any, repo: Any,
              repo_path: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (("license", _meta(license, " AND ")), ("source", _meta(url)), ("author", _meta(author)),
                       ("title", _meta(title)), ("id", _meta(ident))):
        if value:
            out[key] = value
    repo_name, rel = _meta(repo), _meta(repo_path)
    if repo_name and "source" not in out:
        out["source"] = f"https://github.com/{_quote(repo_name)}" + (f"/blob/HEAD/{_quote(rel)}" if rel else "")
    if rel and "title" not in out:
        out["title"] = rel
    return out


def _valid_utf8(declared: dict[str, str]) -> dict[str, str]:
    """``declared`` with lone surrogates (JSON escapes, CSV bytes that are not UTF-8) replaced."""
    for key, value in declared.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            declared[key] = value.encode("utf-8", "replace").decode("utf-8")
    return declared


def _fields(spec: ColumnSpec) -> tuple[str | None, ...]:
    """The columns behind :meth:`_RowMaker.make`'s arguments, in its order."""
    return (spec.text, spec.license, spec.url, spec.author, spec.title, spec.id, spec.repo, spec.repo_path)


def _jsonl_rows(shard: Shard, maker: _RowMaker) -> Iterator[Row | RowError]:
    names = _fields(maker.spec)
    for item in jsonl_lines(shard):
        if isinstance(item, Lost):
            yield maker.lost(item)
            return
        raw, offset = item
        try:
            line = raw.decode("utf-8-sig" if offset == 0 else "utf-8")
        except UnicodeDecodeError as err:
            yield maker.error("undecodable", f"invalid UTF-8 at byte {offset + err.start} "
                              f"(byte {err.start} of the line): {err.reason}", raw)
            continue
        try:
            obj = json.loads(line)
        except ValueError as err:
            yield maker.error("bad_json", f"byte {offset}: {err}", raw)
            continue
        if not isinstance(obj, dict):
            yield maker.error("bad_json", f"byte {offset}: a JSON {type(obj).__name__}, not an object", raw)
            continue
        yield maker.make(*(obj.get(n, _MISSING) if n else None for n in names), ref=raw)


def _csv_rows(shard: Shard, maker: _RowMaker) -> Iterator[Row | RowError]:
    header: tuple[str, ...] = ()
    index: list[int | None] = []
    for item in csv_records(shard):
        if isinstance(item, CsvHeader):
            header = item.names
            index = [header.index(n) if n and n in header else None for n in _fields(maker.spec)]
        elif isinstance(item, Lost):
            yield maker.lost(item)
            return
        elif isinstance(item, CsvProblem):
            ref = CsvRef(header, item.record) if item.record is not None else None
            yield maker.error(item.code, item.detail, ref)
        else:
            record, _line = item
            values = [record[i] if i is not None else _MISSING for i in index]
            values[1:] = [None if v == "" else v for v in values[1:]]
            yield maker.make(*values, ref=CsvRef(header, record))


def _batch_rows(batches: Iterator[pa.RecordBatch | Lost], maker: _RowMaker, full: bool) -> Iterator[Row | RowError]:
    names = _fields(maker.spec)
    for batch in batches:
        if isinstance(batch, Lost):
            yield maker.lost(batch)
            continue
        present = set(batch.schema.names)
        n = batch.num_rows
        columns = [batch.column(name).to_pylist() if name in present
                   else itertools.repeat(_MISSING if name else None, n) for name in names]
        for i, values in enumerate(zip(*columns)):
            yield maker.make(*values, ref=BatchRef(batch, i, full))
