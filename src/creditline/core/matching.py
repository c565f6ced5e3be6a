"""Fingerprint hits -> merged copied spans -> ranked source works.

Input is what a catalog lookup returns for one query (see ``store.base.Hits``): for every posting
of a query fingerprint, ``(query fingerprint index, work id, source start char, source end char)``.
Output answers "which catalogued works does this text copy, and where": :func:`match_spans` turns
hits into :class:`SpanHit` (one in-order copied region per work), :func:`rank_sources` picks the
works that explain the query greedily, like set cover, and returns :class:`SourceEvidence`.

1. Boilerplate. A fingerprint found in more than ``max_df`` distinct works (license headers,
   stock idioms, generated code) says nothing about which work was copied: its hits are dropped.
   The others weigh ``idf = log((n_works + 1) / (df + 1)) + IDF_FLOOR``: rare shared k-grams are
   strong evidence, and the floor keeps a fingerprint found in every work from weighing nothing.
2. One posting per (work, fingerprint). A work that repeats a passage holds one fingerprint at
   several places; the posting kept is the one whose diagonal (source char minus query char) is
   nearest the work's median diagonal, the median taken over fingerprints the work holds once
   (all of them when it holds none once). So repeats join the copy's run instead of splitting it.
3. Merging. Per work, hits sorted by query position join the previous one when the gap between
   the k-grams, ``q_position - (previous q_position + k)`` tokens, is at most ``gap`` and the source
   moves forward (``s_start >= previous s_start - SOURCE_SLACK``), but not far
   (``s_start - previous s_start <= SOURCE_STRETCH * query char advance + SOURCE_JUMP``): copies
   are in order and contiguous, so a passage that reuses the source's sentences in another order,
   or stray hits from distant parts of one work, give several spans. A span
   covers query tokens ``[first k-gram start, last k-gram end)``; spans under ``min_tokens`` are
   dropped. The default ``gap`` is ``2 * k`` tokens (24 with ``K = 12``): one edited word hides
   the ``k`` k-grams that hold it and winnowing may skip up to ``WINDOW - 1`` more on each side,
   so a single edit leaves at most about ``k + 2 * (WINDOW - 1)`` k-gram starts unmatched, under
   ``k`` uncovered tokens with the defaults; ``2 * k`` leaves slack for two nearby edits.
4. Ranking (:func:`rank_sources`): repeatedly take the work whose spans cover the most query
   tokens not yet explained (ties: larger total weight, then smaller work id); keep it when it
   explains at least ``min_new_tokens`` new tokens, mark its tokens explained, and stop when no
   work adds enough. A work that only re-explains what a better source already explained (a
   fork, a quotation of the same text) is dropped, which keeps precision on large catalogs.
   Spans of different token streams of one text (code tokens, words) are ranked in its
   characters, each character weighted so that a stretch counts as the tokens in it
   (:func:`char_units`).

Everything per hit is vectorised with numpy; Python loops run per span and per selected source.
"""

from __future__ import annotations

import dataclasses
import math

from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import LCSseq

MIN_TOKENS = 20  # shortest span reported: fingerprint.RENAMED_GUARANTEE, the shortest copy always found
MAX_DF = 50  # fingerprints in more works than this are boilerplate
MIN_NEW_TOKENS = 20  # a source must explain this many query tokens no better source explained
IDF_FLOOR = 0.05  # added to every idf so common-but-kept fingerprints still count a little
SOURCE_SLACK = 8  # chars a source may step back between consecutive hits of one span
SOURCE_STRETCH = 2  # the source may advance at most this many times the query's char advance...
SOURCE_JUMP = 200  # ...plus this many chars, between consecutive hits of one span


@dataclass(frozen=True)
class SpanHit:
    """One merged copied span: query tokens/chars and the source chars they copy, in one work."""

    work: int  # work id
    q_token_start: int  # token range in the query [start, end)
    q_token_end: int
    q_start: int  # char range in the query text [start, end)
    q_end: int
    s_start: int  # char range in the source work [start, end)
    s_end: int
    fingerprints: int  # query fingerprints of the span found in this work
    weight: float  # sum of the rarity weights (idf) of those fingerprints
    min_df: int = 0  # document frequency of the span's rarest fingerprint (0: not computed)
    shared: int | None = None  # tokens the query shares with the source in order (bridge_span); None: all

    @property
    def tokens(self) -> int:
        return self.q_token_end - self.q_token_start


@dataclass(frozen=True)
class SourceEvidence:
    """One source work the query copies, with the spans that show it."""

    work: int
    spans: tuple[SpanHit, ...]  # this work's spans, by query position
    tokens: int  # query tokens covered by this source's spans (union)
    new_tokens: int  # tokens it explains that sources ranked before it did not
    score: float  # new_tokens + weight / (weight + 1), weight = sum of span weights (see rank_sources)

    @property
    def weight(self) -> float:
        return math.fsum(span.weight for span in self.spans)


def default_gap(k: int) -> int:
    """The default merge gap in query tokens between consecutive k-grams of one span: ``2 * k``."""
    return 2 * k


def idf(doc_freq: np.ndarray, n_works: int) -> np.ndarray:
    """Rarity weight per fingerprint: ``log((n_works + 1) / (df + 1)) + IDF_FLOOR`` (df at least 1)."""
    df = np.maximum(np.asarray(doc_freq, dtype=np.int64), 1)
    return np.log((max(n_works, int(df.max(initial=0))) + 1) / (df + 1.0)) + IDF_FLOOR


def match_spans(
    q_positions: np.ndarray,
    q_tok_starts: np.ndarray,
    q_tok_ends: np.ndarray,
    hits: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    doc_freq: np.ndarray,
    *,
    k: int,
    n_works: int,
    min_tokens: int = MIN_TOKENS,
    max_df: int = MAX_DF,
    gap: int | None = None,
    anchor_df: int | None = None,
    q_ends: np.ndarray | None = None,
) -> list[SpanHit]:
    """Merge fingerprint hits into in-order copied spans per work (see the module docstring).

    ``q_positions[i]`` is the first query token of selected k-gram ``i``; ``q_tok_starts`` and
    ``q_tok_ends`` are the char offsets of every query token; ``hits`` is ``(fingerprint index,
    work, source start, source end)`` per posting; ``doc_freq[i]`` counts the works holding
    fingerprint ``i``. ``q_ends[i]``: the query token k-gram ``i`` ends before, for k-grams
    that skip tokens (default ``q_positions + k``); the gap to the next hit and the span's end
    are measured from it. Spans come back sorted by work, then query position.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    gap = default_gap(k) if gap is None else gap
    if gap < 0:
        raise ValueError(f"gap must not be negative, got {gap}")
    positions = np.asarray(q_positions, dtype=np.int64)
    gram_ends = positions + k if q_ends is None else np.asarray(q_ends, dtype=np.int64)
    tok_starts = np.asarray(q_tok_starts, dtype=np.int64)
    tok_ends = np.asarray(q_tok_ends, dtype=np.int64)
    doc_freq = np.asarray(doc_freq, dtype=np.int64)
    qi, work, s_start, s_end = (np.asarray(a, dtype=np.int64) for a in hits)
    n_tokens = len(tok_starts)
    if len(tok_ends) != n_tokens:
        raise ValueError("q_tok_starts and q_tok_ends differ in length")
    if len(doc_freq) != len(positions):
        raise ValueError("doc_freq needs one count per query fingerprint")
    if not len(qi) == len(work) == len(s_start) == len(s_end):
        raise ValueError("the four hit arrays differ in length")
    if len(gram_ends) != len(positions):
        raise ValueError("q_ends needs one end per query fingerprint")
    if len(positions) and (positions.min() < 0 or gram_ends.max() > n_tokens or (gram_ends - positions < k).any()):
        raise ValueError("a query k-gram lies outside the query's tokens")
    if len(qi) and (qi.min() < 0 or qi.max() >= len(positions)):
        raise ValueError("a hit names a query fingerprint that does not exist")

    hit_df = np.maximum(doc_freq, 1)[qi]
    if anchor_df is None:
        keep = hit_df <= max_df
    else:  # every hit of a work holding at least one anchor (a fingerprint in <= anchor_df works)
        anchored = np.unique(work[hit_df <= min(anchor_df, max_df)])
        keep = np.isin(work, anchored)
    qi, work, s_start, s_end = qi[keep], work[keep], s_start[keep], s_end[keep]
    if not len(qi):
        return []
    qi, work, s_start, s_end = _one_posting_each(qi, work, s_start, s_end, tok_starts[positions[qi]])

    qpos = positions[qi]
    order = np.lexsort((s_start, qpos, work))
    qi, work, s_start, s_end, qpos = qi[order], work[order], s_start[order], s_end[order], qpos[order]
    qend = gram_ends[qi]
    q_char = tok_starts[qpos]
    weights = idf(doc_freq, n_works)[qi]

    first = np.ones(len(qi), dtype=bool)
    first[1:] = (
        (work[1:] != work[:-1])
        | (qpos[1:] - qend[:-1] > gap)
        | (s_start[1:] < s_start[:-1] - SOURCE_SLACK)
        | (s_start[1:] - s_start[:-1] > SOURCE_STRETCH * (q_char[1:] - q_char[:-1]) + SOURCE_JUMP)
    )
    heads = np.flatnonzero(first)
    span_q0 = qpos[heads]  # sorted by query position within a span: the first is the least
    span_q1 = np.minimum(np.maximum.reduceat(qend, heads), n_tokens)
    span_min_df = np.minimum.reduceat(np.maximum(doc_freq, 1)[qi], heads)
    long_enough = span_q1 - span_q0 >= min_tokens
    if anchor_df is not None:
        long_enough &= span_min_df <= min(anchor_df, max_df)
    columns = (
        work[heads],
        span_q0,
        span_q1,
        tok_starts[span_q0],
        tok_ends[span_q1 - 1],
        np.minimum.reduceat(s_start, heads),
        np.maximum.reduceat(s_end, heads),
        np.diff(np.append(heads, len(qi))),
    )
    span_weight = np.add.reduceat(weights, heads)[long_enough].tolist()
    rows = zip(*(c[long_enough].tolist() for c in columns), span_weight, span_min_df[long_enough].tolist(),
               strict=True)
    return [SpanHit(*row) for row in rows]


def _one_posting_each(
    qi: np.ndarray, work: np.ndarray, s_start: np.ndarray, s_end: np.ndarray, q_char: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep one posting per (work, fingerprint): the one nearest the work's median diagonal."""
    order = np.lexsort((s_start, qi, work))
    qi, work, s_start, s_end, q_char = qi[order], work[order], s_start[order], s_end[order], q_char[order]
    group_first = np.ones(len(qi), dtype=bool)
    group_first[1:] = (work[1:] != work[:-1]) | (qi[1:] != qi[:-1])
    if group_first.all():
        return qi, work, s_start, s_end
    group = np.cumsum(group_first) - 1
    single = np.bincount(group)[group] == 1
    works, work_idx = np.unique(work, return_inverse=True)
    has_single = np.bincount(work_idx, weights=single, minlength=len(works)) > 0
    preferred = single | ~has_single[work_idx]
    diagonal = s_start - q_char
    # Lower median of the preferred diagonals per work (every work has at least one preferred hit).
    p_work, p_diag = work_idx[preferred], diagonal[preferred]
    p_order = np.lexsort((p_diag, p_work))
    counts = np.bincount(p_work, minlength=len(works))
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    median = p_diag[p_order][offsets + (counts - 1) // 2]
    deviation = np.abs(diagonal - median[work_idx])
    best = np.lexsort((s_start, deviation, group))
    take = best[np.concatenate(([True], group[best][1:] != group[best][:-1]))]
    take.sort()
    return qi[take], work[take], s_start[take], s_end[take]


def rank_sources(spans: list[SpanHit], *, min_new_tokens: int = MIN_NEW_TOKENS,
                 space: str = "tokens", units: np.ndarray | None = None) -> list[SourceEvidence]:
    """Greedily pick the works that explain the query (set cover), best first.

    Each round takes the work covering the most query tokens not yet explained, ties broken by
    the larger total span weight, then the smaller work id; it is kept when it explains at least
    ``min_new_tokens`` new tokens, otherwise ranking stops. ``score`` encodes exactly that order:
    ``new_tokens + weight / (weight + 1)``: the integer part is the new tokens, the fraction
    (below 1) grows with the total rarity weight. Scores never increase down the list.

    ``space="chars"`` measures coverage in query characters instead of tokens (``tokens``,
    ``new_tokens`` and ``min_new_tokens`` are then characters): spans found in different token
    streams of one text (code tokens, words) can only be compared there. With ``units`` (one
    weight per query character, e.g. from :func:`char_units`), a stretch of characters counts
    as the sum of its weights instead of its length, so that coverage and ``min_new_tokens``
    are in tokens again, however wide the tokens of this part of the text are.
    """
    if not spans:
        return []
    if space not in ("tokens", "chars"):
        raise ValueError(f"space must be 'tokens' or 'chars', got {space!r}")

    def interval(span: SpanHit) -> tuple[int, int]:
        return (span.q_token_start, span.q_token_end) if space == "tokens" else (span.q_start, span.q_end)

    by_work: dict[int, list[SpanHit]] = {}
    for span in sorted(spans, key=lambda s: (s.work, *interval(s))):
        by_work.setdefault(span.work, []).append(span)
    works = list(by_work)
    # Union of each work's spans as disjoint intervals [a, b).
    lo: list[int] = []
    hi: list[int] = []
    owner: list[int] = []
    for index, work_spans in enumerate(by_work.values()):
        for span in work_spans:
            start, end = interval(span)
            if owner and owner[-1] == index and start <= hi[-1]:
                hi[-1] = max(hi[-1], end)
            else:
                lo.append(start)
                hi.append(end)
                owner.append(index)
    a, b, who = np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64), np.array(owner, dtype=np.int64)
    # Elementary segments between consecutive interval ends, each with its weight (its length,
    # or the sum of its characters' units): coverage is summed over segments, not characters.
    edges = np.unique(np.concatenate([a, b]))
    if units is None or space != "chars":
        seg_weight = np.diff(edges).astype(np.float64)
    else:
        total = np.zeros(int(edges[-1]) + 1, dtype=np.float64)
        n = min(len(units), len(total) - 1)
        np.cumsum(units[:n], out=total[1 : n + 1])
        total[n + 1 :] = total[n]
        seg_weight = np.diff(total[edges])
    ia, ib = np.searchsorted(edges, a), np.searchsorted(edges, b)
    whole = np.concatenate(([0.0], np.cumsum(seg_weight)))
    size = whole[ib] - whole[ia]
    covered = np.bincount(who, weights=size, minlength=len(works)).round().astype(np.int64)
    weight = np.array([math.fsum(s.weight for s in group) for group in by_work.values()])
    work_ids = np.array(works, dtype=np.int64)

    explained = np.zeros(len(seg_weight), dtype=bool)
    available = np.ones(len(works), dtype=bool)
    ranked: list[SourceEvidence] = []
    while available.any():
        done = np.concatenate(([0.0], np.cumsum(np.where(explained, seg_weight, 0.0))))
        new = np.bincount(who, weights=size - (done[ib] - done[ia]), minlength=len(works)).round().astype(np.int64)
        new[~available] = -1
        best = int(np.lexsort((work_ids, -weight, -new))[0])
        if new[best] < min_new_tokens or new[best] < 0:
            break
        available[best] = False
        for start, end in zip(ia[who == best].tolist(), ib[who == best].tolist(), strict=True):
            explained[start:end] = True
        w = float(weight[best])
        ranked.append(SourceEvidence(
            work=works[best], spans=tuple(by_work[works[best]]), tokens=int(covered[best]),
            new_tokens=int(new[best]), score=float(new[best]) + w / (w + 1.0)))  # fmt: skip
    return ranked


def char_units(n_chars: int, *streams: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """One weight per character of a text of ``n_chars``: each token of each stream (its start
    and end offsets) spreads a weight of 1 over its characters, and a character takes the
    largest weight any stream gives it. Summed over a stretch of text, that is about the tokens
    in it, in whichever stream is densest there (code tokens in code, words in comments and
    docstrings), for :func:`rank_sources` with ``space="chars"``."""
    out = np.zeros(n_chars, dtype=np.float64)
    for starts, ends in streams:
        keep = (ends > starts) & (ends <= n_chars)
        lo, hi = starts[keep], ends[keep]
        if not len(lo):
            continue
        each = 1.0 / (hi - lo)
        delta = np.bincount(lo, weights=each, minlength=n_chars + 1)
        delta -= np.bincount(hi, weights=each, minlength=n_chars + 1)
        np.maximum(out, np.cumsum(delta, out=delta)[:n_chars], out=out)
    return out


_EXTEND_STEP = 64  # tokens compared per numpy call when extending a span
# An end grows no further than a gap between two of the query's tokens that is EXTEND_GAP chars
# wider than the source's gap there: a stray `;` that matches beyond a comment block the input
# has and the source does not would otherwise claim the block's characters for the span. Seed
# 42, 7,670 files: a copied echarts comment was lost to a moment span that began one token (a
# `;`) before it: inserted/deleted recall 0.946 -> 0.955, character-span F1 0.964 -> 0.965; seed
# 1234: character-span F1 0.963 -> 0.964; 1,500 files (seeds 42, 777): no change.
EXTEND_GAP = 80
EXTEND_TRIM = 3  # an end that does not grow drops up to this many tokens before such a gap


def _run_length(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading elements ``a`` and ``b`` share (compared ``_EXTEND_STEP`` at a time)."""
    n, done = min(len(a), len(b)), 0
    while done < n:
        stop = min(done + _EXTEND_STEP, n)
        differ = np.flatnonzero(a[done:stop] != b[done:stop])
        if len(differ):
            return done + int(differ[0])
        done = stop
    return n


def extend_span(span: SpanHit, query: np.ndarray, q_starts: np.ndarray, q_ends: np.ndarray,
                source: np.ndarray, s_starts: np.ndarray, s_ends: np.ndarray) -> SpanHit:
    """``span`` grown at each end over the tokens the query and the source still share there.

    Fingerprints place a copy's ends only to within a winnowing window: the first and last
    k-grams of a shared run are selected only when they are their window's minimum. With the
    source's tokens (``source``: one hash per token, ``s_starts``/``s_ends`` their char
    offsets; ``query`` likewise) each end moves token by token while the two agree, so a
    verbatim copy is found to its exact first and last token. An end whose token does not
    line up with the source's token at the span's char offset is left as it is. An end stops
    before a gap of the query EXTEND_GAP chars wider than the source's there, and one that does
    not grow gives up its last EXTEND_TRIM tokens or fewer when such a gap follows them."""
    qa, qb = span.q_token_start, span.q_token_end
    sa = int(np.searchsorted(s_starts, span.s_start))
    sb = int(np.searchsorted(s_ends, span.s_end)) + 1
    new = {}
    if 0 <= qa < len(query) and sa < len(source) and int(s_starts[sa]) == span.s_start and query[qa] == source[sa]:
        grow = _run_length(query[:qa][::-1], source[:sa][::-1])
        if grow:  # the gaps before tokens qa, qa-1, ..., from the span outwards
            grow = _within_gaps(_gaps(q_starts, q_ends, qa - grow, qa)[::-1],
                                _gaps(s_starts, s_ends, sa - grow, sa)[::-1], grow)
        if grow:
            qa, sa = qa - grow, sa - grow
        else:  # the first tokens, then a gap the source does not have: they match by chance
            n = min(EXTEND_TRIM, qb - qa - 1, len(source) - sa - 1)
            wide = np.flatnonzero(_gaps(q_starts, q_ends, qa, qa + n) - _gaps(s_starts, s_ends, sa, sa + n) > EXTEND_GAP)
            if len(wide):
                qa, sa = qa + int(wide[-1]) + 1, sa + int(wide[-1]) + 1
        if qa != span.q_token_start:
            new.update(q_token_start=qa, q_start=int(q_starts[qa]), s_start=int(s_starts[sa]))
    if 0 < qb <= len(query) and 0 < sb <= len(source) and int(s_ends[sb - 1]) == span.s_end \
            and query[qb - 1] == source[sb - 1]:
        grow = _run_length(query[qb:], source[sb:])
        if grow:  # the gaps after tokens qb-1, qb, ...
            grow = _within_gaps(_gaps(q_starts, q_ends, qb - 1, qb - 1 + grow),
                                _gaps(s_starts, s_ends, sb - 1, sb - 1 + grow), grow)
        if grow:
            qb, sb = qb + grow, sb + grow
        else:  # a gap the source does not have, then the last tokens
            n = min(EXTEND_TRIM, qb - qa - 1, sb - 1)
            wide = np.flatnonzero(_gaps(q_starts, q_ends, qb - n - 1, qb - 1)
                                  - _gaps(s_starts, s_ends, sb - n - 1, sb - 1) > EXTEND_GAP)
            if len(wide):
                cut = n - int(wide[0])
                qb, sb = qb - cut, sb - cut
        if qb != span.q_token_end:
            new.update(q_token_end=qb, q_end=int(q_ends[qb - 1]), s_end=int(s_ends[sb - 1]))
    return dataclasses.replace(span, **new) if new else span


def _gaps(starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The characters between each of tokens ``lo .. hi - 1`` and the token after it."""
    hi = max(hi, lo)
    return starts[lo + 1 : hi + 1] - ends[lo:hi]


def _within_gaps(q_gap: np.ndarray, s_gap: np.ndarray, grow: int) -> int:
    """How many of ``grow`` tokens an end may take: up to the first gap of the query
    EXTEND_GAP chars wider than the source's (gaps listed from the span outwards)."""
    wide = np.flatnonzero(q_gap - s_gap > EXTEND_GAP)
    return int(wide[0]) if len(wide) else grow


def _resync(query: np.ndarray, q_at: int, source: np.ndarray, s_at: int, max_skip: int, run: int) -> tuple[int, int] | None:
    """The nearest ``(i, j)``, ``i, j <= max_skip``, where ``run`` tokens of the
    query from ``q_at + i`` equal those of the source from ``s_at + j`` (fewest tokens skipped in
    all, then fewest in the query), or None."""
    window = source[s_at : s_at + max_skip + run].tolist()
    first: dict[tuple[int, ...], int] = {}
    for j in range(max(0, len(window) - run + 1)):
        first.setdefault(tuple(window[j : j + run]), j)
    piece = query[q_at : q_at + max_skip + run].tolist()
    best = None
    for i in range(max(0, len(piece) - run + 1)):
        if best is not None and i >= sum(best):
            break
        j = first.get(tuple(piece[i : i + run]))
        if j is not None and (best is None or i + j < sum(best)):
            best = (i, j)
    return best


def bridge_span(span: SpanHit, query: np.ndarray, q_starts: np.ndarray, q_ends: np.ndarray,
                source: np.ndarray, s_starts: np.ndarray, s_ends: np.ndarray, *,
                max_skip: int, run: int) -> tuple[SpanHit, int]:
    """``span`` carried on past lines inserted into the query or deleted from the source, and the
    tokens it then shares with the source in order.

    Past each end, the nearest place within ``max_skip`` tokens on both sides where ``run``
    tokens agree again is where the copy goes on; the run there is extended as far as the
    tokens agree, and so on until no such place is near. Pieces of a copy too short to hold a
    fingerprint each (an edited copy of a short passage) add up this way."""
    qa, qb = span.q_token_start, span.q_token_end
    sa = int(np.searchsorted(s_starts, span.s_start))
    sb = int(np.searchsorted(s_ends, span.s_end)) + 1
    shared = qb - qa
    if not (sa < len(source) and 0 < sb <= len(source) and int(s_starts[sa]) == span.s_start
            and int(s_ends[sb - 1]) == span.s_end):
        return span, shared
    while (step := _resync(query, qb, source, sb, max_skip, run)) is not None:
        i, j = step
        grow = run + _run_length(query[qb + i + run :], source[sb + j + run :])
        qb, sb, shared = qb + i + grow, sb + j + grow, shared + grow
    q_rev, s_rev = query[:qa][::-1], source[:sa][::-1]
    back_q = back_s = 0
    while (step := _resync(q_rev, back_q, s_rev, back_s, max_skip, run)) is not None:
        i, j = step
        grow = run + _run_length(q_rev[back_q + i + run :], s_rev[back_s + j + run :])
        back_q, back_s, shared = back_q + i + grow, back_s + j + grow, shared + grow
    qa, sa = qa - back_q, sa - back_s
    grown = dataclasses.replace(span, q_token_start=qa, q_token_end=qb, q_start=int(q_starts[qa]),
                                q_end=int(q_ends[qb - 1]), s_start=int(s_starts[sa]), s_end=int(s_ends[sb - 1]),
                                shared=shared)
    return grown, shared


@dataclass(frozen=True)
class RenamingEvidence:
    """How a renamed span's aligned tokens agree with its source's: ``consistency``, the share
    of aligned identifiers that follow one renaming (each query name stands for one source name
    throughout, and each source name for one query name: 1.0 for a copy whose names were
    replaced consistently; the lower of the two shares); ``literals`` the string and number
    literals of the query within the aligned range and ``literals_agreeing`` those aligned with
    the same literal in the source; ``same`` the aligned tokens that are literally the source's,
    ``names_kept`` the aligned identifiers among them."""

    consistency: float
    identifiers: int
    literals: int
    literals_agreeing: int
    same: int = 0  # aligned tokens that are literally the source's (kept names, keywords, literals)
    names_kept: int = 0  # aligned identifiers that are literally the source's (names left as they were)


def renaming_evidence(q_exact: np.ndarray, q_renamed: np.ndarray, s_exact: np.ndarray, s_renamed: np.ndarray,
                      literal_values: np.ndarray) -> RenamingEvidence:
    """:class:`RenamingEvidence` of a query token range against a source token range (each as
    its exact and its renamed-channel hashes). A renamed token that differs from its exact one
    is an identifier or, when it is one of ``literal_values`` (the placeholders), a literal.
    The ranges are aligned on their renamed hashes with literals kept as they are (a renamed
    copy keeps its strings and numbers): token for token when they are the same, else by a
    longest common subsequence (rapidfuzz). Kept literals tie the alignment down where the
    code repeats itself (a table of entries of one shape that differ in their strings), which
    abstract literals would let slide by an entry."""
    q_literal, s_literal = np.isin(q_renamed, literal_values), np.isin(s_renamed, literal_values)
    q_keys, s_keys = np.where(q_literal, q_exact, q_renamed), np.where(s_literal, s_exact, s_renamed)
    aligned = _aligned(q_keys, s_keys)
    if aligned is None:
        return RenamingEvidence(1.0, 0, 0, 0)
    qi, si = aligned
    qe, se, qr = q_exact[qi], s_exact[si], q_renamed[qi]
    literal = q_literal[qi] & s_literal[si]
    ident = (qr != qe) & ~q_literal[qi]
    consistency = min(_one_to_one(qe[ident], se[ident]), _one_to_one(se[ident], qe[ident]))
    in_range = int(q_literal[qi[0] : qi[-1] + 1].sum())
    return RenamingEvidence(consistency, int(ident.sum()), in_range, int((qe[literal] == se[literal]).sum()),
                            int((qe == se).sum()), int((qe[ident] == se[ident]).sum()))


_GAPLESS_CELLS = 4_000_000  # offsets x tokens compared when looking for a gapless alignment


def _aligned(q_keys: np.ndarray, s_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions of the query's and the source's tokens paired by an alignment (None when none
    pair). Token for token at one offset when that pairs as many tokens as a longest common
    subsequence does (a copy of a stretch of the source: the subsequence search would pair an
    entry of repeated code with its neighbour as readily as with itself), else that subsequence."""
    n, m = len(q_keys), len(s_keys)
    q_list, s_list = q_keys.tolist(), s_keys.tolist()
    common = LCSseq.similarity(q_list, s_list)
    if not common:
        return None
    if n <= m and (m - n + 1) * n <= _GAPLESS_CELLS:
        agree = np.lib.stride_tricks.sliding_window_view(s_keys, n) == q_keys
        per_offset = agree.sum(axis=1)
        best = int(per_offset.argmax())
        if per_offset[best] >= common:
            qi = np.flatnonzero(agree[best])
            return qi, qi + best
    ops = [op for op in LCSseq.opcodes(q_list, s_list) if op.tag == "equal"]
    qi = np.concatenate([np.arange(op.src_start, op.src_end) for op in ops])
    si = np.concatenate([np.arange(op.dest_start, op.dest_end) for op in ops])
    return qi, si


def _one_to_one(names: np.ndarray, stand_ins: np.ndarray) -> float:
    """The share of aligned pairs whose name has its most frequent stand-in (1.0 when each name
    always stands for the same one)."""
    if not len(names):
        return 1.0
    pairs, counts = np.unique(np.stack([names, stand_ins], axis=1), axis=0, return_counts=True)
    heads = np.flatnonzero(np.append(True, pairs[1:, 0] != pairs[:-1, 0]))  # sorted by name
    return float(np.maximum.reduceat(counts, heads).sum() / counts.sum())
