"""Ingest: the only code that reads inputs.

:func:`iter_documents` turns paths (directories, files, archives, ``-`` for stdin) into a stream
of :class:`~creditline.model.Document` and :class:`~creditline.model.Skipped`. One bad item
never stops the stream: it becomes a ``Skipped`` with a code from
:data:`creditline.model.SKIP_CODES`. Only roots that do not exist raise
(:class:`~creditline.errors.InputError`, before anything is read); ``KeyboardInterrupt`` always
propagates.

Paths: ``Document.root`` is the argument as given; ``Document.path`` is POSIX, relative to a
directory root, the file's name for a file root, ``-`` for stdin, and ``archive.zip!/inner``
inside archives. See :mod:`.walk` (trees, ignore rules, symlinks), :mod:`.archives` (zip/tar
and bomb limits) and :mod:`.decode` (binary sniffing, encodings, newlines).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from typing import BinaryIO, NamedTuple

from creditline.ingest.archives import HEAD_BYTES, archive_kind, read_archive
from creditline.ingest.decode import decode, document_items, sniff_binary
from creditline.ingest.walk import (
    STDIN,
    Candidate,
    Limits,
    NotRegularFileError,
    check_roots,
    describe,
    open_regular,
    walk_root,
)
from creditline.model import Document, Skipped

__all__ = ["FileRef", "Limits", "count_candidates", "decode", "iter_documents", "iter_work", "read_ref",
           "sniff_binary"]

log = logging.getLogger(__name__)

_DEFAULT_LIMITS = Limits()


def iter_documents(
    paths: Sequence[str], *, ignore: bool = True, limits: Limits = _DEFAULT_LIMITS,
    stdin: BinaryIO | None = None, exclude: Sequence[str] = (),
) -> Iterator[Document | Skipped]:
    """Read every input under ``paths``, in order, as documents and skips.

    Every root is checked first: if any does not exist, :class:`InputError` names them all and
    nothing is read (this check runs at call time, not on the first ``next()``). ``ignore=False``
    disregards ``.gitignore`` files. ``stdin`` is read for ``-`` (default ``sys.stdin.buffer``).
    ``exclude`` holds gitignore-style patterns, relative to each root, left out entirely.
    """
    check_roots(paths)
    return _iter_roots(list(paths), ignore, limits, stdin, tuple(exclude))


def count_candidates(paths: Sequence[str], *, ignore: bool = True, exclude: Sequence[str] = ()) -> int:
    """How many files :func:`iter_documents` will open (a progress total); an archive counts as 1.

    Nothing is read except ``.gitignore`` files; skipped entries (broken symlinks, special
    files...) are not counted. Missing roots raise :class:`InputError` as in iter_documents.
    """
    check_roots(paths)
    count = 0
    for root in paths:
        if root == STDIN:
            count += 1
            continue
        count += sum(1 for item in walk_root(root, ignore=ignore, exclude=exclude) if isinstance(item, Candidate))
    return count


class FileRef(NamedTuple):
    """A file to read later, possibly in another process: see :func:`iter_work`."""

    path: str
    rel: str
    root: str


def iter_work(
    paths: Sequence[str], *, ignore: bool = True, limits: Limits = _DEFAULT_LIMITS,
    stdin: BinaryIO | None = None, exclude: Sequence[str] = (),
) -> Iterator[FileRef | Document | Skipped]:
    """Like :func:`iter_documents`, but regular files come as :class:`FileRef` to be read with
    :func:`read_ref` where the work runs (a worker process reads its own files)."""
    check_roots(paths)
    return _iter_work(list(paths), ignore, limits, stdin, tuple(exclude))


def _iter_work(
    paths: list[str], ignore: bool, limits: Limits, stdin: BinaryIO | None, exclude: tuple[str, ...]
) -> Iterator[FileRef | Document | Skipped]:
    for root in paths:
        if root == STDIN:
            yield from _stdin_items(stdin if stdin is not None else sys.stdin.buffer, limits)
            continue
        for item in walk_root(root, ignore=ignore, exclude=exclude):
            yield FileRef(item.path, item.rel, root) if isinstance(item, Candidate) else item


def read_ref(ref: FileRef, limits: Limits = _DEFAULT_LIMITS) -> list[Document | Skipped]:
    """Read one file (an archive gives all its members); never raises for a bad file."""
    return list(_guarded(Candidate(ref.path, ref.rel), ref.root, limits))


def _iter_roots(
    paths: list[str], ignore: bool, limits: Limits, stdin: BinaryIO | None, exclude: tuple[str, ...] = ()
) -> Iterator[Document | Skipped]:
    """The generator behind :func:`iter_documents`."""
    for root in paths:
        if root == STDIN:
            yield from _stdin_items(stdin if stdin is not None else sys.stdin.buffer, limits)
            continue
        for item in walk_root(root, ignore=ignore, exclude=exclude):
            if isinstance(item, Candidate):
                yield from _guarded(item, root, limits)
            else:
                yield item


def _guarded(cand: Candidate, root: str, limits: Limits) -> Iterator[Document | Skipped]:
    """Read one file; an unexpected error becomes an ``unreadable`` entry instead of a crash."""
    try:
        yield from _file_items(cand, root, limits)
    except Exception as err:  # noqa: BLE001 - one bad item must never abort the run
        log.warning("unexpected error reading %s", cand.path, exc_info=True)
        yield Skipped(cand.rel, "unreadable", f"internal error: {type(err).__name__}: {err}", root)


def _file_items(cand: Candidate, root: str, limits: Limits) -> Iterator[Document | Skipped]:
    """Open one regular file and hand it to the archive reader or the decoder."""
    try:
        fh, size = open_regular(cand.path)
    except NotRegularFileError as err:
        yield Skipped(cand.rel, "special_file", describe(err), root)
        return
    except OSError as err:
        yield Skipped(cand.rel, "unreadable", describe(err), root)
        return
    with fh:
        try:
            head = fh.read(HEAD_BYTES)
            kind = archive_kind(head, cand.rel)
            data = head if kind is not None else _read_rest(fh, head, limits.size_limit)
        except OSError as err:
            yield Skipped(cand.rel, "unreadable", describe(err), root)
            return
        if kind is not None:
            fh.seek(0)
            yield from read_archive(fh, kind, path=cand.rel, root=root, limits=limits)
            return
    yield from _documents(data, cand.rel, root, size, limits)


def _read_rest(fh: BinaryIO, head: bytes, size_limit: int) -> bytes:
    """``head`` plus the rest of the file, up to one byte past the size limit."""
    if len(head) < HEAD_BYTES:
        return head
    return head + fh.read(max(0, size_limit + 1 - len(head)))


def _documents(data: bytes, path: str, root: str, size: int, limits: Limits) -> list[Document | Skipped]:
    """Decode what was read (at most ``size_limit`` bytes of it)."""
    limit = limits.size_limit
    truncated = len(data) > limit
    return document_items(data[:limit], path=path, root=root, size=max(size, len(data)), truncated=truncated)


def _stdin_items(stream: BinaryIO, limits: Limits) -> Iterator[Document | Skipped]:
    """Read standard input as one document named ``-`` (never as an archive).

    Input past the size limit is read and discarded so ``size`` is the true length.
    """
    try:
        data = stream.read(limits.size_limit + 1)
        size = len(data)
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
    except OSError as err:
        yield Skipped(STDIN, "unreadable", describe(err), STDIN)
        return
    yield from _documents(data, STDIN, STDIN, size, limits)
