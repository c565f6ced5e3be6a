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
"""

from __future__ import annotations

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


def exact_matches(ids: np.ndarray, index: LicenseIndex) -> list[RawMatch]:
    a = index.arrays
    n = len(ids)
    s, pw = prefix_hashes(a["token_values"][ids])
    lengths = np.diff(a["rule_offset"])
    unknown = _unknown_prefix(ids)
    found_pos, found_rule = [], []
    for k in range(1, min(PREFIX, n) + 1):
        b0, b1 = a["exact_bounds"][k - 1], a["exact_bounds"][k]
        if b0 == b1:
            continue
        keys = a["exact_keys"][b0:b1]
        starts = _known_windows(unknown, k)
        if not len(starts):
            continue
        h = window_hashes(s, pw, starts, k)
        maybe = maybe_in(a["exact_bloom"], h)
        starts, h = starts[maybe], h[maybe]
        lo = np.searchsorted(keys, h, "left")
        hi = np.searchsorted(keys, h, "right")
        hit = np.flatnonzero(hi > lo)
        if not len(hit):
            continue
        owner, idx = _expand_ranges(lo[hit], hi[hit])
        pos = starts[hit][owner]
        rule = a["exact_rules"][b0:b1][idx].astype(np.int64)
        length = lengths[rule]
        ok = pos + length <= n
        pos, rule, length = pos[ok], rule[ok], length[ok]
        ok = window_hashes(s, pw, pos, length) == a["rule_hash"][rule]
        found_pos.append(pos[ok])
        found_rule.append(rule[ok])
    if not found_pos:
        return []
    pos = np.concatenate(found_pos)
    rule = np.concatenate(found_rule)
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


def _gram_hits(ids: np.ndarray, index: LicenseIndex, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(query position, rule) for every distinct query gram found in the gram index."""
    a = index.arrays
    s, pw = prefix_hashes(a["token_values"][ids])
    starts = _known_windows(_unknown_prefix(ids), GRAM, mask)
    h = window_hashes(s, pw, starts, GRAM)
    maybe = maybe_in(a["gram_bloom"], h)
    starts, h = starts[maybe], h[maybe]
    h, first = np.unique(h, return_index=True)  # each distinct gram once (its first position)
    starts = starts[first]
    keys = a["gram_keys"]
    lo = np.searchsorted(keys, h, "left")
    hi = np.searchsorted(keys, h, "right")
    hit = np.flatnonzero(hi > lo)
    owner, post = _expand_ranges(lo[hit], hi[hit])
    return starts[hit][owner], a["gram_rules"][post].astype(np.int64)


def _candidates(rules: np.ndarray, index: LicenseIndex) -> np.ndarray:
    """Rules sharing at least CANDIDATE_CONTAINMENT of their grams with the query, the ones
    explaining the most first (grams found minus grams missing), at most MAX_CANDIDATES."""
    hit_rules, distinct = np.unique(rules, return_counts=True)  # query grams are distinct, so are postings
    grams = index.arrays["rule_grams"][hit_rules]
    containment = distinct / np.maximum(grams, 1)
    keep = (containment >= CANDIDATE_CONTAINMENT) & (distinct >= 3) & (grams > 0)
    cand, distinct, grams, containment = hit_rules[keep], distinct[keep], grams[keep], containment[keep]
    explained = 2 * distinct - grams
    order = np.lexsort((cand, -containment, -explained))
    return cand[order][:MAX_CANDIDATES]


def _densest_window(positions: np.ndarray, rule_len: int) -> tuple[int, int]:
    """The cluster of hit positions (gaps up to half the rule) with the most hits."""
    positions = np.sort(positions)
    gaps = np.flatnonzero(np.diff(positions) > max(rule_len // 2, 8)) + 1
    groups = np.split(positions, gaps)
    best = max(groups, key=len)
    return int(best[0]), int(best[-1]) + GRAM


def _required_ok(matched: np.ndarray, required: np.ndarray) -> bool:
    return all(matched[s:e].all() for s, e in required.tolist())


def _dense_segment(blocks: list, rule_len: int) -> list:
    """The run of aligned blocks without a large query gap that matches the most tokens."""
    gap = max(8, rule_len // 20)
    best: list = []
    best_n = -1
    run: list = []
    for b in blocks:
        if run and b.dest_start - run[-1].dest_end > gap:
            run = []
        run.append(b)
        n = sum(x.src_end - x.src_start for x in run)
        if n > best_n:
            best, best_n = list(run), n
    return best


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


def align(ids: np.ndarray, rule: int, lo: int, hi: int, index: LicenseIndex) -> RawMatch | None:
    """Align one candidate rule to ``ids[lo:hi]``; None when too little of it is there."""
    rtoks = index.rule_tokens(rule)
    margin = max(len(rtoks) // 4, 4)
    lo, hi = max(lo - margin, 0), min(hi + margin, len(ids))
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
                        exact: list[RawMatch] = ()) -> list[RawMatch]:  # type: ignore[assignment]
    """Aligned candidate rules; a candidate is not aligned when an exact match in its region is
    already at least as long as everything the candidate could explain."""
    if len(ids) < GRAM:
        return []
    pos, rules = _gram_hits(ids, index, ~covered)
    if not len(pos):
        return []
    lengths = np.diff(index.arrays["rule_offset"])
    candidates = _candidates(rules, index)
    if not len(candidates):
        return []
    reach = _exact_reach(list(exact), len(ids))
    sel = np.flatnonzero(np.isin(rules, candidates))
    order = sel[np.argsort(rules[sel], kind="stable")]
    pos_sorted, rules_sorted = pos[order], rules[order]
    out = []
    for rule in candidates.tolist():
        a, b = np.searchsorted(rules_sorted, [rule, rule + 1])
        hits = pos_sorted[a:b]
        lo, hi = _densest_window(hits, int(lengths[rule]))
        if reach[lo:hi].max(initial=0) >= min(len(hits) + GRAM - 1, int(lengths[rule])):
            continue
        m = align(ids, rule, lo, hi, index)
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
        if span.mean() > OVERLAP_DROP:
            continue
        covered[m.qstart : m.qend] = True
        if index.arrays["kind"][m.rule] != _FALSE_POSITIVE:
            kept.append(m)
    return sorted(kept, key=lambda m: (m.qstart, m.qend))


def match(ids: np.ndarray, index: LicenseIndex) -> list[RawMatch]:
    """All resolved rule matches of a token id sequence."""
    if not len(ids):
        return []
    exact = exact_matches(ids, index)
    covered = np.zeros(len(ids), dtype=bool)
    for m in exact:
        if m.span >= LONG_EXACT and index.arrays["kind"][m.rule] == _TEXT:
            covered[m.qstart : m.qend] = True
    approx = approximate_matches(ids, index, covered, exact)
    return resolve(exact + approx, index, len(ids))
