"""Where work runs: in this process, or in a local pool of worker processes.

:func:`map_ordered` applies a function to a stream of items and yields the results in input
order whatever ``jobs`` is, so parallel runs give the same output as serial ones. At most
``jobs * 4`` batches are in flight, so memory stays bounded on huge inputs. Workers get the
function's shared state once, through ``initializer``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STATE: dict[str, Any] = {}


def _init(key: str, factory: Callable[[], Any]) -> None:
    _STATE[key] = factory()


def state(key: str) -> Any:
    return _STATE[key]


def share(**values: Any) -> None:
    """Make values available to :func:`state` here and in workers forked after this call.

    Where workers are spawned rather than forked (not Linux), pass what they need through
    ``initializer`` instead."""
    _STATE.update(values)


def _run_batch(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    return [fn(x) for x in batch]


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int = 1,
    batch_size: int = 16,
    initializer: tuple[str, Callable[[], Any]] | None = None,
) -> Iterator[R]:
    """``map(fn, items)`` on ``jobs`` processes, results in input order."""
    if jobs <= 1:
        if initializer:
            _init(*initializer)
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    init_args = initializer or ("", lambda: None)
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init, initargs=init_args) as pool:
        pending: deque[Future[list[R]]] = deque()
        for batch in _batches(items, batch_size):
            pending.append(pool.submit(_run_batch, fn, batch))
            while len(pending) >= jobs * 4:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
