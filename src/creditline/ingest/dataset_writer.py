"""Write the rows a filter keeps, in the format of the dataset they came from.

==========================  =====================================================================
input                       output
==========================  =====================================================================
JSON Lines (``.jsonl.gz``)  JSON Lines (gzipped likewise); each kept line byte for byte
CSV                         CSV with the same header; the same fields (quoting may differ), the
                            input's line ending (``\\r\\n`` or ``\\n``), UTF-8, undecodable bytes
                            written back unchanged
Parquet                     one Parquet file with the same schema (and schema metadata) and the
                            first shard's compression, row groups of about 64 MiB
Arrow (Hugging Face         one Parquet file with the Arrow schema (the ``huggingface`` schema
``save_to_disk``)           metadata included, so ``datasets`` restores its features)
==========================  =====================================================================

A directory of shards gives one output file. The output is written to a temporary file next to
it and renamed over it only when :meth:`DatasetWriter.commit` succeeds (``with`` does that on a
clean exit); on an exception the temporary file is removed and any previous output is left as
it was.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from creditline.errors import InputError
from creditline.ingest._atomic import AtomicOutput, publish, temp_beside
from creditline.ingest.dataset_files import Shard, find_shards, shard_columns
from creditline.ingest.datasets import BatchRef, CsvRef, Row, RowError, RowRef

__all__ = ["DatasetWriter"]

ROW_GROUP_BYTES = 64 * 1024 * 1024
"""Kept rows buffered before they are written as one Parquet row group."""


class DatasetWriter(AtomicOutput):
    """Writes kept rows to ``output`` in the format of the dataset at ``source``.

    Use it as a context manager and hand it every item of
    :func:`~creditline.ingest.datasets.iter_rows` in order with :meth:`add`; Parquet and Arrow
    sources must be read with ``full_rows=True``. Memory stays flat: one record batch and at most
    ``row_group_bytes`` of kept rows are held at a time. ``rows_written`` counts the rows kept.
    """

    def __init__(self, output: str | Path, source: str | Path, *, row_group_bytes: int = ROW_GROUP_BYTES) -> None:
        self.output = Path(output)
        self.source = str(source)
        self.row_group_bytes = row_group_bytes
        self.rows_written = 0
        self.format = ""
        self._tmp: Path | None = None
        self._sink: _Sink | None = None

    def open(self) -> None:
        """Create the temporary output file (called by ``with``)."""
        shards = find_shards(self.source)
        self.format = shards[0].fmt
        fd, self._tmp = temp_beside(self.output)
        try:
            self._sink = _open_sink(shards, fd, self._tmp, self.row_group_bytes)
        except BaseException:
            self.abort()
            raise

    def add(self, item: Row | RowError, keep: bool = True) -> None:
        """Record ``item``'s row as kept or not; rows never added are not written.

        Raises ValueError for ``keep=True`` on a RowError that holds no row (lost data), and for
        Parquet/Arrow rows read without ``full_rows=True``.
        """
        if self._sink is None:
            raise ValueError("DatasetWriter is not open (use it in a with statement)")
        if item.ref is None:
            if isinstance(item, Row):
                raise ValueError(f"row {item.row} was read without its batch (refs=False): it cannot be written")
            if keep:
                raise ValueError(f"{item.skipped.path}: rows that could not be read cannot be written")
            return
        self._sink.add(item.ref, keep)
        self.rows_written += keep

    def commit(self) -> None:
        """Finish the file and move it to ``output`` (atomically, replacing what was there)."""
        if self._sink is None or self._tmp is None:
            raise ValueError("DatasetWriter is not open")
        try:
            self._sink.close()
            publish(self._tmp, self.output)
        except BaseException:
            self.abort()
            raise
        self._sink = None
        self._tmp = None

    def abort(self) -> None:
        """Drop the temporary file; the output is left as it was."""
        if self._sink is not None:
            with contextlib.suppress(Exception):
                self._sink.discard()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.unlink()
        self._sink = None
        self._tmp = None


def _open_sink(shards: list[Shard], fd: int, tmp: Path, row_group_bytes: int) -> _Sink:
    first = shards[0]
    if first.fmt == "jsonl":
        return _JsonlSink(os.fdopen(fd, "wb"), first.gzip)
    if first.fmt == "csv":
        return _CsvSink(os.fdopen(fd, "wb"), _csv_line_ending(first), shard_columns(first))
    os.close(fd)
    return _ParquetSink(tmp, _source_schema(first), _compression(first), row_group_bytes)


class _Sink:
    def add(self, ref: RowRef, keep: bool) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError


class _JsonlSink(_Sink):
    def __init__(self, fh: IO[bytes], gz: bool) -> None:
        self._raw = fh
        self._fh: IO[bytes] = gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) if gz else fh

    def add(self, ref: RowRef, keep: bool) -> None:
        if not isinstance(ref, bytes):
            raise ValueError("not a JSON Lines row")
        if keep:
            self._fh.write(ref if ref.endswith(b"\n") else ref + b"\n")

    def close(self) -> None:
        self._fh.close()
        self._raw.close()

    def discard(self) -> None:
        self.close()


def _csv_line_ending(shard: Shard) -> str:
    """``\\r\\n`` when the source's first line ends so, else ``\\n``."""
    try:
        with open(shard.path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return "\n"
    end = head.find(b"\n")
    return "\r\n" if end > 0 and head[end - 1:end] == b"\r" else "\n"


class _CsvSink(_Sink):
    def __init__(self, fh: IO[bytes], line_ending: str, header: list[str]) -> None:
        self._text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
        self._writer = csv.writer(self._text, lineterminator=line_ending)
        self._source_header = tuple(header)
        self._header: tuple[str, ...] | None = None

    def _start(self, header: tuple[str, ...]) -> None:
        self._header = header
        self._writer.writerow(header)

    def add(self, ref: RowRef, keep: bool) -> None:
        if not isinstance(ref, CsvRef):
            raise ValueError("not a CSV row")
        if self._header is None:
            self._start(ref.header)
        elif ref.header != self._header:
            raise InputError("the CSV shards have different headers", hint="filter each shard on its own")
        if keep:
            self._writer.writerow(ref.record)

    def close(self) -> None:
        if self._header is None and self._source_header:
            self._start(self._source_header)
        self._text.close()

    def discard(self) -> None:
        self._text.close()


def _source_schema(shard: Shard) -> pa.Schema | None:
    """The first shard's schema, or None when it cannot be read (then the first batch's is used)."""
    try:
        if shard.fmt == "parquet":
            return pq.read_schema(shard.path)
        with pa.OSFile(shard.path) as fh:
            head = fh.read(6)
            fh.seek(0)
            reader = pa.ipc.open_file(fh) if head == b"ARROW1" else pa.ipc.open_stream(fh)
            return reader.schema
    except (OSError, pa.ArrowException):
        return None


def _compression(shard: Shard) -> str:
    """The compression of the first Parquet shard's first column chunk; ``snappy`` otherwise."""
    if shard.fmt != "parquet":
        return "snappy"
    try:
        meta = pq.read_metadata(shard.path)
        if meta.num_row_groups and meta.num_columns:
            name = str(meta.row_group(0).column(0).compression).lower()
            return "none" if name == "uncompressed" else name
    except (OSError, pa.ArrowException):
        pass
    return "snappy"


class _ParquetSink(_Sink):
    """Kept rows of each record batch, selected with a boolean mask in one vectorised filter."""

    def __init__(self, path: Path, schema: pa.Schema | None, compression: str, row_group_bytes: int) -> None:
        self._path = path
        self._schema = schema
        self._compression = compression
        self._row_group_bytes = row_group_bytes
        self._writer: pq.ParquetWriter | None = None
        self._batch: pa.RecordBatch | None = None
        self._mask: np.ndarray[Any, np.dtype[np.bool_]] | None = None
        self._buffer: list[pa.RecordBatch] = []
        self._buffered = 0

    def add(self, ref: RowRef, keep: bool) -> None:
        if not isinstance(ref, BatchRef):
            raise ValueError("not a Parquet or Arrow row")
        if not ref.full:
            raise ValueError("rows were read without all their columns: use iter_rows(..., full_rows=True)")
        if ref.batch is not self._batch:
            self._flush_batch()
            self._batch = self._conform(ref.batch)
            self._mask = np.zeros(ref.batch.num_rows, dtype=np.bool_)
        if keep:
            self._mask[ref.index] = True  # type: ignore[index]

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """``batch`` in the output schema (the first shard's); InputError when it cannot be."""
        if self._schema is None:
            self._schema = batch.schema
        if batch.schema.equals(self._schema, check_metadata=False):
            return batch
        try:
            arrays = [batch.column(f.name).cast(f.type) for f in self._schema]
            return pa.RecordBatch.from_arrays(arrays, schema=self._schema)
        except (KeyError, pa.ArrowException) as err:
            raise InputError(f"a shard's schema differs from the first one's: {err}",
                             hint="filter each shard on its own") from err

    def _flush_batch(self) -> None:
        batch, mask = self._batch, self._mask
        self._batch = self._mask = None
        if batch is None or mask is None or not mask.any():
            return
        kept = batch if mask.all() else batch.filter(pa.array(mask))
        self._buffer.append(kept)
        self._buffered += kept.nbytes
        if self._buffered >= self._row_group_bytes:
            self._write_buffer()

    def _write_buffer(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_batches(self._buffer, schema=self._schema)
        self._buffer, self._buffered = [], 0
        self._open().write_table(table, row_group_size=max(1, table.num_rows))

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            if self._schema is None:
                raise InputError("no row could be read, so the output has no schema to write")
            self._writer = pq.ParquetWriter(str(self._path), self._schema, compression=self._compression)
        return self._writer

    def close(self) -> None:
        self._flush_batch()
        self._write_buffer()
        self._open().close()

    def discard(self) -> None:
        self._buffer = []
        self._batch = self._mask = None
        if self._writer is not None:
            self._writer.close()
