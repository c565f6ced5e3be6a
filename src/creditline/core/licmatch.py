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
gram posting (license-heavy texts have tens of postings per token: they are counted with
``bincount``, not sorted). Many short texts (dataset rows) are matched as one sequence with
:class:`Rows`, which keeps them apart, so the per-call cost is paid once per batch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import LCSseq

from creditline.core.lictokens import UNKNOWN

from creditline.core.licindex import GRAM, KINDS, PREFIX, LicenseIndex, maybe_in, prefix_hashes, window_hashes

CANDIDATE_CONTAINMENT = 0.5
MAX_CANDIDATES = 30
MIN_COVERAGE = {"text": 50.0, "notice": 70.0}
MIN_DENSITY = 0.6
OVERLAP_DROP = 0.3
LONG_EXACT = 20
HEAVY_POSTINGS = 20_000  # a text of a batch with more gram postings is counted alone (no sort of them)
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


def _exact_table(index: LicenseIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The exact prefix keys of all lengths in one sorted table (keys, rule, prefix length), and
    per token id whether some rule starts with that token."""
    cached = index.memo.get("exact_table")
    if cached is None:
        a = index.arrays
        klen = np.repeat(np.arange(1, PREFIX + 1), np.diff(a["exact_bounds"]))
        order = np.argsort(a["exact_keys"], kind="stable")
        offsets, lengths = a["rule_offset"][:-1], np.diff(a["rule_offset"])
        first = np.zeros(len(index.vocab) + 1, dtype=bool)
        first[a["tokens"][offsets[lengths > 0]]] = True
        first[UNKNOWN] = False
        cached = index.memo["exact_table"] = (a["exact_keys"][order], a["exact_rules"][order].astype(np.int64),
                                              klen[order], first)
    return cached  # type: ignore[return-value]


def exact_matches(ids: np.ndarray, index: LicenseIndex, hashes: QueryHashes | None = None) -> list[RawMatch]:
    """Every verbatim rule occurrence, hits inside longer hits dropped. The windows of all
    lengths ``1..PREFIX`` are hashed and looked up together (a few numpy calls per query,
    whatever its length)."""
    a = index.arrays
    n = len(ids)
    q = hashes or QueryHashes.of(ids, index)
    keys, key_rules, key_len, first = _exact_table(index)
    lengths = _rule_lengths(index)
    starts = np.flatnonzero(first[ids])  # where some rule could start
    ends = starts[:, None] + np.arange(1, min(PREFIX, n) + 1)
    inside = ends <= n
    ends[~inside] = n
    row, col = np.nonzero(inside & (q.unknown[ends] == q.unknown[starts][:, None]))  # known-token windows
    st, en = starts[row], ends[row, col]
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


def _gram_postings(q: QueryHashes, index: LicenseIndex, mask: np.ndarray,
                   rows: Rows | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every distinct query gram (of each text) found in the gram index: its first query
    position and the range ``[lo, hi)`` of its postings in ``gram_rules``."""
    a = index.arrays
    starts = _known_windows(q.unknown, GRAM, mask)
    h = window_hashes(q.s, q.pw, starts, GRAM)
    maybe = maybe_in(a["gram_bloom"], h)
    starts, h = starts[maybe], h[maybe]
    if rows is None:
        h, first = np.unique(h, return_index=True)  # each distinct gram once (its first position)
        starts = starts[first]
    else:  # each distinct gram once per text
        row = rows.of(starts)
        order = np.lexsort((starts, h, row))
        h, starts, row = h[order], starts[order], row[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = (h[1:] != h[:-1]) | (row[1:] != row[:-1])
        h, starts = h[first], starts[first]
    keys = a["gram_keys"]
    lo = np.searchsorted(keys, h, "left")
    hi = np.searchsorted(keys, h, "right")
    hit = np.flatnonzero(hi > lo)
    return starts[hit], lo[hit], hi[hit]


def _posting_indices(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The indices of ranges ``[lo_i, hi_i)``, concatenated (license-heavy texts have tens of
    postings per token, so this stays a few flat numpy passes)."""
    cnt = hi - lo
    base = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    base += np.arange(len(base), dtype=base.dtype)
    return base


def _candidates(keys: np.ndarray, index: LicenseIndex, per_text: bool = False) -> np.ndarray:
    """Rules sharing at least CANDIDATE_CONTAINMENT of their grams with the query, the ones
    explaining the most first (grams found minus grams missing), at most MAX_CANDIDATES.

    ``keys`` are the rules of the postings, or with ``per_text`` ``text * n_rules + rule``:
    then the candidates of each text are chosen apart and returned as such keys, text by text."""
    n_rules = len(index.rule_ids)
    # query grams are distinct, so are postings: a rule's postings count its distinct grams
    if per_text or len(keys) * 8 < n_rules:
        hit, distinct = np.unique(keys, return_counts=True)
    else:
        counts = np.bincount(keys, minlength=n_rules)
        hit = np.flatnonzero(counts)
        distinct = counts[hit]
    rule = hit % n_rules if per_text else hit
    grams = index.arrays["rule_grams"][rule]
    containment = distinct / np.maximum(grams, 1)
    keep = (containment >= CANDIDATE_CONTAINMENT) & (distinct >= 3) & (grams > 0)
    hit, rule, distinct, grams, containment = hit[keep], rule[keep], distinct[keep], grams[keep], containment[keep]
    explained = 2 * distinct - grams
    if not per_text:
        return hit[np.lexsort((rule, -containment, -explained))][:MAX_CANDIDATES]
    text = hit // n_rules
    order = np.lexsort((rule, -containment, -explained, text))
    hit, text = hit[order], text[order]
    rank = np.arange(len(hit)) - np.searchsorted(text, text, "left")
    return hit[rank < MAX_CANDIDATES]


def _densest_windows(rules: np.ndarray, positions: np.ndarray, candidates: np.ndarray,
                     rule_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate rule (or key): (hits, lo, hi) of its densest cluster of hit positions,
    where a cluster is split at gaps over half the rule (``rule_lengths``, one per hit; at least 8
    tokens), the cluster with the most hits wins and the first one on ties; ``[lo, hi)`` spans
    the cluster's grams; ``hits`` counts all of the rule's hits. One vectorised pass for all."""
    order = np.lexsort((positions, rules))
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


def approximate_matches(ids: np.ndarray, index: LicenseIndex, covered: np.ndarray,
                        exact: list[RawMatch] = (),  # type: ignore[assignment]
                        hashes: QueryHashes | None = None, rows: Rows | None = None) -> list[RawMatch]:
    """Aligned candidate rules; a candidate is not aligned when an exact match in its region is
    already at least as long as everything the candidate could explain. With ``rows``, each
    text's candidates are chosen and aligned within that text."""
    if len(ids) < GRAM:
        return []
    gram_pos, post_lo, post_hi = _gram_postings(hashes or QueryHashes.of(ids, index), index, ~covered, rows)
    if not len(gram_pos):
        return []
    out: list[RawMatch] = []
    if rows is not None:  # texts with many postings (license texts) are counted alone, without sorting them
        gram_text = rows.of(gram_pos)
        heavy = np.bincount(gram_text, weights=post_hi - post_lo) > HEAVY_POSTINGS
        for text in np.flatnonzero(heavy).tolist():
            out += _text_alone(ids, index, covered, exact, int(rows.start[text]), int(rows.end[text]))
        light = ~heavy[gram_text]
        gram_pos, post_lo, post_hi = gram_pos[light], post_lo[light], post_hi[light]
        if not len(gram_pos):
            return out
    n_rules = len(index.rule_ids)
    per_gram = post_hi - post_lo
    keys = index.arrays["gram_rules"][_posting_indices(post_lo, post_hi)]
    if rows is not None:
        keys = np.repeat(rows.of(gram_pos) * n_rules, per_gram) + keys
    candidates = _candidates(keys, index, rows is not None)
    if not len(candidates):
        return out
    lengths = _rule_lengths(index)
    if rows is None:
        is_candidate = np.zeros(n_rules, dtype=bool)
        is_candidate[candidates] = True
        sel = np.flatnonzero(is_candidate[keys])
    else:
        sel = np.flatnonzero(np.isin(keys, candidates))
    pos = gram_pos[np.searchsorted(np.cumsum(per_gram), sel, "right")]  # each posting's gram
    keys = keys[sel]
    hits, lo, hi = _densest_windows(keys, pos, candidates, lengths[keys % n_rules])
    reach = _exact_reach(list(exact), len(ids))
    for key, n_hits, a, b in zip(candidates.tolist(), hits.tolist(), lo.tolist(), hi.tolist()):
        text, rule = divmod(key, n_rules)
        if reach[a:b].max(initial=0) >= min(n_hits + GRAM - 1, int(lengths[rule])):
            continue
        m = align(ids, rule, a, b, index, None if rows is None else (int(rows.start[text]), int(rows.end[text])))
        if m is not None:
            out.append(m)
    return out


def _text_alone(ids: np.ndarray, index: LicenseIndex, covered: np.ndarray, exact: list[RawMatch], start: int,
                stop: int) -> list[RawMatch]:
    """:func:`approximate_matches` of the text at ``[start, stop)`` of a batch, by itself."""
    inside = [dataclasses.replace(m, qstart=m.qstart - start, qend=m.qend - start)
              for m in exact if start <= m.qstart and m.qend <= stop]
    found = approximate_matches(ids[start:stop], index, covered[start:stop], inside)
    return [dataclasses.replace(m, qstart=m.qstart + start, qend=m.qend + start) for m in found]


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
