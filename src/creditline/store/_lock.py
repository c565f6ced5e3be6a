"""The single-writer lock: an exclusive, non-blocking lock on ``<catalog>/writer.lock``.

POSIX uses ``fcntl.flock`` (held per open file, so a second writer in the *same* process is
refused too); Windows uses ``msvcrt.locking`` on the first byte. The operating system drops
the lock when the holder exits or is killed, so a crashed writer never leaves the catalog
locked. The lock file is never deleted (deleting it would let two writers lock different
files); after locking, the holder writes its pid there so that the refusal can name it.
"""

from __future__ import annotations

import os
from pathlib import Path

from creditline.errors import CatalogLockedError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


class WriterLock:
    """Exclusive lock on one catalog; ``acquire`` refuses at once when it is held."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise CatalogLockedError naming the holder's pid."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            raise CatalogLockedError(
                f"catalog {self.path.parent} is being written by another writer{_holder(self.path)}",
                hint="wait for the other `creditline index` to finish; readers are not affected",
            )
        self._fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))

    def release(self) -> None:
        """Drop the lock (closing the file releases it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
