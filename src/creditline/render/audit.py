"""Dataset audit reports as JSON and Markdown, and the summary every audit format shares.

:func:`audit_sections` turns an :class:`~creditline.model.AuditReport` into titled tables of
strings; the Markdown here, the terminal table (:mod:`.audit_text`) and the HTML page
(:mod:`.audit_html`) all show those same tables, so they never disagree.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from creditline.model import OBLIGATION_FLAGS, AuditReport, DuplicateCluster, RowResult

TOP_LICENSES = 15
TOP_CLUSTERS = 5
CLUSTER_MEMBERS_SHOWN = 8


class Section(NamedTuple):
    """A titled table; ``keyed`` tables are ``(name, value)`` pairs shown without a header."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    keyed: bool = False


# --- counts shared by the formats ----------------------------------------------------------------


def audited_rows(report: AuditReport) -> int:
    """Rows with a license verdict (the rows counted in ``licenses``), else the rows read."""
    return sum(report.licenses.values()) or report.rows_read


def share(n: int, total: int) -> str:
    return f"{n / total:.1%}" if total else "-"


def by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def top_licenses(report: AuditReport, limit: int = TOP_LICENSES) -> list[tuple[str, int]]:
    """The ``limit`` most common expressions, then one ``other (N expressions)`` entry for the rest."""
    ranked = by_count(report.licenses)
    top, rest = ranked[:limit], ranked[limit:]
    if rest:
        top.append((f"other ({len(rest)} expressions)", sum(n for _, n in rest)))
    return top


def obligation_counts(report: AuditReport) -> list[tuple[str, int]]:
    """Every flag of OBLIGATION_FLAGS (zero when absent), then any other flag the report has."""
    extra = sorted(set(report.obligations) - set(OBLIGATION_FLAGS))
    return [(flag, report.obligations.get(flag, 0)) for flag in (*OBLIGATION_FLAGS, *extra)]


def cluster_size(cluster: DuplicateCluster) -> int:
    return len({cluster.representative, *cluster.members})


def largest_clusters(report: AuditReport, limit: int = TOP_CLUSTERS) -> list[DuplicateCluster]:
    return sorted(report.clusters, key=lambda c: (-cluster_size(c), c.representative))[:limit]


def cluster_members(cluster: DuplicateCluster) -> str:
    others = [m for m in cluster.members if m != cluster.representative]
    more = f" … and {len(others) - CLUSTER_MEMBERS_SHOWN} more" if len(others) > CLUSTER_MEMBERS_SHOWN else ""
    return ", ".join(str(m) for m in others[:CLUSTER_MEMBERS_SHOWN]) + more


def problems(row: RowResult) -> list[str]:
    """What is wrong with a row: ``error``, ``no license``, ``disagrees``, ``denied``, ``opted out``,
    ``reproduces`` (empty for a row without problems)."""
    denied = row.decision is not None and not row.decision.allowed
    no_license = row.error is None and row.license is None and row.detected_license is None
    return [name for name, on in (("error", row.error is not None), ("no license", no_license),
                                  ("disagrees", row.license_agrees is False), ("denied", denied),
                                  ("opted out", bool(row.opted_out)), ("reproduces", bool(row.reproduces))) if on]


def problem_details(row: RowResult) -> list[str]:
    """Why: the error, the policy's reasons, the opt-out signals, the works reproduced."""
    details = [row.error] if row.error else []
    if row.license_agrees is False:
        details.append(f"declared {row.declared_license}, detected {row.detected_license}")
    details += row.decision.reasons if row.decision is not None and not row.decision.allowed else ()
    details += [f"opt-out: {s}" for s in row.optout_signals] if row.opted_out else []
    details += [f"reproduces {w}" for w in row.reproduces]
    return details


# --- sections ------------------------------------------------------------------------------------


def overview_section(report: AuditReport) -> Section:
    columns = ", ".join(f"{k}={v}" for k, v in report.columns.items() if v) or "-"
    rows = [("dataset", report.dataset), ("format", f"{report.format} ({report.layout})"), ("columns", columns),
            ("rows", f"{report.rows_total:,} total, {report.rows_read:,} read, {report.rows_error:,} with errors"),
            ("data read", megabytes(report.bytes_read)), ("time", f"{report.seconds:.1f} s")]
    if report.rows_truncated:
        rows.append(("row results", f"{len(report.rows):,} in this report, {report.rows_truncated:,} more left out"))
    return Section("Dataset", ("item", "value"), rows, keyed=True)


def counted_section(title: str, key: str, items: list[tuple[str, int]], total: int) -> Section:
    return Section(title, (key, "rows", "share"), [(k, f"{n:,}", share(n, total)) for k, n in items])


def findings_section(report: AuditReport) -> Section:
    n = audited_rows(report)
    rows = [("rows with no license evidence", f"{report.no_license:,}", share(report.no_license, n)),
            ("declared and detected licenses disagree", f"{report.disagreements:,}", share(report.disagreements, n)),
            ("exact duplicates", f"{report.exact_duplicates:,}", share(report.exact_duplicates, n)),
            ("near duplicates", f"{report.near_duplicates:,}", share(report.near_duplicates, n)),
            ("opt-outs checked", f"{report.optout_checked:,}", share(report.optout_checked, n)),
            ("opted out", f"{report.opted_out:,}", share(report.opted_out, n)),
            ("rows reproducing catalogued works", f"{report.reproducing:,}", share(report.reproducing, n))]
    return Section("Findings", ("finding", "rows", "share"), rows)


def clusters_section(report: AuditReport) -> Section:
    rows = [(str(c.representative), c.kind, f"{cluster_size(c):,}", cluster_members(c))
            for c in largest_clusters(report)]
    return Section(f"Largest duplicate clusters ({len(report.clusters):,} in all)",
                   ("kept row", "kind", "rows", "duplicates"), rows)


def policy_outcome(report: AuditReport) -> list[tuple[str, int]]:
    """``kept``, ``dropped``, then ``dropped: <reason>`` per reason (a row may have several)."""
    reasons = by_count(report.drop_reasons)
    return [("kept", report.kept), ("dropped", report.dropped), *((f"dropped: {r}", n) for r, n in reasons)]


def outputs_section(report: AuditReport) -> Section:
    return Section("Outputs", ("output", "path"), sorted(report.outputs.items()), keyed=True)


def audit_sections(report: AuditReport) -> list[Section]:
    """The summary as tables: overview, licenses, categories, obligations, findings, and, where
    there is something to say, duplicate clusters, policy outcome, row errors and outputs."""
    n = audited_rows(report)
    sections = [overview_section(report),
                counted_section("Licenses", "license", top_licenses(report), sum(report.licenses.values())),
                counted_section("Categories", "category", by_count(report.categories), n),
                counted_section("Obligations", "obligation", obligation_counts(report), n), findings_section(report)]
    if report.clusters:
        sections.append(clusters_section(report))
    if report.policy:
        sections.append(counted_section(f"Policy: {report.policy}", "outcome", policy_outcome(report),
                                        report.kept + report.dropped))
    if report.errors:
        sections.append(counted_section("Row errors", "code", by_count(report.errors),
                                        report.rows_total or report.rows_read))
    if report.outputs:
        sections.append(outputs_section(report))
    return sections


# --- JSON and Markdown ---------------------------------------------------------------------------


def audit_json(report: AuditReport, *, pretty: bool = False, **_: Any) -> str:
    """The audit document (``to_dict``); compact unless ``pretty``."""
    doc = report.to_dict()
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _cell(value: object) -> str:
    """A table cell: pipes escaped, one line, and no raw HTML (``<`` and ``>`` as entities)."""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _markdown_table(section: Section) -> list[str]:
    lines = [f"## {_cell(section.title)}", "", "| " + " | ".join(section.headers) + " |",
             "|" + "|".join("---:" if h in ("rows", "share") else "---" for h in section.headers) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in section.rows]
    return [*lines, ""]


def audit_markdown(report: AuditReport, **_: Any) -> str:
    out = [f"# creditline audit: {_cell(report.dataset)}", ""]
    for section in audit_sections(report):
        out += _markdown_table(section)
    return "\n".join(out)
