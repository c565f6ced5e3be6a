"""The packaged obligations table (read through kb): ids and fields are well-formed."""

from __future__ import annotations

import dataclasses

import pytest

from creditline.core import spdx
from creditline.core.obligations import CATEGORIES, FLAGS, SHARE_ALIKE
from creditline.kb.obligations import load_obligation_table
from creditline.model import Obligations

TABLE = load_obligation_table()

MUST_HAVE = (
    "MIT", "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause", "Apache-2.0", "ISC", "Zlib", "MPL-1.1",
    "MPL-2.0", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "LGPL-2.0-only", "LGPL-2.0-or-later",
    "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "GPL-1.0-only",
    "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
    "AGPL-3.0-only", "AGPL-3.0-or-later", "SSPL-1.0", "EUPL-1.2", "OSL-3.0", "Unlicense", "0BSD",
    "WTFPL", "PSF-2.0", "Python-2.0", "BSL-1.0", "Artistic-2.0", "OFL-1.1", "Ruby", "PHP-3.01",
    "curl", "OpenSSL", "BUSL-1.1", "Elastic-2.0", "PolyForm-Noncommercial-1.0.0", "JSON",
    "GFDL-1.3-only", "GFDL-1.3-or-later",
)


class TestPackagedTable:
    def test_size(self) -> None:
        assert len(TABLE) >= 60

    @pytest.mark.parametrize("spdx_id", MUST_HAVE)
    def test_listed(self, spdx_id: str) -> None:
        assert spdx_id in TABLE

    @pytest.mark.parametrize("spdx_id", sorted(TABLE))
    def test_entry(self, spdx_id: str) -> None:
        entry = TABLE[spdx_id]
        assert isinstance(entry, Obligations) and entry.license == spdx_id
        info = spdx.validate(spdx_id)
        assert info.valid and info.normalized == spdx_id, info.errors
        assert entry.category in CATEGORIES and entry.share_alike in SHARE_ALIKE
        assert all(isinstance(getattr(entry, flag), bool) for flag in FLAGS)
        assert entry.name and entry.url.startswith("https://")
        assert len(entry.notes) == 1 and 20 < len(entry.notes[0]) < 300

    @pytest.mark.parametrize("spdx_id", sorted(TABLE))
    def test_consistent(self, spdx_id: str) -> None:
        entry = TABLE[spdx_id]
        copyleft = {"weak copyleft": ("file", "library"), "strong copyleft": ("strong",),
                    "network copyleft": ("network",)}
        if entry.category in copyleft:
            assert entry.share_alike in copyleft[entry.category]
        if entry.category in ("permissive", "public domain"):
            assert entry.share_alike is None and not entry.non_commercial
        if entry.category == "public domain":
            assert not entry.attribution

    def test_copy_returned(self) -> None:
        load_obligation_table().clear()
        assert load_obligation_table() == TABLE

    def test_frozen(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            TABLE["MIT"].category = "x"  # type: ignore[misc]
