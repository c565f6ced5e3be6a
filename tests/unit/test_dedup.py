"""MinHash signatures and near-duplicate detection (core/dedup.py)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core import dedup
from creditline.core.normalize import prose_tokens


def _text(rng: random.Random, n: int) -> list[str]:
    return [f"w{rng.randrange(5000)}" for _ in range(n)]


def test_signature_is_stable_and_order_of_repeats_free() -> None:
    words = " ".join(_text(random.Random(1), 300))
    a = dedup.signature(prose_tokens(words).exact)
    b = dedup.signature(prose_tokens(words + " " + words).exact)  # repeats add one shingle at the seam
    assert a.dtype == np.uint64 and len(a) == dedup.NUM_PERM and int(a.max()) < 2**32
    assert np.array_equal(a, dedup.signature(prose_tokens(words).exact))
    assert dedup.similarity(a, b) > 0.9


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.5))
def test_similarity_estimates_jaccard(seed: int, edit_share: float) -> None:
    rng = random.Random(seed)
    words = _text(rng, 400)
    edited = [f"x{rng.randrange(10**6)}" if rng.random() < edit_share else w for w in words]
    shingles = [set(zip(*(ws[i:] for i in range(dedup.SHINGLE)))) for ws in (words, edited)]
    jaccard = len(shingles[0] & shingles[1]) / len(shingles[0] | shingles[1])
    estimate = dedup.similarity(dedup.signature(prose_tokens(" ".join(words)).exact),
                                dedup.signature(prose_tokens(" ".join(edited)).exact))
    assert abs(estimate - jaccard) < 0.25  # 64 permutations: standard error <= 1/16


def test_near_duplicates_pick_the_earliest_row() -> None:
    rng = random.Random(7)
    base = _text(rng, 500)
    near = list(base)
    near[250] = "changed"
    other = _text(rng, 500)
    index = dedup.NearDuplicates()
    sig = [dedup.signature(prose_tokens(" ".join(w)).exact) for w in (base, other, near, base)]
    assert index.add(0, sig[0]) is None
    assert index.add(1, sig[1]) is None
    assert index.add(2, sig[2]) == 0
    assert index.add(3, sig[3]) == 0
    assert len(index) == 2  # duplicates are not indexed: the cluster keeps its first row


def test_empty_texts_only_match_each_other() -> None:
    empty = dedup.signature(np.empty(0, dtype=np.uint64))
    index = dedup.NearDuplicates()
    assert index.add(0, empty) is None
    assert index.add(1, dedup.signature(prose_tokens("some words here and more of them").exact)) is None
    assert index.add(2, empty) == 0


def test_word_hashes_fold_ascii_case_and_agree_across_paths() -> None:
    ascii_text = dedup.word_hashes("Hello, World! hello world 42")
    unicode_text = dedup.word_hashes("Hello, World! hello world 42 café")  # the code-point path
    assert len(ascii_text) == 5 and len(unicode_text) == 6
    assert ascii_text[0] == ascii_text[2] and ascii_text[1] == ascii_text[3]
    assert np.array_equal(unicode_text[:5], ascii_text)
    assert len(dedup.word_hashes(" ,;- ")) == 0


def test_text_signature_finds_a_lightly_edited_copy() -> None:
    words = _text(random.Random(3), 600)
    edited = list(words)
    edited[100] = edited[100].upper()  # case does not count
    edited[400] = "different"
    a, b = dedup.text_signature(" ".join(words)), dedup.text_signature(", ".join(edited))
    assert dedup.similarity(a, b) >= dedup.THRESHOLD
