"""Credit lines and NOTICE entries, following Creative Commons' TASL practice.

TASL: Title, Author, Source, License. A credit line reads
``"Title" by Author (Source), licensed under License (URL).``; missing parts are left out
(``This work`` stands in for a missing title). Three output formats: ``text``, ``markdown``
(links) and ``html`` (escaped, links only to http(s) URLs).

>>> credit_line("Sunset", "Jane Doe", "https://example.org/s", "CC-BY-4.0",
...             "https://creativecommons.org/licenses/by/4.0/")
'"Sunset" by Jane Doe (https://example.org/s), licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

FORMATS = ("text", "markdown", "html")
_CC_RE = re.compile(r"^CC-(BY(?:-NC)?(?:-SA|-ND)?)-(\d\.\d)(?:-([A-Za-z]+))?$", re.IGNORECASE)
_URL_RE = re.compile(r"^https?://\S+$", re.IGNORECASE)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def license_label(license_id: str) -> str:
    """How Creative Commons writes its licenses (``CC-BY-SA-4.0`` → ``CC BY-SA 4.0``);
    other ids unchanged."""
    if license_id.upper() == "CC0-1.0":
        return "CC0 1.0"
    match = _CC_RE.match(license_id)
    if match is None:
        return license_id
    port = f" {match.group(3).upper()}" if match.group(3) else ""
    return f"CC {match.group(1).upper()} {match.group(2)}{port}"


def _clean(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def _is_url(value: str) -> bool:
    return bool(_URL_RE.match(value))


def _text(value: str, fmt: str) -> str:
    if fmt == "html":
        return html.escape(value, quote=False)
    if fmt == "markdown":
        return _MD_SPECIAL.sub(r"\\\1", value)
    return value


def _link(label: str, url: str, fmt: str, rel: str = "") -> str:
    """``label`` (already escaped) linked to ``url`` in markdown/html; ``url`` must be http(s)."""
    if fmt == "markdown":
        target = url.replace("(", "%28").replace(")", "%29")
        return f"[{label}]({target})"
    rel_attr = f' rel="{rel}"' if rel else ""
    return f'<a href="{html.escape(url, quote=True)}"{rel_attr}>{label}</a>'


def _work(title: str, source: str, fmt: str) -> str:
    """The title part, linked to the source when it is a URL (markdown/html)."""
    quoted = f'"{_text(title, fmt)}"' if title else "This work"
    if fmt != "text" and source and _is_url(source):
        return _link(quoted, source, fmt)
    return quoted


def _source(source: str, fmt: str) -> str:
    if not source or (fmt != "text" and _is_url(source)):
        return ""
    return f" ({_text(source, fmt)})"


def _license(license_id: str, license_url: str, fmt: str) -> str:
    label = _text(license_label(license_id) if license_id else license_url, fmt)
    if not label:
        return ""
    if fmt != "text" and license_url and _is_url(license_url):
        return f", licensed under {_link(label, license_url, fmt, rel='license')}"
    url = f" ({_text(license_url, fmt)})" if license_url and license_id else ""
    return f", licensed under {label}{url}"


def credit_line(
    title: str | None, author: str | None, source: str | None, license_id: str | None,
    license_url: str | None, *, fmt: str = "text",
) -> str:
    """A TASL credit line; parts that are ``None`` or blank are left out.

    ``fmt`` is ``text``, ``markdown`` (title linked to the source, license to its URL) or
    ``html`` (the same links, all text escaped). Links are made only to http(s) URLs.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    title, author, source = _clean(title), _clean(author), _clean(source)
    by = f" by {_text(author, fmt)}" if author else ""
    licence = _license(_clean(license_id), _clean(license_url), fmt)
    return f"{_work(title, source, fmt)}{by}{_source(source, fmt)}{licence}."


def notice_entry(
    title: str | None, author: str | None, source: str | None, license_id: str | None,
    license_url: str | None, copyrights: Iterable[str] = (), *, fmt: str = "text",
) -> str:
    """A NOTICE file entry: the credit line, then each copyright statement once, in order.

    Statements are kept word for word (whitespace runs collapsed to one space).
    """
    line = credit_line(title, author, source, license_id, license_url, fmt=fmt)
    statements = [s for s in dict.fromkeys(_clean(c) for c in copyrights) if s]
    if fmt == "markdown":
        return "\n".join([line, "", *(f"- {_text(s, fmt)}" for s in statements)]).rstrip() + "\n"
    if fmt == "html":
        items = "".join(f"<li>{_text(s, fmt)}</li>" for s in statements)
        return f"<p>{line}</p>" + (f"<ul>{items}</ul>" if items else "")
    return "\n".join([line, *statements]) + "\n"
