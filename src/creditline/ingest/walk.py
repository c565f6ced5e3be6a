"""Walking input trees: roots, ignore rules, symlinks, special files and size limits.

The walk only decides *which* files to read; it never reads file contents (except
``.gitignore`` files). It yields a :class:`Candidate` for every regular file (symlinks to files
are followed) and a :class:`~creditline.model.Skipped` for everything it will not read:

* ``.git``, ``.hg`` and ``.svn`` are never entered;
* ``.gitignore`` files (at the root and nested ones) are honoured with git's semantics, via
  ``pathspec``: a deeper file can re-include what a shallower one excluded, but nothing inside
  an excluded directory comes back. Parent directories of a root, ``.git/info/exclude`` and
  global excludes are not consulted. Ignored paths are left out silently;
* symlinked directories are followed unless they lead back to a directory on the current path
  (``symlink_loop``); a symlink that resolves to itself is a ``symlink_loop`` too;
* broken symlinks give ``broken_symlink``; FIFOs, sockets and devices ``special_file`` (they are
  never opened: opening a FIFO can block forever); permission and I/O errors ``unreadable``.

Entries are visited in sorted order by name, depth first, so the output is deterministic.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from pathspec import GitIgnoreSpec

from creditline.errors import InputError
from creditline.model import Skipped

log = logging.getLogger(__name__)

STDIN = "-"
VCS_DIRS = frozenset({".git", ".hg", ".svn"})

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_DirKey = tuple[int, int]
_Rules = tuple[tuple[str, GitIgnoreSpec], ...]


@dataclass(frozen=True)
class Limits:
    """How much ingest reads.

    ``size_limit`` is the number of bytes read from one file (or archive member); a larger file
    is scanned up to the limit and also reported as ``too_large``. The ``archive_*`` limits
    guard against archive bombs and apply to a top-level archive together with everything
    nested in it: entry count, total uncompressed bytes read, and ratio of uncompressed to
    compressed bytes. ``archive_max_depth`` is how many levels of archives inside an archive
    are opened: 0 opens none, 2 (the default) reads ``a.zip!/b.zip!/c.tar!/file``.
    """

    size_limit: int = 10 * 1024 * 1024
    archive_max_entries: int = 10_000
    archive_max_total: int = 512 * 1024 * 1024
    archive_max_ratio: float = 200.0
    archive_max_depth: int = 2


class Candidate(NamedTuple):
    """A regular file to read: ``path`` to open, ``rel`` the POSIX path reported for it."""

    path: str
    rel: str


class NotRegularFileError(OSError):
    """The path turned out not to be a regular file when it was opened."""


def check_roots(paths: Sequence[str]) -> None:
    """Raise one :class:`InputError` naming every root that does not exist (``-`` always does)."""
    missing = [p for p in paths if p != STDIN and not os.path.exists(p)]
    if missing:
        names = ", ".join(repr(p) for p in missing)
        raise InputError(f"input path does not exist: {names}", hint="check the paths given")


def walk_root(root: str, *, ignore: bool = True, exclude: Sequence[str] = ()) -> Iterator[Candidate | Skipped]:
    """Yield the files under one root (a directory, or a single file named by its basename).

    ``exclude`` holds gitignore-style patterns, relative to the root, whose matches are left
    out entirely (whatever ``ignore`` says).
    """
    items = _walk_root(root, ignore)
    if not exclude:
        yield from items
        return
    spec = GitIgnoreSpec.from_lines(exclude)
    for item in items:
        rel = item.rel if isinstance(item, Candidate) else item.path
        if not spec.match_file(rel):
            yield item


def _walk_root(root: str, ignore: bool) -> Iterator[Candidate | Skipped]:
    name = os.path.basename(os.path.normpath(root))
    try:
        st = os.stat(root)
    except OSError as err:
        yield Skipped(name, "unreadable", describe(err), root)
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _walk_dir(root, (st.st_dev, st.st_ino), ignore)
    elif stat.S_ISREG(st.st_mode):
        yield Candidate(root, name)
    else:
        yield Skipped(name, "special_file", _kind_of(st.st_mode), root)


def open_regular(path: str) -> tuple[BinaryIO, int]:
    """Open a regular file for reading without blocking; return it with its size.

    Raises :class:`NotRegularFileError` if the path is not (or no longer) a regular file, so a
    FIFO swapped in after the walk saw a file cannot block the scan.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(errno.EINVAL, f"not a regular file ({_kind_of(st.st_mode)})")
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def describe(err: OSError) -> str:
    """A short, stable description of an OS error for ``Skipped.detail``."""
    return err.strerror or type(err).__name__


@dataclass
class _Frame:
    """One directory on the walk stack."""

    path: str
    rel: str
    key: _DirKey
    rules: _Rules
    entries: Iterator[os.DirEntry[str]] = field(default_factory=lambda: iter(()))


def _walk_dir(root: str, key: _DirKey, ignore: bool) -> Iterator[Candidate | Skipped]:
    """Depth-first walk with an explicit stack; ``keys`` holds the directories on the path."""
    top = _Frame(root, "", key, ())
    stack: list[_Frame] = []
    keys: set[_DirKey] = set()
    yield from _enter(top, stack, keys, root, ignore)
    while stack:
        frame = stack[-1]
        entry = next(frame.entries, None)
        if entry is None:
            stack.pop()
            keys.discard(frame.key)
            continue
        yield from _visit(entry, frame, stack, keys, root, ignore)


def _enter(
    frame: _Frame, stack: list[_Frame], keys: set[_DirKey], root: str, ignore: bool
) -> Iterator[Skipped]:
    """List a directory (sorted) and push it; an unlistable directory is ``unreadable``."""
    try:
        with os.scandir(frame.path) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as err:
        yield Skipped(frame.rel or ".", "unreadable", describe(err), root)
        return
    if ignore:
        frame.rules = _with_gitignore(frame, entries)
    frame.entries = iter(entries)
    stack.append(frame)
    keys.add(frame.key)


def _visit(
    entry: os.DirEntry[str], frame: _Frame, stack: list[_Frame], keys: set[_DirKey], root: str,
    ignore: bool,
) -> Iterator[Candidate | Skipped]:
    """Classify one directory entry and yield what it gives (a candidate, a skip, or nothing)."""
    if entry.name in VCS_DIRS:
        return
    rel = f"{frame.rel}/{entry.name}" if frame.rel else entry.name
    kind, detail, key = _classify(entry)
    if _is_ignored(frame.rules, rel, kind == "dir"):
        return
    if kind == "file":
        yield Candidate(entry.path, rel)
    elif kind != "dir":
        yield Skipped(rel, kind, detail, root)
    elif key in keys:
        yield Skipped(rel, "symlink_loop", "leads back to a directory being walked", root)
    else:
        yield from _enter(_Frame(entry.path, rel, key, frame.rules), stack, keys, root, ignore)


def _classify(entry: os.DirEntry[str]) -> tuple[str, str, _DirKey]:
    """Return ``(kind, detail, dir key)``; kind is ``file``, ``dir`` or a skip code."""
    try:
        if entry.is_file(follow_symlinks=False):
            return "file", "", (0, 0)
        st = os.stat(entry.path) if entry.is_symlink() else entry.stat(follow_symlinks=False)
    except OSError as err:
        return _stat_failure(entry, err), describe(err), (0, 0)
    if stat.S_ISDIR(st.st_mode):
        return "dir", "", (st.st_dev, st.st_ino)
    if stat.S_ISREG(st.st_mode):
        return "file", "", (0, 0)
    return "special_file", _kind_of(st.st_mode), (0, 0)


def _stat_failure(entry: os.DirEntry[str], err: OSError) -> str:
    """The skip code for an entry that cannot be stat'ed."""
    if err.errno == errno.ELOOP:
        return "symlink_loop"
    if isinstance(err, FileNotFoundError) and entry.is_symlink():
        return "broken_symlink"
    return "unreadable"  # permission denied, I/O error, or vanished during the walk


def _kind_of(mode: int) -> str:
    """Name the file type of a non-regular ``st_mode``."""
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"


def _with_gitignore(frame: _Frame, entries: list[os.DirEntry[str]]) -> _Rules:
    """The rules in force inside ``frame``: its parent's plus its own ``.gitignore``, if any."""
    for entry in entries:
        if entry.name == ".gitignore" and entry.is_file():
            spec = _load_gitignore(entry.path)
            if spec is not None:
                return (*frame.rules, (frame.rel, spec))
    return frame.rules


def _load_gitignore(path: str) -> GitIgnoreSpec | None:
    """Parse one ``.gitignore``; an unreadable or malformed one is ignored (and logged)."""
    try:
        with open(path, "rb") as fh:
            lines = fh.read(1024 * 1024).decode("utf-8", "replace").splitlines()
        return GitIgnoreSpec.from_lines(lines)
    except (OSError, ValueError) as err:
        log.debug("ignoring unusable %s: %s", path, err)
        return None


def _is_ignored(rules: _Rules, rel: str, is_dir: bool) -> bool:
    """Git's verdict for ``rel``: the last matching pattern, deepest ``.gitignore`` last, wins."""
    verdict: bool | None = None
    for base, spec in rules:
        sub = rel[len(base) + 1:] if base else rel
        result = spec.check_file(sub + "/" if is_dir else sub)
        if result.include is not None:
            verdict = result.include
    return bool(verdict)
