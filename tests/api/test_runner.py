"""runner.map_ordered: order, bounded work in flight, workers started before the input is read,
the parent taking its share of the batches, and handing freed memory back."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Iterator

import pytest

from creditline import runner


def _slow_square(x: int) -> tuple[int, int]:
    time.sleep(0.002)
    return x * x, os.getpid()


def test_results_keep_input_order_and_match_serial() -> None:
    serial = [r for r, _ in runner.map_ordered(_slow_square, range(120), jobs=1)]
    parallel = [r for r, _ in runner.map_ordered(_slow_square, range(120), jobs=2, batch_size=5)]
    helped = [r for r, _ in runner.map_ordered(_slow_square, range(120), jobs=3, batch_size=5, parent_works=True)]
    assert serial == parallel == helped == [x * x for x in range(120)]


def test_workers_start_before_the_first_item_is_read() -> None:
    children_at_first_item: list[int] = []

    def items() -> Iterator[int]:
        children_at_first_item.append(len(multiprocessing.active_children()))
        yield from range(10)

    assert len(list(runner.map_ordered(_slow_square, items(), jobs=2, batch_size=2))) == 10
    assert children_at_first_item == [2]


def test_work_in_flight_is_bounded() -> None:
    read = 0
    most_ahead = 0

    def items() -> Iterator[int]:
        nonlocal read
        for x in range(200):
            read += 1
            yield x

    for done, _ in enumerate(runner.map_ordered(_slow_square, items(), jobs=2, batch_size=4, in_flight=3), 1):
        most_ahead = max(most_ahead, read - done)
    assert most_ahead <= 3 * 4 + 4  # the batches in flight and the one being gathered


def test_parent_works_runs_one_worker_fewer_and_takes_batches_itself() -> None:
    parent = os.getpid()
    pids = [pid for _, pid in runner.map_ordered(_slow_square, range(200), jobs=2, batch_size=4,
                                                 parent_works=True)]
    workers = set(pids) - {parent}
    assert len(workers) == 1
    assert parent in pids  # the worker had enough queued, so the parent scanned some batches


def test_parent_works_keeps_the_last_batches_and_sees_the_end_coming() -> None:
    # the parent reads 3 batches ahead: near the end it keeps what the worker would finish after
    # it (here, at least the last batch) instead of waiting idle for the worker's queue
    parent = os.getpid()
    got = list(runner.map_ordered(_slow_square, range(100), jobs=2, batch_size=4, parent_works=True))
    assert [r for r, _ in got] == [x * x for x in range(100)]
    assert {pid for _, pid in got[-4:]} == {parent}
    assert list(runner._ahead(iter([[1], [2], [3], [4], [5]]), 2)) == [([1], None), ([2], None), ([3], None),
                                                                        ([4], 1), ([5], 0)]
    assert list(runner._ahead(iter([[1], [2]]), 0)) == [([1], None), ([2], None)]


def test_parent_works_runs_the_initializer_here_too() -> None:
    got = list(runner.map_ordered(_state_value, range(40), jobs=2, batch_size=2, parent_works=True,
                                  initializer=("value", lambda: 7)))
    assert got == [7] * 40
    assert runner.state("value") == 7


def test_parent_works_initializes_once_before_forking_and_the_worker_inherits_it() -> None:
    calls = []

    def factory() -> int:
        calls.append(os.getpid())
        return 5

    got = list(runner.map_ordered(_state_value_and_pid, range(4), jobs=2, batch_size=2, parent_works=True,
                                  initializer=("inherited", factory)))
    assert [v for v, _ in got] == [5, 5, 5, 5]
    assert {pid for _, pid in got} != {os.getpid()}  # the worker took batches and found the value
    assert calls == [os.getpid()]  # made here; the worker's own call happened in the worker (not seen here)


def _state_value_and_pid(_: int) -> tuple[int, int]:
    time.sleep(0.002)
    return int(runner.state("inherited")), os.getpid()


def _state_value(_: int) -> int:
    time.sleep(0.002)
    return int(runner.state("value"))


def test_release_memory_is_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_MALLOC_TRIM", None)
    assert runner.release_memory() is False
    monkeypatch.setattr(sys, "platform", "darwin")
    assert runner._find_malloc_trim() is None
    assert runner._find_mallinfo2() is None


@pytest.mark.skipif(runner._MALLOC_TRIM is None, reason="glibc's malloc_trim is only on Linux with glibc")
def test_release_memory_returns_freed_heap_to_the_system() -> None:
    blocks = [bytearray(4000) for _ in range(20_000)]  # ~80 MB of heap in blocks under the mmap threshold
    keep = blocks[-1]
    del blocks
    assert runner.release_memory() is True  # the freed blocks below the last one were handed back
    assert len(keep) == 4000


@pytest.mark.skipif(runner._MALLINFO2 is None, reason="glibc's mallinfo2 is only in glibc 2.33 and later")
def test_release_memory_keeps_a_little_free_heap_for_the_next_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(runner, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)
    blocks = [bytearray(4000) for _ in range(20_000)]  # ~80 MB of heap in blocks under the mmap threshold
    keep = blocks[-1]
    del blocks
    free = runner.free_heap()
    assert free is not None and free > 60_000_000
    assert runner.release_memory(min_free=free + 1) is False and calls == []  # not enough free to bother
    assert runner.release_memory(min_free=free // 2) is True and calls == [0]
    assert len(keep) == 4000


def test_release_memory_trims_when_the_free_heap_cannot_be_told(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(runner, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)
    monkeypatch.setattr(runner, "_MALLINFO2", None)
    assert runner.free_heap() is None
    assert runner.release_memory(min_free=1 << 40) is True and calls == [0]
