"""The trace side of the Python API: which catalogued works does an input copy?

Each input is tokenised and fingerprinted like the catalogued works; its fingerprints are
looked up in the catalog (``exact`` channel, and for code the rename-robust ``renamed``
channel); hits merge into spans per source, sources are chosen by how much of the input they
explain (:mod:`creditline.core.matching`), and every match carries the source's license, its
obligations and a credit line.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

from creditline import api
from creditline.catalog_api import catalog_path, open_for_reading
from creditline.core.credit import credit_line
from creditline.core.fingerprint import K, Fingerprints, line_skip_kgrams, stream_kgram_hashes, window_of, winnowed
from creditline.core.matching import (
    RenamingEvidence,
    SpanHit,
    bridge_span,
    char_units,
    extend_span,
    match_spans,
    rank_sources,
    renaming_evidence,
)
from creditline.core.normalize import PLACEHOLDER_NUMBER, PLACEHOLDER_STRING, TokenStream, code_tokens, prose_tokens, token_hash, tokenize
from creditline.core.policy import Policy, check
from creditline.core.works import line_starts
from creditline.errors import ExpressionError
from creditline.ingest import iter_documents
from creditline.model import Document, Match, Obligations, Skipped, TraceReport, TraceResult, Violation, Work
from creditline.store import Catalog

MIN_TOKENS = 20  # shortest span reported by default; every channel finds any shared run this long
MAX_DF = 50
# A span is evidence only when it holds an anchor: a fingerprint found in at most this many works
# (the copied work and a few copies of it). Spans made only of fingerprints shared more widely are
# stock code or boilerplate, whatever their length; once a work is anchored, its other hits
# (common ones included) extend its spans.
ANCHOR_DF = 5
# Abstracted code is far less specific than real tokens: files of one project share long runs
# of "identifier = identifier(identifier)". Renamed fingerprints found in more works than this
# are not evidence.
RENAMED_MAX_DF = 5
# A renamed span's anchor is a fingerprint in at most RENAMED_ANCHOR_DF works, or in at most
# TOUCHED_ANCHOR_DF works when the work also holds one of the input's rare literal fingerprints:
# build variants of one file (dist/cjs and dist/esm, src and src-noconflict) share their
# abstracted code. Seed-777 draw: renamed recall 0.913 -> 0.922; at 7,670 files, one draw +1
# case, another unchanged; negatives unchanged on all four draws.
RENAMED_ANCHOR_DF = 2
TOUCHED_ANCHOR_DF = ANCHOR_DF
# In every channel, build variants count once (_variant_freq): works of one file name that hold
# the same set of the input's fingerprints, at most MAX_VARIANTS of them. At 7,670 files, in the
# renamed channel: renamed recall 0.827 -> 0.846 on one draw (seed 1234), unchanged on another;
# in the literal channels, where a piece of a copy broken up by inserted lines then passes
# PIECE_DF: inserted/deleted recall 0.910 -> 0.928 and 0.935 -> 0.944. Negatives unchanged, and
# no change on the 1,500-file draws.
MAX_VARIANTS = 5
# Files of one project share their shape even with identifier reuse recorded (generated
# modules, loaders, option tables), so a renamed span needs literal support: it counts when the
# same work also has a literal span in the input, or one of the input's rare literal
# fingerprints (df <= ANCHOR_DF) and RENAMED_MIN_TOKENS tokens; with neither, from
# RENAMED_ALONE_TOKENS tokens. On 600 benchmark outputs + 120 negatives (a case seed other than
# the reported one), with renamed spans checked against the source's text (RENAMING_CONSISTENCY):
# alone from 30 tokens flagged 4 negatives (renamed recall 0.92), from 35 one (0.91), from 45
# one (0.87); without that check, from 45 three.
RENAMED_MIN_TOKENS = 20
RENAMED_ALONE_TOKENS = 35
# The larger a catalog, the more code in it looks like any given input by chance (a project's
# other modules, its look-alike files), as a database search's chance hits grow with the
# database. So from SCALE_FROM_WORKS works on, unsupported renamed spans need
# SCALE_TOKENS_PER_DOUBLING more tokens per doubling of the catalog (scale_tokens), both
# RENAMED_ALONE_TOKENS and the short spans' min_tokens: at 7,670 files +10 (45 and 30). There,
# on two draws of 300 outputs + 60 negatives (seeds 1234 and 777), negatives flagged 8 -> 4 and
# 5 -> 2, renamed recall 0.846 -> 0.837 and 0.838 -> 0.828. At 1,500 files (no change there)
# renamed spans alone from 45 tokens cost renamed recall 0.01 to 0.03 and flag no fewer negatives.
SCALE_FROM_WORKS = 2_000
SCALE_TOKENS_PER_DOUBLING = 5
# A renamed span with neither support nor RENAMED_ALONE_TOKENS tokens (found from one
# fingerprint, K tokens, and grown to the copy's ends) still counts from min_tokens when its
# source's text shows a flawless renaming (every name replaced one for one) and at least
# SHORT_RENAMED_LITERALS of its strings and numbers are the source's. On the same 600 + 120
# (dev) draw: renamed recall 0.934 -> 0.943 from spans of 20 tokens on, 0.948 from pieces,
# negatives flagged unchanged (1); with one literal, 0.953 and 3 negatives. While the span
# (grown to the copy's ends) is shorter than one that counts alone, every literal must be the
# source's: seed 42, 7,670 files, `content-disposition` (held out) no longer matches js-yaml by
# 31 tokens with 2 of 3 literals kept, negatives flagged 2 -> 1 of 60; no other change on four
# draws. (Asking it of longer spans too lost three.js's FlyControls, 53 tokens grown from pieces.)
SHORT_RENAMED_CONSISTENCY = 1.0
SHORT_RENAMED_LITERALS = 2
# Such a span also counts, whatever the catalog's size (no scale_tokens), from
# UNIQUE_SHORT_TOKENS tokens when it holds a fingerprint found in no other work, its renaming is
# flawless and every one of its literals (at least one) is the source's: rxjs operators and
# echarts visuals, whose one string is their own name. Seed 42, 7,670 files: renamed recall
# 0.865 -> 0.894; seed 1234: 0.875 -> 0.896; no change at 1,500 files (seeds 42 and 777), where
# such spans count alone anyway; negatives unchanged on all four. Without the fingerprint found
# in no other work, one more negative at 7,670 files (jszip's `load.js`, 36 tokens, found in 2).
# From 30 tokens instead of 35: seed 42, 7,670 files, 0.913 -> 0.933 (underscore's `isBoolean`, 33
# tokens, and three.js's `WireframeGeometry2`, 30); no change on the other three draws. A flagged
# negative at 1,500 files has 29 tokens of this kind (one literal, kept).
UNIQUE_SHORT_TOKENS = 30
# Pieces under min_tokens are checked only when their rarest fingerprint is in this many works:
# each check re-reads the source around the piece; allowing df 2 or more found nothing more on
# the dev draw and raised trace p99 from about 30 to 50-65 ms.
RENAMED_PIECE_DF = 1
# Literal pieces under min_tokens likewise: with the literal channels winnowed densely (WINDOW 5),
# pieces of idioms a project repeats (df 2 and up) would otherwise be joined into copies.
PIECE_DF = 1
# A renamed span most of whose fingerprints also occur elsewhere in the input is repeated
# structure (tables, re-export lists), not evidence of a copy, unless it still holds at least
# REPEAT_UNIQUE fingerprints found nowhere else in the input (a run of similar classes that
# each differ somewhere).
REPEAT_SHARE = 0.5
REPEAT_UNIQUE = 8
# A fingerprint with more than this many postings per max_df (in one shard) is boilerplate: its
# postings are not even gathered, which keeps a lookup's time and memory bounded.
POSTINGS_PER_DF = 20
# Literal channels: one edit hides K k-grams and winnowing skips at most WINDOW - 1 more on each
# side, 20 k-gram starts with WINDOW 5 (28 with 9, when this was 3 * K); a wider gap joins pieces
# of different code that share idioms. Dev draw: negatives 3 -> 2 of 120, recall unchanged.
SPAN_GAP = 2 * K
# Spans are extended token by token to the exact ends of the copy (extend_span) with the
# source's tokens, re-made from the text the catalog keeps: whole texts up to WHOLE_SOURCE_CHARS,
# else the lines around the spans (tokenising code costs about a millisecond per 4 KB).
WHOLE_SOURCE_CHARS = 4_000
SOURCE_MARGIN = 1_000
EXCERPT_CHARS = 20_000  # of a source shown beside the input (HTML)
SAME_PLACE_CHARS = 100  # slack when telling whether two spans of a work copy one place of it
# Literal spans from K tokens (one fingerprint) are looked at too: carried on past inserted or
# deleted lines (at most BRIDGE_SKIP tokens on either side, until BRIDGE_RUN tokens agree again),
# one counts when its pieces share min_tokens tokens with the source. Runs of 6 tokens also join
# up the idioms that independent code for one task shares (IR-Plag's Java solutions: ROC AUC at
# L1 0.93 with 6, 0.98 with 10). On the dev draw (fingerprint version 3) 8 and 6 find
# inserted/deleted lines copies 0.962 against 0.952 with 10, but on the seed-777 draw they flag
# one and two more of 120 negatives.
BRIDGE_SKIP = 2 * K
BRIDGE_RUN = 10
# Lines inserted into copied prose (a comment, docstring or passage with a sentence or a line of
# code put between its lines) cut it into pieces that may each be shorter than a k-gram, and so
# hold no fingerprint at all. The words of prose lines are therefore also looked up as if a line
# of at most SKIP_TOKENS words were not there (fingerprint.line_skip_kgrams; SKIP_LINES lines
# at a time): only lines where no code token starts, so that code, whose short lines stitch
# together into stock idiom, is not read that way, and only outside boilerplate (such a k-gram
# touching a fingerprint found in more than max_df works counts as one). seed 42, 1,500 files:
# inserted/deleted lines recall 0.934 -> 0.953, negatives unchanged (1 of 60); 7,670 files:
# 0.909 -> 0.927, negatives unchanged (3 of 60); seed 777, 1,500 files: reformat 0.991 -> 1.0,
# the rest unchanged. Skipping two lines at a time found nothing more. Reading code lines that
# way too found more (0.991 at 1,500 files) but flagged 4 and 10 of 60 negatives; the words of
# code lines, 0.972, and one more negative at 7,670 files. Cost: about 1.3 ms per 4 KB input.
SKIP_LINES = 1
# Lines where at most SKIP_CODE_TOKENS code tokens start (a short statement put between copied
# lines: `let x = 892;`) are read past too, in the words of the text (a code output's comments
# and strings, a Markdown answer's prose). Seed 42, 7,670 files: inserted/deleted recall 0.936
# -> 0.946 (a GLSL chunk in a template string); 1,500 files: 0.953 -> 0.972, reformatted 0.990
# -> 1.0; seed 1234, 7,670 files: inserted/deleted 0.910 -> 0.920, reformatted 0.947 -> 0.956,
# one extra source in a renamed case (precision unchanged, 0.994); seed 777 unchanged; no
# negative more on any of the four. Any code line (up to SKIP_TOKENS words) gave the same on all
# four draws; before the idiom rule (BRIDGE_TWIN_OVERLAP) it flagged a negative more at 7,670.
# Trace latency: no change beyond the machine's noise (p50 11.5-16.3 ms without, 12.0-13.0 with).
SKIP_CODE_TOKENS = 10
# Of two works' renamed spans over the same part of the input (TWIN_OVERLAP of the shorter), one
# whose source changes TWIN_LITERALS more of the input's literals than the other's is dropped
# (_apart_from_twins). Seed 42, 7,670 files: ace's mode-scheme copy is no longer credited to
# mode-clojure (precision 0.979 -> 0.981, renamed recall 0.808 -> 0.817); no other change there,
# at 1,500 files or on the seed-777 draw. Comparing literals kept rather than literals changed
# also split twin build variants (moment's locale/mn.js and dist/locale/mn.js) by how far each
# span ran, and was not kept.
TWIN_LITERALS = 3
TWIN_OVERLAP = 0.9
SKIP_TOKENS = 30
LITERAL_KIND_SHARE = 0.8
# With the source's text, a renamed span is checked against it, aligned token by token: a
# copy whose names were replaced keeps one replacement per name and its string and number
# literals; code of the same shape written apart (modules of one project, option tables) does
# neither. A renamed span counts only when RENAMING_CONSISTENCY of its aligned identifiers
# follow one renaming and, where it aligns at least two literals, LITERALS_AGREEING of them are
# the same.
RENAMING_CONSISTENCY = 0.9
LITERALS_AGREEING = 0.5
# Repeated structure (REPEAT_SHARE) counts only with the source's text, when at least
# REPEAT_LITERALS of its literals line up and REPEAT_LITERALS_AGREEING of them are the same: a
# table of ``class X(Base): code = "H"`` entries is a copy when its codes are the source's...
REPEAT_LITERALS = 4
REPEAT_LITERALS_AGREEING = 0.9
# ...or, without literals, when it is as long as a renamed span that counts alone
# (RENAMED_ALONE_TOKENS and scale_tokens), REPEAT_SAME of its tokens are literally the source's
# and REPEAT_NAMES of its names were left as they are: aligned with literals kept, a copy of a
# run of `const a = new Vector3();` lines keeps its `Vector3`s and `Color`s in place, where code
# that only shares the shape aligns far fewer tokens, or, with other classes in each place
# (`new Matrix4()`), keeps the punctuation but none of the names.
# Seed 42, 7,670 files: renamed recall 0.817 -> 0.846 (three.js's TessellateModifier,
# WebGLRenderLists and FlyControls); seed 1234 at 7,670 files +1 case; no change at 1,500 files
# (seeds 42 and 777); negatives unchanged on all four. Repeated spans of negatives and of
# false sources that reach the length keep at most 44% of their tokens; the three copies, 75% and up.
REPEAT_SAME = 0.7
REPEAT_NAMES = 4
# A renamed copy of one of a family of files made from one template (core-js's
# es/instance/*.js, a codec per encoding) shares its abstracted code with all of them, so no
# fingerprint of it anchors (RENAMED_ANCHOR_DF). Its strings still tell which one it is
# (`require('../string/virtual/code-point-at')`): where the renamed spans of at least two works,
# anchored by fingerprints in at most FAMILY_DF works, cover one part of the input, the one work
# (of the FAMILY_WORKS longest spans) whose text holds more of the input's string literals there
# (of at least FAMILY_LITERAL_CHARS characters) than any other's is a candidate, unless a work
# found already holds as many; it is then checked like any renamed span. Seed 42: renamed
# recall 0.958 -> 0.966 at 1,500 files, 0.846 -> 0.865 at 7,670; seed 777 (1,500 files):
# 0.924 -> 0.943; seed 1234 (7,670 files): 0.865 -> 0.875; negatives and precision unchanged
# on all four.
FAMILY_DF = 200
# In the renamed channel, works of one file name count once for the fingerprints found in at
# most BY_NAME_DF works, whether or not they hold the same set of the input's fingerprints: the
# build formats of one module (underscore's amd/, cjs/ and modules/) wrap the same code
# differently, and its abstracted fingerprints are anchors in none of them otherwise. Seed 42,
# 7,670 files: renamed recall 0.894 -> 0.904 (underscore's `invert.js`); no change on the other
# three draws, negatives unchanged on all four.
BY_NAME_DF = 6
FAMILY_WORKS = 64
# A tie of works whose texts each hold FAMILY_TIE_LITERALS or more of the input's strings is a
# tie of copies of one text (echarts' `i18n/langIT.js`, `langIT-obj.js` and `lib/i18n/langIT.js`):
# the one with the longest span is the candidate. Seed 42, 7,670 files: renamed recall 0.933 ->
# 0.942 (the Italian locale table with every key renamed); no change on the other three draws.
# Groups of spans of one work only were tried too (core-js's `es.reflect.*`): nothing more found.
FAMILY_TIE_LITERALS = 5
FAMILY_LITERAL_CHARS = 5
# Works whose spans cover the same input ranges (twins: one text in several works, such as a
# license file shipped by two packages and quoted in a Debian copyright file) tie in
# rank_sources, and the plain tie-breaks (weight, then work id) are arbitrary between them. Only
# one of them is kept (_one_of_twins): the one whose characters there hold most of the input's
# word pairs, then one the spans cover a large share of (the file that is the text, not the file
# that quotes it; within TWIN_SHARE_RATIO of the largest share, so build variants of one size
# stay tied), then the heavier. TWIN_COMPARE_CHARS of each span are compared. Seed 42, 7,670
# files: the Blue Oak license of `nonrecursive-glob-match/LICENSE.md` went to
# `debian/nodejs/copyright` in two cases and an AV1 patent license to the wrong Debian file in
# one: precision 0.988 -> 0.994, F1 0.972 -> 0.977; 1,500 files: one such case fixed (F1 0.987
# -> 0.989); seed 777 unchanged; no new miss on either.
TWIN_COMPARE_CHARS = 2_000
TWIN_SHARE_RATIO = 4
# Twins are compared over their spans' whole lines and TWIN_CONTEXT_LINES lines more on each
# side: build variants differ in the lines around a copy (an `exports.x = x;` before the source
# map comment). Seed 777, 1,500 files: minimatch's `dist/esm/escape.js` over `dist/commonjs/`, a
# Maven parent POM's Debian file over its sibling's: renamed recall 0.943 -> 0.952, inserted/
# deleted 0.951 -> 0.960, precision 0.996 -> 1.0; seed 42 at both sizes unchanged.
TWIN_CONTEXT_LINES = 3
# Spans carried over breaks that works of two different file names carry over one part of the
# input (BRIDGE_TWIN_OVERLAP of the shorter span) are dropped (_unshared_bridges). Seed 42, 7,670
# files: acorn's `bin.js` (held out) no longer matches esprima's `esvalidate.js` by the stdin
# reading lines that katex's `cli.js` has too: negatives flagged 3 -> 2 of 60; no other change
# on four draws.
BRIDGE_TWIN_OVERLAP = 0.8
_LITERAL_PLACEHOLDERS = np.asarray([token_hash(PLACEHOLDER_STRING), token_hash(PLACEHOLDER_NUMBER)], dtype=np.uint64)
_CHANNEL_ORDER = {"exact": 0, "words": 1, "renamed": 2}


def _variant_freq(cat: Catalog, hits: tuple[np.ndarray, ...], hashes: np.ndarray, by_name: bool = False) -> np.ndarray:
    """Per query fingerprint, the distinct works holding it, the build variants of one file
    counted once: works of one file name (``dist/cjs/x.js``, ``dist/esm/x.js``) that hold the
    same set of the query's fingerprints, so that the input cannot tell them apart. Works of
    different names stay apart even then: a project's generated look-alikes (one module per
    HTML method, per locale) share their code, or its shape, but are different works. With
    ``by_name``, works of one file name count once for fingerprints found in at most BY_NAME_DF
    works whatever they hold (the renamed channel)."""
    qi, work = hits[0].astype(np.int64), hits[1].astype(np.int64)
    if not len(qi):
        return np.zeros(len(hashes), dtype=np.int64)
    base = int(work.max()) + 1
    pairs = np.unique(qi * base + work)
    pq, works, pw = pairs // base, *np.unique(pairs % base, return_inverse=True)  # pw: index into works
    signature = np.zeros(len(works), dtype=np.uint64)
    np.add.at(signature, pw, hashes[pq])  # wraps: a set hash of each work's fingerprints
    label = np.arange(len(works), dtype=np.int64)
    sigs, counts = np.unique(signature, return_counts=True)
    for sig in sigs[(counts > 1) & (counts <= MAX_VARIANTS)]:  # more alike than that: not one file's builds
        names: dict[str, int] = {}
        for i in np.flatnonzero(signature == sig).tolist():
            label[i] = names.setdefault(cat.work(int(works[i])).path.rsplit("/", 1)[-1], i)
    if by_name:
        raw = np.bincount(pq, minlength=len(hashes))
        few = np.unique(pw[(raw[pq] >= 2) & (raw[pq] <= BY_NAME_DF)])  # a fingerprint in one work needs no merging
        names2: dict[str, int] = {}
        for i in few.tolist():
            label[i] = names2.setdefault(cat.work(int(works[i])).path.rsplit("/", 1)[-1], int(label[i]))
    classes = np.unique(pq * len(works) + label[pw])
    return np.bincount(classes // len(works), minlength=len(hashes))


def _lookup(cat: Catalog, hashes: np.ndarray, channels: tuple[str, ...], max_postings: int) -> tuple[np.ndarray, ...]:
    found = [cat.lookup(hashes, ch, max_postings=max_postings) for ch in channels]
    return tuple(np.concatenate([h[i] for h in found]) for i in range(4))


def _channel_spans(cat: Catalog, tokens: TokenStream, stream: str, channels: tuple[str, ...],
                   min_tokens: int, max_df: int, anchor_df: int, max_postings: int,
                   distinct: bool = False, touched: set[int] | None = None,
                   repeated: list[SpanHit] | None = None, lines: np.ndarray | None = None,
                   prose_lines: np.ndarray | None = None, family: list[SpanHit] | None = None) -> list[SpanHit]:
    """Spans of the ``stream`` channel (``exact`` or ``renamed``) of ``tokens`` found in the
    catalog's ``channels``; ``touched`` collects the works that hold any of the text's rare
    fingerprints (document frequency at most ``anchor_df``), spans or not. With ``lines`` (the
    text's line starts) and ``prose_lines`` (per line, whether it may be skipped or joined), the
    k-grams that skip whole prose lines are looked up too (SKIP_LINES)."""
    grams = stream_kgram_hashes(tokens, stream, K)
    fp = winnowed(grams, window_of(stream))
    ends = None  # of each k-gram, in tokens: past the lines skipped, for line-skipping ones
    if lines is not None and prose_lines is not None:
        allowed = prose_lines[np.searchsorted(lines, tokens.starts, "right") - 1]
        skip_h, skip_s, skip_e = line_skip_kgrams(tokens.exact, tokens.starts, lines, K, max_lines=SKIP_LINES,
                                                  max_tokens=SKIP_TOKENS, allowed=allowed)
        if len(skip_h):
            plain = len(fp)
            ends = np.concatenate([fp.positions + K, skip_e])
            fp = Fingerprints(np.concatenate([fp.hashes, skip_h]), np.concatenate([fp.positions, skip_s]))
    if not len(fp):
        return []
    hits = _lookup(cat, fp.hashes, channels, max_postings)
    df = _variant_freq(cat, hits, fp.hashes, by_name=stream == "renamed")
    if ends is not None:  # a line-skipping k-gram that touches boilerplate is boilerplate too
        boiler = _covered_tokens(fp.positions[:plain][df[:plain] > max_df], len(tokens))
        df[plain:][boiler[ends[plain:]] > boiler[fp.positions[plain:]]] = max_df + 1
    if touched is not None:
        touched.update(np.unique(hits[1][df[hits[0]] <= anchor_df]).tolist())
    spans = match_spans(fp.positions, tokens.starts, tokens.ends, hits, df, k=K, n_works=cat.work_count(),
                        min_tokens=min_tokens, max_df=max_df, anchor_df=anchor_df,
                        gap=SPAN_GAP if stream == "exact" else None, q_ends=ends)
    if family is not None:
        family += match_spans(fp.positions, tokens.starts, tokens.ends, hits, df, k=K, n_works=cat.work_count(),
                              min_tokens=max(min_tokens, MIN_TOKENS), max_df=FAMILY_DF, anchor_df=FAMILY_DF)
    if not (distinct and spans):
        return spans
    grams = np.sort(grams)
    kept = [s for s in spans if not _repetitive(s, fp, grams)]
    if repeated is not None:
        ids = {id(s) for s in kept}
        repeated += [s for s in spans if id(s) not in ids]
    return kept


def _covered_tokens(starts: np.ndarray, n_tokens: int) -> np.ndarray:
    """Prefix counts of the tokens that k-grams starting at ``starts`` cover: tokens ``[a, b)``
    hold ``c[b] - c[a]`` covered ones."""
    delta = np.zeros(n_tokens + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, np.minimum(starts + K, n_tokens), -1)
    return np.concatenate(([0], np.cumsum(np.cumsum(delta)[:-1] > 0)))


def _repetitive(span: SpanHit, fp: Fingerprints, grams: np.ndarray) -> bool:
    """Whether most of a span's fingerprints occur again elsewhere in the input: a table of
    ``name: [number, number]`` rows or a run of near-identical re-exports, which abstracted code
    tokens make look alike whatever they say (REPEAT_SHARE). ``grams``: every k-gram hash of the
    input, sorted."""
    lo, hi = np.searchsorted(fp.positions, [span.q_token_start, span.q_token_end - K + 1])
    if hi <= lo:
        return False
    mine = fp.hashes[lo:hi]
    repeated = (np.searchsorted(grams, mine, "right") - np.searchsorted(grams, mine, "left")) > 1
    return float(np.mean(repeated)) > REPEAT_SHARE and int(np.count_nonzero(~repeated)) < REPEAT_UNIQUE


def scale_tokens(n_works: int) -> int:
    """Tokens added to the length unsupported renamed spans need, for a catalog of ``n_works``."""
    if n_works <= SCALE_FROM_WORKS:
        return 0
    return round(SCALE_TOKENS_PER_DOUBLING * math.log2(n_works / SCALE_FROM_WORKS))


def _spans(cat: Catalog, words: TokenStream, tokens: TokenStream, min_tokens: int, max_df: int,
           sources: SourceTokens | None = None, lines: np.ndarray | None = None,
           prose_lines: np.ndarray | None = None, text: str | None = None) -> list[tuple[SpanHit, str]]:
    """Spans per channel, all in the text's character space. Words (prose tokens) are looked up
    in catalogued prose (``exact``) and in the words of catalogued code (``words``) together, so a
    passage's document frequency counts both; code inputs are also looked up by code tokens
    (``exact``) and abstracted code tokens (``renamed``), so comments and docstrings count as
    words and code as code. With ``sources``, spans are extended to the exact ends of the copy
    (:func:`_extended`) before sources are ranked. ``words``: the text's words (``tokens``
    itself for prose)."""
    found: list[tuple[SpanHit, str]] = []
    cap = POSTINGS_PER_DF * max_df
    touched: set[int] = set()
    shortest = min(min_tokens, K) if sources is not None else min_tokens  # pieces, for bridging
    if tokens.kind == "code":
        found += [(s, "exact") for s in _channel_spans(cat, tokens, "exact", ("exact",), shortest, max_df,
                                                       ANCHOR_DF, cap, touched=touched)]
    found += [(s, "words") for s in _channel_spans(cat, words, "exact", ("exact", "words"), shortest,
                                                   max_df, ANCHOR_DF, cap, touched=touched, lines=lines,
                                                   prose_lines=prose_lines)]
    if sources is not None:
        found = [(s, c) for s, c in found if s.tokens >= min_tokens or s.min_df <= PIECE_DF]
        found = _unshared_bridges(_extended(found, tokens, words, sources, min_tokens), cat)
    if tokens.renamed is not None:
        literal = {s.work for s, _ in found}
        repeated: list[SpanHit] = []
        # with sources, spans from one fingerprint on: checked and grown to the copy's ends first
        family: list[SpanHit] | None = [] if sources is not None and text is not None else None
        spans = _channel_spans(cat, tokens, "renamed", ("renamed",), shortest, min(max_df, RENAMED_MAX_DF),
                               TOUCHED_ANCHOR_DF, cap, distinct=True, repeated=repeated, family=family)
        spans = [s for s in spans if s.min_df <= RENAMED_ANCHOR_DF or s.work in touched]
        if family:
            known = [(s.q_start, s.q_end) for s in spans] + [(s.q_start, s.q_end) for s, _ in found]
            spans += _family_pick(family, literal | {s.work for s in spans} | {s.work for s in repeated}, text, tokens,
                                  sources, known)
        repeated[:] = [s for s in repeated if s.min_df <= RENAMED_ANCHOR_DF or s.work in touched]
        if sources is not None:  # repeated structure may still be a copy: its literals tell (_extended)
            spans += repeated
        bonus = scale_tokens(cat.work_count())
        renamed = [(s, "renamed") for s in spans
                   if s.work in literal or s.tokens >= max(min_tokens, RENAMED_ALONE_TOKENS + bonus)
                   or (s.work in touched and s.tokens >= max(min_tokens, RENAMED_MIN_TOKENS))]
        short: list[SpanHit] = []  # unsupported spans shorter than RENAMED_ALONE_TOKENS: checked strictly
        if sources is not None:
            kept = {id(s) for s, _ in renamed}
            short = [s for s in spans if id(s) not in kept and (s.tokens >= min_tokens or s.min_df <= RENAMED_PIECE_DF)]
            renamed += [(s, "renamed") for s in short]
        if sources is None:
            return found + renamed
        evidence: dict[int, RenamingEvidence] = {}
        found += _contained_merged(_apart_from_twins(_extended(renamed, tokens, words, sources, min_tokens, frozenset(map(id, repeated)),
                                             frozenset(map(id, short)), short_min=min_tokens + bonus,
                                             evidence=evidence, alone_min=max(min_tokens, RENAMED_ALONE_TOKENS + bonus)),
                                   evidence), evidence)
    return found


def _unshared_bridges(found: list[tuple[SpanHit, str]], cat: Catalog) -> list[tuple[SpanHit, str]]:
    """``found`` without the spans carried over breaks (bridge_span: pieces shorter than a span
    that counts) that another work of another file name carries over the same part of the input
    (BRIDGE_TWIN_OVERLAP of the shorter): a run of short pieces that two unrelated files share
    is an idiom (reading stdin, a module header), not a copy of either."""
    bridged = [s for s, _ in found if s.shared is not None]
    if len(bridged) < 2:
        return found
    name = {s.work: cat.work(s.work).path.rsplit("/", 1)[-1] for s in bridged}
    drop: set[int] = set()
    for i, a in enumerate(bridged):
        for b in bridged[i + 1 :]:
            if name[a.work] == name[b.work]:
                continue
            inter = min(a.q_end, b.q_end) - max(a.q_start, b.q_start)
            if inter >= BRIDGE_TWIN_OVERLAP * min(a.q_end - a.q_start, b.q_end - b.q_start):
                drop.update((id(a), id(b)))
    return [(s, c) for s, c in found if id(s) not in drop] if drop else found


def _family_pick(family: list[SpanHit], taken: set[int], text: str, tokens: TokenStream,
                 sources: SourceTokens, known: list[tuple[int, int]] = ()) -> list[SpanHit]:
    """Of each group of works whose renamed spans cover one part of the input and whose shared
    fingerprints are too common to anchor any of them (a family of files made from one template),
    the span of the one work whose text holds more of the input's string literals there than
    any other's (or, of works tied on FAMILY_TIE_LITERALS or more, the longest span's), if one
    does and it is not among the works ``taken`` already. A part of the
    input that spans found already (``known``: their character ranges) cover for the most part
    is not looked at: reading the family's texts costs more than the rest of a trace."""
    assert tokens.renamed is not None
    spans = sorted(family, key=lambda s: (s.q_start, -s.q_end))
    string = _LITERAL_PLACEHOLDERS[0]
    picked: list[SpanHit] = []
    group: list[SpanHit] = []
    reach = 0  # the end of the group's spans
    for span in [*spans, None]:
        if span is not None and group and span.q_start < reach:
            group.append(span)
            reach = max(reach, span.q_end)
            continue
        if len({g.work for g in group}) >= 2 and not _mostly_known(group, known):
            lo, hi = min(g.q_token_start for g in group), max(g.q_token_end for g in group)
            at = lo + np.flatnonzero(tokens.renamed[lo:hi] == string)
            literals = {text[int(tokens.starts[i]):int(tokens.ends[i])] for i in at.tolist()}
            literals = {lit for lit in literals if len(lit) >= FAMILY_LITERAL_CHARS}
            if literals:
                best: dict[int, SpanHit] = {}
                for g in group:
                    if g.work not in best or g.tokens > best[g.work].tokens:
                        best[g.work] = g
                ranked = sorted(best.values(), key=lambda g: -g.tokens)[:FAMILY_WORKS]
                scores = [sum(lit in (sources.text(g.work) or "") for lit in literals) for g in ranked]
                most = max(scores)
                top = ranked[scores.index(most)]
                if most >= 1 and (scores.count(most) == 1 or most >= FAMILY_TIE_LITERALS) and top.work not in taken:
                    picked.append(top)
        group = [span] if span is not None else []
        reach = span.q_end if span is not None else 0
    return picked


def _mostly_known(group: list[SpanHit], known: list[tuple[int, int]]) -> bool:
    """Whether ranges in ``known`` cover at least half of the characters the group's spans cover."""
    lo, hi = min(g.q_start for g in group), max(g.q_end for g in group)
    inside = [(max(a, lo), min(b, hi)) for a, b in known if a < hi and b > lo]
    return _union_length(inside) * 2 >= hi - lo


def _apart_from_twins(spans: list[tuple[SpanHit, str]], evidence: dict[int, RenamingEvidence]) -> list[tuple[SpanHit, str]]:
    """Renamed spans without those a twin explains better: of two works' spans over the same
    part of the input (TWIN_OVERLAP of the shorter), the one whose source has TWIN_LITERALS more
    of the input's aligned literals changed than the other's is dropped. Twins (language modes
    generated from one template, a project's look-alike modules) share their abstracted code,
    so coverage alone may credit the twin whose renamed tokens happen to run on further; the
    copy's strings and numbers are the copied file's. ``evidence``: by ``id`` of each span; a
    span without it (its source's text is not kept) is neither dropped nor compared."""
    changed = {id(span): found.literals - found.literals_agreeing for span, _ in spans if (found := evidence.get(id(span)))}
    kept = []
    for span, channel in spans:
        mine = changed.get(id(span))
        if mine is None or not any(
                other.work != span.work and changed.get(id(other), mine) <= mine - TWIN_LITERALS
                and min(span.q_end, other.q_end) - max(span.q_start, other.q_start)
                >= TWIN_OVERLAP * min(span.q_end - span.q_start, other.q_end - other.q_start)
                for other, _ in spans):
            kept.append((span, channel))
    return kept


class SourceTokens:
    """The token streams of catalogued works, re-made from the texts the catalog keeps, for
    :func:`~creditline.core.matching.extend_span` and the checks after it. A text of up to
    WHOLE_SOURCE_CHARS is tokenised whole, once per trace run; of a longer one only the lines
    around the spans (SOURCE_MARGIN characters either side), as a fragment, so that a span in a
    large file costs what a span in a small one does; the last such window of each work is kept
    while it covers what is asked."""

    def __init__(self, cat: Catalog) -> None:
        self._cat = cat
        self._texts: dict[int, str | None] = {}
        self._whole: dict[int, tuple[TokenStream, TokenStream]] = {}
        self._windows: dict[int, tuple[int, int, tuple[TokenStream, TokenStream]]] = {}

    def _text(self, work_id: int) -> str | None:
        if work_id not in self._texts:
            if len(self._texts) > 64:
                self._texts.clear()
                self._whole.clear()
                self._windows.clear()
            self._texts[work_id] = self._cat.text_of(work_id)
        return self._texts[work_id]

    def text(self, work_id: int) -> str | None:
        """The work's text, None without it; read from the catalog when it is not kept here,
        and not kept (a family of works is looked at once, see _family_pick)."""
        return self._texts[work_id] if work_id in self._texts else self._cat.text_of(work_id)

    def excerpt(self, work_id: int, start: int, end: int) -> str | None:
        """The work's characters ``[start, end)`` (at most EXCERPT_CHARS), None without its text."""
        text = self._text(work_id)
        return None if text is None else text[start : min(end, start + EXCERPT_CHARS)]

    def whole(self, work_id: int) -> tuple[TokenStream, TokenStream] | None:
        """(tokens, words) of the work's whole text, as :meth:`__call__` gives for a short one."""
        text = self._text(work_id)
        if text is None:
            return None
        if work_id not in self._whole:
            self._whole[work_id] = _streams(text, self._cat.work(work_id).path, fragment=False)
        return self._whole[work_id]

    def __call__(self, work_id: int, start: int, end: int) -> tuple[TokenStream, TokenStream] | None:
        """(tokens as indexed, words) of the work, covering at least its characters
        ``[start - SOURCE_MARGIN, end + SOURCE_MARGIN)`` with offsets in the whole text; None
        for a work stored without text."""
        text = self._text(work_id)
        if text is None:
            return None
        if len(text) <= WHOLE_SOURCE_CHARS:
            return self.whole(work_id)
        path = self._cat.work(work_id).path
        lo, hi = max(0, start - SOURCE_MARGIN), min(len(text), end + SOURCE_MARGIN)
        cached = self._windows.get(work_id)
        if cached is not None and cached[0] <= max(0, start - SOURCE_MARGIN // 2) and \
                cached[1] >= min(len(text), end + SOURCE_MARGIN // 2):
            return cached[2]
        line_lo, line_hi = text.rfind("\n", 0, lo) + 1, text.find("\n", hi)
        lo = line_lo if lo - line_lo <= SOURCE_MARGIN else lo  # whole lines, unless a line is huge
        hi = len(text) if line_hi < 0 else line_hi if line_hi - hi <= SOURCE_MARGIN else hi
        tokens, words = _streams(text[lo:hi], path, fragment=lo > 0)
        made = _shifted(tokens, lo), _shifted(words, lo) if words is not tokens else _shifted(tokens, lo)
        self._windows[work_id] = (lo, hi, made)
        return made


def _streams(text: str, path: str, *, fragment: bool) -> tuple[TokenStream, TokenStream]:
    tokens = tokenize(text, path, fragment=fragment)
    return tokens, (prose_tokens(text) if tokens.kind == "code" else tokens)


def _shifted(tokens: TokenStream, offset: int) -> TokenStream:
    return dataclasses.replace(tokens, starts=tokens.starts + offset, ends=tokens.ends + offset) if offset else tokens


def _extended(found: list[tuple[SpanHit, str]], tokens: TokenStream, words: TokenStream,
              sources: SourceTokens, min_tokens: int, repeated: frozenset[int] = frozenset(),
              short: frozenset[int] = frozenset(), short_min: int = 0,
              evidence: dict[int, RenamingEvidence] | None = None, alone_min: int | None = None) -> list[tuple[SpanHit, str]]:
    """Each span extended to the ends of the run it shares with its source, in its channel's
    token stream (code tokens, words, or abstracted code tokens). A literal span shorter than
    ``min_tokens`` (a piece of a copy broken up by inserted or deleted lines) is carried on past
    the breaks (:func:`~creditline.core.matching.bridge_span`) and kept only when its pieces then
    share ``min_tokens`` tokens with the source in order; without the source's text it is dropped.
    A renamed span must pass :func:`_renaming_holds` (more strictly when it is one of the
    ``repeated`` structures, by ``id``, unless it has ``alone_min`` tokens and REPEAT_SAME of
    them are literally the source's; a ``short`` one must show a flawless renaming,
    SHORT_RENAMED_LITERALS of the source's literals and ``short_min`` tokens), and its tokens
    that are literally the source's add to its weight, so that of two twins (files that differ
    only in names and literals) the one the input matches literally ranks first. ``evidence``
    collects each kept renamed span's :class:`RenamingEvidence`, by ``id``."""
    out = []
    reach: dict[int, tuple[int, int]] = {}  # per work, the source characters of all its spans: one window
    for span, _ in found:
        lo, hi = reach.get(span.work, (span.s_start, span.s_end))
        reach[span.work] = (min(lo, span.s_start), max(hi, span.s_end))
    for original, channel in found:
        span = original
        made = sources(span.work, *reach[span.work])
        if made is not None and channel != "words" and _misread(made[0], span):
            made = sources.whole(span.work)
        if made is not None:
            src_tokens, src_words = made
            query, source = (words, src_words) if channel == "words" else (tokens, src_tokens)
            q, s = (query.renamed, source.renamed) if channel == "renamed" else (query.exact, source.exact)
            if q is not None and s is not None:
                span = extend_span(span, q, query.starts, query.ends, s, source.starts, source.ends)
                if channel == "renamed":
                    found_evidence = _renaming(span, query, source)
                    strict = id(original) in repeated and not (
                        alone_min is not None and span.tokens >= alone_min
                        and found_evidence.same >= REPEAT_SAME * span.tokens
                        and found_evidence.names_kept >= REPEAT_NAMES)
                    if not _renaming_holds(found_evidence, strict=strict):
                        continue
                    if id(original) in short and not _short_holds(found_evidence, span.tokens, original.min_df, short_min,
                                                                  alone_min):
                        continue
                    if span.tokens < min_tokens:
                        continue
                    span = dataclasses.replace(span, weight=span.weight + found_evidence.same)
                    if evidence is not None:
                        evidence[id(span)] = found_evidence
                if span.tokens < min_tokens and channel != "renamed":
                    span, shared = bridge_span(span, q, query.starts, query.ends, s, source.starts, source.ends,
                                               max_skip=BRIDGE_SKIP, run=BRIDGE_RUN)
                    if shared < min_tokens:
                        continue
        elif span.tokens < min_tokens or id(original) in repeated or id(original) in short:  # nothing to check them against
            continue
        out.append((span, channel))
    return out


def _misread(source: TokenStream, span: SpanHit) -> bool:
    """Whether a window of a source file, parsed as a fragment, reads the span's source range
    as far fewer tokens than the span matched there (the window began inside a docstring or
    a comment and the parse took the code in it for a string): the whole file must be read."""
    inside = int(np.searchsorted(source.ends, span.s_end, "right")) - int(np.searchsorted(source.starts, span.s_start))
    return inside * 2 < span.tokens


def _union_length(ranges: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for a, b in sorted(ranges):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def _renaming(span: SpanHit, query: TokenStream, source: TokenStream) -> RenamingEvidence:
    """How a renamed span's tokens agree with its source's (aligned on the renamed channel)."""
    assert query.renamed is not None and source.renamed is not None
    sa = int(np.searchsorted(source.starts, span.s_start))
    sb = int(np.searchsorted(source.ends, span.s_end)) + 1
    qa, qb = span.q_token_start, span.q_token_end
    return renaming_evidence(query.exact[qa:qb], query.renamed[qa:qb], source.exact[sa:sb], source.renamed[sa:sb],
                             _LITERAL_PLACEHOLDERS)


def _renaming_holds(found: RenamingEvidence, *, strict: bool = False) -> bool:
    """Whether a renamed span's tokens agree with its source's as a renamed copy's do (see
    RENAMING_CONSISTENCY); ``strict`` for repeated structure, whose shape says nothing: then at
    least REPEAT_LITERALS literals must line up, nearly all of them the same."""
    if found.consistency < RENAMING_CONSISTENCY:
        return False
    if strict:
        return found.literals >= REPEAT_LITERALS and found.literals_agreeing >= REPEAT_LITERALS_AGREEING * found.literals
    return found.literals < 2 or found.literals_agreeing >= LITERALS_AGREEING * found.literals


def _short_holds(found: RenamingEvidence, tokens: int, min_df: int, short_min: int,
                 alone_min: int | None = None) -> bool:
    """Whether a renamed span with no literal support and fewer tokens than one that counts
    alone is a copy: a flawless renaming with SHORT_RENAMED_LITERALS of the source's literals and
    ``short_min`` tokens (every literal the source's while it has fewer than ``alone_min``
    tokens), or, holding a fingerprint found in no other work (RENAMED_PIECE_DF), with every
    literal the source's and UNIQUE_SHORT_TOKENS tokens."""
    if found.consistency < SHORT_RENAMED_CONSISTENCY:
        return False
    if found.literals_agreeing >= SHORT_RENAMED_LITERALS and tokens >= short_min and (
            alone_min is None or tokens >= alone_min or found.literals == found.literals_agreeing):
        return True
    return min_df <= RENAMED_PIECE_DF and 1 <= found.literals == found.literals_agreeing and tokens >= UNIQUE_SHORT_TOKENS


def _merge_overlaps(spans: list[tuple[SpanHit, str]]) -> list[tuple[SpanHit, str]]:
    """One span per overlapping group of one work: the union of their ranges. Its kind is that
    of the most literal channel (exact, then words) when literal spans cover LITERAL_KIND_SHARE
    of it (a span carried over breaks counts by the tokens it shares), else renamed: a renamed
    copy keeps literal pieces (strings, calls of library functions, names left as they were),
    which do not make it a literal copy."""
    out: list[tuple[SpanHit, str, list[tuple[int, int]]]] = []
    for span, channel in sorted(spans, key=lambda x: (x[0].work, x[0].q_start, -x[0].q_end)):
        literal = [] if channel == "renamed" else [(span.q_start, span.q_end)] if span.shared is None else [
            (span.q_start, span.q_start + (span.q_end - span.q_start) * span.shared // max(span.tokens, 1))]
        if out and out[-1][0].work == span.work and span.q_start < out[-1][0].q_end:
            prev, prev_channel, prev_literal = out[-1]
            if (channel == "words") == (prev_channel == "words"):  # one token stream: the union
                tok = (prev.q_token_start, max(prev.q_token_end, span.q_token_end))
            else:  # two streams (words, code tokens): the larger count
                tok = max((prev.q_token_start, prev.q_token_end), (span.q_token_start, span.q_token_end),
                          key=lambda t: t[1] - t[0])
            if _same_place(prev, span):
                s_range = min(prev.s_start, span.s_start), max(prev.s_end, span.s_end)
            else:  # one passage the source has twice, each span at another: the more literal one's
                best = min((prev, prev_channel), (span, channel),
                           key=lambda x: (_CHANNEL_ORDER[x[1]], x[0].q_start - x[0].q_end))[0]
                s_range = best.s_start, best.s_end
            merged = dataclasses.replace(
                prev, q_token_start=tok[0], q_token_end=tok[1], q_end=max(prev.q_end, span.q_end), s_start=s_range[0],
                s_end=s_range[1], fingerprints=prev.fingerprints + span.fingerprints,
                weight=prev.weight + span.weight, min_df=min(prev.min_df, span.min_df))
            out[-1] = (merged, min(prev_channel, channel, key=_CHANNEL_ORDER.__getitem__), prev_literal + literal)
        else:
            out.append((span, channel, literal))
    return [(span, channel if _union_length(literal) >= LITERAL_KIND_SHARE * (span.q_end - span.q_start) else "renamed")
            for span, channel, literal in out]


def _without_nested_twins(matches: list[Match]) -> list[Match]:
    """The matches without those that lie inside a longer match of another work of the same file
    name (a build variant, a vendored copy): the longer one already names the copy, and the
    shorter adds a source the input does not need. Found where one copy is traced twice (a
    Markdown answer's text and its fenced code block) or edits break it into pieces that a
    variant explains as well. Seed 42, 7,670 files: precision 0.981 -> 0.988 (underscore's
    `amd` beside `cjs`, moment's `dist/locale` beside `locale`, lit-html's `development` beside
    `node/development`), source F1 0.967 -> 0.971; seed 1234: precision 0.986 -> 0.996; no
    change at 1,500 files (seeds 42 and 777); recall and negatives unchanged on all four."""
    name = {m.work_id: m.source.rsplit("/", 1)[-1] for m in matches}
    return [m for m in matches
            if not any(other.work_id != m.work_id and name[other.work_id] == name[m.work_id]
                       and other.input_start <= m.input_start and other.input_end >= m.input_end
                       and other.input_end - other.input_start > m.input_end - m.input_start
                       for other in matches)]


def _same_place(a: SpanHit, b: SpanHit) -> bool:
    """Whether two spans of one work that overlap in the input copy one place of the source: the
    source moves between their starts about as far as the input does (reformatting changes
    widths, hence the slack), rather than the input matching two copies of a passage."""
    shift = (b.s_start - a.s_start) - (b.q_start - a.q_start)
    return abs(shift) <= max(SAME_PLACE_CHARS, (max(a.q_end, b.q_end) - min(a.q_start, b.q_start)) // 2)


def _line(starts: np.ndarray, offset: int) -> int:
    return int(np.searchsorted(starts, offset, "right"))


def _credit(work: Work) -> str:
    title = work.title or work.path.rsplit("/", 1)[-1]
    return credit_line(title, work.author, work.source_url or work.path, work.license, None)


class ObligationCache:
    """Obligations per license expression, computed once per run; an expression SPDX cannot
    parse has none (it is reported as it is, and a policy treats it as unknown)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Obligations, ...]] = {}

    def __call__(self, expression: str | None) -> tuple[Obligations, ...]:
        if not expression:
            return ()
        if expression not in self._cache:
            try:
                self._cache[expression] = api.explain(expression)
            except ExpressionError:
                self._cache[expression] = ()
        return self._cache[expression]


def _match(cat: Catalog, span: SpanHit, kind: str, text_lines: np.ndarray, text_len: int,
           obligations: ObligationCache) -> Match:
    work = cat.work(span.work)
    return Match(
        source=work.path, root=work.root, work_id=work.id,
        input_start=span.q_start, input_end=span.q_end,
        input_start_line=_line(text_lines, span.q_start), input_end_line=_line(text_lines, max(span.q_end - 1, 0)),
        source_start=span.s_start, source_end=span.s_end,
        source_start_line=cat.line_of(work.id, span.s_start),
        source_end_line=cat.line_of(work.id, max(span.s_end - 1, span.s_start)),
        kind=kind, tokens=span.q_token_end - span.q_token_start,
        share=round((span.q_end - span.q_start) / max(text_len, 1), 4),
        license=work.license, obligations=obligations(work.license), credit_line=_credit(work),
    )


_FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                    re.MULTILINE | re.DOTALL)
FENCE_LANGUAGES = {
    "py": "python", "python": "python", "python3": "python", "js": "javascript", "javascript": "javascript",
    "jsx": "javascript", "mjs": "javascript", "ts": "typescript", "typescript": "typescript", "tsx": "tsx",
    "java": "java", "c": "c", "h": "c", "cpp": "cpp", "c++": "cpp", "cc": "cpp", "cs": "csharp",
    "csharp": "csharp", "c#": "csharp", "go": "go", "golang": "go", "rust": "rust", "rs": "rust",
    "ruby": "ruby", "rb": "ruby", "php": "php", "sh": "bash", "bash": "bash", "shell": "bash", "zsh": "bash",
}  # fmt: skip


def code_blocks(text: str) -> list[tuple[int, str, str]]:
    """Fenced code blocks of a Markdown text: (char offset of the body, language, body)."""
    out = []
    for m in _FENCE.finditer(text):
        lang = FENCE_LANGUAGES.get(m.group("lang").lower())
        if lang and m.group("body").strip():
            out.append((m.start("body"), lang, m.group("body")))
    return out


def _ranked_matches(cat: Catalog, text: str, tokens: TokenStream, text_lines: np.ndarray, offset: int,
                    min_tokens: int, max_df: int, obligations: ObligationCache,
                    sources: SourceTokens | None = None, code_starts: np.ndarray | None = None) -> list[Match]:
    words = prose_tokens(text) if tokens.kind == "code" else tokens
    lines = prose = None
    if sources is not None:
        lines = line_starts(text)
        prose = np.ones(len(lines), dtype=bool)  # lines that may be read past (SKIP_LINES, SKIP_CODE_TOKENS)
        code_starts = tokens.starts if tokens.kind == "code" else code_starts
        if code_starts is not None and len(code_starts):
            per_line = np.bincount(np.searchsorted(lines, code_starts, "right") - 1, minlength=len(lines))
            prose = per_line <= SKIP_CODE_TOKENS
    found = _spans(cat, words, tokens, min_tokens, max_df, sources, lines, prose, text)
    if not found:
        return []
    streams = [(tokens.starts, tokens.ends)] + ([(words.starts, words.ends)] if words is not tokens else [])
    units = char_units(len(text), *streams)
    if sources is not None:
        found = _one_of_twins(found, text, sources)
    chosen = rank_sources([s for s, _ in found], min_new_tokens=min_tokens, space="chars", units=units)
    keep = {ev.work for ev in chosen}
    merged = _merge_overlaps([(s, ch) for s, ch in found if s.work in keep])
    text_len = int(text_lines[-1]) if len(text_lines) else 0
    return [
        _match(cat, dataclasses.replace(s, q_start=s.q_start + offset, q_end=s.q_end + offset),
               "renamed" if ch == "renamed" else "exact", text_lines, text_len, obligations)
        for s, ch in merged
    ]


def _contained_merged(spans: list[tuple[SpanHit, str]], evidence: dict[int, RenamingEvidence]) -> list[tuple[SpanHit, str]]:
    """Renamed ``spans`` with each span that lies within another of its work (two pieces of one
    copy, each grown to the whole of it) merged into that one: its fingerprints' weight adds up,
    but its tokens that are literally the source's (RenamingEvidence.same, which _extended adds
    to each span's weight) were counted for the container already and are not counted again.
    Seed 42, 7,670 files: `side-channel-map`'s test was credited to `side-channel`'s, whose two
    pieces each counted the copy's literal tokens (renamed recall 0.904 -> 0.913); no other
    change on three draws. Dropping contained spans instead, in every channel, lost the pieces'
    own fingerprints and two Debian/docutils twins at 1,500 files."""
    kept: list[tuple[SpanHit, str]] = []
    container: dict[int, int] = {}  # work -> index in kept of its span reaching furthest
    for span, channel in sorted(spans, key=lambda x: (x[0].q_start, -x[0].q_end, -x[0].weight)):
        at = container.get(span.work)
        if at is not None and kept[at][0].q_end >= span.q_end:
            host = kept[at][0]
            extra = span.weight - (evidence[id(span)].same if id(span) in evidence else 0)
            kept[at] = (dataclasses.replace(host, weight=host.weight + max(extra, 0.0)), kept[at][1])
            if id(host) in evidence:
                evidence[id(kept[at][0])] = evidence[id(host)]
            continue
        if at is None or span.q_end > kept[at][0].q_end:
            container[span.work] = len(kept)
        kept.append((span, channel))
    return kept


def _lines_of(text: str, start: int, end: int) -> str:
    """``text[start:end]`` (at most TWIN_COMPARE_CHARS of it) with the rest of its first and last
    lines and TWIN_CONTEXT_LINES lines more on each side (at most TWIN_COMPARE_CHARS // 2 chars)."""
    lo = hi = -1
    for i in range(TWIN_CONTEXT_LINES + 1):
        lo = text.rfind("\n", 0, start if i == 0 else max(lo - 1, 0)) + 1
        at = text.find("\n", end if i == 0 else hi + 1)
        hi = len(text) if at < 0 else at
    lo, hi = max(lo, start - TWIN_COMPARE_CHARS // 2), min(hi, end + TWIN_COMPARE_CHARS // 2)
    return text[lo:start] + text[start:end][:TWIN_COMPARE_CHARS] + text[end:hi]


def _word_pairs(text: str) -> set[tuple[str, str]]:
    words = text.casefold().split()
    return set(zip(words, words[1:], strict=False))


def _one_of_twins(found: list[tuple[SpanHit, str]], text: str, sources: SourceTokens) -> list[tuple[SpanHit, str]]:
    """``found`` with one work kept of each set of twins, works whose spans cover the same input
    ranges (only one of them could be ranked). The one kept has the largest share of the
    input's pairs of adjacent words (split at white space, punctuation kept, case folded) in its
    characters there (in thousandths; both sides read over whole lines and TWIN_CONTEXT_LINES
    around, :func:`_lines_of`); then it is one whose text the spans cover at least
    1 / TWIN_SHARE_RATIO as much of as of the twin they cover most of (works of about one size,
    build variants, stay tied here); then it has the larger total weight; then the smaller id.
    No text is read for a work without a twin."""
    by_work: dict[int, list[SpanHit]] = {}
    for span, _ in found:
        by_work.setdefault(span.work, []).append(span)
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for work, group in by_work.items():
        groups.setdefault(tuple(sorted((s.q_start, s.q_end) for s in group)), []).append(work)
    dropped: set[int] = set()
    for works in groups.values():
        if len(works) < 2:
            continue
        likeness: dict[int, int] = {}
        share: dict[int, float] = {}
        pairs: dict[tuple[int, int], set[tuple[str, str]]] = {}  # the input's, per range: the twins share them
        for work in works:
            source = sources.text(work)
            held = total = covered = 0
            for s in by_work[work]:
                if (s.q_start, s.q_end) not in pairs:
                    pairs[s.q_start, s.q_end] = _word_pairs(_lines_of(text, s.q_start, s.q_end))
                ours = pairs[s.q_start, s.q_end]
                if source:
                    held += len(ours & _word_pairs(_lines_of(source, s.s_start, s.s_end)))
                total += len(ours)
                covered += s.s_end - s.s_start
            likeness[work] = round(1000 * held / max(total, 1))
            share[work] = covered / max(len(source or ""), 1)
        most = max(share.values())
        best = min(works, key=lambda w: (-likeness[w], share[w] * TWIN_SHARE_RATIO < most,
                                         -math.fsum(s.weight for s in by_work[w]), w))
        dropped.update(w for w in works if w != best)
    return [(s, c) for s, c in found if s.work not in dropped] if dropped else found


def _overlaps(m: Match, kept: list[Match]) -> bool:
    for k in kept:
        if k.work_id == m.work_id:
            inter = min(k.input_end, m.input_end) - max(k.input_start, m.input_start)
            if inter > 0.5 * (m.input_end - m.input_start):
                return True
    return False


def _covered(text: str, matches: list[Match]) -> float:
    if not text:
        return 0.0
    mask = np.zeros(len(text), dtype=bool)
    for m in matches:
        mask[m.input_start : m.input_end] = True
    return round(float(mask.mean()), 4)


def _apply_policy(result: TraceResult, policy: Policy) -> TraceResult:
    """Each match with the policy's decision, and the input's violations."""
    matches = tuple(dataclasses.replace(m, decision=check(policy, m.license, m.obligations)) for m in result.matches)
    violations = tuple(
        Violation(source=m.source, license=m.license, reasons=m.decision.reasons, input_start=m.input_start,
                  input_end=m.input_end, input_start_line=m.input_start_line, input_end_line=m.input_end_line)
        for m in matches if m.decision is not None and not m.decision.allowed
    )
    return dataclasses.replace(result, matches=matches, violations=violations)


def trace_document(cat: Catalog, doc: Document, *, min_tokens: int = MIN_TOKENS, max_df: int = MAX_DF,
                   obligations: ObligationCache | None = None, policy: Policy | None = None,
                   keep_text: bool = False, sources: SourceTokens | None = None) -> TraceResult:
    """Trace one text; for prose, fenced code blocks are also traced as code, so code pasted
    into an answer is found with renamed identifiers too. ``covered`` is the share of the
    text's characters inside a match."""
    obligations = obligations or ObligationCache()
    sources = sources or SourceTokens(cat)
    tokens = tokenize(doc.text, doc.path if doc.path != "-" else None, fragment=True)
    lines = np.append(line_starts(doc.text), len(doc.text))  # last entry: the text length
    blocks = [(start, body, code_tokens(body, lang, fragment=True))
              for start, lang, body in code_blocks(doc.text)] if tokens.kind == "prose" else []
    code_starts = np.concatenate([block.starts + start for start, _, block in blocks]) if blocks else None
    matches = _ranked_matches(cat, doc.text, tokens, lines, 0, min_tokens, max_df, obligations, sources, code_starts)
    if blocks:
        for start, body, block in blocks:
            for m in _ranked_matches(cat, body, block, lines, start, min_tokens, max_df, obligations, sources):
                if not _overlaps(m, matches):
                    matches.append(m)
    matches = _without_nested_twins(matches)
    matches.sort(key=lambda m: (m.input_start, m.source))
    if keep_text:
        matches = [dataclasses.replace(m, source_text=sources.excerpt(m.work_id, m.source_start, m.source_end))
                   for m in matches]
    result = TraceResult(path=doc.path, tokens=len(tokens), matches=tuple(matches),
                         covered=_covered(doc.text, matches), text=doc.text if keep_text else None)
    return _apply_policy(result, policy) if policy is not None else result


def trace(inputs: Sequence[str], *, catalog: str | None = None, min_tokens: int = MIN_TOKENS,
          max_df: int = MAX_DF, stdin: BinaryIO | None = None, policy: Policy | None = None,
          keep_text: bool = False) -> TraceReport:
    """Trace each input (file path, or ``-`` for stdin) against the catalog.

    With ``policy``, every match carries the policy's ``decision`` and each input lists its
    ``violations`` (``report.violated`` tells whether there are any). ``keep_text`` keeps each
    input's text on its result (for reports that show it, such as HTML)."""
    cat = open_for_reading(catalog, lookup=True)
    obligations = ObligationCache()
    sources = SourceTokens(cat)
    results: list[TraceResult] = []
    skipped: list[Skipped] = []
    try:
        for path in inputs:
            for item in iter_documents([path], stdin=stdin):
                if isinstance(item, Skipped):
                    skipped.append(item)
                    continue
                shown = path if path == "-" or os.path.isfile(path) else os.path.join(path, item.path)
                doc = Document(path=shown, text=item.text, size=item.size, sha1=item.sha1)
                results.append(trace_document(cat, doc, min_tokens=min_tokens, max_df=max_df,
                                              obligations=obligations, policy=policy, keep_text=keep_text,
                                              sources=sources))
    finally:
        cat.close()
    return TraceReport(catalog=catalog_path(catalog), inputs=tuple(results), skipped=tuple(skipped),
                       policy=policy.name if policy is not None else None)
