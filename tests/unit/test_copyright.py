"""Hand-verified cases and properties of :func:`creditline.core.copyright.detect_copyrights`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core import copyright as cr
from creditline.core.copyright import detect_copyrights
from creditline.model import CopyrightNotice


def _one(text: str) -> CopyrightNotice:
    notices = detect_copyrights(text)
    assert len(notices) == 1, notices
    return notices[0]


class TestDetectCopyrightsStatements:
    @pytest.mark.parametrize(
        ("text", "statement", "holders", "years"),
        [
            (
                "Copyright (c) 2010-2014, 2019 Jane Doe <jane@example.org>",
                "Copyright (c) 2010-2014, 2019 Jane Doe <jane@example.org>",
                ("Jane Doe",),
                ("2010-2014", "2019"),
            ),
            ("© 2020 ACME Corp.", "© 2020 ACME Corp.", ("ACME Corp.",), ("2020",)),
            ("(C) 1998 Foo", "(C) 1998 Foo", ("Foo",), ("1998",)),
            (
                "Copyright 2004 by the Python Software Foundation",
                "Copyright 2004 by the Python Software Foundation",
                ("the Python Software Foundation",),
                ("2004",),
            ),
            ("Copr. 1995", "Copr. 1995", (), ("1995",)),
            (
                "SPDX-FileCopyrightText: 2023 Jane Doe <jane@example.org>",
                "SPDX-FileCopyrightText: 2023 Jane Doe <jane@example.org>",
                ("Jane Doe",),
                ("2023",),
            ),
            (
                "# SPDX-FileCopyrightText: © 2021 Foo Project",
                "SPDX-FileCopyrightText: © 2021 Foo Project",
                ("Foo Project",),
                ("2021",),
            ),
            (
                "# Copyright (c) 2020 Foo Inc. All rights reserved.",
                "Copyright (c) 2020 Foo Inc.",
                ("Foo Inc.",),
                ("2020",),
            ),
            (
                "// Portions Copyright 2005 Bar Ltd.",
                "Portions Copyright 2005 Bar Ltd.",
                ("Bar Ltd.",),
                ("2005",),
            ),
            (
                "Copyright 2009 The Go Authors. All rights reserved.\n"
                "// Use of this source code is governed by a BSD-style",
                "Copyright 2009 The Go Authors.",
                ("The Go Authors",),
                ("2009",),
            ),
            (
                "Copyright (c) 2015-present, Facebook, Inc.",
                "Copyright (c) 2015-present, Facebook, Inc.",
                ("Facebook, Inc.",),
                ("2015-present",),
            ),
            (
                "Copyright © 2018 – 2020 Jane Doe",
                "Copyright © 2018 – 2020 Jane Doe",
                ("Jane Doe",),
                ("2018-2020",),
            ),
            (
                "Copyright (c) 2012, 2013 Foo, Bar, and Baz. Licensed under the MIT license.",
                "Copyright (c) 2012, 2013 Foo, Bar, and Baz.",
                ("Foo, Bar, and Baz",),
                ("2012", "2013"),
            ),
            (
                "Copyright (c) 2020 Foo, Inc. and its contributors",
                "Copyright (c) 2020 Foo, Inc. and its contributors",
                ("Foo, Inc. and its contributors",),
                ("2020",),
            ),
            (
                "Copyright 2020 Foo (foo@example.org)",
                "Copyright 2020 Foo (foo@example.org)",
                ("Foo",),
                ("2020",),
            ),
            (
                "Copyright (c) 2019 Foo <https://foo.example/> see LICENSE",
                "Copyright (c) 2019 Foo <https://foo.example/>",
                ("Foo",),
                ("2019",),
            ),
            ("Copyright Jane Doe", "Copyright Jane Doe", ("Jane Doe",), ()),
            (
                "Copyright Jonathan Hartley 2013. BSD 3-Clause license",
                "Copyright Jonathan Hartley 2013. BSD 3-Clause license",
                ("Jonathan Hartley",),
                ("2013",),
            ),
            ("COPYRIGHT (C) 2001 BIG CORP", "COPYRIGHT (C) 2001 BIG CORP", ("BIG CORP",), ("2001",)),
            (
                '<p class="footer">Copyright &copy; 2020 <b>Foo</b></p>',
                "Copyright © 2020 Foo",
                ("Foo",),
                ("2020",),
            ),
            (
                '__copyright__ = "Copyright 2020 Foo Bar"',
                "Copyright 2020 Foo Bar",
                ("Foo Bar",),
                ("2020",),
            ),
            (
                '  "copyright": "Copyright (c) 2020 Foo",',
                "Copyright (c) 2020 Foo",
                ("Foo",),
                ("2020",),
            ),
            (
                "(c) 1991-9 Silicon Graphics, Inc.",
                "(c) 1991-9 Silicon Graphics, Inc.",
                ("Silicon Graphics, Inc.",),
                ("1991-9",),
            ),
            (
                "Copyright (c) 1996-1998 NVIDIA, Corp. NVIDIA design patents pending in the U.S.",
                "Copyright (c) 1996-1998 NVIDIA, Corp.",
                ("NVIDIA, Corp.",),
                ("1996-1998",),
            ),
            (
                "(C) 1989, 1991 Free Software Foundation, Inc. made with their permission",
                "(C) 1989, 1991 Free Software Foundation, Inc.",
                ("Free Software Foundation, Inc.",),
                ("1989", "1991"),
            ),
            (
                "Copyright 1998-2014 Solar Designer and it is hereby released to the",
                "Copyright 1998-2014 Solar Designer",
                ("Solar Designer",),
                ("1998-2014",),
            ),
            (
                "Copyright 2004 J. R. Hacker and others",
                "Copyright 2004 J. R. Hacker and others",
                ("J. R. Hacker and others",),
                ("2004",),
            ),
            (
                "Copyright Joyent, Inc. and other Node contributors.",
                "Copyright Joyent, Inc. and other Node contributors.",
                ("Joyent, Inc. and other Node contributors",),
                (),
            ),
            (
                "Copyright 2011 -- present NumPy Developers.",
                "Copyright 2011 -- present NumPy Developers.",
                ("NumPy Developers",),
                ("2011-present",),
            ),
            (
                "# (c) Ronny Pfannschmidt, Holger Krekel",
                "(c) Ronny Pfannschmidt, Holger Krekel",
                ("Ronny Pfannschmidt, Holger Krekel",),
                (),
            ),
            (
                "/*! regenerator-runtime -- Copyright (c) 2014-present, Facebook, Inc. -- license (MIT): x */",
                "Copyright (c) 2014-present, Facebook, Inc.",
                ("Facebook, Inc.",),
                ("2014-present",),
            ),
            (
                " *   Copyright (C) 2021 Glayzzle (BSD-3-Clause)",
                "Copyright (C) 2021 Glayzzle",
                ("Glayzzle",),
                ("2021",),
            ),
        ],
        ids=[
            "years-ranges-email",
            "copyright-sign",
            "paren-c-upper",
            "by-holder",
            "copr-abbreviation",
            "spdx-filecopyrighttext",
            "spdx-with-sign",
            "all-rights-reserved-stripped",
            "portions",
            "go-header-trailing-prose",
            "year-present",
            "en-dash-range-normalised",
            "licensed-under-stripped",
            "and-its-contributors",
            "email-in-parens",
            "url-and-see-license",
            "holder-without-year",
            "year-after-holder-then-prose",
            "upper-case",
            "html-entity-and-tags",
            "python-dunder-string",
            "json-key-then-value",
            "one-digit-range-end",
            "next-sentence-cut",
            "lower-case-prose-cut",
            "and-it-is-hereby-cut",
            "initials-kept",
            "name-without-year",
            "double-dash-present",
            "paren-c-opening-a-line-with-a-name",
            "license-after-double-dash",
            "parenthesised-license-id",
        ],
    )
    def test_statement_holders_years(
        self, text: str, statement: str, holders: tuple[str, ...], years: tuple[str, ...]
    ) -> None:
        notice = _one(text)
        assert (notice.statement, notice.holders, notice.years) == (statement, holders, years)


class TestDetectCopyrightsCommentPrefixes:
    @pytest.mark.parametrize(
        "prefix",
        ["# ", "// ", " * ", "/* ", "; ", ";; ", "-- ", "% ", "REM ", "rem ", "dnl ", "' ", "<!-- ", ""],
        ids=["hash", "slashes", "star", "c-open", "semicolon", "lisp", "sql", "tex", "rem", "rem-lower",
             "dnl", "vb", "html", "none"],
    )
    def test_prefix_removed(self, prefix: str) -> None:
        notice = _one(f"{prefix}Copyright (C) 2002 Foo Bar")
        assert notice.statement == "Copyright (C) 2002 Foo Bar"
        assert notice.holders == ("Foo Bar",)

    @pytest.mark.parametrize(
        ("text", "statement"),
        [
            ("/* Copyright 2003 Foo */", "Copyright 2003 Foo"),
            ("<!-- Copyright 2003 Foo -->", "Copyright 2003 Foo"),
            ("  * Copyright (c) 2000-2004 Foo Bar <foo@bar.org>  *", "Copyright (c) 2000-2004 Foo Bar <foo@bar.org>"),
            ("# Copyright 2003 Foo  #", "Copyright 2003 Foo"),
        ],
        ids=["c-comment-close", "html-comment-close", "box-star", "box-hash"],
    )
    def test_trailing_junk_removed(self, text: str, statement: str) -> None:
        assert _one(text).statement == statement


class TestDetectCopyrightsLines:
    def test_holder_on_next_line(self) -> None:
        text = "/*\n * Copyright (c) 2001\n *   Foo Inc.\n *\n * Licensed under the MIT license\n */"
        assert _one(text) == CopyrightNotice(
            statement="Copyright (c) 2001 Foo Inc.", holders=("Foo Inc.",), years=("2001",),
            start_line=2, end_line=3,
        )

    def test_years_continue_after_trailing_comma(self) -> None:
        notice = _one("# Copyright (c) 1995, 1996, 1997,\n# 1998 Foo Bar\n")
        assert (notice.years, notice.holders, notice.end_line) == (
            ("1995", "1996", "1997", "1998"), ("Foo Bar",), 2
        )

    def test_holder_continues_after_by(self) -> None:
        notice = _one("Copyright (c) 2020 by\n   Foo Bar Baz")
        assert (notice.holders, notice.end_line) == (("Foo Bar Baz",), 2)

    def test_mpl_initial_developer_on_next_line(self) -> None:
        text = (
            "# Portions created by the Initial Developer are Copyright (C) 1998\n"
            "# the Initial Developer. All Rights Reserved.\n"
        )
        notice = _one(text)
        assert (notice.statement, notice.holders, notice.end_line) == (
            "Copyright (C) 1998 the Initial Developer.", ("the Initial Developer",), 2
        )

    def test_address_after_comma_is_not_a_holder(self) -> None:
        text = "Copyright (C) 1989, 1991 Free Software Foundation, Inc.,\n 51 Franklin Street, Fifth Floor"
        notice = _one(text)
        assert notice.holders == ("Free Software Foundation, Inc.",)
        assert notice.end_line == 1

    def test_license_prose_after_years_only_is_not_a_holder(self) -> None:
        notice = _one("Copyright (c) 2020\nPermission is hereby granted, free of charge")
        assert (notice.holders, notice.years, notice.end_line) == ((), ("2020",), 1)

    def test_list_of_lines_gives_one_notice_each(self) -> None:
        text = "# Copyright 2019 Alice\n# Copyright 2020 Bob\n# Copyright 2021 Carol\n"
        notices = detect_copyrights(text)
        assert [(n.holders, n.start_line, n.end_line) for n in notices] == [
            (("Alice",), 1, 1), (("Bob",), 2, 2), (("Carol",), 3, 3)
        ]

    def test_crlf_line_endings(self) -> None:
        notices = detect_copyrights("Copyright 2020 Foo\r\nCopyright 2021 Bar\r\n")
        assert [(n.statement, n.start_line) for n in notices] == [
            ("Copyright 2020 Foo", 1), ("Copyright 2021 Bar", 2)
        ]

    def test_debian_copyright_field(self) -> None:
        text = (
            "Files: *\n"
            "Copyright: 2010 Foo Bar\n"
            "           2012-2013 Baz Qux <baz@example.org>\n"
            "License: MIT\n"
        )
        assert _one(text) == CopyrightNotice(
            statement="Copyright: 2010 Foo Bar 2012-2013 Baz Qux <baz@example.org>",
            holders=("Foo Bar", "Baz Qux"), years=("2010", "2012-2013"), start_line=2, end_line=3,
        )

    def test_debian_field_with_value_on_next_lines(self) -> None:
        notice = _one("Copyright:\n 2010 Foo\n 2012 Bar\nLicense: MIT")
        assert (notice.holders, notice.start_line, notice.end_line) == (("Foo", "Bar"), 1, 3)

    def test_notice_in_the_middle_of_a_file(self) -> None:
        text = "import os\n\n\n# Copyright 2020 Foo\nx = 1\n"
        notice = _one(text)
        assert (notice.start_line, notice.end_line) == (4, 4)

    def test_long_minified_line(self) -> None:
        text = "var a=1;" * 50_000 + "/*! Copyright 2020 Foo */" + "b(c);" * 50_000
        notice = _one(text)
        assert (notice.statement, notice.start_line) == ("Copyright 2020 Foo", 1)


class TestDetectCopyrightsAuthors:
    @pytest.mark.parametrize(
        ("text", "authors", "lines"),
        [
            ("Author: Jane Doe <jane@example.org>", ("Jane Doe",), (1, 1)),
            ("# Authors: Jane Doe, John Roe and Ann Poe", ("Jane Doe", "John Roe", "Ann Poe"), (1, 1)),
            ("Written by John Smith, 2019.", ("John Smith",), (1, 1)),
            ("Written by: Fred L. Drake, Jr.", ("Fred L. Drake, Jr.",), (1, 1)),
            (" * @author Jane Doe", ("Jane Doe",), (1, 1)),
            ('__author__ = "Jane Doe"', ("Jane Doe",), (1, 1)),
            ("# Authors:\n#   Jane Doe <j@example.org>\n#   John Roe\n\nimport os", ("Jane Doe", "John Roe"), (1, 3)),
        ],
        ids=["author", "authors-inline-list", "written-by", "written-by-jr", "javadoc", "dunder", "authors-block"],
    )
    def test_authors(self, text: str, authors: tuple[str, ...], lines: tuple[int, int]) -> None:
        notice = _one(text)
        assert (notice.authors, notice.holders, (notice.start_line, notice.end_line)) == (authors, (), lines)

    def test_author_statement(self) -> None:
        assert _one("# Authors:\n#   Jane Doe\n#   John Roe\n").statement == "Authors: Jane Doe, John Roe"

    def test_years_of_an_author_line(self) -> None:
        assert _one("Written by John Smith, 2019.").years == ("2019",)


class TestDetectCopyrightsNegatives:
    @pytest.mark.parametrize(
        "text",
        [
            "This is governed by copyright law.",
            "the copyright holders and contributors",
            'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"',
            "IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE",
            "The above copyright notice and this permission notice shall be included",
            "Redistributions of source code must retain the above copyright notice,",
            "COPYRIGHT NOTICE",
            "Copyright notices are kept in each file.",
            "    Copyright (C) <year>  <name of author>",
            "Copyright [yyyy] [name of copyright owner]",
            "Copyright (c) {year} {name}",
            "Copyright (c) {{ year }} {{ author }}",
            "Copyright (c) YEAR COPYRIGHT HOLDER",
            "Copyright (C) $YEAR $OWNER",
            "Copyright (c) 20xx Foo",
            "Copyright (C) [Insert year] [Insert name]",
            'copyright = "2020, Foo"',
            "self.copyright = copyright",
            "x = copyright_year  # copyrighted",
            '"copyright": "2020 Foo"',
            "    (c) You must cause any modified files to carry prominent notices",
            "(a) one (b) two (c) three",
            "x = f(c) Foo Bar",
            "(c) Neither the name of the copyright holder",
            "(c) If You distribute",
            "©",
            "Copyright",
            "Copyright (c)",
            "Author:",
            "Authorization: Bearer abc",
            "authors = []",
            'author: str = ""',
            "Written by hand.",
            "Grant of Copyright License. Copyright Grant",
            "(as defined in the Copyright Act) and to terminate the accounts",
            "Copyright Contribution Agreement entered into by",
            "Copyright: You must update the COPYRIGHT NOTICE portion",
            "Copyright Complaints. If you believe that your rights",
            "Copyright (C) 20[yy] [Name of the Entitled",
            "Author: <your name here>",
            "Authors: see the AUTHORS file",
            "",
            "no keywords at all\n" * 100,
        ],
        ids=[
            "copyright-law", "the-copyright-holders", "bsd-disclaimer", "copyright-owner",
            "above-copyright-notice", "retain-notice", "heading", "copyright-notices",
            "gpl-template", "apache-template", "braces-template", "jinja-template",
            "year-holder-template", "shell-template", "20xx-template", "insert-template",
            "sphinx-assignment", "attribute-assignment", "identifiers", "json-key",
            "list-numbering-c", "list-abc", "paren-c-mid-line", "paren-c-clause", "paren-c-if-you", "sign-alone", "word-alone", "word-and-symbol-alone",
            "author-empty", "authorization", "authors-code", "author-annotation", "written-by-hand",
            "grant-heading", "copyright-act", "capitalised-prose", "field-prose", "heading-then-prose",
            "unclosed-brackets",
            "author-placeholder", "authors-pointer", "empty", "no-keywords",
        ],
    )
    def test_not_a_notice(self, text: str) -> None:
        assert detect_copyrights(text) == ()


class TestDetectCopyrightsIgnorables:
    GPL = (
        "Copyright (C) 1989, 1991 Free Software Foundation, Inc.,\n"
        " 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA\n"
    )

    @pytest.mark.parametrize(
        ("kwargs", "count"),
        [
            ({}, 1),
            ({"ignorable_copyrights": ["Copyright (c) 1989, 1991 Free Software Foundation, Inc."]}, 0),
            ({"ignorable_copyrights": ["copyright  (C) 1989,   1991 free software foundation, inc."]}, 0),
            ({"ignorable_holders": ["Free Software Foundation, Inc."]}, 0),
            ({"ignorable_holders": ["FREE SOFTWARE  FOUNDATION, INC"]}, 0),
            ({"ignorable_holders": ["Someone Else"]}, 1),
            ({"ignorable_copyrights": ["Copyright (c) 2007 Free Software Foundation, Inc."]}, 1),
        ],
        ids=["none", "statement", "statement-case-space", "holder", "holder-case-space-dot",
             "other-holder", "other-statement"],
    )
    def test_license_text_copyright_dropped(self, kwargs: dict[str, list[str]], count: int) -> None:
        assert len(detect_copyrights(self.GPL, **kwargs)) == count

    def test_only_ignorable_holders_removed(self) -> None:
        text = "Copyright 2007 Free Software Foundation, 2020 Jane Doe"
        notice = _one(text)
        assert notice.holders == ("Free Software Foundation", "Jane Doe")
        (kept,) = detect_copyrights(text, ignorable_holders={"free software foundation"})
        assert kept.holders == ("Jane Doe",)

    def test_other_notices_kept(self) -> None:
        text = self.GPL + "\nCopyright 2020 Jane Doe\n"
        notices = detect_copyrights(text, ignorable_holders=["Free Software Foundation, Inc."])
        assert [n.holders for n in notices] == [("Jane Doe",)]

    def test_statement_cut_at_a_different_word_than_the_database(self) -> None:
        text = "Copyright (C) 1999 Arphic Technology Co., Ltd.\n11Fl. No.168, Yung Chi Rd., Taipei"
        ignorable = ["Copyright (c) 1999 Arphic Technology Co., Ltd. 11Fl. No.168, Yung Chi Rd., Taipei"]
        assert len(detect_copyrights(text)) == 1
        assert detect_copyrights(text, ignorable_copyrights=ignorable) == ()

    def test_a_shared_year_and_word_is_not_enough(self) -> None:
        text = "Copyright 2020 Foo"
        assert len(detect_copyrights(text, ignorable_copyrights=["Copyright 2020 Foo Bar Baz"])) == 1

    def test_sign_and_entity_compare_equal(self) -> None:
        assert detect_copyrights("© 2020 ACME Corp.", ignorable_copyrights=["(c) 2020 acme corp"]) == ()


class TestDetectCopyrightsProperties:
    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.one_of(
                st.text(max_size=40),
                st.sampled_from(
                    ["Copyright", "(c)", "©", "Copr.", "2020", "1999-2001", "Author:", "Written by",
                     "@author", "\n", "\r\n", " * ", "# ", "Foo Inc.", "<a@b.c>", ",", "All rights reserved",
                     "SPDX-FileCopyrightText:", "&copy;", "<year>", "Copyright:\n  ", "İ"]
                ),
            ),
            max_size=30,
        ).map("".join)
    )
    def test_never_raises_and_lines_in_range(self, text: str) -> None:
        line_count = text.count("\n") + 1
        for notice in detect_copyrights(text):
            assert 1 <= notice.start_line <= notice.end_line <= line_count
            assert notice.statement and (notice.holders or notice.years or notice.authors)

    @settings(max_examples=100, deadline=None)
    @given(st.text(max_size=200), st.integers(min_value=0, max_value=20))
    def test_line_numbers_shift_with_leading_lines(self, name: str, shift: int) -> None:
        text = f"Copyright 2020 Foo{name}\n"
        before = detect_copyrights(text)
        after = detect_copyrights("\n" * shift + text)
        assert [(n.start_line + shift, n.end_line + shift) for n in before] == [
            (n.start_line, n.end_line) for n in after
        ]



class TestPrechecks:
    """The cheap checks in front of the costlier patterns never change what the patterns give."""

    TEXT = st.lists(st.sampled_from(list("aZ 9\t\n,;:*/->})\"'`|\\#@<.$%[{xX") + [
        "www.", "WWW.", "://", "http", "year", "YYYY", "19xx", "name", "COPYRIGHT", "-->", "*/", "\u00a0"]),
        max_size=30).map("".join)

    @given(TEXT)
    def test_trailing_junk(self, text: str) -> None:
        assert cr._drop_trailing_junk(text) == cr._TRAILING_JUNK.sub("", text)

    @given(TEXT)
    def test_placeholder(self, text: str) -> None:
        assert cr._has_placeholder(text) == bool(cr._PLACEHOLDER.search(text))

    @given(TEXT)
    def test_emails_and_urls(self, text: str) -> None:
        assert cr._blank_emails_and_urls(text) == cr._EMAIL_OR_URL.sub(" ", text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\r©C(c) ", max_size=60), st.lists(st.integers(0, 30), max_size=8))
def test_lines_cut_out_on_demand_are_the_split_lines(text: str, order: list[int]) -> None:
    """The scan's lazy lines read as ``text.split("\\n")`` whatever order lines are asked in."""
    whole = text.split("\n")
    _, starts = cr._candidates(text)
    lines = cr._Lines(text, starts)
    assert len(lines) == len(whole)
    for i in order:
        if i < len(whole):
            assert lines[i] == whole[i]
        else:
            with pytest.raises(IndexError):
                lines[i]
    assert list(lines) == whole


def _keywords_in_lowered(text: str) -> list[int]:
    """Where the keywords are in ``text.lower()`` (offsets shared with ``text`` when no İ)."""
    low = text.lower()
    found = []
    for needle in cr._NEEDLES:
        at = low.find(needle)
        while at != -1:
            found.append(at)
            at = low.find(needle, at + len(needle))
    return sorted(found)


@given(st.text(alphabet=st.sampled_from(list("copyrightCOPYRIGHT()autHORwrITen &#169;.©ÀéΣKK😀\n")), max_size=120))
def test_keywords_are_found_as_in_the_lower_cased_text(text: str) -> None:
    # found without lower-casing the text: the same offsets (the Kelvin sign K lower-cases to k)
    assert sorted(cr._keyword_offsets(text)) == _keywords_in_lowered(text)


def test_keywords_in_a_text_whose_lower_case_is_longer() -> None:
    text = "İ Copyright (c) 2020 Ann"
    assert sorted(cr._keyword_offsets(text)) == [2, 12]  # offsets in the text itself
