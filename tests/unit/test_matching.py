from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.core.fingerprint import WINDOW, K, fingerprint
from creditline.core.matching import (
    extend_span,
    IDF_FLOOR,
    SourceEvidence,
    SpanHit,
    bridge_span,
    char_units,
    default_gap,
    idf,
    match_spans,
    rank_sources,
    renaming_evidence,
)
from creditline.core.normalize import prose_tokens

N_TOKENS = 200
# Query token i spans chars [5i, 5i + 4).
TOK_STARTS = np.arange(N_TOKENS, dtype=np.int64) * 5
TOK_ENDS = TOK_STARTS + 4


def copy_hits(positions: np.ndarray, indices: list[int], work: int, base: int = 1000) -> list[tuple[int, ...]]:
    """Hits of fingerprints ``indices`` in ``work``, copied in order at source char ``base``."""
    return [(i, work, base + 5 * int(positions[i]), base + 5 * (int(positions[i]) + K) - 1) for i in indices]


def as_hits(rows: list[tuple[int, ...]]) -> tuple[np.ndarray, ...]:
    if not rows:
        return tuple(np.empty(0, dtype=np.int64) for _ in range(4))
    return tuple(np.array(column, dtype=np.int64) for column in zip(*rows))


def run(positions, rows, doc_freq=None, **kwargs) -> list[SpanHit]:
    positions = np.asarray(positions, dtype=np.int64)
    if doc_freq is None:
        doc_freq = np.ones(len(positions), dtype=np.int64)
    kwargs.setdefault("k", K)
    kwargs.setdefault("n_works", 100)
    return match_spans(positions, TOK_STARTS, TOK_ENDS, as_hits(rows), np.asarray(doc_freq), **kwargs)


EVERY_4 = np.arange(0, N_TOKENS - K + 1, 4)  # a fingerprint every 4 tokens


# --- merging -----------------------------------------------------------------------------------


def test_adjacent_hits_merge_into_one_span() -> None:
    indices = list(range(5, 15))  # k-grams at tokens 20, 24, ..., 56
    spans = run(EVERY_4, copy_hits(EVERY_4, indices, work=7))
    assert len(spans) == 1
    span = spans[0]
    assert (span.work, span.q_token_start, span.q_token_end) == (7, 20, 56 + K)
    assert (span.q_start, span.q_end) == (100, 5 * (56 + K - 1) + 4)
    assert (span.s_start, span.s_end) == (1000 + 100, 1000 + 5 * (56 + K) - 1)
    assert span.fingerprints == 10
    assert span.weight == pytest.approx(10 * (math.log(101 / 2) + IDF_FLOOR))
    assert span.tokens == 48


def test_gap_too_large_splits() -> None:
    # k-grams at 0..28 (ends 40), then at 80..108: 40 tokens uncovered, more than 2 * K.
    rows = copy_hits(EVERY_4, list(range(0, 8)) + list(range(20, 28)), work=1)
    spans = run(EVERY_4, rows)
    assert [(s.q_token_start, s.q_token_end) for s in spans] == [(0, 28 + K), (80, 108 + K)]
    # The same hits with a larger gap allowance make one span.
    assert [(s.q_token_start, s.q_token_end) for s in run(EVERY_4, rows, gap=40)] == [(0, 108 + K)]
    # A gap just at the limit still joins: 12 k-grams apart = 36 uncovered tokens.
    rows = copy_hits(EVERY_4, list(range(0, 8)) + list(range(19, 27)), work=1)
    assert len(run(EVERY_4, rows, gap=36)) == 1
    assert len(run(EVERY_4, rows, gap=35)) == 2
    assert default_gap(K) == 2 * K


def test_out_of_order_source_splits() -> None:
    # Query tokens 0..60 copy source part B (at char 5000) then part A (at char 1000).
    rows = copy_hits(EVERY_4, list(range(0, 8)), work=3, base=5000)
    rows += copy_hits(EVERY_4, list(range(8, 16)), work=3, base=1000 - 5 * 32)
    spans = run(EVERY_4, rows)
    assert [(s.q_token_start, s.q_token_end) for s in spans] == [(0, 28 + K), (32, 60 + K)]
    assert spans[0].s_start > spans[1].s_end


def test_distant_source_jump_splits() -> None:
    # Query tokens 0..60 copy two runs of one work that lie 50,000 chars apart in the source.
    rows = copy_hits(EVERY_4, list(range(0, 8)), work=3) + copy_hits(EVERY_4, list(range(8, 16)), work=3, base=51_000)
    assert [(s.q_token_start, s.q_token_end) for s in run(EVERY_4, rows)] == [(0, 28 + K), (32, 60 + K)]
    # A short insertion in the source (100 chars) does not.
    rows = copy_hits(EVERY_4, list(range(0, 8)), work=3) + copy_hits(EVERY_4, list(range(8, 16)), work=3, base=1100)
    assert [(s.q_token_start, s.q_token_end) for s in run(EVERY_4, rows)] == [(0, 60 + K)]


def test_min_tokens_filter() -> None:
    rows = copy_hits(EVERY_4, [0, 1], work=1)  # covers tokens [0, 16): 16 tokens
    assert run(EVERY_4, rows) == []
    assert len(run(EVERY_4, rows, min_tokens=16)) == 1
    assert run(EVERY_4, rows, min_tokens=17) == []


def test_boilerplate_fingerprints_are_dropped() -> None:
    indices = list(range(0, 10))
    doc_freq = np.ones(len(EVERY_4), dtype=np.int64)
    doc_freq[indices] = 51  # every one of these k-grams is in 51 works: a license header
    assert run(EVERY_4, copy_hits(EVERY_4, indices, work=1), doc_freq) == []
    doc_freq[indices] = 50
    assert len(run(EVERY_4, copy_hits(EVERY_4, indices, work=1), doc_freq)) == 1
    # Dropping a common fingerprint in the middle leaves a gap, not a wrong span.
    doc_freq[:] = 1
    doc_freq[4] = 1000
    spans = run(EVERY_4, copy_hits(EVERY_4, indices, work=1), doc_freq)
    assert [(s.q_token_start, s.q_token_end, s.fingerprints) for s in spans] == [(0, 36 + K, 9)]


def test_rarer_fingerprints_weigh_more() -> None:
    weights = idf(np.array([0, 1, 5, 50]), 100)
    assert weights[0] == weights[1]
    assert list(weights) == sorted(weights, reverse=True)
    assert weights.min() >= IDF_FLOOR


def test_repeated_passage_in_source_does_not_split() -> None:
    # The work holds fingerprint 3 twice: once in the copied run, once far away.
    rows = copy_hits(EVERY_4, list(range(0, 10)), work=1)
    rows.append((3, 1, 90_000, 90_050))
    spans = run(EVERY_4, rows)
    assert [(s.q_token_start, s.q_token_end, s.fingerprints) for s in spans] == [(0, 36 + K, 10)]
    assert spans[0].s_end < 90_000


def test_each_work_gets_its_own_spans() -> None:
    rows = copy_hits(EVERY_4, list(range(0, 10)), work=2) + copy_hits(EVERY_4, list(range(0, 10)), work=1)
    spans = run(EVERY_4, rows)
    assert [s.work for s in spans] == [1, 2]


def test_no_hits() -> None:
    assert run(EVERY_4, []) == []


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        run(EVERY_4, [(len(EVERY_4), 1, 0, 10)])
    with pytest.raises(ValueError):
        run([N_TOKENS - K + 1], [])
    with pytest.raises(ValueError):
        run(EVERY_4, [], k=0)


# --- ranking -----------------------------------------------------------------------------------


def span(work: int, start: int, end: int, weight: float = 1.0) -> SpanHit:
    return SpanHit(work, start, end, 5 * start, 5 * end - 1, 0, 1, 1, weight)


def test_superset_source_wins_and_subset_is_dropped() -> None:
    ranked = rank_sources([span(1, 0, 40), span(2, 0, 100), span(3, 50, 90)])
    assert [(e.work, e.tokens, e.new_tokens) for e in ranked] == [(2, 100, 100)]


def test_disjoint_halves_are_both_kept() -> None:
    ranked = rank_sources([span(1, 0, 50), span(2, 50, 100)])
    assert [(e.work, e.new_tokens) for e in ranked] == [(1, 50), (2, 50)]
    assert ranked[0].score >= ranked[1].score


def test_ties_go_to_the_heavier_source() -> None:
    ranked = rank_sources([span(1, 0, 50, weight=1.0), span(2, 0, 50, weight=3.0)])
    assert [e.work for e in ranked] == [2]
    assert ranked[0].score == pytest.approx(50 + 3 / 4)


def test_partial_overlap_counts_only_new_tokens() -> None:
    ranked = rank_sources([span(1, 0, 60), span(2, 40, 100), span(2, 0, 10)], min_new_tokens=20)
    assert [(e.work, e.tokens, e.new_tokens) for e in ranked] == [(2, 70, 70), (1, 60, 30)]
    assert [(s.q_token_start, s.q_token_end) for s in ranked[0].spans] == [(0, 10), (40, 100)]
    # The second source adds 30 tokens: below a threshold of 31 it is dropped.
    assert [e.work for e in rank_sources([span(1, 0, 60), span(2, 40, 100), span(2, 0, 10)],
                                         min_new_tokens=31)] == [2]  # fmt: skip


def test_rank_nothing() -> None:
    assert rank_sources([]) == []
    assert rank_sources([span(1, 0, 19)]) == []


def test_char_units_count_each_token_once_in_the_densest_stream() -> None:
    # code tokens "ab" "(" "c" at 0-2, 2-3, 3-4; words over a comment at 10-20 and 21-25
    code = (np.array([0, 2, 3]), np.array([2, 3, 4]))
    words = (np.array([0, 10, 21]), np.array([4, 20, 25]))
    units = char_units(30, code, words)
    assert units[:4].sum() == pytest.approx(3.0)  # code is denser there than the word "ab(c"
    assert units[10:25].sum() == pytest.approx(2.0)
    assert units[4:10].sum() == 0 and units[25:].sum() == 0
    assert char_units(5).sum() == 0


def test_ranking_in_chars_counts_tokens_with_units() -> None:
    """A source explaining 30 narrow tokens (90 chars) passes a 20-token bar in char space,
    which 90 chars would not pass as 20 tokens of a wide-token text; one of 10 does not."""
    units = np.zeros(1000)
    units[:90] = 1 / 3  # 30 tokens of 3 chars
    units[90:] = 1 / 30  # wide tokens
    dense = SpanHit(1, 0, 30, 0, 90, 0, 1, 1, 1.0)
    short = SpanHit(2, 30, 40, 90, 390, 0, 1, 1, 1.0)  # 300 chars, 10 tokens
    (kept,) = rank_sources([dense, short], min_new_tokens=20, space="chars", units=units)
    assert (kept.work, kept.tokens, kept.new_tokens) == (1, 30, 30)
    plain = rank_sources([dense, short], min_new_tokens=20 * 31, space="chars")
    assert [e.work for e in plain] == []  # the old bar: 20 tokens of the mean width


# --- properties --------------------------------------------------------------------------------


@st.composite
def random_inputs(draw):
    k = draw(st.integers(1, 12))
    n_tokens = draw(st.integers(k, 120))
    positions = np.array(sorted(draw(st.sets(st.integers(0, n_tokens - k), min_size=1, max_size=40))), dtype=np.int64)
    widths = np.array(draw(st.lists(st.integers(1, 6), min_size=n_tokens, max_size=n_tokens)), dtype=np.int64)
    spaces = np.array(draw(st.lists(st.integers(0, 3), min_size=n_tokens, max_size=n_tokens)), dtype=np.int64)
    starts = np.cumsum(spaces + widths) - widths
    ends = starts + widths
    rows = []
    if len(positions):
        # Hits either land anywhere in the source or follow the query in order (a copy), with jitter.
        hit = st.tuples(st.integers(0, len(positions) - 1), st.integers(0, 4), st.integers(0, 500), st.booleans())
        rows = []
        for i, w, s, in_order in draw(st.lists(hit, max_size=80)):
            if in_order:
                s = 1000 * w + int(starts[positions[i]]) + s % 21 - 10
            rows.append((i, w, s, s + 10))
    doc_freq = np.array(draw(st.lists(st.integers(0, 3), min_size=len(positions), max_size=len(positions))),
                        dtype=np.int64)  # fmt: skip
    params = {"k": k, "n_works": 10, "min_tokens": draw(st.integers(1, 24)), "max_df": draw(st.integers(1, 4)),
              "gap": draw(st.none() | st.integers(0, 20))}  # fmt: skip
    return positions, starts, ends, as_hits(rows), doc_freq, params


@settings(max_examples=300, deadline=None)
@given(random_inputs(), st.integers(0, 30))
def test_spans_and_ranking_are_consistent(inputs, min_new) -> None:
    positions, starts, ends, hits, doc_freq, params = inputs
    spans = match_spans(positions, starts, ends, hits, doc_freq, **params)
    n_tokens = len(starts)
    fingerprints_found = 0
    for s in spans:
        assert 0 <= s.q_token_start < s.q_token_end <= n_tokens
        assert s.q_token_end - s.q_token_start >= params["min_tokens"]
        assert s.q_start < s.q_end
        assert (s.q_start, s.q_end) == (starts[s.q_token_start], ends[s.q_token_end - 1])
        assert s.s_start <= s.s_end
        assert s.fingerprints >= 1 and s.weight > 0
        fingerprints_found += s.fingerprints
    # One posting per (work, fingerprint) at most, boilerplate excluded.
    qi, work = hits[0], hits[1]
    kept = np.maximum(doc_freq, 1)[qi] <= params["max_df"] if len(qi) else np.zeros(0, dtype=bool)
    assert fingerprints_found <= len(set(zip(qi[kept].tolist(), work[kept].tolist())))
    assert spans == sorted(spans, key=lambda s: (s.work, s.q_token_start))

    ranked = rank_sources(spans, min_new_tokens=min_new)
    assert len({e.work for e in ranked}) == len(ranked)
    assert sum(e.new_tokens for e in ranked) <= n_tokens
    explained = np.zeros(n_tokens, dtype=bool)
    for e in ranked:
        assert isinstance(e, SourceEvidence)
        assert min_new <= e.new_tokens <= e.tokens
        assert e.spans == tuple(s for s in spans if s.work == e.work)
        mine = np.zeros(n_tokens, dtype=bool)
        for s in e.spans:
            mine[s.q_token_start : s.q_token_end] = True
        assert e.tokens == mine.sum()
        assert e.new_tokens == (mine & ~explained).sum()
        explained |= mine
    assert [e.score for e in ranked] == sorted((e.score for e in ranked), reverse=True)


# --- integration with normalize + fingerprint ---------------------------------------------------


def test_copied_passage_is_found_in_real_text() -> None:
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
                  for _ in range(3000)]  # fmt: skip
    source_words = [rng.choice(vocabulary) for _ in range(300)]
    copied = source_words[100:160]  # 60 words
    query_words = [rng.choice(vocabulary) for _ in range(50)] + copied + [rng.choice(vocabulary) for _ in range(50)]
    source_text = "Intro. " + " ".join(source_words)
    query_text = "The model said: " + ", ".join(query_words[:50]) + ". " + " ".join(copied) + "! " + \
        " ".join(query_words[110:])
    source, query = prose_tokens(source_text), prose_tokens(query_text)
    s_fp, q_fp = fingerprint(source.exact), fingerprint(query.exact)
    postings: dict[int, list[int]] = {}
    for hash_, pos in zip(s_fp.hashes.tolist(), s_fp.positions.tolist(), strict=True):
        postings.setdefault(hash_, []).append(pos)
    rows = [(i, 9, int(source.starts[p]), int(source.ends[p + K - 1]))
            for i, h in enumerate(q_fp.hashes.tolist()) for p in postings.get(h, [])]  # fmt: skip
    doc_freq = np.array([1 if h in postings else 0 for h in q_fp.hashes.tolist()], dtype=np.int64)
    spans = match_spans(q_fp.positions, query.starts, query.ends, as_hits(rows), doc_freq, k=K, n_works=1)
    assert len(spans) == 1
    (s,) = spans
    copy_q0 = len(query_words[:50]) + 3  # "The model said" are tokens too
    assert copy_q0 <= s.q_token_start <= copy_q0 + WINDOW
    assert copy_q0 + 60 - WINDOW <= s.q_token_end <= copy_q0 + 60
    copied_at_q = query_text.index(" ".join(copied))
    copied_at_s = source_text.index(" ".join(copied))
    assert query_text[s.q_start : s.q_end] in " ".join(copied)
    assert s.q_start - copied_at_q <= 10 * WINDOW and copied_at_q + len(" ".join(copied)) - s.q_end <= 10 * WINDOW
    assert source_text[s.s_start : s.s_end] == query_text[s.q_start : s.q_end]
    assert copied_at_s <= s.s_start and s.s_end <= copied_at_s + len(" ".join(copied))
    (evidence,) = rank_sources(spans)
    assert evidence.work == 9 and evidence.new_tokens == s.tokens >= 60 - 2 * WINDOW


def reference_spans(positions, starts, ends, hits, doc_freq, k, n_works, min_tokens, max_df, gap) -> list[SpanHit]:
    """The merge rule hit by hit, for inputs with one posting per (work, fingerprint)."""
    gap = 2 * k if gap is None else gap
    weights = idf(doc_freq, n_works)
    rows = sorted((w, int(positions[i]), s0, s1, i) for i, w, s0, s1 in zip(*(h.tolist() for h in hits))
                  if max(int(doc_freq[i]), 1) <= max_df)  # fmt: skip
    groups: list[list[tuple[int, ...]]] = []
    for row in rows:
        prev = groups[-1][-1] if groups else None
        if (prev and prev[0] == row[0] and row[1] - (prev[1] + k) <= gap and row[2] >= prev[2] - 8
                and row[2] - prev[2] <= 2 * (starts[row[1]] - starts[prev[1]]) + 200):
            groups[-1].append(row)
        else:
            groups.append([row])
    out = []
    for g in groups:
        q0, q1 = g[0][1], min(max(r[1] for r in g) + k, len(starts))
        if q1 - q0 >= min_tokens:
            out.append(SpanHit(g[0][0], q0, q1, int(starts[q0]), int(ends[q1 - 1]), min(r[2] for r in g),
                               max(r[3] for r in g), len(g), float(sum(weights[r[4]] for r in g)),
                               min(max(int(doc_freq[r[4]]), 1) for r in g)))  # fmt: skip
    return out


@settings(max_examples=300, deadline=None)
@given(random_inputs())
def test_merge_matches_a_plain_loop(inputs) -> None:
    positions, starts, ends, hits, doc_freq, params = inputs
    pairs = list(zip(hits[0].tolist(), hits[1].tolist()))
    if len(set(pairs)) != len(pairs):
        keep = np.array([pairs.index(p) == j for j, p in enumerate(pairs)], dtype=bool)
        hits = tuple(h[keep] for h in hits)
    got = match_spans(positions, starts, ends, hits, doc_freq, **params)
    want = reference_spans(positions, starts, ends, hits, doc_freq, **params)
    assert [dataclasses.replace(s, weight=0.0) for s in got] == [dataclasses.replace(s, weight=0.0) for s in want]
    assert [s.weight for s in got] == pytest.approx([s.weight for s in want])


def _stream(tokens: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token hashes with char offsets: token i at chars [3i, 3i + 2)."""
    starts = np.arange(len(tokens), dtype=np.int64) * 3
    return np.array(tokens, dtype=np.uint64), starts, starts + 2


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_extend_span_reaches_the_exact_ends_of_the_shared_run(data: st.DataObject) -> None:
    """Whatever part of a shared run a span holds, it grows to the whole run and no further."""
    copy = data.draw(st.lists(st.integers(0, 5), min_size=1, max_size=60))
    src_before = data.draw(st.lists(st.integers(10, 15), max_size=20))
    src_after = data.draw(st.lists(st.integers(10, 15), max_size=20))
    q_before = data.draw(st.lists(st.integers(20, 25), max_size=20))  # differs from the source's flanks
    q_after = data.draw(st.lists(st.integers(20, 25), max_size=20))
    a = data.draw(st.integers(0, len(copy) - 1))
    b = data.draw(st.integers(a + 1, len(copy)))
    query, q_starts, q_ends = _stream(q_before + copy + q_after)
    source, s_starts, s_ends = _stream(src_before + copy + src_after)
    qa, sa = len(q_before) + a, len(src_before) + a
    qb, sb = len(q_before) + b, len(src_before) + b
    span = SpanHit(work=1, q_token_start=qa, q_token_end=qb, q_start=int(q_starts[qa]), q_end=int(q_ends[qb - 1]),
                   s_start=int(s_starts[sa]), s_end=int(s_ends[sb - 1]), fingerprints=1, weight=1.0)
    grown = extend_span(span, query, q_starts, q_ends, source, s_starts, s_ends)
    first, last = len(q_before), len(q_before) + len(copy)
    assert (grown.q_token_start, grown.q_token_end) == (first, last)
    assert (grown.q_start, grown.q_end) == (int(q_starts[first]), int(q_ends[last - 1]))
    s_first = len(src_before)
    assert (grown.s_start, grown.s_end) == (int(s_starts[s_first]), int(s_ends[s_first + len(copy) - 1]))


def test_extend_span_leaves_an_end_that_does_not_line_up() -> None:
    query, q_starts, q_ends = _stream([1, 2, 3, 4, 5, 6])
    source, s_starts, s_ends = _stream([1, 2, 3, 4, 5, 6])
    # the span claims source chars that start mid-token and a last token that differs: nothing moves
    span = SpanHit(work=1, q_token_start=2, q_token_end=4, q_start=6, q_end=11, s_start=7, s_end=14,
                   fingerprints=1, weight=1.0)
    assert extend_span(span, query, q_starts, q_ends, source, s_starts, s_ends) == span
    aligned = dataclasses.replace(span, s_start=6, s_end=11)
    grown = extend_span(aligned, query, q_starts, q_ends, source, s_starts, s_ends)
    assert (grown.q_token_start, grown.q_token_end, grown.s_start, grown.s_end) == (0, 6, 0, 17)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_bridge_span_carries_a_copy_past_inserted_and_deleted_runs(data: st.DataObject) -> None:
    """A copy in pieces, with foreign runs inserted in the query and runs of the source left out:
    from a span on its first piece, bridging reaches the last piece and counts every copied
    token; pieces are distinct tokens, so no other alignment exists."""
    n = data.draw(st.integers(2, 5))
    pieces = [list(range(100 * p, 100 * p + data.draw(st.integers(6, 15)))) for p in range(n)]
    inserted = [[5000 + 10 * p + i for i in range(data.draw(st.integers(0, 8)))] for p in range(n - 1)]
    deleted = [[7000 + 10 * p + i for i in range(data.draw(st.integers(0, 8)))] for p in range(n - 1)]
    q_tokens, s_tokens = [9001, 9002], [9101]
    for p in range(n):
        q_tokens += pieces[p]
        s_tokens += pieces[p]
        if p < n - 1:
            q_tokens += inserted[p]
            s_tokens += deleted[p]
    q_tokens += [9003]
    s_tokens += [9102, 9103]
    query, q_starts, q_ends = _stream(q_tokens)
    source, s_starts, s_ends = _stream(s_tokens)
    first = len(pieces[0])
    span = SpanHit(work=1, q_token_start=2, q_token_end=2 + first, q_start=int(q_starts[2]),
                   q_end=int(q_ends[1 + first]), s_start=int(s_starts[1]), s_end=int(s_ends[first]),
                   fingerprints=1, weight=1.0)
    grown, shared = bridge_span(span, query, q_starts, q_ends, source, s_starts, s_ends, max_skip=10, run=6)
    assert shared == sum(map(len, pieces))
    assert (grown.q_token_start, grown.q_token_end) == (2, len(q_tokens) - 1)
    assert (grown.s_start, grown.s_end) == (int(s_starts[1]), int(s_ends[len(s_tokens) - 3]))


def test_bridge_span_stops_where_nothing_agrees_again_nearby() -> None:
    query, q_starts, q_ends = _stream([1, 2, 3, 4, 5, 6, 7] + list(range(50, 70)) + [8, 9, 10, 11, 12, 13])
    source, s_starts, s_ends = _stream([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    span = SpanHit(work=1, q_token_start=0, q_token_end=7, q_start=0, q_end=20, s_start=0, s_end=20,
                   fingerprints=1, weight=1.0)
    near, shared = bridge_span(span, query, q_starts, q_ends, source, s_starts, s_ends, max_skip=10, run=6)
    assert shared == 7 and (near.q_token_start, near.q_token_end, near.q_end, near.s_end) == (0, 7, 20, 20)
    grown, shared = bridge_span(span, query, q_starts, q_ends, source, s_starts, s_ends, max_skip=20, run=6)
    assert shared == 13 and grown.q_token_end == len(query)


def _renamed(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Exact and renamed hashes of toy tokens: names are lower-case words, literals are quoted
    or numbers, everything else is kept."""
    exact = np.array([hash_of(t) for t in tokens], dtype=np.uint64)
    renamed = np.array([LIT if t[0] in "'0123456789" else NAME if t.isidentifier() and t.islower() else hash_of(t)
                        for t in tokens], dtype=np.uint64)
    return exact, renamed


def hash_of(token: str) -> int:
    return int.from_bytes(token.encode().ljust(8, b"\0")[:8], "little") | 1


LIT, NAME = 2, 4


def test_renaming_evidence_of_a_consistently_renamed_copy() -> None:
    source = "total = add ( total , item ) ; print ( 'done' , 3 )".split()
    query = "acc = add ( acc , x ) ; print ( 'done' , 3 )".split()
    found = renaming_evidence(*_renamed(query), *_renamed(source), np.array([LIT], dtype=np.uint64))
    assert found.consistency == 1.0 and found.identifiers == 5  # acc, add, acc, x, print
    assert (found.literals, found.literals_agreeing) == (2, 2)
    assert found.names_kept == 2  # add, print
    assert found.same == len(query) - 3  # all but acc, acc, x


def test_renaming_evidence_of_same_shape_code_written_apart() -> None:
    source = "total = add ( total , item ) ; print ( 'done' , 3 )".split()
    query = "acc = add ( result , acc ) ; print ( 'fin' , 7 )".split()  # acc stands for two names
    found = renaming_evidence(*_renamed(query), *_renamed(source), np.array([LIT], dtype=np.uint64))
    assert found.consistency < 0.9
    assert (found.literals, found.literals_agreeing) == (2, 0)


def test_renaming_evidence_lines_up_repeated_lines_from_the_end_of_a_range_that_starts_early() -> None:
    """Hits on repeated lines can start a span's source range a few lines early; the query is
    then compared with the end of the range token for token, not searched (which pairs the
    repeated lines wrongly)."""
    body = "left ( 90 ) ; forward ( 170 ) ; up ( ) ; left ( 90 ) ; down ( ) ; forward ( 170 ) ;"
    source = ("forward ( 340 ) ; up ( ) ; " + body).split()
    query = body.replace("left", "turn").replace("forward", "step").replace("up", "lift").split()
    found = renaming_evidence(*_renamed(query), *_renamed(source), np.array([LIT], dtype=np.uint64))
    assert found.consistency == 1.0 and (found.literals, found.literals_agreeing) == (4, 4)


def test_renaming_evidence_lines_up_a_table_of_entries_by_their_literals() -> None:
    """Entries of one shape that differ in their strings (a ctypes-style type table): the copy
    of entries 2-4 is lined up with entries 2-4 of the source range 1-5, where abstract literals
    would let it slide to entries 1-3 and find all the strings different."""
    def entry(name: str, code: str) -> str:
        return f"class {name} ( base ) : kind = '{code}' ; check ( {name} ) ;"

    codes = ["h", "H", "l", "L", "q"]
    source = " ".join(entry(f"c_{c.lower()}{i}", c) for i, c in enumerate(codes)).split()
    query = " ".join(entry(f"t{i}", c) for i, c in enumerate(codes[1:4])).split()
    found = renaming_evidence(*_renamed(query), *_renamed(source), np.array([LIT], dtype=np.uint64))
    assert found.consistency == 1.0 and (found.literals, found.literals_agreeing) == (3, 3)


# --- k-grams that skip lines (q_ends) ------------------------------------------------------------

def test_a_kgram_that_skips_tokens_ends_the_span_past_them() -> None:
    """Two k-grams at tokens 0 and 30; the second skips 5 inserted tokens and ends at 47, not 42."""
    rows = [(0, 7, 1000, 1059), (1, 7, 1150, 1209)]
    plain = run([0, 30], rows, min_tokens=1)
    skipping = run([0, 30], rows, min_tokens=1, q_ends=np.array([K, 30 + K + 5]))
    assert [(s.q_token_start, s.q_token_end) for s in plain] == [(0, 30 + K)]
    assert [(s.q_token_start, s.q_token_end, s.q_end) for s in skipping] == [(0, 47, int(TOK_ENDS[46]))]


def test_the_gap_is_measured_from_where_a_skipping_kgram_ends() -> None:
    """A k-gram ending 30 tokens past its start + K brings the next hit within the merge gap."""
    rows = [(0, 7, 1000, 1059), (1, 7, 1300, 1359)]
    far = 12 + K + default_gap(K) + 10
    assert len(run([0, far], rows, min_tokens=1)) == 2
    assert len(run([0, far], rows, min_tokens=1, q_ends=np.array([K + 30, far + K]))) == 1


@pytest.mark.parametrize("ends", [np.array([K]), np.array([K - 1, 30 + K]), np.array([K, N_TOKENS + 1])])
def test_bad_kgram_ends_are_refused(ends: np.ndarray) -> None:
    with pytest.raises(ValueError):
        run([0, 30], [(0, 7, 1000, 1059)], q_ends=ends)


def test_extend_span_stops_at_a_gap_the_source_does_not_have() -> None:
    """The query has a comment block (a wide gap) after token 1 that the source does not: an
    end grows no further than that gap, and an end that does not grow drops the one token
    before it (a stray match, such as a `;`), whichever way the span was found."""
    from creditline.core.matching import EXTEND_GAP

    query, q_starts, q_ends = _stream([7, 1, 2, 3, 4, 5])
    q_starts[2:] += EXTEND_GAP + 50  # the block sits between tokens 1 and 2
    q_ends[2:] += EXTEND_GAP + 50
    source, s_starts, s_ends = _stream([7, 1, 2, 3, 4, 5])
    span = SpanHit(work=1, q_token_start=3, q_token_end=6, q_start=int(q_starts[3]), q_end=int(q_ends[5]),
                   s_start=int(s_starts[3]), s_end=int(s_ends[5]), fingerprints=1, weight=1.0)
    grown = extend_span(span, query, q_starts, q_ends, source, s_starts, s_ends)
    assert (grown.q_token_start, grown.q_start, grown.s_start) == (2, int(q_starts[2]), int(s_starts[2]))
    found_over = dataclasses.replace(span, q_token_start=1, q_start=int(q_starts[1]), s_start=int(s_starts[1]))
    source[0] = 99  # the token before does not match: the end does not grow, and token 1 goes
    trimmed = extend_span(found_over, query, q_starts, q_ends, source, s_starts, s_ends)
    assert (trimmed.q_token_start, trimmed.q_start, trimmed.s_start) == (2, int(q_starts[2]), int(s_starts[2]))
    # the same gap in the source too: nothing is cut
    s_starts[2:] += EXTEND_GAP + 50
    s_ends[2:] += EXTEND_GAP + 50
    kept = extend_span(dataclasses.replace(found_over, s_start=int(s_starts[1]), s_end=int(s_ends[5])),
                       query, q_starts, q_ends, source, s_starts, s_ends)
    assert kept.q_token_start == 1


def test_extend_span_drops_last_tokens_after_a_gap_the_source_does_not_have() -> None:
    from creditline.core.matching import EXTEND_GAP

    query, q_starts, q_ends = _stream([1, 2, 3, 4, 5, 6])
    q_starts[5:] += EXTEND_GAP + 50
    q_ends[5:] += EXTEND_GAP + 50
    source, s_starts, s_ends = _stream([1, 2, 3, 4, 5, 6, 8])
    span = SpanHit(work=1, q_token_start=0, q_token_end=6, q_start=0, q_end=int(q_ends[5]),
                   s_start=0, s_end=int(s_ends[5]), fingerprints=1, weight=1.0)
    trimmed = extend_span(span, query, q_starts, q_ends, source, s_starts, s_ends)
    assert (trimmed.q_token_end, trimmed.q_end, trimmed.s_end) == (5, int(q_ends[4]), int(s_ends[4]))
