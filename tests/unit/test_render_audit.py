"""Audit renderers (json, table, markdown, html) on a hand-made AuditReport: no disk, no detection."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import pytest

from creditline.model import AuditReport, Decision, DuplicateCluster, RowResult
from creditline.render import formats, render

EVIL = "<script>alert(1)</script>"
MARKUP = "[bold]LicenseRef-x[/bold]"  # rich markup in a value must be shown as written

ROWS = (
    RowResult(0, "doc-0", "a.jsonl#0", declared_license="MIT", detected_license="MIT", license="MIT",
              license_agrees=True, categories=("Permissive",), obligations=("attribution",),
              decision=Decision(True, notes=("credit the author",))),
    RowResult(1, "doc-1", "a.jsonl#1", detected_license="GPL-3.0-only", license="GPL-3.0-only",
              categories=("Copyleft",), obligations=("attribution", "share-alike", "source-disclosure"),
              decision=Decision(False, ("GPL-3.0-only: copyleft is denied by the policy",))),
    RowResult(2, "doc-2", "a.jsonl#2", declared_license="CC-BY-NC-4.0", detected_license="MIT",
              license="CC-BY-NC-4.0", license_agrees=False, obligations=("attribution", "non-commercial"),
              decision=Decision(False, ("CC-BY-NC-4.0: non-commercial use only",))),
    RowResult(3, "doc-3", "a.jsonl#3", reproduces=("poems/ode.txt",), decision=Decision(True)),
    RowResult(4, "doc-4", "a.jsonl#4", declared_license="MIT", license="MIT", duplicate_of=0, duplicate_kind="exact"),
    RowResult(5, "a.jsonl#5", "a.jsonl#5", error="bad_json: line 6 is not a JSON object"),
    RowResult(6, "doc-6", "a.jsonl#6", detected_license="MIT", license="MIT", opted_out=True,
              optout_signals=("robots: GPTBot disallowed",), duplicate_of=1, duplicate_kind="near"),
    RowResult(7, EVIL, "a.jsonl#7", declared_license=EVIL, license=EVIL,
              decision=Decision(False, (f"{EVIL}: unknown license",))),
)
REPORT = AuditReport(
    dataset="corpus/a.jsonl", format="jsonl", layout="file", columns={"text": "content", "id": "uid", "license": None},
    rows_total=8, rows_read=7, rows_error=1, bytes_read=2_500_000,
    licenses={"MIT": 3, "GPL-3.0-only": 1, "CC-BY-NC-4.0": 1, "none": 1, EVIL: 1},
    categories={"Permissive": 3, "Copyleft": 1, MARKUP: 1},
    obligations={"attribution": 4, "share-alike": 1, "non-commercial": 1, "source-disclosure": 1},
    no_license=1, disagreements=1, exact_duplicates=1, near_duplicates=1,
    clusters=(DuplicateCluster(0, (0, 4), "exact"), DuplicateCluster(1, (1, 6), "near")),
    optout_checked=7, opted_out=1, reproducing=1, policy="no-nc-no-copyleft", kept=3, dropped=5,
    drop_reasons={"denied": 3, "duplicate": 1, "opted_out": 1, "error": 1}, errors={"bad_json": 1},
    rows=ROWS, seconds=1.25, outputs={"results": "out/rows.parquet", "html": "out/report.html"},
)
PROBLEM_ROWS = (1, 2, 3, 5, 6, 7)  # 0 and 4 have no problem (a duplicate is not one)


def _many_licenses(n: int) -> AuditReport:
    """``n`` expressions L00, L01... with n, n-1, ... 1 rows."""
    return dataclasses.replace(REPORT, licenses={f"L{i:02d}": n - i for i in range(n)})


class TestRegistry:
    def test_audit_formats(self) -> None:
        assert set(formats("audit")) == {"json", "table", "markdown", "html"}

    @pytest.mark.parametrize("fmt", ["json", "table", "markdown", "html"])
    def test_empty_dataset(self, fmt: str) -> None:
        out = render("audit", fmt, AuditReport("empty.csv", "csv", "file"))
        assert "empty.csv" in out and not re.search(r"\d\.\d%", out)  # no share of zero rows


class TestAuditJson:
    def test_round_trips(self) -> None:
        doc = json.loads(render("audit", "json", REPORT))
        assert doc == json.loads(json.dumps(REPORT.to_dict()))
        assert {"schema_version", "dataset", "licenses", "clusters", "rows", "drop_reasons", "outputs"} <= set(doc)
        assert doc["rows"][1]["decision"] == {"allowed": False, "reasons": [ROWS[1].decision.reasons[0]], "notes": []}
        assert doc["clusters"][1] == {"representative": 1, "members": [1, 6], "kind": "near"}

    def test_compact_unless_pretty(self) -> None:
        assert render("audit", "json", REPORT).count("\n") == 1
        pretty = render("audit", "json", REPORT, pretty=True)
        assert '\n  "dataset": "corpus/a.jsonl"' in pretty and json.loads(pretty) == json.loads(render("audit", "json",
                                                                                                        REPORT))


class TestAuditTable:
    def test_mentions_the_counts(self) -> None:
        out = render("audit", "table", REPORT, width=200)
        for text in ("corpus/a.jsonl", "jsonl (file)", "text=content, id=uid", "8 total, 7 read, 1 with errors",
                     "2.5 MB", "1.2 s", "GPL-3.0-only", "42.9%", "share-alike", "no-derivatives",
                     "rows with no license evidence", "near duplicates", "opted out",
                     "no-nc-no-copyleft", "dropped: denied", "bad_json", "out/rows.parquet", EVIL, MARKUP):
            assert text in out, text

    def test_largest_clusters_listed(self) -> None:
        out = render("audit", "table", REPORT, width=200)
        assert "Largest duplicate clusters (2 in all)" in out
        assert re.search(r"│\s*1\s*│\s*near\s*│\s*2\s*│\s*6\s*│", out)

    def test_top_15_then_other(self) -> None:
        out = render("audit", "table", _many_licenses(20), width=200)
        assert "L14" in out and "L15" not in out
        assert re.search(r"other \(5 expressions\)\s*│\s*15\s*│", out)


class TestAuditMarkdown:
    def test_tables(self) -> None:
        out = render("audit", "markdown", REPORT)
        assert out.startswith("# creditline audit: corpus/a.jsonl\n")
        assert "| license | rows | share |\n|---|---:|---:|\n| MIT | 3 | 42.9% |\n" in out
        assert "| obligation | rows | share |" in out and "| no-derivatives | 0 | 0.0% |" in out
        assert "| kept row | kind | rows | duplicates |" in out and "| 0 | exact | 2 | 4 |" in out
        assert "| dropped: denied | 3 | 37.5% |" in out
        assert "<script>" not in out and "&lt;script&gt;" in out

    def test_sections_only_when_there_is_something_to_say(self) -> None:
        bare = dataclasses.replace(REPORT, clusters=(), policy=None, errors={}, outputs={})
        out = render("audit", "markdown", bare)
        assert "## Policy" not in out and "## Row errors" not in out and "## Outputs" not in out
        assert "## Largest duplicate clusters" not in out and "## Findings" in out


class _Page(HTMLParser):
    """Checks that every element is closed in order, and collects the SVG charts."""

    VOID = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.charts: dict[str, dict[str, list[str]]] = {}
        self.problems: list[str] = []
        self._text_into: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "svg":
            self.charts[str(a["aria-labelledby"])] = {"bars": [], "texts": [], "ids": [], "title": [], "desc": []}
        chart = self._chart()
        if chart is not None and tag in ("title", "desc") and a.get("id"):
            chart["ids"].append(str(a["id"]))
            self._text_into = chart[tag]
        elif chart is not None and tag == "text":
            self._text_into = chart["texts"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        chart = self._chart()
        if tag == "rect" and chart is not None and "bar" in str(dict(attrs).get("class", "")).split():
            chart["bars"].append(str(dict(attrs)["width"]))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()
        self._text_into = None

    def handle_data(self, data: str) -> None:
        if self._text_into is not None:
            self._text_into.append(data)

    def _chart(self) -> dict[str, list[str]] | None:
        return next(reversed(self.charts.values())) if "svg" in self.stack else None


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.problems == [] and parser.stack == []
    return parser


def _chart(page: _Page, name: str) -> dict[str, list[str]]:
    return page.charts[f"{name}-title {name}-desc"]


@pytest.fixture(scope="module")
def page() -> _Page:
    return _parse(render("audit", "html", REPORT))


class TestAuditHtml:
    def test_self_contained(self) -> None:
        out = render("audit", "html", REPORT)
        assert out.startswith("<!DOCTYPE html>") and "<style>" in out
        assert not re.search(r"<script|<link|src=|https?://(?!www\.w3\.org/2000/svg)", out)

    def test_escapes_values(self, page: _Page) -> None:
        out = render("audit", "html", REPORT)
        assert "script" not in page.tags and EVIL not in out
        assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # id, declared, reason, license chart

    @pytest.mark.parametrize(("chart", "labels"), [
        ("licenses", ["MIT", EVIL, "CC-BY-NC-4.0", "GPL-3.0-only", "none"]),  # by count, then name
        ("categories", ["Permissive", "Copyleft", MARKUP]),
        ("obligations", ["attribution", "share-alike", "non-commercial", "no-derivatives", "source-disclosure"]),
        ("duplicates", ["exact duplicates", "near duplicates", "unique"]),
        ("policy", ["kept", "dropped", "dropped: denied", "dropped: duplicate", "dropped: error",
                    "dropped: opted_out"]),
        ("errors", ["bad_json"]),
    ], ids=lambda v: v if isinstance(v, str) else str(len(v)))
    def test_one_labelled_bar_per_item(self, page: _Page, chart: str, labels: list[str]) -> None:
        svg = _chart(page, chart)
        assert len(svg["bars"]) == len(labels)
        assert svg["texts"][0::2] == labels  # label, then value, per bar
        assert svg["ids"] == [f"{chart}-title", f"{chart}-desc"] and svg["title"] and svg["desc"]

    def test_numbers_are_text(self, page: _Page) -> None:
        licenses = _chart(page, "licenses")
        assert licenses["texts"][1] == "3 (42.9%)"
        assert "MIT: 3 rows (42.9%)" in licenses["desc"][0]
        assert _chart(page, "duplicates")["texts"][5] == "5 (71.4%)"  # 7 rows - 1 exact - 1 near
        bars = [float(w) for w in licenses["bars"]]
        assert bars[0] == max(bars) and bars[1] == pytest.approx(bars[0] / 3)

    def test_top_15_then_other(self) -> None:
        svg = _chart(_parse(render("audit", "html", _many_licenses(20))), "licenses")
        assert len(svg["bars"]) == 16
        assert svg["texts"][-2:] == ["other (5 expressions)", "15 (7.1%)"]  # 15 of 210 rows

    def test_problem_rows(self) -> None:
        out = render("audit", "html", REPORT)
        table = out[out.index("<h2>Rows with problems</h2>"):]
        ids = re.findall(r"<tr><td>(\d+)</td>", table)
        assert ids == [str(r) for r in PROBLEM_ROWS]
        for text in ("non-commercial use only", "declared CC-BY-NC-4.0, detected MIT", "reproduces poems/ode.txt",
                     "opt-out: robots: GPTBot disallowed", "bad_json: line 6"):
            assert text in table

    def test_problem_rows_are_capped(self) -> None:
        out = render("audit", "html", dataclasses.replace(REPORT, rows_truncated=100), max_rows=2)
        _parse(out)
        table = out[out.index("<h2>Rows with problems</h2>"):]
        assert re.findall(r"<tr><td>(\d+)</td>", table) == ["1", "2"]
        assert "4 more rows with problems are not shown." in table and "100 more" in table

    def test_no_policy_no_policy_chart(self) -> None:
        page = _parse(render("audit", "html", dataclasses.replace(REPORT, policy=None, errors={})))
        assert "policy-title policy-desc" not in page.charts and "errors-title errors-desc" not in page.charts
        assert "licenses-title licenses-desc" in page.charts
