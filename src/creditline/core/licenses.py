"""License and rule records of the license database, as plain values.

The records are loaded by :mod:`creditline.kb` from ScanCode's ``licensedcode-data`` (CC-BY-4.0,
Copyright (c) nexB Inc. and others); ``core`` only ever sees these values.
"""

from __future__ import annotations

from dataclasses import dataclass

RULE_KINDS = ("text", "notice", "reference", "tag", "intro", "clue", "false_positive")


@dataclass(frozen=True)
class LicenseInfo:
    """One license of the database. ``key`` is ScanCode's key, ``spdx`` the SPDX id (or a
    ``LicenseRef-scancode-<key>`` for licenses SPDX does not list)."""

    key: str
    spdx: str
    name: str
    short_name: str
    category: str
    text: str = ""
    other_spdx: tuple[str, ...] = ()
    is_exception: bool = False
    is_unknown: bool = False
    is_generic: bool = False
    is_deprecated: bool = False
    homepage_url: str = ""
    text_urls: tuple[str, ...] = ()
    osi_url: str = ""
    minimum_coverage: int = 0
    ignorable_copyrights: tuple[str, ...] = ()
    ignorable_holders: tuple[str, ...] = ()
    ignorable_authors: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The best public URL for the license (SPDX page for SPDX licenses)."""
        if not self.spdx.startswith("LicenseRef-"):
            return f"https://spdx.org/licenses/{self.spdx}.html"
        return self.homepage_url or (self.text_urls[0] if self.text_urls else "")


@dataclass(frozen=True)
class RuleInfo:
    """One detection rule: a text and the license expression (ScanCode keys) it evidences.

    ``kind`` is one of RULE_KINDS. License texts of the database are rules of kind ``text``
    whose identifier is ``<key>.LICENSE``.
    """

    identifier: str
    expression: str
    text: str
    kind: str
    relevance: int = 100
    minimum_coverage: int = 0
    is_continuous: bool = False
    referenced_filenames: tuple[str, ...] = ()
    ignorable_copyrights: tuple[str, ...] = ()
    ignorable_holders: tuple[str, ...] = ()
    ignorable_authors: tuple[str, ...] = ()
