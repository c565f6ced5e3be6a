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

Code (``kind="code"``): the leaves of a tree-sitter parse (grammars bundled in
``tree-sitter-language-pack`` 0.13, no download). Comments, whitespace-only tokens and
zero-width (error-recovery) tokens are dropped; a string literal is one token, its whole source
text. The token text is hashed as UTF-8 bytes without case folding. Two channels:

- ``exact`` ("normalised" channel): the hash of each token's source text;
- ``renamed``: identifiers become one placeholder per identifier kind (``identifier``,
  ``type_identifier``, ``property_identifier``...), string literals ``\\0string`` and number
  literals ``\\0number``, so renaming variables or changing constants does not hide a copy.

Walking the tree is per-node Python work (a few attribute reads on a tree cursor per node, about
1 µs each), so code tokenises one to two orders of magnitude slower than prose.
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

from tree_sitter import Language, Parser, Tree
from tree_sitter_language_pack import get_language

TOKEN_SEED = 0x6372_6564_6974_6C6E  # ASCII "creditln"; part of the catalog's hash_seed
PLACEHOLDER_STRING = b"\0string"
PLACEHOLDER_NUMBER = b"\0number"
# Openers and closers of the blocks a code fragment may start inside (see _parse), per grammar.
_BLOCK_COMMENT = (b"/*", b"*/")
FRAGMENT_OPENERS: dict[str, tuple[tuple[bytes, bytes], ...]] = {
    "python": ((b'"""', b'"""'), (b"'''", b"'''")),
    "javascript": (_BLOCK_COMMENT, (b"`", b"`")), "typescript": (_BLOCK_COMMENT, (b"`", b"`")),
    "tsx": (_BLOCK_COMMENT, (b"`", b"`")), "go": (_BLOCK_COMMENT, (b"`", b"`")),
    "java": (_BLOCK_COMMENT,), "c": (_BLOCK_COMMENT,), "cpp": (_BLOCK_COMMENT,), "csharp": (_BLOCK_COMMENT,),
    "rust": (_BLOCK_COMMENT,),
}  # fmt: skip
FRAGMENT_GAIN = 0.5
FRAGMENT_HEAD = 0.5  # an opener's block must close within this share of a fragment (see _parse)

_ASCII_WORD_BYTES = np.zeros(256, dtype=bool)
_ASCII_WORD_BYTES[[*range(48, 58), *range(65, 91), *range(97, 123)]] = True

_EXTENSIONS = {
    "py": "python", "pyi": "python", "js": "javascript", "jsx": "javascript", "mjs": "javascript",
    "cjs": "javascript", "ts": "typescript", "tsx": "tsx", "java": "java", "c": "c", "h": "c",
    "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "hpp": "cpp", "hh": "cpp", "cs": "csharp", "go": "go",
    "rs": "rust", "rb": "ruby", "php": "php", "sh": "bash", "bash": "bash",
}  # fmt: skip
LANGUAGES = tuple(sorted(set(_EXTENSIONS.values())))
_SHEBANG = re.compile(r"#![^\n]*?\b(python|node|bash|sh|ruby|php)[0-9.]*\b")
_SHEBANG_LANGUAGES = {"python": "python", "node": "javascript", "bash": "bash", "sh": "bash", "ruby": "ruby",
                      "php": "php"}  # fmt: skip

_STRING_KINDS = frozenset(
    """
    string template_string string_literal raw_string_literal char_literal character_literal character
    interpreted_string_literal rune_literal verbatim_string_literal interpolated_string_expression
    encapsed_string heredoc nowdoc_string heredoc_body raw_string ansi_c_string translated_string
    system_lib_string jsx_text text bare_string
""".split()
)
_NUMBER_KINDS = frozenset(
    """
    integer float number number_literal integer_literal float_literal real_literal int_literal
    imaginary_literal decimal_integer_literal hex_integer_literal octal_integer_literal
    binary_integer_literal decimal_floating_point_literal hex_floating_point_literal
""".split()
)
_IDENTIFIER_KINDS = frozenset(
    """
    identifier name variable_name constant instance_variable class_variable global_variable metavariable
""".split()
)
_DROPPED_KINDS = frozenset({"line_continuation"})


@dataclass(frozen=True, eq=False)
class TokenStream:
    """Token hashes of one text and where each token is in it (arrays compare by identity)."""

    kind: str  # "prose" or "code"
    language: str | None  # tree-sitter grammar name for code
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
    """:func:`token_hash` of every span ``src[starts[i]:ends[i]]``, each distinct one hashed
    once: the distinct spans are found in one compiled pass (bytes compared, no Python object
    per token) where the C extension was built, else by :func:`_hash_distinct`."""
    if _native.ext is None:
        return _hash_distinct(list(map(src.__getitem__, map(slice, starts.tolist(), ends.tolist()))), token_hash)
    first, inverse = np.empty(len(starts), dtype=np.int64), np.empty(len(starts), dtype=np.int64)
    n = _native.ext.distinct_spans(src, starts, ends, first, inverse)
    first = first[:n]
    pieces = map(src.__getitem__, map(slice, starts[first].tolist(), ends[first].tolist()))
    return np.fromiter(map(token_hash, pieces), dtype=np.uint64, count=n)[inverse]


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

    ASCII text: lower-casing is the whole normal form of an ASCII word, so the lower-cased word
    runs (:func:`~creditline.core.charclass.ascii_words`) are
    hashed as they are, once per distinct word."""
    if text.isascii():
        words = ascii_words(text)
        hashes = np.fromiter(map(_hash_bytes, words.distinct), dtype=np.uint64, count=len(words.distinct))
        return TokenStream("prose", None, hashes[words.inverse], None, words.starts, words.ends)
    words, starts, ends = prose_words(text)
    return TokenStream("prose", None, _hash_distinct(words, word_hash), None, starts, ends)


# --- code --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Grammar:
    language: Language
    opaque: frozenset[int]  # kind ids not descended into: comments and string literals
    dropped: frozenset[int]  # kind ids that are not tokens: comments, whitespace
    abstract: np.ndarray  # bool per kind id (one more for ERROR nodes): replaced in the renamed channel
    placeholder: np.ndarray  # uint64 per kind id (one more for ERROR nodes): the renamed channel's hash


def _placeholder(name: str) -> bytes | None:
    """The renamed-channel stand-in for tokens of a named kind, None to keep the token."""
    if name in _STRING_KINDS:
        return PLACEHOLDER_STRING
    if name in _NUMBER_KINDS:
        return PLACEHOLDER_NUMBER
    if name in _IDENTIFIER_KINDS or name.endswith("_identifier"):
        return b"\0" + name.encode()
    return None


@functools.cache
def _grammar(name: str) -> _Grammar:
    """Kind tables for one bundled grammar (raises LookupError for an unknown name)."""
    language = get_language(name)  # type: ignore[arg-type]
    count = language.node_kind_count
    kinds = [(language.node_kind_for_id(i) or "", language.node_kind_is_named(i)) for i in range(count)]
    comments = {i for i, (k, named) in enumerate(kinds) if named and "comment" in k}
    strings = {i for i, (k, named) in enumerate(kinds) if named and k in _STRING_KINDS}
    blank = {i for i, (k, named) in enumerate(kinds) if not k.strip() or (named and k in _DROPPED_KINDS)}
    stand_ins = [_placeholder(k) if named else None for k, named in kinds] + [None]  # last: ERROR (id 65535)
    placeholder = np.asarray([token_hash(p) if p else 0 for p in stand_ins], dtype=np.uint64)
    abstract = np.asarray([p is not None for p in stand_ins], dtype=bool)
    return _Grammar(language, frozenset(comments | strings), frozenset(comments | blank), abstract, placeholder)


def _leaves(tree: Tree, grammar: _Grammar) -> tuple[list[int], list[int], list[int]]:
    """Kind id, start byte and end byte of every token leaf, in source order.

    An iterative pre-order walk with a tree cursor: per node one ``node``, one ``kind_id`` and
    one move; leaves (and opaque nodes, whose children are skipped) add two byte offsets.
    """
    kinds: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = tree.walk()
    opaque, dropped = grammar.opaque, grammar.dropped
    if not cursor.goto_first_child():
        return kinds, starts, ends
    while True:
        node = cursor.node
        kind = node.kind_id  # type: ignore[union-attr]
        if kind in opaque or not cursor.goto_first_child():
            if kind not in dropped:
                kinds.append(kind)
                starts.append(node.start_byte)  # type: ignore[union-attr]
                ends.append(node.end_byte)  # type: ignore[union-attr]
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return kinds, starts, ends


def _char_offsets(src: bytes, text: str, byte_offsets: np.ndarray) -> np.ndarray:
    """Character offsets in ``text`` of byte offsets in ``src`` (its UTF-8 encoding)."""
    if len(src) == len(text):
        return byte_offsets
    lead = (np.frombuffer(src, dtype=np.uint8) & 0xC0) != 0x80
    chars_before = np.zeros(len(src) + 1, dtype=np.int64)
    np.cumsum(lead, out=chars_before[1:])
    return chars_before[byte_offsets]


def _unread(tree: Tree, grammar: _Grammar, skip: int) -> int:
    """Bytes of a parse not read as code: inside ERROR nodes (one per MISSING node), comments
    or string literals, not counting the first ``skip`` bytes. Only for fragments (small)."""
    total = 0
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node.is_error or node.is_missing or node.kind_id in grammar.opaque:  # type: ignore[union-attr]
            total += max(node.end_byte - max(node.start_byte, skip), 1)  # type: ignore[union-attr]
        elif cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return total


def _parse(parser: Parser, grammar: _Grammar, src: bytes, language: str, fragment: bool) -> tuple[Tree, int]:
    """The parse of ``src``, and the length of an opener put before it (0: none).

    A code fragment (an answer that quotes part of a file) may start inside a docstring or a
    block comment; parsed as is, its comment reads as code and its code as a string. So, for a
    ``fragment`` whose parse has errors, the text is parsed again behind each opener of such
    blocks the language has (FRAGMENT_OPENERS) whose closer it holds:

    - a block whose closer differs from its opener (``/* */``) is taken when the text closes
      one before it opens one: that is unambiguous;
    - otherwise (Python's triple quotes, a backtick) the parse that reads the most bytes as code (not in
      errors, comments or strings) wins, an opener only when it leaves at most FRAGMENT_GAIN of
      the bytes the text as is leaves unread: a fragment that starts mid-statement also parses
      with errors, and an opener that turns all of it into one string "reads" a little more of
      it without being right. The block the opener opens (the head of the fragment, inside a
      docstring) is not counted as unread when it closes within the first FRAGMENT_HEAD of the
      text, and the opener is not taken when it does not: the code after it keeps docstrings
      of its own, strings in every reading, which would otherwise outweigh the gain."""
    tree = parser.parse(src)
    if not (fragment and tree.root_node.has_error):
        return tree, 0
    chosen, fewest = (tree, 0), -1.0
    for opener, closer in FRAGMENT_OPENERS.get(language, ()):
        close = src.find(closer)
        if close < 0:
            continue
        if opener != closer:
            opened = src.find(opener)
            if opened < 0 or close < opened:
                return parser.parse(opener + src), len(opener)
            continue
        if fewest < 0:
            fewest = _unread(tree, grammar, 0) * FRAGMENT_GAIN
        again = parser.parse(opener + src)
        head = _head(again, grammar, len(opener))
        if head > FRAGMENT_HEAD * len(src):
            continue
        unread = _unread(again, grammar, len(opener)) - head
        if unread <= fewest:
            fewest, chosen = unread, (again, len(opener))
    return chosen


def _head(tree: Tree, grammar: _Grammar, skip: int) -> int:
    """Bytes of the text in the block an opener put before it opens (0 when the parse does not
    begin with such a block): the part of a fragment that was inside a docstring."""
    node = tree.root_node
    while node.child_count and node.kind_id not in grammar.opaque:
        node = node.children[0]
    return max(node.end_byte - skip, 0) if node.start_byte == 0 and node.kind_id in grammar.opaque else 0


def code_tokens(text: str, language: str, fragment: bool = False) -> TokenStream:
    """Tokens of source code in ``language`` (a tree-sitter-language-pack name).

    ``fragment``: the text may be part of a file (a traced answer), which may start inside a
    docstring or a block comment (see :func:`_parse`); catalogued files are parsed as they are.
    Falls back to :func:`prose_tokens` when the grammar is unknown or cannot be loaded.
    """
    try:
        grammar = _grammar(language)
        src = text.encode("utf-8", "surrogatepass")
        tree, shift = _parse(Parser(grammar.language), grammar, src, language, fragment)
    except (LookupError, ValueError, RuntimeError, OSError):
        return prose_tokens(text)
    kinds, starts, ends = (np.asarray(v, dtype=np.int64) for v in _leaves(tree, grammar))
    # Zero-width leaves are tokens inserted by error recovery; leaves that start in an opener
    # put before a fragment are not the text's.
    keep = (ends > starts) & (starts >= shift)
    kinds = np.minimum(kinds[keep], len(grammar.abstract) - 1)
    starts, ends = starts[keep] - shift, ends[keep] - shift
    exact = _span_hashes(src, starts, ends)
    renamed = np.where(grammar.abstract[kinds], grammar.placeholder[kinds], exact)
    return TokenStream("code", language, exact, renamed, _char_offsets(src, text, starts),
                       _char_offsets(src, text, ends))  # fmt: skip
