from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from creditline.core.lictokens import (
    STOP,
    STOPWORDS,
    UNKNOWN,
    WORD,
    query_vocab,
    rule_tokens,
    token_bounds,
    tokenize,
    words,
)

VOCAB = query_vocab(sorted({"gnu", "general", "public", "license", "version", "2", "0+", "mit"}))


class TestTokenize:
    def test_ids_and_offsets(self) -> None:
        text = "GNU General\nPublic  License, version 2.0+ <br> zzz"
        tokens = tokenize(text, VOCAB)
        ids, spans = tokens.ids, tokens.spans
        toks = [text[s:e].lower() for s, e in spans.tolist()]
        assert toks == ["gnu", "general", "public", "license", "version", "2", "0+", "zzz"]
        assert ids[-1] == UNKNOWN
        assert STOP not in ids.tolist()

    def test_comment_markers_and_case_do_not_matter(self) -> None:
        a = tokenize("# MIT License\n# version 2", VOCAB).ids
        b = tokenize("/* mit license version 2 */", VOCAB).ids
        assert a.tolist() == b.tolist()

    @given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300))
    def test_offsets_point_at_their_tokens(self, text: str) -> None:
        tokens = tokenize(text, VOCAB)
        ids, spans = tokens.ids, tokens.spans
        lowered = text.lower()
        if len(lowered) != len(text):
            return  # documented: offsets are clamped when case folding changes the length
        expected = [w for w in WORD.findall(lowered) if w not in STOPWORDS]
        assert [lowered[s:e] for s, e in spans.tolist()] == expected
        assert len(ids) == len(expected)


def _reference(text: str, vocab: dict[str, int]) -> tuple[list[int], list[tuple[int, int]]]:
    """Ids and spans by the regular expression itself (the definition the fast paths follow)."""
    lowered = text.lower()
    found = [(m.group(), m.span()) for m in WORD.finditer(lowered) if m.group() not in STOPWORDS]
    return [vocab.get(w, UNKNOWN) for w, _ in found], [span for _, span in found]


PLUS_VOCAB = query_vocab(sorted({"a", "b", "a+b", "b+", "gpl", "2", "0+", "c++", "é", "é+", "1+2"}))


class TestTokenizePaths:
    """ASCII text (shared word runs), other text (code point table) and text whose lower-casing
    changes its length (``re.split``) all give what the regular expression gives."""

    @given(st.text(alphabet="ab12+ +_-.AB\n<>pbr", max_size=80))
    def test_ascii_with_plus_signs(self, text: str) -> None:
        tokens = tokenize(text, PLUS_VOCAB)
        ids, spans = _reference(text, PLUS_VOCAB)
        assert tokens.ids.tolist() == ids
        assert [tuple(s) for s in tokens.spans.tolist()] == spans

    @given(st.text(alphabet="ab1+ _-éÉß\u0301\u00a0\u4e2d+", max_size=80))
    def test_unicode_with_plus_signs(self, text: str) -> None:
        tokens = tokenize(text, PLUS_VOCAB)
        ids, spans = _reference(text, PLUS_VOCAB)
        assert tokens.ids.tolist() == ids
        assert [tuple(s) for s in tokens.spans.tolist()] == spans

    def test_case_folding_that_changes_length(self) -> None:
        text = "İ a+b GPL 2.0+"
        assert tokenize(text, PLUS_VOCAB).ids.tolist() == _reference(text, PLUS_VOCAB)[0]
        assert tokenize(text, PLUS_VOCAB).spans.max() <= len(text)

    @given(st.lists(st.booleans(), max_size=40), st.lists(st.booleans(), max_size=40))
    def test_token_bounds_follow_the_expression(self, word: list[bool], plus: list[bool]) -> None:
        n = min(len(word), len(plus))
        chars = "".join("a" if w else "+" if p else " " for w, p in zip(word[:n], plus[:n]))
        starts, ends = token_bounds(np.asarray(word[:n], dtype=bool), np.asarray(plus[:n], dtype=bool) & ~np.asarray(word[:n], dtype=bool))
        assert list(zip(starts.tolist(), ends.tolist())) == [m.span() for m in WORD.finditer(chars)]


class TestRuleTokens:
    def test_required_phrases(self) -> None:
        toks, req = rule_tokens("Licensed under the {{GNU GPL}} version {{2}}")
        assert toks == ["licensed", "under", "the", "gnu", "gpl", "version", "2"]
        assert req == [(3, 5), (6, 7)]

    def test_words_drop_markup(self) -> None:
        assert words("<p>MIT&nbsp;License</p>") == ["mit", "license"]

    def test_plus_stays_on_word(self) -> None:
        assert re.findall(WORD, "gpl-2.0+") == ["gpl", "2", "0+"]
