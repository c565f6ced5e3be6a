"""Where work runs: in this process, or in a local pool of worker processes.

:func:`map_ordered` applies a function to a stream of items and yields the results in input
order whatever ``jobs`` is, so parallel runs give the same output as serial ones. At most
``jobs * 4`` batches are in flight (``in_flight``), so memory stays bounded on huge inputs.
Workers get the function's shared state once, through ``initializer``.

Memory: the workers are started before the first item is read, so a forked worker shares only
the parent's start-up state, not the data the parent reads. After each batch a worker hands the
memory its allocator keeps but no longer uses back to the system once more than
``TRIM_MIN_FREE`` of it is free (:func:`release_memory`): glibc's malloc keeps freed blocks of
large temporary arrays mapped, and a worker scanning batch after batch would otherwise grow by
the largest batch's temporaries, several times over. Below that it keeps them: the next batch
reuses them, where memory handed back would have to be faulted in again page by page (trimming
after every batch cost a tenth of an audit's CPU time in the kernel).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import sys
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


def _libc_function(name: str, argtypes: list[Any], restype: Any) -> Any:
    """The C library's function ``name`` with its signature set, or None where it has none
    (not Linux, musl, an older glibc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = argtypes
    function.restype = restype
    return function


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows)."""
    return _libc_function("malloc_trim", [ctypes.c_size_t], ctypes.c_int)  # type: ignore[no-any-return]


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _find_mallinfo2() -> Callable[[], _MallInfo2] | None:
    """glibc's ``mallinfo2`` (glibc 2.33 and later), or None."""
    return _libc_function("mallinfo2", [], _MallInfo2)  # type: ignore[no-any-return]


_MALLOC_TRIM = _find_malloc_trim()
_MALLINFO2 = _find_mallinfo2()
TRIM_MIN_FREE = 64 << 20  # after a batch, freed heap beyond this goes back to the system


def free_heap() -> int | None:
    """Bytes of heap this process's allocator holds free (glibc's ``mallinfo2``), or None
    where the C library cannot tell."""
    return int(_MALLINFO2().fordblks) if _MALLINFO2 is not None else None


def release_memory(min_free: int = 0) -> bool:
    """Return the heap memory this process has freed to the operating system (glibc's
    ``malloc_trim(0)``) when more than ``min_free`` bytes of it are free (always where that
    cannot be told); True when some was returned, False when there was none, too little to
    bother or the C library cannot do it. Costs about a millisecond per hundred megabytes of
    heap, plus a page fault per page when the memory is used again."""
    if _MALLOC_TRIM is None:
        return False
    if min_free > 0:
        free = free_heap()
        if free is not None and free <= min_free:
            return False
    return bool(_MALLOC_TRIM(0))


def _run_batch(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    try:
        return [fn(x) for x in batch]
    finally:
        release_memory(TRIM_MIN_FREE)


def _started() -> None:
    """Run once in the pool so that its workers start (fork) before the first item is read."""


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
    in_flight: int | None = None,
    initializer: tuple[str, Callable[[], Any]] | None = None,
    parent_works: bool = False,
) -> Iterator[R]:
    """``map(fn, items)`` on ``jobs`` processes, results in input order; at most ``in_flight``
    batches (default ``jobs * 4``) handed out and not yet yielded.

    With ``parent_works``, this process is one of the ``jobs``: it starts ``jobs - 1`` workers and,
    whenever each of them has a batch running and two waiting, runs the next batch itself
    instead of queueing it. A parent that only reads the input and orders the results is idle
    most of the time; this way it scans too, and the run needs one worker (its memory) fewer.
    It reads up to ``3 * (jobs - 1)`` batches ahead, so that it sees the end of the input coming:
    the last batches are then shared so that both sides finish together (otherwise the parent
    would wait, idle, for the batches queued in the workers when the input ran out)."""
    if jobs <= 1:
        if initializer:
            _init(*initializer)
        yield from map(fn, items)
        return
    workers = jobs - 1 if parent_works else jobs
    limit = max(jobs, in_flight if in_flight is not None else jobs * 4)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    init_args = initializer or ("", lambda: None)
    if parent_works and initializer and ctx.get_start_method() == "fork":
        _init(*initializer)  # once, here: the forked workers inherit it (their initializer finds it)
    # what exists now (modules, the license index) lives as long as the run: no collection needs
    # to look at it again, and forked workers then never write to its pages (they stay shared)
    gc.freeze()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init, initargs=init_args) as pool:
        pool.submit(_started)  # forks every worker now, while this process holds no items yet
        pending: deque[Future[list[R]] | list[R]] = deque()
        for batch, left in _ahead(_batches(items, batch_size), 3 * workers if parent_works else 0):
            queued = _queued(pending) if parent_works else 0
            # near the end (``left`` batches known to follow), the parent keeps what the workers
            # would finish after it: they already hold ``queued`` batches
            if parent_works and (queued >= 3 * workers or (left is not None and queued >= workers * left)):
                if initializer and initializer[0] not in _STATE:
                    _init(*initializer)  # spawned workers: this process needs its own on its first batch
                pending.append(_run_batch(fn, batch))
            else:
                pending.append(pool.submit(_run_batch, fn, batch))
            while pending and (len(pending) >= limit or _ready(pending[0])):
                yield from _result(pending.popleft())
        while pending:
            yield from _result(pending.popleft())


def _ahead(batches: Iterator[list[T]], lookahead: int) -> Iterator[tuple[list[T], int | None]]:
    """Each batch with how many follow it, once the input's end is within ``lookahead`` batches
    (None before that): the next ``lookahead`` batches are read before each is handed on."""
    window: deque[list[T]] = deque()
    for batch in batches:
        window.append(batch)
        if len(window) > lookahead:
            yield window.popleft(), None
    while window:
        yield window.popleft(), len(window)


def _queued(pending: deque[Future[list[R]] | list[R]]) -> int:
    """Batches handed to workers and not finished."""
    return sum(1 for p in pending if isinstance(p, Future) and not p.done())


def _ready(entry: Future[list[R]] | list[R]) -> bool:
    return not isinstance(entry, Future) or entry.done()


def _result(entry: Future[list[R]] | list[R]) -> list[R]:
    return entry.result() if isinstance(entry, Future) else entry
