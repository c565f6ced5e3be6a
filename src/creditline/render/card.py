"""A provenance card (Markdown) for a dataset or catalog.

Its sections follow the public summary of training content that the EU AI Act asks of
providers of general-purpose AI models: general information; the data sources (main sources by
domain and repository, then other sources); data processing (reservations of rights honoured,
content removed, duplicates); and, from creditline's own records, the license mix and what the
licenses require. Numbers the caller did not record are shown as "not recorded".
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from creditline import __version__
from creditline.core.obligations import summarize
from creditline.model import NoticeInput, Work
from creditline.render._attribution import groups

TOP = 10
NOT_RECORDED = "not recorded"
_FORGES = frozenset({"github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "huggingface.co"})
_HF_KINDS = frozenset({"datasets", "spaces", "models"})
DUTIES = (("attribution", "Attribution (credit the author, keep notices)"),
          ("share_alike", "Share-alike (adaptations under the same license)"),
          ("non_commercial", "Non-commercial use only"),
          ("no_derivatives", "No derivatives (verbatim copies only)"),
          ("source_disclosure", "Source disclosure"),
          ("unknown", "Unknown terms: needs review"),
          ("not_assessed", "Not assessed (no obligations recorded)"),
          ("no_license", "No license detected"))


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _count(value: int | None) -> str:
    return NOT_RECORDED if value is None else f"{value:,}"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def domain(url: str) -> str | None:
    """The host of a URL, without ``www.``; ``None`` when it is not a URL."""
    host = urlsplit(url.strip()).hostname if "://" in url else None
    return host.removeprefix("www.") if host else None


def repository(url: str) -> str | None:
    """``host/owner/name`` for a URL on a known code or data forge, else ``None``."""
    host = domain(url)
    if host not in _FORGES:
        return None
    parts = [p for p in urlsplit(url.strip()).path.split("/") if p]
    take = 3 if host == "huggingface.co" and parts[:1] and parts[0] in _HF_KINDS else 2
    return "/".join([host, *parts[:take]]) if len(parts) >= take else None


def _origin(work: Work) -> str:
    """Where a work sits locally: its root, else the first part of its path."""
    return work.root or (work.path.split("/", 1)[0] if "/" in work.path else "(top level)")


def _top_table(title: str, counts: Counter[str], total: int) -> list[str]:
    if not counts:
        return []
    out = [f"| {title} | Works | Share |", "|---|---:|---:|"]
    out += [f"| {_cell(k)} | {n:,} | {_share(n, total)} |" for k, n in counts.most_common(TOP)]
    rest = sum(counts.values()) - sum(n for _, n in counts.most_common(TOP))
    if rest:
        out.append(f"| {len(counts) - TOP:,} others | {rest:,} | {_share(rest, total)} |")
    return [*out, ""]


def _sources(works: tuple[Work, ...]) -> list[str]:
    total = len(works)
    urls = [w.source_url for w in works if w.source_url]
    domains = Counter(d for d in map(domain, urls) if d)
    repos = Counter(r for r in map(repository, urls) if r)
    origins = Counter(_origin(w) for w in works if not w.source_url)
    out = ["## 2. List of data sources", "",
           f"{len(urls):,} of {total:,} works record where they came from (a source URL).", "",
           "### Main sources by domain", ""]
    out += _top_table("Domain", domains, total) or ["No source URLs recorded.", ""]
    if repos:
        out += ["### Main repositories and datasets", "", *_top_table("Repository", repos, total)]
    out += ["### Other sources", ""]
    out += _top_table("Local root or folder", origins, total) or ["None: every work has a source URL.", ""]
    return out


def _processing(notice: NoticeInput) -> list[str]:
    out = ["## 3. Data processing", "",
           "| | Rows |", "|---|---:|",
           f"| Rows in the input | {_count(notice.rows_total)} |",
           f"| Rows kept | {_count(notice.rows_kept)} |"]
    out += [f"| Dropped: {_cell(reason)} | {n:,} |" for reason, n in sorted(notice.dropped.items())]
    out += ["", "### Respect of reservations of rights (opt-outs)", "",
            f"- Opt-outs honoured: {_count(notice.optouts_honoured)}", "",
            "### Removal of unwanted content", "",
            f"- License policy applied: {_cell(notice.policy) if notice.policy else 'none'}",
            f"- Duplicates removed: {_count(notice.duplicates_removed)}", ""]
    return out


def _license_mix(works: tuple[Work, ...]) -> list[str]:
    total = len(works)
    out = ["## 4. License mix", "", "| License expression | Works | Share |", "|---|---:|---:|"]
    out += [f"| {_cell(e or 'none detected')} | {len(ws):,} | {_share(len(ws), total)} |"
            for e, ws in groups(works)]
    return [*out, ""]


def duty_counts(notice: NoticeInput) -> Counter[str]:
    """How many works carry each duty (keys of :data:`DUTIES`), from ``notice.obligations``.

    For a choice (``OR``) every alternative's duties count, as if all applied (conservative).
    """
    counts: Counter[str] = Counter()
    for work in notice.works:
        if not work.license:
            counts["no_license"] += 1
            continue
        found = notice.obligations.get(work.license)
        if not found:
            counts["not_assessed"] += 1
            continue
        summary = summarize(found)
        counts.update(key for key, _ in DUTIES[:5] if summary.get(key))
        counts["unknown"] += "unknown" in summary["categories"]
    return counts


def _obligations(notice: NoticeInput) -> list[str]:
    counts, total = duty_counts(notice), len(notice.works)
    out = ["## 5. What the licenses require", "", "| Requirement | Works | Share |", "|---|---|---:|"]
    out += [f"| {label} | {counts[key]:,} | {_share(counts[key], total)} |" for key, label in DUTIES]
    out += ["", "A work under a choice of licenses (`OR`) is counted under every alternative's "
                "requirements. Credit lines and the full license texts are in the NOTICE export.", ""]
    return out


def _produced(notice: NoticeInput) -> list[str]:
    out = ["## 6. How this card was produced", "",
           f"Made by creditline {__version__} from the {notice.kind}'s own records: each work's license "
           "was detected in its text (ScanCode's licensedcode-data rules) or taken from its declared "
           "metadata, and its copyright statements were extracted from its text. The row, opt-out and "
           f"duplicate counts are those of the run that built this {notice.kind}.", ""]
    out += [f"- {_cell(line)}" for line in notice.notes]
    return [*out, ""] if notice.notes else out


def card_markdown(notice: NoticeInput, **_: Any) -> str:
    """The provenance card of ``notice`` (see the module docstring)."""
    works = notice.works
    out = [f"# Provenance card: {_cell(notice.name)}", "",
           "## 1. General information", "",
           f"- Name: {_cell(notice.name)}",
           f"- Kind: {notice.kind}",
           f"- Created: {notice.created or NOT_RECORDED}",
           f"- Works described: {len(works):,}",
           f"- Code works: {sum(w.kind == 'code' for w in works):,}; prose and other text: "
           f"{sum(w.kind != 'code' for w in works):,}",
           f"- Total size: {sum(w.size for w in works):,} bytes", ""]
    out += _sources(works) + _processing(notice) + _license_mix(works) + _obligations(notice)
    out += _produced(notice)
    return "\n".join(out)
