"""Helpers for the ingest bad-input matrix: run ingest and build archives in memory."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from creditline.ingest import Limits, iter_documents
from creditline.model import Document, Skipped

Item = Document | Skipped


@pytest.fixture
def scan() -> Callable[..., list[Item]]:
    """``scan(*paths, **kwargs)``: everything iter_documents yields, as a list."""

    def run(*paths: str | Path, **kwargs: object) -> list[Item]:
        return list(iter_documents([str(p) for p in paths], **kwargs))  # type: ignore[arg-type]

    return run


def docs(items: Sequence[Item]) -> dict[str, Document]:
    return {i.path: i for i in items if isinstance(i, Document)}


def skips(items: Sequence[Item]) -> dict[str, Skipped]:
    return {i.path: i for i in items if isinstance(i, Skipped)}


def codes(items: Sequence[Item]) -> list[tuple[str, str]]:
    """``(path, code)`` of every Skipped, in order."""
    return [(i.path, i.code) for i in items if isinstance(i, Skipped)]


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes], *, mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tar_link_bytes(kind: bytes, name: str, target: str) -> bytes:
    """A tar with one link (``tarfile.SYMTYPE``/``LNKTYPE``) or device entry and one file."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        tf.addfile(info)
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 3
        tf.addfile(ok, io.BytesIO(b"ok\n"))
    return buf.getvalue()


@pytest.fixture
def small_limits() -> Limits:
    return Limits(size_limit=1000, archive_max_entries=10, archive_max_total=10_000)


@pytest.fixture
def h() -> Any:
    """The helpers above, by name (importing from a conftest.py is fragile across layouts)."""
    return SimpleNamespace(docs=docs, skips=skips, codes=codes, zip_bytes=zip_bytes,
                           tar_bytes=tar_bytes, tar_link_bytes=tar_link_bytes)
