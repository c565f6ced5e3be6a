"""Opt-out parsing, pure: robots.txt (RFC 9309), ai.txt, TDMRep, noai metas and headers, registries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditline.core import optout as co
from creditline.core import robots as rb
from creditline.errors import ConfigError


def allowed(text: str, agent: str, path: str, *, file_types: bool = False) -> bool:
    return rb.verdict(rb.parse_robots(text, file_types=file_types), agent, path).allowed


class TestLongestMatch:
    """RFC 9309 §2.2.2: the most specific (longest) match decides; allow wins a tie."""

    @pytest.mark.parametrize(("rules", "path", "expected"), [
        ("Allow: /p\nDisallow: /", "/page", True),
        ("Allow: /p\nDisallow: /", "/other", False),
        ("Disallow: /\nAllow: /p", "/page", True),          # order does not matter
        ("Allow: /folder\nDisallow: /folder", "/folder/page", True),  # tie: allow
        ("Disallow: /folder\nAllow: /folder", "/folder/page", True),  # tie: allow, whatever the order
        ("Disallow: /folder/\nAllow: /folder/page$", "/folder/page", True),
        ("Disallow: /folder/\nAllow: /folder/page$", "/folder/page2", False),
        ("Disallow: /a\nAllow: /a/b\nDisallow: /a/b/c", "/a/b/c/d", False),
        ("Disallow: /a\nAllow: /a/b\nDisallow: /a/b/c", "/a/b/x", True),
        ("Disallow:", "/anything", True),                   # an empty Disallow allows all
        ("Disallow: /private", "/privateer", False),        # prefix match, not segment match
        ("Disallow: /private", "/Private", True),           # paths are case-sensitive
    ], ids=["allow-longer", "disallow-root", "order-free", "tie-allow", "tie-allow-last", "dollar-exact", "dollar-not-longer",
            "nested-disallow", "nested-allow", "empty-disallow", "prefix", "case-sensitive"])
    def test_longest_match_decides(self, rules: str, path: str, expected: bool) -> None:
        assert allowed(f"User-agent: *\n{rules}\n", "GPTBot", path) is expected

    @pytest.mark.parametrize(("pattern", "path", "expected"), [
        ("/*.gif$", "/images/cat.gif", False),
        ("/*.gif$", "/images/cat.gif?size=2", True),   # $ anchors the end of path and query
        ("/*.gif$", "/images/cat.gifs", True),
        ("/fish*", "/fish.html", False),
        ("/fish*", "/Fish", True),
        ("/*/private/", "/a/b/private/x", False),
        ("/*?", "/page?q=1", False),
        ("/*?", "/page", True),
        ("*.pdf", "/docs/a.pdf", False),                # a pattern may start with *
        ("private", "/private/x", False),              # a missing leading slash is added
    ], ids=["gif-dollar", "gif-query", "gif-longer", "star-suffix", "star-case", "star-middle", "query-mark",
            "no-query", "leading-star", "no-slash"])
    def test_wildcards(self, pattern: str, path: str, expected: bool) -> None:
        assert allowed(f"User-agent: *\nDisallow: {pattern}\n", "CCBot", path) is expected

    def test_wildcard_length_counts_for_specificity(self) -> None:
        text = "User-agent: *\nAllow: /*/page\nDisallow: /a/\n"
        assert allowed(text, "CCBot", "/a/page")        # "/*/page" (7 octets) beats "/a/" (3)

    @pytest.mark.parametrize(("pattern", "path"), [
        ("/foo/%62ar", "/foo/bar"),       # unreserved characters are decoded before comparing
        ("/foo/bar", "/foo/%62ar"),
        ("/ä", "/%C3%A4"),                # non-ASCII is percent-encoded as UTF-8
        ("/%c3%a4", "/ä"),                # hex digits compare upper-cased
    ], ids=["pattern-encoded", "path-encoded", "utf8", "hex-case"])
    def test_percent_encoding_is_normalised(self, pattern: str, path: str) -> None:
        assert not allowed(f"User-agent: *\nDisallow: {pattern}\n", "CCBot", path)

    def test_reserved_percent_escapes_stay_encoded(self) -> None:
        # %2F is an encoded "/", a reserved character: it must not match a real "/"
        assert allowed("User-agent: *\nDisallow: /a%2Fb\n", "CCBot", "/a/b")

    def test_robots_txt_itself_is_always_allowed(self) -> None:
        assert allowed("User-agent: *\nDisallow: /\n", "GPTBot", "/robots.txt")
        assert not allowed("User-agent: *\nDisallow: /\n", "GPTBot", "/robots.txt.bak")

    @given(st.text(alphabet="abcXYZ019-._~/%äé", min_size=1, max_size=30))
    def test_exact_allow_beats_a_shorter_disallow(self, tail: str) -> None:
        path = "/" + tail
        text = f"User-agent: *\nDisallow: /\nAllow: {path}$\n"
        assert allowed(text, "GPTBot", path)
        assert not allowed(text, "GPTBot", path + "z")


class TestGroups:
    def test_own_group_replaces_the_star_group(self) -> None:
        text = "User-agent: *\nDisallow: /\n\nUser-agent: GPTBot\nAllow: /\nDisallow: /private\n"
        assert allowed(text, "GPTBot", "/page")
        assert not allowed(text, "GPTBot", "/private")
        assert not allowed(text, "CCBot", "/page")       # falls back to *

    def test_no_matching_group_and_no_star_allows_everything(self) -> None:
        assert allowed("User-agent: GPTBot\nDisallow: /\n", "CCBot", "/page")
        assert allowed("", "CCBot", "/page")
        assert allowed("# only a comment\n", "CCBot", "/page")

    def test_tokens_match_case_insensitively_and_ignore_versions(self) -> None:
        text = "User-agent: gptbot/1.2\nDisallow: /\n"
        assert not allowed(text, "GPTBot", "/")
        assert not allowed("USER-AGENT: GPTBOT\nDISALLOW: /\n", "GPTBot", "/")

    def test_consecutive_agent_lines_share_a_group(self) -> None:
        text = "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: ClaudeBot\nDisallow: /x\n"
        assert not allowed(text, "CCBot", "/page")
        assert allowed(text, "ClaudeBot", "/page")

    def test_groups_of_the_same_agent_are_merged(self) -> None:
        text = "User-agent: GPTBot\nDisallow: /a\n\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: GPTBot\nAllow: /a/b\n"
        assert not allowed(text, "GPTBot", "/a/x")
        assert allowed(text, "GPTBot", "/a/b")
        assert allowed(text, "GPTBot", "/c")

    def test_tokens_with_spaces(self) -> None:
        assert not allowed("User-agent: Kangaroo Bot\nDisallow: /\n", "Kangaroo Bot", "/")

    def test_other_lines_do_not_end_a_group(self) -> None:
        text = "User-agent: GPTBot\nSitemap: https://x/s.xml\nCrawl-delay: 5\nDisallow: /\n"
        assert not allowed(text, "GPTBot", "/")

    def test_rules_before_any_user_agent_are_ignored_and_reported(self) -> None:
        robots = rb.parse_robots("Disallow: /\nUser-agent: *\nAllow: /\n")
        assert rb.verdict(robots, "GPTBot", "/").allowed
        assert robots.problems and "line 1" in robots.problems[0]

    def test_comments_blank_lines_bom_and_crlf(self) -> None:
        text = "\ufeffUser-agent: GPTBot # OpenAI\r\n\r\nDisallow: /secret # keep out\r\n"
        assert not allowed(text, "GPTBot", "/secret/x")
        assert allowed(text, "GPTBot", "/public")

    def test_verdict_names_group_and_rule(self) -> None:
        robots = rb.parse_robots("User-agent: *\nDisallow: /a\n")
        v = rb.verdict(robots, "GPTBot", "/a/b")
        assert (v.group, v.rule, v.allowed) == ("*", rb.Rule(False, "/a", 2), False)


class TestAiTxt:
    SPAWNING = "# Spawning AI\n# Prevent datasets from using the following file types\n\n" \
               "User-Agent: *\nDisallow: *.jpg\nDisallow: *.png\nAllow: *.txt\n"

    @pytest.mark.parametrize(("path", "expected"), [
        ("/img/cat.jpg", False), ("/img/CAT.JPG", False), ("/img/cat.png?w=200", False),
        ("/img/cat.jpg.html", True), ("/notes.txt", True), ("/page.html", True),
    ], ids=["jpg", "upper-case", "query", "not-the-extension", "allowed-type", "other-type"])
    def test_file_type_rules(self, path: str, expected: bool) -> None:
        assert allowed(self.SPAWNING, "GPTBot", path, file_types=True) is expected

    def test_disallow_everything(self) -> None:
        text = "# Spawning AI\nUser-Agent: *\nDisallow: /\nDisallow: *\n"
        assert not allowed(text, "CCBot", "/any/page.html", file_types=True)

    def test_signals_for_a_file_type(self) -> None:
        robots = rb.parse_robots(self.SPAWNING, file_types=True)
        signals = co.robots_signals(robots, "/a.png", ["GPTBot", "CCBot"], source="ai.txt", kind="ai_txt")
        assert [(s.kind, s.agents) for s in signals] == [("ai_txt", ("GPTBot", "CCBot"))]
        assert "*.png" in signals[0].detail


class TestRobotsSignals:
    def test_one_signal_per_deciding_rule(self) -> None:
        robots = rb.parse_robots("User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /x\n")
        signals = co.robots_signals(robots, "/x/y", ["GPTBot", "CCBot", "ClaudeBot"], source="r")
        assert sorted(s.agents for s in signals) == [("CCBot", "ClaudeBot"), ("GPTBot",)]
        assert co.robots_signals(robots, "/y", ["CCBot"], source="r") == ()

    def test_reservations_elsewhere_are_listed(self) -> None:
        robots = rb.parse_robots("User-agent: *\nDisallow: /private\nDisallow: /drafts\n")
        notes = rb.reserved_elsewhere(robots, ["GPTBot", "CCBot"], "/public")
        assert notes == ("Disallow: /private (line 2, the * group)", "Disallow: /drafts (line 3, the * group)")


class TestTdmRep:
    RULES = """[
      {"location": "/images/*", "tdm-reservation": 1, "tdm-policy": "https://example.com/policy.json"},
      {"location": "/*.pdf$", "tdm-reservation": "1"},
      {"location": "/", "tdm-reservation": 0},
      {"location": "/never/reached", "tdm-reservation": 1}
    ]"""

    def test_first_matching_location_applies(self) -> None:
        rules, problems = co.parse_tdmrep_json(self.RULES)
        assert problems == ()
        assert co.tdmrep_rule_for(rules, "/images/a.png").policy == "https://example.com/policy.json"
        assert co.tdmrep_rule_for(rules, "/doc/a.pdf").reservation == 1
        assert co.tdmrep_rule_for(rules, "/doc/a.pdf?x=1").reservation == 0
        assert co.tdmrep_rule_for(rules, "/never/reached").reservation == 0

    def test_signals_and_notes(self) -> None:
        rules, _ = co.parse_tdmrep_json(self.RULES)
        signals, notes = co.tdmrep_signals(rules, "/images/x.jpg", source="tdmrep.json")
        assert [(s.kind, s.agents, s.policy) for s in signals] == [
            ("tdmrep", ("*",), "https://example.com/policy.json")]
        signals, notes = co.tdmrep_signals(rules, "/about", source="tdmrep.json")
        assert signals == () and "tdm-reservation 0" in notes[0]

    @pytest.mark.parametrize(("text", "problem"), [
        ("{not json", "not valid JSON"),
        ('{"location": "/"}', "JSON array"),
        ('[{"tdm-reservation": 1}]', "'location'"),
        ('[{"location": "/", "tdm-reservation": 2}]', "0 or 1"),
        ('[{"location": "/", "tdm-reservation": true}]', "0 or 1"),
    ], ids=["invalid", "object", "no-location", "two", "bool"])
    def test_problems_are_data(self, text: str, problem: str) -> None:
        rules, problems = co.parse_tdmrep_json(text)
        assert problem in problems[0]
        assert all(r.reservation is None for r in rules)

    def test_headers(self) -> None:
        headers = [("TDM-Reservation", " 1 "), ("tdm-policy", "https://example.com/p")]
        signals, _ = co.tdm_header_signals(headers, source="u")
        assert [(s.detail, s.policy) for s in signals] == [("tdm-reservation: 1 (HTTP header)", "https://example.com/p")]
        signals, notes = co.tdm_header_signals([("tdm-reservation", "0")], source="u")
        assert signals == () and notes
        assert co.tdm_header_signals([("tdm-reservation", "yes")], source="u") == ((), ())


MESSY_HTML = """<!doctype html><HTML><HEAD>
<META CONTENT='noindex, NoAI' NAME=Robots>
<meta name="description" content="noai, a word about noai">
<meta name=tdm-reservation content=1><meta name="tdm-policy" content="https://example.com/tdm">
<title>Unclosed <b>bold
<script>document.write('<meta name="robots" content="noimageai">')</script>
</head><body><p>text <meta name="CCBot" content=" noimageai ">
<div <<< broken attrs="x
"""


class TestHtmlMeta:
    def test_messy_html(self) -> None:
        signals, notes = co.html_signals(MESSY_HTML, ["GPTBot", "CCBot"], source="page")
        got = [(s.kind, s.agents) for s in signals]
        assert got == [("noai_meta", ("*",)), ("tdmrep", ("*",)), ("noai_meta", ("CCBot",))]
        assert signals[1].policy == "https://example.com/tdm"
        assert notes == ()

    def test_meta_named_after_an_agent(self) -> None:
        html = '<meta name="GPTBot" content="noai"><meta name="googlebot" content="noimageai">'
        signals, _ = co.html_signals(html, ["GPTBot"], source="p")
        assert [s.agents for s in signals] == [("GPTBot",), ("googlebot",)]

    @pytest.mark.parametrize("html", [
        '<meta name="robots" content="noindex, nofollow">',
        '<meta name="robots">',
        '<meta property="robots" content="noai">',
        '<p>noai</p>',
        '',
    ], ids=["other-directives", "no-content", "property", "text", "empty"])
    def test_no_signal(self, html: str) -> None:
        assert co.html_signals(html, ["GPTBot"], source="p") == ((), ())

    def test_tdm_reservation_zero_is_a_note(self) -> None:
        signals, notes = co.html_signals('<meta name="tdm-reservation" content="0">', [], source="p")
        assert signals == () and "content=\"0\"" in notes[0]


class TestXRobotsTag:
    @pytest.mark.parametrize(("value", "expected"), [
        ("noai, noimageai", [("*", "noai"), ("*", "noimageai")]),
        ("GPTBot: noai", [("GPTBot", "noai")]),
        ("googlebot: noindex, otherbot: noai", [("googlebot", "noindex"), ("otherbot", "noai")]),
        ("unavailable_after: 25 Jun 2030 15:00:00 PST", [("*", "unavailable_after: 25 jun 2030 15:00:00 pst")]),
        ("max-snippet: 20, NOAI", [("*", "max-snippet: 20"), ("*", "noai")]),
    ], ids=["plain", "agent-prefix", "two-agents", "valued-directive", "mixed"])
    def test_parse(self, value: str, expected: list[tuple[str, str]]) -> None:
        assert co.parse_x_robots_tag(value) == expected

    def test_signals_from_several_headers(self) -> None:
        headers = [("X-Robots-Tag", "noindex"), ("x-robots-tag", "GPTBot: noai"), ("X-ROBOTS-TAG", "noimageai"),
                   ("Content-Type", "text/html")]
        signals = co.x_robots_tag_signals(headers, source="u")
        assert [(s.kind, s.agents) for s in signals] == [("x_robots_tag", ("GPTBot",)), ("x_robots_tag", ("*",))]
        assert "noimageai" in signals[1].detail


REGISTRY = """
version = 1
domains = ["example.com", "*.art.example"]
repositories = ["github.com/ada/engine", "https://gitlab.com/Babbage/", "github.com/someorg"]
authors = ["Ada Lovelace", "charles@example.org"]
"""


class TestRegistry:
    @pytest.fixture()
    def registry(self) -> co.OptOutRegistry:
        return co.parse_registry(REGISTRY, source="reg.toml")

    @pytest.mark.parametrize(("url", "detail"), [
        ("https://example.com/", "domain example.com"),
        ("http://blog.EXAMPLE.com:8080/post?x=1", "domain example.com"),
        ("https://www.art.example/x", "domain art.example"),
        ("https://github.com/Ada/Engine/blob/main/README.md", "repository github.com/ada/engine"),
        ("https://github.com/ada/engine.git", "repository github.com/ada/engine"),
        ("https://raw.githubusercontent.com/ada/engine/main/x.py", "repository github.com/ada/engine"),
        ("https://gitlab.com/babbage/diff", "repository gitlab.com/babbage"),
        ("https://github.com/someorg/anything", "repository github.com/someorg"),
    ], ids=["domain", "subdomain-port", "star-domain", "repo-path", "repo-git", "raw", "owner-prefix", "org"])
    def test_url_matches(self, registry: co.OptOutRegistry, url: str, detail: str) -> None:
        assert [s.detail for s in co.registry_signals(registry, url)] == [detail]

    @pytest.mark.parametrize("url", [
        "https://notexample.com/", "https://example.com.evil.net/", "https://github.com/ada/engine2",
        "https://github.com/adam/engine", "not a url",
    ], ids=["suffix", "prefix-host", "repo-prefix", "owner-prefix", "garbage"])
    def test_url_does_not_match(self, registry: co.OptOutRegistry, url: str) -> None:
        assert co.registry_signals(registry, url) == ()

    @pytest.mark.parametrize(("author", "hit"), [
        ("ada lovelace", True), ("Ada Lovelace <ada@example.com>", True), ("Chuck <CHARLES@example.org>", True),
        ("Grace Hopper; Ada Lovelace", True), ("Ada", False), ("Ada Lovelace-Byron", False),
    ], ids=["name", "name-email", "email", "list", "partial", "longer"])
    def test_author_matches(self, registry: co.OptOutRegistry, author: str, hit: bool) -> None:
        assert bool(co.registry_signals(registry, None, author)) is hit

    def test_every_problem_is_reported(self) -> None:
        with pytest.raises(ConfigError) as info:
            co.parse_registry('version = 2\ndomains = "x.com"\nauthors = [1]\nextra = 1\n', source="bad.toml")
        message = info.value.message
        assert all(part in message for part in ("bad.toml", "'extra'", "version 2", "'domains'", "'authors'"))

    def test_invalid_toml(self) -> None:
        with pytest.raises(ConfigError, match="not valid TOML"):
            co.parse_registry("domains = [", source="bad.toml")


class TestHelpers:
    @pytest.mark.parametrize(("url", "expected"), [
        ("https://User:pw@Example.COM:8443/a/b?c=1#frag", ("https", "example.com", "/a/b?c=1")),
        ("http://example.com", ("http", "example.com", "/")),
        ("http://example.com?q", ("http", "example.com", "/?q")),
        ("http://[::1]:8080/x", ("http", "[::1]", "/x")),
        ("relative/path", ("", "", "relative/path")),
    ], ids=["full", "no-path", "query-only", "ipv6", "relative"])
    def test_split_url(self, url: str, expected: tuple[str, str, str]) -> None:
        assert co.split_url(url) == expected

    @pytest.mark.parametrize(("name", "head", "kind"), [
        ("site/robots.txt", "", "robots"), ("AI.TXT", "", "ai_txt"), ("x/tdmrep.json", "", "tdmrep"),
        ("page.htm", "", "html"), ("optout.toml", "", "registry"), ("dump", "\n <!DOCTYPE html>", "html"),
        ("rules", "[{}]", "tdmrep"), ("copy.txt", "# x\nUser-Agent: *\n", "robots"), ("notes.md", "# hi", None),
    ], ids=["robots", "ai", "tdmrep", "html", "registry", "sniff-html", "sniff-json", "sniff-robots", "unknown"])
    def test_sniff(self, name: str, head: str, kind: str | None) -> None:
        assert co.sniff(name, head) == kind

    def test_crawler_table_problems_are_collected(self) -> None:
        text = '[[crawler]]\ntoken = "A"\noperator = "x"\nuse = "fun"\n\n[[crawler]]\ntoken = "B"\nbogus = 1\n'
        with pytest.raises(ConfigError) as info:
            co.parse_crawler_table(text)
        assert "crawler 0" in info.value.message and "crawler 1" in info.value.message
