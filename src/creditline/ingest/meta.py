"""Declared metadata for indexed works: ``--meta works.csv`` or ``works.jsonl``.

Each record names a ``path`` (as indexed, relative to its root) and any of ``title``,
``author``, ``source`` (or ``url``) and ``license`` (SPDX). Unknown columns are ignored.
Problems are collected and raised together, with row numbers.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from creditline.errors import InputError

FIELDS = ("title", "author", "source", "url", "license")


def _record(row: dict[str, object], where: str, problems: list[str]) -> tuple[str, dict[str, str]] | None:
    path = row.get("path")
    if not isinstance(path, str) or not path.strip():
        problems.append(f"{where}: no 'path'")
        return None
    return path.strip(), {k: str(row[k]).strip() for k in FIELDS if row.get(k) not in (None, "")}


def _rows(path: Path) -> list[tuple[str, dict[str, object]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    value = json.loads(line)
                except ValueError as err:
                    raise InputError(f"{path}:{n}: invalid JSON ({err.args[0]})") from err
                rows.append((f"{path}:{n}", value if isinstance(value, dict) else {}))
        return rows
    return [(f"{path}:{n}", dict(row)) for n, row in enumerate(csv.DictReader(text.splitlines()), 2)]


def load_meta(file: str) -> dict[str, dict[str, str]]:
    """path -> declared fields; raises InputError listing every bad row."""
    path = Path(file)
    try:
        rows = _rows(path)
    except OSError as err:
        raise InputError(f"cannot read metadata file {file}: {err.strerror}") from err
    problems: list[str] = []
    out: dict[str, dict[str, str]] = {}
    for where, row in rows:
        rec = _record(row, where, problems)
        if rec:
            out[rec[0]] = rec[1]
    if problems:
        raise InputError("bad metadata rows: " + "; ".join(problems[:20]), hint="each row needs a 'path'")
    return out
