"""The dataset side of the Python API: ``audit``, ``filter_dataset`` and the rows of ``notice``.

One pass reads a dataset row by row (:func:`creditline.ingest.datasets.iter_rows`), scans each
row's text for licenses and copyright notices and computes its MinHash signature in batches
(:func:`_rows_facts`; with ``jobs`` > 1 in ``jobs - 1`` worker processes and in this one whenever
the workers have enough queued), and then, in input order in this process, decides everything
that depends on earlier rows or on the network: exact and near duplicates, opt-out signals,
copies of catalogued works, and the policy's verdict. Each row gives one
:class:`~creditline.model.RowResult`; a row that cannot be read gives one too, with ``error``
set, so no row is ever dropped silently. ``filter_dataset`` writes the rows the policy allows in
the input's format and every other row, with its reasons, to ``OUT.exclusions.jsonl``.

Memory stays flat as the dataset grows: rows stream through a bounded window (at most
``jobs * 4`` batches of ``BATCH_BYTES`` of text), per-row results go to a Parquet file as they
come, and the report keeps counts plus at most ``max_rows`` rows. What grows with the dataset is
what duplicate detection needs: per distinct row a 16-byte digest (about 0.1 KB in a dict) and,
per row that is not a near duplicate, its MinHash signature and LSH bands (about 0.35 KB): some
35 MB for 90,000 rows (a GB of source files).

An exact repeat of an earlier row (the same text) is not scanned again: it takes the first row's
license, evidence and copyrights, kept per distinct row for that (a dict entry pointing at facts
stored once however many rows share them: about 0.13 KB a row on The Stack's layout).
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from creditline import __version__, api, runner
from creditline.catalog_api import open_for_reading
from creditline.core import dedup, lictokens, spdx
from creditline.core.filescan import scan_documents
from creditline.core.licindex import LicenseIndex
from creditline.core.policy import Policy, check
from creditline.core.works import licenses_agree
from creditline.errors import ExpressionError, InputError, UsageError
from creditline.ingest import Limits
from creditline.ingest._atomic import publish, temp_beside
from creditline.ingest.dataset_writer import DatasetWriter
from creditline.ingest.datasets import ColumnSpec, Row, RowError, dataset_columns, dataset_format, detect_layout, iter_rows
from creditline.kb.cache import get_index
from creditline.kb.licensetexts import license_texts
from creditline.model import (
    OBLIGATION_FLAGS,
    AuditReport,
    Decision,
    Document,
    DuplicateCluster,
    NoticeInput,
    Obligations,
    RowResult,
    Work,
)
from creditline.optout_api import OptOutChecker
from creditline.trace_api import ObligationCache, trace_document

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]
_Item = tuple[Row | RowError, RowResult, tuple[str, ...]]  # a row, its result, its drop-reason kinds
MAX_ROWS = 1000  # rows kept in the report (problem rows first); all rows go to the Parquet file
MAX_CLUSTERS = 100  # largest duplicate clusters kept in the report
BATCH_ROWS = 256  # rows a worker scans at once (license detection runs on the batch together)...
BATCH_BYTES = 2 << 20  # ...or fewer, to keep a batch's text (and a worker's scratch memory) under this size

__all__ = ["audit", "filter_dataset", "dataset_works", "notice", "OptOutOptions", "Columns"]


@dataclass(frozen=True)
class Columns:
    """Column choices from the command line; unset ones are auto-detected."""

    text: str | None = None
    id: str | None = None
    license: str | None = None
    url: str | None = None
    author: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class OptOutOptions:
    """How to check opt-outs for rows with a URL: ``network`` fetches robots.txt, ai.txt and
    tdmrep.json once per site (cached; ``offline`` uses the cache only); ``registry`` is an
    opt-out registry file. With neither, opt-outs are not checked."""

    network: bool = False
    offline: bool = False
    registry: str | None = None
    cache_dir: str | None = None
    timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return self.network or self.offline or self.registry is not None


# --- per row, in workers --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    detected: str | None
    evidence: tuple[str, ...]
    copyrights: tuple[str, ...]
    holders: tuple[str, ...]
    declared: str | None
    signature: np.ndarray | None  # None for an exact repeat: it is not indexed for near duplicates


_Known = tuple[str | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # what a repeat takes from its first


@functools.lru_cache(maxsize=4096)
def _resolve_declared(value: str) -> str | None:
    return api.resolve_declared(value, get_index())


def _rows_facts(docs: list[Document]) -> list[_Facts]:
    """License, copyrights and MinHash signature of each row of a batch (runs in a worker):
    license detection runs on the whole batch at once, which is several times cheaper for
    short rows than one call per row, with the same results."""
    if not docs:
        return []
    scans = scan_documents(docs, runner.state("index"), copyrights=True)
    signatures = dedup.text_signatures([doc.text for doc in docs])  # right after: shares the scan's words
    out = []
    for doc, scan, signature in zip(docs, scans, signatures, strict=True):
        raw = doc.declared.get("license")
        out.append(_Facts(
            detected=scan.license,
            evidence=tuple(dict.fromkeys(d.kind for d in scan.detections)),
            copyrights=tuple(c.statement for c in scan.copyrights),
            holders=tuple(dict.fromkeys(h for c in scan.copyrights for h in c.holders)),
            declared=_resolve_declared(raw) if raw else None,
            signature=signature,
        ))
    return out


# --- in order, in this process ------------------------------------------------------------------


def _flags(obligations: tuple[Obligations, ...]) -> tuple[str, ...]:
    have = {
        "attribution": any(o.attribution for o in obligations),
        "share-alike": any(o.share_alike for o in obligations),
        "non-commercial": any(o.non_commercial for o in obligations),
        "no-derivatives": any(o.no_derivatives for o in obligations),
        "source-disclosure": any(o.source_disclosure for o in obligations),
    }
    return tuple(flag for flag in OBLIGATION_FLAGS if have[flag])


@dataclass
class _State:
    """What the pass has seen so far."""

    policy: Policy | None
    optouts: OptOutChecker | None
    catalog: object | None
    obligations: ObligationCache = field(default_factory=ObligationCache)
    seen: dict[bytes, int] = field(default_factory=dict)  # text digest -> first row with that text
    known: dict[int, _Known] = field(default_factory=dict)  # first row -> its text's facts, for its repeats
    interned: dict[_Known, _Known] = field(default_factory=dict)  # one object per distinct facts
    near: dedup.NearDuplicates = field(default_factory=dedup.NearDuplicates)
    clusters: dict[int, list[int]] = field(default_factory=dict)
    cluster_kind: dict[int, str] = field(default_factory=dict)


def _digest(row: Row) -> bytes:
    sha1 = row.document.sha1
    return bytes.fromhex(sha1)[:16] if sha1 else b""


def _first_of(state: _State, row: Row) -> int | None:
    """The earlier row with the same text as ``row`` (None when there is none: the row is then
    the first with its text). Asked of every row in input order, as rows are read."""
    digest = _digest(row)
    if not digest:
        return None
    first = state.seen.get(digest)
    if first is None:
        state.seen[digest] = row.row
    return first


def _remember(state: _State, row: Row, facts: _Facts) -> None:
    """Keep what the exact repeats of ``row`` will take from it (one object per distinct value:
    rows under one license with no copyright notice all share one)."""
    if _digest(row):
        known = (facts.detected, facts.evidence, facts.copyrights, facts.holders)
        state.known[row.row] = state.interned.setdefault(known, known)


def _repeat_facts(state: _State, row: Row, first: int) -> _Facts:
    """The facts of an exact repeat of row ``first``: its text's facts are the first row's
    (scanning it again would find the same), its declared license its own."""
    detected, evidence, copyrights, holders = state.known[first]
    raw = row.document.declared.get("license")
    return _Facts(detected, evidence, copyrights, holders, _resolve_declared(raw) if raw else None, None)


def _duplicates(state: _State, rows: list[Row], signatures: list[np.ndarray | None],
                firsts: list[int | None]) -> list[tuple[int | None, str | None]]:
    """For each row of a batch, in order: the earlier row it repeats and how (``exact``: the
    same text, found as the rows were read, ``firsts``; ``near``: MinHash LSH, looked up for
    the whole batch at once), or ``(None, None)``."""
    fresh = [i for i, f in enumerate(firsts) if f is None]
    scanned = [s for s in signatures if s is not None]  # the fresh rows' signatures: only they were scanned
    near = state.near.add_many([rows[i].row for i in fresh], np.stack(scanned)) if fresh else []
    out: list[tuple[int | None, str | None]] = [(f, "exact" if f is not None else None) for f in firsts]
    for i, f in zip(fresh, near):
        if f is not None:
            out[i] = (f, "near")
    for row, (f, kind) in zip(rows, out):
        if f is not None:
            state.clusters.setdefault(f, [f]).append(row.row)
            if kind == "near" or f not in state.cluster_kind:
                state.cluster_kind[f] = kind or "exact"
    return out


def _decide(state: _State, result: RowResult, expressions: list[str | None]) -> tuple[Decision, tuple[str, ...]]:
    """The policy's verdict on a row, and the kinds of its reasons (for the drop counts)."""
    policy = state.policy
    assert policy is not None
    reasons: list[str] = []
    notes: list[str] = []
    kinds: list[str] = []
    for expression in expressions:
        verdict = check(policy, expression, state.obligations(expression) if expression else ())
        reasons += verdict.reasons
        notes += verdict.notes
        if verdict.reasons:
            kinds.append("license")
    if result.declared_license and result.detected_license and result.license_agrees is False:
        notes.append(f"declared {result.declared_license} but the text states {result.detected_license}")
    if policy.honour_opt_outs and result.opted_out:
        reasons.append("creator opted out of AI use: " + "; ".join(result.optout_signals))
        kinds.append("opt-out")
    if policy.drop_duplicates and result.duplicate_of is not None:
        reasons.append(f"{result.duplicate_kind} duplicate of row {result.duplicate_of}")
        kinds.append("duplicate")
    return Decision(not reasons, tuple(dict.fromkeys(reasons)), tuple(dict.fromkeys(notes))), tuple(
        dict.fromkeys(kinds))


def _row_result(state: _State, item: Row, facts: _Facts,
                duplicate: tuple[int | None, str | None]) -> tuple[RowResult, tuple[str, ...]]:
    doc = item.document
    declared_raw = doc.declared.get("license")
    declared = facts.declared
    license_ = declared or facts.detected
    agrees = licenses_agree(facts.detected, declared)
    # Both apply when they disagree: an NC notice in the text binds even if no column says so.
    expressions: list[str | None] = [license_]
    if declared and facts.detected and agrees is False:
        expressions.append(facts.detected)
    obligations = tuple(o for e in expressions if e for o in state.obligations(e))
    duplicate_of, duplicate_kind = duplicate
    result = RowResult(
        row=item.row, id=doc.declared.get("id") or doc.path, path=doc.path,
        declared_license=declared or (declared_raw if declared_raw else None), declared_raw=declared_raw,
        detected_license=facts.detected, license=license_, license_agrees=agrees, evidence=facts.evidence,
        categories=tuple(dict.fromkeys(o.category for o in obligations)), obligations=_flags(obligations),
        copyrights=facts.copyrights, holders=facts.holders, title=doc.declared.get("title"),
        author=doc.declared.get("author") or next(iter(facts.holders), None), source_url=doc.declared.get("source"),
        size=doc.size, sha1=doc.sha1, duplicate_of=duplicate_of, duplicate_kind=duplicate_kind,
    )
    if state.optouts is not None and result.source_url:
        found = state.optouts.check_url(result.source_url, author=doc.declared.get("author"))
        result = replace(result, opted_out=found.opted_out,
                         optout_signals=tuple(f"{s.kind}: {s.detail}" for s in found.signals))
    if state.catalog is not None:
        traced = trace_document(state.catalog, doc)
        result = replace(result, reproduces=tuple(sorted({m.source for m in traced.matches})))
    if state.policy is None:
        return result, ()
    decision, kinds = _decide(state, result, expressions)
    return replace(result, decision=decision), kinds


def _error_result(item: RowError) -> RowResult:
    skipped = item.skipped
    reason = f"unreadable row: {skipped.code}: {skipped.detail}"
    return RowResult(row=skipped.row, id=skipped.path, path=skipped.path, error=f"{skipped.code}: {skipped.detail}",
                     decision=Decision(False, (reason,)))


def _is_problem(r: RowResult) -> bool:
    return bool(r.error or not r.license or r.license_agrees is False or r.duplicate_of is not None
                or r.opted_out or r.reproduces or (r.decision is not None and not r.decision.allowed))


class _Tally:
    """Counts for the report, and the rows it keeps."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.c: dict[str, Counter[str]] = {k: Counter() for k in (
            "licenses", "declared", "categories", "obligations", "drop", "errors")}
        self.n: Counter[str] = Counter()
        self.problems: list[RowResult] = []
        self.plain: list[RowResult] = []

    def add(self, r: RowResult, kinds: tuple[str, ...], rows: int = 1) -> None:
        n, c = self.n, self.c
        n["total"] += rows
        if r.error:
            n["error"] += rows
            c["errors"][r.error.split(":", 1)[0]] += rows
        else:
            n["read"] += 1
            n["bytes"] += r.size
            c["licenses"][r.license or "none"] += 1
            if r.declared_license:
                c["declared"][r.declared_license] += 1
            c["categories"].update(r.categories or (("unknown",) if r.license else ("none",)))
            c["obligations"].update(r.obligations)
            n["no_license"] += not r.license
            n["disagree"] += r.license_agrees is False
            n["exact"] += r.duplicate_kind == "exact"
            n["near"] += r.duplicate_kind == "near"
            n["optout_checked"] += r.opted_out is not None
            n["opted_out"] += bool(r.opted_out)
            n["reproducing"] += bool(r.reproduces)
        if r.decision is not None:
            if r.decision.allowed:
                n["kept"] += rows
            else:
                n["dropped"] += rows
                for kind in kinds or (("unreadable",) if r.error else ("license",)):
                    c["drop"][kind] += rows
        (self.problems if _is_problem(r) else self.plain).append(r)
        if len(self.problems) > self.max_rows:
            self.problems.pop()
            n["truncated"] += 1
        if len(self.problems) + len(self.plain) > self.max_rows and self.plain:
            self.plain.pop()
            n["truncated"] += 1


def _spec(dataset: str, columns: Columns | None) -> ColumnSpec:
    given = columns or Columns()
    names = dataset_columns(dataset)
    if not names and given == Columns():  # nothing readable: every row will be reported as an error
        return ColumnSpec("text", layout="unknown")
    if given.text is None:
        auto = detect_layout(names)
        return replace(auto, **{k: v for k, v in vars(given).items() if v is not None and k != "text"})
    return detect_layout(names, text_column=given.text, id_column=given.id, license_column=given.license,
                         url_column=given.url, author_column=given.author, title_column=given.title)


def _check_dataset(dataset: str) -> str:
    if not os.path.exists(dataset):
        raise InputError(f"{dataset}: no such file or directory", hint="give a dataset file or directory")
    fmt = dataset_format(dataset)
    if fmt is None:
        raise InputError(f"{dataset}: not a dataset (JSON Lines, CSV, Parquet or a Hugging Face save_to_disk "
                         "directory)", hint="use `creditline scan` for trees of files")
    return fmt


def _scan_state() -> LicenseIndex:
    """The license index, and what scanning builds on first use built now (the tokenizer's table,
    the SPDX licensing): the parent builds it once before forking its worker, which inherits it."""
    index = get_index()
    lictokens.prepare(index.vocab_map)
    spdx.prepare()
    return index


def _pass(dataset: str, *, columns: Columns | None, policy: Policy | None, catalog: str | None,
          optouts: OptOutOptions | None, jobs: int, full_rows: bool, limits: Limits,
          progress: Progress | None) -> tuple[ColumnSpec, Iterator[_Item], _State]:
    """The rows of one audit pass, in input order, each with its result and drop-reason kinds."""
    spec = _spec(dataset, columns)
    checker = None
    if optouts is not None and optouts.enabled:
        checker = OptOutChecker(offline=optouts.offline or not optouts.network, registry=optouts.registry,
                                cache_dir=optouts.cache_dir, timeout=optouts.timeout, page=False)
    state = _State(policy=policy, optouts=checker, catalog=open_for_reading(catalog, lookup=True) if catalog else None)
    items = iter_rows(dataset, spec, full_rows=full_rows, refs=full_rows, limits=limits)  # only a writer needs refs

    def generate() -> Iterator[_Item]:
        # Per batch handed out: its entries (rows and unreadable rows, in input order), each row
        # with the earlier row it exactly repeats. Repeats are not scanned (they take their first
        # row's facts) but count towards the batch's size, which bounds the text held here.
        groups: deque[list[tuple[Row | RowError, int | None]]] = deque()

        def batches() -> Iterator[list[Document]]:
            entries: list[tuple[Row | RowError, int | None]] = []
            batch: list[Document] = []
            size = 0
            for item in items:
                first = None
                if isinstance(item, Row):
                    first = _first_of(state, item)
                    size += item.document.size
                    if first is None:
                        batch.append(item.document)
                entries.append((item, first))
                if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
                    groups.append(entries)
                    yield batch
                    entries, batch, size = [], [], 0
            if entries:
                groups.append(entries)
                yield batch

        done = 0
        try:
            per_batch = runner.map_ordered(_rows_facts, batches(), jobs=jobs, batch_size=1,
                                           initializer=("index", _scan_state), parent_works=True)
            for facts in per_batch:
                entries = groups.popleft()
                rows = [item for item, _ in entries if isinstance(item, Row)]
                firsts = [first for item, first in entries if isinstance(item, Row)]
                scanned = iter(facts)
                row_facts = [next(scanned) if first is None else None for first in firsts]
                signatures = [f.signature if f is not None else None for f in row_facts]
                duplicates = iter(_duplicates(state, rows, signatures, firsts))
                facts_of = iter(row_facts)
                for item, first in entries:
                    if isinstance(item, RowError):
                        yield item, _error_result(item), ("unreadable",)
                        continue
                    found = next(facts_of)
                    if found is None:
                        assert first is not None
                        found = _repeat_facts(state, item, first)
                    else:
                        _remember(state, item, found)
                    result, kinds = _row_result(state, item, found, next(duplicates))
                    done += 1
                    if progress is not None and done % 256 == 0:
                        progress(done, None, dataset)
                    yield item, result, kinds
        finally:
            if state.catalog is not None:
                state.catalog.close()  # type: ignore[attr-defined]

    return spec, generate(), state


def _report(dataset: str, fmt: str, spec: ColumnSpec, tally: _Tally, state: _State, policy: Policy | None,
            seconds: float, outputs: dict[str, str]) -> AuditReport:
    c, n = tally.c, tally.n
    clusters = sorted(state.clusters.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_CLUSTERS]
    rows = sorted(tally.problems + tally.plain, key=lambda r: (r.row is None, r.row or 0))
    return AuditReport(
        dataset=dataset, format=fmt, layout=spec.layout,
        columns={"text": spec.text, "id": spec.id, "license": spec.license, "url": spec.url, "author": spec.author,
                 "title": spec.title, "repo": spec.repo, "repo_path": spec.repo_path},
        rows_total=n["total"], rows_read=n["read"], rows_error=n["error"], bytes_read=n["bytes"],
        licenses=dict(c["licenses"].most_common()), declared_licenses=dict(c["declared"].most_common()),
        categories=dict(c["categories"].most_common()),
        obligations={flag: c["obligations"][flag] for flag in OBLIGATION_FLAGS},
        no_license=n["no_license"], disagreements=n["disagree"], exact_duplicates=n["exact"],
        near_duplicates=n["near"],
        clusters=tuple(DuplicateCluster(rep, tuple(members), state.cluster_kind.get(rep, "exact"))
                       for rep, members in clusters),
        optout_checked=n["optout_checked"], opted_out=n["opted_out"], reproducing=n["reproducing"],
        policy=policy.name if policy else None, kept=n["kept"], dropped=n["dropped"],
        drop_reasons=dict(c["drop"].most_common()), errors=dict(c["errors"].most_common()),
        rows=tuple(rows), rows_truncated=n["truncated"], seconds=round(seconds, 3), outputs=outputs,
    )


def audit(dataset: str, *, columns: Columns | None = None, policy: Policy | None = None, catalog: str | None = None,
          optouts: OptOutOptions | None = None, jobs: int = 1, rows_out: str | None = None,
          max_rows: int = MAX_ROWS, limits: Limits | None = None, progress: Progress | None = None) -> AuditReport:
    """Audit a dataset: per row, licenses declared and detected, copyrights, obligations,
    duplicates, opt-outs, copies of catalogued works and (with ``policy``) the verdict; for the
    whole dataset, the counts. ``rows_out`` writes every row's result to a Parquet file."""
    fmt = _check_dataset(dataset)
    started = time.perf_counter()
    spec, rows, state = _pass(dataset, columns=columns, policy=policy, catalog=catalog, optouts=optouts, jobs=jobs,
                       full_rows=False, limits=limits or Limits(), progress=progress)
    tally = _Tally(max_rows)
    outputs: dict[str, str] = {}
    if rows_out:
        from creditline.ingest.results_writer import RowResultsWriter

        with RowResultsWriter(rows_out) as sink:
            for item, result, kinds in rows:
                sink.add(result)
                tally.add(result, kinds, _rows_of(item))
        outputs["rows"] = rows_out
    else:
        for item, result, kinds in rows:
            tally.add(result, kinds, _rows_of(item))
    return _report(dataset, fmt, spec, tally, state, policy, time.perf_counter() - started, outputs)


def _rows_of(item: Row | RowError) -> int:
    if isinstance(item, RowError):
        return item.rows if item.rows is not None else 1
    return 1


def default_output(dataset: str, output: str | None) -> str:
    """``OUT`` for ``filter``: as given, else ``<dataset stem>.filtered<suffix>`` beside it."""
    if output:
        return output
    from creditline.ingest.datasets import output_suffix

    p = Path(dataset.rstrip("/"))
    stem = p.name.split(".")[0] if p.is_file() else p.name
    return str(p.parent / f"{stem}.filtered{output_suffix(dataset)}")


def _exclusion(item: Row | RowError, result: RowResult) -> dict[str, object]:
    line: dict[str, object] = {"row": result.row, "id": result.id,
                               "reasons": list(result.decision.reasons if result.decision else ())}
    if isinstance(item, RowError):
        line["rows"] = item.rows
    return line


def filter_dataset(dataset: str, output: str, *, policy: Policy, columns: Columns | None = None,
                   catalog: str | None = None, optouts: OptOutOptions | None = None, jobs: int = 1,
                   rows_out: str | None = None, max_rows: int = MAX_ROWS, limits: Limits | None = None,
                   progress: Progress | None = None) -> AuditReport:
    """Write the rows ``policy`` allows to ``output`` (the input's format) and every other row,
    with its ``id`` and reasons, to ``output + ".exclusions.jsonl"``. Both files appear together
    or not at all (each is written to a temporary file first); every input row is in exactly one."""
    fmt = _check_dataset(dataset)
    if os.path.abspath(output) == os.path.abspath(dataset):
        raise UsageError(f"{output}: the output would overwrite the dataset", hint="choose another -o path")
    started = time.perf_counter()
    exclusions_path = output + ".exclusions.jsonl"
    spec, rows, state = _pass(dataset, columns=columns, policy=policy, catalog=catalog, optouts=optouts, jobs=jobs,
                       full_rows=True, limits=limits or Limits(), progress=progress)
    tally = _Tally(max_rows)
    fd, tmp = temp_beside(exclusions_path)
    sink_cm = _results_sink(rows_out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as excluded, DatasetWriter(output, dataset) as writer, \
                sink_cm as sink:
            for item, result, kinds in rows:
                keep = result.decision is not None and result.decision.allowed
                writer.add(item, keep)
                if not keep:
                    excluded.write(json.dumps(_exclusion(item, result), ensure_ascii=False) + "\n")
                if sink is not None:
                    sink.add(result)
                tally.add(result, kinds, _rows_of(item))
        publish(tmp, exclusions_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    outputs = {"kept": output, "exclusions": exclusions_path}
    if rows_out:
        outputs["rows"] = rows_out
    return _report(dataset, fmt, spec, tally, state, policy, time.perf_counter() - started, outputs)


class _NoSink:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _results_sink(rows_out: str | None):  # type: ignore[no-untyped-def]
    if not rows_out:
        return _NoSink()
    from creditline.ingest.results_writer import RowResultsWriter

    return RowResultsWriter(rows_out)


def dataset_works(dataset: str, *, columns: Columns | None = None, policy: Policy | None = None,
                  optouts: OptOutOptions | None = None, jobs: int = 1, limits: Limits | None = None,
                  progress: Progress | None = None) -> tuple[tuple[Work, ...], AuditReport]:
    """The works of a dataset that a notice credits: every readable row, or with ``policy`` the
    rows it allows; and the audit of the pass that found them."""
    fmt = _check_dataset(dataset)
    started = time.perf_counter()
    spec, rows, state = _pass(dataset, columns=columns, policy=policy, catalog=None, optouts=optouts, jobs=jobs,
                       full_rows=False, limits=limits or Limits(), progress=progress)
    tally = _Tally(0)
    works: list[Work] = []
    for item, result, kinds in rows:
        tally.add(result, kinds, _rows_of(item))
        if result.error or (result.decision is not None and not result.decision.allowed):
            continue
        works.append(Work(path=str(result.id), sha1=result.sha1, size=result.size, root=dataset,
                          license=result.license, declared_license=result.declared_license,
                          license_agrees=result.license_agrees, copyrights=result.copyrights,
                          holders=result.holders, title=result.title, author=result.author,
                          source_url=result.source_url))
    return tuple(works), _report(dataset, fmt, spec, tally, state, policy, time.perf_counter() - started, {})


def notice(source: str, *, policy: Policy | None = None, columns: Columns | None = None,
           optouts: OptOutOptions | None = None, jobs: int = 1, created: str | None = None,
           limits: Limits | None = None, progress: Progress | None = None) -> NoticeInput:
    """What the attribution exports of ``source`` are made from: a dataset (its readable rows, or
    the rows ``policy`` allows) or a catalog directory (every catalogued work), with each
    license's obligations and full text."""
    created = created or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if os.path.isdir(source) and os.path.exists(os.path.join(source, "catalog.sqlite")):
        cat = open_for_reading(source)
        try:
            works = tuple(cat.works())
        finally:
            cat.close()
        extra: dict[str, object] = {"kind": "catalog", "rows_total": len(works), "rows_kept": len(works)}
    else:
        works, report = dataset_works(source, columns=columns, policy=policy, optouts=optouts, jobs=jobs,
                                      limits=limits, progress=progress)
        extra = {"kind": "dataset", "rows_total": report.rows_total, "rows_kept": len(works),
                 "dropped": dict(report.drop_reasons), "policy": report.policy,
                 "optouts_honoured": report.opted_out if policy is not None and policy.honour_opt_outs
                 and optouts is not None and optouts.enabled else None,
                 "duplicates_removed": report.drop_reasons.get("duplicate", 0) if policy is not None else None}
    lookup = ObligationCache()
    expressions = sorted({w.license for w in works if w.license})
    ids = sorted({i for e in expressions for i in _ids(e)})
    notes = (f"Made by creditline {__version__} from {source}; licenses detected with the ScanCode "
             "LicenseDB (licensedcode-data, CC-BY-4.0) and declared metadata where the source gives it.",)
    return NoticeInput(name=os.path.basename(source.rstrip("/")) or source, works=works, created=created,
                       obligations={e: lookup(e) for e in expressions}, licenses=license_texts(ids),
                       notes=notes, **extra)  # type: ignore[arg-type]


def _ids(expression: str) -> list[str]:
    """License and exception ids of an expression; none for one SPDX cannot parse (the notice
    still credits the work, without a license text)."""
    try:
        return list(spdx.split_ids(expression))
    except ExpressionError:
        return []
