"""The dataset audit as one self-contained HTML page: inline CSS and inline SVG bar charts,
no scripts, no external assets. Every value from the dataset is escaped."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from creditline import __version__
from creditline.model import AuditReport, RowResult
from creditline.render.audit import (
    Section,
    audited_rows,
    by_count,
    clusters_section,
    findings_section,
    obligation_counts,
    outputs_section,
    overview_section,
    policy_outcome,
    problem_details,
    problems,
    share,
    top_licenses,
)
from creditline.render.trace import _CSS as TRACE_CSS

MAX_PROBLEM_ROWS = 500
LABEL_CHARS = 36

_CSS = TRACE_CSS + """
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #e2e2e2;padding:.2rem .6rem;
text-align:left;vertical-align:top}th{background:#f7f7f7}td.num,th.num{text-align:right;white-space:nowrap}
.chart{max-width:100%;height:auto;font:12px system-ui,sans-serif}.chart .bar{fill:#4a7fb5}
.chart .bar.bad{fill:#d33}.chart .bar.good{fill:#3a8a3a}.chart text{fill:#222}.chart .value{fill:#555}
"""

# chart geometry (SVG user units)
_ROW_H, _BAR_H, _LABEL_W, _BAR_W, _WIDTH = 24, 16, 260, 300, 700

e = html.escape


# --- SVG bar charts ------------------------------------------------------------------------------


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _bar(i: int, label: str, n: int, peak: int, total: int, tone: str) -> str:
    y = 4 + i * _ROW_H
    width = round(_BAR_W * n / peak, 1) if n else 0
    value = f"{n:,} ({share(n, total)})"
    cls = f"bar {tone}".strip()
    return (f"<g><title>{e(label)}: {e(value)}</title>"
            f'<text x="{_LABEL_W - 8}" y="{y + 12}" text-anchor="end">{e(_short(label))}</text>'
            f'<rect class="{cls}" x="{_LABEL_W}" y="{y}" width="{width}" height="{_BAR_H}"/>'
            f'<text class="value" x="{_LABEL_W + width + 6}" y="{y + 12}">{e(value)}</text></g>')


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, int]], total: int,
              tone: Callable[[str], str] = lambda _label: "") -> str:
    """A horizontal bar chart, one bar per item, each with its label, count and share as text;
    ``<title>`` and ``<desc>`` (the numbers in words) make it readable without the picture."""
    if not items:
        return '<p class="meta">Nothing to show.</p>'
    peak = max(n for _, n in items) or 1
    height = 8 + len(items) * _ROW_H
    desc = "; ".join(f"{label}: {n:,} row{'' if n == 1 else 's'} ({share(n, total)})" for label, n in items)
    bars = "".join(_bar(i, label, n, peak, total, tone(label)) for i, (label, n) in enumerate(items))
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" width="{_WIDTH}" height="{height}" '
            f'viewBox="0 0 {_WIDTH} {height}"><title id="{chart_id}-title">{e(title)}</title>'
            f'<desc id="{chart_id}-desc">{e(desc)}</desc>{bars}</svg>')


# --- tables --------------------------------------------------------------------------------------


def _cells(values: Sequence[str], headers: Sequence[str], tag: str = "td") -> str:
    return "".join(f'<{tag} class="num">{e(v)}</{tag}>' if h in ("rows", "share") else f"<{tag}>{e(v)}</{tag}>"
                   for v, h in zip(values, headers, strict=True))


def html_table(section: Section) -> str:
    head = "" if section.keyed else f"<thead><tr>{_cells(section.headers, section.headers, 'th')}</tr></thead>"
    body = "".join(f"<tr>{_cells(row, section.headers)}</tr>" for row in section.rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _problem_row(r: RowResult) -> str:
    values = ("-" if r.row is None else str(r.row), r.id, r.declared_license or "-", r.detected_license or "-",
              ", ".join(problems(r)))
    details = "<br>".join(e(d) for d in problem_details(r)) or "-"
    return "<tr>" + "".join(f"<td>{e(v)}</td>" for v in values) + f"<td>{details}</td></tr>"


def problem_rows(report: AuditReport, limit: int = MAX_PROBLEM_ROWS) -> str:
    """Rows with no license, a disagreement, a denial, an error, an opt-out or a reproduced work."""
    found = [r for r in report.rows if problems(r)]
    if not found:
        return '<p class="meta">No row in this report has a problem.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("row", "id", "declared", "detected", "problems", "details"))
    body = "".join(_problem_row(r) for r in found[:limit])
    notes = [f"{len(found) - limit:,} more rows with problems are not shown."] if len(found) > limit else []
    if report.rows_truncated:
        notes.append(f"The report holds the first {len(report.rows):,} rows; {report.rows_truncated:,} more "
                     "are only in the per-row results file.")
    note = "".join(f'<p class="meta">{e(n)}</p>' for n in notes)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


# --- page ----------------------------------------------------------------------------------------


def _duplicates(report: AuditReport) -> str:
    n = audited_rows(report)
    unique = max(n - report.exact_duplicates - report.near_duplicates, 0)
    items = [("exact duplicates", report.exact_duplicates), ("near duplicates", report.near_duplicates),
             ("unique", unique)]
    chart = bar_chart("duplicates", "Duplicate rows", items, n)
    return chart + (html_table(clusters_section(report)) if report.clusters else "")


def _policy_tone(label: str) -> str:
    return "bad" if label.startswith("dropped") else "good"


def _policy(report: AuditReport) -> str:
    return bar_chart("policy", f"Policy outcome: {report.policy}", policy_outcome(report),
                     report.kept + report.dropped, _policy_tone)


def _sections(report: AuditReport, max_rows: int) -> list[tuple[str, str]]:
    n = audited_rows(report)
    parts = [("Findings", html_table(findings_section(report))),
             ("Licenses", bar_chart("licenses", "Rows per license", top_licenses(report),
                                    sum(report.licenses.values()))),
             ("Categories", bar_chart("categories", "Rows per license category", by_count(report.categories), n)),
             ("Obligations", bar_chart("obligations", "Rows per obligation", obligation_counts(report), n)),
             ("Duplicates", _duplicates(report))]
    if report.policy:
        parts.append((f"Policy: {report.policy}", _policy(report)))
    if report.errors:
        parts.append(("Row errors", bar_chart("errors", "Rows per error code", by_count(report.errors),
                                              report.rows_total or report.rows_read)))
    parts.append(("Rows with problems", problem_rows(report, max_rows)))
    if report.outputs:
        parts.append(("Outputs", html_table(outputs_section(report))))
    return parts


def audit_html(report: AuditReport, *, max_rows: int = MAX_PROBLEM_ROWS, **_: Any) -> str:
    """A self-contained page: the overview, charts of licenses, categories, obligations,
    duplicates and the policy outcome, and the rows with problems (at most ``max_rows``)."""
    body = "\n".join(f"<h2>{e(title)}</h2>\n{content}" for title, content in _sections(report, max_rows))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>creditline audit: {e(report.dataset)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>creditline audit: {e(report.dataset)}</h1>\n"
        f'<p class="meta">creditline {e(__version__)}; report schema {e(report.schema_version)}</p>\n'
        f"{html_table(overview_section(report))}\n{body}\n</body></html>\n"
    )
