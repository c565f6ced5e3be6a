"""The catalog side of the Python API: ``index`` works into a catalog, inspect it.

Kept beside :mod:`creditline.api` (same layer) so neither module grows past a few hundred
lines; :mod:`creditline.api` re-exports these functions.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence

from creditline import runner
from creditline.core.works import PreparedWork, prepare_works
from creditline.errors import UsageError
from creditline.ingest import FileRef, Limits, count_candidates, iter_work, read_ref
from creditline.ingest.meta import load_meta
from creditline.kb.cache import get_index
from creditline.model import Document, IndexReport, Skipped, Work
from creditline.store import Catalog, FingerprintParams, open_catalog

DEFAULT_CATALOG = ".creditline"
Progress = Callable[[int, int | None, str], None]


def catalog_path(path: str | None) -> str:
    """The catalog directory: ``path``, else ``$CREDITLINE_CATALOG``, else ``./.creditline``."""
    return path or os.environ.get("CREDITLINE_CATALOG") or DEFAULT_CATALOG


def open_for_reading(path: str | None, *, lookup: bool = False) -> Catalog:
    """Open an existing catalog. ``lookup``: fingerprints will be looked up in it, so it must
    hold fingerprints made as this version makes them (CatalogVersionError otherwise, with a
    hint to re-index); inspecting works and stats needs no such match."""
    return open_catalog(catalog_path(path), FingerprintParams.current() if lookup else None, create=False)


def _root_key(root: str) -> str:
    return root if root == "-" else os.path.abspath(root)


Prepared = PreparedWork | Skipped | tuple[str, str]
GROUP = 16  # work items a worker prepares together (their license scan runs as one batch)


def _prepare(group: list[FileRef | Document | Skipped]) -> list[list[Prepared]]:
    """Read and prepare a group of work items in a worker, a list of results per item (an
    archive is one item of several documents); unchanged files come back as (root, path). The
    group's new documents are scanned for licenses together."""
    known: dict[tuple[str, str], str] = runner.state("known")
    meta: dict[str, dict[str, str]] = runner.state("meta")
    out: list[list[Prepared]] = []
    todo: list[tuple[int, int, Document]] = []  # (item, slot in its results, document)
    for item in group:
        results: list[Prepared] = []
        for x in read_ref(item, runner.state("limits")) if isinstance(item, FileRef) else [item]:
            if isinstance(x, Skipped):
                results.append(x)
                continue
            root = _root_key(x.root)
            if known.get((root, x.path)) == x.sha1:
                results.append((root, x.path))
                continue
            declared = {**x.declared, **meta.get(x.path, {})}
            todo.append((len(out), len(results), dataclasses.replace(x, root=root, declared=declared)))
            results.append((root, x.path))  # replaced below
        out.append(results)
    prepared = prepare_works([doc for _, _, doc in todo], runner.state("index"))
    for (item, slot, _), work in zip(todo, prepared, strict=True):
        out[item][slot] = work
    return out


def _groups(items: Iterator[FileRef | Document | Skipped]) -> Iterator[list[FileRef | Document | Skipped]]:
    group: list[FileRef | Document | Skipped] = []
    for item in items:
        group.append(item)
        if len(group) == GROUP:
            yield group
            group = []
    if group:
        yield group


def _state(known: dict[tuple[str, str], str], meta: dict[str, dict[str, str]], limits: Limits) -> Callable[[], object]:
    runner.share(known=known, meta=meta, limits=limits)
    return get_index


def _prepared(paths: Sequence[str], known: dict[tuple[str, str], str], meta: dict[str, dict[str, str]], jobs: int,
              progress: Progress | None) -> Iterator[PreparedWork | Skipped | tuple[str, str]]:
    get_index()
    limits = Limits()
    total = count_candidates(paths) if progress else None
    work = iter_work(paths, limits=limits)
    results = runner.map_ordered(_prepare, _groups(work), jobs=jobs, batch_size=1,
                                 initializer=("index", _state(known, meta, limits)))
    n = 0
    for group in results:
        for item in group:
            yield from item
            n += 1
            if progress:
                progress(n, total, "")


def index(
    paths: Sequence[str],
    *,
    catalog: str | None = None,
    meta: str | None = None,
    remove: Sequence[str] = (),
    jobs: int = 1,
    progress: Progress | None = None,
) -> IndexReport:
    """Add works under ``paths`` to a catalog (created if missing); unchanged content is
    skipped, a changed file replaces its old version, ``remove`` drops works by path. All
    changes become visible at once, when the run completes; an interrupted run changes nothing."""
    if not paths and not remove:
        raise UsageError("nothing to index", hint="give paths to index or --remove PATH")
    directory = catalog_path(catalog)
    cat = open_catalog(directory, FingerprintParams.current())
    try:
        return _index_into(cat, directory, paths, load_meta(meta) if meta else {}, remove, jobs, progress)
    finally:
        cat.close()


def _index_into(cat: Catalog, directory: str, paths: Sequence[str], meta: dict[str, dict[str, str]],
                remove: Sequence[str], jobs: int, progress: Progress | None) -> IndexReport:
    added: list[str] = []
    updated: list[str] = []
    skipped: list[Skipped] = []
    unchanged = 0
    removed: list[str] = []
    known = {(w.root, w.path): w.sha1 for w in cat.works()} if paths else {}
    with cat.writer(FingerprintParams.current()) as writer:
        for item in _prepared(paths, known, meta, jobs, progress) if paths else ():
            if isinstance(item, Skipped):
                skipped.append(item)
            elif isinstance(item, tuple):
                unchanged += 1
            else:
                writer.add_work(item.work, item.fingerprints, item.line_starts, item.text)
                (updated if (item.work.root, item.work.path) in known else added).append(item.work.path)
        for path in remove:
            if writer.remove(path):
                removed.append(path)
    return IndexReport(catalog=directory, added=tuple(added), updated=tuple(updated), unchanged=unchanged,
                       removed=tuple(removed), skipped=tuple(skipped), stats=cat.stats())


def catalog_works(catalog: str | None = None) -> list[Work]:
    cat = open_for_reading(catalog)
    try:
        return list(cat.works())
    finally:
        cat.close()


def catalog_stats(catalog: str | None = None) -> dict[str, object]:
    cat = open_for_reading(catalog)
    try:
        return cat.stats()
    finally:
        cat.close()
