"""RowResultsWriter: typed Parquet columns, row groups per batch, atomic file replacement."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from creditline.ingest.results_writer import ROW_RESULTS_SCHEMA, RowResultsWriter
from creditline.model import Decision, RowResult

ROWS = 25_000
BATCH = 4_000


def _result(i: int) -> RowResult:
    """Row ``i``: every 3rd row denied, every 5th unlicensed, every 7th a duplicate, every 11th an error."""
    if i % 11 == 0:
        return RowResult(row=i, id=f"r{i}", path=f"data.jsonl#{i}", error="bad_json: line is not an object")
    licensed = i % 5 != 0
    return RowResult(
        row=i, id=f"r{i}", path=f"data.jsonl#{i}",
        declared_license="MIT" if licensed else None, declared_raw="mit" if licensed else None,
        detected_license="MIT" if i % 2 else None, license="MIT" if licensed else None,
        license_agrees=(True if i % 2 else None) if licensed else None,
        evidence=("declared", "notice") if licensed else (), categories=("Permissive",) if licensed else (),
        obligations=("attribution",) if licensed else (), copyrights=(f"Copyright {i} Ada",), holders=("Ada",),
        title=f"Work {i}", size=100 + i, sha1=f"{i:040x}",
        duplicate_of=i - 1 if i % 7 == 0 else None, duplicate_kind="exact" if i % 7 == 0 else None,
        opted_out=False if i % 2 else None,
        decision=Decision(allowed=i % 3 != 0, reasons=("NC license",) if i % 3 == 0 else (), notes=("credit",)),
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RowResultsWriter]:
    path = tmp_path_factory.mktemp("results") / "rows.parquet"
    with RowResultsWriter(path, batch_rows=BATCH) as writer:
        for i in range(ROWS):
            writer.add(_result(i))
    return path, writer


class TestRowResultsWriter:
    def test_every_row_is_written_in_bounded_row_groups(self, written: tuple[Path, RowResultsWriter]) -> None:
        path, writer = written
        meta = pq.ParquetFile(path).metadata
        assert writer.rows_written == meta.num_rows == ROWS
        assert meta.num_row_groups == -(-ROWS // BATCH)
        assert max(meta.row_group(g).num_rows for g in range(meta.num_row_groups)) == BATCH

    def test_schema_has_explicit_types(self, written: tuple[Path, RowResultsWriter]) -> None:
        schema = pq.read_schema(written[0])
        assert schema.equals(ROW_RESULTS_SCHEMA)
        assert schema.field("row").type == pa.int64() and schema.field("duplicate_of").type == pa.int64()
        assert schema.field("license_agrees").type == pa.bool_() and schema.field("allowed").type == pa.bool_()
        assert schema.field("evidence").type == pa.list_(pa.string())

    def test_values_round_trip(self, written: tuple[Path, RowResultsWriter]) -> None:
        rows = pq.read_table(written[0]).to_pylist()
        for i in (0, 1, 3, 5, 7, 9, ROWS - 1):
            expected = _result(i)
            got = rows[i]
            assert got["row"] == i and got["id"] == expected.id
            assert got["license"] == expected.license and got["license_agrees"] == expected.license_agrees
            assert got["evidence"] == list(expected.evidence) and got["holders"] == list(expected.holders)
            assert got["duplicate_of"] == expected.duplicate_of and got["error"] == expected.error
            assert got["allowed"] == (expected.decision.allowed if expected.decision else None)
            assert got["reasons"] == list(expected.decision.reasons if expected.decision else ())

    def test_nulls_where_values_are_missing(self, written: tuple[Path, RowResultsWriter]) -> None:
        table = pq.read_table(written[0], columns=["license", "license_agrees", "duplicate_of", "allowed", "error"])
        assert table.column("license").null_count == sum(1 for i in range(ROWS) if i % 11 == 0 or i % 5 == 0)
        assert table.column("duplicate_of").null_count == sum(1 for i in range(ROWS) if i % 11 == 0 or i % 7)
        assert table.column("allowed").null_count == sum(1 for i in range(ROWS) if i % 11 == 0)
        assert table.column("error").null_count == ROWS - sum(1 for i in range(ROWS) if i % 11 == 0)

    def test_an_exception_leaves_no_file(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.parquet"
        with pytest.raises(RuntimeError), RowResultsWriter(path, batch_rows=10) as writer:
            for i in range(25):  # two row groups already written to the temporary file
                writer.add(_result(i))
            raise RuntimeError("interrupted")
        assert list(tmp_path.iterdir()) == []

    def test_an_exception_keeps_the_previous_file(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.parquet"
        with RowResultsWriter(path) as writer:
            writer.add(_result(1))
        with pytest.raises(KeyboardInterrupt), RowResultsWriter(path) as writer:
            writer.add(_result(2))
            raise KeyboardInterrupt
        assert pq.read_table(path).column("row").to_pylist() == [1]
        assert [p.name for p in tmp_path.iterdir()] == ["rows.parquet"]

    def test_no_rows_gives_an_empty_typed_file(self, tmp_path: Path) -> None:
        path = tmp_path / "rows.parquet"
        with RowResultsWriter(path):
            pass
        table = pq.read_table(path)
        assert table.num_rows == 0 and table.schema.equals(ROW_RESULTS_SCHEMA)

    def test_add_outside_with_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="not open"):
            RowResultsWriter(tmp_path / "rows.parquet").add(_result(1))
