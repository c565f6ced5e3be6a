"""`optout` / `check_urls` / `creditline optout` against a local HTTP server on 127.0.0.1.

The server serves what each test puts in ``server.routes`` and counts the requests per path, so
the tests can tell cached answers from fetched ones.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from creditline.cli.main import cli
from creditline.ingest.fetch import USER_AGENT, Fetcher
from creditline.model import OptOutResult
from creditline.errors import UsageError
from creditline.optout_api import ai_crawlers, check_urls, optout, select_agents


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    sleep: float = 0.0          # seconds to wait before answering
    redirect: str | None = None  # Location of a 302


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    hits: Counter[str]
    agents: list[str]
    stop: threading.Event

    def route(self, path: str, body: str | bytes = b"", status: int = 200, **headers: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(status, data, {k.replace("_", "-"): v for k, v in headers.items()})


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.hits[self.path] += 1
            server.agents.append(self.headers.get("User-Agent", ""))
            route = server.routes.get(self.path, Route(404, b"not found", {"Content-Type": "text/plain"}))
            if route.sleep:
                server.stop.wait(route.sleep)
            try:
                self.send_response(route.status)
                if route.redirect:
                    self.send_header("Location", route.redirect)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout, size limit): expected

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving() -> Iterator[Server]:
    state = Server("", {}, Counter(), [], threading.Event())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture()
def server() -> Iterator[Server]:
    with serving() as state:
        yield state


@pytest.fixture()
def cache(tmp_path: Path) -> Path:
    return tmp_path / "http-cache"


def one(server: Server, cache: Path, path: str = "/page", **kwargs: Any) -> OptOutResult:
    report = optout([server.base + path], cache_dir=cache, **kwargs)
    assert len(report.results) == 1
    return report.results[0]


HTML = "text/html; charset=utf-8"


# --- one test per signal ----------------------------------------------------------------------


def test_robots_txt_disallows_ai_agents(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private\n")
    server.route("/page", "<p>hello</p>", Content_Type=HTML)
    result = one(server, cache)
    assert result.opted_out and result.checked
    [signal] = result.signals
    assert (signal.kind, signal.agents, signal.source) == ("robots", ("GPTBot",), server.base + "/robots.txt")
    assert any("/private" in n for n in result.notes)  # reserved elsewhere, listed as a note
    crawlers = {c.token for c in ai_crawlers()} - {"GPTBot"}
    star = one(server, cache, "/private/x").signals
    assert {a for s in star for a in s.agents} == crawlers | {"GPTBot"}
    assert server.agents and all(a == USER_AGENT for a in server.agents)


def test_ai_txt_file_types(server: Server, cache: Path) -> None:
    server.route("/ai.txt", "# Spawning AI\nUser-Agent: *\nDisallow: *.jpg\n")
    server.route("/img/cat.jpg", b"\xff\xd8", Content_Type="image/jpeg")
    server.route("/page", "<p>hi</p>", Content_Type=HTML)
    assert [s.kind for s in one(server, cache, "/img/cat.jpg").signals] == ["ai_txt"]
    assert not one(server, cache, "/page").opted_out


def test_tdmrep_json(server: Server, cache: Path) -> None:
    rules = [{"location": "/news/*", "tdm-reservation": 1, "tdm-policy": "https://example.com/policy"},
             {"location": "/", "tdm-reservation": 0}]
    server.route("/.well-known/tdmrep.json", json.dumps(rules), Content_Type="application/json")
    server.route("/news/a", "<p>news</p>", Content_Type=HTML)
    [signal] = one(server, cache, "/news/a").signals
    assert (signal.kind, signal.policy) == ("tdmrep", "https://example.com/policy")
    other = one(server, cache, "/about")
    assert not other.opted_out and any("tdm-reservation 0" in n for n in other.notes)


def test_tdm_reservation_header(server: Server, cache: Path) -> None:
    server.route("/page", "<p>x</p>", Content_Type=HTML, tdm_reservation="1", tdm_policy="https://example.com/p")
    [signal] = one(server, cache).signals
    assert (signal.kind, signal.source, signal.policy) == ("tdmrep", server.base + "/page", "https://example.com/p")


def test_noai_meta(server: Server, cache: Path) -> None:
    server.route("/page", "<html><head><META name='robots' content='noimageai'></head></html>", Content_Type=HTML)
    [signal] = one(server, cache).signals
    assert (signal.kind, signal.agents) == ("noai_meta", ("*",))


def test_tdm_reservation_meta(server: Server, cache: Path) -> None:
    server.route("/page", '<meta name="tdm-reservation" content="1">', Content_Type=HTML)
    assert [s.kind for s in one(server, cache).signals] == ["tdmrep"]


def test_x_robots_tag_with_agent(server: Server, cache: Path) -> None:
    server.route("/page", "{}", Content_Type="application/json", X_Robots_Tag="GPTBot: noai")
    [signal] = one(server, cache).signals
    assert (signal.kind, signal.agents) == ("x_robots_tag", ("GPTBot",))


def test_registry(server: Server, cache: Path, tmp_path: Path) -> None:
    registry = tmp_path / "optout.toml"
    registry.write_text('domains = ["127.0.0.1"]\nauthors = ["Ada Lovelace"]\n')
    result = one(server, cache, registry=str(registry))
    assert [(s.kind, s.detail) for s in result.signals] == [("registry", "domain 127.0.0.1")]
    report = check_urls(["http://example.invalid/x"], registry=str(registry), authors=["Ada Lovelace <a@b.c>"],
                        cache_dir=cache, offline=True)
    assert [s.detail for s in report.results[0].signals] == ["author ada lovelace"]


def test_no_signal(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: *\nDisallow: /admin\n")
    server.route("/page", "<meta name='robots' content='noindex'>", Content_Type=HTML)
    result = one(server, cache)
    assert not result.opted_out and result.checked and result.errors == ()
    assert {s.role: s.status for s in result.sources} == {"robots": 200, "ai_txt": 404, "tdmrep": 404, "page": 200}


# --- cache, offline, limits, errors ------------------------------------------------------------


def test_second_run_is_served_from_the_cache(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: CCBot\nDisallow: /\n")
    server.route("/page", "<p>x</p>", Content_Type=HTML)
    first = one(server, cache)
    hits = sum(server.hits.values())
    assert hits == 4 and not first.fetched_from_cache
    second = one(server, cache)
    assert sum(server.hits.values()) == hits
    assert second.fetched_from_cache and second.signals == first.signals
    assert not list(cache.rglob(".tmp-*"))  # atomic writes leave no temporary files


def test_offline_uses_the_cache_only(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: GPTBot\nDisallow: /\n")
    missed = one(server, cache, offline=True)
    assert not missed.checked and not missed.opted_out
    assert len(missed.errors) == 4 and all("offline" in e for e in missed.errors)
    assert sum(server.hits.values()) == 0
    one(server, cache)
    assert one(server, cache, offline=True).opted_out


def test_ttl_expiry_refetches(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: *\nDisallow: /\n")
    now = [1000.0]
    fetcher = Fetcher(cache_dir=cache, ttl=60, clock=lambda: now[0])
    fetcher.get(server.base + "/robots.txt")
    assert fetcher.get(server.base + "/robots.txt").from_cache
    now[0] += 61
    assert not fetcher.get(server.base + "/robots.txt").from_cache
    assert server.hits["/robots.txt"] == 2


def test_check_urls_fetches_site_files_once_per_origin_and_no_pages(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: ClaudeBot\nDisallow: /b/\n")
    urls = [f"{server.base}/{'a' if i % 2 else 'b'}/{i}" for i in range(40)]
    report = check_urls(urls, cache_dir=cache)
    assert [r.target for r in report.results] == urls
    assert [r.opted_out for r in report.results] == [i % 2 == 0 for i in range(40)]
    assert dict(server.hits) == {"/robots.txt": 1, "/ai.txt": 1, "/.well-known/tdmrep.json": 1}
    check_urls(urls[:2], cache_dir=cache, page=True)
    assert server.hits["/robots.txt"] == 1 and server.hits["/a/1"] == 1


def test_check_urls_fetches_origins_in_parallel(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "User-agent: GPTBot\nDisallow: /\n")
    with serving() as other:
        other.route("/ai.txt", "User-Agent: *\nDisallow: /\n")
        urls = [server.base + "/a", other.base + "/b", server.base + "/c", other.base + "/d"]
        report = check_urls(urls, cache_dir=cache, agents=["GPTBot"], workers=4)
    assert [[s.kind for s in r.signals] for r in report.results] == [["robots"], ["ai_txt"], ["robots"], ["ai_txt"]]
    assert server.hits["/robots.txt"] == other.hits["/robots.txt"] == 1
    assert report.agents == ("GPTBot",)


def test_timeout_is_an_error_not_a_crash(server: Server, cache: Path) -> None:
    server.routes["/robots.txt"] = Route(200, b"User-agent: *\nDisallow: /\n", sleep=3.0)
    server.route("/page", "<p>x</p>", Content_Type=HTML)
    started = time.monotonic()
    result = one(server, cache, timeout=0.3)
    assert time.monotonic() - started < 2.5
    assert not result.opted_out and result.checked
    assert any("robots.txt" in e and "timed out" in e for e in result.errors)


def test_size_limit_truncates_and_still_parses(server: Server, cache: Path) -> None:
    body = "User-agent: GPTBot\nDisallow: /\n" + "# padding\n" * 300_000  # 3 MB
    server.route("/robots.txt", body)
    report = optout([server.base + "/page"], cache_dir=cache, max_bytes=100_000)
    result = report.results[0]
    robots = next(s for s in result.sources if s.role == "robots")
    assert robots.truncated and robots.status == 200
    assert [s.agents for s in result.signals] == [("GPTBot",)]
    assert any("size limit" in n for n in result.notes)


def test_redirects_are_followed_up_to_a_limit(server: Server, cache: Path) -> None:
    server.routes["/robots.txt"] = Route(302, redirect="/r1")
    server.routes["/r1"] = Route(301, redirect="/real-robots.txt")
    server.route("/real-robots.txt", "User-agent: *\nDisallow: /\n")
    server.routes["/page"] = Route(302, redirect="/loop")
    server.routes["/loop"] = Route(302, redirect="/page")
    result = one(server, cache)
    assert result.opted_out
    assert any("/page" in e and "redirect" in e for e in result.errors)
    assert server.hits["/page"] + server.hits["/loop"] == 6  # the first request and 5 redirects


def test_server_errors_are_reported_and_not_cached(server: Server, cache: Path) -> None:
    server.route("/robots.txt", "oops", status=503)
    result = one(server, cache)
    assert any("HTTP 503" in e and "RFC 9309" in e for e in result.errors)
    one(server, cache)
    assert server.hits["/robots.txt"] == 2 and server.hits["/ai.txt"] == 1


def test_unreachable_host_is_an_error(cache: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = optout([f"http://127.0.0.1:{port}/x"], cache_dir=cache, timeout=2).results[0]
    assert not result.checked and len(result.errors) == 4 and "cannot connect" in result.errors[0]


def test_soft_404_html_at_ai_txt_is_ignored(server: Server, cache: Path) -> None:
    server.route("/ai.txt", "<html>Page not found</html>", Content_Type=HTML)
    server.route("/.well-known/tdmrep.json", "<html>Page not found</html>", Content_Type=HTML)
    server.route("/page", "<p>x</p>", Content_Type=HTML)
    result = one(server, cache)
    assert not result.opted_out and result.notes == ()


# --- local files -------------------------------------------------------------------------------


def test_local_files(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "robots.txt").write_text("User-agent: CCBot\nDisallow: /\n")
    (tmp_path / "ai.txt").write_text("User-Agent: *\nDisallow: *.png\n")
    (tmp_path / "tdmrep.json").write_text('[{"location": "/", "tdm-reservation": 1}]')
    (tmp_path / "page.html").write_text('<meta name="robots" content="noai">')
    (tmp_path / "registry.toml").write_text('domains = ["a.com"]\n')
    names = ["robots.txt", "ai.txt", "tdmrep.json", "page.html", "registry.toml", "missing.txt"]
    report = optout([str(tmp_path / n) for n in names], cache_dir=cache, offline=True)
    got = {Path(r.target).name: ([s.kind for s in r.signals], r.checked) for r in report.results}
    assert got == {"robots.txt": (["robots"], True), "ai.txt": ([], True), "tdmrep.json": (["tdmrep"], True),
                   "page.html": (["noai_meta"], True), "registry.toml": ([], True), "missing.txt": ([], False)}
    ai = report.results[1]
    assert any("*.png" in n for n in ai.notes)
    assert "1 domain" in report.results[4].notes[0]
    assert "cannot read" in report.results[5].errors[0]


def test_crawler_table_lists_the_documented_agents() -> None:
    crawlers = ai_crawlers()
    tokens = {c.token for c in crawlers}
    required = {"GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "GoogleOther", "ClaudeBot",
                "Claude-Web", "anthropic-ai", "PerplexityBot", "Perplexity-User", "Bytespider", "Applebot-Extended",
                "meta-externalagent", "Meta-ExternalFetcher", "FacebookBot", "Amazonbot", "cohere-ai",
                "cohere-training-data-crawler", "Diffbot", "ImagesiftBot", "Omgilibot", "Timpibot", "YouBot",
                "AI2Bot", "Ai2Bot-Dolma", "PanguBot", "Kangaroo Bot", "DuckAssistBot", "Webzio-Extended"}
    assert required <= tokens
    assert len({t.lower() for t in tokens}) == len(crawlers)
    assert all(c.source.startswith("https://") and c.operator and c.description for c in crawlers)
    uses = {c.token: c.use for c in crawlers}
    assert (uses["GPTBot"], uses["ChatGPT-User"], uses["OAI-SearchBot"]) == ("training", "user", "search")
    user = select_agents(None, ["user"])
    assert "ChatGPT-User" in user and "GPTBot" not in user and all(uses[t] == "user" for t in user)
    assert select_agents(["MyBot", "MyBot", " "]) == ("MyBot",)
    with pytest.raises(UsageError):
        select_agents(None, ["everything"])


# --- the command ------------------------------------------------------------------------------


def test_cli_exit_codes_and_json(server: Server, cache: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    server.route("/robots.txt", "User-agent: GPTBot\nDisallow: /blocked\n")
    base = ["optout", "--cache-dir", str(cache), "--format", "json"]
    result = runner.invoke(cli, [*base, server.base + "/blocked", server.base + "/open"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    assert doc["schema_version"] == "1.0" and doc["opted_out"] is True
    assert [r["opted_out"] for r in doc["results"]] == [True, False]
    signal = doc["results"][0]["signals"][0]
    assert signal == {"kind": "robots", "source": server.base + "/robots.txt", "agents": ["GPTBot"],
                      "detail": signal["detail"], "policy": None}
    assert set(doc["results"][0]) == {"target", "opted_out", "signals", "errors", "notes", "sources", "checked",
                                      "fetched_from_cache"}

    assert runner.invoke(cli, [*base, server.base + "/open"]).exit_code == 0
    assert runner.invoke(cli, [*base, "--agent", "CCBot", server.base + "/blocked"]).exit_code == 0
    offline = runner.invoke(cli, ["optout", "--cache-dir", str(tmp_path / "empty"), "--format", "json", "--offline",
                                  server.base + "/open"])
    assert offline.exit_code == 3 and json.loads(offline.output)["results"][0]["checked"] is False

    table = runner.invoke(cli, ["optout", "--cache-dir", str(cache), "--format", "table", server.base + "/blocked"])
    assert table.exit_code == 1 and "OPTED OUT" in table.output and "GPTBot" in table.output

    bad = tmp_path / "bad.toml"
    bad.write_text("domains = 3\n")
    invalid = runner.invoke(cli, [*base, "--registry", str(bad), server.base + "/open"])
    assert invalid.exit_code == 2 and "registry" in invalid.output
