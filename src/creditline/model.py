"""Frozen value objects shared by every layer.

They carry no behaviour beyond small conveniences and ``to_dict`` for JSON; renderers and
shells format them, ``core`` produces them, ``ingest`` yields :class:`Document` and
:class:`Skipped`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

SCAN_SCHEMA_VERSION = "1.0"

# Codes of Skipped items; documented in the README.
SKIP_CODES = (
    "binary",          # looks like binary data (NUL bytes, known magic): not scanned
    "too_large",       # over the size limit: scanned up to the limit (also flagged on the file)
    "undecodable",     # no text encoding fits
    "unreadable",      # permission denied, I/O error, vanished during the scan
    "broken_symlink",  # a symlink whose target does not exist
    "symlink_loop",    # a symlink that leads back into a directory already being walked
    "unsafe_path",     # an archive member with an absolute or ``..`` path
    "archive_limit",   # an archive over the entry-count, total-size or ratio limit (bomb guard)
    "corrupt_archive", # an archive that cannot be read
    "special_file",    # a FIFO, socket or device
)

EvidenceKind = Literal["spdx_tag", "notice", "text", "reference", "tag", "intro", "clue", "unknown"]


def _asdict(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _asdict(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("to_dict", True)}
    if isinstance(obj, (list, tuple)):
        return [_asdict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _asdict(v) for k, v in obj.items()}
    return obj


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        return _asdict(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Document(_Dict):
    """One input item: decoded text with where it came from.

    ``path`` is relative to the scanned root (``archive.zip!/inner/path`` inside archives, ``-``
    for stdin). ``encoding`` records how bytes were decoded (``utf-8``, a fallback charset, or
    ``latin-1`` as the lossless last resort). ``truncated`` is set when only the first
    ``size_limit`` bytes were read.
    """

    path: str
    text: str
    root: str = ""
    size: int = 0
    sha1: str = ""
    encoding: str = "utf-8"
    truncated: bool = False
    declared: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped(_Dict):
    """An input item that could not be (fully) scanned, and why; ``code`` is one of SKIP_CODES."""

    path: str
    code: str
    detail: str = ""
    root: str = ""


@dataclass(frozen=True)
class LicenseDetection(_Dict):
    """One piece of license evidence in a text.

    ``expression`` is SPDX; ``kind`` the evidence kind; ``rule`` the licensedcode-data rule (or
    license) it matched; ``score`` in 0..100 (coverage weighted by rule relevance); ``coverage``
    the share of the rule's tokens found, in 0..100.
    """

    expression: str
    start_line: int
    end_line: int
    kind: str
    rule: str
    score: float
    coverage: float
    matched_length: int = 0
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class CopyrightNotice(_Dict):
    """A copyright statement with its parsed holders, years and authors; lines are 1-based."""

    statement: str
    holders: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    start_line: int = 0
    end_line: int = 0


@dataclass(frozen=True)
class Obligations(_Dict):
    """What one license requires of someone who reuses the work.

    ``share_alike`` is ``None`` or one of ``file``, ``library``, ``strong``, ``network``.
    ``category`` is one of: permissive, weak copyleft, strong copyleft, network copyleft,
    public domain, non-commercial / source-available, proprietary, unknown.
    """

    license: str
    name: str
    category: str
    attribution: bool = False
    notice_preservation: bool = False
    share_alike: str | None = None
    non_commercial: bool = False
    no_derivatives: bool = False
    patent_terms: bool = False
    source_disclosure: bool = False
    url: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileResult(_Dict):
    path: str
    license: str | None
    detections: tuple[LicenseDetection, ...] = ()
    copyrights: tuple[CopyrightNotice, ...] = ()
    size: int = 0
    sha1: str = ""
    encoding: str = "utf-8"
    truncated: bool = False
    is_legal: bool = False        # LICENSE / COPYING / NOTICE style file
    is_manifest: bool = False     # package manifest that declares a license
    declared: tuple[str, ...] = ()  # licenses declared by this manifest file


@dataclass(frozen=True)
class Clarity(_Dict):
    files: int
    with_license: int
    with_copyright: int
    license_share: float
    copyright_share: float
    agreeing: int
    disagreeing: int
    consistent: bool
    score: int


@dataclass(frozen=True)
class RootSummary(_Dict):
    root: str
    declared_license: str | None
    declared_from: tuple[str, ...]
    licenses: dict[str, int]
    clarity: Clarity
    obligations: tuple[Obligations, ...]
    holders: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanReport(_Dict):
    files: tuple[FileResult, ...]
    summary: tuple[RootSummary, ...]
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    schema_version: str = SCAN_SCHEMA_VERSION
    tool: str = "creditline"
    tool_version: str = ""

    @property
    def has_findings(self) -> bool:
        return any(f.license for f in self.files)


# --- catalog and trace (issue: catalog and `creditline trace`) ---------------------------------

CATALOG_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Work(_Dict):
    """A catalogued work: one file or dataset row after detection.

    ``id`` is assigned by the catalog (0 before it is added). ``path`` is relative to the
    indexed root; ``license`` the file's SPDX expression (detected, or declared when detection
    found none); ``declared_license`` what metadata (``--meta``, REUSE, package) says, and
    ``license_agrees`` whether the two agree (None when either is missing). ``kind`` is
    ``code`` or ``prose``; ``language`` the lexer used for code.
    """

    path: str
    sha1: str
    size: int = 0
    id: int = 0
    root: str = ""
    license: str | None = None
    declared_license: str | None = None
    license_agrees: bool | None = None
    copyrights: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    title: str | None = None
    author: str | None = None
    source_url: str | None = None
    kind: str = "prose"
    language: str | None = None
    tokens: int = 0


@dataclass(frozen=True)
class IndexReport(_Dict):
    """What ``creditline index`` did to a catalog."""

    catalog: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: int = 0
    removed: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Match(_Dict):
    """One span of an input found in a catalogued work.

    Offsets are characters, ``[start, end)``; lines are 1-based. ``kind`` is ``exact`` (same
    tokens after normalisation: case, whitespace, comments) or ``renamed`` (same code shape with
    identifiers or literals changed). ``share`` is the part of the input's characters this
    match covers.
    """

    source: str
    work_id: int
    input_start: int
    input_end: int
    input_start_line: int
    input_end_line: int
    source_start: int
    source_end: int
    source_start_line: int
    source_end_line: int
    kind: str
    tokens: int
    share: float
    license: str | None
    obligations: tuple[Obligations, ...] = ()
    credit_line: str = ""
    root: str = ""
    decision: Decision | None = None  # the policy's verdict, when ``trace`` ran with a policy


@dataclass(frozen=True)
class TraceResult(_Dict):
    """One traced input. ``violations`` lists the matches a policy denies (empty without a
    policy); ``text`` is the input itself, kept only when asked for (HTML reports), never in JSON."""

    path: str
    tokens: int
    matches: tuple[Match, ...] = ()
    covered: float = 0.0  # share of the input's characters inside a match
    violations: tuple[Violation, ...] = ()
    text: str | None = field(default=None, repr=False, compare=False, metadata={"to_dict": False})


@dataclass(frozen=True)
class TraceReport(_Dict):
    catalog: str
    inputs: tuple[TraceResult, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    schema_version: str = "1.0"
    policy: str | None = None  # the name of the policy checked, if any

    @property
    def has_matches(self) -> bool:
        return any(r.matches for r in self.inputs)

    @property
    def violated(self) -> bool:
        """Whether any match of any input breaks the policy."""
        return any(r.violations for r in self.inputs)


# --- policies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision(_Dict):
    """A policy's verdict on one license expression: ``reasons`` say why it is denied (one per
    license and rule); ``notes`` what an allowed use still requires (credit, the choice to make
    for an ``OR``)."""

    allowed: bool
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation(_Dict):
    """A match a policy denies: the source work, its license, why, and where in the input."""

    source: str
    license: str | None
    reasons: tuple[str, ...]
    input_start: int = 0
    input_end: int = 0
    input_start_line: int = 0
    input_end_line: int = 0
