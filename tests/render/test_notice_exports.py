"""Attribution exports of a NoticeInput: NOTICE.md, SPDX 2.3, CycloneDX 1.6, provenance card."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from creditline.api import explain
from creditline.errors import InputError
from creditline.kb.licensetexts import license_texts
from creditline.model import NoticeInput, Work
from creditline.render import formats, render
from creditline.render._attribution import all_ids

CREATED = "2026-01-31T12:00:00Z"
CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
PROPRIETARY = "LicenseRef-scancode-proprietary-license"
DUAL = "(MIT OR Apache-2.0) AND BSD-3-Clause"
GPL_CP = "GPL-2.0-or-later WITH Classpath-exception-2.0"


def _work(path: str, license: str | None, **kw: object) -> Work:
    return Work(path=path, sha1=hashlib.sha1(path.encode()).hexdigest(), size=100, license=license, **kw)  # type: ignore[arg-type]


WORKS = (
    _work("src/b.py", "MIT", kind="code", language="python",
          copyrights=("Copyright (c) 2020 Jane Doe <jane@example.org>",
                      "Copyright (c)  2020 Jane Doe  <jane@example.org>"),  # the same, spaced out
          holders=("Jane Doe",), source_url="https://github.com/jane/proj/blob/main/src/b.py"),
    _work("src/a_util.py", "MIT", kind="code", copyrights=("Copyright 2019 Ada *Lovelace*",)),
    _work("docs/essay.md", "CC-BY-SA-4.0", title="An essay", author="Zoë Ünïcode",
          copyrights=("© 2021 Zoë Ünïcode — tous droits réservés",), source_url="https://example.org/essay"),
    _work("lib/list.c", "GPL-2.0-or-later", kind="code", language="c",
          copyrights=("Copyright (C) 1991 Free Software Foundation, Inc.",),
          declared_license="GPL-2.0-only", license_agrees=False),
    _work("vendor/blob.txt", PROPRIETARY, source_url="https://huggingface.co/datasets/acme/corpus/raw/x.txt"),
    _work("notes/unknown.txt", None),
    _work("web/dual.js", DUAL, kind="code", author="Bob Builder"),
    _work("lib/rt.java", GPL_CP, kind="code"),
    _work("misc/own.txt", "my-own-license"),
)
# by count (MIT has two), then by expression; works without a license last
GROUP_ORDER = ["MIT", DUAL, "CC-BY-SA-4.0", "GPL-2.0-or-later", GPL_CP, PROPRIETARY, "my-own-license",
               "No license detected"]


@pytest.fixture(scope="module")
def notice(license_index: object) -> NoticeInput:
    expressions = {w.license for w in WORKS if w.license and w.license != "my-own-license"}
    return NoticeInput(
        name="demo corpus", works=WORKS, created=CREATED, kind="dataset",
        rows_total=12, rows_kept=9, dropped={"policy": 2, "opt-out": 1}, optouts_honoured=1,
        policy="permissive-only", duplicates_removed=0,
        obligations={e: explain(e) for e in expressions},
        licenses=license_texts(all_ids(WORKS)),
        notes=("creditline filter data.jsonl --policy permissive-only",),
    )


@pytest.fixture(scope="module")
def notice_md(notice: NoticeInput) -> str:
    return render("notice", "markdown", notice)


@pytest.fixture(scope="module")
def spdx_text(notice: NoticeInput) -> str:
    return render("notice", "spdx", notice)


@pytest.fixture(scope="module")
def cdx_text(notice: NoticeInput) -> str:
    return render("notice", "cyclonedx", notice)


@pytest.fixture(scope="module")
def card_text(notice: NoticeInput) -> str:
    return render("notice", "card", notice)


def test_notice_formats_are_registered() -> None:
    assert set(formats("notice")) == {"markdown", "spdx", "cyclonedx", "card"}


# --- NOTICE.md --------------------------------------------------------------------------------


class TestNoticeMarkdown:
    def test_groups_by_count_then_expression_no_license_last(self, notice_md: str) -> None:
        body = notice_md.split("## License texts")[0]
        headings = re.findall(r"^## (.+) \(\d+ works?\)$", body, flags=re.M)
        assert [h.replace("\\", "") for h in headings] == GROUP_ORDER
        assert "## MIT (2 works)" in body

    def test_works_sorted_by_path_within_a_group(self, notice_md: str) -> None:
        mit = notice_md.split("## MIT (2 works)")[1].split("\n## ")[0]
        assert mit.index("### src/a\\_util.py") < mit.index("### src/b.py")

    def test_each_credit_line_once(self, notice_md: str) -> None:
        lines = {
            "docs/essay.md": f'["An essay"](https://example.org/essay) by Zoë Ünïcode, licensed under '
                             f"[CC BY-SA 4.0]({CC_BY_SA}).",
            "src/b.py": '["src/b.py"](https://github.com/jane/proj/blob/main/src/b.py) by Jane Doe, licensed under '
                        "[MIT](https://spdx.org/licenses/MIT.html).",
            "web/dual.js": f'"web/dual.js" by Bob Builder, licensed under {DUAL}.',
            "notes/unknown.txt": '"notes/unknown.txt".',
        }
        for path, line in lines.items():
            assert notice_md.count(line) == 1, path
        for work in WORKS:  # one heading per work: its path, or its title with the path beside it
            path = re.escape(work.path.replace("_", chr(92) + "_"))
            heading = rf"^### (.+ \({path}\)|{path})$"
            assert len(re.findall(heading, notice_md, re.M)) == 1, work.path
        assert "### An essay (docs/essay.md)" in notice_md

    def test_copyright_statements_verbatim_once(self, notice_md: str) -> None:
        assert notice_md.count("Copyright (c) 2020 Jane Doe <jane@example.org>") == 1
        assert "Copyright (c)  2020" not in notice_md
        assert notice_md.count("© 2021 Zoë Ünïcode — tous droits réservés") == 1
        assert "Copyright 2019 Ada *Lovelace*" in notice_md  # in a code block: no Markdown escaping

    def test_each_license_text_once(self, notice_md: str, notice: NoticeInput) -> None:
        appendix = notice_md.split("## License texts")[1]
        ids = ["Apache-2.0", "BSD-3-Clause", "CC-BY-SA-4.0", "Classpath-exception-2.0", "GPL-2.0-or-later",
               "MIT", PROPRIETARY]
        for spdx_id in ids:
            body = notice.licenses[spdx_id].text.strip()
            assert len(body) > 100, spdx_id
            assert notice_md.count(body) == 1, spdx_id
            assert len(re.findall(rf"^### {re.escape(spdx_id)}(: .+)?$", appendix, re.M)) == 1, spdx_id
        headings = re.findall(r"^### (\S+)", appendix, re.M)
        assert len(headings) == len(ids) + 1  # and my-own-license

    def test_missing_text_is_said(self, notice_md: str) -> None:
        section = notice_md.split("### my-own-license")[-1]
        assert "text of my-own-license is not available" in section


# --- SPDX 2.3 ---------------------------------------------------------------------------------


def _parse_spdx(notice_md: str):  # type: ignore[no-untyped-def]
    from spdx_tools.spdx.parser.json.json_parser import JsonLikeDictParser

    return JsonLikeDictParser().parse(json.loads(notice_md))


class TestSpdx:
    def test_parses_back_and_validates(self, spdx_text: str) -> None:
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

        doc = _parse_spdx(spdx_text)
        assert [m.validation_message for m in validate_full_spdx_document(doc, "SPDX-2.3")] == []
        assert doc.creation_info.spdx_version == "SPDX-2.3"
        assert [c.name for c in doc.creation_info.creators] == ["creditline-0.1.0"]
        assert doc.creation_info.created.isoformat() == "2026-01-31T12:00:00"

    def test_one_file_per_work_with_its_license(self, spdx_text: str) -> None:
        doc = _parse_spdx(spdx_text)
        files = {f.name: f for f in doc.files}
        assert set(files) == {f"./{w.path}" for w in WORKS}
        concluded = {name: str(f.license_concluded) for name, f in files.items()}
        assert concluded == {
            "./src/b.py": "MIT", "./src/a_util.py": "MIT", "./docs/essay.md": "CC-BY-SA-4.0",
            "./lib/list.c": "GPL-2.0-or-later", "./vendor/blob.txt": PROPRIETARY,
            "./notes/unknown.txt": "NOASSERTION", "./web/dual.js": DUAL, "./lib/rt.java": GPL_CP,
            "./misc/own.txt": "LicenseRef-creditline-my-own-license",
        }
        assert sorted(map(str, files["./web/dual.js"].license_info_in_file)) == ["Apache-2.0", "BSD-3-Clause", "MIT"]
        for work in WORKS:
            (checksum,) = files[f"./{work.path}"].checksums
            assert (checksum.algorithm.name, checksum.value) == ("SHA1", work.sha1)

    def test_copyrights_credit_and_declared_license(self, spdx_text: str) -> None:
        files = {f.name: f for f in _parse_spdx(spdx_text).files}
        assert files["./docs/essay.md"].copyright_text == "© 2021 Zoë Ünïcode — tous droits réservés"
        assert files["./src/b.py"].copyright_text == "Copyright (c) 2020 Jane Doe <jane@example.org>"
        assert str(files["./notes/unknown.txt"].copyright_text) == "NOASSERTION"
        assert files["./docs/essay.md"].attribution_texts == [
            f'"An essay" by Zoë Ünïcode (https://example.org/essay), licensed under CC BY-SA 4.0 ({CC_BY_SA}).']
        assert "GPL-2.0-only" in files["./lib/list.c"].license_comment
        assert "differs" in files["./lib/list.c"].license_comment

    def test_extracted_licenses_carry_their_text(self, spdx_text: str, notice: NoticeInput) -> None:
        infos = {e.license_id: e for e in _parse_spdx(spdx_text).extracted_licensing_info}
        assert set(infos) == {PROPRIETARY, "LicenseRef-creditline-my-own-license"}
        assert infos[PROPRIETARY].extracted_text == notice.licenses[PROPRIETARY].text.strip()
        assert infos[PROPRIETARY].license_name == "Proprietary License"
        assert "not available" in infos["LicenseRef-creditline-my-own-license"].extracted_text

    def test_package_contains_every_file(self, spdx_text: str) -> None:
        doc = _parse_spdx(spdx_text)
        (package,) = doc.packages
        contains = {r.related_spdx_element_id for r in doc.relationships if r.relationship_type.name == "CONTAINS"}
        assert contains == {f.spdx_id for f in doc.files}
        assert all(r.spdx_element_id == package.spdx_id for r in doc.relationships
                   if r.relationship_type.name == "CONTAINS")
        sums = "".join(sorted(w.sha1 for w in WORKS))
        assert package.verification_code.value == hashlib.sha1(sums.encode()).hexdigest()

    def test_stable_ids_and_output(self, spdx_text: str, notice: NoticeInput) -> None:
        assert render("notice", "spdx", notice) == spdx_text
        ids = [f.spdx_id for f in _parse_spdx(spdx_text).files]
        assert len(set(ids)) == len(WORKS)
        moved = replace(notice, works=(replace(WORKS[0], path="elsewhere.py"), *WORKS[1:]))
        assert {f.spdx_id for f in _parse_spdx(render("notice", "spdx", moved)).files} != set(ids)

    def test_exceptions_after_with(self) -> None:
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

        known = "LicenseRef-scancode-agpl-generic-additional-terms"  # a ScanCode exception
        works = (_work("x.c", f"GPL-3.0-only WITH {known}"), _work("y.c", "MIT WITH LicenseRef-acme-extra"))
        doc = _parse_spdx(render("notice", "spdx", NoticeInput("x", works, created=CREATED)))
        assert validate_full_spdx_document(doc, "SPDX-2.3") == []
        concluded = {f.name: str(f.license_concluded) for f in doc.files}
        assert concluded == {"./x.c": f"GPL-3.0-only WITH {known}", "./y.c": "MIT AND LicenseRef-acme-extra"}
        assert {e.license_id for e in doc.extracted_licensing_info} == {known, "LicenseRef-acme-extra"}

    def test_expression_that_does_not_parse_is_noassertion(self) -> None:
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

        work = _work("odd.txt", "MIT OR", declared_license="MIT")
        doc = _parse_spdx(render("notice", "spdx", NoticeInput("x", (work,), created=CREATED)))
        assert validate_full_spdx_document(doc, "SPDX-2.3") == []
        assert str(doc.files[0].license_concluded) == "NOASSERTION"
        assert "'MIT OR'" in doc.files[0].license_comment and "Declared license: MIT" in doc.files[0].license_comment

    @pytest.mark.parametrize("fmt", ["spdx", "cyclonedx"])
    def test_timestamp_comes_from_the_caller(self, fmt: str) -> None:
        with pytest.raises(ValueError, match="created"):
            render("notice", fmt, NoticeInput("x", WORKS[:1]))

    def test_invalid_document_raises(self) -> None:
        bad = NoticeInput("broken", (replace(WORKS[0], sha1="not-a-sha1"),), created=CREATED)
        with pytest.raises(InputError, match="not valid SPDX 2.3"):
            render("notice", "spdx", bad)

    def test_large_document_path_checks_relationships(self, notice: NoticeInput,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        from spdx_tools.spdx.model import Relationship, RelationshipType

        from creditline.render import spdx

        monkeypatch.setattr(spdx, "FULL_VALIDATION_FILES", 2)
        document = spdx.build_document(notice)
        assert spdx.validate_document(document) == []
        document.relationships.append(Relationship("SPDXRef-Dataset", RelationshipType.CONTAINS, "SPDXRef-Nope"))
        assert any("SPDXRef-Nope" in p for p in spdx.validate_document(document))


# --- CycloneDX 1.6 ----------------------------------------------------------------------------


class TestCycloneDx:
    def test_library_validator_accepts_it(self, cdx_text: str) -> None:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator

        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx_text) is None
        assert json.loads(cdx_text)["specVersion"] == "1.6"

    def test_metadata_is_the_dataset(self, cdx_text: str) -> None:
        meta = json.loads(cdx_text)["metadata"]
        assert meta["component"]["type"] == "data"
        assert meta["component"]["name"] == "demo corpus"
        assert [t["name"] for t in meta["tools"]["components"]] == ["creditline"]
        assert meta["timestamp"].startswith("2026-01-31T12:00:00")

    def test_one_component_per_work(self, cdx_text: str) -> None:
        bom = json.loads(cdx_text)
        comps = {c["name"]: c for c in bom["components"]}
        assert set(comps) == {w.path for w in WORKS}
        for work in WORKS:
            comp = comps[work.path]
            assert comp["type"] == ("file" if work.kind == "code" else "data")
            assert comp["hashes"] == [{"alg": "SHA-1", "content": work.sha1}]
        assert comps["src/b.py"]["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "concluded"}}]
        assert comps["web/dual.js"]["licenses"] == [{"expression": DUAL, "acknowledgement": "concluded"}]
        assert comps["lib/rt.java"]["licenses"] == [{"expression": GPL_CP, "acknowledgement": "concluded"}]
        assert comps["vendor/blob.txt"]["licenses"][0]["license"]["name"] == PROPRIETARY
        assert "licenses" not in comps["notes/unknown.txt"]
        essay = comps["docs/essay.md"]
        assert essay["copyright"] == "© 2021 Zoë Ünïcode — tous droits réservés"
        assert essay["authors"] == [{"name": "Zoë Ünïcode"}]
        assert essay["externalReferences"][0]["url"] == "https://example.org/essay"
        credit = {p["name"]: p["value"] for p in essay["properties"]}["creditline:credit_line"]
        assert credit.startswith('"An essay" by Zoë Ünïcode')
        root = next(d for d in bom["dependencies"] if d["ref"] == "dataset")
        assert {d for d in root["dependsOn"]} == {c["bom-ref"] for c in bom["components"]}

    def test_schema_validator_finds_errors(self, cdx_text: str) -> None:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator

        from creditline.render.cyclonedx import validation_errors

        bom = json.loads(cdx_text)
        bom["components"][0]["hashes"][0]["content"] = "xyz"
        broken = json.dumps(bom)
        assert validation_errors(broken)
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(broken) is not None
        bom = json.loads(cdx_text)
        bom["components"].append(bom["components"][0])
        assert any("non-unique" in e for e in validation_errors(json.dumps(bom)))

    @pytest.mark.parametrize("value", ["https://example.org/essay", "https://example.org/Zoë?q=ü#frag",
                                       "/relative/path", "https://exa mple.org/", "http://[::1", "a:b:c"])
    def test_fast_iri_check_agrees_with_jsonschema(self, value: str) -> None:
        from jsonschema.validators import Draft7Validator

        from creditline.render.cyclonedx import _fast_iri

        assert _fast_iri("URI_reference")(value) == Draft7Validator.FORMAT_CHECKER.conforms(value, "iri-reference")


# --- provenance card --------------------------------------------------------------------------


class TestCard:
    def test_sections_follow_the_template(self, card_text: str) -> None:
        headings = re.findall(r"^## (.+)$", card_text, re.M)
        assert headings == ["1. General information", "2. List of data sources", "3. Data processing",
                            "4. License mix", "5. What the licenses require", "6. How this card was produced"]

    def test_counts(self, card_text: str) -> None:
        assert "| Rows in the input | 12 |" in card_text
        assert "| Rows kept | 9 |" in card_text
        assert "| Dropped: opt-out | 1 |" in card_text and "| Dropped: policy | 2 |" in card_text
        assert "- Opt-outs honoured: 1" in card_text
        assert "- License policy applied: permissive-only" in card_text
        assert "- Duplicates removed: 0" in card_text
        assert "- Works described: 9" in card_text
        assert "- creditline filter data.jsonl --policy permissive-only" in card_text

    def test_license_mix_table(self, card_text: str) -> None:
        assert "| MIT | 2 | 22.2% |" in card_text
        assert f"| {DUAL} | 1 | 11.1% |" in card_text
        assert "| none detected | 1 | 11.1% |" in card_text

    def test_sources(self, card_text: str) -> None:
        assert "3 of 9 works record where they came from" in card_text
        assert "| github.com | 1 | 11.1% |" in card_text
        assert "| huggingface.co/datasets/acme/corpus | 1 | 11.1% |" in card_text
        assert "| github.com/jane/proj | 1 | 11.1% |" in card_text

    def test_obligations(self, card_text: str) -> None:
        rows = dict(re.findall(r"^\| ([^|]+?) \| (\d+) \| [\d.]+% \|$", card_text.split("## 5.")[1], re.M))
        # attribution: 2 MIT, CC-BY-SA, GPL, GPL+CP, dual; share-alike: CC-BY-SA, GPL, GPL+CP
        assert rows["Attribution (credit the author, keep notices)"] == "6"
        assert rows["Share-alike (adaptations under the same license)"] == "3"
        assert rows["Non-commercial use only"] == "0"
        assert rows["Not assessed (no obligations recorded)"] == "1"  # my-own-license
        assert rows["No license detected"] == "1"

    def test_unrecorded_counts(self) -> None:
        card_text = render("notice", "card", NoticeInput("bare", WORKS[:1], created=CREATED))
        assert "| Rows in the input | not recorded |" in card_text
        assert "- Opt-outs honoured: not recorded" in card_text
        assert "- License policy applied: none" in card_text


@pytest.mark.parametrize(("url", "expected"), [
    ("https://github.com/o/r/blob/main/x.py", "github.com/o/r"),
    ("https://huggingface.co/datasets/org/name/resolve/main/a.parquet", "huggingface.co/datasets/org/name"),
    ("https://huggingface.co/org/model", "huggingface.co/org/model"),
    ("https://example.org/a/b", None),
    ("not a url", None),
], ids=["github", "hf-dataset", "hf-model", "other-site", "no-url"])
def test_repository(url: str, expected: str | None) -> None:
    from creditline.render.card import repository

    assert repository(url) == expected


# --- laziness ---------------------------------------------------------------------------------


def test_heavy_libraries_load_only_for_their_format(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# SPDX-License-Identifier: MIT\n")
    code = (
        "import sys\n"
        "from creditline.cli.main import cli\n"
        "import creditline, creditline.render, creditline.model\n"
        "try:\n"
        f"    cli(['scan', '--format', 'json', {str(tmp_path)!r}], prog_name='creditline')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'spdx_tools', 'cyclonedx', 'jsonschema'})\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
