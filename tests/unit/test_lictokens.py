from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditline.core import dedup, lictokens
from creditline.core.charclass import codepoints
from creditline.core.lictokens import (
    STOP,
    STOPWORDS,
    UNKNOWN,
    WORD,
    VocabTable,
    query_vocab,
    rule_tokens,
    share_words,
    shared_word_hashes,
    token_bounds,
    tokenize,
    words,
)
from creditline.core.polyhash import hashes_of

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


ASCII_TEXT = st.text(alphabet="abgpl12+ +_-.ABGPL\n<>pbr\t", max_size=120)


class TestCompiledTokenizer:
    """The compiled inner loop (``core/_ctokens.c``) gives what the numpy passes give: ids,
    offsets and the shared word runs with their hashes."""

    def test_it_is_built(self) -> None:
        # `make test` installs creditline with its C extension; without it the audit and index
        # speeds in the README do not hold (the numpy passes stand in, correct but slower)
        assert lictokens._ctokens is not None, "creditline.core._ctokens was not built (no C compiler?)"

    @given(ASCII_TEXT, st.lists(st.text(alphabet="abgpl12+", min_size=1, max_size=5), max_size=12))
    def test_it_equals_the_numpy_passes(self, text: str, vocab_words: list[str]) -> None:
        vocab = query_vocab(sorted(set(vocab_words) | {"gpl", "a+b", "2"}))
        text = text + " " + " ".join(vocab_words)
        raw = text.encode("ascii").translate(lictokens._ASCII_LOWER)
        reference = lictokens._ascii_tokens_numpy(text, raw, vocab)
        ref_runs = lictokens._LAST_RUNS[0]
        compiled = lictokens._ascii_tokens(text, vocab)
        runs = lictokens._LAST_RUNS[0]
        assert compiled.ids.tolist() == reference.ids.tolist()
        assert compiled.spans.tolist() == reference.spans.tolist()
        assert runs[1].tolist() == ref_runs[1].tolist() and runs[2].tolist() == ref_runs[2].tolist()

    @given(st.text(alphabet="ab1+ _-éÉß\u0301\u00a0\u4e2d+gpl", max_size=120),
           st.lists(st.text(alphabet="abé中+1", min_size=1, max_size=5), max_size=12))
    def test_it_equals_the_numpy_passes_on_other_text(self, text: str, vocab_words: list[str]) -> None:
        vocab = query_vocab(sorted(set(vocab_words) | {"gpl", "é+", "a+b"}))
        lowered = (text + " " + " ".join(vocab_words)).lower()
        codes = codepoints(lowered)
        reference = lictokens._unicode_tokens_numpy(codes, lictokens._ALNUM(codes), vocab)
        compiled = lictokens._unicode_tokens(lowered, vocab)
        assert compiled.ids.tolist() == reference.ids.tolist()
        assert compiled.spans.tolist() == reference.spans.tolist()

    @given(ASCII_TEXT)
    def test_the_numpy_passes_follow_the_expression(self, text: str) -> None:
        # the fallback for installs without a compiler stays right too
        raw = text.encode("ascii").translate(lictokens._ASCII_LOWER)
        tokens = lictokens._ascii_tokens_numpy(text, raw, PLUS_VOCAB)
        ids, spans = _reference(text, PLUS_VOCAB)
        assert tokens.ids.tolist() == ids
        assert [tuple(s) for s in tokens.spans.tolist()] == spans

    def test_scratch_arrays_are_reused_and_results_are_not(self) -> None:
        first = tokenize("gpl a+b 2", PLUS_VOCAB)
        ids = first.ids.tolist()
        tokenize("b+ b+ b+ 1+2 c++", PLUS_VOCAB)  # writes the same scratch arrays
        assert first.ids.tolist() == ids

    def test_short_output_buffers_are_refused(self) -> None:
        table = PLUS_VOCAB.table
        word_len, word_start, spelling = table.ascii_spelling()
        small = [np.empty(1, np.int64), np.empty(1, np.uint64), np.empty(1, np.int64), np.empty(1, np.int64),
                 np.empty(1, np.int32)]
        with pytest.raises(ValueError, match="run_start"):
            lictokens._ctokens.ascii_tokens(b"gpl a b c d", table.slot_hash, table.slot_word, table.ids, word_len,
                                            word_start, spelling, table.bits, *small)
        with pytest.raises(ValueError, match="must be ASCII"):  # a str is read in place: ASCII only
            lictokens._ctokens.ascii_tokens("gpl é", table.slot_hash, table.slot_word, table.ids, word_len,
                                            word_start, spelling, table.bits, *small)


class TestVocabTable:
    @given(st.lists(st.text(alphabet="abcé中+1", min_size=1, max_size=7), min_size=1, max_size=60),
           st.lists(st.text(alphabet="abcé中+1 ", max_size=9), max_size=40))
    def test_ids_are_the_dictionarys(self, vocab_words: list[str], text_words: list[str]) -> None:
        vocab = query_vocab(sorted(set(vocab_words)))
        text = " ".join(text_words + vocab_words[::2])
        assert tokenize(text, vocab).ids.tolist() == _reference(text, vocab)[0]

    def test_a_hash_hit_counts_only_when_spelled_the_same(self) -> None:
        vocab = query_vocab(["gpl", "mit", "apache"])
        table = vocab.table
        units = np.frombuffer(b"gpl mip apachf", dtype=np.uint8)
        starts, ends = np.asarray([0, 4, 8]), np.asarray([3, 7, 14])
        real = hashes_of(units, starts, ends)
        assert table.lookup(real, starts, ends, units).tolist() == [vocab["gpl"], UNKNOWN, UNKNOWN]
        claimed = hashes_of(codepoints("gplmitapache"), np.asarray([0, 3, 6]), np.asarray([3, 6, 12]))
        assert table.lookup(claimed, starts, ends, units).tolist() == [vocab["gpl"], UNKNOWN, UNKNOWN]
        wide = codepoints("gpl mip apachf")  # the same text as code points
        assert table.lookup(claimed, starts, ends, wide).tolist() == [vocab["gpl"], UNKNOWN, UNKNOWN]

    def test_every_word_is_found_however_full_the_table(self) -> None:
        many = [f"w{i}x{i % 7}" for i in range(3000)] + ["a", "b", "c"]
        vocab = query_vocab(sorted(many))
        assert VocabTable.of(vocab).probes >= 2  # collisions happened and were probed past
        text = " ".join(many) + " nope w1x2 a b"
        assert tokenize(text, vocab).ids.tolist() == [vocab[w] for w in many] + [UNKNOWN, UNKNOWN, vocab["a"], vocab["b"]]


class TestSharedWords:
    def test_rows_tokenised_together_share_their_word_hashes(self) -> None:
        rows = ["GPL-2.0+ and MIT", "x = a+b  # Copyright 2020", "held in another form", "", "trailing words here"]
        joined = "\n".join(rows)
        tokenize(joined, VOCAB)
        offsets = np.cumsum([0] + [len(r) + 1 for r in rows[:-1]]).tolist()
        share_words(joined, [None if i == 2 else r for i, r in enumerate(rows)], offsets)
        for i, row in enumerate(rows):
            shared = shared_word_hashes(row)
            if i == 2:
                assert shared is None
                continue
            assert shared is not None
            assert shared.tolist() == dedup.word_hashes("".join(list(row))).tolist()  # a copy is read again
        assert shared_word_hashes("GPL-2.0+ and MIT!") is None
        other = "\n".join(["é", rows[0]])
        tokenize(other, VOCAB)
        share_words(other, ["é", rows[0]], [0, 2])  # not an ASCII text just tokenised: changes nothing
        assert shared_word_hashes(rows[0]) is not None


class TestRuleTokens:
    def test_required_phrases(self) -> None:
        toks, req = rule_tokens("Licensed under the {{GNU GPL}} version {{2}}")
        assert toks == ["licensed", "under", "the", "gnu", "gpl", "version", "2"]
        assert req == [(3, 5), (6, 7)]

    def test_words_drop_markup(self) -> None:
        assert words("<p>MIT&nbsp;License</p>") == ["mit", "license"]

    def test_plus_stays_on_word(self) -> None:
        assert re.findall(WORD, "gpl-2.0+") == ["gpl", "2", "0+"]
