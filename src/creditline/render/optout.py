"""Opt-out reports as JSON (``to_dict``, schema version 1.0) and as a plain-text table."""

from __future__ import annotations

import json
from typing import Any

from creditline.model import OptOutReport, OptOutResult, OptOutSignal

MAX_AGENTS_SHOWN = 6


def optout_json(report: OptOutReport, *, pretty: bool = True, **_: Any) -> str:
    """The report document: ``results`` (target, opted_out, signals, errors, notes, sources,
    checked, fetched_from_cache), the ``agents`` checked, ``offline`` and ``registry``."""
    doc = report.to_dict()
    doc["opted_out"] = report.opted_out
    return json.dumps(doc, indent=2 if pretty else None, ensure_ascii=False) + "\n"


def _agents(signal: OptOutSignal) -> str:
    agents = ["all agents" if a == "*" else a for a in signal.agents]
    if len(agents) > MAX_AGENTS_SHOWN:
        return ", ".join(agents[:MAX_AGENTS_SHOWN]) + f" and {len(agents) - MAX_AGENTS_SHOWN} more"
    return ", ".join(agents)


def _status(result: OptOutResult) -> str:
    if result.opted_out:
        return "OPTED OUT"
    if not result.checked:
        return "NOT CHECKED"
    return "no opt-out signal found"


def _result_lines(result: OptOutResult) -> list[str]:
    cached = " (from the cache)" if result.fetched_from_cache else ""
    lines = [f"{result.target}: {_status(result)}{cached}"]
    for s in result.signals:
        policy = f"; policy {s.policy}" if s.policy else ""
        lines.append(f"  {s.kind:<13} {_agents(s)}: {s.detail}{policy}")
        lines.append(f"  {'':<13} from {s.source}")
    lines += [f"  error: {e}" for e in result.errors]
    lines += [f"  note: {n}" for n in result.notes]
    return lines


def optout_table(report: OptOutReport, **_: Any) -> str:
    lines: list[str] = []
    for result in report.results:
        lines += _result_lines(result)
    out = sum(r.opted_out for r in report.results)
    unchecked = sum(not r.checked for r in report.results)
    lines.append(f"{len(report.results)} target(s): {out} opted out, "
                 f"{len(report.results) - out - unchecked} without opt-out signals, {unchecked} not checked; "
                 f"{len(report.agents)} agent token(s) checked" + (", offline" if report.offline else ""))
    return "\n".join(lines) + "\n"
