"""License texts by SPDX id from licensedcode-data."""

from __future__ import annotations

from pathlib import Path

from creditline.core.licenses import LicenseInfo
from creditline.kb.licensetexts import license_texts


def test_texts_of_the_real_database(license_index: object) -> None:
    found = license_texts(["MIT", "GPL-2.0-or-later", "Classpath-exception-2.0",
                           "LicenseRef-scancode-proprietary-license", "no-such-license"])
    assert found["MIT"].name == "MIT License"
    assert "Permission is hereby granted, free of charge" in found["MIT"].text
    assert not found["MIT"].text.startswith("---")  # front matter left out
    assert found["MIT"].url == "https://spdx.org/licenses/MIT.html"
    assert "GNU GENERAL PUBLIC LICENSE" in found["GPL-2.0-or-later"].text
    assert "exception" in found["Classpath-exception-2.0"].text.lower()
    assert found["LicenseRef-scancode-proprietary-license"].text
    assert found["no-such-license"].text == "" and found["no-such-license"].name == ""


def test_aliases_and_scancode_refs(tmp_path: Path) -> None:
    (tmp_path / "licenses").mkdir()
    (tmp_path / "licenses" / "foo.LICENSE").write_text("---\nkey: foo\n---\nThe Foo terms.\n", encoding="utf-8")
    (tmp_path / "licenses" / "bar.LICENSE").write_text("---\nkey: bar\n---\n", encoding="utf-8")
    licenses = {
        "foo": LicenseInfo("foo", "Foo-1.0", "Foo License", "Foo", "Permissive", other_spdx=("LicenseRef-Old-Foo",)),
        "bar": LicenseInfo("bar", "LicenseRef-scancode-bar", "Bar", "Bar", "Permissive", homepage_url="https://bar"),
    }
    found = license_texts(["foo-1.0", "LicenseRef-Old-Foo", "LicenseRef-scancode-foo", "LicenseRef-scancode-bar",
                           "Foo-1.0+", "LicenseRef-scancode-baz"], licenses, tmp_path)
    assert {k: v.text for k, v in found.items()} == {
        "foo-1.0": "The Foo terms.", "LicenseRef-Old-Foo": "The Foo terms.", "LicenseRef-scancode-foo": "The Foo terms.",
        "LicenseRef-scancode-bar": "", "Foo-1.0+": "The Foo terms.", "LicenseRef-scancode-baz": ""}
    assert found["LicenseRef-scancode-bar"].url == "https://bar"
    assert found["LicenseRef-scancode-bar"].name == "Bar"
