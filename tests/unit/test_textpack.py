"""A work's text packed for the catalog and given back exactly."""

from __future__ import annotations

import zlib

from hypothesis import given
from hypothesis import strategies as st

from creditline.core.textpack import pack_text, unpack_text


@given(st.text())
def test_texts_come_back_exactly(text: str) -> None:
    assert unpack_text(pack_text(text)) == text


def test_lone_surrogates_and_empty_texts_are_kept() -> None:
    for text in ("", "a \ud800 b", "\U0001f600" * 3):
        assert unpack_text(pack_text(text)) == text


def test_texts_packed_by_an_older_catalog_are_read() -> None:
    """Catalogs written before Zstandard stored zlib streams."""
    text = "def f():\n    return 'é'\n" * 50
    assert unpack_text(zlib.compress(text.encode("utf-8"), 1)) == text
    assert pack_text(text)[:4] == b"\x28\xb5\x2f\xfd" and len(pack_text(text)) < len(text) / 3
