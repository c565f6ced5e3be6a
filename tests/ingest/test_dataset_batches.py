"""Dataset readers convert a bounded amount of data at a time, and rows need not keep their batch."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from creditline.ingest.dataset_files import arrow_batches, find_shards, parquet_batches, rows_per_batch
from creditline.ingest.datasets import BatchRef, Row, iter_rows

TEXT_CHARS = 10_000


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)  # random letters: incompressible, so sizes in the footer are real
    return [f"row {i} " + "".join(rng.choices(string.ascii_letters, k=TEXT_CHARS)) for i in range(n)]


def _parquet(path: Path, n: int, row_group_size: int = 10_000) -> Path:
    pq.write_table(pa.table({"text": _texts(n), "id": [str(i) for i in range(n)]}), path,
                   row_group_size=row_group_size)
    return path


class TestRowsPerBatch:
    def test_without_a_byte_bound_the_row_bound_holds(self) -> None:
        assert rows_per_batch(2048, None, 10**9, 1000) == 2048

    def test_rows_shrink_to_the_byte_bound(self) -> None:
        assert rows_per_batch(2048, 4 << 20, 40 << 20, 1000) == 100
        assert rows_per_batch(2048, 4 << 20, 1 << 20, 1000) == 2048  # small rows: the row bound
        assert rows_per_batch(2048, 1000, 10**9, 10) == 1  # a row over the bound still comes, alone

    def test_no_sizes_known(self) -> None:
        assert rows_per_batch(64, 1 << 20, 0, 0) == 64


class TestParquetBatches:
    def test_batches_hold_about_batch_bytes(self, tmp_path: Path) -> None:
        shard = find_shards(str(_parquet(tmp_path / "big.parquet", 200)))[0]
        batches = list(parquet_batches(shard, ["text"], 2048, batch_bytes=50_000))
        assert all(isinstance(b, pa.RecordBatch) for b in batches)
        assert sum(b.num_rows for b in batches) == 200
        assert max(b.num_rows for b in batches) == 4  # 50 kB of ~10 kB rows
        assert max(b.nbytes for b in batches) <= 50_000
        assert [t for b in batches for t in b.column("text").to_pylist()] == _texts(200)

    def test_each_row_group_is_sized_from_its_own_columns(self, tmp_path: Path) -> None:
        shard = find_shards(str(_parquet(tmp_path / "groups.parquet", 60, row_group_size=20)))[0]
        only_ids = list(parquet_batches(shard, ["id"], 2048, batch_bytes=50_000))
        assert [b.num_rows for b in only_ids] == [20, 20, 20]  # ids are small: whole row groups
        texts = list(parquet_batches(shard, None, 2048, batch_bytes=50_000))
        assert max(b.num_rows for b in texts) == 4 and sum(b.num_rows for b in texts) == 60


def test_arrow_batches_are_sliced_by_bytes(tmp_path: Path) -> None:
    table = pa.table({"text": _texts(100)})
    path = tmp_path / "data-00000-of-00001.arrow"
    with ipc.new_stream(str(path), table.schema) as writer:
        writer.write_table(table, max_chunksize=100)  # one big record batch
    shard = find_shards(str(path))[0]
    slices = list(arrow_batches(shard, 1000, batch_bytes=30_000))
    assert max(b.num_rows for b in slices) == 2 and sum(b.num_rows for b in slices) == 100


class TestIterRows:
    def test_byte_bound_does_not_change_rows(self, tmp_path: Path) -> None:
        src = _parquet(tmp_path / "t.parquet", 30, row_group_size=7)
        runs = [[(i.row, i.document) for i in iter_rows(src, batch_bytes=b)] for b in (1, 25_000, None)]
        assert runs[0] == runs[1] == runs[2] and len(runs[0]) == 30

    def test_refs_false_keeps_no_batch(self, tmp_path: Path) -> None:
        src = _parquet(tmp_path / "t.parquet", 10)
        with_refs = list(iter_rows(src))
        without = list(iter_rows(src, refs=False))
        assert all(isinstance(i, Row) and isinstance(i.ref, BatchRef) for i in with_refs)
        assert all(isinstance(i, Row) and i.ref is None for i in without)
        assert [i.document for i in with_refs] == [i.document for i in without]  # type: ignore[union-attr]

    def test_rows_without_refs_are_refused_by_the_writer(self, tmp_path: Path) -> None:
        """A row read with refs=False cannot be written; the writer says so instead of dropping it."""
        from creditline.ingest.dataset_writer import DatasetWriter

        src = _parquet(tmp_path / "t.parquet", 3)
        row = next(iter_rows(src, refs=False))
        with pytest.raises(ValueError, match="refs=False"), DatasetWriter(tmp_path / "out.parquet", src) as writer:
            writer.add(row, keep=False)
        assert not (tmp_path / "out.parquet").exists()

    def test_bounds_must_be_positive(self, tmp_path: Path) -> None:
        src = _parquet(tmp_path / "t.parquet", 2)
        with pytest.raises(ValueError):
            iter_rows(src, batch_bytes=0)
