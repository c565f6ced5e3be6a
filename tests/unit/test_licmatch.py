"""The matcher on a tiny hand-made rule set: no license database needed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditline.core.licenses import LicenseInfo, RuleInfo
from creditline.core.licindex import P, build_index, prefix_hashes, window_hashes
from creditline.core.licmatch import match
from creditline.core.lictokens import tokenize

MIT_TEXT = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software "
    "and associated documentation files, to deal in the Software without restriction, including "
    "without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, "
    "and/or sell copies of the Software."
)
RULES = [
    RuleInfo("mit_1.RULE", "mit", MIT_TEXT, "text"),
    RuleInfo("mit_ref.RULE", "mit", "the MIT license", "reference"),
    RuleInfo("gpl_req.RULE", "gpl-2.0", "licensed under the {{GNU GPL version 2}} only, see the file COPYING "
             "for the full terms and conditions of this license", "notice"),
    RuleInfo("fp_1.RULE", "", "the MIT license plate", "false_positive"),
]
LICENSES = [
    LicenseInfo("mit", "MIT", "MIT License", "MIT", "Permissive"),
    LicenseInfo("gpl-2.0", "GPL-2.0-only", "GPL 2.0", "GPL 2.0", "Copyleft"),
]


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return build_index(RULES, LICENSES)


def _found(index, text: str) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    ids = tokenize(text, index.vocab_map).ids
    return [(index.rule_ids[m.rule], m.exact) for m in match(ids, index)]


class TestHashing:
    @given(st.lists(st.integers(1, 2**63), min_size=1, max_size=40), st.data())
    def test_window_hash_is_the_polynomial(self, values: list[int], data: st.DataObject) -> None:
        vals = np.asarray(values, dtype=np.uint64)
        a = data.draw(st.integers(0, len(values) - 1))
        b = data.draw(st.integers(a + 1, len(values)))
        s, pw = prefix_hashes(vals)
        expected = 0
        for v in values[a:b]:
            expected = (expected * int(P) + v) % 2**64
        assert int(window_hashes(s, pw, np.asarray([a]), b - a)[0]) == expected

    def test_token_values_are_pinned(self, index) -> None:  # type: ignore[no-untyped-def]
        # Changing the seed or the generator changes every stored hash: bump FORMAT_VERSION then.
        assert int(index.arrays["token_values"][1]) == 685888487972001621


class TestMatch:
    def test_exact_text_reflowed_in_comments(self, index) -> None:  # type: ignore[no-untyped-def]
        text = "\n".join("# " + line for line in MIT_TEXT.upper().split(", "))
        assert _found(index, text) == [("mit_1.RULE", True)]

    def test_edited_text_is_aligned(self, index) -> None:  # type: ignore[no-untyped-def]
        edited = MIT_TEXT.replace("free of charge", "at no cost").replace("merge,", "")
        assert _found(index, "Header\n" + edited) == [("mit_1.RULE", False)]

    def test_contained_reference_is_dropped(self, index) -> None:  # type: ignore[no-untyped-def]
        assert [r for r, _ in _found(index, MIT_TEXT + " under the MIT license")] == ["mit_1.RULE", "mit_ref.RULE"]

    def test_false_positive_rule_swallows_reference(self, index) -> None:  # type: ignore[no-untyped-def]
        assert _found(index, "I saw the MIT license plate today") == []

    def test_required_phrase_must_be_whole(self, index) -> None:  # type: ignore[no-untyped-def]
        ok = "licensed under the GNU GPL version 2 only, see the file COPYING for the full terms and conditions"
        assert [r for r, _ in _found(index, ok)] == ["gpl_req.RULE"]
        broken = ok.replace("version 2", "version 3")
        assert _found(index, broken) == []

    def test_no_license(self, index) -> None:  # type: ignore[no-untyped-def]
        assert _found(index, "def add(a, b):\n    return a + b\n") == []
        assert _found(index, "") == []
