"""NearDuplicates (core/dedup.py): the same answers as datasketch's MinHashLSH, in little memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

from creditline.core import dedup


class _DatasketchNearDuplicates:
    """The reference: candidates from datasketch's MinHashLSH, the earliest similar one wins."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=dedup.THRESHOLD, num_perm=dedup.NUM_PERM)
        self.sigs: dict[int, np.ndarray] = {}

    def add(self, key: int, sig: np.ndarray) -> int | None:
        minhash = LeanMinHash(seed=dedup.SEED, hashvalues=sig, scheme="affine32")
        for other in sorted(self.lsh.query(minhash)):
            if dedup.similarity(self.sigs[other], sig) >= dedup.THRESHOLD:
                return other
        self.lsh.insert(key, minhash)
        self.sigs[key] = sig
        return None


def _signatures(seed: int, n: int, bases: int) -> list[np.ndarray]:
    """Signatures of token sets drawn from a few bases with random edits: exact copies, near
    copies, rows that share a band but are not similar enough, and distinct rows."""
    rng = np.random.default_rng(seed)
    pool = [rng.integers(0, 2**40, size=int(rng.integers(0, 300)), dtype=np.uint64) for _ in range(bases)]
    out = []
    for _ in range(n):
        tokens = pool[int(rng.integers(0, bases))].copy()
        if len(tokens) and rng.random() < 0.7:
            edits = int(rng.integers(0, 1 + len(tokens) // 5))
            tokens[rng.integers(0, len(tokens), size=edits)] = rng.integers(0, 2**40, size=edits, dtype=np.uint64)
        out.append(dedup.signature(tokens))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_answers_match_datasketch_minhash_lsh(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup._HashIndex, "_MIN_MERGE", 50)  # many merges of the sorted arrays
    sigs = _signatures(seed, 3000, 150)
    ours, reference = dedup.NearDuplicates(), _DatasketchNearDuplicates()
    got = [ours.add(i, s) for i, s in enumerate(sigs)]
    want = [reference.add(i, s) for i, s in enumerate(sigs)]
    assert got == want
    assert 300 < sum(g is not None for g in got) < 2900  # both kinds of rows were met
    assert len(ours) == len(reference.sigs)


@pytest.mark.parametrize("seed", [3, 4])
def test_rows_added_in_batches_get_the_same_answers(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """add_many: a row may repeat one of its own batch, and merges happen between batches."""
    monkeypatch.setattr(dedup._HashIndex, "_MIN_MERGE", 50)
    sigs = _signatures(seed, 2000, 60)
    reference = _DatasketchNearDuplicates()
    want = [reference.add(i, s) for i, s in enumerate(sigs)]
    ours, got, batch_of, at = dedup.NearDuplicates(), [], [], 0
    sizes = np.random.default_rng(seed).integers(1, 200, size=100).tolist()
    while at < len(sigs):
        size = sizes.pop()
        got += ours.add_many(list(range(at, at + size))[: len(sigs) - at], np.array(sigs[at : at + size]))
        batch_of += [at] * len(sigs[at : at + size])
        at += size
    assert got == want
    assert any(g is not None and g >= batch_of[i] for i, g in enumerate(got))  # some repeat a row of their batch


def test_keys_are_returned_not_positions() -> None:
    index = dedup.NearDuplicates()
    sig = _signatures(5, 1, 1)[0]
    assert index.add(1000, sig) is None
    assert index.add(7, sig) == 1000


@pytest.mark.parametrize(("threshold", "num_perm"), [(t, p) for t in (0.5, 0.7, 0.8, 0.9) for p in (32, 64, 128)]
                         + [(0.95, 64), (0.95, 128)])
def test_banding_is_datasketchs(threshold: float, num_perm: int) -> None:
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert dedup.lsh_bands(threshold, num_perm) == (lsh.b, lsh.r)


def test_signatures_must_be_32_bit_and_complete() -> None:
    index = dedup.NearDuplicates()
    with pytest.raises(ValueError):
        index.add(0, np.full(dedup.NUM_PERM, 2**33, dtype=np.uint64))
    with pytest.raises(ValueError):
        index.add(0, np.zeros(dedup.NUM_PERM - 1, dtype=np.uint64))


def test_memory_per_indexed_row_is_small() -> None:
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(8192, dedup.NUM_PERM), dtype=np.uint64)  # all distinct
    index = dedup.NearDuplicates()
    tracemalloc.start()
    try:
        for key, sig in enumerate(sigs):
            index.add(key, sig)
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(index) == 8192
    assert used / 8192 < 450  # bytes a row: the 256-byte signature and the band entries
