"""Pure renderers: model values in, ``str`` out, registered by format name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from creditline.render import json as _json
from creditline.render import markdown as _markdown
from creditline.render import text as _text

SCAN_FORMATS: dict[str, Callable[..., str]] = {
    "json": _json.scan_json,
    "table": _text.scan_table,
    "markdown": _markdown.scan_markdown,
}

EXPLAIN_FORMATS: dict[str, Callable[..., str]] = {
    "json": _json.obligations_json,
    "table": _text.obligations_table,
    "markdown": _markdown.obligations_markdown,
}


def render(kind: str, fmt: str, value: Any, **options: Any) -> str:
    table = {"scan": SCAN_FORMATS, "explain": EXPLAIN_FORMATS}[kind]
    return table[fmt](value, **options)
