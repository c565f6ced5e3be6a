"""creditline's lexer for source code: the byte range and kind of every token.

Tokens are what a compiler's lexer sees, with comments and white space skipped: names, numbers,
string literals (one token each, quotes and prefixes included, whatever they hold: escapes,
interpolations, heredoc bodies), regex literals (as strings) and operators (maximal munch over
OPERATORS). A language is a set of LEX_* options (LEX_FLAGS) for its comments, strings and names;
no grammar is parsed, so a fragment or a file with syntax errors lexes as well as a whole file,
and the cost is one pass over the bytes.

The compiled ``code_lex`` in ``_ctokens.c`` does the work where the C extension was built;
:func:`lex_python` is the same state machine in Python (a property test compares the two on
random texts), used where it was not. The byte-level rules:

- names: ASCII letters, digits, ``_`` and every byte >= 0x80 (so any non-ASCII character);
  ``$`` too with LEX_DOLLAR_ID; a name right after ``.``, ``?.`` or ``->`` is a K_PROPERTY;
- numbers: a digit (or ``.`` and a digit), then letters, digits, ``_``, ``'``, ``.`` before a
  digit, and a sign after an exponent letter;
- strings: ``"``/``'`` with backslash escapes end with their line unless LEX_MULTILINE;
- a block that may span lines (block comment, triple quotes, raw string, template, heredoc)
  and never closes is no block: its opener is an operator token and lexing goes on after it,
  so a comment or docstring cut short (a truncated answer, a deleted line) does not swallow the
  code after it. Later openers of that kind are read the same way without searching again (no
  closer follows them either), which keeps the pass linear. The first such opener is reported
  (``unclosed``): a fragment with one may start inside a docstring (``normalize._fragment_lexed``);
- a ``/`` opens a regex literal (LEX_REGEX) where an operand is expected: at the start, after
  an operator other than ``)``, ``]``, ``}``, or after a word of REGEX_AFTER.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The lexer's options: the LEX_* enum of _ctokens.c (the same bits).
LEX_SLASH = 1 << 0  # // and /* */ comments
LEX_HASH = 1 << 1  # # comments
LEX_SH_HASH = 1 << 2  # # comments only where a word starts (shell)
LEX_NEST = 1 << 3  # block comments nest (Rust)
LEX_TRIPLE = 1 << 4  # triple-quoted strings
LEX_PY_PREFIX = 1 << 5  # r b u f prefixes of strings (Python)
LEX_BT_RAW = 1 << 6  # `raw strings` (Go)
LEX_BT_TEMPLATE = 1 << 7  # `templates ${with} holes` (JavaScript)
LEX_BT_STRING = 1 << 8  # `commands` with escapes (shell, Ruby, PHP)
LEX_SQ_CHAR = 1 << 9  # ' opens a character literal or is a lifetime's tick (Rust)
LEX_SQ_RAW = 1 << 10  # '...' has no escapes (shell)
LEX_REGEX = 1 << 11  # /regex/ literals where an operand is expected
LEX_DOLLAR_VAR = 1 << 12  # $name variables
LEX_AT_VAR = 1 << 13  # @name and @@name variables (Ruby)
LEX_HEREDOC = 1 << 14  # <<EOF and <<<EOF heredocs
LEX_RUBY_DOC = 1 << 15  # =begin ... =end comments
LEX_DOLLAR_ID = 1 << 16  # $ is an identifier character
LEX_CPP_PREFIX = 1 << 17  # L u U u8 prefixes and R"d(...)d" raw strings
LEX_RUST_RAW = 1 << 18  # b"..." r"..." r#"..."#
LEX_CS_STRING = 1 << 19  # @"verbatim" and $"interpolated" strings, @identifiers
LEX_MULTILINE = 1 << 20  # "..." and '...' may span lines
LEX_RUBY_NAME = 1 << 21  # names may end in ? or !

K_IDENT, K_PROPERTY, K_VARIABLE, K_STRING, K_NUMBER, K_PUNCT = 1, 2, 3, 4, 5, 6  # kinds of token

_JS = LEX_SLASH | LEX_BT_TEMPLATE | LEX_REGEX | LEX_DOLLAR_ID
LEX_FLAGS: dict[str, int] = {
    "python": LEX_HASH | LEX_TRIPLE | LEX_PY_PREFIX,
    "javascript": _JS, "typescript": _JS, "tsx": _JS,
    "java": LEX_SLASH | LEX_TRIPLE | LEX_DOLLAR_ID,
    "c": LEX_SLASH | LEX_CPP_PREFIX, "cpp": LEX_SLASH | LEX_CPP_PREFIX,
    "csharp": LEX_SLASH | LEX_CS_STRING,
    "go": LEX_SLASH | LEX_BT_RAW,
    "rust": LEX_SLASH | LEX_NEST | LEX_SQ_CHAR | LEX_RUST_RAW | LEX_MULTILINE,
    "ruby": LEX_HASH | LEX_BT_STRING | LEX_REGEX | LEX_AT_VAR | LEX_DOLLAR_VAR | LEX_HEREDOC | LEX_RUBY_DOC
            | LEX_MULTILINE | LEX_RUBY_NAME,
    "php": LEX_SLASH | LEX_HASH | LEX_BT_STRING | LEX_DOLLAR_VAR | LEX_HEREDOC | LEX_MULTILINE,
    "bash": LEX_SH_HASH | LEX_BT_STRING | LEX_SQ_RAW | LEX_DOLLAR_VAR | LEX_HEREDOC | LEX_MULTILINE,
}  # fmt: skip

# Longest first: the first that matches is taken.
OPERATORS = tuple(
    b">>>= === !== **= <<= >>= >>> ... <=> &&= ||= ??= //= == != <= >= && || ++ -- += -= *= /= %= &= |= ^= "
    b"<< >> ** -> => :: ?? ?. := .. //".split()
)
REGEX_AFTER = frozenset(
    b"return typeof instanceof in of new delete void throw case do else yield await if unless when and or not "
    b"while until".split()
)
_CPP_PREFIXES = (b"L", b"u", b"U", b"u8")
# Kinds of block found open to the end (the D_* enum of _ctokens.c).
D_COMMENT, D_RUBY_DOC, D_TRIPLE_DQ, D_TRIPLE_SQ, D_DQ, D_SQ, D_BACKTICK = 1, 2, 4, 8, 16, 32, 64
D_VERBATIM, D_HEREDOC, D_CPP_RAW, D_RUST_RAW = 128, 256, 512, 1024
_HEREDOC_MAX = 64


@dataclass(frozen=True, eq=False)
class Lexed:
    """The tokens of one text: byte ranges, K_* kinds, and where a block opens and never closes."""

    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    kinds: np.ndarray  # uint8
    unclosed: int  # -1 for none


def lex(src: bytes, flags: int) -> Lexed:
    """The tokens of ``src`` (UTF-8 code) with the options ``flags``: compiled where built."""
    from creditline.core import native

    if native.ext is None:
        return lex_python(src, flags)
    # outputs for up to one token per byte, kept for the thread's next text (fresh memory costs
    # a page fault per 4 KiB: for a text of n bytes, 17n bytes that few tokens ever fill)
    starts, ends, kinds = native.scratch("code_lex", len(src), (np.int64, np.int64, np.uint8))
    count, unclosed = native.ext.code_lex(src, flags, starts, ends, kinds)
    return Lexed(starts[:count].copy(), ends[:count].copy(), kinds[:count].copy(), unclosed)


def _letter(c: int) -> bool:
    return 97 <= c <= 122 or 65 <= c <= 90


def _id_start(c: int, flags: int) -> bool:
    return _letter(c) or c == 95 or c >= 0x80 or (c == 36 and bool(flags & LEX_DOLLAR_ID))


def _id_char(c: int, flags: int) -> bool:
    return _id_start(c, flags) or 48 <= c <= 57


def _digit(c: int) -> bool:
    return 48 <= c <= 57


_SPACE = frozenset(b" \t\n\r\f\v")


def _quoted(s: bytes, n: int, i: int, q: int, escapes: bool, multiline: bool) -> tuple[int, bool]:
    while i < n:
        c = s[i]
        if c == q:
            return i + 1, True
        if c == 92 and escapes and i + 1 < n:
            i += 2
            continue
        if c == 10 and not multiline:
            return i, True
        i += 1
    return n, False


def _until(s: bytes, n: int, i: int, needle: bytes) -> tuple[int, bool]:
    at = s.find(needle, i)
    return (n, False) if at < 0 else (at + len(needle), True)


def _heredoc(s: bytes, n: int, i: int, delim: bytes) -> tuple[int, bool]:
    while i < n:
        j = i
        while j < n and s[j] in (32, 9):
            j += 1
        if s.startswith(delim, j) and (j + len(delim) == n or not _id_char(s[j + len(delim)], 0)):
            return j + len(delim), True
        while i < n and s[i] != 10:
            i += 1
        if i < n:
            i += 1
    return n, False


def _template(s: bytes, n: int, i: int) -> tuple[int, bool]:
    depth = 0
    while i < n:
        c = s[i]
        if c == 92 and i + 1 < n:
            i += 2
            continue
        if depth == 0 and c == 96:
            return i + 1, True
        if c == 36 and i + 1 < n and s[i + 1] == 123:
            depth += 1
            i += 2
            continue
        if depth > 0 and c == 123:
            depth += 1
        elif depth > 0 and c == 125:
            depth -= 1
        i += 1
    return n, False


def _regex(s: bytes, n: int, i: int) -> int:
    klass = False
    while i < n and s[i] != 10:
        c = s[i]
        if c == 92 and i + 1 < n and s[i + 1] != 10:
            i += 2
            continue
        if c == 91:
            klass = True
        elif c == 93:
            klass = False
        elif c == 47 and not klass:
            i += 1
            while i < n and _letter(s[i]):
                i += 1
            return i
        i += 1
    return 0


class _Lexer:
    def __init__(self, s: bytes, flags: int) -> None:
        self.s, self.n, self.flags = s, len(s), flags
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.kinds: list[int] = []
        self.unclosed = -1
        self.dead = 0  # D_* kinds of block found open to the end

    def emit(self, start: int, end: int, kind: int) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.kinds.append(kind)

    def fail(self, start: int, length: int, dead: int) -> int:
        if self.unclosed < 0:
            self.unclosed = start
        self.dead |= dead
        self.emit(start, start + length, K_PUNCT)
        return start + length

    def block(self, start: int, end: int, closed: bool, length: int, dead: int) -> int:
        if not closed:
            return self.fail(start, length, dead)
        self.emit(start, end, K_STRING)
        return end

    def string(self, start: int, q: int) -> int:
        s, n, flags = self.s, self.n, self.flags
        c = s[q]
        if flags & LEX_TRIPLE and q + 2 < n and s[q + 1] == c and s[q + 2] == c:
            dead = D_TRIPLE_DQ if c == 34 else D_TRIPLE_SQ
            if self.dead & dead:
                return self.fail(start, q + 3 - start, dead)
            j, closed = q + 3, False
            while j < n:
                if s[j] == 92:
                    j += 2
                    continue
                if s[j] == c and j + 2 < n and s[j + 1] == c and s[j + 2] == c:
                    closed = True
                    j += 3
                    break
                j += 1
            return self.block(start, j, closed, q + 3 - start, dead)
        raw = c == 39 and bool(flags & LEX_SQ_RAW)
        multiline = bool(flags & LEX_MULTILINE)
        dead = D_DQ if c == 34 else D_SQ
        if multiline and self.dead & dead:
            return self.fail(start, q + 1 - start, dead)
        end, closed = _quoted(s, n, q + 1, c, not raw, multiline)
        return self.block(start, end, closed or not multiline, q + 1 - start, dead)

    def prefixed(self, i: int, j: int) -> int:
        s, n, flags = self.s, self.n, self.flags
        length = j - i
        if j >= n:
            return 0
        if flags & LEX_RUST_RAW and (length == 1 or (length == 2 and s[i] == 98)) and s[j - 1] == 114 \
                and s[j] in (34, 35):  # fmt: skip
            h = j
            while h < n and s[h] == 35 and h - j < 16:
                h += 1
            if h < n and s[h] == 34:
                if self.dead & D_RUST_RAW:
                    return self.fail(i, h + 1 - i, D_RUST_RAW)
                end, closed = _until(s, n, h + 1, b'"' + b"#" * (h - j))
                return self.block(i, end, closed, h + 1 - i, D_RUST_RAW)
            return 0
        if s[j] not in (34, 39):
            return 0
        if flags & LEX_CPP_PREFIX and s[j] == 34 and s[j - 1] == 82 and (length == 1 or s[i : j - 1] in _CPP_PREFIXES):
            d = j + 1
            while d < n and d - (j + 1) < 16 and s[d] not in (40, 34) and s[d] not in _SPACE:
                d += 1
            if d < n and s[d] == 40:
                if self.dead & D_CPP_RAW:
                    return self.fail(i, d + 1 - i, D_CPP_RAW)
                end, closed = _until(s, n, d + 1, b")" + s[j + 1 : d] + b'"')
                return self.block(i, end, closed, d + 1 - i, D_CPP_RAW)
            return 0
        prefix = bool(flags & LEX_PY_PREFIX) and length <= 2 and all(b in b"rRbBuUfF" for b in s[i:j])
        if flags & LEX_CPP_PREFIX and s[i:j] in _CPP_PREFIXES:
            prefix = True
        if flags & LEX_RUST_RAW and length == 1 and s[i] == 98:
            prefix = True
        if not prefix or (s[j] == 39 and flags & LEX_SQ_CHAR and not flags & LEX_RUST_RAW):
            return 0
        if s[j] == 39 and flags & LEX_SQ_CHAR:
            end = _quoted(s, n, j + 1, 39, True, False)[0]
            self.emit(i, end, K_STRING)
            return end
        return self.string(i, j)

    def operand_expected(self) -> bool:
        if not self.kinds:
            return True
        token = self.s[self.starts[-1] : self.ends[-1]]
        if self.kinds[-1] == K_PUNCT:
            return token not in (b")", b"]", b"}")
        return self.kinds[-1] == K_IDENT and token in REGEX_AFTER

    def run(self) -> None:  # noqa: C901, PLR0912, PLR0915 - one state machine, as in _ctokens.c
        s, n, flags = self.s, self.n, self.flags
        i = 0
        heredoc = b""
        while i < n:
            c = s[i]
            start = i
            if c == 10 and heredoc:
                if not self.dead & D_HEREDOC:
                    end, closed = _heredoc(s, n, i + 1, heredoc)
                    if not closed:
                        if self.unclosed < 0:
                            self.unclosed = i + 1
                        self.dead |= D_HEREDOC
                    elif end > i + 1:
                        self.emit(i + 1, end, K_STRING)
                        i = end
                heredoc = b""
                continue
            if c in _SPACE:
                i += 1
                continue
            if c == 92 and i + 1 < n and (s[i + 1] == 10 or (s[i + 1] == 13 and i + 2 < n and s[i + 2] == 10)):
                i += 2 if s[i + 1] == 10 else 3
                continue
            if flags & LEX_SLASH and c == 47 and i + 1 < n and s[i + 1] == 47:
                i = s.find(b"\n", i)
                i = n if i < 0 else i
                continue
            if flags & LEX_SLASH and c == 47 and i + 1 < n and s[i + 1] == 42:
                if self.dead & D_COMMENT:
                    i = self.fail(start, 2, D_COMMENT)
                    continue
                depth = 1
                i += 2
                while i < n and depth > 0:
                    if s[i] == 42 and i + 1 < n and s[i + 1] == 47:
                        depth -= 1
                        i += 2
                    elif flags & LEX_NEST and s[i] == 47 and i + 1 < n and s[i + 1] == 42:
                        depth += 1
                        i += 2
                    else:
                        i += 1
                if depth > 0:
                    i = self.fail(start, 2, D_COMMENT)
                continue
            if c == 35 and (flags & LEX_HASH or (flags & LEX_SH_HASH and (i == 0 or s[i - 1] in _SPACE
                                                                          or s[i - 1] in b";(|&"))):  # fmt: skip
                i = s.find(b"\n", i)
                i = n if i < 0 else i
                continue
            if flags & LEX_RUBY_DOC and c == 61 and (i == 0 or s[i - 1] == 10) and s.startswith(b"=begin", i):
                closed = False
                if not self.dead & D_RUBY_DOC:
                    i, closed = _until(s, n, i + 6, b"\n=end")
                if not closed:
                    i = self.fail(start, 6, D_RUBY_DOC)
                    continue
                i = s.find(b"\n", i)
                i = n if i < 0 else i
                continue
            if c == 34 or (c == 39 and not flags & LEX_SQ_CHAR):
                i = self.string(start, i)
                continue
            if c == 39:
                j = i + 1
                if j < n and s[j] == 92:
                    j += 2
                elif j < n:
                    j += 1
                    while j < n and (s[j] & 0xC0) == 0x80:
                        j += 1
                if j < n and s[j] == 39 and j > i + 1:
                    self.emit(start, j + 1, K_STRING)
                    i = j + 1
                    continue
                if i + 2 < n and s[i + 1] == 92:
                    end = _quoted(s, n, i + 1, 39, True, False)[0]
                    self.emit(start, end, K_STRING)
                    i = end
                    continue
                self.emit(start, i + 1, K_PUNCT)
                i += 1
                continue
            if c == 96 and flags & (LEX_BT_RAW | LEX_BT_TEMPLATE | LEX_BT_STRING):
                end, closed = i + 1, False
                if self.dead & D_BACKTICK:
                    pass
                elif flags & LEX_BT_TEMPLATE:
                    end, closed = _template(s, n, i + 1)
                else:
                    end, closed = _quoted(s, n, i + 1, 96, bool(flags & LEX_BT_STRING), True)
                i = self.block(start, end, closed, 1, D_BACKTICK)
                continue
            if flags & LEX_CS_STRING and c in (64, 36) and i + 1 < n:
                j = i + 1
                verbatim = c == 64
                if j < n and s[j] in (64, 36) and s[j] != c:
                    verbatim = True
                    j += 1
                if j < n and s[j] == 34:
                    if verbatim:
                        opener = j + 1 - start
                        j += 1
                        closed = False
                        while j < n and not self.dead & D_VERBATIM:
                            if s[j] == 34 and j + 1 < n and s[j + 1] == 34:
                                j += 2
                            elif s[j] == 34:
                                closed = True
                                j += 1
                                break
                            else:
                                j += 1
                        i = self.block(start, j, closed, opener, D_VERBATIM)
                        continue
                    j = _quoted(s, n, j + 1, 34, True, False)[0]
                    self.emit(start, j, K_STRING)
                    i = j
                    continue
                if c == 64 and _id_start(s[i + 1], flags):
                    j = i + 1
                    while j < n and _id_char(s[j], flags):
                        j += 1
                    self.emit(start, j, K_IDENT)
                    i = j
                    continue
            if flags & LEX_HEREDOC and c == 60 and i + 2 < n and s[i + 1] == 60 and not heredoc:
                j = i + 2
                php = s[j] == 60
                if php or s[j] in (45, 126):
                    j += 1
                if php or flags & LEX_SH_HASH:
                    while j < n and s[j] == 32:
                        j += 1
                quote = 0
                if j < n and s[j] in (39, 34):
                    quote = s[j]
                    j += 1
                d = j
                while j < n and s[j] < 0x80 and _id_char(s[j], 0):
                    j += 1
                if j > d and j - d <= _HEREDOC_MAX and not _digit(s[d]) and (not quote or (j < n and s[j] == quote)):
                    heredoc = s[d:j]
                    if quote:
                        j += 1
                    self.emit(start, j, K_PUNCT)
                    i = j
                    continue
            if _id_start(c, flags):
                j = i + 1
                while j < n and _id_char(s[j], flags):
                    j += 1
                if flags & LEX_RUBY_NAME and j < n and s[j] in (63, 33) and not (j + 1 < n and s[j + 1] == 61):
                    j += 1
                after = self.prefixed(i, j)
                if after > 0:
                    i = after
                    continue
                kind = K_IDENT
                if self.kinds and self.kinds[-1] == K_PUNCT \
                        and self.s[self.starts[-1] : self.ends[-1]] in (b".", b"?.", b"->"):  # fmt: skip
                    kind = K_PROPERTY
                self.emit(start, j, kind)
                i = j
                continue
            if flags & LEX_DOLLAR_VAR and c == 36 and i + 1 < n:
                j = i + 1
                if s[j] == 123:
                    while j < n and s[j] not in (125, 10):
                        j += 1
                    j = j + 1 if j < n and s[j] == 125 else j
                elif _id_start(s[j], flags):
                    while j < n and _id_char(s[j], flags):
                        j += 1
                elif _digit(s[j]) or s[j] in b"@*#?$!-":
                    j += 1
                if j > i + 1:
                    self.emit(start, j, K_VARIABLE)
                    i = j
                    continue
            if flags & LEX_AT_VAR and c == 64:
                j = i + 1
                if j < n and s[j] == 64:
                    j += 1
                if j < n and _id_start(s[j], flags):
                    while j < n and _id_char(s[j], flags):
                        j += 1
                    self.emit(start, j, K_VARIABLE)
                    i = j
                    continue
            if _digit(c) or (c == 46 and i + 1 < n and _digit(s[i + 1])):
                j = i + 1
                hexadecimal = c == 48 and j < n and s[j] in (120, 88)
                while j < n:
                    d = s[j]
                    if _digit(d) or _letter(d) or d in (95, 39):
                        j += 1
                    elif d == 46 and j + 1 < n and _digit(s[j + 1]):
                        j += 1
                    elif d in (43, 45) and (s[j - 1] in (112, 80) if hexadecimal else s[j - 1] in (101, 69)):
                        j += 1
                    else:
                        break
                if s[j - 1] == 39:
                    j -= 1
                self.emit(start, j, K_NUMBER)
                i = j
                continue
            if flags & LEX_REGEX and c == 47 and self.operand_expected():
                end = _regex(s, n, i + 1)
                if end > 0:
                    self.emit(start, end, K_STRING)
                    i = end
                    continue
            length = 1
            for op in OPERATORS:
                if op[0] == c and s.startswith(op, i):
                    length = len(op)
                    break
            self.emit(start, i + length, K_PUNCT)
            i += length


def lex_python(src: bytes, flags: int) -> Lexed:
    """:func:`lex` without the compiled extension: the same tokens, in Python (slow)."""
    lexer = _Lexer(src, flags)
    lexer.run()
    return Lexed(np.asarray(lexer.starts, dtype=np.int64), np.asarray(lexer.ends, dtype=np.int64),
                 np.asarray(lexer.kinds, dtype=np.uint8), lexer.unclosed)  # fmt: skip
