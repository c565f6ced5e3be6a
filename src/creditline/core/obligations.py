"""What a license asks of someone who reuses a work: license id → :class:`Obligations`.

Three sources, in order: the hand-written table (``data/obligations.toml``, read by
:mod:`creditline.kb.obligations` and passed in as ``table``), Creative Commons ids derived from
their elements (BY, SA, NC, ND, version, port), and a fallback from ScanCode's license category.
Everything here is pure: the table arrives as TOML text or as a mapping.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from creditline.core import spdx
from creditline.core.licenses import LicenseInfo
from creditline.errors import ExpressionError, KnowledgeError
from creditline.model import Obligations

CATEGORIES = (
    "public domain", "permissive", "weak copyleft", "strong copyleft", "network copyleft",
    "non-commercial / source-available", "proprietary", "unknown",
)  # least to most restrictive; "unknown" last because it needs review
SHARE_ALIKE = (None, "file", "library", "strong", "network")  # weakest to strongest
FLAGS = ("attribution", "notice_preservation", "non_commercial", "no_derivatives",
         "patent_terms", "source_disclosure")
_FIELDS = frozenset({"name", "category", "share_alike", "url", "notes", *FLAGS})

# --- the table --------------------------------------------------------------------------------


def _entry_errors(spdx_id: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{spdx_id}: expected a table"]
    errors = [f"{spdx_id}: unknown field {key!r}" for key in entry if key not in _FIELDS]
    if not isinstance(entry.get("name"), str) or not entry.get("name"):
        errors.append(f"{spdx_id}: 'name' must be a non-empty string")
    if entry.get("category") not in CATEGORIES:
        errors.append(f"{spdx_id}: 'category' must be one of {CATEGORIES}")
    if entry.get("share_alike") not in SHARE_ALIKE:
        errors.append(f"{spdx_id}: 'share_alike' must be one of {SHARE_ALIKE[1:]}")
    errors += [f"{spdx_id}: {flag!r} must be true or false"
               for flag in FLAGS if not isinstance(entry.get(flag, False), bool)]
    errors += [f"{spdx_id}: {key!r} must be a string"
               for key in ("url", "notes") if not isinstance(entry.get(key, ""), str)]
    return errors


def _spdx_url(spdx_id: str) -> str:
    return "" if "LicenseRef-" in spdx_id else f"https://spdx.org/licenses/{spdx_id}.html"


def _from_entry(spdx_id: str, entry: dict[str, Any]) -> Obligations:
    notes = entry.get("notes", "")
    return Obligations(
        license=spdx_id, name=entry["name"], category=entry["category"],
        share_alike=entry.get("share_alike"), url=entry.get("url") or _spdx_url(spdx_id),
        notes=(notes,) if notes else (), **{flag: entry.get(flag, False) for flag in FLAGS},
    )


def parse_obligation_table(text: str) -> dict[str, Obligations]:
    """Parse the TOML text of an obligations table (``[licenses."<SPDX id>"]`` tables).

    Every problem is collected first; then one :class:`KnowledgeError` lists them all.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise KnowledgeError(f"obligations table is not valid TOML: {err}") from err
    licenses = data.get("licenses", {})
    errors = [f"unknown top-level key {key!r}" for key in data if key != "licenses"]
    for spdx_id, entry in licenses.items():
        errors += _entry_errors(spdx_id, entry)
    if errors:
        raise KnowledgeError("invalid obligations table: " + "; ".join(errors))
    return {spdx_id: _from_entry(spdx_id, entry) for spdx_id, entry in licenses.items()}


# --- Creative Commons -------------------------------------------------------------------------

_CC_RE = re.compile(r"^CC-(BY(?:-NC)?(?:-SA|-ND)?)-(\d\.\d)(?:-([A-Z]+))?$", re.IGNORECASE)
_CC_ELEMENT_NAMES = {"BY": "Attribution", "NC": "NonCommercial", "SA": "ShareAlike",
                     "ND": "NoDerivatives"}
_CC_VERSION_NOTES = {
    "4.0": "4.0 International (no ports): credit in any reasonable manner, link the license and "
           "indicate changes; also covers sui generis database rights; a breach cured within "
           "30 days restores the rights.",
    "3.0": "3.0: credit the author, title, source URI and license as far as practicable; ported "
           "versions follow one jurisdiction's law.",
    "2.5": "2.5: credit the original author or a party the licensor designates, the title and "
           "the URI the licensor specifies.",
    "2.0": "2.0: credit the original author, the title and the URI the licensor specifies.",
    "1.0": "1.0: credit the original author; the first Creative Commons licenses.",
}
_CC_ELEMENT_NOTES = {
    "SA": "Adaptations you share must carry the same license (or a compatible one).",
    "NC": "No use primarily intended for commercial advantage or monetary compensation.",
    "ND": "Adapted material may not be shared; only verbatim copies.",
}
_CC_PUBLIC_DOMAIN = {
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal",
                "https://creativecommons.org/publicdomain/zero/1.0/",
                "Waiver of all rights to the extent possible, with a fallback license; no "
                "attribution required; no patent or trademark rights."),
    "CC-PDDC": ("Creative Commons Public Domain Dedication and Certification",
                "https://creativecommons.org/licenses/publicdomain/",
                "Dedication or certification that the work is in the public domain (US law)."),
    "CC-PDM-1.0": ("Creative Commons Public Domain Mark 1.0",
                   "https://creativecommons.org/publicdomain/mark/1.0/",
                   "A label for works free of known copyright, not a license; check other "
                   "jurisdictions."),
}


def _cc_category(elements: tuple[str, ...]) -> str:
    if "NC" in elements or "ND" in elements:
        return "non-commercial / source-available"
    return "strong copyleft" if "SA" in elements else "permissive"


def _cc_url(elements: tuple[str, ...], version: str, port: str | None) -> str:
    path = "-".join(elements).lower()
    if path == "by-nc-nd" and version == "1.0":
        path = "by-nd-nc"  # the 1.0 legal code's own name
    return f"https://creativecommons.org/licenses/{path}/{version}/" + (
        f"{port.lower()}/" if port else "")


def _cc_name(elements: tuple[str, ...], version: str, port: str | None) -> str:
    scope = port.upper() if port else {"4.0": "International", "3.0": "Unported"}.get(
        version, "Generic")
    return f"Creative Commons {'-'.join(_CC_ELEMENT_NAMES[e] for e in elements)} {version} {scope}"


def _cc_notes(elements: tuple[str, ...], version: str) -> tuple[str, ...]:
    notes = [_CC_VERSION_NOTES.get(version, f"Version {version}.")]
    notes += [_CC_ELEMENT_NOTES[e] for e in elements if e in _CC_ELEMENT_NOTES]
    if elements == ("BY", "SA") and version == "4.0":
        notes.append("BY-SA 4.0 adaptations may also be licensed under GPL-3.0 (one-way).")
    return tuple(notes)


def creative_commons(spdx_id: str) -> Obligations | None:
    """Obligations of a Creative Commons id derived from its elements; ``None`` if not CC.

    ``CC-BY[-NC][-SA|-ND]-<version>[-<port>]`` and the public-domain tools (CC0-1.0, CC-PDDC,
    CC-PDM-1.0) are understood.
    """
    for key, (name, url, note) in _CC_PUBLIC_DOMAIN.items():
        if spdx_id.lower() in (key.lower(), f"licenseref-scancode-{key.lower()}"):
            return Obligations(spdx_id, name, "public domain", url=url, notes=(note,))
    match = _CC_RE.match(spdx_id)
    if match is None:
        return None
    elements = tuple(match.group(1).upper().split("-"))
    version, port = match.group(2), match.group(3)
    return Obligations(
        license=spdx_id, name=_cc_name(elements, version, port), category=_cc_category(elements),
        attribution=True, notice_preservation=True,
        share_alike="strong" if "SA" in elements else None,
        non_commercial="NC" in elements, no_derivatives="ND" in elements,
        url=_cc_url(elements, version, port), notes=_cc_notes(elements, version),
    )


# --- ScanCode category fallback ---------------------------------------------------------------

_COPYLEFT_TERMS = {"attribution": True, "notice_preservation": True, "source_disclosure": True}
_SCANCODE_CATEGORIES: Mapping[str, tuple[str, dict[str, Any]]] = {
    "Permissive": ("permissive", {"attribution": True, "notice_preservation": True}),
    "Copyleft": ("strong copyleft", {**_COPYLEFT_TERMS, "share_alike": "strong"}),
    "Copyleft Limited": ("weak copyleft", {**_COPYLEFT_TERMS, "share_alike": "file"}),
    "Public Domain": ("public domain", {}),
    "Proprietary Free": ("proprietary", {"notice_preservation": True}),
    "Commercial": ("proprietary", {}),
    "Source-available": ("non-commercial / source-available", {"notice_preservation": True}),
    "Free Restricted": ("non-commercial / source-available", {"notice_preservation": True}),
    "Patent License": ("unknown", {"patent_terms": True}),
}
_LIBRARY_RE = re.compile(r"lesser|library|lgpl", re.IGNORECASE)
_NON_COMMERCIAL_RE = re.compile(r"non[- ]?commercial", re.IGNORECASE)
_NO_DERIVATIVES_RE = re.compile(r"no[- ]?deriv", re.IGNORECASE)


def _unknown(spdx_id: str, name: str, note: str) -> Obligations:
    return Obligations(spdx_id, name, "unknown", notes=(note,))


def _from_category(spdx_id: str, info: LicenseInfo) -> Obligations:
    category, terms = _SCANCODE_CATEGORIES.get(info.category, ("unknown", {}))
    terms = dict(terms)
    if terms.get("share_alike") == "file" and _LIBRARY_RE.search(f"{info.key} {info.name}"):
        terms["share_alike"] = "library"
    terms["non_commercial"] = bool(_NON_COMMERCIAL_RE.search(info.name))
    terms["no_derivatives"] = bool(_NO_DERIVATIVES_RE.search(info.name))
    note = f"Derived from the ScanCode category {info.category!r}; check the license text."
    return Obligations(spdx_id, info.name, category, url=info.url, notes=(note,), **terms)


# --- lookups ----------------------------------------------------------------------------------


def _table_entry(spdx_id: str, table: Mapping[str, Obligations]) -> Obligations | None:
    """The table entry for ``spdx_id``, also under other case, a deprecated id or a ``+``."""
    if spdx_id in table:
        return table[spdx_id]
    try:
        canonical = spdx.normalize(spdx_id) if " " not in spdx_id.strip() else spdx_id
    except ExpressionError:
        return None
    if canonical in table:
        return table[canonical]
    base = canonical[:-1] if canonical.endswith("+") else None
    if base in table:
        entry = table[base]
        return replace(entry, license=canonical, notes=(*entry.notes, "Or any later version."))
    return None


def obligations_for(
    spdx_id: str, info: LicenseInfo | None, table: Mapping[str, Obligations],
) -> Obligations:
    """Obligations of one license id: the table, then Creative Commons, then ``info.category``.

    ``info`` is the license database record of ``spdx_id`` (or ``None``); ``table`` the parsed
    obligations table (see :func:`parse_obligation_table`). Unknown licenses get category
    ``unknown``; an exception id on its own gets its note and no duties.
    """
    found = _table_entry(spdx_id, table) or creative_commons(spdx_id)
    if found is not None:
        return found
    if spdx_id in EXCEPTION_NOTES or (info is not None and info.is_exception):
        return _exception_alone(spdx_id, info)
    if spdx_id.startswith("LicenseRef-scancode-unknown") or (info is not None and info.is_unknown):
        return _unknown(spdx_id, info.name if info else spdx_id,
                        "An unidentified license was found; review the text.")
    if info is None:
        return _unknown(spdx_id, spdx_id, "Not in the license database; treat as all rights "
                        "reserved until reviewed.")
    return _from_category(spdx_id, info)


# --- exceptions and expressions ---------------------------------------------------------------

EXCEPTION_NOTES: Mapping[str, str] = {
    "Classpath-exception-2.0": "Classpath exception: independent modules linked with the library "
                               "may use any terms; share-alike stays with the library itself.",
    "GCC-exception-2.0": "GCC runtime exception 2.0: executables linked with the runtime library "
                         "are not covered by its share-alike.",
    "GCC-exception-3.1": "GCC runtime library exception 3.1: target code from an Eligible "
                         "Compilation Process may use any terms; share-alike stays with GCC.",
    "LLVM-exception": "LLVM exception: portions embedded in compiled object code need no "
                      "Apache-2.0 4(a), 4(b), 4(d) compliance; GPL-2.0 conflicts may be waived.",
    "Autoconf-exception-2.0": "Autoconf exception: configure scripts generated by Autoconf may "
                              "use any terms; share-alike stays with Autoconf.",
    "Autoconf-exception-3.0": "Autoconf exception: configure scripts generated by Autoconf may "
                              "use any terms; share-alike stays with Autoconf.",
    "Bison-exception-2.2": "Bison exception: parser skeleton code copied into Bison output may "
                           "use any terms; share-alike stays with Bison.",
    "Font-exception-2.0": "Font exception: documents that embed the font are not covered by "
                          "its share-alike.",
    "eCos-exception-2.0": "eCos exception: executables linked with eCos are not covered by its "
                          "share-alike; eCos source stays under its license.",
    "WxWindows-exception-3.1": "wxWindows exception: binary works based on the library may be "
                               "distributed under the user's own terms.",
    "Linux-syscall-note": "Linux syscall note: programs that use kernel services through normal "
                          "system calls are not derived works.",
    "Qt-LGPL-exception-1.1": "Qt LGPL exception: using Qt header inline functions and templates "
                             "does not make a work based on the library.",
    "OpenJDK-assembly-exception-1.0": "OpenJDK assembly exception: applications linked with the "
                                      "OpenJDK assembly are not covered by its share-alike.",
    "Swift-exception": "Swift runtime exception: runtime portions embedded in compiled output "
                       "need no attribution.",
    "u-boot-exception-2.0": "U-Boot exception: standalone applications that use U-Boot's API "
                            "are not covered by its share-alike.",
}


def _exception_note(exception_id: str) -> str:
    return EXCEPTION_NOTES.get(
        exception_id, f"{exception_id}: additional permissions apply; read the exception text.")


def _exception_alone(spdx_id: str, info: LicenseInfo | None) -> Obligations:
    """An exception id met on its own: it only adds permissions to the license it follows."""
    note = "A license exception: it adds permissions to the license it follows, no duties."
    return Obligations(spdx_id, info.name if info else spdx_id, "permissive",
                       url=info.url if info else _spdx_url(spdx_id),
                       notes=(_exception_note(spdx_id), note))


def with_exception(base: Obligations, exception_id: str) -> Obligations:
    """``base`` under ``WITH exception_id``: the same duties, with the exception noted."""
    return replace(base, license=f"{base.license} WITH {exception_id}",
                   name=f"{base.name} with {exception_id}",
                   notes=(*base.notes, _exception_note(exception_id)))


def obligations_for_expression(
    expr: str, lookup: Callable[[str], Any], table: Mapping[str, Obligations] | None = None,
) -> tuple[Obligations, ...]:
    """Obligations for every license of an SPDX expression, in order, once each.

    Without ``table``, ``lookup`` maps one SPDX id to its :class:`Obligations` (e.g.
    ``obligations_for`` bound to a table and the license database). With ``table``, ``lookup``
    maps an id to its :class:`LicenseInfo` (or ``None``) and :func:`obligations_for` is used.
    ``WITH`` operands give the base license's obligations with the exception noted.

    :raises ExpressionError: when ``expr`` does not parse.
    """
    resolve: Callable[[str], Obligations] = lookup if table is None else (
        lambda license_id: obligations_for(license_id, lookup(license_id), table))
    found = []
    for license_id, exception_id in spdx.license_pairs(expr):
        base = resolve(license_id)
        found.append(with_exception(base, exception_id) if exception_id else base)
    return tuple(found)


def summarize(obligations: Iterable[Obligations]) -> dict[str, Any]:
    """The union of several licenses' obligations, as if all apply (conservative for ``OR``).

    Flags are true when any license sets them; ``share_alike`` is the strongest; ``category``
    the most restrictive (``unknown`` counts as most restrictive: it needs review).
    """
    items = list(obligations)
    categories = sorted({o.category for o in items}, key=_rank(CATEGORIES))
    strongest = max((o.share_alike for o in items), key=_rank(SHARE_ALIKE), default=None)
    return {
        "licenses": list(dict.fromkeys(o.license for o in items)),
        "categories": categories,
        "category": categories[-1] if categories else None,
        "share_alike": strongest,
        **{flag: any(getattr(o, flag) for o in items) for flag in FLAGS},
    }


def _rank(order: tuple[Any, ...]) -> Callable[[Any], int]:
    return lambda value: order.index(value) if value in order else len(order)
