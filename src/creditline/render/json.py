"""JSON output. The scan document is versioned (``schema_version``) and documented in the README."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from creditline.model import Obligations, ScanReport


def scan_document(report: ScanReport, *, summary_only: bool = False) -> dict[str, Any]:
    data = report.to_dict()
    out: dict[str, Any] = {
        "schema_version": data["schema_version"],
        "tool": {"name": data["tool"], "version": data["tool_version"]},
    }
    if not summary_only:
        out["files"] = data["files"]
    out["summary"] = data["summary"]
    out["skipped"] = data["skipped"]
    out["warnings"] = data["warnings"]
    return out


def scan_json(report: ScanReport, *, summary_only: bool = False, pretty: bool = False, **_: Any) -> str:
    """The scan document; compact unless ``pretty`` (indented output is several times slower
    to produce for big scans: Python's json only has a C encoder for compact output)."""
    doc = scan_document(report, summary_only=summary_only)
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def obligations_json(obligations: Sequence[Obligations], **_: Any) -> str:
    return json.dumps([o.to_dict() for o in obligations], indent=2, ensure_ascii=False) + "\n"
