"""License detection against the real license database (hand-verified cases)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditline.core.detect import _URL, _url_spans, detect_licenses, detect_licenses_batch
from creditline.core.filescan import file_license, scan_document, scan_documents
from creditline.model import Document

MIT = """MIT License

Copyright (c) 2021 Jane Doe

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

GPL2_PLUS = """/*
 * frob.c - frobnicate widgets
 * Copyright (C) 2003 Widget Makers <dev@widgets.example>
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 */
int frob(void) { return 0; }
"""

GPL2_ONLY = GPL2_PLUS.replace("either version 2 of the License, or\n * (at your option) any later version.",
                              "version 2 of the License.")

CASES = [
    ("mit-text", MIT, "MIT", "text"),
    ("gpl2-plus-notice", GPL2_PLUS, "GPL-2.0-or-later", "notice"),
    ("gpl2-only-notice", GPL2_ONLY, "GPL-2.0-only", "notice"),
    ("spdx-tag", "// SPDX-License-Identifier: Apache-2.0 OR MIT\nfn main() {}\n", "Apache-2.0 OR MIT", "spdx_tag"),
    ("spdx-tag-deprecated", "# SPDX-License-Identifier: GPL-2.0+\n", "GPL-2.0-or-later", "spdx_tag"),
    ("reference", "This project is released under the MIT license.\n", "MIT", None),
    ("apache-notice", 'Licensed under the Apache License, Version 2.0 (the "License");\nyou may not use this file '
     "except in compliance with the License.\n", "Apache-2.0", None),
]


@pytest.mark.parametrize(("text", "expected", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_detects(license_index, text: str, expected: str, kind: str | None) -> None:  # type: ignore[no-untyped-def]
    found = detect_licenses(text, license_index)
    assert file_license(found) == expected
    if kind:
        assert kind in {d.kind for d in found}


NONE_CASES = [
    ("python", "import os\n\ndef main():\n    return os.getcwd()\n"),
    ("prose-about-licenses", "We need to decide which license to pick for the docs.\n"),
    ("license-list", "\n".join(f"License :: OSI Approved :: {n}" for n in (
        "MIT License", "Apache Software License", "BSD License", "ISC License (ISCL)", "Zope Public License",
        "Mozilla Public License 2.0 (MPL 2.0)", "GNU General Public License v3 (GPLv3)", "Academic Free License (AFL)",
        "Artistic License", "Boost Software License 1.0 (BSL-1.0)", "Eclipse Public License 2.0 (EPL-2.0)",
        "The Unlicense (Unlicense)"))),
    ("empty", ""),
]


@pytest.mark.parametrize("text", [c[1] for c in NONE_CASES], ids=[c[0] for c in NONE_CASES])
def test_no_false_license(license_index, text: str) -> None:  # type: ignore[no-untyped-def]
    assert file_license(detect_licenses(text, license_index)) is None


def test_lines_point_at_the_evidence(license_index) -> None:  # type: ignore[no-untyped-def]
    (d,) = detect_licenses(GPL2_PLUS, license_index)
    assert (d.start_line, d.end_line) == (5, 13)
    assert GPL2_PLUS[d.start:d.end].startswith("This program is free software")
    assert d.rule.endswith(".RULE") or d.rule.endswith(".LICENSE")
    assert 0 < d.coverage <= 100


def test_weak_unversioned_reference_is_absorbed(license_index) -> None:  # type: ignore[no-untyped-def]
    text = GPL2_PLUS.replace("int frob", "/* this file is under the LGPL */ int frob").replace("GNU General", "GNU Lesser General")
    text = text.replace("version 2 of", "version 2.1 of")
    assert file_license(detect_licenses(text, license_index)) == "LGPL-2.1-or-later"


def test_license_text_copyright_is_ignored(license_index) -> None:  # type: ignore[no-untyped-def]
    gpl_header = "Copyright (C) 1989, 1991 Free Software Foundation, Inc.\n" + GPL2_PLUS
    result = scan_document(Document(path="frob.c", text=gpl_header), license_index)
    holders = {h for c in result.copyrights for h in c.holders}
    assert "Widget Makers" in holders


TAG_CASES = [
    ("trailing-prose", "SPDX-License-Identifier: BSD-2-Clause-Views AND BSD-2-Clause see notes", "BSD-2-Clause-Views AND BSD-2-Clause"),
    ("comment-closer", "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */", "LGPL-2.1-only OR BSD-2-Clause"),
    ("dangling-operator", "SPDX-License-Identifier: MIT OR", "MIT"),
    ("licenseref-markup", "<x>SPDX-License-Identifier: LicenseRef-Proprietary-HERE</x>", "LicenseRef-Proprietary-HERE"),
    ("unknown-id", "SPDX-License-Identifier: Frobnitz-9", "LicenseRef-scancode-unknown-spdx"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in TAG_CASES], ids=[c[0] for c in TAG_CASES])
def test_spdx_tags_always_give_valid_expressions(license_index, text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    from creditline.core import spdx

    found = [d for d in detect_licenses(text, license_index) if d.kind == "spdx_tag"]
    assert spdx.normalize(found[0].expression) == spdx.normalize(expected)


DECLARED = [
    ("spdx", "Apache-2.0", "Apache-2.0"),
    ("lower-case", "mit or apache-2.0", "MIT OR Apache-2.0"),
    ("deprecated", "GPL-2.0+", "GPL-2.0-or-later"),
    ("name-is-not-an-expression", "MIT License", None),
    ("unknown-id", "Frobnitz-9", None),
    ("dangling", "MIT OR", None),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in DECLARED], ids=[c[0] for c in DECLARED])
def test_known_expression(license_index, value: str, expected: str | None) -> None:  # type: ignore[no-untyped-def]
    from creditline.core.detect import known_expression

    assert known_expression(value, license_index) == expected


@given(st.lists(st.sampled_from(["http", "https", "HTTPS", "ftp", "s", "://", ":", "/", " ", "x", ")", "a.b", "\n",
                                 "'"]), max_size=16).map("".join))
def test_url_spans_are_the_pattern_matches(text: str) -> None:
    assert _url_spans(text) == [m.span() for m in _URL.finditer(text)]


BATCH_PIECES = [MIT, GPL2_PLUS, "", "x", "İstanbul is MIT licensed", "SPDX-License-Identifier: Apache-2.0 OR MIT\n",
                "Licensed under the MIT license.", "café — Copyright © 2020 Zoë\nlicensed under the GPL",
                "a+b c++ gpl-2.0+ i++", MIT[:300], "def f(x):\n    return x + 1\n", "BSD-3-Clause " * 12]


@given(st.lists(st.sampled_from(BATCH_PIECES), max_size=12), st.lists(st.sampled_from(BATCH_PIECES), max_size=12))
def test_batch_detection_is_detection_of_each_text(license_index, heads: list[str], tails: list[str]) -> None:  # type: ignore[no-untyped-def]
    texts = [h + t for h, t in zip(heads, tails)] + heads
    assert detect_licenses_batch(texts, license_index) == [detect_licenses(t, license_index) for t in texts]


def test_batch_scan_is_scan_of_each_document(license_index) -> None:  # type: ignore[no-untyped-def]
    docs = [Document(path=f"row{i}.txt", text=t) for i, t in enumerate(BATCH_PIECES)]
    assert scan_documents(docs, license_index) == [scan_document(d, license_index) for d in docs]


def test_without_the_compiled_module_scans_are_the_same(license_index) -> None:  # type: ignore[no-untyped-def]
    # an install without a C compiler runs the numpy and Python counterparts of core/_ctokens.c
    from creditline.core import lictokens, native

    edited_mit = MIT.replace("free of charge", "without charge").replace("merge, publish", "publish")
    texts = [c[1] for c in CASES] + BATCH_PIECES + [edited_mit, GPL2_PLUS.replace("frob", "fröb")]
    docs = [Document(path=f"row{i}.txt", text=t) for i, t in enumerate(texts)]
    compiled = scan_documents(docs, license_index)
    assert native.COMPILED and any(d.expression == "MIT" and d.coverage < 100 for d in compiled[-2].detections)
    saved = native.ext
    native.ext = lictokens._ctokens = None
    try:
        assert scan_documents(docs, license_index) == compiled
    finally:
        native.ext = lictokens._ctokens = saved


_TAG_PIECES = st.lists(st.sampled_from(["SPDX-License-Identifier", "spdx-license-IDENTIFIER", ":", " ", "MIT", "\n",
                                        " OR Apache-2.0", "é", "ſ", "İ", "ı", "中", "SPDX-", "x"]), max_size=14)


@given(_TAG_PIECES)
def test_spdx_tags_are_found_as_the_expression_finds_them(pieces: list[str]) -> None:
    # the expression is tried only where the tag's head is found: the same matches as a scan of
    # every character, also where IGNORECASE takes ſ for s or İ and ı for i
    from creditline.core import detect

    text = "".join(pieces)
    matches = detect._tag_matches(text)
    assert [m.span() for m in matches] == [m.span() for m in detect.SPDX_TAG.finditer(text)]
    assert detect._blank_tags(text, matches) == detect.SPDX_TAG.sub(lambda m: " " * len(m.group()), text)
