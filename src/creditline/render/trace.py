"""Trace reports as JSON, SARIF 2.1.0 (code scanning) and a self-contained HTML page."""

from __future__ import annotations

import html
import json
from typing import Any

from creditline import __version__
from creditline.model import Match, TraceReport, TraceResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_ID = "copied-licensed-work"
_FLAGS = (("attribution", "attribution"), ("share_alike", "share-alike"), ("non_commercial", "non-commercial"),
          ("no_derivatives", "no-derivatives"), ("source_disclosure", "source disclosure"))


def _requires(m: Match) -> list[str]:
    return sorted({label for o in m.obligations for flag, label in _FLAGS if getattr(o, flag)})


# --- JSON -------------------------------------------------------------------------------------


def trace_json(report: TraceReport, *, pretty: bool = False, **_: Any) -> str:
    """The trace document (``to_dict``; ``violations`` per input, ``decision`` per match)."""
    doc = report.to_dict()
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, ensure_ascii=False) + "\n"


# --- SARIF ------------------------------------------------------------------------------------


def _uri(path: str) -> str:
    return "stdin" if path == "-" else path.replace("\\", "/")


def _sarif_result(r: TraceResult, m: Match) -> dict[str, Any]:
    denied = m.decision is not None and not m.decision.allowed
    text = (f"Lines {m.input_start_line}-{m.input_end_line} copy {m.source} lines "
            f"{m.source_start_line}-{m.source_end_line} ({m.kind}, {m.tokens} tokens), "
            f"licensed under {m.license or 'an unknown license'}. Credit: {m.credit_line}")
    if denied and m.decision is not None:
        text += " Policy violation: " + "; ".join(m.decision.reasons)
    properties: dict[str, Any] = {"source": m.source, "license": m.license, "kind": m.kind, "tokens": m.tokens,
                                  "share": m.share, "credit_line": m.credit_line, "requires": _requires(m)}
    if m.decision is not None:
        properties["policy"] = m.decision.to_dict()
    return {
        "ruleId": RULE_ID,
        "ruleIndex": 0,
        "level": "error" if denied else "warning",
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(r.path)},
            "region": {"startLine": max(m.input_start_line, 1), "endLine": max(m.input_end_line, 1),
                       "charOffset": m.input_start, "charLength": m.input_end - m.input_start},
        }}],
        "partialFingerprints": {"creditline/source/v1": f"{m.work_id}:{m.source_start}-{m.source_end}"},
        "properties": properties,
    }


def trace_sarif(report: TraceReport, **_: Any) -> str:
    """One SARIF result per match: ``warning``, or ``error`` when the policy denies it."""
    rule = {
        "id": RULE_ID,
        "name": "CopiedLicensedWork",
        "shortDescription": {"text": "Text or code copied from a catalogued, licensed work"},
        "fullDescription": {"text": "A span of this file appears in a catalogued work; its license's "
                                    "obligations apply and the work should be credited."},
        "defaultConfiguration": {"level": "warning"},
    }
    run = {
        "tool": {"driver": {"name": "creditline", "version": __version__, "semanticVersion": __version__,
                            "informationUri": "https://github.com/creditline/creditline", "rules": [rule]}},
        "results": [_sarif_result(r, m) for r in report.inputs for m in r.matches],
        "properties": {"catalog": report.catalog, "policy": report.policy},
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
pre{background:#f7f7f7;padding:1rem;white-space:pre-wrap;word-break:break-word;border:1px solid #e2e2e2}
mark{background:#ffe27a;padding:0 1px}mark.denied{background:#ffb3b3}
.card{border:1px solid #ddd;border-left:4px solid #e0b000;padding:.5rem 1rem;margin:.75rem 0}
.card.denied{border-left-color:#d33}.meta{color:#555;font-size:.9em}.bad{color:#b00;font-weight:600}
.ok{color:#276a27}code{background:#f0f0f0;padding:0 3px}
pre.source{background:#fffbea;max-height:24rem;overflow:auto;font-size:.9em}summary{cursor:pointer;color:#555}
"""


def _marked(text: str, matches: tuple[Match, ...]) -> str:
    """The input, escaped, with a ``<mark>`` per (non-overlapping part of a) match."""
    out, pos = [], 0
    for i, m in enumerate(sorted(matches, key=lambda m: m.input_start), 1):
        start, end = max(m.input_start, pos), min(m.input_end, len(text))
        if start >= end:
            continue
        denied = m.decision is not None and not m.decision.allowed
        title = f"match {i}: {m.source} lines {m.source_start_line}-{m.source_end_line}, {m.license or 'unknown'}"
        out.append(html.escape(text[pos:start]))
        cls = ' class="denied"' if denied else ""
        out.append(f'<mark id="m{i}-text"{cls} title="{html.escape(title)}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _card(i: int, m: Match) -> str:
    e = html.escape
    denied = m.decision is not None and not m.decision.allowed
    rows = [f'<div class="card{" denied" if denied else ""}" id="m{i}">',
            f"<strong>{i}. {e(m.source)}</strong> lines {m.source_start_line}-{m.source_end_line} "
            f'<span class="meta">(input lines {m.input_start_line}-{m.input_end_line}, {e(m.kind)}, '
            f"{m.tokens} tokens, {m.share:.0%} of the input)</span>",
            f"<div>License: <code>{e(m.license or 'unknown')}</code></div>"]
    for o in m.obligations:
        needs = [label for flag, label in _FLAGS if getattr(o, flag)]
        rows.append(f'<div class="meta">{e(o.license)} ({e(o.category)}): '
                    f"{e(', '.join(needs) or 'no conditions')}</div>")
    rows.append(f"<div>Credit: {e(m.credit_line)}</div>")
    if m.source_text is not None:
        rows.append(f"<details open><summary>{e(m.source)}, lines {m.source_start_line}-{m.source_end_line}</summary>"
                    f'<pre class="source">{e(m.source_text)}</pre></details>')
    if m.decision is not None:
        if denied:
            rows += [f'<div class="bad">Policy violation: {e(r)}</div>' for r in m.decision.reasons]
        else:
            rows.append('<div class="ok">Allowed by the policy</div>')
        rows += [f'<div class="meta">{e(n)}</div>' for n in m.decision.notes]
    rows.append("</div>")
    return "\n".join(rows)


def _section(r: TraceResult) -> str:
    e = html.escape
    head = (f"<h2>{e(r.path)}</h2><p>{len(r.matches)} match(es); {r.covered:.0%} of {r.tokens} tokens "
            f"found in the catalog" + (f'; <span class="bad">{len(r.violations)} policy violation(s)</span>'
                                       if r.violations else "") + "</p>")
    body = f"<pre>{_marked(r.text, r.matches)}</pre>" if r.text is not None else ""
    cards = "\n".join(_card(i, m) for i, m in enumerate(sorted(r.matches, key=lambda m: m.input_start), 1))
    return "\n".join((head, body, cards))


def trace_html(report: TraceReport, **_: Any) -> str:
    """A self-contained page: each input with its copied spans marked, and a card per match
    with the copied source text beside it.

    The input text and the source text are shown when the report kept them (``trace(...,
    keep_text=True)``; the source's text comes from the catalog).
    """
    e = html.escape
    policy = f"; policy: {e(report.policy)}" if report.policy else ""
    sections = "\n".join(_section(r) for r in report.inputs)
    skipped = "".join(f"<li>{e(s.path)}: {e(s.code)} {e(s.detail)}</li>" for s in report.skipped)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>creditline trace</title><style>{_CSS}</style></head><body>\n"
        f"<h1>creditline trace</h1><p class=\"meta\">catalog: {e(report.catalog)}{policy}; "
        f"creditline {e(__version__)}</p>\n{sections}\n"
        + (f"<h2>Skipped</h2><ul>{skipped}</ul>\n" if skipped else "")
        + "</body></html>\n"
    )
