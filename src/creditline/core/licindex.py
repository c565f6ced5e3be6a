"""The compiled license index: every rule as token ids plus hash tables for fast matching.

Hashing (documented, stable, never Python's ``hash()``): each vocabulary id maps to a random
64-bit value drawn from ``numpy.random.default_rng(HASH_SEED)``; a token window ``t[a:b]`` hashes
to the polynomial ``sum(v[t_j] * P**(b-1-j))`` modulo 2**64. With prefix sums over
``v[t_j] * P**-(j+1)`` every window hash is ``P**b * (S[b] - S[a])``: one vectorised pass gives
the hash of every window of any length (see :func:`~creditline.core.polyhash.prefix_hashes`).

Tables:
- exact: for ``n`` in ``1..PREFIX``, the hash of each rule's first ``min(len, PREFIX)`` tokens,
  sorted, with the rule number; a query window whose prefix hash is found is confirmed with
  the rule's full-length hash (and its tokens);
- approximate: for rules long enough to be worth aligning, the distinct ``GRAM``-token window
  hashes with the rule number, sorted by hash (an inverted index used to pick candidates).

The index is a dict of numpy arrays plus a few string tables, so it saves to and loads from
plain ``.npy`` files (memory-mapped) without pickle.
"""

from __future__ import annotations

import re

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from creditline.core.licenses import LicenseInfo, RuleInfo
from creditline.core.lictokens import QueryVocab, query_vocab, rule_tokens
from creditline.core.polyhash import P, P_INV, power_table, prefix_hashes, window_hashes  # noqa: F401 (re-exported)

FORMAT_VERSION = 9
HASH_SEED = 20261125
PREFIX = 6
GRAM = 4
APPROX_MIN_TOKENS = 12
EXACT_BLOOM_BITS = 22
BLOOM_BITS = 26  # a 2**26-bit (8 MiB) presence filter over gram hashes, checked before the binary search
_WORD = re.compile(r"[^\s()]+")
_OPS = {"and": "AND", "or": "OR", "with": "WITH"}
KINDS = ("text", "notice", "reference", "tag", "intro", "clue", "false_positive", "spdx")


@dataclass
class LicenseIndex:
    """Compiled rules; built by :func:`build_index`, saved and loaded by ``creditline.kb``."""

    arrays: dict[str, np.ndarray]
    vocab: list[str]
    rule_ids: list[str]
    expressions: list[str]
    licenses: dict[str, LicenseInfo] = field(default_factory=dict)
    ignorables: dict[int, tuple[str, ...]] = field(default_factory=dict)
    _vocab_map: QueryVocab | None = None
    _spdx_map: dict[str, str] | None = None
    _spdx_cache: dict[str, str] = field(default_factory=dict)
    _rule_numbers: dict[str, int] | None = None
    memo: dict[str, object] = field(default_factory=dict)  # derived tables computed once per index

    @property
    def vocab_map(self) -> QueryVocab:
        if self._vocab_map is None:
            self._vocab_map = query_vocab(self.vocab)
        return self._vocab_map

    @property
    def name_tokens(self) -> np.ndarray:
        """Boolean per token id: a word that names a license family (``mit``, ``gpl``, ...)."""
        cached = self.memo.get("name_tokens")
        if cached is None:
            flags = [False] + [w in LICENSE_NAME_WORDS for w in self.vocab]
            cached = self.memo["name_tokens"] = np.asarray(flags, dtype=bool)
        return cached  # type: ignore[return-value]

    @property
    def rule_numbers(self) -> dict[str, int]:
        if self._rule_numbers is None:
            self._rule_numbers = {r: i for i, r in enumerate(self.rule_ids)}
        return self._rule_numbers

    @property
    def spdx_map(self) -> dict[str, str]:
        """Lower-cased SPDX ids, their deprecated aliases and ScanCode keys -> SPDX id."""
        if self._spdx_map is None:
            out: dict[str, str] = {}
            for lic in self.licenses.values():
                out.setdefault(lic.key.lower(), lic.spdx)
                for alias in lic.other_spdx:
                    out.setdefault(alias.lower(), lic.spdx)
            for lic in self.licenses.values():
                out[lic.spdx.lower()] = lic.spdx
            self._spdx_map = out
        return self._spdx_map

    def to_spdx(self, expression: str) -> str:
        """A ScanCode-key expression (``gpl-2.0-plus OR mit``) in SPDX ids."""
        cached = self._spdx_cache.get(expression)
        if cached is None:
            lookup = self.spdx_map
            cached = _WORD.sub(lambda m: _OPS.get(m.group().lower()) or lookup.get(m.group().lower(), m.group()),
                               expression)
            self._spdx_cache[expression] = cached
        return cached

    def rule_tokens(self, rule: int) -> np.ndarray:
        off = self.arrays["rule_offset"]
        return self.arrays["tokens"][off[rule] : off[rule + 1]]

    def rule_versions(self, rule: int) -> np.ndarray:
        """Boolean per rule token: part of a version number ("version 2.1" -> the 2 and the 1)."""
        off = self.arrays["rule_offset"]
        return self.arrays["version_tok"][off[rule] : off[rule + 1]]

    def rule_required(self, rule: int) -> np.ndarray:
        off = self.arrays["req_offset"]
        return self.arrays["req_spans"][off[rule] : off[rule + 1]]


# Words that name a license family: an approximate match may not lose one of these from the
# rule, nor skip one in the text (that is another license named, not an edit).
LICENSE_NAME_WORDS = frozenset("""
    mit bsd gpl lgpl agpl gfdl fdl apache mozilla mpl eclipse epl cddl isc zlib python psf artistic perl
    ruby php boost bsl unlicense wtfpl cc0 noncommercial noderivatives noderivs sharealike lesser affero
    x11 openssl ssleay curl postgresql zope zpl afl osl eupl cecill
""".split())

_VERSION_WORDS = ("version", "v", "ver", "vers", "versions")


def version_tokens(tokens: np.ndarray, vocab: list[str]) -> np.ndarray:
    """Marks number tokens that follow "version"/"v" (and the numbers chained after them)."""
    words = np.asarray([""] + vocab, dtype=object)
    is_num = np.fromiter((w.isdigit() and len(w) <= 2 for w in words), dtype=bool, count=len(words))[tokens]
    is_ver = np.isin(words[tokens], _VERSION_WORDS)
    out = np.zeros(len(tokens), dtype=bool)
    prev = np.concatenate([[False], is_ver[:-1]])
    out |= is_num & prev
    for _ in range(3):  # "version 1 1" / "version 2 0 1": chained components
        out |= is_num & np.concatenate([[False], out[:-1]])
    return out


def _token_values(n_vocab: int) -> np.ndarray:
    rng = np.random.default_rng(HASH_SEED)
    return rng.integers(1, 2**63, size=n_vocab + 1, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)


def _tokenise_rules(rules: Sequence[RuleInfo]) -> tuple[list[list[str]], list[list[tuple[int, int]]]]:
    toks, reqs = [], []
    for rule in rules:
        t, r = rule_tokens(rule.text)
        toks.append(t)
        reqs.append(r)
    return toks, reqs


def _exact_tables(tokens: np.ndarray, offsets: np.ndarray, vals: np.ndarray) -> dict[str, np.ndarray]:
    s, pw = prefix_hashes(vals[tokens])
    lengths = np.diff(offsets)
    starts = offsets[:-1]
    prefix_len = np.minimum(lengths, PREFIX)
    out: dict[str, np.ndarray] = {
        "rule_hash": window_hashes(s, pw, starts, lengths),
    }
    pref = window_hashes(s, pw, starts, prefix_len)
    keys, rules, bounds = [], [], [0]
    for n in range(1, PREFIX + 1):
        sel = np.flatnonzero((prefix_len == n) & (lengths > 0))
        order = np.argsort(pref[sel], kind="stable")
        keys.append(pref[sel][order])
        rules.append(sel[order].astype(np.int32))
        bounds.append(bounds[-1] + len(sel))
    out["exact_keys"] = np.concatenate(keys)
    out["exact_bloom"] = bloom(out["exact_keys"], EXACT_BLOOM_BITS)
    out["exact_rules"] = np.concatenate(rules)
    out["exact_bounds"] = np.asarray(bounds, dtype=np.int64)
    return out


def _gram_tables(tokens: np.ndarray, offsets: np.ndarray, vals: np.ndarray, eligible: np.ndarray) -> dict[str, np.ndarray]:
    s, pw = prefix_hashes(vals[tokens])
    lengths = np.diff(offsets)
    rules = np.flatnonzero(eligible & (lengths >= max(GRAM, APPROX_MIN_TOKENS)))
    counts = lengths[rules] - GRAM + 1
    rule_of = np.repeat(rules, counts)
    first = np.repeat(offsets[rules] - (np.cumsum(counts) - counts), counts)
    starts = np.arange(counts.sum(), dtype=np.int64) + first
    hashes = window_hashes(s, pw, starts, GRAM)
    pairs = np.unique(np.stack([hashes, rule_of.astype(np.uint64)]), axis=1)
    keys, gram_rules = pairs[0].copy(), pairs[1].astype(np.int32)
    n_grams = np.bincount(gram_rules, minlength=len(lengths)).astype(np.int32)
    # the postings both ways: each distinct gram's rules (keys are sorted, so they are runs) and
    # each rule's grams in gram order (a stable sort of the postings by rule)
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    gram_ptr = np.append(np.flatnonzero(new), len(keys)).astype(np.int64)
    gram_of = np.cumsum(new) - 1
    by_rule = np.argsort(gram_rules, kind="stable")
    rule_gram_ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(n_grams, out=rule_gram_ptr[1:])
    return {"gram_keys": keys, "gram_rules": gram_rules, "rule_grams": n_grams, "gram_bloom": bloom(keys, BLOOM_BITS),
            "gram_distinct": keys[new], "gram_ptr": gram_ptr, "rule_gram_ptr": rule_gram_ptr,
            "rule_gram_ids": gram_of[by_rule].astype(np.int32)}


def bloom(hashes: np.ndarray, nbits: int) -> np.ndarray:
    """A one-probe Bloom filter: one bit per value of the top ``nbits`` bits of each hash."""
    bits = np.zeros(2**nbits, dtype=bool)
    bits[(hashes >> np.uint64(64 - nbits)).astype(np.int64)] = True
    return np.packbits(bits, bitorder="little")


def maybe_in(filter_bits: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Boolean mask: False where a hash is certainly absent from the filter's set."""
    nbits = (len(filter_bits) * 8).bit_length() - 1
    slot = hashes >> np.uint64(64 - nbits)
    return ((filter_bits[slot >> np.uint64(3)] >> (slot & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)


def build_index(rules: Iterable[RuleInfo], licenses: Iterable[LicenseInfo]) -> LicenseIndex:
    """Compile rules (and the license table used to name their expressions) into an index."""
    rules = [r for r in rules]
    toks, reqs = _tokenise_rules(rules)
    vocab = sorted({t for ts in toks for t in ts})
    vmap = {w: i + 1 for i, w in enumerate(vocab)}
    lengths = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
    offsets = np.zeros(len(rules) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    tokens = np.fromiter((vmap[t] for ts in toks for t in ts), dtype=np.int32, count=int(offsets[-1]))
    vals = _token_values(len(vocab))
    kind = np.asarray([KINDS.index(r.kind) for r in rules], dtype=np.int8)
    continuous = np.asarray([r.is_continuous for r in rules], dtype=bool)
    eligible = np.isin(kind, [KINDS.index("text"), KINDS.index("notice")]) & ~continuous
    req_len = np.asarray([len(r) for r in reqs], dtype=np.int64)
    req_offset = np.zeros(len(rules) + 1, dtype=np.int64)
    np.cumsum(req_len, out=req_offset[1:])
    req_spans = np.asarray([s for r in reqs for s in r], dtype=np.int32).reshape(-1, 2)
    arrays = {
        "tokens": tokens,
        "rule_offset": offsets,
        "token_values": vals,
        "kind": kind,
        "relevance": np.asarray([r.relevance for r in rules], dtype=np.int16),
        "min_coverage": np.asarray([r.minimum_coverage for r in rules], dtype=np.int16),
        "continuous": continuous,
        "req_offset": req_offset,
        "req_spans": req_spans,
        "version_tok": version_tokens(tokens, vocab),
        "format_version": np.asarray([FORMAT_VERSION], dtype=np.int64),
    }
    arrays.update(_exact_tables(tokens, offsets, vals))
    arrays.update(_gram_tables(tokens, offsets, vals, eligible))
    ignorables = {
        i: r.ignorable_copyrights + r.ignorable_holders + r.ignorable_authors
        for i, r in enumerate(rules)
        if r.ignorable_copyrights or r.ignorable_holders or r.ignorable_authors
    }
    return LicenseIndex(
        arrays=arrays,
        vocab=vocab,
        rule_ids=[r.identifier for r in rules],
        expressions=[r.expression for r in rules],
        licenses={lic.key: lic for lic in licenses},
        ignorables=ignorables,
    )
