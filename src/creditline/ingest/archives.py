"""Zip and tar archives, read in memory with bomb limits.

Archives are recognised by content, not by name: zip by its local-header magic, tar by a
valid header block, and gzip/bzip2/xz-compressed tar by decompressing the first block. Nothing
is ever extracted or written: members are read into memory, in chunks, one at a time. A member
is reported as ``archive.zip!/inner/path``; nested archives chain (``a.zip!/b.tar.gz!/c.txt``).

What is skipped, and with which code:

* names that are absolute or contain a ``..`` component: ``unsafe_path`` (reported only);
* symlinks, hardlinks, devices and FIFOs stored in an archive: ``special_file``;
* encrypted members or unsupported compression methods: ``unreadable``;
* archives that cannot be read, or stop early: ``corrupt_archive`` (members already yielded
  stay yielded);
* bomb limits (:class:`~creditline.ingest.walk.Limits`): ``archive_limit``, whose detail names
  the limit. The limits are shared by a top-level archive and all archives nested in it.
  Passing ``archive_max_entries`` or ``archive_max_total`` stops the whole top-level archive; a
  zip whose directory already declares too many entries is not read at all. The ratio limit is
  checked per member for zip (declared sizes first, then while reading; a member over it is
  skipped alone) and over the whole compressed stream for tar (which then stops). Ratios are
  only enforced once more than 1 MiB has come out, so small, very repetitive files pass.
  Archives nested deeper than ``archive_max_depth`` give ``archive_limit`` too.
"""

from __future__ import annotations

import bz2
import io
import lzma
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from creditline.ingest.decode import document_items
from creditline.ingest.walk import Limits
from creditline.model import Document, Skipped

HEAD_BYTES = 64 * 1024
"""How much of an item is read before deciding whether it is an archive."""

RATIO_MIN_BYTES = 1024 * 1024
"""Ratios are not enforced below this many uncompressed bytes."""

_CHUNK = 64 * 1024
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
_FORMAT_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError,
    ValueError, struct.error, IndexError,
)

Item = Document | Skipped


class _LimitExceeded(Exception):
    """A limit that stops the whole top-level archive; carries the entry to report."""

    def __init__(self, skipped: Skipped) -> None:
        super().__init__(skipped.detail)
        self.skipped = skipped


class _RatioExceeded(Exception):
    """A zip member produced more than its ratio allows."""


@dataclass
class _Budget:
    """What a top-level archive (with everything nested in it) has used so far."""

    entries: int = 0
    total: int = 0


class _CountingReader(io.RawIOBase):
    """Wraps the compressed source of a tar stream and counts the bytes taken from it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


@dataclass
class _Ctx:
    """One archive being read: where it is, the shared budget, and its own counters."""

    path: str
    root: str
    limits: Limits
    depth: int
    budget: _Budget
    source: _CountingReader | None = None  # tar only: for the stream-wide ratio
    produced: int = 0


@dataclass(frozen=True)
class _Member:
    """An archive entry, whatever the format: ``kind`` is ``file``, ``dir`` or ``special``."""

    name: str
    kind: str
    size: int
    packed: int | None
    open: Callable[[], BinaryIO]


def archive_kind(head: bytes, name: str = "") -> str | None:
    """``"zip"`` or ``"tar"`` if ``head`` (the first bytes of an item) starts an archive, else None.

    Compressed data (gzip, bzip2, xz) is a tar when its first decompressed block is a tar
    header; when too little decompresses to tell, the item's ``name`` decides.
    """
    if head.startswith(_ZIP_MAGICS):
        return "zip"
    if _is_tar_header(head[:512]):
        return "tar"
    probe = _probe_compressed(head)
    if probe is None:
        return None
    if len(probe) >= 512:
        return "tar" if _is_tar_header(probe[:512]) else None
    return "tar" if name.lower().endswith(_TAR_SUFFIXES) else None


def _is_tar_header(block: bytes) -> bool:
    """True for a ustar header, or an old-style header whose checksum adds up."""
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    field = block[148:156].replace(b"\x00", b" ").strip()
    if not field or b"\x00" not in block or not all(48 <= c <= 55 for c in field):
        return False
    return int(field, 8) == sum(block[:148]) + 256 + sum(block[156:])


def _probe_compressed(head: bytes) -> bytes | None:
    """Up to 512 decompressed bytes if ``head`` starts a gzip/bzip2/xz stream, else None."""
    try:
        if head.startswith(b"\x1f\x8b"):
            return zlib.decompressobj(wbits=31).decompress(head, 512)
        if head.startswith(b"BZh"):
            return bz2.BZ2Decompressor().decompress(head, max_length=512)
        if head.startswith(b"\xfd7zXZ\x00"):
            return lzma.LZMADecompressor().decompress(head, max_length=512)
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError):
        return None
    return None


def read_archive(fileobj: BinaryIO, kind: str, *, path: str, root: str, limits: Limits) -> Iterator[Item]:
    """Yield the documents and skips of a top-level archive read from ``fileobj``.

    ``fileobj`` must be seekable for zip. ``path`` names the archive itself.
    """
    yield from _archive_items(fileobj, kind, _Ctx(path, root, limits, 0, _Budget()))


def _archive_items(fileobj: BinaryIO, kind: str, ctx: _Ctx) -> Iterator[Item]:
    """Open and walk one archive; limits stop here only at the top level."""
    try:
        members = _open(fileobj, kind, ctx)
        yield from _iter_members(members, ctx)
    except _LimitExceeded as exc:
        if ctx.depth > 0:
            raise
        yield exc.skipped
    except _FORMAT_ERRORS as err:
        yield Skipped(ctx.path, "corrupt_archive", _describe(err), ctx.root)


def _open(fileobj: BinaryIO, kind: str, ctx: _Ctx) -> Iterator[_Member]:
    """Open the archive eagerly (so format errors surface here) and return its members."""
    if kind == "zip":
        declared = _zip_declared_entries(fileobj)
        if declared is not None and declared > ctx.limits.archive_max_entries:
            raise _LimitExceeded(_entries_skip(ctx, declared))
        fileobj.seek(0)
        return _zip_members(zipfile.ZipFile(fileobj))
    ctx.source = _CountingReader(fileobj)
    return _tar_members(tarfile.open(fileobj=ctx.source, mode="r|*"))  # type: ignore[call-overload]


def _zip_declared_entries(fileobj: BinaryIO) -> int | None:
    """The entry count in the zip's end-of-central-directory record, before parsing it all."""
    fileobj.seek(0, io.SEEK_END)
    end = fileobj.tell()
    fileobj.seek(max(0, end - 22 - 65535))
    tail = fileobj.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    total = int.from_bytes(tail[at + 10:at + 12], "little")
    return None if total == 0xFFFF else total


def _zip_members(zf: zipfile.ZipFile) -> Iterator[_Member]:
    """The entries of a zip in directory order."""
    with zf:
        for info in zf.infolist():
            mode = info.external_attr >> 16
            special = stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR)
            kind = "dir" if info.is_dir() else "special" if special else "file"
            yield _Member(info.filename, kind, info.file_size, info.compress_size,
                          lambda info=info: zf.open(info))  # type: ignore[misc]


def _tar_members(tf: tarfile.TarFile) -> Iterator[_Member]:
    """The entries of a tar, streamed: each must be read before the next is requested."""
    with tf:
        for info in tf:
            kind = "dir" if info.isdir() else "file" if info.isreg() else "special"
            yield _Member(info.name, kind, info.size, None,
                          lambda info=info: tf.extractfile(info))  # type: ignore[misc]


def _iter_members(members: Iterator[_Member], ctx: _Ctx) -> Iterator[Item]:
    """Count, vet and read every member."""
    for member in members:
        ctx.budget.entries += 1
        if ctx.budget.entries > ctx.limits.archive_max_entries:
            raise _LimitExceeded(_entries_skip(ctx, ctx.budget.entries))
        if member.kind == "dir":
            continue
        if is_unsafe_name(member.name):
            yield Skipped(f"{ctx.path}!/{member.name}", "unsafe_path", "absolute or '..' path", ctx.root)
            continue
        path = f"{ctx.path}!/{clean_name(member.name)}"
        if member.kind == "special":
            yield Skipped(path, "special_file", "link or device entry", ctx.root)
            continue
        yield from _member_items(member, path, ctx)


def is_unsafe_name(name: str) -> bool:
    """True for member names that would escape an extraction directory."""
    posix = name.replace("\\", "/")
    absolute = posix.startswith("/") or (len(posix) > 1 and posix[1] == ":")
    return absolute or ".." in posix.split("/")


def clean_name(name: str) -> str:
    """A safe member name without empty or ``.`` components (``./a//b`` -> ``a/b``)."""
    return "/".join(part for part in name.replace("\\", "/").split("/") if part not in ("", "."))


def _member_items(member: _Member, path: str, ctx: _Ctx) -> Iterator[Item]:
    """Read one member: a nested archive is recursed into, anything else becomes a document."""
    cap = _ratio_cap(member, ctx.limits)
    if cap is not None and member.size > cap:
        yield _ratio_skip(path, ctx, f"declares {member.size} bytes from {member.packed}")
        return
    try:
        data, kind = _read_member(member, ctx, cap)
    except _RatioExceeded:
        yield _ratio_skip(path, ctx, "produced more than declared")
        return
    except (RuntimeError, NotImplementedError) as err:  # encrypted, unsupported compression
        yield Skipped(path, "unreadable", str(err), ctx.root)
        return
    if kind is not None:
        yield from _nested(data, kind, path, ctx)
        return
    limit = ctx.limits.size_limit
    yield from document_items(data[:limit], path=path, root=ctx.root, size=member.size,
                              truncated=len(data) > limit)


def _read_member(member: _Member, ctx: _Ctx, cap: int | None) -> tuple[bytes, str | None]:
    """The member's bytes and archive kind: all of it for an archive, else up to the size limit + 1."""
    with member.open() as fh:
        head = _read(fh, HEAD_BYTES, ctx, cap)
        kind = archive_kind(head, member.name)
        if kind is not None and ctx.depth >= ctx.limits.archive_max_depth:
            return head, kind  # too deep: _nested reports it without reading the rest
        want = None if kind is not None else ctx.limits.size_limit + 1 - len(head)
        return head + _read(fh, want, ctx, cap, len(head)), kind


def _nested(data: bytes, kind: str, path: str, ctx: _Ctx) -> Iterator[Item]:
    """Read an archive found inside an archive, if nesting is still allowed."""
    if ctx.depth + 1 > ctx.limits.archive_max_depth:
        detail = f"archive_max_depth: nested deeper than {ctx.limits.archive_max_depth}"
        yield Skipped(path, "archive_limit", detail, ctx.root)
        return
    inner = _Ctx(path, ctx.root, ctx.limits, ctx.depth + 1, ctx.budget)
    yield from _archive_items(io.BytesIO(data), kind, inner)


def _read(fh: BinaryIO, want: int | None, ctx: _Ctx, cap: int | None, done: int = 0) -> bytes:
    """Read up to ``want`` bytes (None: to the end) in chunks, enforcing every limit as it goes.

    ``done`` is what was already read from this member (for its ratio cap).
    """
    chunks: list[bytes] = []
    got = 0
    while want is None or got < want:
        chunk = fh.read(_CHUNK if want is None else min(_CHUNK, want - got))
        if not chunk:
            break
        got += len(chunk)
        _account(len(chunk), ctx)
        if cap is not None and done + got > cap:
            raise _RatioExceeded()
        chunks.append(chunk)
    return b"".join(chunks)


def _account(n: int, ctx: _Ctx) -> None:
    """Charge ``n`` uncompressed bytes to the budget; raise when a stopping limit is passed."""
    limits = ctx.limits
    ctx.budget.total += n
    ctx.produced += n
    if ctx.budget.total > limits.archive_max_total:
        detail = f"archive_max_total: more than {limits.archive_max_total} bytes uncompressed"
        raise _LimitExceeded(Skipped(ctx.path, "archive_limit", detail, ctx.root))
    if ctx.source is not None and ctx.produced > max(RATIO_MIN_BYTES, limits.archive_max_ratio * ctx.source.count):
        detail = f"archive_max_ratio: over {limits.archive_max_ratio:g} times the compressed size"
        raise _LimitExceeded(Skipped(ctx.path, "archive_limit", detail, ctx.root))


def _ratio_cap(member: _Member, limits: Limits) -> int | None:
    """The most bytes a zip member may produce, from its compressed size (None for tar)."""
    if member.packed is None:
        return None
    return max(RATIO_MIN_BYTES, int(limits.archive_max_ratio * member.packed))


def _ratio_skip(path: str, ctx: _Ctx, why: str) -> Skipped:
    detail = f"archive_max_ratio: {why}, over {ctx.limits.archive_max_ratio:g} times"
    return Skipped(path, "archive_limit", detail, ctx.root)


def _entries_skip(ctx: _Ctx, count: int) -> Skipped:
    detail = f"archive_max_entries: {count} entries, more than {ctx.limits.archive_max_entries}"
    return Skipped(ctx.path, "archive_limit", detail, ctx.root)


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
