"""decode.py: pure functions on bytes, no disk."""

from __future__ import annotations

import codecs
import hashlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from creditline.ingest.decode import UndecodableError, decode, document_items, sniff_binary
from creditline.model import Document, Skipped

FRENCH = "Le café était très agréable, naïve façade. Überall Grüße, señor.\n" * 3
SMART = "Le café — « très cher » coûte 5 € ‘quoted’ “double” naïve.\n" * 3
RUSSIAN = "Привет, как дела? Это тестовый текст для проверки кодировки.\n" * 3


class TestSniffBinary:
    @pytest.mark.parametrize(
        "data",
        [b"\x7fELF\x02\x01\x01", b"\x89PNG\r\n\x1a\nxx", b"\xff\xd8\xff\xe0", b"GIF89a..", b"%PDF-1.7\n",
         b"PK\x03\x04rest", b"\x1f\x8b\x08\x00", b"\xfd7zXZ\x00\x00"],
        ids=["elf", "png", "jpeg", "gif", "pdf", "zip", "gzip", "xz"],
    )
    def test_known_magic_is_binary(self, data: bytes) -> None:
        assert sniff_binary(data)

    def test_nul_byte_is_binary(self) -> None:
        assert sniff_binary(b"hello\x00world")

    def test_nul_after_sniff_window_is_not_seen(self) -> None:
        assert not sniff_binary(b"a" * 9000 + b"\x00")

    def test_many_control_characters_are_binary(self) -> None:
        assert sniff_binary(bytes([1, 2, 3, 4, 5, 6, 7]) * 10 + b"text")

    @pytest.mark.parametrize(
        "data",
        [b"plain text\n", FRENCH.encode("latin-1"), b"x\ty\x0c\r\n", b"",
         codecs.BOM_UTF16_LE + "hi".encode("utf-16-le"), codecs.BOM_UTF32_BE + "hi".encode("utf-32-be")],
        ids=["ascii", "latin-1", "tab-ff-crlf", "empty", "utf16-bom", "utf32-bom"],
    )
    def test_text_is_not_binary(self, data: bytes) -> None:
        assert not sniff_binary(data)


class TestDecode:
    def test_utf8(self) -> None:
        assert decode("naïve ☃\n".encode()) == ("naïve ☃\n", "utf-8")

    @pytest.mark.parametrize(
        ("bom", "codec", "expected"),
        [(codecs.BOM_UTF8, "utf-8", "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be")],
        ids=["utf8", "utf16le", "utf16be", "utf32le", "utf32be"],
    )
    def test_bom_names_the_encoding_and_is_dropped(self, bom: bytes, codec: str, expected: str) -> None:
        assert decode(bom + "Grüße\r\n".encode(codec)) == ("Grüße\n", expected)

    def test_latin1_prose_decodes_correctly(self) -> None:
        text, encoding = decode(FRENCH.encode("latin-1"))
        assert text == FRENCH
        assert encoding != "utf-8"

    def test_cp1252_smart_quotes_decode_correctly(self) -> None:
        assert decode(SMART.encode("cp1252")) == (SMART, "cp1252")

    def test_short_cp1252_without_confident_guess(self) -> None:
        assert decode("“Hi” – there\n".encode("cp1252")) == ("“Hi” – there\n", "cp1252")

    def test_short_latin1_falls_back_to_latin1(self) -> None:
        assert decode("café\n".encode("latin-1")) == ("café\n", "latin-1")

    def test_cyrillic_uses_charset_normalizer(self) -> None:
        assert decode(RUSSIAN.encode("cp1251")) == (RUSSIAN, "cp1251")

    @pytest.mark.parametrize("raw", [b"a\r\nb\rc\n", b"a\nb\nc\n"], ids=["crlf-cr", "lf"])
    def test_newlines_are_normalised(self, raw: bytes) -> None:
        assert decode(raw)[0] == "a\nb\nc\n"

    def test_partial_utf8_drops_cut_character(self) -> None:
        data = "abc☃".encode()[:-1]
        assert decode(data, partial=True) == ("abc", "utf-8")

    def test_partial_utf16_drops_odd_byte(self) -> None:
        data = codecs.BOM_UTF16_LE + "abc".encode("utf-16-le")[:-1]
        assert decode(data, partial=True) == ("ab", "utf-16-le")

    def test_bom_contradicted_by_data_is_undecodable(self) -> None:
        with pytest.raises(UndecodableError):
            decode(codecs.BOM_UTF16_LE + b"abc")  # odd length: not UTF-16

    @settings(max_examples=50, deadline=None)
    @given(st.binary(max_size=200))
    def test_never_fails_without_bom_and_fallbacks_are_lossless(self, data: bytes) -> None:
        boms = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
        assume(not data.startswith(boms) and b"\r" not in data)
        text, encoding = decode(data)
        if encoding in ("utf-8", "cp1252", "latin-1"):
            assert text.encode(encoding) == data


class TestDocumentItems:
    def test_text_gives_one_document(self) -> None:
        [doc] = document_items(b"hi\n", path="a.txt", root="r", size=3, truncated=False)
        assert doc == Document("a.txt", "hi\n", "r", 3, hashlib.sha1(b"hi\n").hexdigest(), "utf-8", False)

    def test_truncated_gives_document_and_too_large(self) -> None:
        doc, skip = document_items(b"hi", path="a.txt", root="r", size=99, truncated=True)
        assert isinstance(doc, Document) and doc.truncated and doc.size == 99
        assert isinstance(skip, Skipped) and (skip.path, skip.code) == ("a.txt", "too_large")

    def test_binary_gives_skip(self) -> None:
        [skip] = document_items(b"\x00\x01", path="b", root="r", size=2, truncated=False)
        assert isinstance(skip, Skipped) and skip.code == "binary"

    def test_undecodable_gives_skip(self) -> None:
        [skip] = document_items(codecs.BOM_UTF32_LE + b"\xff\xff\xff\x7f", path="u", root="r", size=8,
                                truncated=False)
        assert isinstance(skip, Skipped) and skip.code == "undecodable"
