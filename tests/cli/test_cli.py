"""Every command through click's CliRunner: exit codes, stderr, JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from creditline.cli.main import cli


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "LICENSE").write_text("SPDX-License-Identifier: MIT\n\nCopyright (c) 2020 Ada Lovelace\n")
    (tmp_path / "main.py").write_text("# SPDX-License-Identifier: MIT\nprint(1)\n")
    (tmp_path / "data.bin").write_bytes(b"\x00" * 64)
    return tmp_path


def test_scan_json_shape(runner: CliRunner, tree: Path) -> None:
    result = runner.invoke(cli, ["scan", "--format", "json", str(tree)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["schema_version"] == "1.0"
    assert {f["path"] for f in doc["files"]} == {"LICENSE", "main.py"}
    lic = next(f for f in doc["files"] if f["path"] == "LICENSE")
    assert lic["license"] == "MIT"
    assert set(lic["detections"][0]) >= {"expression", "start_line", "end_line", "kind", "rule", "score", "coverage"}
    assert lic["copyrights"][0]["holders"] == ["Ada Lovelace"]
    assert doc["summary"][0]["declared_license"] == "MIT"
    assert doc["skipped"] == [{"path": "data.bin", "code": "binary", "detail": doc["skipped"][0]["detail"],
                               "root": str(tree)}]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_scan_other_formats(runner: CliRunner, tree: Path, fmt: str) -> None:
    result = runner.invoke(cli, ["scan", "--format", fmt, str(tree)])
    assert result.exit_code == 0
    assert "MIT" in result.output and "Ada Lovelace" in result.output


def test_scan_summary_only_and_output_file(runner: CliRunner, tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(cli, ["scan", "--summary-only", "--format", "json", "-o", str(out), str(tree)])
    assert result.exit_code == 0 and result.output == ""
    doc = json.loads(out.read_text())
    assert "files" not in doc and doc["summary"][0]["clarity"]["files"] == 2


def test_scan_missing_path_exits_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["scan", str(tmp_path / "missing")])
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: ") and "missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["scan"]).exit_code == 2
    assert runner.invoke(cli, ["scan", "--jobs", "0", "."]).exit_code == 2


def test_explain(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain", "--format", "json", "CC-BY-NC-SA-4.0", "--title", "Sunset",
                                 "--author", "Jane Doe", "--source", "https://example.org/sunset"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    (o,) = doc["obligations"]
    assert o["non_commercial"] and o["attribution"] and o["share_alike"] == "strong"
    assert doc["credit_line"] == ('"Sunset" by Jane Doe (https://example.org/sunset), licensed under CC BY-NC-SA 4.0 '
                                  "(https://creativecommons.org/licenses/by-nc-sa/4.0/).")


def test_explain_bad_expression_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain", "MIT AND ("])
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")


def test_version_credits_the_license_database(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert "licensedcode-data" in result.output and "CC-BY-4.0" in result.output


def test_debug_shows_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["--debug", "scan", str(tmp_path / "missing")])
    assert result.exit_code != 0 and result.exception is not None
