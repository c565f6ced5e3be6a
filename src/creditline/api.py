"""The one Python API: every user action is one function here.

The CLI and the web app call these functions and only format what they return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import BinaryIO

from creditline import __version__, runner
from creditline.core import spdx
from creditline.core.credit import credit_line
from creditline.core.detect import detect_licenses, known_expression
from creditline.core.filescan import file_license, scan_document
from creditline.core.licindex import LicenseIndex
from creditline.core.obligations import obligations_for_expression
from creditline.core.summary import summarize_root
from creditline.errors import InputError
from creditline.ingest import FileRef, Limits, count_candidates, iter_work, read_ref
from creditline.kb.cache import get_index
from creditline.kb.obligations import load_obligation_table
from creditline.model import Document, FileResult, Obligations, ScanReport, Skipped

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]

__all__ = ["scan", "explain", "credit", "license_index", "scan_text"]


def license_index() -> LicenseIndex:
    """The compiled license index (built and cached on first use)."""
    return get_index()


def _scan_work(item: FileRef | Document | Skipped) -> list[tuple[str, FileResult | Skipped]]:
    """Read (when it is a file reference) and scan one work item, in whichever process runs it."""
    index = runner.state("index")
    copyrights = runner.state("copyrights")
    limits = runner.state("limits")
    items = read_ref(item, limits) if isinstance(item, FileRef) else [item]
    return [(x.root, x if isinstance(x, Skipped) else scan_document(x, index, copyrights=copyrights)) for x in items]


def _with_state(copyrights: bool, limits: Limits) -> Callable[[], LicenseIndex]:
    runner.share(copyrights=copyrights, limits=limits)
    return get_index


def scan_text(text: str, path: str = "-", *, copyrights: bool = True) -> FileResult:
    """Scan one text in memory."""
    doc = Document(path=path, text=text, size=len(text.encode("utf-8", "surrogatepass")))
    return scan_document(doc, get_index(), copyrights=copyrights)


def _info_by_spdx(index: LicenseIndex) -> dict[str, object]:
    """License info by lower-cased SPDX id (made once per index)."""
    cached = index.memo.get("info_by_spdx")
    if cached is None:
        cached = index.memo["info_by_spdx"] = {lic.spdx.lower(): lic for lic in index.licenses.values()}
    return cached  # type: ignore[return-value]


def _obligation_lookup(index: LicenseIndex) -> Callable[[str], tuple[Obligations, ...]]:
    infos = _info_by_spdx(index)
    table = load_obligation_table()
    return lambda expression: obligations_for_expression(expression, lambda i: infos.get(i.lower()), table)


def resolve_declared(value: str, index: LicenseIndex) -> str | None:
    """A declared license string (SPDX expression, classifier, name or text) in SPDX."""
    value = value.strip()
    if not value:
        return None
    return known_expression(value, index) or file_license(detect_licenses(value, index))


def _summaries(roots: Sequence[str], files: list[tuple[str, FileResult]], index: LicenseIndex) -> tuple:
    obligations = _obligation_lookup(index)
    return tuple(
        summarize_root(
            root,
            [f for r, f in files if r == root],
            resolve=lambda v: resolve_declared(v, index),
            obligations=obligations,
        )
        for root in roots
    )


def scan(
    paths: Sequence[str],
    *,
    ignore: bool = True,
    limits: Limits | None = None,
    jobs: int = 1,
    copyrights: bool = True,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    exclude: Sequence[str] = (),
) -> ScanReport:
    """Scan files, trees, archives (and ``-`` for stdin) for licenses and copyrights.

    :raises InputError: when a path does not exist, or nothing at all could be read.
    """
    index = get_index()
    limits = limits or Limits()
    total = count_candidates(paths, ignore=ignore, exclude=exclude) if progress else None
    work = iter_work(paths, ignore=ignore, limits=limits, stdin=stdin, exclude=exclude)
    files: list[tuple[str, FileResult]] = []
    skipped: list[Skipped] = []
    results = runner.map_ordered(_scan_work, work, jobs=jobs, initializer=("index", _with_state(copyrights, limits)))
    for n, batch in enumerate(results, 1):
        for root, result in batch:
            if isinstance(result, Skipped):
                skipped.append(result)
            else:
                files.append((root, result))
        if progress and batch:
            progress(n, total, batch[-1][1].path)
    if not files and skipped and _nothing_readable(skipped):
        raise InputError(f"nothing could be read from {', '.join(paths)}: {skipped[0].code} ({skipped[0].detail})",
                         hint="see the skipped entries with --format json")
    return ScanReport(
        files=tuple(f for _, f in files),
        summary=_summaries(list(dict.fromkeys(paths)), files, index),
        skipped=tuple(skipped),
        tool_version=__version__,
    )


def _nothing_readable(skipped: list[Skipped]) -> bool:
    return all(s.code in ("unreadable", "broken_symlink", "corrupt_archive", "undecodable") for s in skipped)


def credit(expression: str, *, title: str | None = None, author: str | None = None, source: str | None = None,
           fmt: str = "text") -> str:
    """A TASL credit line (Title, Author, Source, License with its URL) for a work."""
    obligations = explain(expression)
    url = obligations[0].url if len(obligations) == 1 else None
    return credit_line(title, author, source, spdx.normalize(expression, get_index().spdx_map), url, fmt=fmt)


def explain(expression: str) -> tuple[Obligations, ...]:
    """What an SPDX expression's licenses require (one entry per license id)."""
    index = get_index()
    normalized = spdx.normalize(expression, index.spdx_map)
    infos = _info_by_spdx(index)
    table = load_obligation_table()
    return obligations_for_expression(normalized, lambda i: infos.get(i.lower()), table)  # type: ignore[arg-type]
