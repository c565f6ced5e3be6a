"""Outputs that appear whole or not at all: a temporary file beside the destination, made
durable and renamed over it only when it is complete."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from creditline.errors import InputError


def public_mode() -> int:
    """The mode a new file gets from ``open``: 0666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def temp_beside(dest: str | Path) -> tuple[int, Path]:
    """(fd, path) of a new temporary file in ``dest``'s directory, with an ordinary file's mode
    (mkstemp makes 0600); InputError when the directory cannot be written."""
    dest = Path(dest)
    try:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as err:
        raise InputError(f"cannot write {str(dest)!r}: {err.strerror or err}",
                         hint="check that the output directory exists and is writable") from err
    os.fchmod(fd, public_mode())
    return fd, Path(tmp)


def publish(tmp: Path, dest: str | Path) -> None:
    """Flush ``tmp`` to disk and rename it over ``dest`` (atomic on one file system)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, dest)


class AtomicOutput:
    """A writer used as ``with writer:``: :meth:`open` on entry, :meth:`commit` on a normal
    exit, :meth:`abort` when the block raises (subclasses implement the three)."""

    def open(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
