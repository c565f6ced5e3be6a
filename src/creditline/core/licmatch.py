"""Match a text's tokens against the compiled license rules.

Two stages, both vectorised over the query:

1. **Exact**: the hash of every query window of ``1..PREFIX`` tokens is looked up among the
   rules' prefix hashes; each hit is confirmed by the rule's full-length window hash and its
   tokens. This finds every verbatim occurrence of every rule (tags, references, notices and
   whole license texts, after tokenisation: case, punctuation, comment markers and line
   breaks do not matter).
2. **Approximate**: the query's ``GRAM``-token windows outside long exact matches are looked
   up in the rules' inverted gram index; rules sharing at least ``CANDIDATE_CONTAINMENT`` of
   their grams become candidates (at most ``MAX_CANDIDATES``, best explained first); each is
   aligned to the densest query region that holds its grams with a bit-parallel LCS
   (rapidfuzz). A candidate is kept when enough of the rule is found in order, its required
   phrases are whole, and the matched region is dense.

:func:`resolve` then keeps the best non-overlapping matches: longest evidence first, a match
mostly inside a kept one is dropped, and false-positive rules swallow what they cover.

Cost: a query costs a few dozen numpy calls whatever its length, plus work per token and per
gram posting. Exact windows longer than one token are only hashed where some rule begins with
the two tokens there. The grams a text shares with each rule are counted in one compiled pass
over the grams' postings with a counter per rule (a sparse product), because license-heavy
texts have hundreds of postings per gram (``for a particular purpose`` is in about 7,000
rules): a code file under an Apache header alone has some 55,000. Many short texts (dataset
rows) are matched as one sequence with :class:`Rows`, which keeps them apart, so the per-call
cost is paid once per batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import LCSseq

from creditline.core import native as _native
from creditline.core.lictokens import UNKNOWN

from creditline.core.licindex import GRAM, KINDS, PREFIX, LicenseIndex, bloom, maybe_in
from creditline.core.polyhash import P, prefix_hashes, window_hashes

CANDIDATE_CONTAINMENT = 0.5
MAX_CANDIDATES = 30
MIN_COVERAGE = {"text": 50.0, "notice": 70.0}
MIN_DENSITY = 0.6
OVERLAP_DROP = 0.3
LONG_EXACT = 20
PAIR_BLOOM_BITS = 20  # a 2**20-bit filter of the rules' first two tokens (exact matching)
NAME_CHECK_MAX = 300  # notices and short texts must name the same license; long texts vary more
VERSION_PENALTY = 25  # a missed version number costs as much as this many missed words
_FALSE_POSITIVE = KINDS.index("false_positive")
_TEXT = KINDS.index("text")


@dataclass(frozen=True)
class RawMatch:
    """A rule found in the query: token span ``[qstart, qend)``, rule tokens matched."""

    rule: int
    qstart: int
    qend: int
    matched: int
    coverage: float
    exact: bool
    version_misses: int = 0  # version-number tokens of the rule not found

    @property
    def span(self) -> int:
        return self.qend - self.qstart


def _expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[lo_i, hi_i)``: (index i of each element, the element)."""
    cnt = hi - lo
    owner = np.repeat(np.arange(len(lo)), cnt)
    base = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    return owner, np.arange(int(cnt.sum()), dtype=np.int64) + base


def _unknown_prefix(ids: np.ndarray) -> np.ndarray:
    """Prefix counts of unknown tokens: window ``[a, b)`` holds ``c[b] - c[a]`` of them."""
    c = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(ids == UNKNOWN, out=c[1:])
    return c


def _known_windows(unknown: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Starts of the ``k``-token windows made only of known tokens (no rule has unknown ones)."""
    n = len(unknown) - 1
    ok = unknown[k : n + 1] == unknown[: n - k + 1]
    if mask is not None:
        ok &= mask[: n - k + 1]
    return np.flatnonzero(ok)


@dataclass(frozen=True, eq=False)
class QueryHashes:
    """What both matching stages need of a query: prefix sums for window hashes and the prefix
    counts of unknown tokens (computed once per query)."""

    s: np.ndarray
    pw: np.ndarray
    unknown: np.ndarray

    @classmethod
    def of(cls, ids: np.ndarray, index: LicenseIndex) -> QueryHashes:
        s, pw = prefix_hashes(index.arrays["token_values"][ids])
        return cls(s, pw, _unknown_prefix(ids))


@dataclass(frozen=True, eq=False)
class Rows:
    """Several texts matched as one token sequence: text ``r`` holds the tokens
    ``[start[r], end[r])``, and an :data:`UNKNOWN` token between two texts keeps every hashed
    window inside one text. Approximate matching then counts, ranks and aligns per text, so each
    text gets the matches it gets alone (positions are in the whole sequence)."""

    start: np.ndarray
    end: np.ndarray

    def of(self, positions: np.ndarray) -> np.ndarray:
        """The text of each token position."""
        return np.searchsorted(self.start, positions, "right") - 1


def _rule_lengths(index: LicenseIndex) -> np.ndarray:
    """Tokens per rule (computed once per index)."""
    cached = index.memo.get("rule_lengths")
    if cached is None:
        cached = index.memo["rule_lengths"] = np.diff(index.arrays["rule_offset"])
    return cached  # type: ignore[return-value]


def _exact_table(index: LicenseIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The exact prefix keys of all lengths in one sorted table (keys, rule, prefix length), per
    token id whether some rule starts with that token, and a Bloom filter of the hashes of the
    rules' first two tokens (computed once per index)."""
    cached = index.memo.get("exact_table")
    if cached is None:
        a = index.arrays
        klen = np.repeat(np.arange(1, PREFIX + 1), np.diff(a["exact_bounds"]))
        order = np.argsort(a["exact_keys"], kind="stable")
        offsets, lengths = a["rule_offset"][:-1], np.diff(a["rule_offset"])
        first = np.zeros(len(index.vocab) + 1, dtype=bool)
        first[a["tokens"][offsets[lengths > 0]]] = True
        first[UNKNOWN] = False
        two = offsets[lengths > 1]
        values = a["token_values"]
        pairs = bloom(values[a["tokens"][two]] * P + values[a["tokens"][two + 1]], PAIR_BLOOM_BITS)
        cached = index.memo["exact_table"] = (a["exact_keys"][order], a["exact_rules"][order].astype(np.int64),
                                              klen[order], first, pairs)
    return cached  # type: ignore[return-value]


def _window_spans(ids: np.ndarray, starts: np.ndarray, q: QueryHashes, pairs: np.ndarray) -> np.ndarray:
    """How many tokens the exact windows at ``starts`` may take: the known tokens in a row, at most
    PREFIX, and only one where no rule starts with the two tokens there (a longer window could
    only match a rule's prefix that begins with them; ``pairs`` is a Bloom filter of those)."""
    unknown_at = np.append(np.flatnonzero(ids == UNKNOWN), len(ids))
    span = np.minimum(unknown_at[q.unknown[starts]] - starts, PREFIX)  # the first unknown token after each start
    two = np.flatnonzero(span >= 2)
    at, end = starts[two], starts[two] + 2
    span[two[~maybe_in(pairs, q.pw[end] * (q.s[end] - q.s[at]))]] = 1
    return span


def exact_matches(ids: np.ndarray, index: LicenseIndex, hashes: QueryHashes | None = None) -> list[RawMatch]:
    """Every verbatim rule occurrence, hits inside longer hits dropped. The windows of all
    lengths ``1..PREFIX`` are hashed and looked up together (a few numpy calls per query,
    whatever its length)."""
    a = index.arrays
    n = len(ids)
    q = hashes or QueryHashes.of(ids, index)
    keys, key_rules, key_len, first, pairs = _exact_table(index)
    lengths = _rule_lengths(index)
    if _native.ext is not None:  # the same windows in one compiled pass
        st, en, h = _native.scratch("exact_windows", n * PREFIX, (np.int64, np.int64, np.uint64))
        found = _native.ext.exact_windows(np.ascontiguousarray(ids, dtype=np.int32), first.view(np.uint8), q.s, q.pw,
                                          PREFIX, pairs, a["exact_bloom"], st, en, h)
        st, en, h = st[:found].copy(), en[:found].copy(), h[:found].copy()
    else:
        starts = np.flatnonzero(first[ids])  # where some rule could start
        span = _window_spans(ids, starts, q, pairs)
        st = np.repeat(starts, span)  # the windows [st, en), by start and then length
        en = st + 1 + (np.arange(len(st)) - np.repeat(np.cumsum(span) - span, span))
        h = q.pw[en] * (q.s[en] - q.s[st])
        maybe = maybe_in(a["exact_bloom"], h)
        st, en, h = st[maybe], en[maybe], h[maybe]
    lo = np.searchsorted(keys, h, "left")
    hi = np.searchsorted(keys, h, "right")
    hit = np.flatnonzero(hi > lo)
    if not len(hit):
        return []
    owner, idx = _expand_ranges(lo[hit], hi[hit])
    pos = st[hit][owner]
    same_length = key_len[idx] == (en[hit] - st[hit])[owner]  # a k-token window matches k-token prefixes
    pos, rule = pos[same_length], key_rules[idx[same_length]]
    length = lengths[rule]
    ok = pos + length <= n
    pos, rule, length = pos[ok], rule[ok], length[ok]
    ok = window_hashes(q.s, q.pw, pos, length) == a["rule_hash"][rule]
    pos, rule = pos[ok], rule[ok]
    if not len(pos):
        return []
    pos, rule = _outermost(pos, pos + lengths[rule], rule)
    return [
        RawMatch(r, p, p + int(lengths[r]), int(lengths[r]), 100.0, True)
        for p, r in zip(pos.tolist(), rule.tolist())
    ]


def _outermost(start: np.ndarray, end: np.ndarray, rule: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop exact hits lying inside a longer hit (they can never be kept by :func:`resolve`);
    hits with identical spans are all kept."""
    order = np.lexsort((rule, -end, start))
    start, end, rule = start[order], end[order], rule[order]
    reach = np.maximum.accumulate(end)
    prev = np.concatenate([[-1], reach[:-1]])
    same = np.concatenate([[False], (start[1:] == start[:-1]) & (end[1:] == end[:-1])])
    keep = (end > prev) | same
    return start[keep], rule[keep]


@dataclass(frozen=True, eq=False)
class _GramTable:
    """The gram index's postings both ways: ``distinct`` gram hashes (sorted); gram ``g``'s rules
    ``gram_rules[gram_start[g]:gram_start[g + 1]]``; rule ``r``'s grams (as rows of ``distinct``)
    ``rule_grams[rule_start[r]:rule_start[r + 1]]``. All are the index's own arrays (memory-mapped
    from its cache)."""

    distinct: np.ndarray
    gram_start: np.ndarray
    gram_rules: np.ndarray
    rule_start: np.ndarray
    rule_grams: np.ndarray
    buckets: np.ndarray  # where each value of the top 16 bits begins in distinct (2**16 + 1 of them)


def _gram_table(index: LicenseIndex) -> _GramTable:
    """The :class:`_GramTable` of an index."""
    cached = index.memo.get("gram_table")
    if cached is None:
        a = index.arrays
        distinct = a["gram_distinct"]
        buckets = np.append(np.searchsorted(distinct, np.arange(1 << 16, dtype=np.uint64) << np.uint64(48)),
                            len(distinct)).astype(np.int64)
        cached = index.memo["gram_table"] = _GramTable(distinct, a["gram_ptr"], a["gram_rules"], a["rule_gram_ptr"],
                                                       a["rule_gram_ids"], buckets)
    return cached  # type: ignore[return-value]


def _shared_counts(table: _GramTable, gram: np.ndarray, gram_text: np.ndarray, n_texts: int,
                   n_rules: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (text, rule) pairs sharing at least 3 grams and how many they share, text by text:
    ``gram`` are each text's distinct grams (rows of ``table.distinct``), ``gram_text`` their
    texts (sorted). One compiled pass with a counter per rule (``shared_counts`` in
    :mod:`creditline.core._ctokens`), or a scipy sparse product (texts x grams times grams x
    rules) without it: both cost one pass over each gram's postings, not numpy arrays of them
    (``for a particular purpose`` alone is in about 7,000 rules)."""
    q_ptr = np.searchsorted(gram_text, np.arange(n_texts + 1)).astype(np.int64)
    if _native.ext is not None:
        texts, rules, counts = _native.ext.shared_counts(q_ptr, gram.astype(np.int64, copy=False), table.gram_start,
                                                         table.gram_rules, n_rules, 3)
        return (np.frombuffer(texts, dtype=np.int64), np.frombuffer(rules, dtype=np.int32),
                np.frombuffer(counts, dtype=np.int32).astype(np.int64))
    from scipy import sparse  # only without the compiled module

    n_grams = len(table.distinct)
    ones = np.ones(len(table.gram_rules), dtype=np.int32)
    by_gram = sparse.csr_matrix((ones, table.gram_rules, table.gram_start), shape=(n_grams, n_rules))
    query = sparse.csr_matrix((np.ones(len(gram), dtype=np.int32), gram.astype(np.int32), q_ptr),
                              shape=(n_texts, n_grams))
    shared = query @ by_gram
    some = np.flatnonzero(shared.data >= 3)
    text = np.searchsorted(shared.indptr, some, "right") - 1
    return text, shared.indices[some], shared.data[some].astype(np.int64)


def _text_grams(q: QueryHashes, index: LicenseIndex, mask: np.ndarray,
                rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct gram of each text found in the gram index, ordered by text and gram: its
    first position in the text, the gram (a row of :func:`_gram_table`'s matrices) and the text."""
    table = _gram_table(index)
    distinct = table.distinct
    if _native.ext is not None:
        starts, gram = _native.scratch("gram_windows", max(len(q.s) - GRAM, 0), (np.int64, np.int64))
        found = _native.ext.gram_windows(q.s, q.pw, q.unknown, mask.view(np.uint8), GRAM,
                                         index.arrays["gram_bloom"], distinct, table.buckets, starts, gram)
        starts, gram = starts[:found].copy(), gram[:found].copy()
    else:
        starts = _known_windows(q.unknown, GRAM, mask)
        h = window_hashes(q.s, q.pw, starts, GRAM)
        maybe = maybe_in(index.arrays["gram_bloom"], h)
        starts, h = starts[maybe], h[maybe]
        gram = np.minimum(np.searchsorted(distinct, h), len(distinct) - 1)
        found = distinct[gram] == h
        starts, gram = starts[found], gram[found]
    text = rows.of(starts)
    order = np.argsort(text * len(distinct) + gram, kind="stable")  # by text, gram, then start (ascending here)
    starts, gram, text = starts[order], gram[order], text[order]
    first = np.ones(len(gram), dtype=bool)
    first[1:] = (gram[1:] != gram[:-1]) | (text[1:] != text[:-1])
    return starts[first], gram[first], text[first]


def _posting_indices(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The indices of ranges ``[lo_i, hi_i)``, concatenated."""
    cnt = hi - lo
    base = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    base += np.arange(len(base), dtype=base.dtype)
    return base


def _candidates(text: np.ndarray, rule: np.ndarray, distinct: np.ndarray,
                index: LicenseIndex) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the rules sharing at least CANDIDATE_CONTAINMENT of their grams with it (``distinct``
    of them: the text's grams are distinct), the ones explaining the most first (grams found minus
    grams missing), at most MAX_CANDIDATES; as (text, rule) pairs, text by text."""
    grams = index.arrays["rule_grams"][rule]
    containment = distinct / np.maximum(grams, 1)
    keep = (containment >= CANDIDATE_CONTAINMENT) & (distinct >= 3) & (grams > 0)
    text, rule, distinct, grams, containment = text[keep], rule[keep], distinct[keep], grams[keep], containment[keep]
    explained = 2 * distinct - grams
    order = np.lexsort((rule, -containment, -explained, text))
    text, rule = text[order], rule[order]
    rank = np.arange(len(text)) - np.searchsorted(text, text, "left")
    return text[rank < MAX_CANDIDATES], rule[rank < MAX_CANDIDATES]


def _densest_windows(rules: np.ndarray, positions: np.ndarray, candidates: np.ndarray,
                     rule_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate rule (or key): (hits, lo, hi) of its densest cluster of hit positions,
    where a cluster is split at gaps over half the rule (``rule_lengths``, one per hit; at least 8
    tokens), the cluster with the most hits wins and the first one on ties; ``[lo, hi)`` spans
    the cluster's grams; ``hits`` counts all of the rule's hits. One vectorised pass for all."""
    # by rule, then position (equal keys are equal hits: no stable sort needed)
    order = np.argsort(rules.astype(np.int64) * (int(positions.max(initial=0)) + 1) + positions)
    r, p = rules[order], positions[order]
    rule_new = np.ones(len(r), dtype=bool)
    rule_new[1:] = r[1:] != r[:-1]
    new = rule_new.copy()
    new[1:] |= np.diff(p) > np.maximum(rule_lengths[order][1:] // 2, 8)
    first = np.flatnonzero(new)  # cluster starts, grouped by rule, in position order
    last = np.append(first[1:], len(r)) - 1
    best = np.lexsort((first, first - last, r[first]))  # per rule: the largest cluster, the first on ties
    head = np.ones(len(best), dtype=bool)
    head[1:] = r[first[best[1:]]] != r[first[best[:-1]]]
    chosen = best[head]  # one cluster per rule, in rule order
    rule_starts = np.flatnonzero(rule_new)
    hits = np.diff(np.append(rule_starts, len(r)))
    k = np.searchsorted(r[rule_starts], candidates)
    return hits[k], p[first[chosen[k]]], p[last[chosen[k]]] + GRAM


def _required_ok(matched: np.ndarray, required: np.ndarray) -> bool:
    return all(matched[s:e].all() for s, e in required.tolist())


def _dense_segment(blocks: list, rule_len: int) -> list:  # type: ignore[type-arg]
    """The run of aligned blocks without a large query gap that matches the most tokens (the
    first such run, cut where it peaks)."""
    gap = max(8, rule_len // 20)
    best, best_n = (0, 0), -1
    start = n = 0
    for i, b in enumerate(blocks):
        if i > start and b.dest_start - blocks[i - 1].dest_end > gap:
            start, n = i, 0
        n += b.src_end - b.src_start
        if n > best_n:
            best, best_n = (start, i + 1), n
    return blocks[best[0] : best[1]]


def _names_differ(ids: np.ndarray, matched: np.ndarray, rtoks: np.ndarray, blocks: list, lo: int,
                  qstart: int, qend: int, index: LicenseIndex) -> bool:
    """True when the rule loses a license-name word or the text has an extra one in the span."""
    names = index.name_tokens
    if names[rtoks[~matched]].any():
        return True
    in_span = np.zeros(qend - qstart, dtype=bool)
    for b in blocks:
        in_span[lo + b.dest_start - qstart : lo + b.dest_end - qstart] = True
    return bool(names[ids[qstart:qend][~in_span]].any())


def align(ids: np.ndarray, rule: int, lo: int, hi: int, index: LicenseIndex,
          bounds: tuple[int, int] | None = None) -> RawMatch | None:
    """Align one candidate rule to ``ids[lo:hi]`` (widened by a margin, within ``bounds``: the
    text's tokens); None when too little of it is there."""
    rtoks = index.rule_tokens(rule)
    margin = max(len(rtoks) // 4, 4)
    first, stop = bounds or (0, len(ids))
    lo, hi = max(lo - margin, first), min(hi + margin, stop)
    blocks = [op for op in LCSseq.opcodes(rtoks.tolist(), ids[lo:hi].tolist()) if op.tag == "equal"]
    blocks = _dense_segment([b for b in blocks if b.src_end - b.src_start >= 2] or blocks, len(rtoks))
    if not blocks:
        return None
    matched = np.zeros(len(rtoks), dtype=bool)
    for b in blocks:
        matched[b.src_start : b.src_end] = True
    n_matched = int(matched.sum())
    qstart, qend = lo + blocks[0].dest_start, lo + blocks[-1].dest_end
    coverage = 100.0 * n_matched / len(rtoks)
    kind = KINDS[index.arrays["kind"][rule]]
    floor = max(MIN_COVERAGE.get(kind, 80.0), float(index.arrays["min_coverage"][rule]))
    if coverage < floor or n_matched < MIN_DENSITY * (qend - qstart):
        return None
    if not _required_ok(matched, index.rule_required(rule)):
        return None
    if len(rtoks) < NAME_CHECK_MAX and _names_differ(ids, matched, rtoks, blocks, lo, qstart, qend, index):
        return None
    misses = int(index.rule_versions(rule)[~matched].sum())
    return RawMatch(rule, qstart, qend, n_matched, coverage, n_matched == len(rtoks), misses)


def _exact_reach(exact: list[RawMatch], n: int) -> np.ndarray:
    """Per query position, the length of the longest exact match covering it."""
    reach = np.zeros(n + 1, dtype=np.int64)
    for m in exact:
        np.maximum(reach[m.qstart : m.qend], m.span, out=reach[m.qstart : m.qend])
    return reach


def _range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``values[lo[i]:hi[i]].max()`` for every i (0 for an empty range), by one ``reduceat``
    over the interleaved bounds (each even slot reduces one range; the odd slots are dropped)."""
    out = np.zeros(len(lo), dtype=values.dtype)
    live = np.flatnonzero(hi > lo)
    if len(live):
        bounds = np.empty(2 * len(live), dtype=np.intp)
        bounds[0::2], bounds[1::2] = lo[live], hi[live]
        out[live] = np.maximum.reduceat(values, bounds)[0::2]
    return out


def approximate_matches(ids: np.ndarray, index: LicenseIndex, covered: np.ndarray,
                        exact: list[RawMatch] = (),  # type: ignore[assignment]
                        hashes: QueryHashes | None = None, rows: Rows | None = None) -> list[RawMatch]:
    """Aligned candidate rules; a candidate is not aligned when an exact match in its region is
    already at least as long as everything the candidate could explain. With ``rows``, each
    text's candidates are chosen and aligned within that text.

    The grams each text shares with each rule are counted by :func:`_shared_counts`, so common
    grams with thousands of rules (``for a particular purpose``) cost a pass in compiled code,
    not numpy arrays of all their postings; the hit positions of the chosen candidates come from
    the candidates' own grams."""
    if len(ids) < GRAM:
        return []
    if rows is None:
        rows = Rows(np.zeros(1, dtype=np.int64), np.full(1, len(ids), dtype=np.int64))
    gram_pos, gram, gram_text = _text_grams(hashes or QueryHashes.of(ids, index), index, ~covered, rows)
    if not len(gram_pos):
        return []
    table = _gram_table(index)
    n_texts, n_grams = len(rows.start), len(table.distinct)
    # pairs sharing under 3 grams (most) are never candidates
    text, rule, shared = _shared_counts(table, gram, gram_text, n_texts, len(index.rule_ids))
    cand_text, cand_rule = _candidates(text, rule, shared, index)
    if not len(cand_text):
        return []
    # the hits of each candidate: its rule's grams that its text holds (text-major keys, sorted)
    lo, hi = table.rule_start[cand_rule], table.rule_start[cand_rule + 1]
    owner = np.repeat(np.arange(len(cand_rule)), hi - lo)
    wanted = cand_text[owner] * n_grams + table.rule_grams[_posting_indices(lo, hi)]
    held = gram_text * n_grams + gram
    at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
    found = held[at] == wanted
    n_rules = len(index.rule_ids)
    candidates = cand_text * n_rules + cand_rule
    keys, pos = candidates[owner[found]], gram_pos[at[found]]
    lengths = _rule_lengths(index)
    hits, lo, hi = _densest_windows(keys, pos, candidates, lengths[keys % n_rules])
    # not aligned: a candidate whose region holds an exact match as long as all it could explain
    longest = _range_max(_exact_reach(list(exact), len(ids)), lo, hi)
    todo = np.flatnonzero(longest < np.minimum(hits + GRAM - 1, lengths[cand_rule]))
    out: list[RawMatch] = []
    for t, rule, a, b in zip(cand_text[todo].tolist(), cand_rule[todo].tolist(), lo[todo].tolist(), hi[todo].tolist()):
        m = align(ids, rule, a, b, index, (int(rows.start[t]), int(rows.end[t])))
        if m is not None:
            out.append(m)
    return out


def _rank(m: RawMatch, index: LicenseIndex) -> tuple[float, ...]:
    a = index.arrays
    explained = m.matched - (m.span - m.matched) - VERSION_PENALTY * m.version_misses
    return (-explained, -m.coverage, -m.exact, -int(a["relevance"][m.rule]), m.qstart, m.rule)


def resolve(matches: list[RawMatch], index: LicenseIndex, n: int) -> list[RawMatch]:
    """Best non-overlapping matches, in query order; false-positive rules are consumed."""
    covered = np.zeros(n + 1, dtype=bool)
    kept = []
    for m in sorted(matches, key=lambda m: _rank(m, index)):
        span = covered[m.qstart : m.qend]
        if np.count_nonzero(span) / len(span) > OVERLAP_DROP:
            continue
        covered[m.qstart : m.qend] = True
        if index.arrays["kind"][m.rule] != _FALSE_POSITIVE:
            kept.append(m)
    return sorted(kept, key=lambda m: (m.qstart, m.qend))


def match(ids: np.ndarray, index: LicenseIndex, rows: Rows | None = None) -> list[RawMatch]:
    """All resolved rule matches of a token id sequence (of several texts with ``rows``: matches
    never cross from one text to another, and each text gets the matches it gets alone)."""
    if not len(ids):
        return []
    hashes = QueryHashes.of(ids, index)
    exact = exact_matches(ids, index, hashes)
    covered = np.zeros(len(ids), dtype=bool)
    for m in exact:
        if m.span >= LONG_EXACT and index.arrays["kind"][m.rule] == _TEXT:
            covered[m.qstart : m.qend] = True
    approx = approximate_matches(ids, index, covered, exact, hashes, rows)
    return resolve(exact + approx, index, len(ids))
