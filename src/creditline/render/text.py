"""Terminal tables (rendered to a string with rich; the CLI decides where it goes)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from creditline.model import Obligations, RootSummary, ScanReport


def _console(width: int | None, color: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width or 120, force_terminal=color, no_color=not color,
                   highlight=False, soft_wrap=False), buf


def _files_table(report: ScanReport) -> Table:
    table = Table(title="Files", show_lines=False)
    table.add_column("path", overflow="fold")
    table.add_column("license", overflow="fold")
    table.add_column("evidence")
    table.add_column("copyright holders", overflow="fold")
    for f in report.files:
        if not (f.license or f.copyrights):
            continue
        kinds = ", ".join(sorted({d.kind for d in f.detections}))
        holders = "; ".join(dict.fromkeys(h for c in f.copyrights for h in c.holders))
        table.add_row(f.path, f.license or "-", kinds or "-", holders or "-")
    return table


def _obligation_flags(o: Obligations) -> str:
    flags = [name for name, on in (
        ("attribution", o.attribution), ("notice", o.notice_preservation),
        (f"share-alike ({o.share_alike})" if o.share_alike else "", bool(o.share_alike)),
        ("non-commercial", o.non_commercial), ("no-derivatives", o.no_derivatives),
        ("patent terms", o.patent_terms), ("source disclosure", o.source_disclosure),
    ) if on]
    return ", ".join(flags) or "-"


def _summary_table(summary: RootSummary) -> Table:
    c = summary.clarity
    table = Table(title=f"Summary: {summary.root}", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("declared license", summary.declared_license or "none declared at this root")
    table.add_row("declared in", ", ".join(summary.declared_from) or "-")
    table.add_row("files", f"{c.files} ({c.with_license} with a license, {c.with_copyright} with a copyright)")
    table.add_row("clarity score", f"{c.score}/100; {c.agreeing} files agree with the declared license, "
                                   f"{c.disagreeing} do not")
    top = ", ".join(f"{k} ({v})" for k, v in list(summary.licenses.items())[:12])
    table.add_row("licenses found", top or "-")
    table.add_row("top holders", "; ".join(summary.holders[:5]) or "-")
    return table


SKIPPED_SHOWN = 10


def _skipped_table(report: ScanReport) -> Table:
    """Skipped items by code, with the first few of each (all of them are in the JSON)."""
    by_code: dict[str, list[str]] = {}
    for s in report.skipped:
        by_code.setdefault(s.code, []).append(s.path)
    table = Table(title=f"Skipped ({len(report.skipped)}; every entry is in --format json)")
    table.add_column("code")
    table.add_column("count", justify="right")
    table.add_column("examples", overflow="fold")
    for code, paths in sorted(by_code.items(), key=lambda kv: -len(kv[1])):
        more = f" … and {len(paths) - SKIPPED_SHOWN} more" if len(paths) > SKIPPED_SHOWN else ""
        table.add_row(code, str(len(paths)), ", ".join(paths[:SKIPPED_SHOWN]) + more)
    return table


def scan_table(report: ScanReport, *, summary_only: bool = False, width: int | None = None,
               color: bool = False, **_: Any) -> str:
    console, buf = _console(width, color)
    if not summary_only:
        console.print(_files_table(report))
    for summary in report.summary:
        console.print(_summary_table(summary))
        console.print(obligations_table_obj(summary.obligations))
    if report.skipped:
        console.print(_skipped_table(report))
    return buf.getvalue()


def obligations_table_obj(obligations: Sequence[Obligations]) -> Table:
    table = Table(title="Obligations")
    table.add_column("license")
    table.add_column("category")
    table.add_column("requires", overflow="fold")
    for o in obligations:
        table.add_row(o.license, o.category, _obligation_flags(o))
    return table


def obligations_table(obligations: Sequence[Obligations], *, width: int | None = None, color: bool = False,
                      **_: Any) -> str:
    console, buf = _console(width, color)
    console.print(obligations_table_obj(obligations))
    for o in obligations:
        if o.notes:
            console.print(f"[bold]{o.license}[/bold]: " + " ".join(o.notes))
        if o.url:
            console.print(f"  {o.url}")
    return buf.getvalue()
