"""Text normalisation: token hashes with offsets back to the original text.

A text becomes a :class:`TokenStream`: one uint64 per token plus the character offsets of each
token in the text as given, so fingerprint hits map back to spans of the original.

Token hashes (stable across processes, platforms and releases; never Python's ``hash()``)
are ``xxh3_64(utf8_bytes, seed=TOKEN_SEED)`` (xxHash XXH3, 64-bit, as in the ``xxhash``
package's ``xxh3_64_intdigest``). Only *distinct* token strings are hashed: a dict keeps
the first occurrence of each, so the cost of hashing grows with the vocabulary, not the text.

Prose (``kind="prose"``): a word is a maximal run of letters, digits (``str.isalnum``, Python's
``\\w`` without ``_``) and combining marks (Unicode category M), so a decomposed ``é`` does not
split a word. Each word is normalised by :func:`normalize_word`
(``NFKC(casefold(NFKC(w)))``); punctuation and whitespace are not tokens, so reflowing,
re-wrapping or re-casing a text leaves its tokens unchanged. Word boundaries follow the
running Python's Unicode database (Python 3.11: Unicode 14.0).

Code (``kind="code"``): the tokens of creditline's lexer (:mod:`creditline.core.codelex`: names,
numbers, string literals, operators; comments and white space dropped; a string literal is one
token, its whole source text). The token text is hashed as UTF-8 bytes without case folding.
Two channels:

- ``exact`` ("normalised" channel): the hash of each token's source text;
- ``renamed``: names that are not the language's reserved words (KEYWORDS) become
  ``\\0identifier``, names after ``.``/``->`` ``\\0property_identifier``, ``$``/``@`` variables
  ``\\0variable_name``, string and regex literals ``\\0string`` and numbers ``\\0number``, so
  renaming variables or changing constants does not hide a copy.

The lexer reads the bytes once in compiled code (86 MB/s on the benchmark machine); hashing costs one xxh3 per
distinct token.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from creditline.core import native as _native
from creditline.core.charclass import CodepointTable, ascii_words, codepoints, runs
from creditline.core.codelex import K_STRING, K_VARIABLE, LEX_FLAGS, Lexed, lex

TOKEN_SEED = 0x6372_6564_6974_6C6E  # ASCII "creditln"; part of the catalog's hash_seed
PLACEHOLDER_STRING = b"\0string"
PLACEHOLDER_NUMBER = b"\0number"
# Openers and closers of the blocks a code fragment may start inside (see _fragment_lexed).
_BLOCK_COMMENT = (b"/*", b"*/")
FRAGMENT_OPENERS: dict[str, tuple[tuple[bytes, bytes], ...]] = {
    "python": ((b'"""', b'"""'), (b"'''", b"'''")), "java": (_BLOCK_COMMENT, (b'"""', b'"""')),
    "javascript": (_BLOCK_COMMENT, (b"`", b"`")), "typescript": (_BLOCK_COMMENT, (b"`", b"`")),
    "tsx": (_BLOCK_COMMENT, (b"`", b"`")), "go": (_BLOCK_COMMENT, (b"`", b"`")),
    "c": (_BLOCK_COMMENT,), "cpp": (_BLOCK_COMMENT,), "csharp": (_BLOCK_COMMENT,), "rust": (_BLOCK_COMMENT,),
    "php": (_BLOCK_COMMENT,),
}  # fmt: skip
FRAGMENT_GAIN = 0.5
FRAGMENT_HEAD = 0.5  # an opener's block must close within this share of a fragment (see _fragment_lexed)

_ASCII_WORD_BYTES = np.zeros(256, dtype=bool)
_ASCII_WORD_BYTES[[*range(48, 58), *range(65, 91), *range(97, 123)]] = True

_EXTENSIONS = {
    "py": "python", "pyi": "python", "js": "javascript", "jsx": "javascript", "mjs": "javascript",
    "cjs": "javascript", "ts": "typescript", "tsx": "tsx", "java": "java", "c": "c", "h": "c",
    "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "hpp": "cpp", "hh": "cpp", "cs": "csharp", "go": "go",
    "rs": "rust", "rb": "ruby", "php": "php", "sh": "bash", "bash": "bash",
}  # fmt: skip
_SHEBANG = re.compile(r"#![^\n]*?\b(python|node|bash|sh|ruby|php)[0-9.]*\b")
_SHEBANG_LANGUAGES = {"python": "python", "node": "javascript", "bash": "bash", "sh": "bash", "ruby": "ruby",
                      "php": "php"}  # fmt: skip



@dataclass(frozen=True, eq=False)
class TokenStream:
    """Token hashes of one text and where each token is in it (arrays compare by identity)."""

    kind: str  # "prose" or "code"
    language: str | None  # the language of code (one of LANGUAGES)
    exact: np.ndarray  # uint64 per token: hash of the normalised token text
    renamed: np.ndarray | None  # uint64 per token, identifiers and literals abstracted (code only)
    starts: np.ndarray  # int64 character offset of each token in the original text
    ends: np.ndarray  # int64 character end offset

    def __len__(self) -> int:
        return len(self.exact)


def guess_language(path: str | None, text: str) -> str | None:
    """The grammar for ``path``'s extension (or a ``#!`` line), or None for prose."""
    if path:
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        if "." in name:
            return _EXTENSIONS.get(name.rsplit(".", 1)[1].lower())
    match = _SHEBANG.match(text[:200]) if text.startswith("#!") else None
    return _SHEBANG_LANGUAGES[match.group(1)] if match else None


def tokenize(text: str, path: str | None = None, fragment: bool = False) -> TokenStream:
    """Code tokens when ``path`` (or a ``#!`` line) names a known language, prose tokens
    otherwise; ``fragment``: see :func:`code_tokens`."""
    language = guess_language(path, text)
    return code_tokens(text, language, fragment) if language else prose_tokens(text)


# --- hashing -----------------------------------------------------------------------------------


def token_hash(token: bytes) -> int:
    """The stable 64-bit hash of one token's UTF-8 bytes: ``xxh3_64(token, seed=TOKEN_SEED)``."""
    return xxhash.xxh3_64_intdigest(token, seed=TOKEN_SEED)


def normalize_word(word: str) -> str:
    """The normal form of a prose word: ``NFKC(casefold(NFKC(word)))`` (lower-casing for ASCII)."""
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", word).casefold())


def word_hash(word: str) -> int:
    """The token hash of a prose word: :func:`token_hash` of its normal form."""
    return token_hash(normalize_word(word).encode("utf-8", "surrogatepass"))


def _hash_distinct(items: Sequence[Hashable], hasher: Callable[..., int]) -> np.ndarray:
    """``hasher`` of every item, calling it once per distinct item (C-level maps, no Python loop)."""
    distinct = dict.fromkeys(items)
    values = np.fromiter(map(hasher, distinct), dtype=np.uint64, count=len(distinct))
    index = dict(zip(distinct, range(len(distinct))))
    ids = np.fromiter(map(index.__getitem__, items), dtype=np.intp, count=len(items))
    return values[ids]


def _span_hashes(src: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """:func:`token_hash` of every span ``src[starts[i]:ends[i]]``: in one compiled pass (the
    vendored xxHash) where the C extension was built, else once per distinct span by
    :func:`_hash_distinct`."""
    if _native.ext is None:
        return _hash_distinct(list(map(src.__getitem__, map(slice, starts.tolist(), ends.tolist()))), token_hash)
    out = np.empty(len(starts), dtype=np.uint64)
    _native.ext.span_hashes(src, np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(ends, dtype=np.int64),
                            TOKEN_SEED, out)
    return out


# --- prose -------------------------------------------------------------------------------------


def _is_word_char(char: str) -> bool:
    """A letter or digit (``str.isalnum``) or a combining mark."""
    return char.isalnum() or unicodedata.category(char)[0] == "M"


_WORD_CHARS = CodepointTable(_is_word_char)
WORD_CHARS = _WORD_CHARS  # letters, digits and combining marks (for other word-level code)
_ASCII_AS_WRITTEN = bytes(c if _ASCII_WORD_BYTES[c] else 32 for c in range(256))
_hash_bytes = functools.partial(xxhash.xxh3_64_intdigest, seed=TOKEN_SEED)


def prose_words(text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The words of ``text`` as written, with their start and end character offsets.

    No per-word Python code: a table lookup per code point marks word characters, the edges of
    the runs are the offsets, and the words come from one ``split`` of the text with every other
    character made a space (``bytes.translate`` for ASCII text, numpy for other text).
    """
    if text.isascii():
        raw = text.encode("ascii")
        starts, ends = runs(_ASCII_WORD_BYTES[np.frombuffer(raw, dtype=np.uint8)])
        return raw.translate(_ASCII_AS_WRITTEN).decode("ascii").split(), starts, ends
    codes = codepoints(text)
    flags = _WORD_CHARS(codes)
    starts, ends = runs(flags)
    spaced = np.where(flags, codes, np.uint32(32)).tobytes().decode("utf-32-le", "surrogatepass")
    return spaced.split(), starts, ends


def prose_tokens(text: str) -> TokenStream:
    """Case-folded, NFKC-normalised words of ``text``; punctuation and whitespace dropped.

    ASCII text: lower-casing is the whole normal form of an ASCII word, so the word runs of the
    lower-cased bytes are hashed as they are (:func:`_span_hashes`; without the C extension,
    once per distinct word of :func:`~creditline.core.charclass.ascii_words`)."""
    if text.isascii():
        if _native.ext is not None:
            raw = text.encode("ascii")
            starts, ends = runs(_ASCII_WORD_BYTES[np.frombuffer(raw, dtype=np.uint8)])
            return TokenStream("prose", None, _span_hashes(raw.lower(), starts, ends), None, starts, ends)
        words = ascii_words(text)
        hashes = np.fromiter(map(_hash_bytes, words.distinct), dtype=np.uint64, count=len(words.distinct))
        return TokenStream("prose", None, hashes[words.inverse], None, words.starts, words.ends)
    words, starts, ends = prose_words(text)
    return TokenStream("prose", None, _hash_distinct(words, word_hash), None, starts, ends)


# --- code --------------------------------------------------------------------------------------

# Reserved words (and the language's own literals such as true, null, this) keep their text in the
# renamed channel; every other name is abstracted.
_JS_WORDS = """await break case catch class const continue debugger default delete do else export extends
    finally for function if import in instanceof let new return super switch this throw try typeof var void
    while with yield async of get set static null true false undefined"""
_C_WORDS = """auto break case char const continue default do double else enum extern float for goto if inline
    int long register restrict return short signed sizeof static struct switch typedef union unsigned void
    volatile while _Bool _Complex _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local
    NULL true false bool"""
KEYWORDS: dict[str, frozenset[str]] = {name: frozenset(words.split()) for name, words in {
    "python": """False None True and as assert async await break class continue def del elif else except
        finally for from global if import in is lambda nonlocal not or pass raise return try while with yield
        match case print exec self""",
    "javascript": _JS_WORDS,
    "typescript": _JS_WORDS + """ abstract any as asserts bigint boolean declare enum implements infer
        interface is keyof module namespace never number object private protected public readonly require
        string symbol type unique unknown satisfies override accessor""",
    "java": """abstract assert boolean break byte case catch char class const continue default do double
        else enum extends final finally float for goto if implements import instanceof int interface long
        native new package private protected public return short static strictfp super switch synchronized
        this throw throws transient try void volatile while var record yield sealed permits true false null""",
    "c": _C_WORDS,
    "cpp": _C_WORDS + """ alignas alignof and and_eq asm bitand bitor catch char16_t char32_t char8_t class
        co_await co_return co_yield compl concept consteval constexpr constinit const_cast decltype delete
        dynamic_cast explicit export friend mutable namespace new noexcept not not_eq nullptr operator or
        or_eq private protected public reinterpret_cast requires static_assert static_cast template this
        thread_local throw try typeid typename using virtual wchar_t xor xor_eq override final std""",
    "csharp": """abstract as base bool break byte case catch char checked class const continue decimal
        default delegate do double else enum event explicit extern false finally fixed float for foreach goto
        if implicit in int interface internal is lock long namespace new null object operator out override
        params private protected public readonly ref return sbyte sealed short sizeof stackalloc static string
        struct switch this throw true try typeof uint ulong unchecked unsafe ushort using virtual void
        volatile while var async await get set value yield partial where dynamic nameof record init""",
    "go": """break case chan const continue default defer else fallthrough for func go goto if import
        interface map package range return select struct switch type var true false nil iota""",
    "rust": """as async await break const continue crate dyn else enum extern false fn for if impl in let
        loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where
        while union""",
    "ruby": """BEGIN END alias and begin break case class def defined? do else elsif end ensure false for if
        in module next nil not or redo rescue retry return self super then true undef unless until when while
        yield __FILE__ __LINE__""",
    "php": """abstract and array as break callable case catch class clone const continue declare default do
        echo else elseif empty enddeclare endfor endforeach endif endswitch endwhile eval exit extends final
        finally fn for foreach function global goto if implements include include_once instanceof insteadof
        interface isset list match namespace new or print private protected public readonly require
        require_once return static switch throw trait try unset use var while xor yield true false null self
        parent $this TRUE FALSE NULL""",
    "bash": """if then else elif fi case esac for select while until do done in function time coproc return
        exit local export declare readonly""",
}.items()}  # fmt: skip
KEYWORDS["tsx"] = KEYWORDS["typescript"]
LANGUAGES = tuple(sorted(LEX_FLAGS))
_KIND_PLACEHOLDERS = (None, b"\0identifier", b"\0property_identifier", b"\0variable_name", PLACEHOLDER_STRING,
                      PLACEHOLDER_NUMBER, None)  # fmt: skip


@functools.cache
def _renaming(language: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted hashes of the language's reserved words, and the renamed channel's hash per K_*
    kind (0: the token keeps its own)."""
    words = np.unique(np.asarray([token_hash(w.encode()) for w in KEYWORDS[language]], dtype=np.uint64))
    placeholder = np.asarray([token_hash(p) if p else 0 for p in _KIND_PLACEHOLDERS], dtype=np.uint64)
    return words, placeholder


def _fragment_lexed(src: bytes, language: str, flags: int) -> tuple[Lexed, int]:
    """The tokens of a fragment, and the length of an opener put before it (0: none).

    A code fragment (an answer that quotes part of a file) may start inside a docstring or a
    block comment; lexed as is, its comment reads as code and its code as a string. So the text
    is lexed again behind each opener of such blocks the language has (FRAGMENT_OPENERS) whose
    closer it holds:

    - a block whose closer differs from its opener (``/* */``) is taken when the text closes
      one before it opens one: that is unambiguous;
    - otherwise (Python's triple quotes, a backtick), only when the text as is leaves a block
      open to its end (an odd number of quotes: it starts or ends inside one). The opener is
      taken when it leaves at most FRAGMENT_GAIN of the bytes the text as is leaves in that
      open block, and when the block it opens (the head of the fragment, inside a docstring)
      closes within the first FRAGMENT_HEAD of the text: a fragment cut inside a docstring at
      its end has an odd number of quotes too, and an opener would turn its code into a string."""
    lexed = lex(src, flags)
    fewest = -1.0
    chosen = (lexed, 0)
    for opener, closer in FRAGMENT_OPENERS.get(language, ()):
        close = src.find(closer)
        if close < 0:
            continue
        if opener != closer:
            opened = src.find(opener)
            if opened < 0 or close < opened:
                return lex(opener + src, flags), len(opener)
            continue
        if lexed.unclosed < 0:
            continue
        if fewest < 0:
            fewest = (len(src) - lexed.unclosed) * FRAGMENT_GAIN
        again = lex(opener + src, flags)
        opens = len(again.starts) and again.starts[0] == 0 and again.kinds[0] == K_STRING
        head = int(again.ends[0]) - len(opener) if opens else 0
        if head > FRAGMENT_HEAD * len(src):
            continue
        unread = len(opener) + len(src) - again.unclosed if again.unclosed >= 0 else 0
        if unread <= fewest:
            fewest, chosen = unread, (again, len(opener))
    return chosen


def code_tokens(text: str, language: str, fragment: bool = False) -> TokenStream:
    """Tokens of source code in ``language`` (one of LANGUAGES), from creditline's lexer.

    ``fragment``: the text may be part of a file (a traced answer), which may start inside a
    docstring or a block comment (see :func:`_fragment_lexed`); catalogued files are lexed as
    they are. Falls back to :func:`prose_tokens` for an unknown language.
    """
    flags = LEX_FLAGS.get(language)
    if flags is None:
        return prose_tokens(text)
    src = text.encode("utf-8", "surrogatepass")
    lexed, shift = _fragment_lexed(src, language, flags) if fragment else (lex(src, flags), 0)
    keep = (lexed.ends > lexed.starts) & (lexed.starts >= shift)  # not the opener's tokens
    starts, ends, kinds = lexed.starts[keep] - shift, lexed.ends[keep] - shift, lexed.kinds[keep]
    exact = _span_hashes(src, starts, ends)
    words, placeholder = _renaming(language)
    named = kinds <= K_VARIABLE
    reserved = named.copy()
    found = np.minimum(np.searchsorted(words, exact[named]), len(words) - 1)
    reserved[named] = words[found] == exact[named]
    renamed = np.where(reserved | (placeholder[kinds] == 0), exact, placeholder[kinds])
    return TokenStream("code", language, exact, renamed, _char_offsets(src, text, starts),
                       _char_offsets(src, text, ends))  # fmt: skip


def _char_offsets(src: bytes, text: str, byte_offsets: np.ndarray) -> np.ndarray:
    """Character offsets in ``text`` of byte offsets in ``src`` (its UTF-8 encoding)."""
    if len(src) == len(text):
        return byte_offsets
    lead = (np.frombuffer(src, dtype=np.uint8) & 0xC0) != 0x80
    chars_before = np.zeros(len(src) + 1, dtype=np.int64)
    np.cumsum(lead, out=chars_before[1:])
    return chars_before[byte_offsets]
