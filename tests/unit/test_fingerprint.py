from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core.fingerprint import (
    FINGERPRINT_VERSION,
    GUARANTEE,
    RENAMED_GUARANTEE,
    RENAMED_WINDOW,
    WINDOW,
    K,
    Fingerprints,
    fingerprint,
    kgram_hashes,
    line_skip_kgrams,
    renamed_kgram_hashes,
    stream_kgram_hashes,
    winnow,
    winnowed,
)
from creditline import trace_api
from creditline.core.normalize import code_tokens, prose_tokens

P = 0x9E3779B97F4A7C15
PAPER_HASHES = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]


def u64(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.uint64)


def reference_kgrams(tokens: list[int], k: int) -> list[int]:
    """The documented polynomial, in Python integers."""
    return [sum(t * pow(P, k - 1 - j, 2**64) for j, t in enumerate(tokens[i : i + k])) % 2**64
            for i in range(len(tokens) - k + 1)]  # fmt: skip


def reference_winnow(hashes: list[int], window: int) -> list[int]:
    """Rightmost minimum of every window, one loop per window."""
    if not hashes:
        return []
    width = min(window, len(hashes))
    picks = set()
    for i in range(len(hashes) - width + 1):
        block = hashes[i : i + width]
        low = min(block)
        picks.add(i + max(j for j, h in enumerate(block) if h == low))
    return sorted(picks)


class TestConstants:
    def test_guarantee_threshold(self) -> None:
        assert (FINGERPRINT_VERSION, K, WINDOW, GUARANTEE) == (4, 12, 5, K + WINDOW - 1)
        assert (RENAMED_WINDOW, RENAMED_GUARANTEE) == (9, K + RENAMED_WINDOW - 1)
        # the shortest span trace reports by default is always found in every channel
        assert trace_api.MIN_TOKENS >= max(GUARANTEE, RENAMED_GUARANTEE)


class TestKgramHashes:
    def test_snapshot(self) -> None:
        """Stored in catalogs: a change needs a new FINGERPRINT_VERSION."""
        got = kgram_hashes(u64([1, 2, 3, 4, 5]), 3)
        assert got.dtype == np.uint64
        assert got.tolist() == [1995974887614534118, 11037979029615421365, 1633239097906756996]

    def test_snapshot_through_prose(self) -> None:
        tokens = prose_tokens("The quick brown fox").exact
        assert kgram_hashes(tokens, 2).tolist() == [11610362318197132496, 9352260155331623160, 18233314576122904027]

    @given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=40), st.integers(min_value=1, max_value=8))
    def test_matches_documented_polynomial(self, tokens: list[int], k: int) -> None:
        assert kgram_hashes(u64(tokens), k).tolist() == reference_kgrams(tokens, k)

    def test_same_kgram_same_hash_anywhere(self) -> None:
        got = kgram_hashes(u64([9, 1, 2, 3, 7, 7, 1, 2, 3]), 3)
        assert got[1] == got[6] and got[0] != got[1]

    def test_short_and_empty_inputs(self) -> None:
        assert kgram_hashes(u64([1, 2]), 3).tolist() == []
        assert kgram_hashes(u64([]), 3).dtype == np.uint64
        assert kgram_hashes(u64([5, 6, 7]), 3).tolist() == reference_kgrams([5, 6, 7], 3)

    def test_k_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            kgram_hashes(u64([1, 2, 3]), 0)


class TestWinnow:
    def test_paper_example(self) -> None:
        """Schleimer et al. 2003, fig. 2: windows of 4 over these hashes select 17 17 8 39 17."""
        picks = winnow(u64(PAPER_HASHES), 4)
        assert picks.tolist() == [3, 6, 8, 11, 15]
        assert [PAPER_HASHES[i] for i in picks] == [17, 17, 8, 39, 17]

    def test_ties_take_the_rightmost_minimum(self) -> None:
        assert winnow(u64([5, 1, 1, 5]), 3).tolist() == [2]
        assert winnow(u64([4, 4, 4, 4, 4]), 3).tolist() == [2, 3, 4]

    def test_empty_and_short_inputs(self) -> None:
        assert winnow(u64([]), 4).tolist() == [] and winnow(u64([]), 4).dtype == np.int64
        assert winnow(u64([7]), 4).tolist() == [0]
        assert winnow(u64([3, 1, 2]), 4).tolist() == [1]
        assert winnow(u64([1, 3, 1]), 4).tolist() == [2]

    def test_window_of_one_selects_everything(self) -> None:
        assert winnow(u64([3, 1, 2]), 1).tolist() == [0, 1, 2]

    def test_window_must_be_positive(self) -> None:
        with pytest.raises(ValueError):
            winnow(u64([1]), 0)

    @given(st.lists(st.integers(min_value=0, max_value=6), max_size=60), st.integers(min_value=1, max_value=10))
    def test_matches_reference_with_many_ties(self, hashes: list[int], window: int) -> None:
        assert winnow(u64(hashes), window).tolist() == reference_winnow(hashes, window)

    @given(st.lists(st.integers(min_value=0, max_value=6), max_size=60), st.integers(min_value=1, max_value=10))
    def test_compiled_and_numpy_winnowing_agree(self, hashes: list[int], window: int) -> None:
        from creditline.core import native

        assert native.COMPILED
        compiled = winnow(u64(hashes), window).tolist()
        saved, native.ext = native.ext, None
        try:
            assert winnow(u64(hashes), window).tolist() == compiled
        finally:
            native.ext = saved

    @given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=1, max_size=80),
           st.integers(min_value=1, max_value=12))  # fmt: skip
    def test_every_window_holds_a_selected_minimum(self, hashes: list[int], window: int) -> None:
        picks = winnow(u64(hashes), window)
        assert np.all(np.diff(picks) > 0)
        chosen = set(picks.tolist())
        for i in range(max(len(hashes) - window + 1, 1)):
            block = range(i, min(i + window, len(hashes)))
            assert any(j in chosen and hashes[j] == min(hashes[b] for b in block) for j in block)

    def test_density_on_random_data(self) -> None:
        hashes = np.random.default_rng(42).integers(0, 2**63, size=200_000, dtype=np.int64).astype(np.uint64)
        for window in (4, WINDOW, 20):
            density = len(winnow(hashes, window)) / len(hashes)
            assert density == pytest.approx(2 / (window + 1), rel=0.05)


def embed(rng: np.random.Generator, run: np.ndarray, before: int, after: int, alphabet: int) -> np.ndarray:
    return np.concatenate([rng.integers(0, alphabet, before), run, rng.integers(0, alphabet, after)]).astype(np.uint64)


def reference_line_skips(tokens: list[int], line_of: list[int], k: int, max_lines: int, max_tokens: int,
                          allowed: list[bool]) -> set[tuple[int, int, int]]:
    """(hash, first token, end token) of every k-gram joining the tokens around up to
    ``max_lines`` whole lines, one gap and one split at a time, in Python integers."""
    lines = sorted(set(line_of))
    first = {ln: line_of.index(ln) for ln in lines}
    out = set()
    for g in range(1, len(lines)):
        for skip in range(1, max_lines + 1):
            if g + skip >= len(lines):
                break
            a, b = first[lines[g]], first[lines[g + skip]]
            if b - a > max_tokens:
                continue
            for before in range(1, k):
                i, end = a - before, b + k - before
                if i < 0 or end > len(tokens) or not all(allowed[i:end]):
                    continue
                joined = tokens[i:a] + tokens[b:end]
                out.add((reference_kgrams(joined, k)[0], i, end))
    return out


class TestLineSkipKgrams:
    @given(st.lists(st.tuples(st.integers(min_value=0, max_value=6), st.booleans()), min_size=1, max_size=40),
           st.integers(min_value=2, max_value=5), st.integers(min_value=1, max_value=3),
           st.integers(min_value=1, max_value=8), st.data())
    def test_matches_a_reference(self, layout: list[tuple[int, bool]], k: int, max_lines: int, max_tokens: int,
                                 data: st.DataObject) -> None:
        """Each line holds 0 to 6 tokens; each k-gram is the documented polynomial of the tokens
        it joins around the skipped lines, and none joins or skips a token that is not allowed."""
        line_of = [ln for ln, (count, _) in enumerate(layout) for _ in range(count)]
        n = len(line_of)
        tokens = data.draw(st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=n, max_size=n))
        allowed = [layout[ln][1] or count % 2 == 0 for ln in line_of for count in [layout[ln][0]]]
        token_starts = np.asarray([10 * ln + j for ln, (count, _) in enumerate(layout) for j in range(count)],
                                  dtype=np.int64)
        line_starts = np.asarray([10 * ln for ln in range(len(layout))], dtype=np.int64)
        hashes, starts, ends = line_skip_kgrams(u64(tokens), token_starts, line_starts, k, max_lines=max_lines,
                                                max_tokens=max_tokens, allowed=np.asarray(allowed, dtype=bool))
        got = set(zip(hashes.tolist(), starts.tolist(), ends.tolist(), strict=True))
        assert got == reference_line_skips(tokens, line_of, k, max_lines, max_tokens, allowed)

    def test_a_copy_with_a_line_inserted_holds_its_source_kgrams(self) -> None:
        source = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi"
        copy = "alpha beta gamma delta epsilon zeta eta theta\nnot in the source at all\niota kappa lambda mu nu xi omicron pi"
        words = prose_tokens(copy)
        line_starts = np.asarray([0, copy.index("not"), copy.index("iota")])
        hashes, starts, ends = line_skip_kgrams(words.exact, words.starts, line_starts, K)
        wanted = set(kgram_hashes(prose_tokens(source).exact, K).tolist())
        assert wanted <= set(hashes.tolist())
        assert set(kgram_hashes(words.exact, K).tolist()).isdisjoint(wanted)  # read as it is, nothing
        none_allowed = line_skip_kgrams(words.exact, words.starts, line_starts, K, allowed=np.zeros(len(words), bool))
        assert len(none_allowed[0]) == 0

    def test_short_streams_give_nothing(self) -> None:
        hashes, starts, ends = line_skip_kgrams(u64([1, 2, 3]), np.arange(3), np.asarray([0, 1, 2]), 3)
        assert len(hashes) == len(starts) == len(ends) == 0 and hashes.dtype == np.uint64


class TestFingerprint:
    def test_selected_hashes_and_positions(self) -> None:
        tokens = u64(list(range(100, 140)))
        fp = fingerprint(tokens, k=3, window=4)
        assert isinstance(fp, Fingerprints) and fp.positions.dtype == np.int64 and fp.hashes.dtype == np.uint64
        assert fp.hashes.tolist() == kgram_hashes(tokens, 3)[fp.positions].tolist()
        assert fp.positions.tolist() == winnow(kgram_hashes(tokens, 3), 4).tolist()

    def test_too_few_tokens(self) -> None:
        assert len(fingerprint(u64(list(range(K - 1))))) == 0
        assert len(fingerprint(u64(list(range(K))))) == 1

    @settings(max_examples=200)
    @given(
        seed=st.integers(min_value=0, max_value=2**32 - 1),
        before=st.tuples(st.integers(0, 60), st.integers(0, 60)),
        after=st.tuples(st.integers(0, 60), st.integers(0, 60)),
        extra=st.integers(0, 10),
        alphabet=st.sampled_from([2, 5, 2**63]),
        shape=st.sampled_from([(K, WINDOW), (1, 1), (2, 3), (3, 1), (4, 5)]),
    )
    def test_shared_run_of_guarantee_length_is_found(
        self, seed: int, before: tuple[int, int], after: tuple[int, int], extra: int, alphabet: int,
        shape: tuple[int, int],
    ) -> None:  # fmt: skip
        k, window = shape
        rng = np.random.default_rng(seed)
        run = rng.integers(0, alphabet, k + window - 1 + extra)
        a = fingerprint(embed(rng, run, before[0], after[0], alphabet), k, window)
        b = fingerprint(embed(rng, run, before[1], after[1], alphabet), k, window)
        assert np.intersect1d(a.hashes, b.hashes).size > 0

    def test_copied_prose_is_found_despite_reformatting(self) -> None:
        passage = ("Permission is hereby granted, free of charge, to any person obtaining a copy of this "
                   "software and associated documentation files")  # fmt: skip
        source = "Preface words here. " + passage + " and more original text follows at the end."
        output = "The model wrote:\n" + passage.upper().replace(" ", "\n  ") + "\nThat is all."
        a, b = fingerprint(prose_tokens(source).exact), fingerprint(prose_tokens(output).exact)
        assert len(prose_tokens(passage)) >= GUARANTEE
        assert np.intersect1d(a.hashes, b.hashes).size > 0


def reference_renamed(renamed: list[int], names: list[int | None], k: int) -> list[int]:
    """The documented parameterised k-gram, in Python integers: ``names[i]`` is the identifier
    at token i (None: not an identifier)."""
    r = 0xC2B2AE3D27D4EB4F
    out = []
    for i in range(len(renamed) - k + 1):
        h = 0
        for j in range(k):
            back = 0
            if names[i + j] is not None:
                for d in range(1, j + 1):
                    if names[i + j - d] == names[i + j]:
                        back = d
                        break
            h = (h * P + renamed[i + j] + back * r) % 2**64
        out.append(h)
    return out


Item = tuple[str, int]  # ("n", identifier) or ("t", other token)
ITEMS = st.one_of(st.integers(min_value=0, max_value=6).map(lambda n: ("n", n)),
                  st.integers(min_value=1, max_value=5).map(lambda t: ("t", t)))


class TestRenamedKgrams:
    IDENT = 7  # the abstracted hash of every identifier in these streams

    def streams(self, items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
        """(renamed, exact) token hashes: identifier n is ``1000 + n``, other tokens as given."""
        exact = [1000 + v if kind == "n" else v for kind, v in items]
        renamed = [self.IDENT if kind == "n" else v for kind, v in items]
        return u64(renamed), u64(exact)

    @given(st.lists(ITEMS, max_size=30), st.integers(min_value=1, max_value=6))
    def test_matches_documented_definition(self, items: list[Item], k: int) -> None:
        renamed, exact = self.streams(items)
        names = [v if kind == "n" else None for kind, v in items]
        assert renamed_kgram_hashes(renamed, exact, k).tolist() == reference_renamed(renamed.tolist(), names, k)

    @given(st.lists(ITEMS, max_size=30), st.integers(min_value=1, max_value=6))
    def test_compiled_and_numpy_agree(self, items: list[Item], k: int) -> None:
        from creditline.core import native

        renamed, exact = self.streams(items)
        assert native.COMPILED
        compiled = renamed_kgram_hashes(renamed, exact, k).tolist()
        saved, native.ext = native.ext, None
        try:
            assert renamed_kgram_hashes(renamed, exact, k).tolist() == compiled
        finally:
            native.ext = saved

    @given(st.lists(ITEMS, min_size=GUARANTEE, max_size=60), st.permutations(list(range(7))), st.data())
    @settings(max_examples=60)
    def test_consistent_renaming_keeps_the_guarantee(self, items: list[Item], perm: list[int],
                                                     data: st.DataObject) -> None:
        """A run of GUARANTEE tokens copied with every identifier renamed consistently (into
        other surroundings, which use the same names) still shares a fingerprint with the
        original."""
        start = data.draw(st.integers(min_value=0, max_value=len(items) - GUARANTEE))
        run = [(kind, perm[v]) if kind == "n" else (kind, v) for kind, v in items[start : start + GUARANTEE]]
        copy = [("n", 3), ("t", 1), ("n", 5), ("n", 3), *run, ("n", 5), ("t", 2)]
        a = winnowed(renamed_kgram_hashes(*self.streams(items), K))
        b = winnowed(renamed_kgram_hashes(*self.streams(copy), K))
        assert set(a.hashes.tolist()) & set(b.hashes.tolist())

    def test_plain_without_repeated_identifiers(self) -> None:
        renamed, exact = self.streams([("t", 1), ("n", 1), ("t", 2), ("n", 2), ("t", 3), ("n", 3), ("t", 4)])
        assert renamed_kgram_hashes(renamed, exact, 3).tolist() == kgram_hashes(renamed, 3).tolist()

    def test_same_shape_other_reuse_differs(self) -> None:
        """``a = b(c)`` and ``a = b(a)`` abstract alike; their renamed k-grams differ."""
        one, two = code_tokens("a = b(c)\n", "python"), code_tokens("a = b(a)\n", "python")
        assert one.renamed.tolist() == two.renamed.tolist()
        assert stream_kgram_hashes(one, "renamed", 6).tolist() != stream_kgram_hashes(two, "renamed", 6).tolist()
        three = code_tokens("x = y(x)\n", "python")
        assert stream_kgram_hashes(three, "renamed", 6).tolist() == stream_kgram_hashes(two, "renamed", 6).tolist()

    def test_literals_are_not_names(self) -> None:
        """Two equal string literals do not refer back to each other (literals may change)."""
        one, two = code_tokens('f("a", "a")\n', "python"), code_tokens('f("a", "b")\n', "python")
        assert stream_kgram_hashes(one, "renamed", 3).tolist() == stream_kgram_hashes(two, "renamed", 3).tolist()

    def test_prose_has_no_renamed_channel(self) -> None:
        with pytest.raises(ValueError):
            stream_kgram_hashes(prose_tokens("some words here"), "renamed")
