"""Bytes to text: binary sniffing, charset detection and newline handling.

Everything here is a pure function on ``bytes``; nothing reads a file.

How bytes become text (:func:`decode`), first rule that works wins:

1. A byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) names the encoding. Data that
   carries a BOM but is not valid in that encoding is *undecodable*: the BOM is a claim
   the bytes break, and guessing past it would only produce mojibake.
2. Strict UTF-8.
3. charset-normalizer's best guess, accepted only with good confidence (little "chaos",
   some language coherence) and only if the whole input then decodes strictly. It runs on
   the first 64 KiB only, and only on this fallback path. Among equally good guesses
   ``cp1252`` is preferred, since it is by far the most common legacy charset.
4. ``cp1252``, when the data has bytes in 0x80-0x9F and all of them are defined there
   (for text this is what a "latin-1" file nearly always means; the WHATWG encoding standard
   decodes ``iso-8859-1`` the same way).
5. ``latin-1``: the lossless last resort. Every byte maps to exactly one code point, so
   decoding never fails and the original bytes can always be recovered by encoding the text
   with ``latin-1`` again; a wrong guess costs readability, never data.

Newlines are normalised: ``\\r\\n`` and lone ``\\r`` become ``\\n``. When the data was cut at
a size limit (``partial=True``), an incomplete multi-byte sequence at the very end is dropped
rather than making the whole text undecodable.

UTF-16/32 text *without* a BOM contains NUL bytes and is therefore reported as binary by
:func:`sniff_binary`.
"""

from __future__ import annotations

import codecs
import hashlib

from creditline.model import Document, Skipped

SNIFF_BYTES = 8192
"""How much of the data :func:`sniff_binary` looks at."""

_DETECT_BYTES = 64 * 1024
_MAX_CHAOS = 0.1
_MIN_COHERENCE = 0.1
_MAX_CONTROL_SHARE = 0.1

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE one.
# (BOM, codec for the bytes after it, name reported as Document.encoding)
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)

_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "ELF executable"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "zip archive"),
    (b"PK\x05\x06", "zip archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"\xca\xfe\xba\xbe", "Java class or Mach-O"),
    (b"\xfe\xed\xfa\xce", "Mach-O binary"),
    (b"\xfe\xed\xfa\xcf", "Mach-O binary"),
    (b"\xce\xfa\xed\xfe", "Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "Mach-O binary"),
    (b"\x00asm", "WebAssembly"),
    (b"SQLite format 3\x00", "SQLite database"),
)
_MAGIC_PREFIXES = tuple(magic for magic, _ in _MAGICS)
_BOM_PREFIXES = tuple(bom for bom, _, _ in _BOMS)

# Control bytes that do not occur in text (tab, LF, FF, CR, backspace and ESC do).
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\x0c\r\x08\x1b") + b"\x7f"
_C1 = bytes(range(0x80, 0xA0))


class UndecodableError(ValueError):
    """No encoding fits the data (in practice: a BOM that the bytes contradict)."""


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` looks like binary rather than text, or ``None`` if it looks like text.

    Data with a Unicode BOM is text. Otherwise a known binary magic number, a NUL byte in the
    first :data:`SNIFF_BYTES`, or more than 10% control characters there make it binary.
    """
    head = data[:SNIFF_BYTES]
    if head.startswith(_BOM_PREFIXES):
        return None
    if head.startswith(_MAGIC_PREFIXES):
        return next(what for magic, what in _MAGICS if head.startswith(magic))
    if b"\x00" in head:
        return "NUL byte"
    if head and len(head) - len(head.translate(None, _CONTROL)) > _MAX_CONTROL_SHARE * len(head):
        return "control characters"
    return None


def sniff_binary(data: bytes) -> bool:
    """True when ``data`` looks like binary data (see :func:`binary_reason`)."""
    return binary_reason(data) is not None


def normalize_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n``."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode(data: bytes, *, partial: bool = False) -> tuple[str, str]:
    """Decode ``data`` to ``(text, encoding)`` following the rules in the module docstring.

    ``partial`` says the data was cut short, so a trailing incomplete character is dropped.
    Raises :class:`UndecodableError` when no rule applies.
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return _after_bom(data[len(bom):], codec, partial), name
    try:
        return _strict(data, "utf-8", partial), "utf-8"
    except UnicodeDecodeError:
        pass
    guessed = _guess(data, partial)
    if guessed is not None:
        return guessed
    if len(data.translate(None, _C1)) != len(data):
        try:
            return normalize_newlines(data.decode("cp1252")), "cp1252"
        except UnicodeDecodeError:
            pass
    return normalize_newlines(data.decode("latin-1")), "latin-1"


def _strict(data: bytes, codec: str, partial: bool) -> str:
    """Strictly decode with ``codec`` (a cut last character is dropped when ``partial``)."""
    text = codecs.getincrementaldecoder(codec)("strict").decode(data, final=not partial)
    return normalize_newlines(text)


def _after_bom(data: bytes, codec: str, partial: bool) -> str:
    """Decode what follows a BOM; bytes that contradict the BOM are undecodable."""
    try:
        return _strict(data, codec, partial)
    except UnicodeDecodeError as err:
        raise UndecodableError(f"not valid {codec} despite its byte-order mark: {err.reason}") from err


def _guess(data: bytes, partial: bool) -> tuple[str, str] | None:
    """charset-normalizer's confident guess, if the whole data then decodes strictly."""
    from charset_normalizer import from_bytes  # only needed on this fallback path

    matches = list(from_bytes(data[:_DETECT_BYTES]))
    if not matches:
        return None
    best = matches[0]
    if best.chaos > _MAX_CHAOS or best.coherence < _MIN_COHERENCE:
        return None
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    encoding = "cp1252" if "cp1252" in tied else best.encoding
    try:
        return _strict(data, encoding, partial), encoding
    except (UnicodeDecodeError, LookupError):
        return None


def document_items(
    data: bytes, *, path: str, root: str, size: int, truncated: bool
) -> list[Document | Skipped]:
    """Turn the bytes read for one item into its :class:`Document` and/or :class:`Skipped`.

    Binary data gives ``Skipped(code="binary")``; undecodable data ``undecodable``. A
    ``truncated`` item gives its Document (``truncated=True``) followed by a ``too_large`` entry.
    ``size`` is the item's full size; ``sha1`` is taken over ``data``, the bytes actually read.
    """
    reason = binary_reason(data)
    if reason is not None:
        return [Skipped(path, "binary", reason, root)]
    try:
        text, encoding = decode(data, partial=truncated)
    except UndecodableError as err:
        return [Skipped(path, "undecodable", str(err), root)]
    sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    doc = Document(path, text, root, size, sha1, encoding, truncated)
    if not truncated:
        return [doc]
    return [doc, Skipped(path, "too_large", f"scanned the first {len(data)} of {size} bytes", root)]
