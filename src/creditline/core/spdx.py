"""SPDX license expressions: parse, validate, normalise, combine, convert from ScanCode keys.

A thin layer over ``license-expression`` (aboutcode-org) that adds what creditline needs:
errors that always carry a position and token (:class:`creditline.errors.ExpressionError`),
deprecated ``-with-`` ids expanded into ``WITH`` expressions, validation that lists every
problem at once, and order-preserving deduplication when expressions are joined.

>>> normalize("gpl-2.0+ or mit")
'GPL-2.0-or-later OR MIT'
>>> combine(["MIT", "(MIT OR Apache-2.0) AND MIT"])
'MIT AND (MIT OR Apache-2.0)'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import license_expression as le
from license_expression import LicenseExpression, LicenseSymbol, LicenseWithExceptionSymbol

from creditline.errors import ExpressionError

# Deprecated SPDX ids that name a license *with* an exception. SPDX deprecated the plain
# ``GPL-2.0`` in favour of ``GPL-2.0-only``; the same rule is applied to these variants.
DEPRECATED_WITH: Mapping[str, tuple[str, str]] = {
    "gpl-2.0-with-autoconf-exception": ("GPL-2.0-only", "Autoconf-exception-2.0"),
    "gpl-2.0-with-bison-exception": ("GPL-2.0-only", "Bison-exception-2.2"),
    "gpl-2.0-with-classpath-exception": ("GPL-2.0-only", "Classpath-exception-2.0"),
    "gpl-2.0-with-font-exception": ("GPL-2.0-only", "Font-exception-2.0"),
    "gpl-2.0-with-gcc-exception": ("GPL-2.0-only", "GCC-exception-2.0"),
    "gpl-3.0-with-autoconf-exception": ("GPL-3.0-only", "Autoconf-exception-3.0"),
    "gpl-3.0-with-gcc-exception": ("GPL-3.0-only", "GCC-exception-3.1"),
    "ecos-2.0": ("GPL-2.0-or-later", "eCos-exception-2.0"),
    "wxwindows": ("LGPL-2.0-or-later", "WxWindows-exception-3.1"),
}

# Licenses that license-expression (and ScanCode) flag as exceptions.
NOT_EXCEPTIONS = frozenset({"MPL-2.0-no-copyleft-exception"})

OPERATORS = ("AND", "OR")
_KEYWORDS = frozenset({"and", "or", "with"})
_ID_RE = re.compile(r"^(?:DocumentRef-[A-Za-z0-9.\-]+:)?[A-Za-z0-9.\-]+\+?$")
_REF_RE = re.compile(r"^(?:(documentref-)([A-Za-z0-9.\-]+):)?(licenseref-)(.+)$", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^\s()]+")
_QUOTED_KEY_RE = re.compile(r"'([^']*)'\s*$")

Node = LicenseSymbol | LicenseWithExceptionSymbol | LicenseExpression


@dataclass(frozen=True)
class ValidationInfo:
    """Every problem found in one expression; ``normalized`` is ``None`` when it does not parse."""

    expression: str
    normalized: str | None
    errors: tuple[str, ...] = ()
    unknown_ids: tuple[str, ...] = ()
    valid: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid", not self.errors)


@cache
def _spdx() -> le.Licensing:
    """The SPDX licensing of license-expression (built once; about 50 ms)."""
    return le.get_spdx_licensing()


def prepare() -> None:
    """Build the SPDX licensing and its tokenizer now (see :func:`_spdx`), e.g. before forking
    workers that use them."""
    _spdx().get_advanced_tokenizer()


@cache
def _plain() -> le.Licensing:
    """A licensing that knows no symbols: keeps every key as written (ScanCode keys)."""
    return le.Licensing()


# --- errors ---------------------------------------------------------------------------------


def _first_unclosed_paren(expr: str) -> int | None:
    """Position of the first ``(`` that is never closed, or ``None``."""
    stack: list[int] = []
    for pos, char in enumerate(expr):
        if char == "(":
            stack.append(pos)
        elif char == ")" and stack:
            stack.pop()
    return stack[0] if stack else None


def _locate(expr: str, err: Exception) -> tuple[int | None, str | None]:
    """Where ``err`` points in ``expr``: the library's own position, else a best guess."""
    position = getattr(err, "position", None)
    token = getattr(err, "token_string", None)
    if isinstance(position, int) and position >= 0:
        return position, token
    empty = re.search(r"\(\s*\)", expr)
    if empty:
        return empty.start(), empty.group()
    opened = _first_unclosed_paren(expr)
    if opened is not None:
        return opened, "("
    quoted = _QUOTED_KEY_RE.search(str(err))
    if quoted and quoted.group(1) and quoted.group(1) in expr:
        return expr.index(quoted.group(1)), quoted.group(1)
    return _dangling_operator(expr)


def _dangling_operator(expr: str) -> tuple[int | None, str | None]:
    """The first or last token when it is an operator with nothing on one side."""
    tokens = list(_TOKEN_RE.finditer(expr))
    for match in (tokens[-1:] + tokens[:1]) if tokens else ():
        if match.group().lower() in _KEYWORDS:
            return match.start(), match.group()
    return None, None


def _expression_error(expr: str, err: Exception) -> ExpressionError:
    position, token = _locate(expr, err)
    message = "empty parentheses" if isinstance(err, IndexError) else str(err).split(" for token:")[0]
    where = f" at position {position} ({token!r})" if position is not None else ""
    return ExpressionError(
        f"invalid license expression {expr!r}: {message}{where}",
        expression=expr, position=position, token=token,
        hint="use SPDX ids joined by AND, OR and WITH, with balanced parentheses",
    )


# --- parsing --------------------------------------------------------------------------------


def _raw_parse(licensing: le.Licensing, expr: str) -> Node:
    if not isinstance(expr, str):
        raise TypeError(f"expected a str expression, got {type(expr).__name__}")
    try:
        tree = licensing.parse(expr, validate=False, strict=False)
    except (le.ExpressionError, IndexError, TypeError) as err:
        raise _expression_error(expr, err) from err
    if tree is None:
        raise ExpressionError("empty license expression", expression=expr, position=0, token="")
    return tree


def _symbol(key: str) -> LicenseSymbol:
    return LicenseSymbol(key)


def _map_leaves(node: Node, fn: Callable[[LicenseSymbol], Node]) -> Node:
    """Rebuild ``node`` with every plain license symbol replaced by ``fn(symbol)``."""
    if isinstance(node, LicenseWithExceptionSymbol):
        lic = fn(node.license_symbol)
        exc = fn(node.exception_symbol)
        if not isinstance(lic, LicenseSymbol) or not isinstance(exc, LicenseSymbol):
            return node
        return LicenseWithExceptionSymbol(lic, exc)
    if isinstance(node, LicenseSymbol):
        return fn(node)
    args = [_map_leaves(arg, fn) for arg in node.args]
    return type(node)(*args)


def _expand_deprecated(symbol: LicenseSymbol) -> Node:
    pair = DEPRECATED_WITH.get(symbol.key.lower())
    if pair is None:
        return symbol
    known = _spdx().known_symbols
    return LicenseWithExceptionSymbol(known[pair[0]], known[pair[1]])


def _role_errors(expr: str, node: Node) -> list[str]:
    """Known exceptions used without WITH, known licenses used after WITH."""
    known = _spdx().known_symbols
    errors = []
    for lic, exc in _pairs(node):
        base = known.get(lic.key)
        if base is not None and base.is_exception and lic.key not in NOT_EXCEPTIONS:
            errors.append(_role_error(expr, lic.key, "an exception can only follow WITH"))
        if exc is not None and exc.key in known and not known[exc.key].is_exception:
            errors.append(_role_error(expr, exc.key, "a license cannot be used as an exception"))
    return errors


def _role_error(expr: str, token: str, message: str) -> str:
    match = re.search(rf"(?<![^\s(]){re.escape(token)}(?![^\s)])", expr, re.IGNORECASE)
    where = f" at position {match.start()}" if match else ""
    return f"{message}: {token!r}{where}"


def _pairs(node: Node) -> Iterator[tuple[LicenseSymbol, LicenseSymbol | None]]:
    """(license, exception or None) for every leaf, left to right."""
    if isinstance(node, LicenseWithExceptionSymbol):
        yield node.license_symbol, node.exception_symbol
    elif isinstance(node, LicenseSymbol):
        yield node, None
    else:
        for arg in node.args:
            yield from _pairs(arg)


def parse(expr: str) -> Node:
    """Parse an SPDX expression into a license-expression tree with canonical SPDX ids.

    Deprecated ids are mapped (``GPL-2.0+`` → ``GPL-2.0-or-later``,
    ``GPL-2.0-with-classpath-exception`` → ``GPL-2.0-only WITH Classpath-exception-2.0``).
    Ids the SPDX list does not know are kept as written. Only the syntax is checked: an
    exception without ``WITH`` (as ScanCode may report one) parses; :func:`validate` flags it.

    :raises ExpressionError: with ``position`` and ``token`` of the offending part.
    """
    return _map_leaves(_raw_parse(_spdx(), expr), _expand_deprecated)


# --- rendering and deduplication ------------------------------------------------------------


def _render(node: Node, nested: bool = False) -> str:
    if isinstance(node, LicenseWithExceptionSymbol):
        return f"{node.license_symbol.key} WITH {node.exception_symbol.key}"
    if isinstance(node, LicenseSymbol):
        return node.key
    text = f" {node.operator.strip()} ".join(_render(arg, nested=True) for arg in node.args)
    return f"({text})" if nested else text


def _identity(node: Node) -> Any:
    """A hashable key equal for logically identical nodes (operand order ignored)."""
    if isinstance(node, (LicenseSymbol, LicenseWithExceptionSymbol)):
        return _render(node)
    return (node.operator.strip(), frozenset(_identity(arg) for arg in node.args))


def _dedup(node: Node) -> Node:
    """Flatten nested same-operator groups and drop repeated operands, first seen first."""
    if isinstance(node, (LicenseSymbol, LicenseWithExceptionSymbol)):
        return node
    return _join(type(node), [_dedup(arg) for arg in node.args])


def _join(kind: type, nodes: Iterable[Node]) -> Node:
    seen: set[Any] = set()
    args: list[Node] = []
    for node in nodes:
        parts = node.args if isinstance(node, kind) else (node,)
        for part in parts:
            key = _identity(part)
            if key not in seen:
                seen.add(key)
                args.append(part)
    return args[0] if len(args) == 1 else kind(*args)


def _fix_case(known_ids: Mapping[str, str] | None) -> Callable[[LicenseSymbol], Node]:
    def fix(symbol: LicenseSymbol) -> Node:
        key = symbol.key
        if key in _spdx().known_symbols:
            return symbol
        if known_ids is not None and key.lower() in known_ids:
            return _symbol(known_ids[key.lower()])
        ref = _REF_RE.match(key)
        if ref:
            prefix = f"DocumentRef-{ref.group(2)}:" if ref.group(1) else ""
            return _symbol(f"{prefix}LicenseRef-{ref.group(4)}")
        return symbol

    return fix


def normalize(expr: str, known_ids: Mapping[str, str] | None = None) -> str:
    """The canonical SPDX form of ``expr``: canonical ids and case, explicit parentheses.

    ``known_ids`` maps lower-cased ids (e.g. ``licenseref-scancode-foo``, or ScanCode keys) to
    their proper SPDX spelling; it is used for ids the SPDX list does not know. The structure
    is kept (no deduplication).

    >>> normalize("mit AND gpl-2.0-with-classpath-exception")
    'MIT AND GPL-2.0-only WITH Classpath-exception-2.0'

    :raises ExpressionError: when ``expr`` does not parse.
    """
    return _render(_map_leaves(parse(expr), _fix_case(known_ids)))


def combine(expressions: Iterable[str], op: str = "AND") -> str | None:
    """Join expressions with ``op`` (``AND`` or ``OR``), without repeated operands.

    Equal operands (also equal groups, whatever their order) are kept once, in first-seen
    order; nothing else is simplified, so ``(MIT OR Apache-2.0) AND MIT`` keeps its choice.
    Blank entries are skipped; ``None`` when nothing is left.

    :raises ExpressionError: when one of the expressions does not parse.
    """
    kind = {"AND": le.AND, "OR": le.OR}.get(op.upper())
    if kind is None:
        raise ValueError(f"op must be one of {OPERATORS}, not {op!r}")
    trees = [_dedup(parse(e)) for e in expressions if e and e.strip()]
    if not trees:
        return None
    return _render(_join(kind, trees))


OPERATORS_ALL = frozenset({"AND", "OR", "WITH"})
_ID_TOKEN = re.compile(r"[^\s()]+")


def split_ids(expr: str) -> tuple[str, ...]:
    """Ids and exceptions of an expression already in canonical form (as creditline's own
    detections are), in order, once each, without parsing: for hot paths. Use
    :func:`license_ids` for expressions from users."""
    return tuple(dict.fromkeys(t for t in _ID_TOKEN.findall(expr) if t.upper() not in OPERATORS_ALL))


def _unwrap(expr: str) -> str:
    """``(A OR B)`` -> ``A OR B`` when the parentheses enclose the whole expression."""
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, ch in enumerate(expr):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(expr) - 1:
                return expr
        expr = expr[1:-1].strip()
    return expr


def join_canonical(expressions: Iterable[str]) -> str | None:
    """Join canonical expressions with AND (AND-only operands flattened, choices kept in
    parentheses), without duplicates and without parsing."""
    unique = list(dict.fromkeys(part for e in expressions if e for part in _conjuncts(_unwrap(e))))
    if len(unique) <= 1:
        return unique[0] if unique else None
    return " AND ".join(f"({e})" if _top_level_split(e, " OR ") != [e] else e for e in unique)


def _conjuncts(expr: str) -> list[str]:
    """The operands of a top-level AND (the expression itself when it is not one)."""
    return [_unwrap(p) for p in _top_level_split(expr, " AND ")]


def _top_level_split(expr: str, op: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(expr):
        ch = expr[i]
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and expr.startswith(op, i):
            parts.append(expr[start:i])
            i += len(op)
            start = i
            continue
        i += 1
    parts.append(expr[start:])
    return parts


def license_ids(expr: str) -> tuple[str, ...]:
    """Every license id and exception id of ``expr``, in order of appearance, once each."""
    ids: dict[str, None] = {}
    for lic, exc in _pairs(parse(expr)):
        ids[lic.key] = None
        if exc is not None:
            ids[exc.key] = None
    return tuple(ids)


def license_pairs(expr: str) -> tuple[tuple[str, str | None], ...]:
    """``(license id, exception id or None)`` for every operand of ``expr``, in order, once each.

    >>> license_pairs("GPL-2.0+ WITH Classpath-exception-2.0 OR MIT")
    (('GPL-2.0-or-later', 'Classpath-exception-2.0'), ('MIT', None))
    """
    pairs = ((lic.key, exc.key if exc is not None else None) for lic, exc in _pairs(parse(expr)))
    return tuple(dict.fromkeys(pairs))


# --- validation -----------------------------------------------------------------------------


def _is_known(key: str, known: Container[str] | None) -> bool:
    if known is not None:
        return key in known or key.lower() in known
    base = key[:-1] if key.endswith("+") else key
    return base in _spdx().known_symbols or bool(_REF_RE.match(base))


def _raw_ids(expr: str) -> list[str]:
    """License-like tokens of an expression that does not parse, canonical where possible."""
    ids: list[str] = []
    for token in _TOKEN_RE.findall(expr):
        if token.lower() in _KEYWORDS:
            continue
        try:
            ids.extend(license_ids(token))
        except ExpressionError:
            ids.append(token)
    return list(dict.fromkeys(ids))


def validate(expr: str, known: Container[str] | None = None) -> ValidationInfo:
    """Check ``expr`` and list every problem at once; never raises for a bad expression.

    An id is unknown when it is not in ``known`` (when given; the id or its lower-case form)
    or else neither on the SPDX list nor a ``LicenseRef-``. Unknown ids, ids with characters SPDX does not allow, and
    exceptions used without ``WITH`` (or licenses after it) are reported as errors.
    """
    errors: list[str] = []
    normalized: str | None = None
    try:
        tree = parse(expr)
    except ExpressionError as err:
        errors.append(err.message)
        ids = _raw_ids(expr)
    else:
        normalized = _render(tree)
        ids = list(license_ids(expr))
        errors.extend(_role_errors(expr, tree))
    unknown = tuple(i for i in ids if not _is_known(i, known))
    errors.extend(f"invalid characters in license id {i!r}" for i in ids if not _ID_RE.match(i))
    errors.extend(f"unknown license id {i!r}" for i in unknown)
    return ValidationInfo(expr, normalized, tuple(dict.fromkeys(errors)), unknown)


# --- ScanCode keys --------------------------------------------------------------------------

# A parsed ScanCode expression: ("key", k) | ("with", k, exception) | ("AND"|"OR", (children)).
Template = tuple[Any, ...]


def _template(node: Node) -> Template:
    if isinstance(node, LicenseWithExceptionSymbol):
        return ("with", node.license_symbol.key, node.exception_symbol.key)
    if isinstance(node, LicenseSymbol):
        return ("key", node.key)
    return (node.operator.strip(), tuple(_template(arg) for arg in node.args))


@lru_cache(maxsize=16384)
def _scancode_template(expr: str) -> Template:
    return _template(_raw_parse(_plain(), expr))


def _spdx_of(key: str, key_to_spdx: Mapping[str, str]) -> str:
    found = key_to_spdx.get(key) or key_to_spdx.get(key.lower())
    return found or f"LicenseRef-scancode-{key}"


def _fill(template: Template, key_to_spdx: Mapping[str, str], nested: bool) -> str:
    kind = template[0]
    if kind == "key":
        text = _spdx_of(template[1], key_to_spdx)
        return f"({text})" if nested and " " in text else text
    if kind == "with":
        return f"{_spdx_of(template[1], key_to_spdx)} WITH {_spdx_of(template[2], key_to_spdx)}"
    text = f" {kind} ".join(_fill(child, key_to_spdx, True) for child in template[1])
    return f"({text})" if nested else text


def scancode_to_spdx(expr: str, key_to_spdx: Mapping[str, str]) -> str:
    """Convert an expression of ScanCode keys into SPDX ids.

    Keys missing from ``key_to_spdx`` become ``LicenseRef-scancode-<key>``. Parsing is cached,
    so repeated expressions cost a dictionary lookup per key.

    >>> keys = {"gpl-2.0-plus": "GPL-2.0-or-later", "classpath-exception-2.0": "Classpath-exception-2.0"}
    >>> scancode_to_spdx("gpl-2.0-plus WITH classpath-exception-2.0 OR foo", keys)
    'GPL-2.0-or-later WITH Classpath-exception-2.0 OR LicenseRef-scancode-foo'

    :raises ExpressionError: when ``expr`` does not parse.
    """
    return _fill(_scancode_template(expr), key_to_spdx, nested=False)


def structure(expr: str) -> Template:
    """The tree of ``expr`` with canonical SPDX ids: ``("key", id)``, ``("with", id, exception)``
    or ``("AND" | "OR", (children...))``.

    >>> structure("MIT OR (GPL-2.0+ AND Apache-2.0)")
    ('OR', (('key', 'MIT'), ('AND', (('key', 'GPL-2.0-or-later'), ('key', 'Apache-2.0')))))

    :raises ExpressionError: when ``expr`` does not parse.
    """
    return _template(parse(expr))
