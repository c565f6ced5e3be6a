"""creditline's code lexer: its rules per language, and the compiled and Python versions agree."""

from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core import native
from creditline.core.codelex import (
    K_IDENT,
    K_NUMBER,
    K_PROPERTY,
    K_PUNCT,
    K_STRING,
    K_VARIABLE,
    LEX_FLAGS,
    lex,
    lex_python,
)

# Characters that exercise every rule: quotes, comment and heredoc openers, sigils, escapes.
CODE_ALPHABET = "abcrRbfuLUx8_019 .\n\t\\\"'`/*#$@<>-~=!?{}()[];:,+|&%^é"
CODE_PIECES = ["'''", '"""', "/*", "*/", "//", "<<EOF\n", "\nEOF\n", "<<<'T'\n", "\nT;", "=begin\n", "\n=end",
               'r#"', '"#', 'R"x(', ')x"', '@"', '${', '0x1p-3', '1e+5', "1'000", "->", "?.", "'a'", "'\\n'",
               "return /a[/]b/g", "x / y / z"]  # fmt: skip
CODE = st.lists(st.one_of(st.text(alphabet=CODE_ALPHABET, max_size=6), st.sampled_from(CODE_PIECES)),
                max_size=40).map("".join)  # fmt: skip


def surface(text: str, language: str) -> list[tuple[str, int]]:
    src = text.encode()
    lexed = lex(src, LEX_FLAGS[language])
    return [(src[s:e].decode(), int(k)) for s, e, k in zip(lexed.starts.tolist(), lexed.ends.tolist(), lexed.kinds)]


def texts(text: str, language: str) -> list[str]:
    return [t for t, _ in surface(text, language)]


@settings(max_examples=300, deadline=None)
@given(CODE, st.sampled_from(sorted(LEX_FLAGS)))
def test_compiled_and_python_lexers_agree(text: str, language: str) -> None:
    src = text.encode()
    assert native.COMPILED
    compiled, python = lex(src, LEX_FLAGS[language]), lex_python(src, LEX_FLAGS[language])
    assert compiled.starts.tolist() == python.starts.tolist()
    assert compiled.ends.tolist() == python.ends.tolist()
    assert compiled.kinds.tolist() == python.kinds.tolist()
    assert compiled.unclosed == python.unclosed
    assert np.all(compiled.starts < compiled.ends) and np.all(compiled.starts[1:] >= compiled.ends[:-1])
    assert len(compiled.ends) == 0 or compiled.ends[-1] <= len(src)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=120), st.sampled_from(sorted(LEX_FLAGS)))
def test_any_bytes_lex_the_same_both_ways(src: bytes, language: str) -> None:
    compiled, python = lex(src, LEX_FLAGS[language]), lex_python(src, LEX_FLAGS[language])
    assert compiled.starts.tolist() == python.starts.tolist() and compiled.kinds.tolist() == python.kinds.tolist()
    assert compiled.ends.tolist() == python.ends.tolist() and compiled.unclosed == python.unclosed


def test_python() -> None:
    text = 'def f(x):  # note\n    return x.y + 1.5e-3 // 2\ns = rb"a\\"b" + """doc\n"""\n'
    assert surface(text, "python") == [
        ("def", K_IDENT), ("f", K_IDENT), ("(", K_PUNCT), ("x", K_IDENT), (")", K_PUNCT), (":", K_PUNCT),
        ("return", K_IDENT), ("x", K_IDENT), (".", K_PUNCT), ("y", K_PROPERTY), ("+", K_PUNCT),
        ("1.5e-3", K_NUMBER), ("//", K_PUNCT), ("2", K_NUMBER), ("s", K_IDENT), ("=", K_PUNCT),
        ('rb"a\\"b"', K_STRING), ("+", K_PUNCT), ('"""doc\n"""', K_STRING)]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("javascript", "a = b / c / d; r = /x[/]y/gi.test(s)", ["a", "=", "b", "/", "c", "/", "d", ";", "r", "=",
                                                             "/x[/]y/gi", ".", "test", "(", "s", ")"]),
    ("javascript", "return /a/.source", ["return", "/a/", ".", "source"]),
    ("javascript", "x = `a ${ {k: `in`}.k } b` + $el", ["x", "=", "`a ${ {k: `in`}.k } b`", "+", "$el"]),
    ("javascript", "a >>>= b === c?.d ?? e", ["a", ">>>=", "b", "===", "c", "?.", "d", "??", "e"]),
    ("c", "/* a */ int x = L'a' + u8\"b\"; // c", ["int", "x", "=", "L'a'", "+", 'u8"b"', ";"]),
    ("cpp", 'auto s = R"(a "quoted" )";\nint n = 1\'000;', ["auto", "s", "=", 'R"(a "quoted" )"', ";", "int", "n",
                                                           "=", "1'000", ";"]),
    ("rust", "fn f<'a>(c: char) { let r = r#\"x\"#; '\\n' /* a /* b */ c */ }",
     ["fn", "f", "<", "'", "a", ">", "(", "c", ":", "char", ")", "{", "let", "r", "=", 'r#"x"#', ";", "'\\n'", "}"]),
    ("go", "s := `raw\n\\x`", ["s", ":=", "`raw\n\\x`"]),
    ("csharp", 'var p = @"C:\\dir""x"""; @class = $"{a}";', ["var", "p", "=", '@"C:\\dir""x"""', ";", "@class", "=",
                                                          '$"{a}"', ";"]),
    ("bash", "echo $HOME ${x:-y} '$no\\' # c\ncat <<-'EOF' >f\n  body $x\n  EOF\nls",
     ["echo", "$HOME", "${x:-y}", "'$no\\'", "cat", "<<-'EOF'", ">", "f", "  body $x\n  EOF", "ls"]),
    ("bash", "echo a#b", ["echo", "a", "#", "b"]),
    ("ruby", "=begin\ndoc\n=end\ndef empty?(x) = @a + @@b + $c\nputs <<~TXT\n  hi\nTXT\n",
     ["def", "empty?", "(", "x", ")", "=", "@a", "+", "@@b", "+", "$c", "puts", "<<~TXT", "  hi\nTXT"]),
    ("php", "<?php $a = <<<EOT\nx {$b}\nEOT;\n# c\necho $a;", ["<", "?", "php", "$a", "=", "<<<EOT", "x {$b}\nEOT",
                                                             ";", "echo", "$a", ";"]),
    ("java", 'String s = """\n  text "block"\n  """;', ["String", "s", "=", '"""\n  text "block"\n  """', ";"]),
])  # fmt: skip
def test_languages(language: str, text: str, expected: list[str]) -> None:
    assert texts(text, language) == expected


def test_kinds_of_names() -> None:
    kinds = dict(surface("$x->y + @z", "php"))
    assert kinds["$x"] == K_VARIABLE and kinds["y"] == K_PROPERTY and kinds["z"] == K_IDENT


@pytest.mark.parametrize(("language", "text", "unclosed"), [
    ("python", 'x = 1\n"""doc', 6), ("python", 'x = """a"""', -1), ("javascript", "a /* b", 2),
    ("javascript", "f(`a", 2), ("python", "s = 'open\nx = 1", -1), ("rust", 'let s = "a\nb', 8),
    ("bash", "cat <<EOF\nbody", 10), ("ruby", "=begin\nx", 0),
])  # fmt: skip
def test_blocks_left_open(language: str, text: str, unclosed: int) -> None:
    """A single-line string ends with its line; a block that may span lines and never closes
    is reported where it opens."""
    assert lex(text.encode(), LEX_FLAGS[language]).unclosed == unclosed
    assert lex_python(text.encode(), LEX_FLAGS[language]).unclosed == unclosed


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("javascript", "x = 1; /** doc cut short\n * more\nf(y);", ["x", "=", "1", ";", "/*", "*", "doc", "cut", "short",
                                                              "*", "more", "f", "(", "y", ")", ";"]),
    ("python", 'a = 1\n"""never closed\nb = 2\n', ["a", "=", "1", '"""', "never", "closed", "b", "=", "2"]),
    ("bash", "echo don't stop\nls x", ["echo", "don", "'", "t", "stop", "ls", "x"]),
    ("javascript", "/* a\n/* b", ["/*", "a", "/*", "b"]),
    ("cpp", 'auto s = R"x(cut', ["auto", "s", "=", 'R"x(', "cut"]),
])  # fmt: skip
def test_a_block_that_never_closes_is_read_as_code(language: str, text: str, expected: list[str]) -> None:
    """A truncated comment or string (an answer cut short) does not swallow the code after it:
    its opener is an operator, and later openers of the same kind cannot close either."""
    assert texts(text, language) == expected
    assert lex(text.encode(), LEX_FLAGS[language]).unclosed == text.index(expected[[i for i, t in enumerate(expected)
                                                                                     if t in ("/*", '"""', "'", 'R"x(')][0]])


def test_single_line_string_ends_with_its_line() -> None:
    assert texts("s = 'open\nx = 1", "python") == ["s", "=", "'open", "x", "=", "1"]


def test_code_lex_refuses_short_outputs() -> None:
    out = np.empty(2, np.int64)
    with pytest.raises(ValueError, match="starts"):
        native.ext.code_lex(b"abcdef", 0, out, out.copy(), np.empty(6, np.uint8))
