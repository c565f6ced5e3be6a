from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from creditline.core.lictokens import STOP, STOPWORDS, UNKNOWN, WORD, query_vocab, rule_tokens, tokenize, words

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


class TestRuleTokens:
    def test_required_phrases(self) -> None:
        toks, req = rule_tokens("Licensed under the {{GNU GPL}} version {{2}}")
        assert toks == ["licensed", "under", "the", "gnu", "gpl", "version", "2"]
        assert req == [(3, 5), (6, 7)]

    def test_words_drop_markup(self) -> None:
        assert words("<p>MIT&nbsp;License</p>") == ["mit", "license"]

    def test_plus_stays_on_word(self) -> None:
        assert re.findall(WORD, "gpl-2.0+") == ["gpl", "2", "0+"]
