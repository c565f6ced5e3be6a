"""Write per-row audit results (:class:`~creditline.model.RowResult`) to a Parquet file.

Rows are buffered ``batch_rows`` at a time and written as one row group, so memory stays flat
however large the dataset. The file is written to a temporary file next to ``path`` and renamed
over it only on a clean exit of the ``with`` block; on an exception the temporary file is
removed and any previous file at ``path`` is left as it was.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from creditline.ingest._atomic import AtomicOutput, publish, temp_beside
from creditline.model import RowResult

__all__ = ["ROW_RESULTS_SCHEMA", "RowResultsWriter"]

BATCH_ROWS = 10_000
"""Rows buffered before they are written as one Parquet row group."""

_STRINGS = pa.list_(pa.string())
ROW_RESULTS_SCHEMA = pa.schema([
    ("row", pa.int64()), ("id", pa.string()), ("path", pa.string()),
    ("declared_license", pa.string()), ("declared_raw", pa.string()), ("detected_license", pa.string()),
    ("license", pa.string()), ("license_agrees", pa.bool_()), ("evidence", _STRINGS),
    ("categories", _STRINGS), ("obligations", _STRINGS), ("copyrights", _STRINGS), ("holders", _STRINGS),
    ("title", pa.string()), ("author", pa.string()), ("source_url", pa.string()),
    ("size", pa.int64()), ("sha1", pa.string()), ("duplicate_of", pa.int64()), ("duplicate_kind", pa.string()),
    ("opted_out", pa.bool_()), ("optout_signals", _STRINGS), ("reproduces", _STRINGS),
    ("allowed", pa.bool_()), ("reasons", _STRINGS), ("notes", _STRINGS), ("error", pa.string()),
])
"""One column per RowResult field; ``decision`` is flattened to ``allowed``, ``reasons``, ``notes``
(all null/empty when no policy was applied). Every column is nullable."""

_DIRECT = tuple(n for n in ROW_RESULTS_SCHEMA.names if n not in ("allowed", "reasons", "notes"))


def _values(result: RowResult) -> dict[str, Any]:
    """The column values of one result (tuples become lists)."""
    values = {name: getattr(result, name) for name in _DIRECT}
    decision = result.decision
    values["allowed"] = decision.allowed if decision is not None else None
    values["reasons"] = decision.reasons if decision is not None else ()
    values["notes"] = decision.notes if decision is not None else ()
    return values


class RowResultsWriter(AtomicOutput):
    """``with RowResultsWriter(path) as w: w.add(result)``; ``rows_written`` counts the rows added."""

    def __init__(self, path: str | Path, *, batch_rows: int = BATCH_ROWS) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.rows_written = 0
        self._buffer: dict[str, list[Any]] = {name: [] for name in ROW_RESULTS_SCHEMA.names}
        self._tmp: Path | None = None
        self._writer: pq.ParquetWriter | None = None

    def open(self) -> None:
        """Create the temporary file (called by ``with``)."""
        fd, self._tmp = temp_beside(self.path)
        os.close(fd)
        try:
            self._writer = pq.ParquetWriter(self._tmp, ROW_RESULTS_SCHEMA)
        except BaseException:
            self.abort()
            raise

    def add(self, result: RowResult) -> None:
        """Buffer one result; a full buffer is written as a row group."""
        if self._writer is None:
            raise ValueError("RowResultsWriter is not open (use it in a with statement)")
        for name, value in _values(result).items():
            self._buffer[name].append(value)
        self.rows_written += 1
        if len(self._buffer["row"]) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if self._writer is None or not self._buffer["row"]:
            return
        table = pa.table({name: pa.array(values, type=ROW_RESULTS_SCHEMA.field(name).type)
                          for name, values in self._buffer.items()}, schema=ROW_RESULTS_SCHEMA)
        self._writer.write_table(table)
        for values in self._buffer.values():
            values.clear()

    def commit(self) -> None:
        """Write what is buffered, close the file and move it to ``path`` (atomically)."""
        if self._writer is None or self._tmp is None:
            raise ValueError("RowResultsWriter is not open")
        try:
            self._flush()
            self._writer.close()
            self._writer = None
            publish(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        self._tmp = None

    def abort(self) -> None:
        """Drop the temporary file; ``path`` is left as it was."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.unlink()
        self._writer = None
        self._tmp = None
        for values in self._buffer.values():
            values.clear()
