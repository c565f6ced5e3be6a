"""MinHash signatures and near-duplicate detection (core/dedup.py)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core import dedup, native
from creditline.core.fingerprint import kgram_hashes
from creditline.core.lictokens import query_vocab, share_words, tokenize
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


def test_signature_values_are_pinned() -> None:
    # Signatures are compared within a run only, but a change here changes which rows pair up.
    sig = dedup.text_signature("The quick brown fox jumps over the lazy dog. " * 3 + "Copyright 2020 ACME, café 42")
    assert sig[:4].tolist() == [83525069, 244765987, 124009207, 759093530] and int(sig[-1]) == 5805682
    assert dedup.text_signature("two words").tolist()[:3] == [1119008735, 1055590206, 677112384]


def _plain_signature(tokens: np.ndarray) -> np.ndarray:
    """The definition: MinHash over the k-gram hashes (or the tokens of a short stream)."""
    shingles = kgram_hashes(tokens, dedup.SHINGLE) if len(tokens) >= dedup.SHINGLE else tokens
    folded = ((shingles >> np.uint64(32)) ^ shingles).astype(np.uint64)
    out = np.full(dedup.NUM_PERM, 2**32 - 1, dtype=np.uint64)
    for i, (a, b) in enumerate(zip(dedup._A.tolist(), dedup._B.tolist())):
        if len(folded):
            out[i] = int(((folded * np.uint64(a) + np.uint64(b)) & np.uint64(2**32 - 1)).min())
    return out


def test_signatures_of_many_streams_are_each_streams_signature() -> None:
    rng = np.random.default_rng(4)
    sizes = [0, 1, 4, 5, 6, 0, dedup._CHUNK - 2, dedup._CHUNK + 3, 3 * dedup._CHUNK, 2, 0, *rng.integers(0, 900, 40)]
    streams = [rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) for n in sizes]
    found = dedup.signatures(streams)
    assert len(found) == len(streams)
    for stream, sig in zip(streams, found):
        assert sig.dtype == np.uint64 and sig.tolist() == _plain_signature(stream).tolist()
    assert dedup.signatures([]) == []


def test_text_signatures_of_rows_tokenised_together() -> None:
    rows = [" ".join(_text(random.Random(i), 40 * i)) for i in range(6)] + ["Café crème", "", "MIT"]
    vocab = query_vocab(["mit", "w1"])
    ascii_rows = [r for r in rows if r.isascii()]
    joined = "\n".join(ascii_rows)
    tokenize(joined, vocab)
    share_words(joined, ascii_rows, np.cumsum([0] + [len(r) + 1 for r in ascii_rows[:-1]]).tolist())
    together = dedup.text_signatures(rows)
    alone = [dedup.text_signature("".join(list(r))) for r in rows]  # copies: read on their own
    assert [s.tolist() for s in together] == [s.tolist() for s in alone]


@given(st.text(alphabet=st.sampled_from(list("aZ9 _-+,\n\u00e9\u00c9\u4e2d\u0301\u00a0xyQ")), max_size=120))
def test_the_compiled_word_hashes_equal_the_numpy_passes(text: str) -> None:
    assert native.COMPILED, "creditline.core._ctokens was not built"
    assert dedup._compiled_word_hashes(text).tolist() == dedup._numpy_word_hashes(text).tolist()


@given(st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=30), max_size=12))
def test_the_compiled_minhash_equals_the_numpy_passes(streams: list[list[int]]) -> None:
    assert native.COMPILED, "creditline.core._ctokens was not built"
    arrays = [np.asarray(s, dtype=np.uint64) for s in streams]
    compiled = dedup.signatures(arrays)
    native_ext, dedup.native.ext = dedup.native.ext, None
    try:
        reference = dedup.signatures(arrays)
    finally:
        dedup.native.ext = native_ext
    assert [c.tolist() for c in compiled] == [r.tolist() for r in reference]
