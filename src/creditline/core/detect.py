"""License detection in one text: SPDX tags parsed, rules matched, one expression per file.

``SPDX-License-Identifier:`` lines are parsed as expressions (ids matched case-insensitively,
deprecated forms such as ``GPL-2.0+`` mapped by the license database); everything else goes
through the rule matcher (:mod:`creditline.core.licmatch`). Intro and clue rules are evidence
of nothing by themselves and are not reported.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from collections.abc import Callable, Sequence

import numpy as np

from creditline.core.charclass import newlines
from creditline.core.licindex import KINDS, LicenseIndex
from creditline.core.licmatch import RawMatch, Rows, match
from creditline.core.lictokens import UNKNOWN, share_words, tokenize
from creditline.core.native import find_folded
from creditline.model import LicenseDetection

SPDX_TAG = re.compile(r"SPDX-License-Identifier\s*:\s*(?P<expr>[^\n]*)", re.IGNORECASE)
_TAG_TAIL = re.compile(r"(\*/|-->|#\}|%>|\?>|\"|'|`|;|,|\\n|\s)+$")
_TAG_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"and": "AND", "or": "OR", "with": "WITH"}
_SILENT = {KINDS.index("intro"), KINDS.index("clue"), KINDS.index("false_positive")}
_KIND_NAMES = {"text": "text", "notice": "notice", "reference": "reference", "tag": "tag"}
UNKNOWN_SPDX = "LicenseRef-scancode-unknown-spdx"
_LICENSE_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]*[A-Za-z0-9]", re.IGNORECASE)


def _tag_symbol(tok: str, lookup: dict[str, str]) -> str:
    low = tok.lower()
    if low in lookup:
        return lookup[low]
    if low.endswith("+") and low[:-1] + "-or-later" in lookup:
        return lookup[low[:-1] + "-or-later"]
    ref = _LICENSE_REF.match(tok)
    if ref:
        return ref.group()
    return UNKNOWN_SPDX


def _tag_expression(raw: str, lookup: dict[str, str]) -> str | None:
    """The expression of an ``SPDX-License-Identifier`` value; ids are mapped through the
    license database, unknown ids become ``LicenseRef-scancode-unknown-spdx``, and reading
    stops where the value stops being an expression (trailing prose, a closing comment)."""
    return _read_expression(raw, lookup)[0]


def known_expression(raw: str, index: LicenseIndex) -> str | None:
    """``raw`` as a canonical SPDX expression when it is one made only of known ids (any case,
    deprecated forms accepted); otherwise None. No parsing library involved: cheap."""
    expr, complete = _read_expression(raw, index.spdx_map)
    return expr if complete and expr and UNKNOWN_SPDX not in expr else None


def _read_expression(raw: str, lookup: dict[str, str]) -> tuple[str | None, bool]:
    """(expression read, whether every token of ``raw`` was used)."""
    parts: list[str] = []
    depth = 0
    expect_operand = True
    tokens = _TAG_TOKEN.findall(_TAG_TAIL.sub("", raw.strip()))
    used = 0
    for tok in tokens:
        op = _OPERATORS.get(tok.lower())
        if tok == "(" and expect_operand:
            depth += 1
            parts.append(tok)
        elif tok == ")" and not expect_operand and depth:
            depth -= 1
            parts.append(tok)
        elif op and not expect_operand:
            parts.append(op)
            expect_operand = True
        elif expect_operand and not op and tok not in "()":
            parts.append(_tag_symbol(tok, lookup))
            expect_operand = False
        else:
            break
        used += 1
    complete = used == len(tokens) and depth == 0 and not expect_operand
    while parts and (parts[-1] in ("AND", "OR", "WITH", "(")):
        if parts.pop() == "(":
            depth -= 1
    parts.extend(")" * depth)
    text = " ".join(parts).replace("( ", "(").replace(" )", ")")
    return text or None, complete


def _line_starts(text: str) -> np.ndarray:
    return newlines(text)


def _line_of(newlines: np.ndarray, offset: int) -> int:
    return int(np.searchsorted(newlines, offset, "left")) + 1


_TAG_HEAD = (b"spdx-license-identifier",)
_TAG_HEAD_TWINS = ("\u0130", "\u0131", "\u017f")  # İ ı ſ: IGNORECASE matches them to letters of the head


def _tag_matches(text: str) -> list[re.Match[str]]:
    """The matches of :data:`SPDX_TAG` in ``text``, as ``finditer`` gives them; the expression is
    tried only where :func:`~creditline.core.native.find_folded` finds its literal head, not at
    every character. The whole text is scanned without the compiled module, or when it holds a
    character that IGNORECASE takes for a letter of the head (``İ``, ``ı``, ``ſ``)."""
    heads = find_folded(text, _TAG_HEAD)
    if heads is None or any(c in text for c in _TAG_HEAD_TWINS):
        return list(SPDX_TAG.finditer(text))
    found: list[re.Match[str]] = []
    end = 0
    for at in heads:
        m = SPDX_TAG.match(text, at) if at >= end else None
        if m:
            found.append(m)
            end = m.end()
    return found


def spdx_tag_detections(text: str, index: LicenseIndex, newlines: np.ndarray | None = None,
                        matches: list[re.Match[str]] | None = None) -> list[LicenseDetection]:
    """The SPDX-License-Identifier tags of ``text`` (``matches``: its :func:`_tag_matches`,
    found here when not given; ``newlines``: its line ends, found when needed)."""
    lookup = index.spdx_map
    out = []
    for m in _tag_matches(text) if matches is None else matches:
        expr = _tag_expression(m.group("expr"), lookup)
        if not expr:
            continue
        if newlines is None:
            newlines = _line_starts(text)
        line = _line_of(newlines, m.start())
        n_tokens = len(_TAG_TOKEN.findall(m.group("expr")))
        out.append(LicenseDetection(expr, line, line, "spdx_tag", "spdx-license-identifier", 100.0, 100.0,
                                    n_tokens, m.start(), m.end()))
    return out


def _detections(matches: list[RawMatch], index: LicenseIndex, spans: np.ndarray,
                newlines: np.ndarray) -> list[LicenseDetection]:
    """Detections of rule matches, their offsets and lines computed for all matches at once."""
    qstart = np.fromiter((m.qstart for m in matches), dtype=np.int64, count=len(matches))
    qend = np.fromiter((m.qend for m in matches), dtype=np.int64, count=len(matches))
    starts, ends = spans[qstart, 0], spans[qend - 1, 1]
    first_lines = np.searchsorted(newlines, starts, "left") + 1
    last_lines = np.searchsorted(newlines, np.maximum(ends - 1, starts), "left") + 1
    rows = zip(matches, starts.tolist(), ends.tolist(), first_lines.tolist(), last_lines.tolist())
    return [_detection(m, index, start, end, first, last) for m, start, end, first, last in rows]


def _detection(m: RawMatch, index: LicenseIndex, start: int, end: int, first_line: int,
               last_line: int) -> LicenseDetection:
    relevance = int(index.arrays["relevance"][m.rule])
    kind = KINDS[index.arrays["kind"][m.rule]]
    return LicenseDetection(
        expression=index.to_spdx(index.expressions[m.rule]),
        start_line=first_line,
        end_line=last_line,
        kind=_KIND_NAMES.get(kind, kind),
        rule=index.rule_ids[m.rule],
        score=round(m.coverage * relevance / 100.0, 2),
        coverage=round(m.coverage, 2),
        matched_length=m.matched,
        start=start,
        end=end,
    )


LIST_MIN_LICENSES = 10
LIST_MAX_GAP_LINES = 20
SHORT_TOKENS = 16
WEAK_TOKENS = 12
_FAMILY = re.compile(r"^(?:licenseref-scancode-)?([a-z]+)")


def _is_short(d: LicenseDetection) -> bool:
    return d.kind in ("reference", "tag", "spdx_tag") and d.matched_length <= SHORT_TOKENS


def drop_license_lists(found: list[LicenseDetection]) -> list[LicenseDetection]:
    """Drop runs of short references naming many different licenses: a license list (a
    trove classifier list, an SPDX id table) is not the file's license."""
    short = sorted((d for d in found if _is_short(d)), key=lambda d: d.start_line)
    drop: set[int] = set()
    run: list[LicenseDetection] = []
    for d in short + [None]:  # type: ignore[list-item]
        if d is not None and (not run or d.start_line - run[-1].end_line <= LIST_MAX_GAP_LINES):
            run.append(d)
            continue
        if len({x.expression for x in run}) >= LIST_MIN_LICENSES:
            drop.update(id(x) for x in run)
        run = [d] if d is not None else []
    return [d for d in found if id(d) not in drop]


_ID_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*")
LIST_MIN_IDS = 10
LIST_KEEP_TEXT_TOKENS = 50  # in a license list, only whole license texts still count


def is_license_id_list(text: str, found: list[LicenseDetection], index: LicenseIndex) -> bool:
    """A text naming at least LIST_MIN_IDS distinct license ids verbatim (an SPDX id table, a
    JSON array of ids) is a list of licenses, whatever few of its entries the rules match.
    Only whole license texts in it still count."""
    if sum(1 for d in found if _is_short(d)) < 3:
        return False
    lookup = index.spdx_map
    ids = {w.lower() for w in set(_ID_LIKE.findall(text)) if ("-" in w or w.isupper()) and w.lower() in lookup}
    return len(ids) >= LIST_MIN_IDS


def keep_in_list(found: list[LicenseDetection]) -> list[LicenseDetection]:
    """What still counts in a license list: SPDX tags (the file's own) and whole texts."""
    return [d for d in found if d.kind == "spdx_tag" or (d.kind == "text" and d.matched_length > LIST_KEEP_TEXT_TOKENS)]


_URL = re.compile(r"(?:https?|ftp)://[^\s\"'<>)\]]+", re.IGNORECASE)
URL_TOKENS = 3


def _url_spans(text: str) -> list[tuple[int, int]]:
    """The spans ``_URL.finditer(text)`` gives, found from each ``://`` (a URL's scheme is 3 to 5
    characters before it), so a long text is not scanned by the regular expression."""
    spans: list[tuple[int, int]] = []
    end = 0
    pos = text.find("://")
    while pos != -1:
        for start in (pos - 5, pos - 4, pos - 3):
            m = _URL.match(text, start) if start >= end else None
            if m:
                spans.append(m.span())
                end = m.end()
                break
        pos = text.find("://", max(pos + 3, end))
    return spans


def drop_url_mentions(text: str, found: list[LicenseDetection]) -> list[LicenseDetection]:
    """A license tag ("PSF License") read out of a URL (``python.org/psf/license``) points
    somewhere; it does not license the file. Rules written for URLs (references) are kept."""
    if "://" not in text or not any(d.kind == "tag" and d.matched_length <= URL_TOKENS for d in found):
        return found
    urls = _url_spans(text)

    def inside_url(d: LicenseDetection) -> bool:
        return (d.kind == "tag" and d.matched_length <= URL_TOKENS
                and any(a <= d.start and d.end <= b for a, b in urls))

    return [d for d in found if not inside_url(d)]


@functools.lru_cache(maxsize=4096)
def _families(expression: str) -> frozenset[str]:
    return frozenset(m.group(1) for tok in re.findall(r"[^\s()]+", expression.lower())
                     if tok not in ("and", "or", "with") and (m := _FAMILY.match(tok)))


def _unversioned(rule: str, index: LicenseIndex) -> bool:
    memo: dict[str, bool] = index.memo.setdefault("unversioned", {})  # type: ignore[assignment]
    found = memo.get(rule)
    if found is None:
        found = memo[rule] = _has_no_number(rule, index)
    return found


def _has_no_number(rule: str, index: LicenseIndex) -> bool:
    number = index.rule_numbers.get(rule)
    if number is None:
        return False
    vocab = index.vocab
    return not any(any(c.isdigit() for c in vocab[t - 1]) for t in index.rule_tokens(number).tolist())


_VERSION = re.compile(r"-(\d+(?:\.\d+)?)")


def _version(expression: str) -> float | None:
    m = _VERSION.search(expression)
    return float(m.group(1)) if m else None


def _less_specific(weak: str, strong: list[str]) -> bool:
    """``weak`` names a family with a lower version than some strong detection (or BSD)."""
    fam = _families(weak)
    for expr in strong:
        if not fam or not fam <= _families(expr):
            continue
        if fam == {"bsd"}:
            return True
        wv, sv = _version(weak), _version(expr)
        if wv is not None and sv is not None and wv < sv:
            return True
    return False


def absorb_weak_references(found: list[LicenseDetection], index: LicenseIndex) -> list[LicenseDetection]:
    """Drop a short, unversioned reference ("under the GPL", "BSD license") when a stronger
    detection in the same text names that license family with a higher version."""
    strong = [d.expression for d in found if d.kind in ("text", "notice", "spdx_tag") and d.matched_length > WEAK_TOKENS]
    if not strong:
        return found

    later = {e.removesuffix("-or-later") for e in strong if e.endswith("-or-later")}

    def weak(d: LicenseDetection) -> bool:
        if d.kind not in ("reference", "tag", "notice") or d.matched_length > WEAK_TOKENS:
            return False
        if d.expression.endswith("-only") and d.expression.removesuffix("-only") in later:
            return True  # "the text of the LGPL 2.1 is in /usr/share/..." next to "2.1 or later"
        return _unversioned(d.rule, index) and _less_specific(d.expression, strong)

    return [d for d in found if not weak(d)]


_MEANINGFUL_GENERIC = frozenset({
    "public-domain", "us-govt-public-domain", "commercial-license", "commercial-option", "proprietary-license",
    "proprietary", "unpublished-source",
})


def _generic_ids(index: LicenseIndex) -> frozenset[str]:
    cached = index.memo.get("generic_ids")
    if cached is None:
        cached = index.memo["generic_ids"] = frozenset(
            lic.spdx for lic in index.licenses.values()
            if (lic.is_generic or lic.is_unknown) and lic.key not in _MEANINGFUL_GENERIC
        )
    return cached  # type: ignore[no-any-return]


def drop_generic_extras(found: list[LicenseDetection], index: LicenseIndex) -> list[LicenseDetection]:
    """Drop catch-all detections (bare warranty disclaimers, "other permissive", unknown
    references) from a text where a specific license is detected."""
    generic = _generic_ids(index)

    def is_generic(d: LicenseDetection) -> bool:
        return all(t in generic for t in re.findall(r"[^\s()]+", d.expression) if t not in ("AND", "OR", "WITH"))

    if all(is_generic(d) for d in found):
        return found
    return [d for d in found if not is_generic(d)]


def tags_take_precedence(found: list[LicenseDetection]) -> list[LicenseDetection]:
    """A file that states its license with ``SPDX-License-Identifier`` is not relicensed by a
    short mention elsewhere in it ("Licensed to PSF under a Contributor Agreement", a license
    name in a string); longer notices and texts still count."""
    if not any(d.kind == "spdx_tag" for d in found):
        return found
    return [d for d in found if d.kind == "spdx_tag" or d.matched_length > WEAK_TOKENS]


def _category_of(license_id: str, index: LicenseIndex) -> str:
    by_spdx = index.memo.get("category_by_spdx")
    if by_spdx is None:
        by_spdx = index.memo["category_by_spdx"] = {lic.spdx: lic.category for lic in index.licenses.values()}
    return by_spdx.get(license_id, "")  # type: ignore[union-attr]


def public_domain_absorbed(found: list[LicenseDetection], index: LicenseIndex) -> list[LicenseDetection]:
    """A bare "public domain" mention next to a public-domain dedication (Unlicense, CC0...) is
    part of that dedication."""
    pd = "LicenseRef-scancode-public-domain"
    if not any(d.expression != pd and _category_of(d.expression, index) == "Public Domain" for d in found):
        return found
    return [d for d in found if d.expression != pd]


def _blank_tags(text: str, matches: list[re.Match[str]]) -> str:
    """``text`` with its tag matches (:func:`_tag_matches`) turned into spaces."""
    pieces, end = [], 0
    for m in matches:
        pieces += [text[end : m.start()], " " * (m.end() - m.start())]
        end = m.end()
    return "".join(pieces) + text[end:]


def _mentions_spdx(text: str) -> bool:
    """Whether "spdx" is in ``text`` in any case (searched in place, no lower-cased copy)."""
    found = find_folded(text, (b"spdx",), first_only=True)
    return bool(found) if found is not None else "spdx" in text.lower()


def _prepared(text: str, index: LicenseIndex) -> tuple[list[LicenseDetection], str]:
    """(SPDX tag detections, the text with its tags blanked out for matching)."""
    if not _mentions_spdx(text):
        return [], text
    matches = _tag_matches(text)
    tags = spdx_tag_detections(text, index, matches=matches) if matches else []
    return tags, _blank_tags(text, matches) if tags else text


def _evidence(text: str, tags: list[LicenseDetection], matches: list[RawMatch], spans: Callable[[], np.ndarray],
              index: LicenseIndex) -> tuple[LicenseDetection, ...]:
    """The detections of ``text`` from its tags and rule matches (token offsets from ``spans``);
    a text with neither (most dataset rows) has none, and its lines are never counted."""
    matches = [m for m in matches if index.arrays["kind"][m.rule] not in _SILENT]
    if not matches and not tags:
        return ()
    found = tags + _detections(matches, index, spans(), _line_starts(text)) if matches else tags
    if is_license_id_list(text, found, index):
        found = keep_in_list(found)
    found = drop_url_mentions(text, drop_license_lists(found))
    found = absorb_weak_references(tags_take_precedence(found), index)
    found = public_domain_absorbed(drop_generic_extras(found, index), index)
    return tuple(sorted(found, key=lambda d: (d.start, d.end)))


def detect_licenses(text: str, index: LicenseIndex) -> tuple[LicenseDetection, ...]:
    """Every piece of license evidence in ``text``, in text order."""
    tags, body = _prepared(text, index)
    tokens = tokenize(body, index.vocab_map)
    return _evidence(text, tags, match(tokens.ids, index), lambda: tokens.spans, index)


def detect_licenses_batch(texts: Sequence[str], index: LicenseIndex) -> list[tuple[LicenseDetection, ...]]:
    """:func:`detect_licenses` of each text, with the same results, tokenising and matching the
    texts together (one token sequence, texts kept apart by :class:`~.licmatch.Rows`): many short
    texts (dataset rows) cost a fraction of one call each. ASCII texts and other texts are
    batched apart (ASCII tokenises faster); a text whose lower-casing changes its length (rare:
    ``İ``) is detected on its own."""
    out: list[tuple[LicenseDetection, ...]] = [()] * len(texts)
    ascii_texts, other = [], []
    for i, text in enumerate(texts):
        if text.isascii():
            ascii_texts.append(i)
        elif "\u0130" not in text:  # the one character whose lower case is longer (İ -> i̇)
            other.append(i)
        else:
            out[i] = detect_licenses(text, index)
    for group in (ascii_texts, other):
        if group:
            for i, found in zip(group, _detect_together([texts[i] for i in group], index)):
                out[i] = found
    return out


def _local_spans(starts: np.ndarray, ends: np.ndarray, at: int) -> Callable[[], np.ndarray]:
    """The ``(start, end)`` offsets of one text's tokens in that text (made when asked for)."""
    return lambda: np.stack([starts, ends], axis=1) - at


def _detect_together(texts: list[str], index: LicenseIndex) -> list[tuple[LicenseDetection, ...]]:
    prepared = [_prepared(text, index) for text in texts]
    bodies = [body for _, body in prepared]
    char_start = np.cumsum([0] + [len(b) + 1 for b in bodies[:-1]])
    joined = "\n".join(bodies)
    tokens = tokenize(joined, index.vocab_map)  # a newline: no token spans two texts
    share_words(joined, [text if body is text else None for text, body in zip(texts, bodies)], char_start.tolist())
    starts, ends = tokens.bounds
    first = np.searchsorted(starts, char_start)
    stop = np.append(first[1:], len(starts))
    barrier = np.arange(len(bodies))  # an unknown token before every text but the first
    rows = Rows(first + barrier, stop + barrier)
    per_text: list[list[RawMatch]] = [[] for _ in bodies]
    found = match(np.insert(tokens.ids, first[1:], UNKNOWN), index, rows)
    text_of = rows.of(np.fromiter((m.qstart for m in found), dtype=np.int64, count=len(found))).tolist()
    for m, r in zip(found, text_of):
        shift = int(rows.start[r])
        per_text[r].append(dataclasses.replace(m, qstart=m.qstart - shift, qend=m.qend - shift))
    out = []
    for r, text in enumerate(texts):
        tags = prepared[r][0]
        spans = _local_spans(starts[first[r] : stop[r]], ends[first[r] : stop[r]], int(char_start[r]))
        out.append(_evidence(text, tags, per_text[r], spans, index))
    return out
