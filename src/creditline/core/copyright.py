"""Copyright notice and author detection in one text.

:func:`detect_copyrights` is pure: a string in, :class:`~creditline.model.CopyrightNotice`
values out. It looks only at the lines around a handful of keywords (``copyright``, ``(c)``,
``©``, ``copr.``, ``author``, ``written by`` and the HTML entities for ``©``), found with a few
C-level substring searches over the lower-cased text, so a large file without any of them
costs one ``str.lower`` and eight ``str.find`` passes (about 5 ms per MB; one case-insensitive
regex over the whole text measured about 55 ms per MB).

Lines are the ``"\\n"``-separated lines of the text, numbered from 1; a ``"\\r"`` before the
newline is ignored.

Decisions worth knowing:

* ``copyright = "2020, Foo"`` (an assignment, as in a Sphinx ``conf.py``) is *not* reported:
  it is a setting, and the same project states its notice in its files. A string literal that
  itself contains a notice (``__copyright__ = "Copyright 2020 Foo"``) is reported.
* A bare ``(c)`` counts only when a year follows (``(c) You must`` is list numbering).
* Templates (``<year>``, ``[yyyy]``, ``{name}``, ``YEAR``, ``$YEAR``) are never reported.
* A Debian ``Copyright:`` field with indented continuation lines is one notice with one
  holder per line.
* One notice per line at most, and at most ``_MAX_STATEMENT_CHARS`` of a line are read from
  its marker, so a minified file with many notices on one line reports the first.
* Holders keep a leading ``the`` (``the Python Software Foundation``) but not ``by``; emails
  and URLs stay in the statement and are removed from holders and authors.
* Authors come from ``Author:``, ``Authors:`` (inline or one per following line),
  ``Written by``, ``@author`` and ``__author__ = "..."`` at the start of a (comment) line.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from creditline.core.native import find_folded
from creditline.model import CopyrightNotice

__all__ = ["detect_copyrights"]

_NEEDLES = ("copyright", "(c)", "©", "copr.", "author", "written", "&copy;", "&#169;")
_ASCII_NEEDLES = tuple(n.encode("ascii") for n in _NEEDLES if n.isascii())
_OTHER_NEEDLES = tuple(n for n in _NEEDLES if not n.isascii())  # caseless: found as written
assert all(n.lower() == n.upper() == n for n in _OTHER_NEEDLES)
_CANDIDATE = re.compile(r"copyright|\(c\)|©|copr\.|author|written\s+by|&copy;|&#169;", re.I)

_MARKER = re.compile(
    r"(?P<spdx>\bspdx-filecopyrighttext\s*:)"
    r"|(?P<word>(?:\bportions\s+)?\bcopyright\b)"
    r"|(?P<copr>\bcopr\.)"
    r"|(?P<paren>\(c\))"
    r"|(?P<sym>©|&copy;|&\#169;)",
    re.I,
)
_CONNECTORS = frozenset("and of the de van von der du la le di da y und et al".split())
_AFTER_MARKER = re.compile(r"^[\s:]*((?:(?:\(c\)|©|&copy;|&#169;)[\s,:]*)*)", re.I)
_LEAD = re.compile(
    r"^(?:\s*(?:spdx-filecopyrighttext\s*:|portions\b|copyright\b|copr\.|\(c\)|©|&copy;|&#169;|:))+"
    r"\s*",
    re.I,
)
_YEAR = r"(?:19|20)\d\d"
_YEARS = re.compile(
    rf"(?<![\w.-]){_YEAR}(?:\s*(?:-{{1,2}}|–|—)\s*(?:{_YEAR}|\d{{1,2}}|present|now|today))?(?![\w-])", re.I
)
_STARTS_WITH_YEAR = re.compile(rf"^\s*{_YEAR}\b")
_NOT_A_HOLDER_WORD = frozenset(
    """holder holders owner owners notice notices law laws statement statements protection
    protected and or of to is are was were be been in on for as at if that which with from
    license licence licenses licences licensing information info file files text header
    headers assignment infringement infringing disclaimer disclaimers interest interests
    claim claims status year years date dates line lines message messages section policy
    act terms owned applies office agent treaty clearance directive management registration
    symbol sign page rights holder's owner's not may shall will can must by below above faq
    grant permission agreement notification""".split()
)
# Where a statement ends and prose begins: "All rights reserved", license phrases, a comment
# close, or a new sentence ("Foo Inc. This program", "Rosen. Permission is"). Separators
# before it are consumed possessively, and only from their start, to stay linear.
_TAIL = re.compile(
    r"(?<![\s,;:(-])[\s,;:(-]*+(?:\*/|-->|\ball\s+rights\s+reserved\b|\bsome\s+rights\s+reserved\b"
    r"|\blicen[cs]ed\s+(?:under|to|as)\b|\blicen[cs]es?\s*[(:]"
    r"|(?-i:(?<=\()(?:MIT|BSD|GPL|LGPL|AGPL|Apache|MPL|ISC|CC|EPL|Unlicense)\b[\w.+ -]*\)\s*$)|\breleased\s+under\b|\bdistributed\s+under\b"
    r"|\bpermission\s+is\s+hereby\b|\buse\s+of\s+this\b|\bsee\b|\bunder\s+the\s+terms\b"
    r"|\bthis\s+(?:program|file|library|software|code|work|source|project)\s+is\b"
    r"|\bspdx-license-identifier\b|\bredistribution\s+and\s+use\b|\bsubject\s+to\b"
    r"|\bfor\s+(?:more\s+)?(?:details|license|licensing)\b|\ball(?:\s+rights)?\s*$"
    r"|(?<=[.;]\s)(?:you|this|these|those|however|it|we|they|if|when|other|any|no|use|for)\b"
    r"|\b(?:and\s+)?(?:it\s+)?(?:is|are)\s+(?:hereby|provided|released|licensed|distributed|made"
    r"|available|free|granted|subject|covered|protected|used)\b|\band\s+(?:it\s+)?is\b|\bunder\s+the\b"
    r"|(?<=[.;]\s)(?-i:[A-Z][\w'-]*\s+(?!(?:and|of|the|de|van|von|der|du|la|le|di|da|y|und|for)\b)[a-z])"
    r"|(?<=\.\s)(?!(?:and|or)\b)(?-i:[a-z]+\s+[a-z])|(?<=[a-z]{3}[.;]\s)(?-i:[A-Z][a-z]+)\s*$)",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"<(?![^<>]*(?:@|://))[^<>]*>|\{[^{}]*\}|\$\{|\$[A-Z_]{3,}\b|%\(\w+\)s"
    r"|(?i:\[[^\[\]@]*\b(?:yyyy|yy|years?|name|owner|holders?|authors?|fullname|date|company"
    r"|organi[sz]ation)\b[^\[\]@]*\])"
    r"|(?i:\[\s*(?:insert|your|enter|name|year)\b)|(?i:\b(?:19|20)xx\b)"
    r"|\b(?:YEAR|year|YYYY|yyyy|XXXX|xxxx)S?\b|\bCOPYRIGHT\s+HOLDERS?\b|\bname\s+of\b"
    r"|\byour\s+name\b|\bauthor\s+name\b"
)
_HTML_TAG = re.compile(
    r"</?(?:p|div|span|br|a|b|i|u|em|strong|small|footer|li|ul|td|tr|font|center|h\d)(?:\s[^<>]*)?/?>",
    re.I,
)
_EMAIL_OR_URL = re.compile(
    r"<[^<>]*>|\(\s*[^()\s]+@[^()\s]+\s*\)|\[\s*[^\[\]\s]+@[^\[\]\s]+\s*\]"
    r"|(?<![^\s<>()@])[^\s<>()@]++@[^\s<>()]+"
    r"|\b(?:https?|ftp)://[^\s<>()]+|\bwww\.[^\s<>()]+",
    re.I,
)
_COMMENT = re.compile(
    r"^\s*(?:(?:#+'?|//+!?|/\*+!?|\*+/?|;+|--+|%+|\"{3}|'{3}|'|<!--|\{-|\(\*|::|!|>|\.\\\"|"
    r"(?:rem|dnl)\b)\s*)*",
    re.I,
)
_TRAILING_JUNK = re.compile(r"(?:\s*(?:\*+/|-->|-\}|\*\)|\"{3}|'{3}|[\"'`,;|\\*]|\s#+|\s-))+\s*$")
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:inc|corp|ltd|co|jr|sr|bros|assn|intl|llc|l\.l\.c|s\.a|b\.v|n\.v|gmbh|ag|etc|al)|\b\w)"
    r"\.$",
    re.I,
)
_BY = re.compile(r"^(?:by\b|:|-|,|;|\s)+", re.I)
_HOLDER_MARKERS = re.compile(r"\b(?:copyright|copr\.)|\(c\)|©", re.I)
_HOLDER_JUNK = re.compile(r"^[\s.,;:&/-]+|[\s,;:&/(-]+$")
_CONTINUE = re.compile(r"(?:,|\band|&|\bby)[\s*/#\"'\\]*$", re.I)
_NAME_START = re.compile(r"(?:(?:the|by)\s+)?[A-Z]")
_DEBIAN_FIELD = re.compile(r"^Copyright\s*:")
_AUTHOR = re.compile(
    r"^(?P<kind>@author\b:?|(?:original\s+|primary\s+|main\s+)?authors?(?:\(s\))?\s*:"
    r"|(?:written|authored)\s+by\b:?|__author__\s*=)\s*(?P<rest>.*)$",
    re.I,
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,(?!\s*(?:jr|sr|inc|ltd|llc|i{2,3}|iv)\b)|;|\band\b|&)\s*", re.I)
_FIELD_LINE = re.compile(r"^[\w .-]{1,30}:(?:\s|$)")
_WS = re.compile(r"\s+")
_CODE = re.compile(r"[=\[\]{}]|\(\)")
_EMPTY_PARENS = re.compile(r"\s*\(\s*\)")
_RIGHTS_RESERVED = re.compile(r"all\s+rights\s+reserved")
_WORD = re.compile(r"\w+")
_KEY_NOISE = frozenset({"copyright", "copr", "c", "portions", "spdx", "filecopyrighttext", "by"})
_SPACE_BEFORE_COMMA = re.compile(r"\s+([,;])")

_RANGE_DASH = re.compile(r"\s*(?:-+|–|—)\s*")

_MAX_CONTINUATION = 3
_MAX_LIST_LINES = 20
_MAX_CONTINUATION_CHARS = 80
_MAX_STATEMENT_CHARS = 300  # of one line, from the marker: bounds the work on minified files
_MAX_LINE_CHARS = 500
_MAX_MARKERS_PER_LINE = 50
_CACHE_SIZE = 8192  # statements and holders repeat within and across files (a Debian copyright file)
_WINDOW = 30  # characters either side of a keyword where its marker is looked for
_LOOK_AHEAD = 80  # characters after a marker read to decide whether it opens a statement


def detect_copyrights(
    text: str,
    *,
    ignorable_holders: Collection[str] = (),
    ignorable_copyrights: Collection[str] = (),
) -> tuple[CopyrightNotice, ...]:
    """Find copyright statements and author lines in ``text``, in order of appearance.

    Statements in ``ignorable_copyrights`` and holders in ``ignorable_holders`` (compared
    case-insensitively with whitespace collapsed) are dropped: they belong to a license text.

    >>> [n.holders for n in detect_copyrights("# Copyright (c) 2020 ACME Corp.")]
    [('ACME Corp.',)]
    """
    candidates, starts = _candidates(text)
    if not candidates:
        return ()
    notices = _scan(_Lines(text, starts), candidates)
    return _drop_ignorable(notices, ignorable_holders, ignorable_copyrights)


# --- prechecks -------------------------------------------------------------------------

# Cheap necessary conditions checked before the costlier patterns (each pattern can only match
# a text that passes its check, so the results are the same; most statements fail them).
_JUNK_END = frozenset("/>})\"'`,;|\\*#-")  # the last character of every _TRAILING_JUNK unit
_PLACEHOLDER_CHARS = "<{$%["


def _drop_trailing_junk(text: str) -> str:
    """``text`` without _TRAILING_JUNK at its end."""
    tail = text.rstrip()
    if not tail or tail[-1] not in _JUNK_END:
        return text
    return _TRAILING_JUNK.sub("", text)


def _has_placeholder(text: str) -> bool:
    if not any(c in text for c in _PLACEHOLDER_CHARS) and "name" not in text and "COPYRIGHT" not in text:
        low = text.lower()
        if "year" not in low and "yyyy" not in low and "xx" not in low:
            return False
    return bool(_PLACEHOLDER.search(text))


def _blank_emails_and_urls(text: str) -> str:
    if "<" not in text and "@" not in text and "://" not in text and "www." not in text.lower():
        return text
    return _EMAIL_OR_URL.sub(" ", text)


# --- finding candidate lines -------------------------------------------------------------


def _candidates(text: str) -> tuple[dict[int, list[int]], dict[int, int]]:
    """0-based line index -> columns of the keywords on that line, lines in order; and the
    offset in ``text`` where each of those lines starts."""
    found: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    line, pos, line_start = 0, 0, 0
    for offset in sorted(_keyword_offsets(text)):
        newlines = text.count("\n", pos, offset)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", pos, offset) + 1
        pos = offset
        found.setdefault(line, []).append(offset - line_start)
        starts[line] = line_start
    return found, starts


class _Lines(Sequence[str]):
    """The ``"\n"``-separated lines of a text, cut out only when asked for: the scan reads the
    keyword lines and a few after each, and splitting a whole long text cost more than all the
    rest of the scan. Line ``i`` is found from the nearest line before it whose start is known
    (the keyword lines' starts are, and every line cut out adds its own)."""

    def __init__(self, text: str, starts: dict[int, int]) -> None:
        self._text = text
        self._starts = dict(starts)
        self._starts.setdefault(0, 0)
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._text.count("\n") + 1
        return self._count

    def _start(self, index: int) -> int:
        known = index
        while known not in self._starts:
            known -= 1
        start = self._starts[known]
        for line in range(known + 1, index + 1):
            newline = self._text.find("\n", start)
            if newline < 0:
                raise IndexError(index)
            start = self._starts[line] = newline + 1
        return start

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = self._start(index)
        end = self._text.find("\n", start)
        return self._text[start:] if end < 0 else self._text[start:end]


def _keyword_offsets(text: str) -> Iterator[int]:
    """Offsets of keywords, by substring search (much faster than a case-insensitive regex),
    as ``text.lower()`` would show them. The ASCII needles are searched for in one compiled pass
    without a lower-cased copy (:func:`~creditline.core.native.find_folded`): no character
    outside ASCII lower-cases to an ASCII letter of theirs (only the Kelvin sign does, to ``k``),
    and the other needles (``©``) have no case. A text whose lower case is longer (``İ``) is
    searched by a regular expression; without the compiled module, the lower-cased text (or its
    bytes, a third of the cost for ASCII text) is searched."""
    if "\u0130" in text:  # the one character whose lower case is longer: offsets would shift
        yield from (m.start() for m in _CANDIDATE.finditer(text))
        return
    found = find_folded(text, _ASCII_NEEDLES)
    if found is not None:
        yield from found
        if not text.isascii():
            yield from _occurrences(text, _OTHER_NEEDLES)
    elif text.isascii():
        yield from _occurrences(text.encode("ascii").lower(), _ASCII_NEEDLES)
    else:
        yield from _occurrences(text.lower(), _NEEDLES)


def _occurrences(haystack: Any, needles: tuple[Any, ...]) -> Iterator[int]:
    """Each needle's occurrences in ``haystack`` (str or bytes), from the left, each search going
    on after the last one found."""
    for needle in needles:
        index = haystack.find(needle)
        while index != -1:
            yield index
            index = haystack.find(needle, index + len(needle))


def _scan(lines: Sequence[str], candidates: dict[int, list[int]]) -> list[CopyrightNotice]:
    """Build notices at the candidate lines; a notice's continuation lines are not rescanned."""
    notices: list[CopyrightNotice] = []
    next_free = 0
    for index, columns in candidates.items():
        if index < next_free:
            continue
        found = _copyright_at(lines, index, columns) or _authors_at(lines, index)
        if found:
            notices.append(found)
            next_free = found.end_line
    return notices


def _line(lines: Sequence[str], index: int) -> str:
    """Line ``index`` cut to ``_MAX_LINE_CHARS``, whitespace runs as one space, no trailing
    whitespace (runs of spaces would make some patterns quadratic)."""
    return _WS.sub(" ", lines[index][:_MAX_LINE_CHARS]).rstrip()


def _strip_comment(line: str) -> str:
    """A line without its comment markers and surrounding junk."""
    return _drop_trailing_junk(_COMMENT.sub("", line, count=1)).strip()


# --- copyright statements ----------------------------------------------------------------


def _copyright_at(lines: Sequence[str], index: int, columns: list[int]) -> CopyrightNotice | None:
    """The copyright notice starting on line ``index`` (keywords at ``columns``), or None."""
    line = lines[index].rstrip("\r")
    start = _statement_start(line, columns)
    field = _DEBIAN_FIELD.match(line)
    if field and (start == 0 or not line[field.end() :].strip()):
        parts, last = _debian_parts(lines, index)
        return _build_notice(parts, parts, index, last)
    if start is None:
        return None
    first = _WS.sub(" ", line[start : start + _MAX_STATEMENT_CHARS])
    parts, last = _continued_parts(lines, index, first)
    return _build_notice(parts, [" ".join(parts)], index, last)


def _statement_start(line: str, columns: list[int]) -> int | None:
    """Offset of the first marker on ``line`` that opens a real statement.

    Only the markers around the keyword ``columns`` are looked at (the first
    ``_MAX_MARKERS_PER_LINE``), so a long minified line costs no more than a short one.
    """
    looked_at, covered = 0, -1
    for column in columns:
        low = max(0, column - _WINDOW, covered)
        for match in _MARKER.finditer(line, low, column + _WINDOW):
            covered = match.end()
            looked_at += 1
            after = line[match.end() : match.end() + _LOOK_AHEAD]
            at_start = match.start() < _WINDOW and bool(_COMMENT.fullmatch(line, 0, match.start()))
            if _marker_opens_statement(match.lastgroup or "", after, at_start):
                return match.start()
            if looked_at >= _MAX_MARKERS_PER_LINE:
                return None
    return None


def _marker_opens_statement(kind: str, after: str, at_start: bool) -> bool:
    """Whether the text after a marker reads as a notice rather than prose or code.

    A bare ``(c)`` needs a year after it, or to open the (comment) line and be followed by
    what reads as a name (``(c) Ronny Pfannschmidt, Holger Krekel``).
    """
    symbols = _AFTER_MARKER.match(after)
    has_symbol = bool(symbols and symbols.group(1))
    rest = after[symbols.end() :] if symbols else after
    if kind == "spdx":
        return bool(rest.strip())
    if kind == "paren":
        at_start_name = at_start and _reads_as_name(rest.split(None, 3)[:3])
        return bool(_STARTS_WITH_YEAR.match(rest)) or at_start_name
    if kind == "word" and has_symbol:
        return not rest.split() or _bare_word(rest.split()[0]) not in _NOT_A_HOLDER_WORD
    if kind == "word":
        return _word_marker_opens(after, rest)
    return bool(_STARTS_WITH_YEAR.match(rest) or rest[:1].isupper())


def _word_marker_opens(after: str, rest: str) -> bool:
    """``copyright`` followed by a year, or by what reads as a name (see ``_reads_as_name``)."""
    if after.lstrip().startswith("=") or _MARKER.match(rest):
        return False
    if _STARTS_WITH_YEAR.match(rest):
        return True
    words = rest.split(None, 3)
    if words and words[0].lower() == "by":
        words = rest.split(None, 4)[1:]
    return _reads_as_name(words[:3])


def _reads_as_name(words: list[str]) -> bool:
    """Two capitalised words not followed by a lower-case one: ``Jane Doe``, ``Joyent, Inc.``,
    but not ``Act)``, ``Grant``, ``Contribution Agreement entered into``."""
    if len(words) < 2 or _bare_word(words[0]) in _NOT_A_HOLDER_WORD:
        return False
    if not (words[0][:1].isupper() and words[1][:1].isupper()):
        return False
    if len(words[0]) > 2 and words[0][-1] in ".;:)":
        return False
    third = words[2] if len(words) > 2 else ""
    return not third[:1].islower() or _bare_word(third) in _CONNECTORS


def _bare_word(word: str) -> str:
    """``OWNER(S),`` becomes ``owner``."""
    return word.split("(")[0].strip(".,;:'\"“”‘’").lower()


def _continued_parts(lines: Sequence[str], index: int, first: str) -> tuple[list[str], int]:
    """The statement's text on line ``index`` and on the lines that continue it."""
    parts = [first]
    last = index
    while last + 1 < len(lines) and last - index < _MAX_CONTINUATION:
        following = _strip_comment(_line(lines, last + 1))
        if not _continues(" ".join(parts), following):
            break
        parts.append(following)
        last += 1
    return parts, last


def _continues(statement: str, following: str) -> bool:
    """Whether the next (comment-stripped) line carries on the statement so far.

    It does when the statement has no holder yet, or ends with ``,``/``and``/``&``/``by``;
    and the next line starts with a year or a capital letter (``the Initial Developer`` too)
    and is not prose.
    """
    if not following or len(following) > _MAX_CONTINUATION_CHARS:
        return False
    if _CANDIDATE.search(following) or _TAIL.match(following) or _FIELD_LINE.match(following):
        return False
    if not (_STARTS_WITH_YEAR.match(following) or _NAME_START.match(following)):
        return False
    return bool(_CONTINUE.search(statement)) or not _holders(_clean_statement(statement))


def _debian_parts(lines: Sequence[str], index: int) -> tuple[list[str], int]:
    """A Debian ``Copyright:`` field: the first line and its indented continuation lines."""
    parts = [_line(lines, index)]
    last = index
    while last + 1 < len(lines) and last - index < _MAX_LIST_LINES:
        following = _line(lines, last + 1)
        stripped = following.strip()
        if not following[:1].isspace() or stripped in ("", ".") or _TAIL.match(stripped):
            break
        parts.append(stripped)
        last += 1
    return parts, last


def _build_notice(
    parts: list[str], holder_texts: list[str], first: int, last: int
) -> CopyrightNotice | None:
    """A notice from the raw statement parts, or None when it is a template or empty."""
    statement = _clean_statement(" ".join(parts))
    if _has_placeholder(statement):
        return None
    holders = _unique(h for text in holder_texts for h in _holders(_clean_statement(text)))
    years = _years(statement)
    if not holders and not years:
        return None
    return CopyrightNotice(
        statement=statement, holders=holders, years=years, start_line=first + 1, end_line=last + 1
    )


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _clean_statement(raw: str) -> str:
    """Entities decoded, markup and trailing prose removed, whitespace collapsed."""
    text = _WS.sub(" ", html.unescape(_HTML_TAG.sub(" ", raw)))
    tail = _TAIL.search(text)
    if tail and tail.start() > 0:
        text = text[: tail.start()]
    text = _drop_trailing_junk(_WS.sub(" ", text)).strip()
    return _balance_parens(text)


def _balance_parens(text: str) -> str:
    """Drop a trailing ``)`` that closes nothing (the end of a comment or a call)."""
    while text.endswith(")") and text.count(")") > text.count("("):
        text = _drop_trailing_junk(text[:-1]).strip()
    return text


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _years(statement: str) -> tuple[str, ...]:
    """Years and year ranges, normalised (``2010 – 2014`` becomes ``2010-2014``)."""
    body = _blank_emails_and_urls(statement)
    found = (_RANGE_DASH.sub("-", m.group()) for m in _YEARS.finditer(body))
    return _unique(found)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _holders(statement: str) -> tuple[str, ...]:
    """Holder names: the text between years, without markers, emails, URLs and ``by``.

    Once a holder is found, a segment that starts a new sentence after a year
    (``Foo 2013. BSD license``) is prose, not a holder.
    """
    body = _blank_emails_and_urls(_LEAD.sub("", statement, count=1))
    holders: list[str] = []
    for segment in _YEARS.split(body):
        if holders and segment.lstrip().startswith("."):
            continue
        holders.append(_clean_holder(segment))
    return _unique(h for h in holders if h)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _clean_holder(segment: str) -> str:
    """One holder name, or ``""`` when the segment holds none."""
    name = _HOLDER_MARKERS.sub(" ", segment)
    name = _HOLDER_JUNK.sub("", _BY.sub("", _WS.sub(" ", name).strip()))
    if name.endswith(".") and not _ABBREVIATION_END.search(name):
        name = name.rstrip(".").rstrip()
    name = _EMPTY_PARENS.sub("", _SPACE_BEFORE_COMMA.sub(r"\1", name)).strip()
    name = _balance_parens(name)
    return name if any(c.isalpha() for c in name) else ""


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    """``items`` without repeats, in first-seen order."""
    return tuple(dict.fromkeys(items))


# --- authors -----------------------------------------------------------------------------


def _authors_at(lines: Sequence[str], index: int) -> CopyrightNotice | None:
    """An ``Author:``/``Authors:``/``Written by``/``@author`` notice on line ``index``."""
    match = _AUTHOR.match(_strip_comment(_line(lines, index)))
    if not match or _TAIL.match(match.group("rest")):
        return None
    parts, last = [match.group()], index
    if not match.group("rest").strip(" :"):
        extra, last = _author_list(lines, index)
        parts += extra
    values = parts[1:] or [match.group("rest")]
    names = _unique(n for value in values for n in _author_names(value))
    if not names or not _plausible_authors(match.group("kind"), names, " ".join(values)):
        return None
    statement = _WS.sub(" ", f"{parts[0]} {', '.join(parts[1:])}").strip()
    years = _years(statement)
    return CopyrightNotice(
        statement=statement, authors=names, years=years, start_line=index + 1, end_line=last + 1
    )


def _author_list(lines: Sequence[str], index: int) -> tuple[list[str], int]:
    """The names listed one per line under an ``Authors:`` line, up to a blank line."""
    parts: list[str] = []
    last = index
    while last + 1 < len(lines) and len(parts) < _MAX_LIST_LINES:
        following = _strip_comment(_line(lines, last + 1))
        if not following or _FIELD_LINE.match(following) or _CANDIDATE.search(following):
            break
        parts.append(following)
        last += 1
    return parts, last


def _author_names(text: str) -> list[str]:
    """Names in an author value: split on commas and ``and``, emails and years removed."""
    text = _blank_emails_and_urls(text.strip().strip("\"'"))
    text = _YEARS.sub(" ", text)
    names = (_HOLDER_JUNK.sub("", _WS.sub(" ", n).strip()) for n in _AUTHOR_SPLIT.split(text))
    return [n for n in names if any(c.isalpha() for c in n)]


def _plausible_authors(kind: str, names: tuple[str, ...], values: str) -> bool:
    """Reject templates, code and prose (``written by hand``, ``author: str = ""``).

    After a lower-case keyword (``written by``, ``author:``) the name must be capitalised.
    """
    if _has_placeholder(values) or _CODE.search(values):
        return False
    if kind[:1].islower() or kind.lower().startswith(("written", "authored")):
        return names[0][:1].isupper()
    return True


# --- ignorables --------------------------------------------------------------------------


def _key(text: str) -> tuple[str, ...]:
    """Comparison key: the case-folded words, without markers and ``all rights reserved``."""
    text = _RIGHTS_RESERVED.sub(" ", html.unescape(text).casefold())
    return tuple(w for w in _WORD.findall(text) if w not in _KEY_NOISE)


def _is_ignorable(key: tuple[str, ...], ignorable: set[tuple[str, ...]]) -> bool:
    """Whether ``key`` equals an ignorable key, or one of the two starts the other (the
    database and this module may end a statement at different words)."""
    if key in ignorable:
        return True
    return any(
        key[: len(other)] == other[: len(key)] and _words(min(key, other, key=len)) >= 2
        for other in ignorable
    )


def _words(key: tuple[str, ...]) -> int:
    """How many words of ``key`` are not numbers (years)."""
    return sum(not word.isdigit() for word in key)


def _drop_ignorable(
    notices: list[CopyrightNotice], holders: Collection[str], copyrights: Collection[str]
) -> tuple[CopyrightNotice, ...]:
    """Notices without the ignorable statements and holders of the matched licenses."""
    if not holders and not copyrights:
        return tuple(notices)
    holder_keys = {k for k in map(_key, holders) if k}
    copyright_keys = {k for k in map(_key, copyrights) if k}
    kept = []
    for notice in notices:
        if _is_ignorable(_key(notice.statement), copyright_keys):
            continue
        remaining = tuple(h for h in notice.holders if not _is_ignorable(_key(h), holder_keys))
        if notice.holders and not remaining:
            continue
        kept.append(_with_holders(notice, remaining))
    return tuple(kept)


def _with_holders(notice: CopyrightNotice, holders: tuple[str, ...]) -> CopyrightNotice:
    """``notice`` with ``holders`` (the same object when nothing changed)."""
    return notice if holders == notice.holders else dataclasses.replace(notice, holders=holders)
