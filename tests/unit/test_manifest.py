"""Hand-verified cases of :mod:`creditline.core.manifest`: declared licenses and file names."""

from __future__ import annotations

import pytest

from creditline.core.manifest import (
    LEGAL_NAMES,
    MANIFEST_NAMES,
    declared_licenses,
    is_legal_file,
    is_manifest,
)

PYPROJECT_CASES = [
    ('[project]\nname = "x"\nlicense = "MIT OR Apache-2.0"\n', ("MIT OR Apache-2.0",)),
    ('[project]\nlicense = {text = "BSD-3-Clause"}\n', ("BSD-3-Clause",)),
    ('[project]\nlicense = {file = "LICENSE"}\n', ()),
    ('[project]\nlicense-expression = "Apache-2.0"\n', ("Apache-2.0",)),
    ('[tool.poetry]\nname = "x"\nlicense = "GPL-3.0-or-later"\n', ("GPL-3.0-or-later",)),
    (
        '[project]\nlicense = "MIT"\nclassifiers = [\n  "Programming Language :: Python",\n'
        '  "License :: OSI Approved :: MIT License",\n]\n',
        ("MIT", "MIT License"),
    ),
    (
        '[project]\nclassifiers = ["License :: OSI Approved", "License :: Public Domain"]\n',
        ("Public Domain",),
    ),
    (
        '[tool.poetry]\nlicense = "MIT"\nclassifiers = ["License :: OSI Approved :: BSD License"]\n',
        ("MIT", "BSD License"),
    ),
    ('[project]\nname = "x"\n', ()),
    ('[build-system]\nrequires = ["setuptools"]\n', ()),
    ('[project]\nlicense = 3\n', ()),
    ('project = "not a table"\n', ()),
    ('[project\nlicense = "MIT"\n', ()),
    ("", ()),
]


class TestDeclaredLicensesPyproject:
    @pytest.mark.parametrize(
        ("text", "expected"),
        PYPROJECT_CASES,
        ids=[
            "pep639-string", "table-text", "table-file", "license-expression", "poetry",
            "string-then-classifier", "classifier-osi-approved-alone-skipped", "poetry-classifiers",
            "no-license", "no-project", "not-a-string", "project-not-a-table", "malformed-toml", "empty",
        ],
    )
    def test_pyproject(self, text: str, expected: tuple[str, ...]) -> None:
        assert declared_licenses("pyproject.toml", text) == expected


class TestDeclaredLicensesSetupCfg:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("[metadata]\nname = x\nlicense = MIT\n", ("MIT",)),
            (
                "[metadata]\nlicense = BSD 3-Clause\nclassifiers =\n"
                "    Programming Language :: Python :: 3\n"
                "    License :: OSI Approved :: BSD License\n",
                ("BSD 3-Clause", "BSD License"),
            ),
            ("[metadata]\nlicense_expression = Apache-2.0\n", ("Apache-2.0",)),
            ("[metadata]\nlicense = 100%% MIT\n", ("100%% MIT",)),
            ("[metadata]\nclassifiers = file: classifiers.txt\n", ()),
            ("[metadata]\nname = x\n", ()),
            ("[options]\npackages = find:\n", ()),
            ("license = MIT\n", ()),
            ("[metadata\nlicense = MIT\n", ()),
        ],
        ids=["license", "classifiers", "license-expression", "percent-not-interpolated",
             "classifiers-from-file", "no-license", "no-metadata", "no-section-header", "malformed"],
    )
    def test_setup_cfg(self, text: str, expected: tuple[str, ...]) -> None:
        assert declared_licenses("setup.cfg", text) == expected


class TestDeclaredLicensesCoreMetadata:
    LONG_LICENSE = (
        "Metadata-Version: 2.1\n"
        "Name: x\n"
        "License: Copyright (c) 2020 Foo\n"
        "        \n"
        "        Permission is hereby granted, free of charge, to any person obtaining a copy\n"
        "        of this software and associated documentation files (the \"Software\"), to deal\n"
        "        in the Software without restriction.\n"
        "Classifier: License :: OSI Approved :: MIT License\n"
        "\n"
        "Long description body. License: not a header.\n"
    )

    @pytest.mark.parametrize(
        ("filename", "text", "expected"),
        [
            ("METADATA", "Metadata-Version: 2.4\nName: x\nLicense-Expression: MIT\n", ("MIT",)),
            ("PKG-INFO", "Metadata-Version: 1.2\nName: x\nLicense: BSD\n", ("BSD",)),
            (
                "METADATA",
                "Metadata-Version: 2.1\nName: x\nLicense: UNKNOWN\n"
                "Classifier: Programming Language :: Python\n"
                "Classifier: License :: OSI Approved :: Apache Software License\n",
                ("Apache Software License",),
            ),
            (
                "PKG-INFO",
                "Metadata-Version: 2.4\nLicense-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\n",
                ("MIT", "MIT License"),
            ),
            ("METADATA", "Metadata-Version: 2.1\nName: x\n\nLicense: MIT is in the body\n", ()),
            ("METADATA", "{ this is not an email header block", ()),
            ("PKG-INFO", "", ()),
        ],
        ids=["license-expression", "license", "unknown-skipped-classifier-kept",
             "expression-then-classifier", "body-ignored", "garbage", "empty"],
    )
    def test_headers(self, filename: str, text: str, expected: tuple[str, ...]) -> None:
        assert declared_licenses(filename, text) == expected

    def test_multi_line_license_returned_as_text(self) -> None:
        license_text, classifier = declared_licenses("METADATA", self.LONG_LICENSE)
        assert license_text.startswith("Copyright (c) 2020 Foo\n\nPermission is hereby granted")
        assert license_text.endswith("in the Software without restriction.")
        assert "        " not in license_text
        assert classifier == "MIT License"

    def test_old_style_bar_continuation(self) -> None:
        text = "Metadata-Version: 1.0\nLicense: Line one\n       |Line two\n"
        assert declared_licenses("PKG-INFO", text) == ("Line one\nLine two",)


class TestDeclaredLicensesPackageJson:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ('{"name": "x", "license": "MIT"}', ("MIT",)),
            ('{"license": "(MIT OR Apache-2.0)"}', ("(MIT OR Apache-2.0)",)),
            ('{"license": {"type": "ISC", "url": "https://x"}}', ("ISC",)),
            ('{"licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]}', ("MIT", "GPL-2.0")),
            ('{"licenses": ["BSD-2-Clause"]}', ("BSD-2-Clause",)),
            ('{"license": "UNLICENSED"}', ("UNLICENSED",)),
            ('{"license": "SEE LICENSE IN LICENSE.txt"}', ()),
            ('{"license": "MIT", "licenses": [{"type": "MIT"}]}', ("MIT",)),
            ('{"license": null}', ()),
            ('{"license": 42, "licenses": [[1]]}', ()),
            ('["license", "MIT"]', ()),
            ('{"license": "MIT",', ()),
            ("", ()),
        ],
        ids=["string", "expression", "object", "legacy-array", "legacy-strings", "unlicensed-kept",
             "see-license-in-skipped", "duplicates-once", "null", "wrong-types", "not-an-object",
             "malformed-json", "empty"],
    )
    def test_package_json(self, text: str, expected: tuple[str, ...]) -> None:
        assert declared_licenses("package.json", text) == expected


class TestDeclaredLicensesCargo:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ('[package]\nname = "x"\nlicense = "MIT OR Apache-2.0"\n', ("MIT OR Apache-2.0",)),
            ('[package]\nlicense-file = "LICENSE"\n', ()),
            ('[package]\nlicense.workspace = true\n', ()),
            ('[workspace.package]\nlicense = "Apache-2.0"\n', ("Apache-2.0",)),
            ('[package]\nlicense = "MIT"\n[workspace.package]\nlicense = "MIT"\n', ("MIT",)),
            ('[package\nlicense = "MIT"\n', ()),
        ],
        ids=["license", "license-file-ignored", "workspace-inherited", "workspace-root",
             "same-twice", "malformed"],
    )
    def test_cargo(self, text: str, expected: tuple[str, ...]) -> None:
        assert declared_licenses("Cargo.toml", text) == expected


class TestDeclaredLicensesDispatch:
    @pytest.mark.parametrize(
        ("filename", "expected"),
        [
            ("pkg/sub/package.json", ("MIT",)),
            ("archive.tgz!/package/package.json", ("MIT",)),
            ("C:\\src\\package.json", ("MIT",)),
            ("README.md", ()),
            ("Package.json", ()),
        ],
        ids=["nested-path", "archive-member", "windows-path", "not-a-manifest", "wrong-case"],
    )
    def test_by_file_name(self, filename: str, expected: tuple[str, ...]) -> None:
        assert declared_licenses(filename, '{"license": "MIT"}') == expected

    @pytest.mark.parametrize("name", sorted(MANIFEST_NAMES))
    def test_binary_junk_never_raises(self, name: str) -> None:
        assert declared_licenses(name, "\x00\xff\ufffd[{\"'") == ()


class TestIsManifest:
    @pytest.mark.parametrize(
        ("filename", "expected"),
        [
            ("pyproject.toml", True),
            ("a/b/setup.cfg", True),
            ("x-1.0.dist-info/METADATA", True),
            ("x.egg-info/PKG-INFO", True),
            ("package.json", True),
            ("crates/x/Cargo.toml", True),
            ("setup.py", False),
            ("package-lock.json", False),
            ("Cargo.lock", False),
            ("metadata", False),
            ("pyproject.toml/", True),
        ],
        ids=["pyproject", "setup-cfg", "metadata", "pkg-info", "package-json", "cargo",
             "setup-py", "package-lock", "cargo-lock", "lower-metadata", "trailing-slash"],
    )
    def test_is_manifest(self, filename: str, expected: bool) -> None:
        assert is_manifest(filename) is expected


class TestIsLegalFile:
    @pytest.mark.parametrize(
        "filename",
        ["LICENSE", "LICENCE", "license.md", "LICENSE.txt", "License.rst", "COPYING", "COPYING.LESSER",
         "COPYING.LIB", "COPYRIGHT", "NOTICE", "NOTICE.txt", "UNLICENSE", "LICENSE-MIT", "LICENSE_APACHE",
         "LICENSE.BSD-3", "MIT-LICENSE.txt", "THIRD_PARTY_NOTICES.txt", "third-party-licenses.md",
         "debian/copyright", "LICENSES/MIT.txt", "LICENSES/Apache-2.0", "licenses.html", "legal.txt"],
        ids=lambda name: name,
    )
    def test_legal(self, filename: str) -> None:
        assert is_legal_file(filename)

    @pytest.mark.parametrize(
        "filename",
        ["README.md", "license.py", "copyright.py", "licenses.json", "src/licensing.js", "notice.yaml",
         "LICENSES/check.sh", "licensed.txt", "mylicense", "setup.cfg", ""],
        ids=lambda name: name or "empty",
    )
    def test_not_legal(self, filename: str) -> None:
        assert not is_legal_file(filename)

    def test_legal_names_are_lower_case(self) -> None:
        assert all(name == name.lower() for name in LEGAL_NAMES)
