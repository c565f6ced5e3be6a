"""The files of a dataset and their low-level readers (used by :mod:`.datasets`).

A dataset is one file or a directory of *shards* of one format:

=========  ===========================================  =====================================
format     files                                        read as
=========  ===========================================  =====================================
``jsonl``  ``.jsonl``, ``.ndjson`` (``.gz`` too)        binary lines, one JSON object each
``csv``    ``.csv``                                     records after a header record (UTF-8)
``parquet``  ``.parquet``, ``.pq``                      record batches, one row group at a time
``arrow``  ``.arrow`` (Arrow IPC stream, or file)       record batches, one at a time
=========  ===========================================  =====================================

A Hugging Face ``datasets`` directory written by ``save_to_disk`` is a directory of ``arrow``
shards: ``state.json`` lists them in order (``_data_files``) and ``dataset_info.json`` may give
the row count of the split. A ``DatasetDict`` has one such directory per split, read in the
order of its ``dataset_dict.json``; other directories are read in sorted order.

Each reader yields its units (lines, records, batches) and, when the rest of a shard cannot be
read, one :class:`Lost` saying how many rows were lost (``None`` when nobody can tell) and where.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from creditline.errors import InputError

FORMATS = ("jsonl", "csv", "parquet", "arrow")

_SUFFIXES = (
    (".jsonl.gz", "jsonl", True), (".ndjson.gz", "jsonl", True),
    (".jsonl", "jsonl", False), (".ndjson", "jsonl", False),
    (".csv", "csv", False), (".parquet", "parquet", False), (".pq", "parquet", False),
    (".arrow", "arrow", False),
)
# Files a dataset directory may hold besides its shards (Hugging Face metadata, docs).
_HF_MARKERS = ("dataset_info.json", "dataset_infos.json", "state.json", "dataset_dict.json")
_ALLOWED_EXTRA = ("readme", "license", "licence", "copying", "notice")
_ALLOWED_EXTRA_SUFFIXES = (".md",)
_COLUMN_SAMPLE_LINES = 1000


@dataclass(frozen=True)
class Shard:
    """One file of a dataset: ``path`` to open, ``rel`` as reported (the file name for a file
    root, the POSIX path relative to a directory root), its format, whether it is gzipped, and
    the rows it should hold when metadata says so (only used to count rows lost to damage)."""

    path: str
    rel: str
    fmt: str
    gzip: bool = False
    expected_rows: int | None = None


class Lost(NamedTuple):
    """The rest of a shard could not be read: ``rows`` lost (``None`` when unknown)."""

    rows: int | None
    detail: str
    code: str = "corrupt_data"


class CsvHeader(NamedTuple):
    """The header record of a CSV shard."""

    names: tuple[str, ...]


class CsvProblem(NamedTuple):
    """A CSV record that the csv module rejected (``record`` is None) or that is ragged."""

    code: str
    detail: str
    record: list[str] | None


def describe_error(err: BaseException) -> str:
    """An exception's message on one line (pyarrow's span several)."""
    return " ".join(str(err).split()) or type(err).__name__


def file_format(name: str) -> tuple[str, bool] | None:
    """``(format, gzipped)`` from a file name's suffix, or None for a non-dataset file."""
    lower = name.lower()
    for suffix, fmt, gz in _SUFFIXES:
        if lower.endswith(suffix):
            return fmt, gz
    return None


def find_shards(root: str) -> list[Shard]:
    """The shards of the dataset at ``root``, in reading order.

    Raises :class:`InputError` when ``root`` does not exist, is not a dataset file, or is a
    directory whose files are not all dataset shards of one format (README, LICENSE, ``*.md``,
    hidden files and the Hugging Face ``*.json`` metadata files are allowed next to them).
    """
    path = Path(root)
    if not path.exists():
        raise InputError(f"dataset does not exist: {root!r}", hint="check the path given")
    if path.is_file():
        found = file_format(path.name)
        if found is None:
            raise InputError(f"not a dataset file: {root!r}",
                             hint="expected .jsonl, .jsonl.gz, .csv, .parquet, .arrow or a directory of them")
        return [Shard(str(path), path.name, found[0], found[1])]
    shards, others = _scan_dir(path)
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise InputError(f"{root!r} is not a dataset directory: it holds other files ({shown})",
                         hint="give the dataset files themselves, or read the tree as plain files")
    if not shards:
        raise InputError(f"no dataset files under {root!r}",
                         hint="expected .jsonl, .jsonl.gz, .csv, .parquet or .arrow files")
    kinds = sorted({s.fmt for s in shards})
    if len(kinds) > 1:
        raise InputError(f"{root!r} mixes dataset formats ({', '.join(kinds)})",
                         hint="give each format's files separately")
    return shards


def is_dataset_dir(path: Path) -> bool:
    """Whether a directory is a dataset: shards of one format and nothing but metadata besides.
    Stops at the first other file, so a large tree of plain files is not walked to its end."""
    kinds: set[str] = set()
    for _here, _rel, names in _walk(path):
        for name in names:
            found = file_format(name)
            if found is not None:
                kinds.add(found[0])
            elif not _is_extra(name):
                return False
    return len(kinds) == 1


def _walk(root: Path) -> Iterator[tuple[Path, str, list[str]]]:
    """``(directory, its POSIX path relative to root with a trailing slash, its file names)``,
    sorted, hidden names left out; Hugging Face ``DatasetDict`` splits in ``dataset_dict.json`` order."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = _split_order(here, sorted(d for d in dirnames if not d.startswith(".")))
        rel_dir = here.relative_to(root).as_posix()
        yield here, "" if rel_dir == "." else rel_dir + "/", sorted(f for f in filenames if not f.startswith("."))


def _split_order(here: Path, dirnames: list[str]) -> list[str]:
    info = _read_json(here / "dataset_dict.json") if (here / "dataset_dict.json").is_file() else None
    splits = info.get("splits") if isinstance(info, dict) else None
    if not isinstance(splits, list):
        return dirnames
    listed = [s for s in splits if isinstance(s, str) and s in dirnames]
    return listed + [d for d in dirnames if d not in listed]


def _scan_dir(root: Path) -> tuple[list[Shard], list[str]]:
    """Every shard under ``root`` (``state.json`` order for Hugging Face dirs) and the relative
    paths of files that are neither shards nor allowed metadata."""
    shards: list[Shard] = []
    others: list[str] = []
    for here, rel_dir, filenames in _walk(root):
        names = _hf_order(here, filenames)
        expected = _hf_expected_rows(here) if sum(1 for n in names if file_format(n)) == 1 else None
        for name in names:
            found = file_format(name)
            if found is not None:
                shards.append(Shard(str(here / name), rel_dir + name, found[0], found[1], expected))
            elif not _is_extra(name):
                others.append(rel_dir + name)
    return shards, others


def _is_extra(name: str) -> bool:
    lower = name.lower()
    return lower in _HF_MARKERS or lower.startswith(_ALLOWED_EXTRA) or lower.endswith(_ALLOWED_EXTRA_SUFFIXES)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _hf_order(here: Path, names: list[str]) -> list[str]:
    """``names`` with the arrow files listed in ``state.json`` first, in its order."""
    state = _read_json(here / "state.json") if "state.json" in names else None
    files = state.get("_data_files") if isinstance(state, dict) else None
    if not isinstance(files, list):
        return names
    listed = [f["filename"] for f in files if isinstance(f, dict) and f.get("filename") in names]
    return listed + [n for n in names if n not in listed]


def _hf_expected_rows(here: Path) -> int | None:
    """The split's row count from ``dataset_info.json`` (with ``state.json`` naming the split)."""
    info = _read_json(here / "dataset_info.json")
    splits = info.get("splits") if isinstance(info, dict) else None
    if not isinstance(splits, dict) or not splits:
        return None
    state = _read_json(here / "state.json")
    name = state.get("_split") if isinstance(state, dict) else None
    split = splits.get(name) if name else (next(iter(splits.values())) if len(splits) == 1 else None)
    count = split.get("num_examples") if isinstance(split, dict) else None
    return count if isinstance(count, int) and count >= 0 else None


# --- columns ----------------------------------------------------------------------------------


def shard_columns(shard: Shard) -> list[str]:
    """The column names of one shard: the schema (Parquet, Arrow), the header (CSV), or the keys
    of the first objects (JSON Lines). An unreadable shard has none."""
    try:
        if shard.fmt == "parquet":
            return list(pq.read_schema(shard.path).names)
        if shard.fmt == "arrow":
            with pa.OSFile(shard.path) as fh:
                return list(_open_arrow(fh).schema.names)
        if shard.fmt == "csv":
            return next((list(e.names) for e in csv_records(shard) if isinstance(e, CsvHeader)), [])
        return _jsonl_keys(shard)
    except (OSError, EOFError, ValueError, pa.ArrowException):
        return []


def _jsonl_keys(shard: Shard) -> list[str]:
    keys: dict[str, None] = {}
    seen = 0
    for item in jsonl_lines(shard):
        if isinstance(item, Lost) or seen >= _COLUMN_SAMPLE_LINES:
            break
        seen += 1
        try:
            value = json.loads(item[0])
        except ValueError:
            continue
        if isinstance(value, dict):
            keys.update(dict.fromkeys(value))
    return list(keys)


# --- readers ----------------------------------------------------------------------------------


def jsonl_lines(shard: Shard) -> Iterator[tuple[bytes, int] | Lost]:
    """``(raw line, byte offset)`` for every non-blank line (blank lines are not rows), then a
    :class:`Lost` if the file cannot be read to its end (a gzip stream cut short or damaged)."""
    offset = 0
    with (gzip.open(shard.path, "rb") if shard.gzip else open(shard.path, "rb")) as fh:
        try:
            for raw in fh:
                if raw and not raw.isspace():
                    yield raw, offset
                offset += len(raw)
        except (OSError, EOFError, zlib.error) as err:
            where = "uncompressed byte" if shard.gzip else "byte"
            yield Lost(None, f"cannot read past {where} {offset}: {describe_error(err)}")


def _raise_field_limit() -> None:
    """Code files in one CSV field easily pass the csv module's 128 KiB default."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(max(csv.field_size_limit(), limit))
            return
        except OverflowError:
            limit //= 2


def csv_records(shard: Shard) -> Iterator[CsvHeader | tuple[list[str], int] | CsvProblem | Lost]:
    """The :class:`CsvHeader`, then ``(record, line number)`` per record, :class:`CsvProblem` per
    unparsable or ragged record, and a :class:`Lost` if the file cannot be read to its end.

    Bytes that are not UTF-8 are kept as lone surrogates (``surrogateescape``), so they can be
    reported per record and written back unchanged. Blank lines are not records.
    """
    _raise_field_limit()
    with open(shard.path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(text)
        header: CsvHeader | None = None
        last_error = -1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                if reader.line_num == last_error:  # no progress: give up on the rest
                    yield Lost(None, f"CSV unreadable from line {reader.line_num}: {describe_error(err)}")
                    return
                last_error = reader.line_num
                yield CsvProblem("bad_record", f"line {reader.line_num}: {describe_error(err)}", None)
                continue
            except OSError as err:
                yield Lost(None, f"cannot read past line {reader.line_num}: {describe_error(err)}")
                return
            if not record:
                continue
            if header is None:
                header = CsvHeader(tuple(record))
                yield header
            elif len(record) != len(header.names):
                yield CsvProblem("ragged_row", f"line {reader.line_num}: {len(record)} fields, the header has "
                                 f"{len(header.names)}", record)
            else:
                yield record, reader.line_num


def rows_per_batch(batch_rows: int, batch_bytes: int | None, data_bytes: int, rows: int) -> int:
    """How many rows to convert at a time: ``batch_rows`` at most, and fewer when rows average
    ``data_bytes / rows`` bytes, so that a batch holds about ``batch_bytes`` (None: no byte bound)."""
    if batch_bytes is None or rows <= 0 or data_bytes <= 0:
        return batch_rows
    return max(1, min(batch_rows, batch_bytes * rows // data_bytes))


def parquet_batches(shard: Shard, columns: list[str] | None, batch_rows: int,
                    batch_bytes: int | None = None) -> Iterator[pa.RecordBatch | Lost]:
    """Record batches of at most ``batch_rows`` rows, and of about ``batch_bytes`` of column data
    at most (from each row group's sizes in the footer), read one row group at a time, page by
    page, so that memory holds a few pages and one batch, not a row group. A row group that fails
    gives one :class:`Lost` for its unread rows and reading goes on with the next; a file whose
    footer is gone (cut short) gives one :class:`Lost` with an unknown row count."""
    try:
        pf = pq.ParquetFile(shard.path, pre_buffer=False, buffer_size=1 << 20)
    except (OSError, pa.ArrowException) as err:
        size = _size(shard.path)
        yield Lost(None, f"cannot read the Parquet footer ({size} bytes; file cut short or not Parquet): "
                   f"{describe_error(err)}")
        return
    pool = pa.default_memory_pool()
    with pf:
        meta = pf.metadata
        names = set(pf.schema_arrow.names)
        cols = None if columns is None else [c for c in columns if c in names] or None
        for group in range(meta.num_row_groups):
            total = meta.row_group(group).num_rows
            size = rows_per_batch(batch_rows, batch_bytes, _group_bytes(meta.row_group(group), cols), total)
            done = 0
            try:
                # one thread: decoding a few columns gains nothing from more threads
                for batch in pf.iter_batches(batch_size=size, row_groups=[group], columns=cols, use_threads=False):
                    done += batch.num_rows
                    yield batch
                    pool.release_unused()  # Arrow's allocator would keep the pages read so far (~2x)
            except (OSError, pa.ArrowException) as err:
                yield Lost(total - done, f"row group {group} of {meta.num_row_groups} unreadable after {done} "
                           f"of its {total} rows: {describe_error(err)}")


def _group_bytes(group: pq.RowGroupMetaData, columns: list[str] | None) -> int:
    """Uncompressed bytes of the columns read (all when None) in one row group."""
    chunks = [group.column(i) for i in range(group.num_columns)]
    if columns is None:
        return sum(c.total_uncompressed_size for c in chunks)
    return sum(c.total_uncompressed_size for c in chunks
               if any(c.path_in_schema == name or c.path_in_schema.startswith(name + ".") for name in columns))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _open_arrow(fh: pa.NativeFile) -> ipc.RecordBatchStreamReader | ipc.RecordBatchFileReader:
    """An Arrow IPC stream reader (what ``datasets`` writes), or a file reader for ``ARROW1`` files."""
    head = fh.read(6)
    fh.seek(0)
    return ipc.open_file(fh) if head == b"ARROW1" else ipc.open_stream(fh)


def arrow_batches(shard: Shard, batch_rows: int, batch_bytes: int | None = None) -> Iterator[pa.RecordBatch | Lost]:
    """Record batches, sliced to at most ``batch_rows`` rows and about ``batch_bytes``; a stream
    cut short or damaged gives one :class:`Lost` (the rows lost are known only from
    ``dataset_info.json``)."""
    done = 0
    with pa.OSFile(shard.path) as fh:
        try:
            reader = _open_arrow(fh)
        except (OSError, pa.ArrowException) as err:
            yield Lost(shard.expected_rows, f"cannot read the Arrow schema: {describe_error(err)}")
            return
        count = reader.num_record_batches if isinstance(reader, ipc.RecordBatchFileReader) else None
        index = 0
        while True:
            position = fh.tell()
            try:
                if count is None:
                    batch = reader.read_next_batch()
                elif index < count:
                    batch = reader.get_batch(index)
                else:
                    return
            except StopIteration:
                return
            except (OSError, pa.ArrowException) as err:
                yield Lost(_lost(shard.expected_rows, done),
                           f"Arrow batch {index} unreadable (stream cut short or damaged at byte {position}, "
                           f"after {done} rows): {describe_error(err)}")
                return
            index += 1
            size = rows_per_batch(batch_rows, batch_bytes, batch.nbytes, batch.num_rows)
            for start in range(0, batch.num_rows, size):
                done += min(size, batch.num_rows - start)
                yield batch.slice(start, size)


def _lost(expected: int | None, done: int) -> int | None:
    return expected - done if expected is not None and expected > done else None
