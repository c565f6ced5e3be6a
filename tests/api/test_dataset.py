"""End to end: a realistic dataset -> audit, filter (kept rows + exclusions), NOTICE.md, SPDX and
CycloneDX exports validated by their libraries; malformed rows reported, never dropped."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from creditline import dataset_api
from creditline.cli.main import cli
from creditline.config import load_policy

MIT_PY = '''# SPDX-License-Identifier: MIT
# Copyright (c) 2021 Ada Lovelace
"""Small helpers for parsing configuration values."""


def parse_bool(value):
    """Read a yes/no flag the way people write it."""
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def parse_list(value, sep=","):
    return [part.strip() for part in str(value).split(sep) if part.strip()]
'''
APACHE_JS = '''// Copyright 2019 Grace Hopper
// SPDX-License-Identifier: Apache-2.0
export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
'''
GPL_C = '''/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2018 Richard Roe */
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
'''
NC_PROSE = ('Night Harbour, a song by Mira Okafor. Copyright (c) 2022 Mira Okafor. This work is licensed '
            'under a Creative Commons Attribution-NonCommercial 4.0 International License. The tide comes '
            'in over the stones, the lamps go out one by one along the quay.')
SA_PROSE = ('Notes on the river valley by Tom Field, licensed under CC BY-SA 4.0 '
            '(SPDX-License-Identifier: CC-BY-SA-4.0). The valley floods every spring and the farmers '
            'move their flocks to the higher meadows before the water comes.')
PLAIN = 'A short list of things to pack for a weekend of walking in the hills: map, water, bread.'
NEAR = MIT_PY.replace('sep=","', 'sep=";"')
MISLABELLED = '''# SPDX-License-Identifier: GPL-2.0-only
# Copyright (c) 2015 Jane Doe
def add(a, b):
    return a + b
'''

# (hexsha, content, declared licenses, repo, path)
ROWS = [
    ("r0", MIT_PY, ["MIT"], "ada/config-tools", "src/config.py"),
    ("r1", APACHE_JS, ["Apache-2.0"], "grace/mathjs", "lib/clamp.js"),
    ("r2", GPL_C, ["GPL-3.0-or-later"], "roe/hello", "hello.c"),
    ("r3", NC_PROSE, [], "mira/songs", "night-harbour.txt"),
    ("r4", SA_PROSE, [], "tom/notes", "river.md"),
    ("r5", PLAIN, [], "sam/lists", "pack.txt"),
    ("r6", MIT_PY, ["MIT"], "fork/config-tools", "src/config.py"),  # exact duplicate of r0
    ("r7", NEAR, ["MIT"], "other/config", "config.py"),  # near duplicate of r0
    ("r8", MISLABELLED, ["MIT"], "jane/adder", "add.py"),  # declared MIT, the text says GPL-2.0-only
]
# What the commercial policy must do with each row, checked by hand.
KEPT_COMMERCIAL = {"r0", "r1", "r6", "r7"}


def _stack_parquet(path: Path, rows=ROWS) -> Path:
    table = pa.table({
        "hexsha": [r[0] for r in rows],
        "content": [r[1] for r in rows],
        "max_stars_repo_licenses": [r[2] for r in rows],
        "max_stars_repo_name": [r[3] for r in rows],
        "max_stars_repo_path": [r[4] for r in rows],
        "size": [len(r[1]) for r in rows],
    })
    pq.write_table(table, path, row_group_size=4)
    return path


@pytest.fixture()
def stack(tmp_path: Path) -> Path:
    return _stack_parquet(tmp_path / "stack.parquet")


def test_audit_reports_licenses_duplicates_and_disagreements(stack: Path) -> None:
    report = dataset_api.audit(str(stack))
    assert report.layout == "the-stack" and report.rows_total == len(ROWS) and report.rows_error == 0
    rows = {r.id: r for r in report.rows}
    assert rows["r0"].license == "MIT" and rows["r0"].holders == ("Ada Lovelace",)
    assert rows["r0"].source_url == "https://github.com/ada/config-tools/blob/HEAD/src/config.py"
    assert rows["r3"].declared_license is None and rows["r3"].license == "CC-BY-NC-4.0"
    assert "non-commercial" in rows["r3"].obligations
    assert rows["r4"].license == "CC-BY-SA-4.0" and "share-alike" in rows["r4"].obligations
    assert rows["r5"].license is None and report.no_license == 1
    assert (rows["r6"].duplicate_of, rows["r6"].duplicate_kind) == (0, "exact")
    assert (rows["r7"].duplicate_of, rows["r7"].duplicate_kind) == (0, "near")
    assert rows["r8"].license == "MIT" and rows["r8"].detected_license == "GPL-2.0-only"
    assert rows["r8"].license_agrees is False and report.disagreements == 1
    assert report.licenses["MIT"] == 4 and report.exact_duplicates == 1 and report.near_duplicates == 1
    assert report.clusters[0].representative == 0 and set(report.clusters[0].members) == {0, 6, 7}


def test_filter_keeps_what_the_policy_allows_and_lists_the_rest(stack: Path, tmp_path: Path) -> None:
    out = tmp_path / "kept.parquet"
    report = dataset_api.filter_dataset(str(stack), str(out), policy=load_policy("commercial"))
    kept = pq.read_table(out)
    assert set(kept.column("hexsha").to_pylist()) == KEPT_COMMERCIAL
    assert kept.schema == pq.read_table(stack).schema
    excluded = [json.loads(line) for line in Path(f"{out}.exclusions.jsonl").read_text().splitlines()]
    assert {e["id"] for e in excluded} == {r[0] for r in ROWS} - KEPT_COMMERCIAL
    reasons = {e["id"]: " ".join(e["reasons"]) for e in excluded}
    assert "non-commercial" in reasons["r3"] and "strong copyleft" in reasons["r2"]
    assert "GPL-2.0-only" in reasons["r8"]  # the text's license binds even though the column says MIT
    assert "unknown" in reasons["r5"]
    assert report.kept + report.dropped == len(ROWS) == kept.num_rows + len(excluded)


def test_research_policy_keeps_nc_and_drop_duplicates(stack: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('name = "dedup research"\nintended_use = "research"\nallow_unknown = true\n'
                      'drop_duplicates = true\n')
    out = tmp_path / "kept.parquet"
    report = dataset_api.filter_dataset(str(stack), str(out), policy=load_policy(str(policy)))
    kept = set(pq.read_table(out).column("hexsha").to_pylist())
    assert kept == {r[0] for r in ROWS} - {"r6", "r7"}
    assert report.drop_reasons == {"duplicate": 2}


def test_notice_and_exports_validate(stack: Path, tmp_path: Path) -> None:
    made = dataset_api.notice(str(stack), policy=load_policy("commercial"), created="2026-11-25T00:00:00Z")
    assert {w.path for w in made.works} == KEPT_COMMERCIAL
    runner = CliRunner()
    result = runner.invoke(cli, ["notice", str(stack), "--policy", "commercial", "-o", str(tmp_path / "NOTICE.md"),
                                 "--spdx", str(tmp_path / "d.spdx.json"), "--cyclonedx", str(tmp_path / "d.cdx.json"),
                                 "--card", str(tmp_path / "card.md")])
    assert result.exit_code == 0, result.output
    notice = (tmp_path / "NOTICE.md").read_text()
    assert "Copyright (c) 2021 Ada Lovelace" in notice and "Copyright 2019 Grace Hopper" in notice
    assert notice.count("Permission is hereby granted, free of charge") == 1  # the MIT text, once
    assert "Apache License" in notice and "Mira Okafor" not in notice  # the NC row was not kept

    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = parse_file(str(tmp_path / "d.spdx.json"))
    assert validate_full_spdx_document(document) == []
    assert len(document.files) == len(KEPT_COMMERCIAL)

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = (tmp_path / "d.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert len(json.loads(text)["components"]) == len(KEPT_COMMERCIAL)
    card = (tmp_path / "card.md").read_text()
    assert str(len(ROWS)) in card and "github.com" in card


def test_malformed_rows_are_reported_never_dropped(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "ok", "text": MIT_PY, "license": "MIT"})
    data.write_bytes(b"\n".join([
        good.encode(),
        b'{"id": "broken", "text": ',  # invalid JSON
        json.dumps({"id": "number", "text": 42}).encode(),  # wrong type
        json.dumps({"id": "null", "text": None}).encode(),  # missing text
        b'{"id": "latin1", "text": "caf\xe9"}',  # not UTF-8
        json.dumps({"id": "ok2", "text": APACHE_JS}).encode(),
    ]) + b"\n")
    out = tmp_path / "kept.jsonl"
    report = dataset_api.filter_dataset(str(data), str(out), policy=load_policy("open-weights"))
    assert report.rows_total == 6 and report.rows_error == 4
    kept = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    excluded = [json.loads(line) for line in Path(f"{out}.exclusions.jsonl").read_text().splitlines()]
    assert kept == ["ok", "ok2"] and len(excluded) == 4
    assert all(e["reasons"][0].startswith("unreadable row:") for e in excluded)
    assert set(report.errors) == {"bad_json", "bad_type", "missing_text", "undecodable"}


def test_truncated_parquet_is_an_error_row_not_a_crash(stack: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(stack.read_bytes()[: stack.stat().st_size // 2])
    report = dataset_api.audit(str(cut))
    assert report.rows_read == 0 and report.rows_error >= 1
    assert "corrupt_data" in report.errors


def test_cli_audit_json_html_and_rows(stack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", str(stack), "--format", "json", "--policy", "commercial",
                                 "--html", str(tmp_path / "r.html"), "--rows", str(tmp_path / "rows.parquet")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows_total"] == len(ROWS) and data["kept"] == len(KEPT_COMMERCIAL)
    assert pq.read_table(tmp_path / "rows.parquet").num_rows == len(ROWS)
    assert "<svg" in (tmp_path / "r.html").read_text()
    missing = runner.invoke(cli, ["audit", str(stack), "--text-column", "nope"])
    assert missing.exit_code == 2 and "nope" in missing.output


class _Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"User-agent: GPTBot\nDisallow: /private/\n" if self.path == "/robots.txt" else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_optouts_of_rows_with_urls_are_honoured(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        data = tmp_path / "web.jsonl"
        data.write_text("\n".join(json.dumps({"id": i, "text": MIT_PY, "license": "MIT", "url": f"{base}{p}"})
                                  for i, p in (("open", "/blog/a"), ("closed", "/private/b"))) + "\n")
        out = tmp_path / "kept.jsonl"
        options = dataset_api.OptOutOptions(network=True, cache_dir=str(tmp_path / "cache"))
        report = dataset_api.filter_dataset(str(data), str(out), policy=load_policy("open-weights"),
                                            optouts=options)
        assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["open"]
        assert report.opted_out == 1 and report.drop_reasons == {"opt-out": 1}
    finally:
        server.shutdown()
        server.server_close()


def test_two_workers_give_the_same_report(stack: Path) -> None:
    one, two = (dataset_api.audit(str(stack), policy=load_policy("commercial"), jobs=jobs).to_dict()
                for jobs in (1, 2))
    one.pop("seconds"), two.pop("seconds")
    assert one == two


def test_cli_filter_writes_both_files_and_refuses_to_overwrite_the_input(stack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "kept.parquet"
    result = runner.invoke(cli, ["filter", str(stack), "--policy", "commercial", "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outputs"] == {"kept": str(out), "exclusions": f"{out}.exclusions.jsonl"}
    assert pq.read_table(out).num_rows == len(KEPT_COMMERCIAL)
    same = runner.invoke(cli, ["filter", str(stack), "--policy", "commercial", "-o", str(stack)])
    assert same.exit_code == 2 and "overwrite" in same.output
    bad = runner.invoke(cli, ["filter", str(stack), "--policy", "no-such-policy", "-o", str(out)])
    assert bad.exit_code == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_exact_repeats_take_their_first_rows_facts_without_a_second_scan(tmp_path: Path, jobs: int,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A row repeating an earlier row's text (here far apart, in other batches, and one declaring
    another license) is reported as if scanned, but its text is scanned once."""
    monkeypatch.setattr(dataset_api, "BATCH_ROWS", 3)
    repeats = [("x0", GPL_C, ["GPL-3.0-or-later"], "roe/hello", "copy.c"),
               ("x1", MIT_PY, ["Apache-2.0"], "fork/other", "config.py"),  # declared differs from r0's
               ("x2", GPL_C, [], "roe/hello", "again.c")]
    path = _stack_parquet(tmp_path / "rep.parquet", ROWS + repeats)
    scanned: list[str] = []
    scan = dataset_api._rows_facts

    def counting(docs):  # type: ignore[no-untyped-def]
        scanned.extend(d.text for d in docs)
        return scan(docs)

    if jobs == 1:  # a worker process could not report back what it scanned
        monkeypatch.setattr(dataset_api, "_rows_facts", counting)
    report = dataset_api.audit(str(path), jobs=jobs, max_rows=100)
    if jobs == 1:
        assert sorted(scanned) == sorted(r[1] for r in ROWS[:6] + ROWS[7:])  # r6 repeats r0 too
    rows = {r.id: r for r in report.rows}
    assert report.rows_total == len(ROWS) + 3 and report.exact_duplicates == 4
    for rid, first in (("x0", "r2"), ("x2", "r2"), ("x1", "r0")):
        r, f = rows[rid], rows[first]
        assert (r.duplicate_of, r.duplicate_kind) == (f.row, "exact")
        assert (r.detected_license, r.copyrights, r.holders, r.evidence) == (
            f.detected_license, f.copyrights, f.holders, f.evidence)
    assert rows["x1"].declared_license == "Apache-2.0" and rows["x1"].license_agrees is False
    assert rows["x2"].declared_license is None and rows["x2"].license == "GPL-3.0-or-later"
