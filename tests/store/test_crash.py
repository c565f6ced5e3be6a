"""Crash, lock and concurrency tests with real writer processes (killed with SIGKILL)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest
from catalog_helpers import COMMON, PARAMS, VERSION, Child, add, unique

from creditline.errors import CatalogLockedError
from creditline.store import SqliteCatalog
from creditline.store.sqlite import SHARDS_DIR

pytestmark = pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs SIGKILL")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    SqliteCatalog(tmp_path / "cat", PARAMS).close()
    return tmp_path / "cat"


def paths_of(cat: SqliteCatalog) -> set[str]:
    return {w.path for w in cat.works()}


def block_paths(blocks: list[int], per_block: int) -> set[str]:
    return {f"b{b}-{j}" for b in blocks for j in range(per_block)}


def assert_consistent(cat: SqliteCatalog) -> None:
    """Every work is found by the common hash exactly once and by its own hash."""
    works = list(cat.works())
    qidx, found, _, _ = cat.lookup(np.array([COMMON], dtype=np.uint64), "exact")
    assert sorted(found.tolist()) == [w.id for w in works]
    for w in works:
        b, j = map(int, w.path[1:].split("-"))
        assert cat.lookup(np.array([unique(b, j)], dtype=np.uint64), "exact")[1].tolist() == [w.id]


class TestSigkill:
    def test_killed_inside_the_block(self, path: Path) -> None:
        child = Child(path, "hang-in-block", first=0, blocks=3)
        child.wait_for("in-block")
        child.kill()
        with SqliteCatalog(path, PARAMS) as cat:
            assert paths_of(cat) == block_paths([0, 1, 2], 2)
            assert_consistent(cat)
            with cat.writer() as w:  # the lock died with the writer
                add(w, "after.txt", [5])

    def test_killed_between_shard_write_and_commit(self, path: Path) -> None:
        child = Child(path, "hang-after-shard", first=0, blocks=2)
        child.wait_for("shard-written")
        child.kill()
        shards = path / SHARDS_DIR
        assert len(list(shards.iterdir())) == 3  # two published, one written but never committed
        with SqliteCatalog(path, PARAMS) as cat:
            assert paths_of(cat) == block_paths([0, 1], 2) and cat.stats()["shards"] == 2
            assert cat.lookup(np.array([unique(2, 0)], dtype=np.uint64), "exact")[1].tolist() == []
            assert_consistent(cat)
            with cat.writer():
                pass
        assert len(list(shards.iterdir())) == 2  # the orphan is cleaned by the next writer

    def test_killed_at_random_times(self, path: Path) -> None:
        rng, committed = random.Random(42), []
        for attempt in range(3):
            child = Child(path, "loop", first=attempt * 1000, blocks=0, per_block=3, max_shards=3)
            child.wait_for("committed")
            time.sleep(rng.uniform(0.0, 0.3))
            child.kill()
            committed += child.committed()
            with SqliteCatalog(path, PARAMS) as cat:
                found = paths_of(cat)
                extra = found - block_paths(committed, 3)
                assert block_paths(committed, 3) <= found  # every acknowledged block survived
                assert extra in (set(), block_paths([max(committed) + 1], 3))  # at most one whole block more
                assert_consistent(cat)
                committed += [max(committed) + 1] if extra else []


class TestConcurrency:
    def test_second_writer_in_another_process(self, path: Path) -> None:
        child = Child(path, "hang-in-block", first=0, blocks=0)
        child.wait_for("in-block")
        with SqliteCatalog(path) as cat:
            with pytest.raises(CatalogLockedError, match=f"pid {child.proc.pid}"), cat.writer():
                pass
            child.kill()
            with cat.writer() as w:
                add(w, "mine.txt", [5])

    def test_reader_during_writes_sees_only_whole_blocks(self, path: Path) -> None:
        blocks = 30
        child = Child(path, "loop", first=0, blocks=blocks, per_block=2, max_shards=3, replace=True)
        common = np.array([COMMON], dtype=np.uint64)
        versions = np.arange(VERSION, VERSION + blocks, dtype=np.uint64)
        last, rounds = 0, 0
        with SqliteCatalog(path) as cat:
            while child.proc.poll() is None or rounds < 2:
                rounds += child.proc.poll() is not None
                found = cat.lookup(common, "exact")[1].tolist()
                count = len(set(found))
                assert count == len(found) and count % 2 == 0 and count >= last  # whole blocks, no dead postings
                assert cat.document_frequency(common, "exact")[0] >= count
                assert len(cat.lookup(versions, "exact")[1]) <= 1  # only the newest version of b0-0
                assert len(list(cat.works())) >= count
                last = count
            assert child.proc.wait() == 0 and last == 2 * blocks
            assert cat.find("b0-0").sha1 == f"v{blocks - 1}"  # type: ignore[union-attr]
            assert cat.stats()["shards"] <= 3
