"""Pure renderers: model values in, ``str`` out, registered by format name.

Renderer modules are imported when first used, so a JSON run never loads rich.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_RENDERERS: dict[str, dict[str, tuple[str, str]]] = {
    "scan": {
        "json": ("json", "scan_json"),
        "table": ("text", "scan_table"),
        "markdown": ("markdown", "scan_markdown"),
    },
    "explain": {
        "json": ("json", "obligations_json"),
        "table": ("text", "obligations_table"),
        "markdown": ("markdown", "obligations_markdown"),
    },
    "optout": {
        "json": ("optout", "optout_json"),
        "table": ("optout", "optout_table"),
    },
    "trace": {
        "json": ("trace", "trace_json"),
        "sarif": ("trace", "trace_sarif"),
        "html": ("trace", "trace_html"),
    },
    "notice": {  # a NoticeInput; spdx and cyclonedx import their libraries only when used
        "markdown": ("notice", "notice_markdown"),
        "spdx": ("spdx", "spdx_json"),
        "cyclonedx": ("cyclonedx", "cyclonedx_json"),
        "card": ("card", "card_markdown"),
    },
    "audit": {  # an AuditReport; the table loads rich, the others do not
        "json": ("audit", "audit_json"),
        "table": ("audit_text", "audit_table"),
        "markdown": ("audit", "audit_markdown"),
        "html": ("audit_html", "audit_html"),
    },
}


def formats(kind: str) -> tuple[str, ...]:
    return tuple(_RENDERERS[kind])


def render(kind: str, fmt: str, value: Any, **options: Any) -> str:
    module, name = _RENDERERS[kind][fmt]
    return getattr(import_module(f"creditline.render.{module}"), name)(value, **options)  # type: ignore[no-any-return]
