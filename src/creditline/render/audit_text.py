"""The dataset audit summary as terminal tables (rich, rendered to a string)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from creditline.model import AuditReport
from creditline.render.audit import Section, audit_sections
from creditline.render.text import _console

_NUMERIC = ("rows", "share")


def _table(section: Section) -> Table:
    table = Table(title=section.title, show_header=not section.keyed)
    for i, header in enumerate(section.headers):
        style = "bold" if section.keyed and i == 0 else ""
        table.add_column(header, justify="right" if header in _NUMERIC else "left", overflow="fold", style=style)
    for row in section.rows:
        table.add_row(*(Text(value) for value in row))  # Text: dataset values are never read as markup
    return table


def audit_table(report: AuditReport, *, width: int | None = None, color: bool = False, **_: Any) -> str:
    console, buf = _console(width, color)
    for section in audit_sections(report):
        console.print(_table(section))
    return buf.getvalue()
