"""Opt-out signals from text: robots.txt, ai.txt, TDMRep, ``noai`` meta tags and headers, registries.

Pure: strings and bytes in, :class:`~creditline.model.OptOutSignal` values out. Fetching is
:mod:`creditline.ingest.fetch`'s job and wiring :mod:`creditline.optout_api`'s.

* **robots.txt / ai.txt** — :mod:`creditline.core.robots` (RFC 9309 groups and longest match).
  An agent disallowed for the path is an opt-out, whether by its own group or the ``*`` group.
* **TDMRep** (W3C TDM Reservation Protocol, final report 2024) — ``tdm-reservation: 1`` in
  ``/.well-known/tdmrep.json`` (an array of ``{"location", "tdm-reservation", "tdm-policy"}``;
  ``location`` is a robots-style pattern, the first matching rule applies), in the HTTP header of
  the same name, or in ``<meta name="tdm-reservation" content="1">``. ``0`` is a note.
* **noai** — ``noai`` / ``noimageai`` directives in ``<meta name="robots">`` (or a meta named
  after a crawler) and in ``X-Robots-Tag`` headers, optionally prefixed by an agent
  (``X-Robots-Tag: GPTBot: noai``). Both directives are AI opt-outs whatever agent they name.
* **Registry** — a TOML file of opted-out ``domains``, ``repositories`` and ``authors``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from creditline.core import robots as rb
from creditline.errors import ConfigError
from creditline.model import AI_CRAWLER_USES, AICrawler, OptOutSignal

ALL = "*"
NOAI_DIRECTIVES = ("noai", "noimageai")
# X-Robots-Tag directives that carry a value after a colon; any other "name:" prefix is an agent.
_VALUED_DIRECTIVES = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})
_URL = re.compile(r"^(?:([A-Za-z][A-Za-z0-9+.-]*):)?//([^/?#]*)([^#]*)")

Headers = Sequence[tuple[str, str]]

# --- URLs -----------------------------------------------------------------------------------------


def split_url(url: str) -> tuple[str, str, str]:
    """(scheme, host, path with query) of an absolute URL; host lower-cased without user info or
    port, path ``/`` when empty. ``("", "", url)`` for anything else."""
    match = _URL.match(url.strip())
    if not match:
        return "", "", url
    host = match.group(2).rsplit("@", 1)[-1]
    host = host[: host.rindex("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
    path = match.group(3) or "/"
    return (match.group(1) or "").lower(), host.lower().rstrip("."), path if path.startswith("/") else "/" + path


# --- the crawler table ----------------------------------------------------------------------------


def parse_crawler_table(text: str) -> tuple[AICrawler, ...]:
    """The ``[[crawler]]`` entries of ``data/ai_crawlers.toml``; raises ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"ai_crawlers.toml: {err}") from err
    crawlers: list[AICrawler] = []
    problems: list[str] = []
    for i, entry in enumerate(data.get("crawler", [])):
        try:
            crawler = AICrawler(**entry)
        except TypeError as err:
            problems.append(f"crawler {i}: {err}")
            continue
        if not crawler.token or crawler.use not in AI_CRAWLER_USES:
            problems.append(f"crawler {i} ({crawler.token!r}): needs a token and a use in {AI_CRAWLER_USES}")
        crawlers.append(crawler)
    if problems:
        raise ConfigError("invalid AI crawler table: " + "; ".join(problems))
    return tuple(crawlers)


# --- robots.txt and ai.txt ------------------------------------------------------------------------


def robots_signals(robots: rb.RobotsTxt, path: str, agents: Sequence[str], *, source: str,
                   kind: str = "robots") -> tuple[OptOutSignal, ...]:
    """One signal per deciding Disallow rule, listing the agents it disallows for ``path``."""
    by_rule: dict[tuple[str, rb.Rule], list[str]] = {}
    for agent in agents:
        v = rb.verdict(robots, agent, path)
        if not v.allowed and v.rule is not None:
            by_rule.setdefault((v.group or "", v.rule), []).append(agent)
    signals = []
    for (group, rule), disallowed in by_rule.items():
        where = "the * group" if group == ALL else f"the {group} group"
        signals.append(OptOutSignal(kind, source, tuple(disallowed), f"{rule} (line {rule.line}, {where})"))
    return tuple(signals)


# --- TDMRep ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TdmRule:
    location: str
    reservation: int | None  # 1 reserved, 0 not reserved, None unset or invalid
    policy: str | None = None


def _reservation(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


def parse_tdmrep_json(text: str | bytes) -> tuple[tuple[TdmRule, ...], tuple[str, ...]]:
    """The rules of a ``tdmrep.json`` file and its problems (invalid JSON is a problem, not an error)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        return (), (f"not valid JSON: {err}",)
    if not isinstance(data, list):
        return (), ("expected a JSON array of rules",)
    rules: list[TdmRule] = []
    problems: list[str] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("location"), str):
            problems.append(f"rule {i}: expected an object with a 'location' string")
            continue
        reservation = _reservation(entry.get("tdm-reservation"))
        if reservation is None:
            problems.append(f"rule {i}: tdm-reservation must be 0 or 1, taken as unset")
        policy = entry.get("tdm-policy")
        rules.append(TdmRule(entry["location"], reservation, policy if isinstance(policy, str) and policy else None))
    return tuple(rules), tuple(problems)


def tdmrep_rule_for(rules: Sequence[TdmRule], path: str) -> TdmRule | None:
    """The first rule whose ``location`` pattern matches ``path`` (TDMRep: first in sequence wins)."""
    canonical = rb.canonical_path(path or "/")
    for rule in rules:
        if rb.rule_matches(rb.Rule(False, rule.location), canonical):
            return rule
    return None


def tdmrep_signals(rules: Sequence[TdmRule], path: str, *, source: str) -> tuple[tuple[OptOutSignal, ...], tuple[str, ...]]:
    """(signals, notes) of ``tdmrep.json`` for ``path``."""
    rule = tdmrep_rule_for(rules, path)
    if rule is None or rule.reservation is None:
        return (), ()
    if rule.reservation == 0:
        return (), (f"{source}: tdm-reservation 0 for location {rule.location!r} (TDM rights not reserved)",)
    return (OptOutSignal("tdmrep", source, (ALL,), f"tdm-reservation: 1 for location {rule.location!r}",
                         rule.policy),), ()


def _header_values(headers: Headers, name: str) -> list[str]:
    return [v for k, v in headers if k.strip().lower() == name]


def tdm_header_signals(headers: Headers, *, source: str) -> tuple[tuple[OptOutSignal, ...], tuple[str, ...]]:
    """``tdm-reservation`` / ``tdm-policy`` HTTP headers."""
    policy = next((v.strip() for v in _header_values(headers, "tdm-policy") if v.strip()), None)
    signals: list[OptOutSignal] = []
    notes: list[str] = []
    for value in _header_values(headers, "tdm-reservation"):
        reservation = _reservation(value)
        if reservation == 1:
            signals.append(OptOutSignal("tdmrep", source, (ALL,), "tdm-reservation: 1 (HTTP header)", policy))
        elif reservation == 0:
            notes.append(f"{source}: tdm-reservation: 0 (HTTP header; TDM rights not reserved)")
    return tuple(signals[:1]), tuple(notes)


# --- noai directives ------------------------------------------------------------------------------


def _noai(directives: Iterable[str]) -> list[str]:
    return [d for d in (x.strip().lower() for x in directives) if d in NOAI_DIRECTIVES]


def parse_x_robots_tag(value: str) -> list[tuple[str, str]]:
    """(agent, directive) pairs of one X-Robots-Tag value; agent ``*`` without a prefix.

    ``GPTBot: noai, noimageai`` → ``[("GPTBot", "noai"), ("GPTBot", "noimageai")]``; a prefix
    switches the agent for the directives after it (``a: noindex, b: noai``).
    """
    agent = ALL
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        item = item.strip()
        if ":" in item:
            head, rest = (s.strip() for s in item.split(":", 1))
            if head.lower() not in _VALUED_DIRECTIVES and head and " " not in head.strip():
                agent, item = head, rest
        if item:
            pairs.append((agent, item.lower()))
    return pairs


def x_robots_tag_signals(headers: Headers, *, source: str) -> tuple[OptOutSignal, ...]:
    signals: list[OptOutSignal] = []
    for value in _header_values(headers, "x-robots-tag"):
        by_agent: dict[str, list[str]] = {}
        for agent, directive in parse_x_robots_tag(value):
            if directive in NOAI_DIRECTIVES:
                by_agent.setdefault(agent, []).append(directive)
        for agent, directives in by_agent.items():
            signals.append(OptOutSignal("x_robots_tag", source, (agent,),
                                        f"X-Robots-Tag: {value.strip()} ({', '.join(directives)})"))
    return tuple(signals)


class _MetaParser(HTMLParser):
    """Collects ``<meta name=… content=…>`` pairs; tolerant of messy HTML (HTMLParser never raises
    on bad markup, attribute names are lower-cased, quotes are optional)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        name = values.get("name") or values.get("http-equiv")
        if name and "content" in values:
            self.metas.append((name.strip(), values["content"]))


def html_metas(html: str) -> list[tuple[str, str]]:
    """(name, content) of every meta tag with both, in document order."""
    parser = _MetaParser()
    parser.feed(html)
    parser.close()
    return parser.metas


def _robot_meta_name(name: str, agents: Sequence[str]) -> bool:
    lowered = name.lower()
    return lowered == "robots" or lowered.endswith("bot") or lowered in {a.lower() for a in agents}


def html_signals(html: str, agents: Sequence[str], *, source: str) -> tuple[tuple[OptOutSignal, ...], tuple[str, ...]]:
    """``noai`` robots metas and TDMRep metas of an HTML page: (signals, notes)."""
    metas = html_metas(html)
    signals: list[OptOutSignal] = []
    notes: list[str] = []
    policy = next((c.strip() for n, c in metas if n.lower() == "tdm-policy" and c.strip()), None)
    for name, content in metas:
        lowered = name.lower()
        if lowered == "tdm-reservation":
            reservation = _reservation(content)
            if reservation == 1:
                signals.append(OptOutSignal("tdmrep", source, (ALL,), "<meta name=\"tdm-reservation\" content=\"1\">",
                                            policy))
            elif reservation == 0:
                notes.append(f"{source}: <meta name=\"tdm-reservation\" content=\"0\"> (TDM rights not reserved)")
        elif lowered == "x-robots-tag":
            signals.extend(x_robots_tag_signals([("x-robots-tag", content)], source=source))
        elif _robot_meta_name(name, agents):
            found = _noai(content.split(","))
            if found:
                agent = ALL if lowered == "robots" else name
                signals.append(OptOutSignal("noai_meta", source, (agent,),
                                            f"<meta name=\"{name}\" content=\"{content.strip()}\">"))
    return tuple(signals), tuple(notes)


# --- the opt-out registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOutRegistry:
    """Opted-out domains (with their subdomains), repositories (``host/owner[/repo]`` prefixes)
    and authors (names or e-mail addresses, case-insensitive)."""

    source: str
    domains: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()


def _repo_key(url: str) -> str:
    """``https://www.GitHub.com/Owner/Repo.git/`` → ``github.com/owner/repo``."""
    text = url.strip().lower()
    if "://" in text:
        _, host, path = split_url(text)
        text = host + path.split("?", 1)[0]
    text = text.removeprefix("www.").rstrip("/").removesuffix(".git")
    if text.startswith("raw.githubusercontent.com/"):
        text = "github.com/" + text.removeprefix("raw.githubusercontent.com/")
    return text


def parse_registry(text: str, *, source: str) -> OptOutRegistry:
    """Parse a registry TOML file; raises ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}", hint="see the README for the registry format") from err
    problems = [f"unknown key {key!r}" for key in data if key not in ("version", "domains", "repositories", "authors")]
    if data.get("version", 1) != 1:
        problems.append(f"unsupported version {data.get('version')!r} (expected 1)")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("domains", "repositories", "authors"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(f"{key!r} must be a list of non-empty strings")
            value = []
        lists[key] = tuple(value)
    if problems:
        raise ConfigError(f"invalid opt-out registry {source}: " + "; ".join(problems),
                          hint="see the README for the registry format")
    return OptOutRegistry(
        source,
        tuple(d.strip().lower().removeprefix("*.").strip(".") for d in lists["domains"]),
        tuple(_repo_key(r) for r in lists["repositories"]),
        tuple(a.strip().lower() for a in lists["authors"]),
    )


def _author_keys(author: str) -> set[str]:
    keys: set[str] = set()
    for part in re.split(r"[;,\n]", author):
        match = re.match(r"^\s*(.*?)\s*<([^>]+)>\s*$", part)
        name, email = (match.group(1), match.group(2)) if match else (part, "")
        keys |= {s.strip().lower() for s in (name, email) if s.strip()}
    return keys


def registry_signals(registry: OptOutRegistry, url: str | None = None,
                     author: str | None = None) -> tuple[OptOutSignal, ...]:
    """Registry entries matching a URL (domain or repository) and an author string."""
    signals: list[OptOutSignal] = []
    if url:
        _, host, _ = split_url(url)
        domain = next((d for d in registry.domains if host == d or host.endswith("." + d)), None) if host else None
        if domain:
            signals.append(OptOutSignal("registry", registry.source, (ALL,), f"domain {domain}"))
        key = _repo_key(url)
        repo = next((r for r in registry.repositories if key == r or key.startswith(r + "/")), None)
        if repo:
            signals.append(OptOutSignal("registry", registry.source, (ALL,), f"repository {repo}"))
    if author:
        keys = _author_keys(author)
        matched = [a for a in registry.authors if a in keys]
        if matched:
            signals.append(OptOutSignal("registry", registry.source, (ALL,), f"author {matched[0]}"))
    return tuple(signals)


def registry_summary(registry: OptOutRegistry) -> str:
    return (f"{registry.source}: opt-out registry with {len(registry.domains)} domain(s), "
            f"{len(registry.repositories)} repositor(ies), {len(registry.authors)} author(s)")


# --- file sniffing --------------------------------------------------------------------------------


def sniff(name: str, head: str) -> str | None:
    """What a local file is, from its name, then its first characters: ``robots``, ``ai_txt``,
    ``tdmrep``, ``html``, ``registry`` or None."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    by_name = {"robots.txt": "robots", "ai.txt": "ai_txt", "tdmrep.json": "tdmrep"}
    if base in by_name:
        return by_name[base]
    if base.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if base.endswith(".toml"):
        return "registry"
    text = head.lstrip("\ufeff \t\r\n").lower()
    if text.startswith("<"):
        return "html"
    if text.startswith("["):
        return "tdmrep"
    if re.search(r"^\s*user-?agent\s*:", text, re.MULTILINE):
        return "robots"
    return None


def header_pairs(headers: Mapping[str, str] | Headers) -> Headers:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)
