"""Markdown output, for reports pasted into issues, pull requests and wikis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from creditline.model import Obligations, ScanReport


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _obligation_row(o: Obligations) -> str:
    flags = [n for n, on in (("attribution", o.attribution), ("notice", o.notice_preservation),
                             (f"share-alike: {o.share_alike}", bool(o.share_alike)),
                             ("non-commercial", o.non_commercial), ("no-derivatives", o.no_derivatives),
                             ("patent terms", o.patent_terms), ("source disclosure", o.source_disclosure)) if on]
    return f"| {_cell(o.license)} | {_cell(o.category)} | {_cell(', '.join(flags) or '-')} |"


def obligations_markdown(obligations: Sequence[Obligations], **_: Any) -> str:
    lines = ["| License | Category | Requires |", "|---|---|---|"]
    lines += [_obligation_row(o) for o in obligations]
    return "\n".join(lines) + "\n"


def scan_markdown(report: ScanReport, *, summary_only: bool = False, **_: Any) -> str:
    out = ["# creditline scan", ""]
    for s in report.summary:
        c = s.clarity
        out += [f"## {_cell(s.root)}", "",
                f"- Declared license: **{_cell(s.declared_license or 'none found')}**",
                f"- Files: {c.files}, with a license: {c.with_license}, with a copyright: {c.with_copyright}",
                f"- Clarity score: {c.score}/100 ({c.disagreeing} files disagree with the declared license)", "",
                "### Obligations", "", obligations_markdown(s.obligations)]
    if not summary_only:
        out += ["## Files", "", "| Path | License | Copyright |", "|---|---|---|"]
        for f in report.files:
            if f.license or f.copyrights:
                holders = "; ".join(dict.fromkeys(h for c in f.copyrights for h in c.holders))
                out.append(f"| {_cell(f.path)} | {_cell(f.license or '-')} | {_cell(holders or '-')} |")
        out.append("")
    if report.skipped:
        out += ["## Skipped", "", "| Path | Code | Detail |", "|---|---|---|"]
        out += [f"| {_cell(s.path)} | {s.code} | {_cell(s.detail)} |" for s in report.skipped]
        out.append("")
    return "\n".join(out)
