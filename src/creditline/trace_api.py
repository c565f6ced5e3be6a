"""The trace side of the Python API: which catalogued works does an input copy?

Each input is tokenised and fingerprinted like the catalogued works; its fingerprints are
looked up in the catalog (``exact`` channel, and for code the rename-robust ``renamed``
channel); hits merge into spans per source, sources are chosen by how much of the input they
explain (:mod:`creditline.core.matching`), and every match carries the source's license, its
obligations and a credit line.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

from creditline import api
from creditline.catalog_api import catalog_path, open_for_reading
from creditline.core.credit import credit_line
from creditline.core.fingerprint import K, WINDOW, fingerprint
from creditline.core.matching import SpanHit, match_spans, rank_sources
from creditline.core.normalize import TokenStream, code_tokens, tokenize
from creditline.core.policy import Policy, check
from creditline.core.works import line_starts
from creditline.ingest import iter_documents
from creditline.model import Document, Match, Obligations, Skipped, TraceReport, TraceResult, Violation, Work
from creditline.store import Catalog

MIN_TOKENS = K + WINDOW - 1
MAX_DF = 50
# Abstracted code is far less specific than real tokens: files of one project share long runs
# of "identifier = identifier(identifier)". Renamed fingerprints found in more works than this
# are not evidence.
RENAMED_MAX_DF = 5


def _channel_spans(cat: Catalog, tokens: TokenStream, channel: str, hashes_in: np.ndarray, min_tokens: int,
                   max_df: int) -> list[SpanHit]:
    fp = fingerprint(hashes_in, K, WINDOW)
    if not len(fp):
        return []
    hits = cat.lookup(fp.hashes, channel)
    df = cat.document_frequency(fp.hashes, channel)
    n_works = cat.work_count()
    return match_spans(fp.positions, tokens.starts, tokens.ends, hits, df, k=K, n_works=n_works,
                       min_tokens=min_tokens, max_df=max_df)


def _spans(cat: Catalog, tokens: TokenStream, min_tokens: int, max_df: int) -> list[tuple[SpanHit, str]]:
    """Spans per channel: ``exact`` first; for code inputs ``renamed``; for prose inputs the
    ``words`` channel of catalogued code (code pasted into prose). A later channel only adds
    spans the earlier ones do not mostly cover."""
    found = [(s, "exact") for s in _channel_spans(cat, tokens, "exact", tokens.exact, min_tokens, max_df)]
    extra = [("renamed", tokens.renamed)] if tokens.renamed is not None else []
    if tokens.kind == "prose":
        extra.append(("words", tokens.exact))
    for channel, stream in extra:
        covered = np.zeros(len(tokens) + 1, dtype=bool)
        for s, _ in found:
            covered[s.q_token_start : s.q_token_end] = True
        limit = min(max_df, RENAMED_MAX_DF) if channel == "renamed" else max_df
        for s in _channel_spans(cat, tokens, channel, stream, min_tokens, limit):
            if covered[s.q_token_start : s.q_token_end].mean() < 0.5:
                found.append((s, "renamed" if channel == "renamed" else "exact"))
    return found


def _line(starts: np.ndarray, offset: int) -> int:
    return int(np.searchsorted(starts, offset, "right"))


def _credit(work: Work) -> str:
    title = work.title or work.path.rsplit("/", 1)[-1]
    return credit_line(title, work.author, work.source_url or work.path, work.license, None)


class _Obligations:
    """Obligations per license expression, computed once per trace run."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Obligations, ...]] = {}

    def __call__(self, expression: str | None) -> tuple[Obligations, ...]:
        if not expression:
            return ()
        if expression not in self._cache:
            self._cache[expression] = api.explain(expression)
        return self._cache[expression]


def _match(cat: Catalog, span: SpanHit, kind: str, text_lines: np.ndarray, text_len: int,
           obligations: _Obligations) -> Match:
    work = cat.work(span.work)
    return Match(
        source=work.path, root=work.root, work_id=work.id,
        input_start=span.q_start, input_end=span.q_end,
        input_start_line=_line(text_lines, span.q_start), input_end_line=_line(text_lines, max(span.q_end - 1, 0)),
        source_start=span.s_start, source_end=span.s_end,
        source_start_line=cat.line_of(work.id, span.s_start),
        source_end_line=cat.line_of(work.id, max(span.s_end - 1, span.s_start)),
        kind=kind, tokens=span.q_token_end - span.q_token_start,
        share=round((span.q_end - span.q_start) / max(text_len, 1), 4),
        license=work.license, obligations=obligations(work.license), credit_line=_credit(work),
    )


_FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                    re.MULTILINE | re.DOTALL)
FENCE_LANGUAGES = {
    "py": "python", "python": "python", "python3": "python", "js": "javascript", "javascript": "javascript",
    "jsx": "javascript", "mjs": "javascript", "ts": "typescript", "typescript": "typescript", "tsx": "tsx",
    "java": "java", "c": "c", "h": "c", "cpp": "cpp", "c++": "cpp", "cc": "cpp", "cs": "csharp",
    "csharp": "csharp", "c#": "csharp", "go": "go", "golang": "go", "rust": "rust", "rs": "rust",
    "ruby": "ruby", "rb": "ruby", "php": "php", "sh": "bash", "bash": "bash", "shell": "bash", "zsh": "bash",
}  # fmt: skip


def code_blocks(text: str) -> list[tuple[int, str, str]]:
    """Fenced code blocks of a Markdown text: (char offset of the body, language, body)."""
    out = []
    for m in _FENCE.finditer(text):
        lang = FENCE_LANGUAGES.get(m.group("lang").lower())
        if lang and m.group("body").strip():
            out.append((m.start("body"), lang, m.group("body")))
    return out


def _ranked_matches(cat: Catalog, tokens: TokenStream, text_lines: np.ndarray, offset: int, min_tokens: int,
                    max_df: int, obligations: _Obligations) -> list[Match]:
    found = _spans(cat, tokens, min_tokens, max_df)
    kinds = {id(s): k for s, k in found}
    chosen = rank_sources([s for s, _ in found], min_new_tokens=min_tokens)
    text_len = int(text_lines[-1]) if len(text_lines) else 0
    return [
        _match(cat, dataclasses.replace(s, q_start=s.q_start + offset, q_end=s.q_end + offset), kinds[id(s)],
               text_lines, text_len, obligations)
        for ev in chosen for s in ev.spans
    ]


def _overlaps(m: Match, kept: list[Match]) -> bool:
    for k in kept:
        if k.work_id == m.work_id:
            inter = min(k.input_end, m.input_end) - max(k.input_start, m.input_start)
            if inter > 0.5 * (m.input_end - m.input_start):
                return True
    return False


def _covered(text: str, matches: list[Match]) -> float:
    if not text:
        return 0.0
    mask = np.zeros(len(text), dtype=bool)
    for m in matches:
        mask[m.input_start : m.input_end] = True
    return round(float(mask.mean()), 4)


def _apply_policy(result: TraceResult, policy: Policy) -> TraceResult:
    """Each match with the policy's decision, and the input's violations."""
    matches = tuple(dataclasses.replace(m, decision=check(policy, m.license, m.obligations)) for m in result.matches)
    violations = tuple(
        Violation(source=m.source, license=m.license, reasons=m.decision.reasons, input_start=m.input_start,
                  input_end=m.input_end, input_start_line=m.input_start_line, input_end_line=m.input_end_line)
        for m in matches if m.decision is not None and not m.decision.allowed
    )
    return dataclasses.replace(result, matches=matches, violations=violations)


def trace_document(cat: Catalog, doc: Document, *, min_tokens: int = MIN_TOKENS, max_df: int = MAX_DF,
                   obligations: _Obligations | None = None, policy: Policy | None = None,
                   keep_text: bool = False) -> TraceResult:
    """Trace one text; for prose, fenced code blocks are also traced as code, so code pasted
    into an answer is found with renamed identifiers too. ``covered`` is the share of the
    text's characters inside a match."""
    obligations = obligations or _Obligations()
    tokens = tokenize(doc.text, doc.path if doc.path != "-" else None)
    lines = np.append(line_starts(doc.text), len(doc.text))  # last entry: the text length
    matches = _ranked_matches(cat, tokens, lines, 0, min_tokens, max_df, obligations)
    if tokens.kind == "prose":
        for start, lang, body in code_blocks(doc.text):
            block = code_tokens(body, lang)
            for m in _ranked_matches(cat, block, lines, start, min_tokens, max_df, obligations):
                if not _overlaps(m, matches):
                    matches.append(m)
    matches.sort(key=lambda m: (m.input_start, m.source))
    result = TraceResult(path=doc.path, tokens=len(tokens), matches=tuple(matches),
                         covered=_covered(doc.text, matches), text=doc.text if keep_text else None)
    return _apply_policy(result, policy) if policy is not None else result


def trace(inputs: Sequence[str], *, catalog: str | None = None, min_tokens: int = MIN_TOKENS,
          max_df: int = MAX_DF, stdin: BinaryIO | None = None, policy: Policy | None = None,
          keep_text: bool = False) -> TraceReport:
    """Trace each input (file path, or ``-`` for stdin) against the catalog.

    With ``policy``, every match carries the policy's ``decision`` and each input lists its
    ``violations`` (``report.violated`` tells whether there are any). ``keep_text`` keeps each
    input's text on its result (for reports that show it, such as HTML)."""
    cat = open_for_reading(catalog)
    obligations = _Obligations()
    results: list[TraceResult] = []
    skipped: list[Skipped] = []
    try:
        for path in inputs:
            for item in iter_documents([path], stdin=stdin):
                if isinstance(item, Skipped):
                    skipped.append(item)
                    continue
                shown = path if path == "-" or os.path.isfile(path) else os.path.join(path, item.path)
                doc = Document(path=shown, text=item.text, size=item.size, sha1=item.sha1)
                results.append(trace_document(cat, doc, min_tokens=min_tokens, max_df=max_df,
                                              obligations=obligations, policy=policy, keep_text=keep_text))
    finally:
        cat.close()
    return TraceReport(catalog=catalog_path(catalog), inputs=tuple(results), skipped=tuple(skipped),
                       policy=policy.name if policy is not None else None)
