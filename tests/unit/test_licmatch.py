"""The matcher on a tiny hand-made rule set: no license database needed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditline.core.licenses import LicenseInfo, RuleInfo
from rapidfuzz.distance import Opcode

from creditline.core.licindex import GRAM, PREFIX, P, build_index, prefix_hashes, window_hashes
from creditline.core import native
from creditline.core.licmatch import (
    _candidates,
    _dense_segment,
    _densest_windows,
    _GramTable,
    _range_max,
    _shared_counts,
    _text_grams,
    QueryHashes,
    Rows,
    exact_matches,
    match,
)
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


def _reference_exact(ids: list[int], index) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(rule, start) of every verbatim rule occurrence, by comparing token lists, then only the
    outermost ones (as exact_matches keeps them)."""
    by_prefix: dict[tuple[int, ...], list[int]] = {}
    for rule in range(len(index.rule_ids)):
        toks = index.rule_tokens(rule).tolist()
        if toks:
            by_prefix.setdefault(tuple(toks[:PREFIX]), []).append(rule)
    hits = []
    for i in range(len(ids)):
        for k in range(1, PREFIX + 1):
            for rule in by_prefix.get(tuple(ids[i : i + k]), ()):
                toks = index.rule_tokens(rule).tolist()
                if ids[i : i + len(toks)] == toks:
                    hits.append((i, i + len(toks), rule))
    kept = set()
    for start, end, rule in hits:
        inside_longer = any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in hits)
        if not inside_longer:
            kept.add((rule, start))
    return kept


class TestExactMatches:
    """Each check runs on the compiled window pass and on its numpy counterpart."""

    @pytest.fixture(autouse=True, params=["compiled", "numpy"])
    def _path(self, request):  # type: ignore[no-untyped-def]
        saved = native.ext
        if request.param == "compiled":
            assert native.COMPILED, "creditline.core._ctokens was not built"
        else:
            native.ext = None  # the numpy passes, also where nothing was compiled
        yield
        native.ext = saved

    @given(st.lists(st.sampled_from(["the MIT license", "MIT", "license", "of this software", "plate", "GNU GPL",
                                     "version 2", "unknownword", MIT_TEXT[:120], MIT_TEXT]), max_size=12))
    def test_every_outermost_verbatim_occurrence(self, index, pieces: list[str]) -> None:  # type: ignore[no-untyped-def]
        ids = tokenize(" ".join(pieces), index.vocab_map).ids
        found = {(m.rule, m.qstart) for m in exact_matches(ids, index)}
        assert found == _reference_exact(ids.tolist(), index)

    def test_on_the_real_rules(self, license_index) -> None:  # type: ignore[no-untyped-def]
        text = ("Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this file "
                "except in compliance with the License. SPDX: MIT OR GPL-2.0+. " + MIT_TEXT + " BSD-3-Clause")
        ids = tokenize(text, license_index.vocab_map).ids
        found = {(m.rule, m.qstart) for m in exact_matches(ids, license_index)}
        assert found and found == _reference_exact(ids.tolist(), license_index)

    def test_rule_beginnings_mixed_with_other_tokens(self, license_index) -> None:  # type: ignore[no-untyped-def]
        # windows whose first two tokens begin no rule are cut to one token: nothing is lost
        rng = np.random.default_rng(11)
        lengths = np.diff(license_index.arrays["rule_offset"])
        short = np.flatnonzero((lengths > 0) & (lengths <= 8))
        pieces = []
        for rule in rng.choice(short, 120).tolist():
            toks = license_index.rule_tokens(rule)
            pieces.append(toks[: rng.integers(1, len(toks) + 1)])
            pieces.append(rng.integers(0, len(license_index.vocab) + 1, rng.integers(0, 3)).astype(np.int32))
        ids = np.concatenate(pieces).astype(np.int32)
        found = {(m.rule, m.qstart) for m in exact_matches(ids, license_index)}
        assert len(found) > 50 and found == _reference_exact(ids.tolist(), license_index)


class TestApproximateHelpers:
    @given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 400)), min_size=1, max_size=80),
           st.lists(st.integers(4, 300), min_size=6, max_size=6))
    def test_densest_windows_per_rule(self, hits: list[tuple[int, int]], rule_lengths: list[int]) -> None:
        rules = np.asarray([r for r, _ in hits], dtype=np.int32)
        positions = np.asarray([p for _, p in hits], dtype=np.int64)
        lengths = np.asarray(rule_lengths, dtype=np.int64)
        candidates = np.unique(rules)[::-1]
        n_hits, lo, hi = _densest_windows(rules, positions, candidates, lengths[rules])
        for i, rule in enumerate(candidates.tolist()):
            pos = sorted(p for r, p in hits if r == rule)
            groups, group = [], [pos[0]]
            for a, b in zip(pos, pos[1:]):
                if b - a > max(rule_lengths[rule] // 2, 8):
                    groups.append(group)
                    group = []
                group.append(b)
            groups.append(group)
            best = max(groups, key=len)  # the first largest
            assert (n_hits[i], lo[i], hi[i]) == (len(pos), best[0], best[-1] + GRAM)

    @given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 5)), max_size=25), st.integers(10, 400))
    def test_dense_segment_is_the_best_gapless_run(self, steps: list[tuple[int, int]], rule_len: int) -> None:
        blocks, src, dest = [], 0, 0
        for gap, size in steps:
            dest += gap
            blocks.append(Opcode("equal", src, src + size, dest, dest + size))
            src, dest = src + size, dest + size
        gap = max(8, rule_len // 20)
        best, best_n, run = [], -1, []  # the plain definition
        for b in blocks:
            if run and b.dest_start - run[-1].dest_end > gap:
                run = []
            run.append(b)
            n = sum(x.src_end - x.src_start for x in run)
            if n > best_n:
                best, best_n = list(run), n
        assert _dense_segment(blocks, rule_len) == best

    @pytest.mark.parametrize("n_texts", [1, 3])
    def test_candidates_rank_each_texts_rules_apart(self, license_index, n_texts: int) -> None:  # type: ignore[no-untyped-def]
        rng = np.random.default_rng(7)
        grams = license_index.arrays["rule_grams"]
        rules = np.flatnonzero(grams > 3)[:120]
        counts = [{int(r): int(rng.integers(0, grams[r] + 1)) for r in rng.choice(rules, 80, replace=False)}
                  for _ in range(n_texts)]
        text = np.asarray([t for t, c in enumerate(counts) for _ in c], dtype=np.int64)
        rule = np.asarray([r for c in counts for r in c], dtype=np.int32)
        distinct = np.asarray([n for c in counts for n in c.values()], dtype=np.int32)
        found_text, found_rule = _candidates(text, rule, distinct, license_index)
        for t, c in enumerate(counts):
            ok = [r for r, n in c.items() if n >= 3 and n / grams[r] >= 0.5]
            ranked = sorted(ok, key=lambda r: (-(2 * c[r] - grams[r]), -(c[r] / grams[r]), r))
            assert found_rule[found_text == t].tolist() == ranked[:30]
        assert np.all(np.diff(found_text) >= 0)  # text by text


@given(st.lists(st.integers(0, 50), min_size=1, max_size=40), st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), max_size=20))
def test_range_max_is_the_max_of_each_range(values: list[int], ranges: list[tuple[int, int]]) -> None:
    arr = np.asarray(values + [0], dtype=np.int64)
    lo = np.asarray([min(a, len(values)) for a, _ in ranges], dtype=np.int64)
    hi = np.asarray([min(b, len(values)) for _, b in ranges], dtype=np.int64)
    expected = [int(arr[a:b].max(initial=0)) for a, b in zip(lo.tolist(), hi.tolist())]
    assert _range_max(arr, lo, hi).tolist() == expected


@given(st.lists(st.lists(st.integers(0, 9), max_size=6, unique=True), min_size=12, max_size=12),
       st.lists(st.lists(st.integers(0, 11), max_size=8, unique=True), max_size=6))
def test_shared_counts_compiled_and_sparse_product_agree(postings: list[list[int]], texts: list[list[int]]) -> None:
    # 12 grams, each in some of 10 rules; texts hold distinct grams
    gram_start = np.cumsum([0] + [len(p) for p in postings]).astype(np.int64)
    gram_rules = np.asarray([r for p in postings for r in sorted(p)], dtype=np.int32)
    table = _GramTable(np.arange(12, dtype=np.uint64), gram_start, gram_rules, np.zeros(11, np.int64), np.zeros(0, np.int32),
                       np.zeros(1 + (1 << 16), np.int64))
    gram = np.asarray([g for t in texts for g in sorted(t)], dtype=np.int64)
    gram_text = np.asarray([i for i, t in enumerate(texts) for _ in t], dtype=np.int64)
    expected = {}
    for i, t in enumerate(texts):
        for r in range(10):
            n = sum(r in postings[g] for g in t)
            if n >= 3:
                expected[(i, r)] = n

    def pairs(found: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[tuple[int, int], int]:
        text, rule, count = found
        assert np.all(np.diff(text) >= 0)  # text by text
        return {(int(a), int(b)): int(c) for a, b, c in zip(text, rule, count)}

    assert native.COMPILED
    assert pairs(_shared_counts(table, gram, gram_text, len(texts), 10)) == expected
    saved, native.ext = native.ext, None
    try:
        assert pairs(_shared_counts(table, gram, gram_text, len(texts), 10)) == expected
    finally:
        native.ext = saved


def test_shared_counts_refuses_postings_outside_the_rules() -> None:
    with pytest.raises(ValueError, match="outside n_rules"):
        native.ext.shared_counts(np.asarray([0, 1], np.int64), np.asarray([0], np.int64), np.asarray([0, 1], np.int64),
                                 np.asarray([7], np.int32), 5, 1)
    with pytest.raises(ValueError, match="postings lie outside g_rules"):  # a damaged cache: refused, not read past
        native.ext.shared_counts(np.asarray([0, 1], np.int64), np.asarray([0], np.int64), np.asarray([0, 9], np.int64),
                                 np.asarray([0], np.int32), 5, 1)
    with pytest.raises(ValueError, match="outside g_ptr"):
        native.ext.shared_counts(np.asarray([0, 1], np.int64), np.asarray([3], np.int64), np.asarray([0, 1], np.int64),
                                 np.asarray([0], np.int32), 5, 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_text_grams_compiled_and_numpy_agree(license_index, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    words = MIT_TEXT.split() + ["zzqx", "frobnicate", "return", "x", "0"]
    texts = [MIT_TEXT, " ".join(rng.choice(words, 400)), "int main() { return 0; }",
             MIT_TEXT.replace("copy", "zzqx") + " " + MIT_TEXT]
    ids = [tokenize(t, license_index.vocab_map).ids for t in texts]
    lengths = np.asarray([len(i) for i in ids], dtype=np.int64)
    start = np.cumsum(lengths + 1) - lengths - 1
    sequence = np.concatenate([np.append(i, 0) for i in ids])[:-1]  # 0: an unknown token between texts
    rows = Rows(start, start + lengths)
    mask = rng.random(len(sequence)) > 0.1  # windows starting where an exact match already covers: not looked up
    q = QueryHashes.of(sequence, license_index)
    assert native.COMPILED
    compiled = _text_grams(q, license_index, mask, rows)
    saved, native.ext = native.ext, None
    try:
        reference = _text_grams(q, license_index, mask, rows)
    finally:
        native.ext = saved
    assert len(compiled[0]) > 50  # the MIT text's grams are found
    for a, b in zip(compiled, reference):
        assert a.tolist() == b.tolist()
    assert mask[compiled[0]].all()


def test_gram_windows_refuses_bad_arguments() -> None:
    s = np.zeros(20, np.uint64)
    out = np.empty(20, np.int64)
    buckets = np.zeros(1 + (1 << 16), np.int64)
    args = (s, s, np.zeros(20, np.int64), np.ones(19, np.uint8), 4)
    with pytest.raises(ValueError, match="power of two"):
        native.ext.gram_windows(*args, np.zeros(3, np.uint8), np.zeros(1, np.uint64), buckets, out, out.copy())
    with pytest.raises(ValueError, match="out_start"):  # outputs too short for every window
        native.ext.gram_windows(*args, np.zeros(8, np.uint8), np.zeros(1, np.uint64), buckets, out[:3], out.copy())
    buckets[-1] = 5  # beyond the one distinct gram: refused, never read past
    with pytest.raises(ValueError, match="buckets do not split distinct"):
        native.ext.gram_windows(*args, np.zeros(8, np.uint8), np.zeros(1, np.uint64), buckets, out, out.copy())


def test_exact_windows_refuses_token_ids_outside_the_table() -> None:
    s = np.zeros(4, np.uint64)
    out = np.empty(18, np.int64)
    with pytest.raises(ValueError, match="outside first"):
        native.ext.exact_windows(np.asarray([1, 9, 2], np.int32), np.ones(3, np.uint8), s, s, 6, np.zeros(8, np.uint8),
                                 np.zeros(8, np.uint8), out, out.copy(), out.view(np.uint64).copy())
    with pytest.raises(ValueError, match="power of two"):
        native.ext.exact_windows(np.asarray([1, 2, 2], np.int32), np.ones(3, np.uint8), s, s, 6, np.zeros(3, np.uint8),
                                 np.zeros(8, np.uint8), out, out.copy(), out.view(np.uint64).copy())
