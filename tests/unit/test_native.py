"""The compiled helpers (core/_ctokens.c) against their Python counterparts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditline.core import native
from creditline.core.copyright import _ASCII_NEEDLES

NEEDLES = st.lists(st.sampled_from([b"ab", b"a", b"(c)", b"aba", b"copyright", b"spdx", b"b("]), min_size=1, max_size=5,
                   unique=True)


def _reference(text: str, needles: tuple[bytes, ...]) -> list[int]:
    # lower-casing: ASCII capitals only, so that offsets stay those of the text
    data = text.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})
    found = []
    for needle in map(bytes.decode, needles):
        at = data.find(needle)
        while at != -1:
            found.append(at)
            at = data.find(needle, at + len(needle))
    return sorted(found)


def test_the_helpers_are_built_from_this_source() -> None:
    assert native.COMPILED, "creditline.core._ctokens was not built (no C compiler?)"
    source = Path(native.__file__).with_name("_ctokens.c").read_bytes()
    # a failed rebuild (the extension is optional) leaves the module of an older source behind
    assert native.ext.SOURCE_SHA256 == hashlib.sha256(source).hexdigest(), "stale _ctokens build: run `make`"


@given(st.text(alphabet="abABcC() spdxSPDX\n", max_size=80), NEEDLES)
def test_find_folded_finds_what_bytes_find_finds(text: str, needles: list[bytes]) -> None:
    assert native.find_folded(text, tuple(needles)) == _reference(text, tuple(needles))
    first = native.find_folded(text, tuple(needles), first_only=True)
    assert first == _reference(text, tuple(needles))[:1]


# one, two and four bytes per character in the str (Latin-1, BMP, beyond): read in place
@given(st.text(alphabet="abABcC() spdxSPDX\nÀé€ŠΣ😀", max_size=80), NEEDLES)
def test_find_folded_reads_text_of_any_width(text: str, needles: list[bytes]) -> None:
    assert native.find_folded(text, tuple(needles)) == _reference(text, tuple(needles))
    assert native.find_folded(text, tuple(needles), first_only=True) == _reference(text, tuple(needles))[:1]


def test_find_folded_finds_ascii_needles_in_other_text() -> None:
    assert native.find_folded("Copyright (C) 2020 COPYRIGHT", _ASCII_NEEDLES) == [0, 10, 19]
    assert native.find_folded("© 2020 Ünïcödé Copyright (c)", _ASCII_NEEDLES) == [15, 25]
    assert native.find_folded("😀 SPDX-License", (b"spdx",), first_only=True) == [2]
    assert native.find_folded("ÀSPDX", (b"spdx",)) == [1]


def test_find_folded_refuses_bad_needles() -> None:
    with pytest.raises(TypeError):
        native.find_folded("abc", (b"",))
    with pytest.raises(TypeError):
        native.find_folded("abc", ("a",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lower-case ASCII"):
        native.find_folded("abc", (b"ABC",))
    with pytest.raises(ValueError, match="lower-case ASCII"):
        native.find_folded("abc", ("é".encode(),))


def test_scratch_arrays_are_kept_per_key_and_only_when_small(monkeypatch: pytest.MonkeyPatch) -> None:
    a = native.scratch("test-a", 10, (np.int64, np.uint8))
    assert [x.dtype for x in a] == [np.int64, np.uint8] and all(len(x) >= 10 for x in a)
    assert native.scratch("test-a", 5, (np.int64, np.uint8)) is a  # reused: big enough
    assert native.scratch("test-b", 5, (np.int64,)) is not a  # another helper's own
    bigger = native.scratch("test-a", 20, (np.int64, np.uint8))
    assert bigger is not a and native.scratch("test-a", 20, (np.int64, np.uint8)) is bigger
    monkeypatch.setattr(native, "SCRATCH_KEPT", 100)
    huge = native.scratch("test-a", 1000, (np.int64, np.uint8))
    assert native.scratch("test-a", 1000, (np.int64, np.uint8)) is not huge  # too large to keep
    assert native.scratch("test-a", 20, (np.int64, np.uint8)) is bigger
