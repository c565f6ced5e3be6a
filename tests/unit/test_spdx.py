"""creditline.core.spdx: parse, validate, normalize, combine, license_ids, scancode_to_spdx."""

from __future__ import annotations

import pytest

from creditline.core import spdx
from creditline.errors import ExpressionError


class TestParse:
    @pytest.mark.parametrize(
        ("expr", "position", "token"),
        [
            ("MIT AND (", 8, "("),
            ("MIT ANDD Apache-2.0", 4, "ANDD"),
            ("MIT AND", 4, "AND"),
            ("AND MIT", 0, "AND"),
            ("MIT AND Apache-2.0)", 18, ")"),
            ("(MIT", 0, "("),
            ("MIT AND ()", 8, "()"),
            ("MIT, Apache-2.0", 0, "MIT,"),
            ("", 0, ""),
        ],
        ids=["open-paren", "typo-operator", "trailing-and", "leading-and", "close-paren",
             "unclosed-start", "empty-parens", "comma", "empty"],
    )
    def test_error_points_at_token(self, expr: str, position: int, token: str) -> None:
        with pytest.raises(ExpressionError) as info:
            spdx.parse(expr)
        assert (info.value.position, info.value.token, info.value.expression) == (
            position, token, expr)

    def test_error_is_translated_from_library(self) -> None:
        with pytest.raises(ExpressionError) as info:
            spdx.parse("MIT AND (")
        assert info.value.__cause__ is not None
        assert info.value.to_dict()["code"] == "expression.invalid"

    def test_rejects_non_string(self) -> None:
        with pytest.raises(TypeError):
            spdx.parse(None)  # type: ignore[arg-type]

    @pytest.mark.parametrize("expr", ["Classpath-exception-2.0", "MIT WITH Apache-2.0"],
                             ids=["exception-alone", "license-as-exception"])
    def test_roles_left_to_validate(self, expr: str) -> None:
        assert str(spdx.parse(expr)) == expr

    def test_unknown_ids_parse(self) -> None:
        assert str(spdx.parse("LicenseRef-foo OR MIT WITH bar-exception")) == (
            "LicenseRef-foo OR MIT WITH bar-exception")


class TestNormalize:
    @pytest.mark.parametrize(
        ("expr", "expected"),
        [
            ("GPL-2.0", "GPL-2.0-only"),
            ("GPL-2.0+", "GPL-2.0-or-later"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("AGPL-3.0", "AGPL-3.0-only"),
            ("GFDL-1.3", "GFDL-1.3-only"),
            ("GPL-2.0-with-classpath-exception", "GPL-2.0-only WITH Classpath-exception-2.0"),
            ("GPL-3.0-with-GCC-exception", "GPL-3.0-only WITH GCC-exception-3.1"),
            ("gpl-2.0-with-autoconf-exception", "GPL-2.0-only WITH Autoconf-exception-2.0"),
            ("eCos-2.0", "GPL-2.0-or-later WITH eCos-exception-2.0"),
            ("wxWindows", "LGPL-2.0-or-later WITH WxWindows-exception-3.1"),
            ("StandardML-NJ", "SMLNJ"),
            ("mit and apache-2.0", "MIT AND Apache-2.0"),
            ("MIT OR Apache-2.0 AND BSD-3-Clause", "MIT OR (Apache-2.0 AND BSD-3-Clause)"),
            ("gpl-2.0+ with classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0"),
            ("MIT AND MIT", "MIT AND MIT"),
            ("licenseref-Foo", "LicenseRef-Foo"),
            ("documentref-spdx:licenseref-x", "DocumentRef-spdx:LicenseRef-x"),
            ("((MIT))", "MIT"),
        ],
        ids=["gpl2", "gpl2-plus", "lgpl21-plus", "agpl3", "gfdl13", "gpl2-classpath",
             "gpl3-gcc", "lowercase-autoconf", "ecos", "wxwindows", "smlnj", "case", "precedence",
             "with-case", "no-dedup", "licenseref-prefix", "documentref-prefix", "parens"],
    )
    def test_canonical_form(self, expr: str, expected: str) -> None:
        assert spdx.normalize(expr) == expected

    def test_known_ids_fix_case(self) -> None:
        known = {"licenseref-scancode-acme-1.0": "LicenseRef-scancode-acme-1.0"}
        assert spdx.normalize("licenseref-scancode-ACME-1.0 OR mit", known) == (
            "LicenseRef-scancode-acme-1.0 OR MIT")

    def test_known_ids_map_scancode_keys_not_spdx_ids(self) -> None:
        known = {"gpl-2.0-plus": "GPL-2.0-or-later", "mit": "X11"}
        assert spdx.normalize("gpl-2.0-plus AND MIT", known) == "GPL-2.0-or-later AND MIT"

    def test_invalid_raises(self) -> None:
        with pytest.raises(ExpressionError):
            spdx.normalize("MIT OR OR Apache-2.0")


class TestValidate:
    def test_valid(self) -> None:
        info = spdx.validate("gpl-2.0+ OR MIT")
        assert info.valid and info.errors == () and info.unknown_ids == ()
        assert info.normalized == "GPL-2.0-or-later OR MIT"

    def test_every_problem_listed(self) -> None:
        info = spdx.validate("MIT AND (foo_bar OR")
        assert not info.valid
        assert info.normalized is None
        assert info.unknown_ids == ("foo_bar",)
        assert len(info.errors) == 3  # syntax, invalid characters, unknown id

    def test_unknown_ids_in_parsable_expression(self) -> None:
        info = spdx.validate("MIT OR Foo-1.0 OR LicenseRef-mine")
        assert info.unknown_ids == ("Foo-1.0",)
        assert info.normalized == "MIT OR Foo-1.0 OR LicenseRef-mine"

    def test_known_container(self) -> None:
        info = spdx.validate("MIT OR LicenseRef-scancode-acme", known={"MIT"})
        assert info.unknown_ids == ("LicenseRef-scancode-acme",)

    @pytest.mark.parametrize(
        ("expr", "error"),
        [
            ("MIT OR Classpath-exception-2.0", "an exception can only follow WITH: "
             "'Classpath-exception-2.0' at position 7"),
            ("MIT WITH Apache-2.0", "a license cannot be used as an exception: 'Apache-2.0' "
             "at position 9"),
        ],
        ids=["exception-alone", "license-as-exception"],
    )
    def test_roles(self, expr: str, error: str) -> None:
        info = spdx.validate(expr)
        assert info.errors == (error,) and info.normalized == expr

    def test_license_flagged_as_exception_by_library(self) -> None:
        assert spdx.validate("MPL-2.0-no-copyleft-exception").valid

    def test_known_mapping_with_lowercase_keys(self) -> None:
        known = {"mit": "MIT", "licenseref-scancode-acme": "LicenseRef-scancode-acme"}
        info = spdx.validate("MIT OR LicenseRef-scancode-ACME OR Zlib", known=known)
        assert info.unknown_ids == ("Zlib",)

    def test_plus_of_known_id(self) -> None:
        assert spdx.validate("MPL-2.0+").valid

    @pytest.mark.parametrize("expr", ["", "(", "MIT ANDD X", ")("], ids=["empty", "paren", "typo", "backwards"])
    def test_never_raises(self, expr: str) -> None:
        assert not spdx.validate(expr).valid


class TestCombine:
    @pytest.mark.parametrize(
        ("expressions", "op", "expected"),
        [
            (["MIT", "MIT"], "AND", "MIT"),
            (["MIT AND MIT"], "AND", "MIT"),
            (["(MIT OR Apache-2.0) AND MIT"], "AND", "(MIT OR Apache-2.0) AND MIT"),
            (["MIT", "(MIT OR Apache-2.0) AND MIT"], "AND", "MIT AND (MIT OR Apache-2.0)"),
            (["MIT AND BSD-3-Clause", "BSD-3-Clause AND Apache-2.0"], "AND",
             "MIT AND BSD-3-Clause AND Apache-2.0"),
            (["MIT OR Apache-2.0", "Apache-2.0 OR MIT"], "AND", "MIT OR Apache-2.0"),
            (["MIT", "Apache-2.0"], "OR", "MIT OR Apache-2.0"),
            (["GPL-2.0+", "GPL-2.0-or-later"], "AND", "GPL-2.0-or-later"),
            (["Zlib", "", "  ", "MIT"], "AND", "Zlib AND MIT"),
            (["(MIT OR MIT) AND X11"], "and", "MIT AND X11"),
        ],
        ids=["same-twice", "self-dup", "keeps-choice", "first-seen-order", "flatten-and",
             "reordered-group", "or", "deprecated-equal", "blank-skipped", "nested-dup"],
    )
    def test_dedup(self, expressions: list[str], op: str, expected: str) -> None:
        assert spdx.combine(expressions, op=op) == expected

    @pytest.mark.parametrize("expressions", [[], ["", " "]], ids=["empty", "blank"])
    def test_nothing(self, expressions: list[str]) -> None:
        assert spdx.combine(expressions) is None

    def test_bad_op(self) -> None:
        with pytest.raises(ValueError):
            spdx.combine(["MIT"], op="WITH")

    def test_deterministic_generator(self) -> None:
        assert spdx.combine(e for e in ["ISC", "MIT", "ISC"]) == "ISC AND MIT"


class TestLicenseIds:
    def test_order_and_dedup(self) -> None:
        assert spdx.license_ids(
            "GPL-2.0+ WITH Classpath-exception-2.0 OR MIT AND mit AND GPL-2.0-or-later"
        ) == ("GPL-2.0-or-later", "Classpath-exception-2.0", "MIT")

    def test_pairs(self) -> None:
        assert spdx.license_pairs("MIT OR GPL-2.0-with-classpath-exception OR MIT") == (
            ("MIT", None), ("GPL-2.0-only", "Classpath-exception-2.0"))


class TestScancodeToSpdx:
    KEYS = {"gpl-2.0-plus": "GPL-2.0-or-later", "classpath-exception-2.0": "Classpath-exception-2.0",
            "mit": "MIT", "apache-2.0": "Apache-2.0", "bsd-new": "BSD-3-Clause"}

    @pytest.mark.parametrize(
        ("expr", "expected"),
        [
            ("gpl-2.0-plus WITH classpath-exception-2.0 OR mit",
             "GPL-2.0-or-later WITH Classpath-exception-2.0 OR MIT"),
            ("mit AND (apache-2.0 OR bsd-new)", "MIT AND (Apache-2.0 OR BSD-3-Clause)"),
            ("(mit AND bsd-new) OR apache-2.0", "(MIT AND BSD-3-Clause) OR Apache-2.0"),
            ("acme-eula AND mit", "LicenseRef-scancode-acme-eula AND MIT"),
            ("mit", "MIT"),
        ],
        ids=["with-or", "and-of-or", "or-of-and", "missing-key", "single"],
    )
    def test_converts(self, expr: str, expected: str) -> None:
        assert spdx.scancode_to_spdx(expr, self.KEYS) == expected

    def test_composite_mapping_parenthesised(self) -> None:
        keys = {"mit": "MIT", "dual": "GPL-2.0-only OR MIT"}
        assert spdx.scancode_to_spdx("mit AND dual", keys) == "MIT AND (GPL-2.0-only OR MIT)"

    def test_cached_parse_other_mapping(self) -> None:
        spdx.scancode_to_spdx("mit", self.KEYS)
        assert spdx.scancode_to_spdx("mit", {"mit": "X11"}) == "X11"

    def test_invalid(self) -> None:
        with pytest.raises(ExpressionError) as info:
            spdx.scancode_to_spdx("mit AND (", self.KEYS)
        assert info.value.position == 8


class TestJoinCanonical:
    @pytest.mark.parametrize(("parts", "expected"), [
        (["MIT"], "MIT"),
        ([], None),
        (["MIT", "MIT"], "MIT"),
        (["(MIT OR Apache-2.0)", "MIT OR Apache-2.0"], "MIT OR Apache-2.0"),
        (["MIT OR Apache-2.0", "ISC"], "(MIT OR Apache-2.0) AND ISC"),
        (["(MIT OR Apache-2.0) AND ISC", "Zlib"], "(MIT OR Apache-2.0) AND ISC AND Zlib"),
        (["GPL-2.0-only WITH Linux-syscall-note", "MIT"], "GPL-2.0-only WITH Linux-syscall-note AND MIT"),
    ], ids=["one", "none", "dup", "wrapped-dup", "choice-and", "nested-and", "with"])
    def test_join(self, parts: list[str], expected: str | None) -> None:
        from creditline.core.spdx import join_canonical

        assert join_canonical(parts) == expected

    def test_split_ids(self) -> None:
        from creditline.core.spdx import split_ids

        assert split_ids("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0 AND MIT") == (
            "MIT", "Apache-2.0", "GPL-2.0-only", "Classpath-exception-2.0")

    def test_join_flattens_and(self) -> None:
        from creditline.core.spdx import join_canonical

        assert join_canonical(["MIT AND BSD-3-Clause", "BSD-3-Clause", "(MIT OR X) AND Zlib"]) == (
            "MIT AND BSD-3-Clause AND (MIT OR X) AND Zlib")
