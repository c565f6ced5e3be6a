"""License detection in one text: SPDX tags parsed, rules matched, one expression per file.

``SPDX-License-Identifier:`` lines are parsed as expressions (ids matched case-insensitively,
deprecated forms such as ``GPL-2.0+`` mapped by the license database); everything else goes
through the rule matcher (:mod:`creditline.core.licmatch`). Intro and clue rules are evidence
of nothing by themselves and are not reported.
"""

from __future__ import annotations

import re

import numpy as np

from creditline.core.licindex import KINDS, LicenseIndex
from creditline.core.licmatch import RawMatch, match
from creditline.core.lictokens import to_ids, word_spans, words
from creditline.model import LicenseDetection

SPDX_TAG = re.compile(r"SPDX-License-Identifier\s*:\s*(?P<expr>[^\n]*)", re.IGNORECASE)
_TAG_TAIL = re.compile(r"(\*/|-->|#\}|%>|\?>|\"|'|`|;|,|\\n|\s)+$")
_TAG_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"and": "AND", "or": "OR", "with": "WITH"}
_SILENT = {KINDS.index("intro"), KINDS.index("clue"), KINDS.index("false_positive")}
_KIND_NAMES = {"text": "text", "notice": "notice", "reference": "reference", "tag": "tag"}
UNKNOWN_SPDX = "LicenseRef-scancode-unknown-spdx"


def _tag_expression(raw: str, lookup: dict[str, str]) -> str | None:
    raw = _TAG_TAIL.sub("", raw.strip())
    parts = []
    for tok in _TAG_TOKEN.findall(raw):
        low = tok.lower()
        if tok in "()":
            parts.append(tok)
        elif low in _OPERATORS:
            parts.append(_OPERATORS[low])
        elif low in lookup:
            parts.append(lookup[low])
        elif low.endswith("+") and low[:-1] + "-or-later" in lookup:
            parts.append(lookup[low[:-1] + "-or-later"])
        elif low.startswith("licenseref-"):
            parts.append(tok)
        else:
            parts.append(UNKNOWN_SPDX)
    return " ".join(parts).replace("( ", "(").replace(" )", ")") or None


def _line_starts(text: str) -> np.ndarray:
    return np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 10)


def _line_of(newlines: np.ndarray, offset: int) -> int:
    return int(np.searchsorted(newlines, offset, "left")) + 1


def spdx_tag_detections(text: str, index: LicenseIndex, newlines: np.ndarray) -> list[LicenseDetection]:
    lookup = index.spdx_map
    out = []
    for m in SPDX_TAG.finditer(text):
        expr = _tag_expression(m.group("expr"), lookup)
        if not expr:
            continue
        line = _line_of(newlines, m.start())
        n_tokens = len(_TAG_TOKEN.findall(m.group("expr")))
        out.append(LicenseDetection(expr, line, line, "spdx_tag", "spdx-license-identifier", 100.0, 100.0,
                                    n_tokens, m.start(), m.end()))
    return out


def _detection(m: RawMatch, index: LicenseIndex, spans: np.ndarray, newlines: np.ndarray) -> LicenseDetection:
    start, end = int(spans[m.qstart, 0]), int(spans[m.qend - 1, 1])
    relevance = int(index.arrays["relevance"][m.rule])
    kind = KINDS[index.arrays["kind"][m.rule]]
    return LicenseDetection(
        expression=index.to_spdx(index.expressions[m.rule]),
        start_line=_line_of(newlines, start),
        end_line=_line_of(newlines, max(end - 1, start)),
        kind=_KIND_NAMES.get(kind, kind),
        rule=index.rule_ids[m.rule],
        score=round(m.coverage * relevance / 100.0, 2),
        coverage=round(m.coverage, 2),
        matched_length=m.matched,
        start=start,
        end=end,
    )


def _blank_tags(text: str) -> str:
    return SPDX_TAG.sub(lambda m: " " * len(m.group()), text)


def detect_licenses(text: str, index: LicenseIndex) -> tuple[LicenseDetection, ...]:
    """Every piece of license evidence in ``text``, in text order."""
    newlines = _line_starts(text)
    tags = spdx_tag_detections(text, index, newlines) if "spdx" in text.lower() else []
    body = _blank_tags(text) if tags else text
    ids = to_ids(words(body), index.vocab_map)
    matches = [m for m in match(ids, index) if index.arrays["kind"][m.rule] not in _SILENT]
    if matches:
        _, spans = word_spans(body)
        found = tags + [_detection(m, index, spans, newlines) for m in matches]
    else:
        found = tags
    return tuple(sorted(found, key=lambda d: (d.start, d.end)))


def combine_expressions(expressions: list[str]) -> str | None:
    """One expression for a file: unique detection expressions joined with AND."""
    unique: list[str] = []
    for expr in expressions:
        if expr not in unique:
            unique.append(expr)
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    return " AND ".join(f"({e})" if " OR " in e or " AND " in e else e for e in unique)


def file_license(detections: tuple[LicenseDetection, ...]) -> str | None:
    return combine_expressions([d.expression for d in detections])
