"""What the attribution exports (NOTICE, SPDX, CycloneDX, provenance card) share: license
groups, the ids of an expression, credit lines, copyright statements, stable ids, the timestamp."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from creditline.core import spdx
from creditline.core.credit import credit_line
from creditline.errors import ExpressionError
from creditline.model import NoticeInput, Work


def expression_ids(expression: str | None) -> tuple[str, ...]:
    """License and exception ids of an expression, in order, once each."""
    if not expression:
        return ()
    try:
        return spdx.license_ids(expression)
    except ExpressionError:
        return spdx.split_ids(expression)


def all_ids(works: Iterable[Work]) -> tuple[str, ...]:
    """Every license and exception id of every work's license, sorted, once each."""
    expressions = {w.license for w in works if w.license}
    return tuple(sorted({i for e in expressions for i in expression_ids(e)}, key=str.lower))


def groups(works: Iterable[Work]) -> list[tuple[str | None, list[Work]]]:
    """Works by license expression: most works first (ties by expression), works by path;
    the works without a license last."""
    by_expr: dict[str | None, list[Work]] = defaultdict(list)
    for work in works:
        by_expr[work.license or None].append(work)
    ordered = sorted(((e, ws) for e, ws in by_expr.items() if e), key=lambda g: (-len(g[1]), g[0] or ""))
    if None in by_expr:
        ordered.append((None, by_expr[None]))
    return [(e, sorted(ws, key=lambda w: (w.path, w.root))) for e, ws in ordered]


def license_url(expression: str | None, notice: NoticeInput) -> str | None:
    """The URL of a one-license expression (from its obligations or its text record)."""
    ids = expression_ids(expression)
    if len(ids) != 1 or expression is None:
        return None
    for o in notice.obligations.get(expression, ()):
        if o.url:
            return o.url
    found = notice.licenses.get(ids[0])
    return found.url if found and found.url else None


def author_of(work: Work) -> str | None:
    """The work's author, else its copyright holders."""
    return work.author or ("; ".join(work.holders) if work.holders else None)


def work_credit(work: Work, notice: NoticeInput, fmt: str = "text") -> str:
    """The TASL credit line of a work; its path stands in for a missing title."""
    return credit_line(work.title or work.path, author_of(work), work.source_url, work.license,
                       license_url(work.license, notice), fmt=fmt)


def statements(work: Work) -> list[str]:
    """The work's copyright statements, word for word, each once (blank ones left out)."""
    seen: dict[str, str] = {}
    for statement in work.copyrights:
        key = " ".join(statement.split())
        if key and key not in seen:
            seen[key] = statement.strip()
    return list(seen.values())


def stable_hash(*parts: str, length: int = 16) -> str:
    """A hex digest of ``parts`` that is the same in every process and on every machine."""
    return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:length]


def unique_ids(prefix: str, works: Sequence[Work]) -> list[str]:
    """One id per work from a hash of its root and path; repeats get ``-2``, ``-3``..."""
    ids: list[str] = []
    seen: set[str] = set()
    for work in works:
        base = f"{prefix}{stable_hash(work.root, work.path)}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        seen.add(candidate)
        ids.append(candidate)
    return ids


def created_at(notice: NoticeInput) -> datetime:
    """``notice.created`` as an aware datetime in UTC (taken as UTC when it names no zone).

    :raises ValueError: when it is empty or not ISO 8601.
    """
    if not notice.created:
        raise ValueError("NoticeInput.created must be set (an ISO 8601 timestamp)")
    value = datetime.fromisoformat(notice.created.replace("Z", "+00:00"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
