"""robots.txt (RFC 9309) and Spawning's ai.txt: parse, pick the group, find the deciding rule.

Pure: text in, values out. ``urllib.robotparser`` is not used because it applies the first
matching rule, not the longest one, and knows neither ``*`` nor ``$``.

* **Groups.** One or more ``user-agent`` lines start a group; its ``allow``/``disallow`` lines
  follow. Groups naming the same agent are merged. An agent obeys the group(s) naming its
  product token (case-insensitive; ``GPTBot/1.0`` names ``gptbot``), else the ``*`` group, else
  nothing (everything allowed). Other lines (``sitemap``, ``crawl-delay``) do not end a group.
* **Rules.** The rule whose pattern matches the path with the most octets decides; between an
  equally long allow and disallow, allow wins. ``*`` matches any run of characters, a final ``$``
  anchors the end. Paths and patterns are compared after percent-encoding normalisation
  (unreserved characters decoded, non-ASCII encoded as UTF-8, hex digits upper-case).
  ``/robots.txt`` itself is always allowed.
* **ai.txt** uses the same syntax (``User-Agent: *`` / ``Disallow: *.jpg``); a ``*.ext``
  pattern there is a file-type rule that matches paths ending in ``.ext`` (ignoring case and the
  query string).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_KEYS = {"user-agent": "user-agent", "useragent": "user-agent", "user agent": "user-agent",
         "allow": "allow", "disallow": "disallow"}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_FILE_TYPE = re.compile(r"^\*\.([A-Za-z0-9_+-]+)$")


@dataclass(frozen=True)
class Rule:
    """One ``allow``/``disallow`` line: its pattern as written and its 1-based line number."""

    allow: bool
    pattern: str
    line: int = 0

    def __str__(self) -> str:
        return f"{'Allow' if self.allow else 'Disallow'}: {self.pattern}"


@dataclass(frozen=True)
class Group:
    agents: tuple[str, ...]  # normalised product tokens (lower case), "*" for all
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class RobotsTxt:
    """A parsed robots.txt or ai.txt. ``file_types`` marks ai.txt semantics for ``*.ext``."""

    groups: tuple[Group, ...] = ()
    problems: tuple[str, ...] = ()
    file_types: bool = False

    @property
    def empty(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class Verdict:
    """How one agent fares on one path: the group it obeyed (``None`` when none applies) and the
    deciding rule (``None`` when no rule matches, which allows)."""

    agent: str
    group: str | None
    rule: Rule | None

    @property
    def allowed(self) -> bool:
        return self.rule is None or self.rule.allow


# --- parsing ------------------------------------------------------------------------------------


def product_token(value: str) -> str:
    """The normalised product token of a ``user-agent`` value: ``GPTBot/1.1`` → ``gptbot``."""
    return value.split("/", 1)[0].strip().lower()


def _lines(text: str) -> Iterable[tuple[int, str, str]]:
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        yield number, key.strip().lower(), value.strip()


def parse_robots(text: str, *, file_types: bool = False) -> RobotsTxt:
    """Parse robots.txt (or ai.txt with ``file_types=True``) text; never raises.

    Rules before any ``user-agent`` line are ignored and listed in ``problems``.
    """
    groups: list[tuple[list[str], list[Rule]]] = []
    problems: list[str] = []
    in_agents = False
    for number, key, value in _lines(text):
        kind = _KEYS.get(key)
        if kind == "user-agent":
            if not in_agents:
                groups.append(([], []))
                in_agents = True
            if value:
                groups[-1][0].append(product_token(value))
        elif kind in ("allow", "disallow"):
            in_agents = False
            if not groups:
                problems.append(f"line {number}: {key} before any user-agent line, ignored")
            elif value:  # an empty Disallow allows everything, an empty Allow says nothing
                groups[-1][1].append(Rule(kind == "allow", value, number))
    return RobotsTxt(tuple(Group(tuple(agents), tuple(rules)) for agents, rules in groups if agents),
                     tuple(problems), file_types)


# --- matching -----------------------------------------------------------------------------------


def canonical_path(path: str) -> str:
    """Percent-encoding normalisation of RFC 9309 §2.2.2, applied to paths and patterns alike."""
    def decode(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    out = _PERCENT.sub(decode, path)
    if out.isascii():
        return out
    return "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in out)


@lru_cache(maxsize=4096)
def _compile(pattern: str, file_types: bool) -> tuple[re.Pattern[str], int, bool]:
    """(regex, specificity in octets, whether it is an ai.txt file-type rule)."""
    ext = _FILE_TYPE.match(pattern) if file_types else None
    if ext:
        return re.compile(r".*\." + re.escape(ext.group(1)) + r"\Z", re.IGNORECASE | re.DOTALL), len(pattern), True
    if not pattern.startswith(("/", "*")):
        pattern = "/" + pattern
    anchored = pattern.endswith("$")
    body = canonical_path(pattern[:-1] if anchored else pattern)
    regex = ".*".join(re.escape(part) for part in body.split("*")) + (r"\Z" if anchored else "")
    return re.compile(regex, re.DOTALL), len(pattern), False


def rule_matches(rule: Rule, path: str, *, file_types: bool = False) -> int:
    """The specificity of ``rule`` for ``path`` (a canonical path with query), 0 when it does not match."""
    regex, length, is_type = _compile(rule.pattern, file_types)
    subject = path.split("?", 1)[0] if is_type else path
    return length if regex.match(subject) else 0


def deciding_rule(rules: Sequence[Rule], path: str, *, file_types: bool = False) -> Rule | None:
    """The longest matching rule (allow wins a tie); None when no rule matches the path."""
    path = canonical_path(path or "/")
    best: Rule | None = None
    best_len = 0
    for rule in rules:
        length = rule_matches(rule, path, file_types=file_types)
        if length > best_len or (length and length == best_len and rule.allow and best and not best.allow):
            best, best_len = rule, length
    return best


def rules_for(robots: RobotsTxt, agent: str) -> tuple[str | None, tuple[Rule, ...]]:
    """The group label an agent obeys (its token, ``*`` or None) and the merged rules of it."""
    token = product_token(agent)
    own = [g for g in robots.groups if token in g.agents]
    if own:
        return agent, tuple(r for g in own for r in g.rules)
    star = [g for g in robots.groups if "*" in g.agents]
    if star:
        return "*", tuple(r for g in star for r in g.rules)
    return None, ()


def verdict(robots: RobotsTxt, agent: str, path: str) -> Verdict:
    """Whether ``agent`` may fetch ``path`` (path plus query, e.g. ``/a/b?c=1``) under ``robots``."""
    group, rules = rules_for(robots, agent)
    if path.split("?", 1)[0] == "/robots.txt" and not robots.file_types:
        return Verdict(agent, group, None)
    return Verdict(agent, group, deciding_rule(rules, path, file_types=robots.file_types))


def reserved_elsewhere(robots: RobotsTxt, agents: Sequence[str], path: str) -> tuple[str, ...]:
    """Disallow rules that apply to ``agents`` but do not decide ``path``: one line per group and
    rule, for notes such as ``Disallow: /private (line 4, the GPTBot group)``."""
    notes: list[str] = []
    seen: set[tuple[str, Rule]] = set()
    for agent in agents:
        group, rules = rules_for(robots, agent)
        decided = verdict(robots, agent, path).rule
        for rule in rules:
            if not rule.allow and rule != decided and (group or "", rule) not in seen:
                seen.add((group or "", rule))
                notes.append(f"{rule} (line {rule.line}, the {group} group)")
    return tuple(notes)
