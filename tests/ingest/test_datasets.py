"""Datasets as rows: every format, layout detection, bad rows as data, and the filter writer."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from creditline.errors import ConfigError, InputError
from creditline.ingest.dataset_writer import DatasetWriter
from creditline.ingest.datasets import (
    ColumnSpec,
    Row,
    RowError,
    dataset_columns,
    dataset_format,
    detect_layout,
    iter_rows,
    output_suffix,
)
from creditline.ingest.walk import Limits
from creditline.model import SkippedRows

Item = Row | RowError

MIT_PY = '''# SPDX-License-Identifier: MIT
# Copyright (c) 2021 Jane Doe
"""Small helpers."""


def add(a, b):
    return a + b
'''
APACHE_JAVA = '''/*
 * Copyright 2019 The Example Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 */
package org.example;

public final class Greeter {
    public String greet(String name) { return "Hello, " + name; }
}
'''
PROSE = ("The lighthouse keeper counted the ships each evening,\r\nwriting their names in a ledger "
         "that nobody else ever read.\n")


def stack_rows(n: int) -> list[dict[str, Any]]:
    """Rows shaped like The Stack: code files with their repository, path and licenses."""
    texts = (MIT_PY, APACHE_JAVA)
    return [{
        "hexsha": f"{i:040x}",
        "size": len(texts[i % 2]),
        "ext": ("py", "java")[i % 2],
        "max_stars_repo_path": (f"src/util_{i}.py", f"src/main/java/Greeter {i}.java")[i % 2],
        "max_stars_repo_name": f"example/project-{i % 3}",
        "max_stars_repo_licenses": (["MIT"], ["Apache-2.0", "BSD-3-Clause OR MIT"])[i % 2],
        "content": texts[i % 2] + f"# file {i}\n",
    } for i in range(n)]


def prose_rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"doc-{i}", "text": f"{PROSE}Entry {i}.", "url": f"https://example.org/stories/{i}",
             "license": "CC-BY-4.0", "author": "R. Writer", "title": f"Story {i}"} for i in range(n)]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | bytes]) -> Path:
    with path.open("wb") as fh:
        for row in rows:
            fh.write(row if isinstance(row, bytes) else json.dumps(row).encode() + b"\n")
    return path


def write_csv(path: Path, header: Sequence[str], records: Iterable[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(records)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]], row_group_size: int = 1000, **kw: Any) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size, **kw)
    return path


def write_hf_dir(path: Path, rows: list[dict[str, Any]], *, batch: int = 4, split: str = "train",
                 num_examples: int | None = None) -> Path:
    """A directory as ``datasets.Dataset.save_to_disk`` writes it: one Arrow IPC stream plus metadata."""
    path.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    schema = table.schema.with_metadata({"huggingface": json.dumps({"info": {"features": {}}})})
    with ipc.new_stream(str(path / "data-00000-of-00001.arrow"), schema) as writer:
        for chunk in table.cast(schema).to_batches(max_chunksize=batch):
            writer.write_batch(chunk)
    info: dict[str, Any] = {"citation": "", "description": "", "features": {}, "license": ""}
    if num_examples is not None:
        info["splits"] = {split: {"name": split, "num_bytes": 0, "num_examples": num_examples}}
    (path / "dataset_info.json").write_text(json.dumps(info))
    state = {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_fingerprint": "0", "_split": split}
    (path / "state.json").write_text(json.dumps(state))
    return path


def rows_of(items: Sequence[Item]) -> list[Row]:
    return [i for i in items if isinstance(i, Row)]


def errors_of(items: Sequence[Item]) -> list[RowError]:
    return [i for i in items if isinstance(i, RowError)]


def covered(items: Sequence[Item]) -> int:
    """Rows accounted for: one per Row, ``rows`` per RowError (which must then be known)."""
    total = 0
    for item in items:
        if isinstance(item, Row):
            total += 1
        else:
            assert item.rows is not None, item
            total += item.rows
    return total


def cut(path: Path, keep: int) -> Path:
    path.write_bytes(path.read_bytes()[:keep])
    return path


class TestDetectLayout:
    def test_the_stack(self) -> None:
        spec = detect_layout(list(stack_rows(1)[0]))
        assert (spec.layout, spec.text, spec.license, spec.id) == (
            "the-stack", "content", "max_stars_repo_licenses", "hexsha")
        assert (spec.repo, spec.repo_path) == ("max_stars_repo_name", "max_stars_repo_path")

    def test_generic_text_url(self) -> None:
        spec = detect_layout(["id", "text", "url", "license", "author", "title", "extra"])
        assert spec == ColumnSpec("text", id="id", license="license", url="url", author="author", title="title",
                                  layout="generic")

    @pytest.mark.parametrize("column", ["content", "code", "body", "Text"])
    def test_alternative_text_columns(self, column: str) -> None:
        assert detect_layout(["meta", column]).text == column

    def test_github_code(self) -> None:
        spec = detect_layout(["code", "repo_name", "path", "language", "license", "size"])
        assert (spec.layout, spec.text, spec.license, spec.repo, spec.repo_path) == (
            "github-code", "code", "license", "repo_name", "path")

    def test_explicit_columns_win(self) -> None:
        spec = detect_layout(["body", "text", "lic", "who"], text_column="body", license_column="lic",
                             author_column="who")
        assert (spec.text, spec.license, spec.author) == ("body", "lic", "who")

    def test_missing_named_columns_listed_together(self) -> None:
        with pytest.raises(ConfigError) as info:
            detect_layout(["content", "repo"], text_column="txt", license_column="lic")
        message = info.value.message
        assert "'txt'" in message and "'lic'" in message and "content, repo" in message

    def test_no_text_column(self) -> None:
        with pytest.raises(ConfigError) as info:
            detect_layout(["id", "score", "label"])
        assert "id, score, label" in info.value.message


class TestJsonl:
    def test_generic_rows(self, tmp_path: Path) -> None:
        src = write_jsonl(tmp_path / "stories.jsonl", prose_rows(3))
        items = list(iter_rows(src))
        assert [type(i) for i in items] == [Row] * 3
        doc = items[2].document
        assert items[2].row == 2 and doc.path == "stories.jsonl#2" and doc.root == str(src)
        assert doc.text == "The lighthouse keeper counted the ships each evening,\nwriting their names in a " \
                           "ledger that nobody else ever read.\nEntry 2."
        assert doc.declared == {"license": "CC-BY-4.0", "source": "https://example.org/stories/2",
                                "author": "R. Writer", "title": "Story 2", "id": "doc-2"}
        raw = f"{PROSE}Entry 2.".encode()
        assert doc.size == len(raw)
        assert doc.sha1 == __import__("hashlib").sha1(raw).hexdigest()

    def test_gzip(self, tmp_path: Path) -> None:
        plain = write_jsonl(tmp_path / "a.jsonl", prose_rows(4))
        gz = tmp_path / "a.jsonl.gz"
        gz.write_bytes(gzip.compress(plain.read_bytes()))
        assert [r.document.text for r in rows_of(list(iter_rows(gz)))] == \
               [r.document.text for r in rows_of(list(iter_rows(plain)))]

    def test_bad_rows_are_data(self, tmp_path: Path) -> None:
        good = prose_rows(3)
        src = write_jsonl(tmp_path / "mixed.jsonl", [
            good[0],
            b'{"text": "unterminated\n',                      # 1 bad JSON
            {"text": 42, "id": "n"},                           # 2 number
            {"text": None},                                     # 3 null
            {"title": "no text here"},                          # 4 absent
            b"\n",                                              # blank: not a row
            b'{"text": "caf\xe9 cr\xe8me"}\n',                 # 5 latin-1 bytes
            b'["a", "list"]\n',                                 # 6 not an object
            {"text": ["a", "b"]},                               # 7 list
            good[1],                                            # 8
            b'{"text": "lone \\ud800 surrogate"}\n',            # 9
            good[2],                                            # 10
        ])
        items = list(iter_rows(src))
        assert len(items) == 11 and covered(items) == 11
        assert [i.row for i in items] == list(range(11))
        assert [(e.row, e.skipped.code) for e in errors_of(items)] == [
            (1, "bad_json"), (2, "bad_type"), (3, "missing_text"), (4, "missing_text"), (5, "undecodable"),
            (6, "bad_json"), (7, "bad_type"), (9, "undecodable")]
        bad_bytes = errors_of(items)[4].skipped
        offset = sum(len(line) for line in src.read_bytes().splitlines(keepends=True)[:6])
        assert bad_bytes.path == "mixed.jsonl#5" and f"byte {offset + 13} " in bad_bytes.detail
        assert [r.document.declared["id"] for r in rows_of(items)] == ["doc-0", "doc-1", "doc-2"]

    def test_gzip_cut_short(self, tmp_path: Path) -> None:
        data = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in prose_rows(200)))
        src = tmp_path / "cut.jsonl.gz"
        src.write_bytes(data[: len(data) // 2])
        items = list(iter_rows(src))
        assert items and all(isinstance(i, Row) for i in items[:-1])
        last = items[-1]
        assert isinstance(last, RowError) and last.skipped.code == "corrupt_data" and last.rows is None
        assert last.row == len(items) - 1


class TestCsv:
    def test_generic_rows(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "works.csv", ["id", "text", "license", "url"],
                        [[f"w{i}", APACHE_JAVA, "Apache-2.0", ""] for i in range(3)])
        items = list(iter_rows(src))
        assert [i.row for i in items] == [0, 1, 2] and all(isinstance(i, Row) for i in items)
        assert items[1].document.text == APACHE_JAVA
        assert items[1].document.declared == {"license": "Apache-2.0", "id": "w1"}  # empty url: absent

    def test_field_over_default_csv_limit(self, tmp_path: Path) -> None:
        big = MIT_PY * 4000  # about 500 KB in one field
        src = write_csv(tmp_path / "big.csv", ["text"], [[big]])
        assert rows_of(list(iter_rows(src)))[0].document.text == big

    def test_ragged_and_undecodable(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "bad.csv", ["id", "text", "license"], [["a", MIT_PY, "MIT"]])
        with src.open("ab") as fh:
            fh.write(b"b,too,many,fields\r\n")
            fh.write(b"c\r\n")
            fh.write(b"d,caf\xe9,MIT\r\n")
            fh.write(b"e,fine,MIT\r\n")
        items = list(iter_rows(src))
        assert len(items) == 5 and covered(items) == 5
        assert [(e.row, e.skipped.code) for e in errors_of(items)] == [
            (1, "ragged_row"), (2, "ragged_row"), (3, "undecodable")]
        assert "0xe9" in errors_of(items)[2].skipped.detail
        assert [r.document.declared["id"] for r in rows_of(items)] == ["a", "e"]


class TestParquet:
    def test_the_stack_auto_detected(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "stack.parquet", stack_rows(5), row_group_size=2)
        items = list(iter_rows(src, batch_rows=3))
        assert [i.row for i in items] == list(range(5)) and all(isinstance(i, Row) for i in items)
        doc = items[1].document
        assert doc.text == APACHE_JAVA + "# file 1\n"
        assert doc.declared == {
            "license": "Apache-2.0 AND (BSD-3-Clause OR MIT)", "id": f"{1:040x}",
            "title": "src/main/java/Greeter 1.java",
            "source": "https://github.com/example/project-1/blob/HEAD/src/main/java/Greeter%201.java"}
        assert items[0].document.declared["license"] == "MIT"

    def test_batch_size_does_not_change_rows(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "stack.parquet", stack_rows(23), row_group_size=7)
        runs = [[(i.row, i.document) for i in iter_rows(src, batch_rows=b)] for b in (1, 4, 5000)]
        assert runs[0] == runs[1] == runs[2] and len(runs[0]) == 23

    def test_explicit_columns_and_wrong_types(self, tmp_path: Path) -> None:
        rows = [{"body": MIT_PY, "lic": "MIT", "n": 1}, {"body": None, "lic": "MIT", "n": 2},
                {"body": "x", "lic": None, "n": 3}]
        src = write_parquet(tmp_path / "t.parquet", rows)
        spec = detect_layout(dataset_columns(src), text_column="body", license_column="lic", id_column="n")
        items = list(iter_rows(src, spec))
        assert [type(i) for i in items] == [Row, RowError, Row]
        assert items[1].skipped.code == "missing_text" and items[1].skipped.path == "t.parquet#1"
        assert items[0].document.declared == {"license": "MIT", "id": "1"}
        assert items[2].document.declared == {"id": "3"}

    def test_numeric_text_column(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "n.parquet", [{"text": 1.5}, {"text": 2.0}])
        assert [(e.row, e.skipped.code) for e in errors_of(list(iter_rows(src)))] == [(0, "bad_type"), (1, "bad_type")]

    def test_missing_named_column(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "t.parquet", prose_rows(2))
        with pytest.raises(ConfigError) as info:
            iter_rows(src, ColumnSpec("content"))
        assert "id, text, url, license, author, title" in info.value.message

    def test_damaged_row_group(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "d.parquet", stack_rows(30), row_group_size=10)
        chunk = pq.read_metadata(src).row_group(1).column(0)
        data = bytearray(src.read_bytes())
        start = chunk.dictionary_page_offset or chunk.data_page_offset
        data[start:start + chunk.total_compressed_size] = b"\xab" * chunk.total_compressed_size
        src.write_bytes(bytes(data))
        items = list(iter_rows(src, batch_rows=4))
        assert covered(items) == 30
        [err] = errors_of(items)
        assert (err.row, err.rows, err.skipped.code, err.skipped.path) == (10, 10, "corrupt_data", "d.parquet#10")
        assert "row group 1" in err.skipped.detail
        assert [r.row for r in rows_of(items)] == list(range(10)) + list(range(20, 30))

    def test_cut_short(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "cut.parquet", stack_rows(30), row_group_size=10)
        size = src.stat().st_size
        cut(src, size // 2)
        items = list(iter_rows(src))
        [err] = items
        assert isinstance(err, RowError) and err.skipped.code == "corrupt_data" and err.rows is None
        assert f"{size // 2} bytes" in err.skipped.detail

    def test_shard_directory(self, tmp_path: Path) -> None:
        rows = stack_rows(9)
        (tmp_path / "data").mkdir()
        for k in range(3):
            write_parquet(tmp_path / "data" / f"train-{k:05d}-of-00003.parquet", rows[3 * k:3 * k + 3])
        (tmp_path / "README.md").write_text("# a dataset\n")
        assert dataset_format(tmp_path) == "parquet" and output_suffix(tmp_path) == ".parquet"
        items = list(iter_rows(tmp_path))
        assert [i.row for i in items] == list(range(9))
        assert items[4].document.path == "data/train-00001-of-00003.parquet#1"
        assert [i.document.declared["id"] for i in items] == [r["hexsha"] for r in rows]

    def test_truncated_text(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "t.parquet", [{"text": "é" * 100}])
        [row] = list(iter_rows(src, limits=Limits(size_limit=51)))
        assert row.document.truncated and row.document.text == "é" * 25 and row.document.size == 200


class TestArrow:
    def test_hf_save_to_disk(self, tmp_path: Path) -> None:
        src = write_hf_dir(tmp_path / "ds", prose_rows(10), num_examples=10)
        assert dataset_format(src) == "arrow" and output_suffix(src) == ".parquet"
        items = list(iter_rows(src, batch_rows=3))
        assert [i.row for i in items] == list(range(10)) and all(isinstance(i, Row) for i in items)
        assert items[7].document.path == "data-00000-of-00001.arrow#7"
        assert items[7].document.declared["source"] == "https://example.org/stories/7"

    def test_dataset_dict(self, tmp_path: Path) -> None:
        rows = prose_rows(6)
        write_hf_dir(tmp_path / "dd" / "test", rows[4:], split="test")
        write_hf_dir(tmp_path / "dd" / "train", rows[:4], split="train")
        (tmp_path / "dd" / "dataset_dict.json").write_text('{"splits": ["train", "test"]}')
        items = list(iter_rows(tmp_path / "dd"))
        assert [i.document.path for i in items][3:5] == ["train/data-00000-of-00001.arrow#3",
                                                         "test/data-00000-of-00001.arrow#0"]
        assert [i.row for i in items] == list(range(6))

    def test_stream_cut_short(self, tmp_path: Path) -> None:
        src = write_hf_dir(tmp_path / "ds", stack_rows(20), batch=5, num_examples=20)
        arrow = src / "data-00000-of-00001.arrow"
        cut(arrow, int(arrow.stat().st_size * 0.6))
        items = list(iter_rows(src))
        assert covered(items) == 20
        err = items[-1]
        assert isinstance(err, RowError) and err.skipped.code == "corrupt_data"
        assert err.row == len(items) - 1 and err.rows == 20 - err.row and "byte" in err.skipped.detail


class TestDatasetFiles:
    def test_plain_tree_is_not_a_dataset(self, tmp_path: Path) -> None:
        (tmp_path / "main.py").write_text(MIT_PY)
        write_csv(tmp_path / "table.csv", ["text"], [["x"]])
        assert dataset_format(tmp_path) is None
        with pytest.raises(InputError):
            iter_rows(tmp_path)

    def test_missing_path(self, tmp_path: Path) -> None:
        with pytest.raises(InputError):
            iter_rows(tmp_path / "nope.parquet")

    def test_mixed_formats(self, tmp_path: Path) -> None:
        write_jsonl(tmp_path / "a.jsonl", prose_rows(1))
        write_csv(tmp_path / "b.csv", ["text"], [["x"]])
        with pytest.raises(InputError) as info:
            iter_rows(tmp_path)
        assert "csv, jsonl" in info.value.message


def filtered(src: Path, out: Path, keep: Any = lambda item: item.row % 2 == 0) -> list[Item]:
    items = list(iter_rows(src, full_rows=True, batch_rows=3))
    with DatasetWriter(out, src) as writer:
        for item in items:
            writer.add(item, isinstance(item, Row) and keep(item))
    assert writer.rows_written == sum(1 for i in items if isinstance(i, Row) and keep(i))
    return items


class TestDatasetWriter:
    def test_jsonl_lines_byte_for_byte(self, tmp_path: Path) -> None:
        lines = [b'{"text": "a",   "license": "MIT"}\r\n', b'{"text":"b"}\n', b"not json\n",
                 b'{"id": 3, "text": "c\\u00e9"}\n', b'{"text": "d"}']
        src = write_jsonl(tmp_path / "in.jsonl", lines)
        filtered(src, tmp_path / "out.jsonl", keep=lambda item: item.row != 1)
        assert (tmp_path / "out.jsonl").read_bytes() == lines[0] + lines[3] + lines[4] + b"\n"

    def test_jsonl_gzip(self, tmp_path: Path) -> None:
        src = tmp_path / "in.jsonl.gz"
        src.write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in prose_rows(5))))
        filtered(src, tmp_path / "out.jsonl.gz")
        kept = [json.loads(x) for x in gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()).splitlines()]
        assert [r["id"] for r in kept] == ["doc-0", "doc-2", "doc-4"]

    def test_csv_same_header(self, tmp_path: Path) -> None:
        records = [[f"w{i}", APACHE_JAVA if i % 2 else PROSE, "Apache-2.0"] for i in range(5)]
        src = write_csv(tmp_path / "in.csv", ["id", "text", "license"], records)
        filtered(src, tmp_path / "out.csv")
        with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
            out = list(csv.reader(fh))
        assert out == [["id", "text", "license"], records[0], records[2], records[4]]
        assert (tmp_path / "out.csv").read_bytes().startswith(b"id,text,license\r\n")

    def test_csv_nothing_kept_keeps_header(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "in.csv", ["id", "text"], [["a", "x"]])
        filtered(src, tmp_path / "out.csv", keep=lambda item: False)
        assert (tmp_path / "out.csv").read_bytes() == b"id,text\r\n"

    def test_parquet_same_schema(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "in.parquet", stack_rows(11), row_group_size=4, compression="zstd")
        filtered(src, tmp_path / "out.parquet")
        out = pq.read_table(tmp_path / "out.parquet")
        assert out.schema.equals(pq.read_schema(src), check_metadata=True)
        assert out.to_pylist() == stack_rows(11)[::2]
        assert pq.read_metadata(tmp_path / "out.parquet").row_group(0).column(0).compression == "ZSTD"

    def test_parquet_shards_into_one_file(self, tmp_path: Path) -> None:
        rows = stack_rows(8)
        (tmp_path / "in").mkdir()
        write_parquet(tmp_path / "in" / "part-0.parquet", rows[:4])
        second = pa.Table.from_pylist(rows[4:])
        narrower = second.schema.set(second.schema.get_field_index("size"), pa.field("size", pa.int32()))
        pq.write_table(second.cast(narrower.with_metadata({"writer": "other"})), tmp_path / "in" / "part-1.parquet")
        filtered(tmp_path / "in", tmp_path / "out.parquet")
        assert pq.read_table(tmp_path / "out.parquet").to_pylist() == rows[::2]

    def test_parquet_shards_with_other_columns(self, tmp_path: Path) -> None:
        (tmp_path / "in").mkdir()
        write_parquet(tmp_path / "in" / "part-0.parquet", prose_rows(2))
        write_parquet(tmp_path / "in" / "part-1.parquet", [{"text": "x", "other": 1}])
        with pytest.raises(InputError, match="schema"):
            filtered(tmp_path / "in", tmp_path / "out.parquet")
        assert not (tmp_path / "out.parquet").exists()

    def test_parquet_nothing_kept(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "in.parquet", stack_rows(3))
        filtered(src, tmp_path / "out.parquet", keep=lambda item: False)
        out = pq.read_table(tmp_path / "out.parquet")
        assert out.num_rows == 0 and out.schema.equals(pq.read_schema(src))

    def test_hf_arrow_to_parquet(self, tmp_path: Path) -> None:
        src = write_hf_dir(tmp_path / "ds", prose_rows(7), batch=2)
        filtered(src, tmp_path / "out.parquet")
        out = pq.read_table(tmp_path / "out.parquet")
        assert out.to_pylist() == prose_rows(7)[::2]
        assert b"huggingface" in out.schema.metadata

    def test_needs_full_rows(self, tmp_path: Path) -> None:
        src = write_parquet(tmp_path / "in.parquet", stack_rows(2))
        with pytest.raises(ValueError, match="full_rows"), DatasetWriter(tmp_path / "out.parquet", src) as writer:
            for item in iter_rows(src):
                writer.add(item)
        assert list(tmp_path.iterdir()) == [src]

    def test_lost_rows_cannot_be_kept(self, tmp_path: Path) -> None:
        src = cut(write_parquet(tmp_path / "in.parquet", stack_rows(4)), 100)
        [err] = list(iter_rows(src, full_rows=True))
        writer = DatasetWriter(tmp_path / "out.parquet", src)
        writer.open()
        with pytest.raises(ValueError):
            writer.add(err, keep=True)
        writer.add(err, keep=False)
        with pytest.raises(InputError, match="no schema"):  # nothing says what the columns were
            writer.commit()
        assert list(tmp_path.iterdir()) == [src]

    @pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "arrow"])
    def test_atomic(self, tmp_path: Path, fmt: str) -> None:
        rows = prose_rows(6)
        src = {
            "jsonl": lambda: write_jsonl(tmp_path / "in.jsonl", rows),
            "csv": lambda: write_csv(tmp_path / "in.csv", list(rows[0]), [list(r.values()) for r in rows]),
            "parquet": lambda: write_parquet(tmp_path / "in.parquet", rows, row_group_size=2),
            "arrow": lambda: write_hf_dir(tmp_path / "in", rows, batch=2),
        }[fmt]()
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        out = out_dir / f"kept{output_suffix(src)}"
        out.write_bytes(b"previous output")
        with pytest.raises(RuntimeError, match="boom"), DatasetWriter(out, src) as writer:
            for item in iter_rows(src, full_rows=True, batch_rows=2):
                writer.add(item)
                if item.row == 3:
                    raise RuntimeError("boom")
        assert [p.name for p in out_dir.iterdir()] == ["kept" + output_suffix(src)]
        assert out.read_bytes() == b"previous output"

    def test_output_directory_missing(self, tmp_path: Path) -> None:
        src = write_jsonl(tmp_path / "in.jsonl", prose_rows(1))
        with pytest.raises(InputError), DatasetWriter(tmp_path / "no" / "out.jsonl", src):
            pass


def test_metadata_with_lone_surrogates_is_made_valid(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "x.jsonl", [b'{"text": "ok", "author": "Ren\\udce9 Roe"}\n'])
    [row] = list(iter_rows(src))
    assert row.document.declared["author"] == "Ren? Roe"


def test_skipped_rows_serialise(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "x.jsonl", [b"{oops\n"])
    [err] = list(iter_rows(src, ColumnSpec("text")))
    assert isinstance(err.skipped, SkippedRows)
    assert err.skipped.to_dict() == {"path": "x.jsonl#0", "code": "bad_json", "detail": err.skipped.detail,
                                     "root": str(src), "row": 0, "rows": 1}
