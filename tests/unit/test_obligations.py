"""creditline.core.obligations on a small hand-written table: no disk."""

from __future__ import annotations

from typing import Any

import pytest

from creditline.core.licenses import LicenseInfo
from creditline.core.obligations import (
    creative_commons, obligations_for, obligations_for_expression, parse_obligation_table,
    summarize,
)
from creditline.errors import ExpressionError, KnowledgeError
from creditline.model import Obligations

TABLE_TEXT = """
[licenses."MIT"]
name = "MIT License"
category = "permissive"
attribution = true
notice_preservation = true
notes = "Keep the notice."

[licenses."Apache-2.0"]
name = "Apache License 2.0"
category = "permissive"
attribution = true
notice_preservation = true
patent_terms = true
notes = "NOTICE file; patent grant."

[licenses."GPL-2.0-or-later"]
name = "GNU General Public License v2.0 or later"
category = "strong copyleft"
attribution = true
notice_preservation = true
share_alike = "strong"
source_disclosure = true

[licenses."LGPL-2.1-only"]
name = "GNU Lesser General Public License v2.1 only"
category = "weak copyleft"
share_alike = "library"
source_disclosure = true

[licenses."MPL-2.0"]
name = "Mozilla Public License 2.0"
category = "weak copyleft"
share_alike = "file"
patent_terms = true
source_disclosure = true

[licenses."AGPL-3.0-only"]
name = "GNU Affero General Public License v3.0 only"
category = "network copyleft"
share_alike = "network"
patent_terms = true
source_disclosure = true
url = "https://www.gnu.org/licenses/agpl-3.0.html"
"""
TABLE = parse_obligation_table(TABLE_TEXT)


def info(category: str, key: str = "acme", name: str = "Acme License", **kw: Any) -> LicenseInfo:
    return LicenseInfo(key=key, spdx=f"LicenseRef-scancode-{key}", name=name, short_name=name,
                       category=category, **kw)


def lookup(spdx_id: str) -> Obligations:
    return obligations_for(spdx_id, None, TABLE)


class TestParseObligationTable:
    def test_fields(self) -> None:
        mit = TABLE["MIT"]
        assert (mit.category, mit.attribution, mit.notice_preservation, mit.share_alike) == (
            "permissive", True, True, None)
        assert mit.notes == ("Keep the notice.",)
        assert mit.url == "https://spdx.org/licenses/MIT.html"

    def test_explicit_url_and_no_notes(self) -> None:
        assert TABLE["AGPL-3.0-only"].url == "https://www.gnu.org/licenses/agpl-3.0.html"
        assert TABLE["GPL-2.0-or-later"].notes == ()

    def test_all_errors_at_once(self) -> None:
        text = ('[licenses."X"]\ncategory = "copyleft"\nshare_alike = "weak"\n'
                'attribution = "yes"\ncolour = 1\n[extra]\n')
        with pytest.raises(KnowledgeError) as err:
            parse_obligation_table(text)
        for part in ("'name'", "'category'", "'share_alike'", "'attribution'", "'colour'", "'extra'"):
            assert part in err.value.message

    def test_not_toml(self) -> None:
        with pytest.raises(KnowledgeError):
            parse_obligation_table("[licenses")


class TestObligationsForTable:
    @pytest.mark.parametrize(
        ("spdx_id", "category", "share_alike", "source", "patent"),
        [
            ("GPL-2.0-or-later", "strong copyleft", "strong", True, False),
            ("AGPL-3.0-only", "network copyleft", "network", True, True),
            ("LGPL-2.1-only", "weak copyleft", "library", True, False),
            ("MPL-2.0", "weak copyleft", "file", True, True),
            ("Apache-2.0", "permissive", None, False, True),
        ],
        ids=["gpl2-or-later", "agpl-network", "lgpl-library", "mpl-file", "apache-patent"],
    )
    def test_table_entry(self, spdx_id: str, category: str, share_alike: str | None,
                         source: bool, patent: bool) -> None:
        got = obligations_for(spdx_id, None, TABLE)
        assert (got.license, got.category, got.share_alike, got.source_disclosure,
                got.patent_terms) == (spdx_id, category, share_alike, source, patent)

    @pytest.mark.parametrize(("spdx_id", "canonical"),
                             [("GPL-2.0+", "GPL-2.0-or-later"), ("mit", "MIT")],
                             ids=["deprecated-plus", "case"])
    def test_other_spellings(self, spdx_id: str, canonical: str) -> None:
        assert obligations_for(spdx_id, None, TABLE) == TABLE[canonical]

    def test_plus_of_table_entry(self) -> None:
        got = obligations_for("MPL-2.0+", None, TABLE)
        assert got.license == "MPL-2.0+" and got.share_alike == "file"
        assert got.notes[-1] == "Or any later version."

    def test_table_wins_over_info(self) -> None:
        assert obligations_for("MIT", info("Commercial"), TABLE) == TABLE["MIT"]


CC_CASES = [
    # id, category, attribution, share_alike, NC, ND, url
    ("CC-BY-4.0", "permissive", True, None, False, False,
     "https://creativecommons.org/licenses/by/4.0/"),
    ("CC-BY-SA-4.0", "strong copyleft", True, "strong", False, False,
     "https://creativecommons.org/licenses/by-sa/4.0/"),
    ("CC-BY-NC-4.0", "non-commercial / source-available", True, None, True, False,
     "https://creativecommons.org/licenses/by-nc/4.0/"),
    ("CC-BY-ND-4.0", "non-commercial / source-available", True, None, False, True,
     "https://creativecommons.org/licenses/by-nd/4.0/"),
    ("CC-BY-NC-SA-4.0", "non-commercial / source-available", True, "strong", True, False,
     "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    ("CC-BY-NC-ND-4.0", "non-commercial / source-available", True, None, True, True,
     "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    ("CC-BY-3.0-DE", "permissive", True, None, False, False,
     "https://creativecommons.org/licenses/by/3.0/de/"),
    ("CC-BY-SA-2.0-UK", "strong copyleft", True, "strong", False, False,
     "https://creativecommons.org/licenses/by-sa/2.0/uk/"),
    ("CC-BY-NC-ND-1.0", "non-commercial / source-available", True, None, True, True,
     "https://creativecommons.org/licenses/by-nd-nc/1.0/"),
    ("CC0-1.0", "public domain", False, None, False, False,
     "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("CC-PDDC", "public domain", False, None, False, False,
     "https://creativecommons.org/licenses/publicdomain/"),
]


class TestCreativeCommons:
    @pytest.mark.parametrize(
        ("spdx_id", "category", "attribution", "share_alike", "nc", "nd", "url"), CC_CASES,
        ids=["by", "by-sa", "by-nc", "by-nd", "by-nc-sa", "by-nc-nd", "by-3.0-ported",
             "by-sa-2.0-uk", "by-nc-nd-1.0", "cc0", "pddc"],
    )
    def test_elements(self, spdx_id: str, category: str, attribution: bool,
                      share_alike: str | None, nc: bool, nd: bool, url: str) -> None:
        got = obligations_for(spdx_id, None, TABLE)
        assert (got.license, got.category, got.attribution, got.share_alike, got.non_commercial,
                got.no_derivatives, got.url) == (
            spdx_id, category, attribution, share_alike, nc, nd, url)

    @pytest.mark.parametrize(
        ("spdx_id", "name", "version_note"),
        [
            ("CC-BY-4.0", "Creative Commons Attribution 4.0 International", "4.0 International"),
            ("CC-BY-SA-3.0", "Creative Commons Attribution-ShareAlike 3.0 Unported", "3.0:"),
            ("CC-BY-3.0-DE", "Creative Commons Attribution 3.0 DE", "3.0:"),
            ("CC-BY-NC-SA-2.5", "Creative Commons Attribution-NonCommercial-ShareAlike 2.5 Generic",
             "2.5:"),
        ],
        ids=["4.0", "3.0-unported", "3.0-ported", "2.5"],
    )
    def test_name_and_version_note(self, spdx_id: str, name: str, version_note: str) -> None:
        got = creative_commons(spdx_id)
        assert got is not None
        assert got.name == name and got.notes[0].startswith(version_note)

    def test_by_sa_4_gpl_compatibility_noted(self) -> None:
        got = creative_commons("CC-BY-SA-4.0")
        assert got is not None and any("GPL-3.0" in note for note in got.notes)

    @pytest.mark.parametrize("spdx_id", ["MIT", "CC-BY", "CC-BY-XX-4.0", "CCBY-4.0"],
                             ids=["mit", "no-version", "bad-element", "no-dash"])
    def test_not_cc(self, spdx_id: str) -> None:
        assert creative_commons(spdx_id) is None


class TestObligationsForFallback:
    @pytest.mark.parametrize(
        ("category", "expected", "attribution", "share_alike"),
        [
            ("Permissive", "permissive", True, None),
            ("Copyleft", "strong copyleft", True, "strong"),
            ("Copyleft Limited", "weak copyleft", True, "file"),
            ("Public Domain", "public domain", False, None),
            ("Proprietary Free", "proprietary", False, None),
            ("Commercial", "proprietary", False, None),
            ("Source-available", "non-commercial / source-available", False, None),
            ("Free Restricted", "non-commercial / source-available", False, None),
            ("Unstated License", "unknown", False, None),
            ("CLA", "unknown", False, None),
        ],
        ids=["permissive", "copyleft", "copyleft-limited", "public-domain", "proprietary-free",
             "commercial", "source-available", "free-restricted", "unstated", "cla"],
    )
    def test_scancode_category(self, category: str, expected: str, attribution: bool,
                               share_alike: str | None) -> None:
        got = obligations_for("LicenseRef-scancode-acme", info(category), TABLE)
        assert (got.category, got.attribution, got.share_alike) == (
            expected, attribution, share_alike)
        assert got.name == "Acme License" and "ScanCode" in got.notes[0]

    def test_lesser_is_library(self) -> None:
        lesser = info("Copyleft Limited", key="acme-lgpl", name="Acme Lesser GPL")
        assert obligations_for("LicenseRef-scancode-acme-lgpl", lesser, TABLE).share_alike == (
            "library")

    def test_non_commercial_from_name(self) -> None:
        nc = info("Source-available", name="Acme Non-Commercial License")
        assert obligations_for("LicenseRef-scancode-acme", nc, TABLE).non_commercial

    def test_url_from_info(self) -> None:
        got = obligations_for("LicenseRef-scancode-acme",
                              info("Permissive", homepage_url="https://acme.example/l"), table=TABLE)
        assert got.url == "https://acme.example/l"

    @pytest.mark.parametrize(
        ("spdx_id", "record"),
        [
            ("LicenseRef-scancode-unknown-license-reference", None),
            ("LicenseRef-scancode-unknown", info("Permissive", key="unknown")),
            ("LicenseRef-scancode-acme", info("Permissive", is_unknown=True)),
            ("Nonexistent-1.0", None),
        ],
        ids=["unknown-ref", "unknown-ref-with-info", "is-unknown", "no-info"],
    )
    def test_unknown(self, spdx_id: str, record: LicenseInfo | None) -> None:
        got = obligations_for(spdx_id, record, TABLE)
        assert got.category == "unknown" and not got.attribution and got.notes


class TestObligationsForExpression:
    def test_every_license_once(self) -> None:
        got = obligations_for_expression("MIT AND (Apache-2.0 OR MIT)", lookup)
        assert [o.license for o in got] == ["MIT", "Apache-2.0"]

    @pytest.mark.parametrize(
        ("expr", "fragment"),
        [
            ("GPL-2.0-or-later WITH Classpath-exception-2.0", "Classpath exception"),
            ("GPL-2.0-with-classpath-exception", "Classpath exception"),
            ("Apache-2.0 WITH LLVM-exception", "LLVM exception"),
            ("GPL-2.0-or-later WITH Acme-exception", "Acme-exception: additional permissions"),
        ],
        ids=["classpath", "deprecated-classpath", "llvm", "unlisted-exception"],
    )
    def test_exception_noted(self, expr: str, fragment: str) -> None:
        (got,) = obligations_for_expression(expr, lookup)
        assert " WITH " in got.license and fragment in got.notes[-1]

    def test_exception_keeps_base_duties(self) -> None:
        (got,) = obligations_for_expression("GPL-2.0-or-later WITH GCC-exception-2.0", lookup)
        assert (got.share_alike, got.source_disclosure) == ("strong", True)

    def test_info_lookup_with_table(self) -> None:
        infos = {"LicenseRef-scancode-acme": info("Copyleft")}
        got = obligations_for_expression("MIT OR LicenseRef-scancode-acme", infos.get, TABLE)
        assert [(o.license, o.category) for o in got] == [
            ("MIT", "permissive"), ("LicenseRef-scancode-acme", "strong copyleft")]

    def test_invalid(self) -> None:
        with pytest.raises(ExpressionError):
            obligations_for_expression("MIT AND (", lookup)


class TestObligationsForException:
    @pytest.mark.parametrize(
        ("spdx_id", "record"),
        [("Classpath-exception-2.0", None),
         ("LicenseRef-scancode-acme-exception",
          info("Copyleft Limited", key="acme-exception", is_exception=True))],
        ids=["listed", "info-flag"],
    )
    def test_exception_alone_has_no_duties(self, spdx_id: str, record: LicenseInfo | None) -> None:
        got = obligations_for(spdx_id, record, TABLE)
        assert got.category == "permissive" and got.share_alike is None
        assert not any(getattr(got, flag) for flag in ("attribution", "source_disclosure"))
        assert "exception" in got.notes[-1]


class TestSummarize:
    def test_union(self) -> None:
        summary = summarize(lookup(i) for i in ["MIT", "LGPL-2.1-only", "CC-BY-NC-SA-4.0"])
        assert summary == {
            "licenses": ["MIT", "LGPL-2.1-only", "CC-BY-NC-SA-4.0"],
            "categories": ["permissive", "weak copyleft", "non-commercial / source-available"],
            "category": "non-commercial / source-available",
            "share_alike": "strong",
            "attribution": True, "notice_preservation": True, "non_commercial": True,
            "no_derivatives": False, "patent_terms": False, "source_disclosure": True,
        }

    @pytest.mark.parametrize(
        ("ids", "share_alike"),
        [(["MPL-2.0", "LGPL-2.1-only"], "library"), (["AGPL-3.0-only", "GPL-2.0-or-later"], "network"),
         (["MIT", "Apache-2.0"], None)],
        ids=["library-over-file", "network-over-strong", "none"],
    )
    def test_strongest_share_alike(self, ids: list[str], share_alike: str | None) -> None:
        assert summarize(lookup(i) for i in ids)["share_alike"] == share_alike

    def test_unknown_is_most_restrictive(self) -> None:
        assert summarize([lookup("MIT"), lookup("Nonexistent-1.0")])["category"] == "unknown"

    def test_empty(self) -> None:
        summary = summarize([])
        assert summary["licenses"] == [] and summary["category"] is None
        assert not any(summary[flag] for flag in ("attribution", "non_commercial"))
