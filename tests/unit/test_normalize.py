from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core.normalize import (
    _EXTENSIONS,
    LANGUAGES,
    PLACEHOLDER_STRING,
    TOKEN_SEED,
    code_tokens,
    guess_language,
    normalize_word,
    prose_tokens,
    prose_words,
    token_hash,
    tokenize,
    word_hash,
)

ASCII_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)
LATIN_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789éüßøçñ", min_size=1, max_size=8)
GAP = st.text(alphabet=" \t\n\r.,;:!?()\"'-\u00a0\u2014", min_size=1, max_size=4)


def surface(text: str) -> list[str]:
    stream = prose_tokens(text)
    return [text[s:e] for s, e in zip(stream.starts.tolist(), stream.ends.tolist())]


class TestGuessLanguage:
    @pytest.mark.parametrize(
        ("path", "language"),
        [("a/b.py", "python"), ("x.JS", "javascript"), ("x.jsx", "javascript"), ("x.mjs", "javascript"),
         ("x.ts", "typescript"), ("x.tsx", "tsx"), ("X.java", "java"), ("x.c", "c"), ("x.h", "c"),
         ("x.cc", "cpp"), ("x.cpp", "cpp"), ("x.hpp", "cpp"), ("x.cs", "csharp"), ("x.go", "go"),
         ("x.rs", "rust"), ("x.rb", "ruby"), ("x.php", "php"), ("x.sh", "bash"), ("x.bash", "bash"),
         ("dir.d\\win.py", "python"), ("README.md", None), ("notes.txt", None), ("LICENSE", None), (None, None)],
        ids=lambda v: str(v),
    )  # fmt: skip
    def test_by_extension(self, path: str | None, language: str | None) -> None:
        assert guess_language(path, "x = 1\n") == language

    @pytest.mark.parametrize(
        ("first_line", "language"),
        [("#!/usr/bin/env python3", "python"), ("#!/bin/bash", "bash"), ("#!/bin/sh -e", "bash"),
         ("#!/usr/bin/env node", "javascript"), ("#!/usr/bin/perl", None), ("# not a shebang", None)],
        ids=lambda v: str(v),
    )  # fmt: skip
    def test_by_shebang_without_extension(self, first_line: str, language: str | None) -> None:
        assert guess_language("bin/tool", first_line + "\nbody\n") == language

    def test_extension_wins_over_shebang(self) -> None:
        assert guess_language("notes.txt", "#!/bin/bash\n") is None


class TestProseTokens:
    def test_words_and_offsets(self) -> None:
        text = "Hello,  WORLD!\nIt's 2024 — café_bar"
        assert surface(text) == ["Hello", "WORLD", "It", "s", "2024", "café", "bar"]
        assert prose_tokens(text).kind == "prose" and prose_tokens(text).renamed is None

    def test_empty_and_punctuation_only(self) -> None:
        for text in ("", "  \n", "--- !!! ___"):
            stream = prose_tokens(text)
            assert len(stream) == 0 and stream.exact.dtype == np.uint64 and stream.starts.dtype == np.int64

    def test_case_and_compatibility_forms_fold(self) -> None:
        assert prose_tokens("Straße ﬁne ＡＢＣ").exact.tolist() == prose_tokens("STRASSE fine abc").exact.tolist()

    def test_combining_marks_stay_in_the_word(self) -> None:
        decomposed = "cafe\u0301 noir"
        assert surface(decomposed) == ["cafe\u0301", "noir"]
        assert prose_tokens(decomposed).exact.tolist() == prose_tokens("café noir").exact.tolist()

    def test_repeated_words_hash_alike(self) -> None:
        exact = prose_tokens("the cat and The dog and THE end").exact
        assert exact[0] == exact[3] == exact[6] and exact[2] == exact[5] and exact[1] != exact[4]

    @given(st.text(max_size=300))
    def test_offsets_point_at_their_normalised_tokens(self, text: str) -> None:
        stream = prose_tokens(text)
        pieces = [text[s:e] for s, e in zip(stream.starts.tolist(), stream.ends.tolist())]
        assert all(c.isalnum() or unicodedata.category(c).startswith("M") for p in pieces for c in p)
        assert stream.exact.tolist() == [token_hash(normalize_word(p).encode("utf-8", "surrogatepass")) for p in pieces]
        assert np.all(stream.starts[1:] >= stream.ends[:-1])

    @given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
    def test_ascii_fast_path_agrees_with_unicode_path(self, text: str) -> None:
        fast = prose_words(text)
        slow = prose_words(text + "\u00a0")  # a non-ASCII separator takes the general path
        assert fast[0] == slow[0]
        assert fast[1].tolist() == slow[1].tolist() and fast[2].tolist() == slow[2].tolist()

    @given(st.lists(st.tuples(LATIN_WORD, GAP, st.booleans()), min_size=1, max_size=40))
    def test_invariant_to_whitespace_wrapping_and_case(self, items: list[tuple[str, str, bool]]) -> None:
        plain = " ".join(w for w, _, _ in items)
        messy = "".join((w.upper() if up else w) + gap for w, gap, up in items)
        assert prose_tokens(messy).exact.tolist() == prose_tokens(plain).exact.tolist()

    @given(st.lists(ASCII_WORD, min_size=1, max_size=40), st.integers(min_value=5, max_value=30))
    def test_invariant_to_line_wrapping(self, words: list[str], width: int) -> None:
        lines, line = [], ""
        for w in words:
            if line and len(line) + len(w) > width:
                lines.append(line)
                line = ""
            line = f"{line} {w}".strip()
        wrapped = "\n".join([*lines, line])
        assert prose_tokens(wrapped).exact.tolist() == prose_tokens(" ".join(words)).exact.tolist()


class TestHashStability:
    """Snapshot: these numbers are stored in catalogs; a change needs a new FINGERPRINT_VERSION."""

    def test_seed(self) -> None:
        assert TOKEN_SEED == 0x6372656469746C6E

    @pytest.mark.parametrize(
        ("word", "expected"),
        [("the", 2038410346349494752), ("License", 1289172106090575024), ("café", 6496198291855305773),
         ("def", 2006974869608815734)],
        ids=["the", "License", "cafe", "def"],
    )  # fmt: skip
    def test_word_hashes(self, word: str, expected: int) -> None:
        assert word_hash(word) == expected
        assert prose_tokens(word).exact.tolist() == [expected]

    def test_code_token_and_placeholder_hashes(self) -> None:
        assert token_hash(b"def") == 2006974869608815734
        assert token_hash(b"\0identifier") == 18083559579897752837
        stream = code_tokens("x", "python")
        assert stream.exact.tolist() == [token_hash(b"x")] and stream.renamed.tolist() == [18083559579897752837]


PY_A = '''\
import os


def total(items, factor=2):
    """Sum the items."""
    result = 0
    for item in items:
        result += item * factor
    return result + os.getpid()
'''
PY_B = '''\
# A comment about it
import os
def total( items,factor = 2 ):   # trailing comment
    """Sum the items."""
    result=0

    for item in items :  # loop
        result  +=  item*factor
    return result + os.getpid()
'''
PY_RENAMED = '''\
import sys


def grand_sum(values, scale=2):
    """Sum the items."""
    acc = 0
    for value in values:
        acc += value * scale
    return acc + sys.getpid()
'''
JS_A = "function add(a, b) {\n  // add them\n  const total = a + b;\n  return total * 2;\n}\n"
JS_B = "/* header */ function add(a,b){const total=a+b;\n\n return total*2 /* twice */; }"
JS_RENAMED = "function plus(x, y) {\n  const sum = x + y;\n  return sum * 2;\n}\n"


def code_surface(text: str, language: str) -> list[str]:
    stream = code_tokens(text, language)
    return [text[s:e] for s, e in zip(stream.starts.tolist(), stream.ends.tolist())]


class TestCodeTokens:
    def test_python_leaves(self) -> None:
        text = 'x = foo(1, "a b")  # note\n'
        assert code_surface(text, "python") == ["x", "=", "foo", "(", "1", ",", '"a b"', ")"]
        stream = code_tokens(text, "python")
        assert stream.kind == "code" and stream.language == "python"

    def test_string_literal_is_one_token(self) -> None:
        text = 'msg = f"hello {name} and more words"\n'
        assert code_surface(text, "python")[-1] == 'f"hello {name} and more words"'
        assert code_tokens(text, "python").renamed[-1] == token_hash(PLACEHOLDER_STRING)

    def test_offsets_are_characters_not_bytes(self) -> None:
        text = 's = "héllo wörld"  # ünïcode\nt = s\n'
        assert code_surface(text, "python") == ["s", "=", '"héllo wörld"', "t", "=", "s"]

    @pytest.mark.parametrize(("a", "b", "language"), [(PY_A, PY_B, "python"), (JS_A, JS_B, "javascript")],
                             ids=["python", "javascript"])  # fmt: skip
    def test_comments_and_whitespace_do_not_change_exact(self, a: str, b: str, language: str) -> None:
        assert code_tokens(a, language).exact.tolist() == code_tokens(b, language).exact.tolist()

    @pytest.mark.parametrize(("a", "b", "language"), [(PY_A, PY_RENAMED, "python"), (JS_A, JS_RENAMED, "javascript")],
                             ids=["python", "javascript"])  # fmt: skip
    def test_renaming_changes_exact_but_not_renamed(self, a: str, b: str, language: str) -> None:
        sa, sb = code_tokens(a, language), code_tokens(b, language)
        assert sa.renamed.tolist() == sb.renamed.tolist()
        assert sa.exact.tolist() != sb.exact.tolist()

    def test_changed_literals_keep_renamed(self) -> None:
        sa, sb = code_tokens("x = f(1, 'a')\n", "python"), code_tokens("x = f(2.5, 'bcd')\n", "python")
        assert sa.renamed.tolist() == sb.renamed.tolist() and sa.exact.tolist() != sb.exact.tolist()

    def test_unknown_grammar_falls_back_to_prose(self) -> None:
        stream = code_tokens("Some words here", "no-such-language")
        assert stream.kind == "prose" and stream.exact.tolist() == prose_tokens("Some words here").exact.tolist()

    def test_syntax_errors_still_tokenise(self) -> None:
        assert code_surface("def (x:\n  !! 'unterminated\n", "python")[:3] == ["def", "(", "x"]
        assert len(code_tokens("!", "python").renamed) == 1

    def test_empty_source(self) -> None:
        stream = code_tokens("", "python")
        assert len(stream) == 0 and stream.renamed is not None and len(stream.renamed) == 0

    def test_tokenize_dispatches_on_path(self) -> None:
        assert tokenize("x = 1\n", "a.py").kind == "code"
        assert tokenize("x = 1\n", "a.txt").kind == "prose"
        assert tokenize("x = 1\n").kind == "prose"

    @settings(max_examples=50, deadline=None)
    @given(st.text(max_size=200))
    def test_any_text_parses_with_ordered_offsets(self, text: str) -> None:
        stream = code_tokens(text, "python")
        assert np.all(stream.starts < stream.ends) and np.all(stream.starts[1:] >= stream.ends[:-1])
        assert (len(stream) == 0 or stream.ends[-1] <= len(text)) and len(stream.renamed) == len(stream)


class TestLanguages:
    @pytest.mark.parametrize("language", LANGUAGES, ids=str)
    def test_every_language_lexes(self, language: str) -> None:
        stream = code_tokens("x = 1\n", language)
        assert stream.kind == "code" and stream.language == language and len(stream) > 0

    def test_reserved_words_keep_their_text_in_the_renamed_channel(self) -> None:
        stream = code_tokens("for item in items: return item", "python")
        kept = stream.renamed == stream.exact
        assert kept.tolist() == [True, False, True, False, True, True, False]

    def test_every_extension_has_a_lexer(self) -> None:
        assert set(_EXTENSIONS.values()) == set(LANGUAGES)


class TestFragments:
    SOURCE = '''def area(shape):
    """Area of a shape.

    The shape is any object with width and height attributes; the result is their
    product, in the square of the unit they are given in.
    """
    if shape.width < 0 or shape.height < 0:
        raise ValueError("negative size: %r" % (shape,))
    total = shape.width * shape.height
    return total
'''

    def test_fragment_starting_inside_a_docstring_reads_its_code_as_code(self) -> None:
        """An answer quoting a file from the middle of a docstring: lexed as is, the rest of the
        docstring reads as code (its closing quotes open a string that never closes, so they are
        an operator). As a fragment, the text gives the tokens the whole file gives there."""
        cut = self.SOURCE.index("product, in the square")
        fragment = self.SOURCE[cut:]
        whole = code_tokens(self.SOURCE, "python")
        body = self.SOURCE.index("    if shape.width")
        expected = whole.exact[whole.starts >= body].tolist()
        assert code_tokens(fragment, "python").exact.tolist() != expected
        got = code_tokens(fragment, "python", fragment=True)
        assert got.exact.tolist() == expected
        assert fragment[got.starts[0] : got.ends[0]] == "if"  # offsets point into the fragment as given

    def test_fragment_inside_a_docstring_of_a_file_full_of_docstrings(self) -> None:
        """The docstrings of the code after the cut are strings in every reading, so they do not
        count against the one that puts quotes before the fragment; only the part that reading
        puts inside the opened docstring does (here 10% of the text)."""
        funcs = "\n\n".join(f'''def helper_{i}(value, scale=2):
    """Return value number {i} scaled, for the table of results.

    The scale defaults to two; callers pass another one for the wide layout.
    """
    result = value * scale + {i}
    if result > 100:
        result = 100
    return result
''' for i in range(4))
        text = ("# Notes kept with the snippet below\n# about the helpers.\n\n"
                "    lines after the first are indented by the same amount and that is removed.\n    \"\"\"\n"
                "    return text.strip()\n\n\n" + funcs)
        body = text.index("def helper_0")
        whole = code_tokens(text[body:], "python")
        got = code_tokens(text, "python", fragment=True)
        assert got.exact[got.starts >= body].tolist() == whole.exact.tolist()
        assert code_tokens(text, "python").exact.tolist()[-len(whole.exact):] != whole.exact.tolist()

    def test_whole_files_and_clean_fragments_are_parsed_as_they_are(self) -> None:
        for text in (self.SOURCE, self.SOURCE[self.SOURCE.index("    if shape"):]):
            plain, frag = code_tokens(text, "python"), code_tokens(text, "python", fragment=True)
            assert plain.exact.tolist() == frag.exact.tolist() and plain.starts.tolist() == frag.starts.tolist()

    def test_fragment_starting_inside_a_block_comment(self) -> None:
        source = ("/* Copies the list.\n * Each item is copied by value, the order kept;\n * an empty list gives"
                  " an empty list. */\nfunction copyList(items) {\n  const out = [];\n  for (const item of items)"
                  " { out.push(item); }\n  return out;\n}\n")
        fragment = source[source.index("the order kept"):]
        body = source.index("function")
        whole = code_tokens(source, "javascript")
        got = code_tokens(fragment, "javascript", fragment=True)
        assert got.exact.tolist() == whole.exact[whole.starts >= body].tolist()

    def test_a_mid_statement_fragment_is_not_swallowed_by_an_opener(self) -> None:
        """A fragment that starts mid-expression has parse errors too; an opener that turns the
        whole of it into one comment is not a better reading."""
        fragment = "  0x0410: 0x0080,  # A\n  0x0411: 0x0081,  # B\n  0x0412: 0x0082,  # C\n}\n"
        assert code_tokens(fragment, "python", fragment=True).exact.tolist() == code_tokens(fragment, "python").exact.tolist()


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), max_size=60),
       st.binary(min_size=46, max_size=50))
def test_span_hashes_compiled_equal_a_hash_per_distinct_span(spans: list[tuple[int, int]], src: bytes) -> None:
    from creditline.core import native
    from creditline.core.normalize import _span_hashes, token_hash

    starts = np.asarray([s for s, _ in spans], dtype=np.int64)
    ends = np.asarray([s + n for s, n in spans], dtype=np.int64)
    expected = [token_hash(src[s:e]) for s, e in zip(starts.tolist(), ends.tolist())]
    assert native.COMPILED
    assert _span_hashes(src, starts, ends).tolist() == expected
    saved, native.ext = native.ext, None
    try:
        assert _span_hashes(src, starts, ends).tolist() == expected
    finally:
        native.ext = saved


def test_span_hashes_refuses_spans_outside_the_buffer() -> None:
    from creditline.core import native

    out = np.empty(2, dtype=np.uint64)
    with pytest.raises(ValueError, match="outside src"):
        native.ext.span_hashes(b"abc", np.asarray([0, 2], np.int64), np.asarray([1, 9], np.int64), TOKEN_SEED, out)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_prose_compiled_equals_a_hash_per_distinct_word(text: str) -> None:
    from creditline.core import native

    compiled = prose_tokens(text)
    saved, native.ext = native.ext, None
    try:
        fallback = prose_tokens(text)
    finally:
        native.ext = saved
    assert compiled.exact.tolist() == fallback.exact.tolist() == [word_hash(w) for w in surface(text)]
    assert compiled.starts.tolist() == fallback.starts.tolist() and compiled.ends.tolist() == fallback.ends.tolist()
