"""`creditline trace --policy`, `--format sarif|html` and `creditline policy check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from creditline import catalog_api, trace_api
from creditline.cli.main import cli
from creditline.config import load_policy
from samples import INTERVALS_CODE

CODE = INTERVALS_CODE
POEM = "\n".join(f"the {w} sings over quiet water and amber light number {i}" for i, w in enumerate(
    "lark wren finch robin heron swallow kestrel plover curlew sparrow".split()))


@pytest.fixture()
def catalog(tmp_path: Path) -> str:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "intervals.py").write_text("# SPDX-License-Identifier: AGPL-3.0-only\n" + CODE)
    (corpus / "poem.txt").write_text("SPDX-License-Identifier: MIT\n" + POEM)
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    return cat


@pytest.fixture()
def copied(tmp_path: Path) -> Path:
    out = tmp_path / "gen.py"
    out.write_text("# <script>alert(1)</script>\n" + CODE)
    return out


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_api_trace_with_policy_lists_violations(catalog: str, copied: Path) -> None:
    report = trace_api.trace([str(copied)], catalog=catalog, policy=load_policy("commercial"))
    (result,) = report.inputs
    assert report.violated and report.policy == "commercial closed-source product"
    (v,) = result.violations
    assert v.source == "intervals.py" and v.license == "AGPL-3.0-only"
    assert "AGPL-3.0-only: license is denied" in v.reasons
    assert "AGPL-3.0-only: category network copyleft is denied" in v.reasons
    assert result.matches[0].decision is not None and not result.matches[0].decision.allowed
    assert not trace_api.trace([str(copied)], catalog=catalog).violated  # no policy, no verdict


def test_trace_policy_commercial_exits_1_on_agpl(catalog: str, copied: Path) -> None:
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "commercial", "--format", "json", str(copied))
    assert code == 1, out
    doc = json.loads(out)
    (v,) = doc["inputs"][0]["violations"]
    assert v["source"] == "intervals.py" and v["license"] == "AGPL-3.0-only"
    assert doc["policy"] == "commercial closed-source product"
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "commercial", "--format", "table", str(copied))
    assert code == 1 and "VIOLATION: AGPL-3.0-only: license is denied" in out
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "research", "--format", "json", str(copied))
    assert code == 0, out  # research allows AGPL


def test_trace_policy_exits_0_without_matches_or_violations(catalog: str, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.txt"
    fresh.write_text("Nothing here comes from the catalog: databases, query planners and indexes. " * 4)
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "commercial", "--format", "json", str(fresh))
    assert code == 0, out
    assert json.loads(out)["inputs"][0]["violations"] == []
    poem = tmp_path / "poem.txt"
    poem.write_text(POEM)
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "commercial", "--format", "table", str(poem))
    assert code == 0, out
    assert "note: MIT: credit required" in out and "VIOLATION" not in out


def test_trace_bad_policy_exits_2(catalog: str, copied: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('deny_categories = ["copyleft"]\n')
    code, out = _invoke("trace", "--catalog", catalog, "--policy", str(bad), str(copied))
    assert code == 2 and "unknown category 'copyleft'" in out


def test_policy_check_exit_codes(tmp_path: Path) -> None:
    code, out = _invoke("policy", "check", "commercial")
    assert code == 0 and "valid" in out and "commercial closed-source product" in out
    good = tmp_path / "ok.toml"
    good.write_text('name = "ok"\nintended_use = "research"\nallow_unknown = true\n')
    assert _invoke("policy", "check", str(good))[0] == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('intended_use = "profit"\ndeny_licenses = ["NOPE"]\nextra = 1\n')
    code, out = _invoke("policy", "check", str(bad))
    assert code == 2
    assert "3 problems" in out and "'profit'" in out and "'NOPE'" in out and "'extra'" in out
    assert _invoke("policy", "check", str(tmp_path / "missing.toml"))[0] == 2


def test_sarif_structure(catalog: str, copied: Path) -> None:
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "commercial", "--format", "sarif", str(copied))
    assert code == 1
    doc = json.loads(out)
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"]
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "creditline" and run["tool"]["driver"]["version"]
    assert run["tool"]["driver"]["rules"][0]["id"] == "copied-licensed-work"
    result = run["results"][0]
    assert result["ruleId"] == "copied-licensed-work" and result["level"] == "error"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == str(copied)
    region = loc["region"]
    text = copied.read_text()
    assert 1 <= region["startLine"] <= region["endLine"] <= len(text.splitlines())
    assert 0 <= region["charOffset"] and region["charOffset"] + region["charLength"] <= len(text)
    assert "intervals.py" in result["message"]["text"] and "AGPL-3.0-only" in result["message"]["text"]
    assert "Credit:" in result["message"]["text"]
    code, out = _invoke("trace", "--catalog", catalog, "--format", "sarif", str(copied))
    assert code == 0 and {r["level"] for r in json.loads(out)["runs"][0]["results"]} == {"warning"}


def test_html_is_self_contained_and_escaped(catalog: str, copied: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    code, out = _invoke("trace", "--catalog", catalog, "--policy", "commercial", "--format", "html",
                        "-o", str(page_path), str(copied))
    assert code == 1, out
    page = page_path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark" in page and 'title="match 1: intervals.py' in page
    assert "AGPL-3.0-only" in page and "Policy violation" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "<link" not in page and "src=" not in page


def test_html_shows_the_copied_source_text_beside_the_input(catalog: str, tmp_path: Path) -> None:
    out = tmp_path / "answer.md"
    out.write_text("Here is a poem I wrote:\n\n" + "\n".join(POEM.splitlines()[2:8]) + "\n")
    page_path = tmp_path / "report.html"
    code, _ = _invoke("trace", "--catalog", catalog, "--format", "html", "-o", str(page_path), str(out))
    assert code == 0
    page = page_path.read_text()
    shown = page.split('<pre class="source">', 1)[1].split("</pre>", 1)[0]
    assert shown == "\n".join(POEM.splitlines()[2:8])  # the source's own characters, the copied part exactly
    code, doc = _invoke("trace", "--catalog", catalog, "--format", "json", str(out))
    assert code == 0 and "source_text" not in doc  # JSON stays as documented
