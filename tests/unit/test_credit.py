"""creditline.core.credit: TASL credit lines and NOTICE entries."""

from __future__ import annotations

import pytest

from creditline.core.credit import credit_line, license_label, notice_entry

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
SRC = "https://example.org/sunset"


class TestLicenseLabel:
    @pytest.mark.parametrize(
        ("license_id", "label"),
        [("CC-BY-4.0", "CC BY 4.0"), ("CC-BY-NC-SA-4.0", "CC BY-NC-SA 4.0"),
         ("CC-BY-3.0-DE", "CC BY 3.0 DE"), ("CC0-1.0", "CC0 1.0"), ("MIT", "MIT")],
        ids=["by", "by-nc-sa", "ported", "cc0", "not-cc"],
    )
    def test_label(self, license_id: str, label: str) -> None:
        assert license_label(license_id) == label


class TestCreditLineText:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (("Sunset", "Jane Doe", SRC, "CC-BY-4.0", CC_BY),
             f'"Sunset" by Jane Doe ({SRC}), licensed under CC BY 4.0 ({CC_BY}).'),
            ((None, "Jane Doe", SRC, "CC-BY-4.0", CC_BY),
             f"This work by Jane Doe ({SRC}), licensed under CC BY 4.0 ({CC_BY})."),
            (("Sunset", None, SRC, "MIT", None), f'"Sunset" ({SRC}), licensed under MIT.'),
            (("Sunset", "Jane Doe", None, "MIT", None), '"Sunset" by Jane Doe, licensed under MIT.'),
            (("Sunset", "Jane Doe", None, None, CC_BY),
             f'"Sunset" by Jane Doe, licensed under {CC_BY}.'),
            (("Sunset", "Jane Doe", "Flickr", None, None), '"Sunset" by Jane Doe (Flickr).'),
            ((None, None, None, None, None), "This work."),
            (("  Sun\n set ", " ", "", "MIT", ""), '"Sun set", licensed under MIT.'),
        ],
        ids=["full", "no-title", "no-author", "no-source", "url-only-license", "no-license",
             "nothing", "blank-and-whitespace"],
    )
    def test_text(self, args: tuple[str | None, ...], expected: str) -> None:
        assert credit_line(*args) == expected

    def test_bad_format(self) -> None:
        with pytest.raises(ValueError):
            credit_line("t", "a", None, None, None, fmt="rtf")


class TestCreditLineMarkdown:
    def test_links(self) -> None:
        assert credit_line("Sunset", "Jane Doe", SRC, "CC-BY-4.0", CC_BY, fmt="markdown") == (
            f'["Sunset"]({SRC}) by Jane Doe, licensed under [CC BY 4.0]({CC_BY}).')

    def test_no_title_links_this_work(self) -> None:
        assert credit_line(None, None, SRC, None, None, fmt="markdown") == f"[This work]({SRC})."

    def test_source_not_url_stays_text(self) -> None:
        assert credit_line("T", "A", "Flickr", "MIT", None, fmt="markdown") == (
            '"T" by A (Flickr), licensed under MIT.')

    def test_escapes(self) -> None:
        assert credit_line("*bold* [x]", "a_b", None, None, None, fmt="markdown") == (
            r'"\*bold\* \[x\]" by a\_b.')

    def test_parentheses_in_url(self) -> None:
        line = credit_line("T", None, "https://en.wikipedia.org/wiki/X_(y)", None, None,
                           fmt="markdown")
        assert line == '["T"](https://en.wikipedia.org/wiki/X_%28y%29).'


class TestCreditLineHtml:
    def test_links_and_escaping(self) -> None:
        line = credit_line("<Sun & Moon>", "Jo", "https://e.org/?a=1&b=2", "CC-BY-4.0", CC_BY,
                           fmt="html")
        assert line == (
            '<a href="https://e.org/?a=1&amp;b=2">"&lt;Sun &amp; Moon&gt;"</a> by Jo, licensed '
            f'under <a href="{CC_BY}" rel="license">CC BY 4.0</a>.')

    def test_no_link_to_other_schemes(self) -> None:
        line = credit_line("T", None, "javascript:alert(1)", "MIT", "javascript:x", fmt="html")
        assert "<a" not in line
        assert line == '"T" (javascript:alert(1)), licensed under MIT (javascript:x).'


class TestNoticeEntry:
    ARGS = ("libfoo", "Foo Team", None, "MIT", "https://spdx.org/licenses/MIT.html")

    def test_text(self) -> None:
        entry = notice_entry(*self.ARGS, ["Copyright (c) 2020  Foo Team", "Copyright (c) 2020 Foo Team",
                                          "", "(c) 2021 Bar"])
        assert entry == (
            '"libfoo" by Foo Team, licensed under MIT (https://spdx.org/licenses/MIT.html).\n'
            "Copyright (c) 2020 Foo Team\n(c) 2021 Bar\n")

    def test_markdown(self) -> None:
        entry = notice_entry(*self.ARGS, ["Copyright 2020 A_B"], fmt="markdown")
        assert entry == (
            '"libfoo" by Foo Team, licensed under [MIT](https://spdx.org/licenses/MIT.html).\n'
            "\n- Copyright 2020 A\\_B\n")

    def test_html(self) -> None:
        entry = notice_entry(*self.ARGS, ["(c) <A>"], fmt="html")
        assert entry == (
            '<p>"libfoo" by Foo Team, licensed under <a href="https://spdx.org/licenses/MIT.html" '
            'rel="license">MIT</a>.</p><ul><li>(c) &lt;A&gt;</li></ul>')

    @pytest.mark.parametrize("fmt", ["text", "markdown"], ids=["text", "markdown"])
    def test_without_copyrights(self, fmt: str) -> None:
        assert notice_entry(*self.ARGS, fmt=fmt).count("\n") == 1
