"""Opt-out checks for URLs and local files: the Python API behind ``creditline optout``.

:func:`optout` checks a few targets, fetching each site's robots.txt, ai.txt and
``/.well-known/tdmrep.json`` and the page itself (headers and HTML meta tags). :func:`check_urls`
is for audits of many rows: it fetches each origin's site files once (memory, then the disk
cache of :mod:`creditline.ingest.fetch`) and pages only with ``page=True``. Local files
(robots.txt, ai.txt, tdmrep.json, HTML pages, registries) are parsed directly; site-wide files
are judged for the path ``/``, with reservations of other paths listed in ``notes``.

Network and file problems are data (``OptOutResult.errors``); only an unreadable or invalid
``registry`` raises (:class:`~creditline.errors.ConfigError`), before anything is fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from creditline.core import optout as co
from creditline.core import robots as rb
from creditline.errors import ConfigError, KnowledgeError, UsageError
from creditline.ingest.fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, DEFAULT_TTL, Fetcher, Response
from creditline.model import AI_CRAWLER_USES, AICrawler, OptOutReport, OptOutResult, OptOutSignal, OptOutSource

__all__ = ["DEFAULT_TIMEOUT", "OptOutChecker", "ai_crawlers", "check_urls", "load_registry", "optout",
           "select_agents"]

CRAWLERS_RESOURCE = "data/ai_crawlers.toml"
SITE_FILES = (("robots", "/robots.txt"), ("ai_txt", "/ai.txt"), ("tdmrep", "/.well-known/tdmrep.json"))
MAX_NOTES = 20  # reservations of other paths listed per target


@cache
def ai_crawlers() -> tuple[AICrawler, ...]:
    """The packaged AI crawler table (``data/ai_crawlers.toml``, provenance in ``ai_crawlers.ABOUT``)."""
    try:
        text = files("creditline").joinpath(CRAWLERS_RESOURCE).read_text(encoding="utf-8")
    except OSError as err:
        raise KnowledgeError(f"cannot read the packaged AI crawler table {CRAWLERS_RESOURCE}: {err}",
                             hint="reinstall creditline") from err
    return co.parse_crawler_table(text)


def select_agents(agents: Sequence[str] | None = None, uses: Sequence[str] | None = None) -> tuple[str, ...]:
    """The agent tokens to check: ``agents`` as given, else the table's crawlers (those of ``uses``)."""
    if agents:
        return tuple(dict.fromkeys(a.strip() for a in agents if a.strip()))
    bad = sorted(set(uses or ()) - set(AI_CRAWLER_USES))
    if bad:
        raise UsageError(f"unknown crawler use {', '.join(bad)}", hint=f"choose from {', '.join(AI_CRAWLER_USES)}")
    return tuple(c.token for c in ai_crawlers() if not uses or c.use in uses)


def load_registry(path: str | Path) -> co.OptOutRegistry:
    """Read and validate an opt-out registry TOML file (ConfigError when it cannot be used)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read the opt-out registry {path}: {err}",
                          hint="pass a TOML file with domains, repositories and authors lists") from err
    return co.parse_registry(text, source=str(path))


# --- one origin's site-wide files --------------------------------------------------------------------


@dataclass
class _Site:
    robots: rb.RobotsTxt | None = None
    ai_txt: rb.RobotsTxt | None = None
    tdm_rules: tuple[co.TdmRule, ...] = ()
    sources: list[OptOutSource] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)


def _source(role: str, response: Response) -> OptOutSource:
    return OptOutSource(response.url, role, response.status, response.from_cache, response.truncated, response.error)


def _is_html(response: Response) -> bool:
    return "html" in (response.header("content-type") or "").lower()


def _read_site_file(site: _Site, role: str, response: Response) -> None:
    site.sources.append(_source(role, response))
    if response.status is None:
        site.errors.append(f"{response.url}: {response.error}")
        return
    site.responses.append(response)
    if response.status >= 500:
        extra = " (RFC 9309 tells crawlers to assume the whole site is disallowed)" if role == "robots" else ""
        site.errors.append(f"{response.url}: unavailable, HTTP {response.status}{extra}")
        return
    if not response.ok or (role != "robots" and _is_html(response)):
        return  # 4xx: no such file, nothing reserved; HTML at ai.txt/tdmrep.json is a "soft 404" page
    if response.truncated:
        site.notes.append(f"{response.url}: larger than the size limit, only the first {len(response.body)} "
                          f"bytes were read")
    if role == "tdmrep":
        site.tdm_rules, problems = co.parse_tdmrep_json(response.body)
        site.notes.extend(f"{response.url}: {p}" for p in problems)
        return
    parsed = rb.parse_robots(response.text(), file_types=role == "ai_txt")
    if role == "ai_txt" and parsed.empty and response.body.strip():
        site.notes.append(f"{response.url}: not in Spawning's ai.txt format (no User-Agent groups), ignored")
    site.notes.extend(f"{response.url}: {p}" for p in parsed.problems)
    if role == "robots":
        site.robots = parsed
    else:
        site.ai_txt = parsed


def _fetch_site(fetcher: Fetcher, origin: str) -> _Site:
    site = _Site()
    for role, path in SITE_FILES:
        _read_site_file(site, role, fetcher.get(origin + path))
    return site


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _elsewhere(site: _Site, agents: Sequence[str], path: str, robots_url: str, ai_url: str,
               tdm_url: str) -> list[str]:
    notes = [f"{robots_url}: {n}" for n in rb.reserved_elsewhere(site.robots, agents, path)] if site.robots else []
    if site.ai_txt:
        notes += [f"{ai_url}: {n}" for n in rb.reserved_elsewhere(site.ai_txt, agents, path)]
    matched = co.tdmrep_rule_for(site.tdm_rules, path)
    notes += [f"{tdm_url}: tdm-reservation 1 for location {r.location!r}" for r in site.tdm_rules
              if r.reservation == 1 and r is not matched]
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES] + [f"... and {len(notes) - MAX_NOTES} more reservations of other paths"]
    return notes


def _site_signals(site: _Site, agents: Sequence[str], path: str, urls: dict[str, str]) -> tuple[
        list[OptOutSignal], list[str]]:
    signals: list[OptOutSignal] = []
    notes: list[str] = []
    if site.robots:
        signals += co.robots_signals(site.robots, path, agents, source=urls["robots"])
    if site.ai_txt:
        signals += co.robots_signals(site.ai_txt, path, agents, source=urls["ai_txt"], kind="ai_txt")
    tdm_signals, tdm_notes = co.tdmrep_signals(site.tdm_rules, path, source=urls["tdmrep"])
    signals += tdm_signals
    notes += tdm_notes
    return signals, notes


def _result(target: str, signals: Iterable[OptOutSignal], errors: Iterable[str], notes: Iterable[str],
            sources: Iterable[OptOutSource], checked: bool) -> OptOutResult:
    signals, sources = tuple(signals), tuple(sources)
    fetched = [s for s in sources if s.status is not None and s.role != "file"]
    return OptOutResult(target, bool(signals), signals, tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(notes)),
                        sources, checked, bool(fetched) and all(s.from_cache for s in fetched))


# --- the checker ----------------------------------------------------------------------------------


class OptOutChecker:
    """Checks targets one by one, remembering each origin's site files for the whole run.

    ``registry`` is a path or a parsed registry; ``agents`` the tokens to check (default: every
    crawler of the packaged table); ``page`` whether URLs' pages are fetched too.
    """

    def __init__(self, *, offline: bool = False, registry: str | Path | co.OptOutRegistry | None = None,
                 cache_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                 agents: Sequence[str] | None = None, page: bool = True, max_bytes: int = DEFAULT_MAX_BYTES,
                 ttl: float = DEFAULT_TTL, fetcher: Fetcher | None = None) -> None:
        self.registry = load_registry(registry) if isinstance(registry, (str, Path)) else registry
        self.agents = select_agents(agents)
        self.page = page
        self.max_bytes = max_bytes
        self.fetcher = fetcher or Fetcher(cache_dir=cache_dir, offline=offline, timeout=timeout,
                                          max_bytes=max_bytes, ttl=ttl)
        self._sites: dict[str, _Site] = {}

    def check(self, target: str, *, author: str | None = None) -> OptOutResult:
        if target.lower().startswith(("http://", "https://")):
            return self.check_url(target, author=author)
        return self.check_file(target)

    # --- URLs -------------------------------------------------------------------------------

    def site(self, origin: str) -> _Site:
        """The parsed site files of ``origin`` (``https://host[:port]``), fetched on first use."""
        site = self._sites.get(origin)
        if site is None:
            site = self._sites[origin] = _fetch_site(self.fetcher, origin)
        return site

    def prefetch(self, urls: Iterable[str], workers: int = 8) -> None:
        """Fetch the site files of every origin of ``urls``, ``workers`` origins at a time."""
        origins = [o for o in dict.fromkeys(_origin(u) for u in urls) if o and o not in self._sites]
        if workers <= 1 or len(origins) <= 1:
            for origin in origins:
                self.site(origin)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            sites = list(pool.map(lambda origin: _fetch_site(self.fetcher, origin), origins))
        self._sites.update(zip(origins, sites))

    def check_url(self, url: str, *, author: str | None = None, page: bool | None = None) -> OptOutResult:
        origin = _origin(url)
        if not origin:
            return _result(url, (), [f"{url}: not an http(s) URL with a host"], (), (), False)
        site = self.site(origin)
        path = _path_of(url)
        urls = {role: origin + p for role, p in SITE_FILES}
        signals, notes = _site_signals(site, self.agents, path, urls)
        errors, sources = list(site.errors), list(site.sources)
        notes = list(site.notes) + notes + _elsewhere(site, self.agents, path, urls["robots"], urls["ai_txt"],
                                                      urls["tdmrep"])
        checked = bool(site.responses)
        if self.page if page is None else page:
            response = self.fetcher.get(url)
            sources.append(_source("page", response))
            checked = checked or response.status is not None
            if response.status is None:
                errors.append(f"{url}: {response.error}")
            else:
                page_signals, page_notes = self._page_signals(url, response)
                signals += page_signals
                notes += page_notes
        if self.registry is not None:
            signals += co.registry_signals(self.registry, url, author)
            sources.append(OptOutSource(self.registry.source, "registry"))
            checked = True
        return _result(url, signals, errors, notes, sources, checked)

    def _page_signals(self, url: str, response: Response) -> tuple[list[OptOutSignal], list[str]]:
        notes = [f"{url}: HTTP {response.status}"] if not response.ok else []
        tdm, tdm_notes = co.tdm_header_signals(response.headers, source=url)
        signals = list(tdm) + list(co.x_robots_tag_signals(response.headers, source=url))
        notes += tdm_notes
        if _is_html(response) or response.body.lstrip()[:1] == b"<":
            html, html_notes = co.html_signals(response.text(), self.agents, source=url)
            signals += html
            notes += html_notes
        if response.truncated:
            notes.append(f"{url}: page larger than the size limit, only the first {len(response.body)} bytes "
                         f"were read")
        return signals, notes

    # --- local files ------------------------------------------------------------------------

    def check_file(self, path: str) -> OptOutResult:
        try:
            with open(path, "rb") as fh:
                data = fh.read(self.max_bytes + 1)
        except OSError as err:
            reason = err.strerror or str(err)
            hint = "" if Path(path).exists() else " (not an http(s) URL or an existing file)"
            return _result(path, (), [f"{path}: cannot read: {reason}{hint}"], (), (), False)
        truncated = len(data) > self.max_bytes
        text = data[: self.max_bytes].decode("utf-8", errors="replace")
        source = OptOutSource(path, "file", truncated=truncated)
        kind = co.sniff(path, text[:512])
        notes = [f"{path}: larger than the size limit, only the first {self.max_bytes} bytes were read"] \
            if truncated else []
        if kind is None:
            return _result(path, (), [f"{path}: not a robots.txt, ai.txt, tdmrep.json, HTML or registry file"],
                           notes, [source], False)
        signals, more, errors = self._file_signals(kind, path, text)
        return _result(path, signals, errors, notes + more, [source], not errors)

    def _file_signals(self, kind: str, path: str, text: str) -> tuple[list[OptOutSignal], list[str], list[str]]:
        if kind == "html":
            signals, notes = co.html_signals(text, self.agents, source=path)
            return list(signals), list(notes), []
        if kind == "registry":
            try:
                return [], [co.registry_summary(co.parse_registry(text, source=path))], []
            except ConfigError as err:
                return [], [], [err.message]
        site = _Site()
        if kind == "tdmrep":
            site.tdm_rules, problems = co.parse_tdmrep_json(text)
            site.notes.extend(problems)
        else:
            parsed = rb.parse_robots(text, file_types=kind == "ai_txt")
            site.notes.extend(parsed.problems)
            site.robots, site.ai_txt = (parsed, None) if kind == "robots" else (None, parsed)
        urls = {"robots": path, "ai_txt": path, "tdmrep": path}
        signals, notes = _site_signals(site, self.agents, "/", urls)
        notes = site.notes + notes + _elsewhere(site, self.agents, "/", path, path, path)
        return signals, [n if n.startswith(path) else f"{path}: {n}" for n in notes], []


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.rsplit('@', 1)[-1].lower()}"


# --- the API --------------------------------------------------------------------------------------


def optout(targets: Sequence[str], *, offline: bool = False, registry: str | Path | None = None,
           cache_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
           agents: Sequence[str] | None = None, uses: Sequence[str] | None = None, author: str | None = None,
           max_bytes: int = DEFAULT_MAX_BYTES, progress: Callable[[int, int, str], None] | None = None,
           ) -> OptOutReport:
    """Opt-out signals of each target: an http(s) URL (site files and the page) or a local file.

    ``agents`` are the user-agent tokens to check (default: the packaged AI crawler table, or
    those of ``uses``); ``author`` is matched against the registry's authors.
    """
    if not targets:
        raise UsageError("no targets given", hint="pass URLs or files")
    checker = OptOutChecker(offline=offline, registry=registry, cache_dir=cache_dir, timeout=timeout,
                            agents=agents or select_agents(None, uses), page=True, max_bytes=max_bytes)
    results = []
    for i, target in enumerate(targets):
        results.append(checker.check(target, author=author))
        if progress:
            progress(i + 1, len(targets), target)
    return OptOutReport(tuple(results), checker.agents, offline, str(registry) if registry else None)


def check_urls(urls: Sequence[str], *, offline: bool = False, registry: str | Path | co.OptOutRegistry | None = None,
               cache_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
               agents: Sequence[str] | None = None, page: bool = False, authors: Sequence[str | None] | None = None,
               workers: int = 8, fetcher: Fetcher | None = None) -> OptOutReport:
    """Opt-out results for many URLs (dataset rows), in order, one per URL.

    Each origin's robots.txt, ai.txt and tdmrep.json are fetched once (``workers`` origins in
    parallel), then every URL is judged against them; pages are fetched only with ``page=True``.
    ``authors``, when given, is aligned with ``urls`` and matched against the registry.
    """
    if authors is not None and len(authors) != len(urls):
        raise ValueError("authors must be aligned with urls")
    checker = OptOutChecker(offline=offline, registry=registry, cache_dir=cache_dir, timeout=timeout,
                            agents=agents, page=page, fetcher=fetcher)
    checker.prefetch(urls, workers=workers)
    results = tuple(checker.check_url(url, author=authors[i] if authors else None) for i, url in enumerate(urls))
    source = registry.source if isinstance(registry, co.OptOutRegistry) else (str(registry) if registry else None)
    return OptOutReport(results, checker.agents, offline, source)
