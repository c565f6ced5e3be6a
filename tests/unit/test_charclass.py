from __future__ import annotations

import re
import unicodedata

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from creditline.core import charclass
from creditline.core.charclass import CodepointTable, ascii_words, codepoints, newlines, runs


class TestCodepointTable:
    @given(st.text(max_size=200))
    def test_answers_what_the_predicate_answers(self, text: str) -> None:
        table = CodepointTable(lambda c: unicodedata.category(c).startswith("L"))
        for _ in range(2):  # filled on the first call, read on the second
            assert table(codepoints(text)).tolist() == [unicodedata.category(c).startswith("L") for c in text]

    def test_calls_the_predicate_once_per_code_point(self) -> None:
        seen: list[str] = []
        table = CodepointTable(lambda c: seen.append(c) or c.isalpha())
        seen.clear()  # ASCII is filled up front
        table(codepoints("ééé ü é"))
        assert sorted(seen) == ["é", "ü"]


class TestRuns:
    @given(st.lists(st.booleans(), max_size=60))
    def test_runs_of_true(self, flags: list[bool]) -> None:
        starts, ends = runs(np.asarray(flags, dtype=bool))
        text = "".join("x" if f else "." for f in flags)
        assert list(zip(starts.tolist(), ends.tolist())) == [m.span() for m in re.finditer("x+", text)]


class TestAsciiWords:
    @given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
    def test_lower_cased_alnum_runs_with_offsets(self, text: str) -> None:
        words = ascii_words(text)
        found = [(m.group().lower().encode(), m.start(), m.end()) for m in re.finditer("[A-Za-z0-9]+", text)]
        assert [(words.word(i), s, e) for i, (s, e) in enumerate(zip(words.starts.tolist(), words.ends.tolist()))] == found
        assert len(set(words.distinct)) == len(words.distinct)

    def test_the_last_text_is_reused(self) -> None:
        text = "Reused words " * 3
        assert ascii_words(text) is ascii_words(text)
        other = ascii_words("something else")
        assert ascii_words(text) is not other
        charclass._LAST.clear()


class TestNewlines:
    @given(st.text(max_size=200))
    def test_offsets_of_line_feeds(self, text: str) -> None:
        assert newlines(text).tolist() == [i for i, c in enumerate(text) if c == "\n"]
