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
    # the copied part of the source, when ``trace`` kept texts (for HTML) and the catalog has the work's text
    source_text: str | None = field(default=None, repr=False, compare=False, metadata={"to_dict": False})


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


# --- attribution exports (NOTICE, SPDX, CycloneDX, provenance card) ----------------------------


@dataclass(frozen=True)
class LicenseText(_Dict):
    """A license's full text as the license database has it; ``text`` is empty when the
    database has none (the exports then say so)."""

    spdx_id: str
    name: str = ""
    text: str = field(default="", repr=False)
    url: str = ""


@dataclass(frozen=True)
class NoticeInput(_Dict):
    """What the attribution exports of a catalog or dataset are made from.

    ``works`` are the catalogued works (or the kept rows of a dataset); ``created`` an ISO 8601
    timestamp chosen by the caller (``2026-01-31T12:00:00Z``); renderers read no clock.
    ``kind`` is ``dataset`` or ``catalog``. The counts are ``None`` when not known; ``dropped``
    maps a reason (``policy``, ``opt-out``, ``duplicate``...) to rows dropped for it.
    ``obligations`` maps each license expression of ``works`` to what its licenses require;
    ``licenses`` maps each SPDX id (exceptions included) to its text. ``notes`` are lines the
    provenance card adds under "How this card was produced".
    """

    name: str
    works: tuple[Work, ...] = ()
    created: str = ""
    kind: str = "dataset"
    rows_total: int | None = None
    rows_kept: int | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    optouts_honoured: int | None = None
    policy: str | None = None
    duplicates_removed: int | None = None
    obligations: dict[str, tuple[Obligations, ...]] = field(default_factory=dict)
    licenses: dict[str, LicenseText] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()


# --- dataset rows (issue 4: dataset inputs) ------------------------------------------------------

# Codes of SkippedRows items, on top of SKIP_CODES (``undecodable``, ``binary``, ``unreadable``
# keep their meaning); documented in the README.
ROW_SKIP_CODES = (
    "bad_json",      # a JSON Lines line that is not a JSON object
    "bad_record",    # a CSV record the csv module cannot parse
    "ragged_row",    # a CSV record with more or fewer fields than the header
    "missing_text",  # the text column is absent or null in this row
    "bad_type",      # the text column holds a number, list, mapping... instead of text
    "corrupt_data",  # rows that cannot be read: a damaged row group, a stream or file cut short
)


@dataclass(frozen=True)
class SkippedRows(Skipped):
    """Dataset rows that could not be turned into a Document, and why.

    ``path`` is ``<file>#<row in that file>``; ``row`` the 0-based number of the first of them
    in the whole dataset; ``rows`` how many rows this entry stands for (1 for a bad row; the
    rows of a damaged row group; ``None`` when unknown, e.g. a Parquet file cut short loses its
    footer and with it the row count). ``code`` is one of ROW_SKIP_CODES or SKIP_CODES.
    """

    row: int | None = None
    rows: int | None = 1


# --- opt-out signals (issue: `creditline optout`) ------------------------------------------------

OPTOUT_SCHEMA_VERSION = "1.0"
# Kinds of OptOutSignal; documented in the README.
OPTOUT_KINDS = (
    "robots",        # robots.txt disallows AI agents for the path (RFC 9309 group and longest match)
    "ai_txt",        # Spawning ai.txt disallows the path or its file type
    "tdmrep",        # W3C TDMRep: tdm-reservation 1 (tdmrep.json, HTTP header or HTML meta)
    "noai_meta",     # <meta name="robots|<agent>" content="noai|noimageai">
    "x_robots_tag",  # X-Robots-Tag: [agent:] noai|noimageai
    "registry",      # the URL, its domain or repository, or the author is in an opt-out registry
)
AI_CRAWLER_USES = ("training", "search", "user", "other")


@dataclass(frozen=True)
class AICrawler(_Dict):
    """A robots.txt product token of an AI crawler (``data/ai_crawlers.toml``). ``use`` is one
    of AI_CRAWLER_USES; ``token_only`` marks tokens no request carries (Google-Extended)."""

    token: str
    operator: str
    use: str
    description: str = ""
    source: str = ""
    token_only: bool = False


@dataclass(frozen=True)
class OptOutSignal(_Dict):
    """One expression of an opt-out from AI use. ``kind`` is one of OPTOUT_KINDS; ``source`` the
    URL or file it was read from; ``agents`` the agent tokens it applies to (``*`` for all);
    ``detail`` the rule or directive itself; ``policy`` a TDMRep ``tdm-policy`` URL, if any."""

    kind: str
    source: str
    agents: tuple[str, ...]
    detail: str
    policy: str | None = None


@dataclass(frozen=True)
class OptOutSource(_Dict):
    """One resource consulted for a target. ``role`` is ``robots``, ``ai_txt``, ``tdmrep``,
    ``page``, ``file`` or ``registry``; ``status`` the HTTP status (None for files and failed
    requests); ``error`` why it could not be read."""

    location: str
    role: str
    status: int | None = None
    from_cache: bool = False
    truncated: bool = False
    error: str | None = None


@dataclass(frozen=True)
class OptOutResult(_Dict):
    """The opt-out signals found for one target (a URL or a local file). ``checked`` is False
    when no source could be read at all; ``errors`` are per-source problems (network, offline
    cache misses, malformed files), never raised; ``notes`` are findings that do not opt this
    target out (reservations of other paths, ``tdm-reservation: 0``)."""

    target: str
    opted_out: bool
    signals: tuple[OptOutSignal, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[OptOutSource, ...] = ()
    checked: bool = True
    fetched_from_cache: bool = False  # every HTTP response used came from the cache


@dataclass(frozen=True)
class OptOutReport(_Dict):
    results: tuple[OptOutResult, ...] = ()
    agents: tuple[str, ...] = ()
    offline: bool = False
    registry: str | None = None
    schema_version: str = OPTOUT_SCHEMA_VERSION

    @property
    def opted_out(self) -> bool:
        return any(r.opted_out for r in self.results)

    @property
    def checked(self) -> bool:
        """Whether at least one target could be checked."""
        return any(r.checked for r in self.results)


# --- dataset audit (issue 4: audit, filter) -----------------------------------------------------

AUDIT_SCHEMA_VERSION = "1.0"
# Obligation flags a row's license carries; the keys of AuditReport.obligations.
OBLIGATION_FLAGS = ("attribution", "share-alike", "non-commercial", "no-derivatives", "source-disclosure")


@dataclass(frozen=True)
class RowResult(_Dict):
    """What ``creditline audit`` says about one dataset row.

    ``row`` is the row's 0-based number in the dataset; ``id`` the id column's value (else the
    row's path, ``<file>#<row in file>``). ``license`` is the row's license: the declared one
    where the dataset gives it (resolved to SPDX), else the one detected in the text;
    ``license_agrees`` compares the two (None when either is missing). ``categories`` and
    ``obligations`` (flags of OBLIGATION_FLAGS) cover every license of ``license`` and of the
    detected license when they disagree: an NC notice in the text counts even when no column
    says so. ``duplicate_of`` is the row number of the first row with the same text (``exact``)
    or a near-identical one (``near``, MinHash LSH). ``reproduces`` lists catalogued works the
    row copies (``--catalog``). ``decision`` is the policy's verdict (``--policy``): ``allowed``
    rows are kept by ``filter``; ``error`` says why a row could not be read (it is then dropped).
    """

    row: int | None
    id: str
    path: str = ""
    declared_license: str | None = None
    declared_raw: str | None = None
    detected_license: str | None = None
    license: str | None = None
    license_agrees: bool | None = None
    evidence: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    copyrights: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    title: str | None = None
    author: str | None = None
    source_url: str | None = None
    size: int = 0
    sha1: str = ""
    duplicate_of: int | None = None
    duplicate_kind: str | None = None
    opted_out: bool | None = None
    optout_signals: tuple[str, ...] = ()
    reproduces: tuple[str, ...] = ()
    decision: Decision | None = None
    error: str | None = None


@dataclass(frozen=True)
class DuplicateCluster(_Dict):
    """Rows with the same or nearly the same text: ``representative`` (the first one) is kept."""

    representative: int
    members: tuple[int, ...]
    kind: str  # exact | near (a cluster with any near member is near)


@dataclass(frozen=True)
class AuditReport(_Dict):
    """The whole-dataset view of an audit; per-row results are in ``rows`` (up to the report's row
    limit, ``rows_truncated`` says how many were left out) and in the Parquet file, if asked.

    ``licenses`` counts rows per license expression (``none`` for rows without any evidence),
    ``categories`` rows per license category, ``obligations`` rows per OBLIGATION_FLAGS flag,
    ``kept``/``dropped`` rows per policy outcome and ``drop_reasons`` rows per reason kind.
    """

    dataset: str
    format: str
    layout: str
    columns: dict[str, str | None] = field(default_factory=dict)
    rows_total: int = 0
    rows_read: int = 0
    rows_error: int = 0
    bytes_read: int = 0
    licenses: dict[str, int] = field(default_factory=dict)
    declared_licenses: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    obligations: dict[str, int] = field(default_factory=dict)
    no_license: int = 0
    disagreements: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    clusters: tuple[DuplicateCluster, ...] = ()
    optout_checked: int = 0
    opted_out: int = 0
    reproducing: int = 0
    policy: str | None = None
    kept: int = 0
    dropped: int = 0
    drop_reasons: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    rows: tuple[RowResult, ...] = ()
    rows_truncated: int = 0
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    schema_version: str = AUDIT_SCHEMA_VERSION
