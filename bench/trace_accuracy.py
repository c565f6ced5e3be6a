#!/usr/bin/env python3
"""Accuracy of ``creditline trace``: does it name the catalogued works an output copies, and where?

What it measures
    A catalog is built from a real corpus found on this machine (nothing downloaded):
      stdlib    Python standard-library sources (*.py, tests excluded) of this interpreter;
      npm       *.js files (< 200 KB, no *.min.js) and LICENSE files of the pinned npm packages in
                bench/.work/accuracy-npm/node_modules (left out, with a note, if missing);
      licenses  /usr/share/common-licenses/*;
      debian    /usr/share/doc/*/copyright;
      docs      *.txt / *.md / *.rst and dist-info LICENSE files under the site-packages of
                bench/.work/accuracy-venv (pinned packages, made by bench/scan_accuracy.py), or of
                .venv when that is missing.
    Files are de-duplicated by content and sampled with random.Random(42) (``--corpus-files``),
    staged as symlinks ``bench/.work/trace-corpus/<pool>/<relpath>`` and indexed in place into
    ``bench/.work/trace-catalog`` (reused on later runs unless ``--rebuild`` or the corpus changed).

    Cases (``--cases`` outputs plus ``--negatives``), seeded too, written to
    bench/.work/trace-cases/: generated filler prose (a fixed word list, so it copies nothing)
    around 1-3 spans of 40-400 tokens from 1-3 catalogued works, each case with one edit type:
      verbatim       the span as it is;
      reformat       code: comment lines dropped/added, inner spacing collapsed, blank lines and
                     (JS) indentation changed; prose: re-wrapped at another width and re-cased;
      renamed        code only: every lowercase name (regex \\b[a-z_][a-z0-9_]*\\b) that is not a
                     keyword/builtin renamed consistently, outside comments and string literals;
      insert_delete  1-3 foreign lines inserted and 1-3 lines deleted inside the span;
      word_edits     prose only: 3-5% of the words replaced by random words.
    Code spans are whole lines; they go into a bare .py/.js output (filler as comments) or into a
    Markdown fence in a .md output; prose spans into .md/.txt outputs.  Negatives are filler plus
    a span of a corpus file that was NOT catalogued and shares no run of 20 words, nor of 20
    code tokens (words and punctuation, case kept), with the catalog: held-out Debian copyright
    files often quote catalogued license texts, and held-out files of one npm package share
    generated template code with catalogued ones; that is reuse, not a negative.

    A span whose text (lower-cased words) also occurs in other catalogued works counts any of
    them as the right source ("aliases"). Spans found verbatim in more than 5 works, and spans
    whose 20-word runs or 20-code-token runs are mostly found in more than 5 works (a license
    text with one unique copyright line, a license header above two lines of code, a module
    loader wrapper generated around every file of a package), are boilerplate the tool ignores
    by design (--max-df) and are re-drawn.

Scores
    source level   per output the predicted sources (set of match sources) against the true set:
                   TP/FP/FN, precision, recall, F1, overall and per edit type;
    char-span F1   per output and true source: characters of the true spans (inserted foreign
                   lines excluded) against characters of matches naming that source, micro F1
                   over all characters ("all": spans of missed sources count as FN; "found": only
                   sources that were found);
    negatives      share of negative outputs with any match.
    A false positive whose matched words really occur in the named source is labelled
    ``justified`` in the misses file (real reuse the generator did not intend, e.g. shared code).

How to rerun
    .venv/bin/python bench/trace_accuracy.py                 # defaults: 1500 files, 300+60 cases
    .venv/bin/python bench/trace_accuracy.py --rebuild       # force re-indexing
    .venv/bin/python bench/trace_accuracy.py --corpus-files 600 --cases 100 --negatives 20
    .venv/bin/python bench/trace_accuracy.py --corpus-files 7670   # make bench-trace-scale
    Writes bench/results/trace_accuracy.json and bench/results/trace_accuracy_misses.jsonl; with
    --corpus-files N other than 1500, trace_accuracy_N.json and its misses, from a catalog, corpus
    and cases of its own under bench/.work (trace-catalog-N ...). 7,670 files is the size of the
    held-out evaluation's catalog: the scale at which shared idioms and build variants of one
    package (dist/cjs, dist/esm, src-noconflict) test precision and the renamed channel.
"""

from __future__ import annotations

import argparse
import builtins
import datetime as dt
import hashlib
import json
import keyword
import os
import platform
import random
import re
import shutil
import sys
import sysconfig
import textwrap
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from creditline import __version__ as CREDITLINE_VERSION  # noqa: E402
from creditline import catalog_api, trace_api  # noqa: E402
from creditline.store import FingerprintParams  # noqa: E402

WORK = ROOT / "bench" / ".work"
STAGE = WORK / "trace-corpus"
CATALOG = WORK / "trace-catalog"
CASES = WORK / "trace-cases"
RESULTS = ROOT / "bench" / "results"
NPM = WORK / "accuracy-npm" / "node_modules"
EDIT_TYPES = ("verbatim", "reformat", "renamed", "insert_delete", "word_edits")
GOALS = {"source_f1": 0.97, "char_f1": 0.95, "precision": 0.98, "recall_verbatim": 0.99,
         "recall_edited": 0.95, "negatives_flagged": 0.02}
MAX_ALIASES = 5

WORDS = """time person year way day thing man world life hand part child eye woman place work week case
point government company number group problem fact be have do say get make go know take see come think
look want give use find tell ask seem feel try leave call good new first last long great little own other
old right big high different small large next early young important few public bad same able river garden
window market letter answer morning evening winter summer bridge mountain kitchen picture station village
island forest music paper story reason table water color animal friend mother father doctor teacher orange
quiet gentle careful bright simple heavy yellow purple silver ancient modern distant narrow shallow steady
walk carry build paint listen travel wonder gather follow return borrow notice prepare arrive remember
always often rarely perhaps almost quite nearly soon later together outside inside beneath across during
apple basket candle dinner engine feather guitar harbor jacket ladder meadow needle ocean pencil rabbit
saddle tunnel valley wagon anchor blanket cabin desert falcon glacier hammer insect jungle kettle lantern
marble nectar orchard pebble quilt ribbon shadow thunder velvet whistle""".split()

_HELD_OUT_SHARE = 0.15


# --- corpus -------------------------------------------------------------------------------------

def _pool_files() -> dict[str, list[tuple[str, Path]]]:
    """Candidate files per pool: (relative name inside the pool, real path), sorted."""
    pools: dict[str, list[tuple[str, Path]]] = {}
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for p in sorted(stdlib.rglob("*.py")):
        rel = p.relative_to(stdlib)
        parts = set(rel.parts[:-1])
        if parts & {"test", "tests", "idle_test", "site-packages", "__pycache__", "lib2to3"} or \
                rel.name.startswith("test_"):
            continue
        out.append((str(rel), p))
    pools["stdlib"] = out
    out = []
    if NPM.is_dir():
        for p in sorted(NPM.rglob("*")):
            if not p.is_file():
                continue
            name = p.name.lower()
            if (name.endswith(".js") and not name.endswith(".min.js") and p.stat().st_size < 200_000) or \
                    name.startswith(("license", "licence")):
                out.append((str(p.relative_to(NPM)), p))
    pools["npm"] = out
    cl = Path("/usr/share/common-licenses")
    pools["licenses"] = [(p.name, p) for p in sorted(cl.iterdir()) if p.is_file()] if cl.is_dir() else []
    doc = Path("/usr/share/doc")
    pools["debian"] = [(f"{p.parent.name}/copyright", p) for p in sorted(doc.glob("*/copyright")) if p.is_file()]
    # The pinned packages of the scan benchmark (bench/accuracy/requirements.txt), so the corpus
    # does not change when the project's own dependencies do; the project venv otherwise.
    pinned = sorted((WORK / "accuracy-venv").glob("lib/python*/site-packages"))
    site = pinned[0] if pinned else \
        Path(sysconfig.get_paths(vars={"base": str(ROOT / ".venv"), "platbase": str(ROOT / ".venv")})["purelib"])
    out = []
    if site.is_dir():
        for p in sorted(site.rglob("*")):
            if not p.is_file():
                continue
            name = p.name.lower()
            if p.suffix.lower() in (".txt", ".md", ".rst") or \
                    (".dist-info" in str(p.parent) and name.startswith(("license", "licence", "copying"))):
                out.append((str(p.relative_to(site)), p))
    pools["docs"] = out
    return pools


def _read(p: Path) -> str | None:
    try:
        data = p.read_bytes()
        if b"\0" in data[:4096]:
            return None
        return data.decode("utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return None


def select_corpus(n_files: int, rng: random.Random) -> tuple[list[dict], list[dict], list[str]]:
    """(catalogued files, held-out files, notes); each file {pool, rel, real, text, code}."""
    pools = _pool_files()
    notes = []
    if not pools["npm"]:
        notes.append(f"npm pool missing ({NPM}); run bench/scan_accuracy.py once to install it")
    seen: set[str] = set()
    cands: dict[str, list[dict]] = {}
    for pool, files in pools.items():
        lst = []
        for rel, real in files:
            text = _read(real)
            if text is None or len(text.split()) < 30:
                continue
            h = hashlib.sha1(text.encode()).hexdigest()
            if h in seen:
                continue
            seen.add(h)
            code = rel.endswith((".py", ".js"))
            lst.append({"pool": pool, "rel": f"{pool}/{rel}", "real": str(real), "text": text, "code": code})
        rng.shuffle(lst)
        cands[pool] = lst
    # target shares of the catalogue; small pools are taken whole (minus a held-out share)
    shares = {"stdlib": 0.40, "npm": 0.30, "licenses": 0.02, "debian": 0.20, "docs": 0.08}
    if not cands["npm"]:
        shares["stdlib"] += shares.pop("npm")
    catalog, held, spare = [], [], []
    budget = n_files
    for pool in sorted(shares, key=lambda p: len(cands[p])):
        lst = cands[pool]
        n_held = max(1, int(len(lst) * _HELD_OUT_SHARE)) if pool != "licenses" else 0
        held += lst[:n_held]
        avail = lst[n_held:]
        k = min(round(n_files * shares[pool]), budget)
        catalog += avail[:k]
        spare += avail[k:]
        budget -= len(avail[:k])
    catalog += spare[:budget]  # small pools leave their share to the others
    catalog.sort(key=lambda c: c["rel"])
    return catalog, held, notes


def stage(catalog: list[dict]) -> str:
    """Symlinks STAGE/<pool>/<rel> -> real file; returns a digest of the staged list."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    for c in catalog:
        dst = STAGE / c["rel"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(c["real"], dst)
    return hashlib.sha1("\n".join(f"{c['rel']}\t{hashlib.sha1(c['text'].encode()).hexdigest()}"
                                  for c in catalog).encode()).hexdigest()


# What a catalog keeps besides fingerprints; a catalog built before this changed is rebuilt.
STORED = "lines+texts"


def build_catalog(catalog: list[dict], rebuild: bool, jobs: int) -> dict:
    digest = f"{stage(catalog)} {sorted(FingerprintParams.current().to_dict().items())} {STORED}"  # new params: rebuild
    marker = CATALOG / "bench-corpus.sha1"
    if not rebuild and marker.exists() and marker.read_text().strip() == digest:
        return {"reused": True, "seconds": json.loads((CATALOG / "bench-build.json").read_text())["seconds"]}
    if CATALOG.exists():
        shutil.rmtree(CATALOG)
    t0 = time.perf_counter()
    rep = catalog_api.index([str(STAGE)], catalog=str(CATALOG), jobs=jobs)
    secs = round(time.perf_counter() - t0, 2)
    info = {"reused": False, "seconds": secs, "added": len(rep.added), "skipped": len(rep.skipped),
            "skipped_examples": [f"{s.path}: {s.reason}" for s in rep.skipped[:10]]}
    (CATALOG / "bench-build.json").write_text(json.dumps(info))
    marker.write_text(digest)
    return info


# --- text generation and edits ------------------------------------------------------------------

def filler_sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + "."


def filler_paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    return textwrap.fill(" ".join(filler_sentence(rng) for _ in range(rng.randint(*sentences))), 78)


PY_KEEP = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | {"self", "cls"}
JS_KEEP = set("""break case catch class const continue debugger default delete do else export extends
false finally for function if import in instanceof new null return super switch this throw true try
typeof var void while with yield let static enum await implements package protected interface private
public undefined async of get set arguments require module exports console""".split())
NAME = re.compile(r"\b[a-z_][a-z0-9_]*\b")
_TOKEN = re.compile(r"\w+|[^\w\s]")


# Code outside comments and string literals: renaming touches identifiers, not the words of a
# comment, a docstring or a message (a model that renames variables keeps those as they are).
_PY_SKIP = re.compile(r"(?s)#[^\n]*|\"\"\".*?\"\"\"|'''.*?'''|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'")
_JS_SKIP = re.compile(r"(?s)//[^\n]*|/\*.*?\*/|`(?:\\.|[^`\\])*`|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'")


def rename(text: str, lang: str, rng: random.Random, whole: str | None = None) -> str:
    """Rename every identifier (lower-case name that is not a keyword or builtin) consistently,
    in code only: comments and string literals are left as they are. ``whole`` is the file the
    span was cut from: comments and strings are found there, so that a span starting inside a
    docstring is read right."""
    keep = PY_KEEP if lang == "py" else JS_KEEP
    skip = _PY_SKIP if lang == "py" else _JS_SKIP
    at = whole.find(text) if whole else -1
    if at >= 0:
        renamed, pos = [], at
        for m in skip.finditer(whole):
            if m.end() <= at or m.start() >= at + len(text):
                continue
            lo, hi = max(m.start(), at), min(m.end(), at + len(text))
            renamed.append(whole[pos:lo])
            renamed.append("\x00" + whole[lo:hi] + "\x01")
            pos = hi
        renamed.append(whole[pos:at + len(text)])
        text = "".join(renamed)
        skip = re.compile("(?s)\x00.*?\x01")
    mapping: dict[str, str] = {}
    used = set(NAME.findall(text))

    def sub(m: re.Match) -> str:
        name = m.group(0)
        if name in keep:
            return name
        if name not in mapping:
            while True:
                new = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}"
                if new not in used:
                    used.add(new)
                    mapping[name] = new
                    break
        return mapping[name]

    out, pos = [], 0
    for m in skip.finditer(text):
        out.append(NAME.sub(sub, text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(NAME.sub(sub, text[pos:]))
    return "".join(out).replace("\x00", "").replace("\x01", "")


def reformat_code(text: str, lang: str, rng: random.Random) -> str:
    cmt = "#" if lang == "py" else "//"
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(cmt) and rng.random() < 0.8:
            continue  # comment removed
        if not stripped:
            if rng.random() < 0.5:
                continue  # blank line removed
            out.append("")
            continue
        indent = line[: len(line) - len(line.lstrip())]
        body = re.sub(r"(?<=\S)[ \t]{2,}", " ", line.lstrip())  # collapse inner spacing
        body = re.sub(r",(?=\S)", ", ", body) if rng.random() < 0.5 else body
        if lang == "js":
            indent = indent.replace("  ", "    ") if rng.random() < 0.5 else indent.replace("    ", "  ")
        if rng.random() < 0.08:
            out.append(f"{indent}{cmt} {filler_sentence(rng).lower()}")  # comment added
        if rng.random() < 0.1:
            out.append("")
        out.append(indent + body + (" " if rng.random() < 0.1 else ""))
    return "\n".join(out)


def reformat_prose(text: str, rng: random.Random) -> str:
    flat = " ".join(text.split())
    mode = rng.choice(("lower", "upper_words", "title_some"))
    if mode == "lower":
        flat = flat.lower()
    elif mode == "upper_words":
        flat = " ".join(w.upper() if rng.random() < 0.15 else w for w in flat.split(" "))
    else:
        flat = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in flat.split(" "))
    return textwrap.fill(flat, rng.randint(45, 110))


def word_edits(text: str, rng: random.Random) -> str:
    parts = re.split(r"(\s+)", text)
    idx = [i for i, p in enumerate(parts) if p and not p.isspace()]
    n = max(1, round(len(idx) * rng.uniform(0.03, 0.05)))
    for i in rng.sample(idx, min(n, len(idx))):
        parts[i] = rng.choice(WORDS)
    return "".join(parts)


def foreign_line(kind: str, rng: random.Random) -> str:
    if kind == "py":
        return f"{rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.randint(0, 999)}"
    if kind == "js":
        return f"let {rng.choice(WORDS)}{rng.choice(WORDS).capitalize()} = {rng.randint(0, 999)};"
    return filler_sentence(rng)


def insert_delete(text: str, kind: str, rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    """Returns the edited text and the char ranges of inserted foreign lines in it."""
    lines = text.split("\n")
    if kind == "prose" and len(lines) < 8:
        lines = textwrap.wrap(" ".join(text.split()), 60)
    n_del = min(rng.randint(1, 3), max(1, len(lines) // 6))
    for _ in range(n_del):
        if len(lines) > 3:
            del lines[rng.randrange(1, len(lines) - 1)]
    tagged = [(ln, False) for ln in lines]
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(1, len(tagged)) if len(tagged) > 1 else 1
        indent = ""
        if kind != "prose":
            ref = tagged[min(pos, len(tagged) - 1)][0]
            indent = ref[: len(ref) - len(ref.lstrip())]
        tagged.insert(pos, (indent + foreign_line(kind, rng), True))
    out, foreign, off = [], [], 0
    for ln, is_foreign in tagged:
        if is_foreign:
            foreign.append((off, off + len(ln) + 1))
        out.append(ln)
        off += len(ln) + 1
    return "\n".join(out), foreign


# --- spans and cases ----------------------------------------------------------------------------

def _norm_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def take_span(work: dict, n_tokens: int, rng: random.Random) -> str | None:
    text = work["text"]
    if work["code"]:
        lines = text.split("\n")
        counts = [len(_TOKEN.findall(ln)) for ln in lines]
        if sum(counts) < 40:
            return None
        for _ in range(20):
            start = rng.randrange(len(lines))
            if not lines[start].strip():
                continue
            total, end = 0, start
            while end < len(lines) and total < n_tokens:
                total += counts[end]
                end += 1
            if total >= min(40, n_tokens) and end - start >= 3 and \
                    max(len(ln) for ln in lines[start:end]) <= 300:  # not minified
                return "\n".join(lines[start:end]).rstrip()
        return None
    words = list(re.finditer(r"\S+", text))
    if len(words) < 45:
        return None
    n = min(n_tokens, len(words) - 1)
    start = rng.randrange(0, len(words) - n + 1)
    return text[words[start].start(): words[start + n - 1].end()]


def lang_of(work: dict) -> str:
    return "py" if work["rel"].endswith(".py") else "js" if work["rel"].endswith(".js") else "prose"


class Aliases:
    """Which catalogued works contain a span's words (lower-cased, punctuation dropped), and how
    much of a span is boilerplate (runs of words found in many works)."""

    RUN = 20  # words (and code tokens) in a shared run

    def __init__(self, catalog: list[dict]):
        self.rels = [c["rel"] for c in catalog]
        self.texts = [_norm_words(c["text"]) for c in catalog]
        self._raw = [c["text"] for c in catalog]
        self._word_df: dict[int, int] | None = None
        self._token_df: dict[int, int] | None = None

    @staticmethod
    def _runs(items: list[str], n: int) -> set[int]:
        return {hash(" ".join(items[i:i + n])) for i in range(len(items) - n + 1)}

    def _words(self) -> dict[int, int]:
        if self._word_df is None:
            df: dict[int, int] = defaultdict(int)
            for t in self.texts:
                for h in self._runs(t.split(), self.RUN):
                    df[h] += 1
            self._word_df = df
        return self._word_df

    def shares_run(self, text: str) -> bool:
        """Whether ``text`` shares a run of 20 words, or of 20 code tokens (words and
        punctuation, case kept), with any catalogued work: the shortest copy the tool promises
        to find, in either unit."""
        words, tokens = self._words(), self._tokens()
        if any(h in words for h in self._runs(_norm_words(text).split(), self.RUN)):
            return True
        return any(h in tokens for h in self._runs(_TOKEN.findall(text), self.RUN))

    def _tokens(self) -> dict[int, int]:
        if self._token_df is None:
            df: dict[int, int] = defaultdict(int)
            for raw in self._raw:
                for h in self._runs(_TOKEN.findall(raw), self.RUN):
                    df[h] += 1
            self._token_df = df
        return self._token_df

    def boilerplate_share(self, span: str) -> float:
        """Share of the span's 20-word runs, or of its 20-code-token runs (the larger), found in
        more than MAX_ALIASES catalogued works."""
        shares = []
        for runs, df in ((self._runs(_norm_words(span).split(), self.RUN), self._words()),
                         (self._runs(_TOKEN.findall(span), self.RUN), self._tokens())):
            if runs:
                shares.append(sum(df.get(h, 0) > MAX_ALIASES for h in runs) / len(runs))
        return max(shares, default=0.0)

    def of(self, span: str) -> list[str]:
        key = _norm_words(span)
        return [r for r, t in zip(self.rels, self.texts) if key in t]


def make_cases(n_cases: int, n_neg: int, catalog: list[dict], held: list[dict], aliases: Aliases,
               rng: random.Random) -> list[dict]:
    if CASES.exists():
        shutil.rmtree(CASES)
    CASES.mkdir(parents=True)
    code_works = [c for c in catalog if c["code"]]
    prose_works = [c for c in catalog if not c["code"]]
    cases = []
    for i in range(n_cases):
        etype = EDIT_TYPES[i % len(EDIT_TYPES)]
        pool = code_works if etype == "renamed" else prose_works if etype == "word_edits" else \
            (code_works if rng.random() < 0.5 else prose_works)
        n_works = rng.choice((1, 1, 2, 3))
        spans = []
        used = set()
        tries = 0
        while len(spans) < n_works and tries < 200:
            tries += 1
            w = rng.choice(pool if rng.random() < 0.8 or etype in ("renamed", "word_edits") else catalog)
            if w["rel"] in used:
                continue
            span = take_span(w, rng.randint(40, 400), rng)
            if span is None:
                continue
            al = aliases.of(span)
            if len(al) > MAX_ALIASES or w["rel"] not in al or aliases.boilerplate_share(span) > 0.5:
                continue
            used.add(w["rel"])
            spans.append({"source": w["rel"], "aliases": al, "lang": lang_of(w), "orig": span, "whole": w["text"]})
        langs = {s["lang"] for s in spans}
        bare = len(langs) == 1 and langs != {"prose"} and rng.random() < 0.4
        ext = ("." + next(iter(langs))) if bare else (".txt" if langs == {"prose"} and rng.random() < 0.3 else ".md")
        cmt = {".py": "# ", ".js": "// "}.get(ext)
        pieces: list[str] = []

        def add_filler() -> None:
            para = filler_paragraph(rng)
            pieces.append("\n".join(cmt + ln for ln in para.split("\n")) if cmt else para)

        add_filler()
        truth = []
        for s in spans:
            kind = s["lang"]
            text = s["orig"]
            foreign: list[tuple[int, int]] = []
            if etype == "reformat":
                text = reformat_prose(text, rng) if kind == "prose" else reformat_code(text, kind, rng)
            elif etype == "renamed":
                text = rename(text, kind, rng, s["whole"])
            elif etype == "insert_delete":
                text, foreign = insert_delete(text, kind, rng)
            elif etype == "word_edits":
                text = word_edits(text, rng)
            fenced = kind != "prose" and not bare
            prefix = f"```{'python' if kind == 'py' else 'js'}\n" if fenced else ""
            suffix = "\n```" if fenced else ""
            start = sum(len(p) + 2 for p in pieces) + len(prefix)
            pieces.append(prefix + text + suffix)
            # true characters: the span minus inserted foreign lines, trimmed of whitespace
            lead = len(text) - len(text.lstrip())
            ranges = [(start + lead, start + len(text.rstrip()))]
            for a, b in foreign:
                ranges = [r for lo, hi in ranges for r in ((lo, min(hi, start + a)), (max(lo, start + b), hi))
                          if r[1] > r[0]]
            truth.append({"source": s["source"], "aliases": s["aliases"], "ranges": ranges, "lang": kind})
            if rng.random() < 0.7:
                add_filler()
        if not cmt or rng.random() < 0.5:
            add_filler()
        path = CASES / f"case-{i:04d}{ext}"
        path.write_text("\n\n".join(pieces) + "\n")
        cases.append({"id": path.name, "path": str(path), "edit": etype, "ext": ext, "truth": truth})
    for i in range(n_neg):
        pieces = [filler_paragraph(rng)]
        for _ in range(200):  # a negative must share no 20-word run with the catalog
            w = rng.choice(held)
            span = take_span(w, rng.randint(60, 500), rng)
            if span and not aliases.shares_run(span):
                break
        lang = lang_of(w)
        ext = ".md" if lang == "prose" or rng.random() < 0.5 else "." + lang
        if lang != "prose" and ext == ".md":
            span = f"```{'python' if lang == 'py' else 'js'}\n{span}\n```"
        if ext in (".py", ".js"):
            c = "# " if ext == ".py" else "// "
            pieces = ["\n".join(c + ln for ln in pieces[0].split("\n"))]
        pieces.append(span)
        path = CASES / f"neg-{i:04d}{ext}"
        path.write_text("\n\n".join(pieces) + "\n")
        cases.append({"id": path.name, "path": str(path), "edit": "negative", "ext": ext, "truth": [],
                      "held_out": w["rel"]})
    return cases


# --- scoring ------------------------------------------------------------------------------------

def _chars(ranges) -> set[int]:
    out: set[int] = set()
    for a, b in ranges:
        out.update(range(a, b))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score(cases: list[dict], report, texts: dict[str, str]) -> tuple[dict, list[dict]]:
    by_path = {r.path: r for r in report.inputs}
    src_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    char_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    char_found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    lenient: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    neg_flagged = neg_total = neg_unjustified = 0
    misses = []
    for case in cases:
        res = by_path.get(case["path"])
        matches = list(res.matches) if res else []
        text = Path(case["path"]).read_text()
        if case["edit"] == "negative":
            neg_total += 1
            if matches:
                neg_flagged += 1
                desc = [_mdesc(m, text, texts) for m in matches]
                neg_unjustified += not all(d["justified"] for d in desc)
                misses.append({"case": case["id"], "type": "negative_flagged", "held_out": case["held_out"],
                               "matches": desc})
            continue
        pred = {m.source for m in matches}
        groups: dict[str, dict] = {}
        for t in case["truth"]:
            g = groups.setdefault(t["source"], {"aliases": set(), "ranges": []})
            g["aliases"].update(t["aliases"])
            g["ranges"] += t["ranges"]
        claimed: set[str] = set()
        tp = fn = 0
        for src, g in groups.items():
            hit = pred & g["aliases"]
            true_chars = _chars(g["ranges"])
            pred_chars = _chars((m.input_start, m.input_end) for m in matches if m.source in g["aliases"])
            inter = len(true_chars & pred_chars)
            c = (inter, len(pred_chars) - inter, len(true_chars) - inter)
            for k in ("all", case["edit"]):
                char_counts[k] = [a + b for a, b in zip(char_counts[k], c)]
                if hit:
                    char_found[k] = [a + b for a, b in zip(char_found[k], c)]
            if hit:
                tp += 1
                claimed |= hit
            else:
                fn += 1
                misses.append({"case": case["id"], "type": "missed_source", "edit": case["edit"], "source": src,
                               "aliases": sorted(g["aliases"]), "span_chars": len(true_chars),
                               "predicted": sorted(pred)})
            if hit and c[0] < 0.9 * len(true_chars):
                misses.append({"case": case["id"], "type": "short_span", "edit": case["edit"], "source": src,
                               "true_chars": len(true_chars), "matched_chars": c[0], "extra_chars": c[1]})
        fp_srcs = pred - claimed - set().union(*(g["aliases"] for g in groups.values()))
        unjustified: set[str] = set()
        for m in matches:
            if m.source in fp_srcs:
                d = _mdesc(m, text, texts)
                if not d["justified"]:
                    unjustified.add(m.source)
                misses.append({"case": case["id"], "type": "false_source", "edit": case["edit"],
                               "truth": sorted(groups), **d})
        counts = (tp, len(fp_srcs), fn)
        for k in ("all", case["edit"], f"lang:{'+'.join(sorted({t['lang'] for t in case['truth']}))}",
                  f"ext:{case['ext']}"):
            src_counts[k] = [a + b for a, b in zip(src_counts[k], counts)]
            if ":" not in k:
                lenient[k] = [a + b for a, b in zip(lenient[k], (tp, len(unjustified), fn))]
    metrics = {k: _prf(*v) for k, v in src_counts.items()}
    chars = {k: _prf(*v) for k, v in char_counts.items()}
    chars_found = {k: _prf(*v) for k, v in char_found.items()}
    return {"source": metrics, "source_lenient": {k: _prf(*v) for k, v in lenient.items()},
            "char_all": chars, "char_found": chars_found,
            "negatives": {"total": neg_total, "flagged": neg_flagged, "flagged_unjustified": neg_unjustified,
                          "rate": round(neg_flagged / neg_total, 4) if neg_total else 0.0}}, misses


def _mdesc(m, text: str, texts: dict[str, str]) -> dict:
    frag = text[m.input_start:m.input_end]
    src = texts.get(m.source)
    key = _norm_words(frag)
    key = " ".join(key.split()[1:-1])  # boundary words may be cut
    justified = bool(src is not None and key and key in _norm_words(src))
    return {"source": m.source, "kind": m.kind, "tokens": m.tokens, "input": [m.input_start, m.input_end],
            "justified": justified, "excerpt": frag[:160]}


# --- main ---------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus-files", type=int, default=1500)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--negatives", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rebuild", action="store_true", help="re-index even if the catalog matches the corpus")
    ap.add_argument("--name", help="results file stem (default trace_accuracy, or trace_accuracy_<N> for "
                                   "--corpus-files N other than 1500, which also gets its own work folders)")
    args = ap.parse_args()
    stem = args.name or ("trace_accuracy" if args.corpus_files == 1500 else f"trace_accuracy_{args.corpus_files}")
    if args.corpus_files != 1500:  # a catalog of another size beside the default one, not over it
        global STAGE, CATALOG, CASES
        STAGE, CATALOG, CASES = (Path(f"{d}-{args.corpus_files}") for d in (STAGE, CATALOG, CASES))

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    catalog, held, notes = select_corpus(args.corpus_files, rng)
    mb = sum(len(c["text"].encode()) for c in catalog) / 1e6
    pools = defaultdict(int)
    for c in catalog:
        pools[c["pool"]] += 1
    print(f"corpus: {len(catalog)} files, {mb:.1f} MB ({dict(pools)}); held out {len(held)}"
          f" [{time.perf_counter() - t0:.1f}s]")
    for n in notes:
        print("note:", n)
    build = build_catalog(catalog, args.rebuild, args.jobs)
    print(f"catalog: {'reused' if build['reused'] else 'built'} ({build['seconds']} s to build)"
          + (f", {build.get('skipped')} skipped" if build.get("skipped") else ""))

    aliases = Aliases(catalog)
    t1 = time.perf_counter()
    cases = make_cases(args.cases, args.negatives, catalog, held, aliases, rng)
    print(f"cases: {args.cases} outputs + {args.negatives} negatives [{time.perf_counter() - t1:.1f}s]")
    (CASES / "cases.json").write_text(json.dumps(cases, indent=1))  # the truth, for looking at misses

    t2 = time.perf_counter()
    report = trace_api.trace([c["path"] for c in cases], catalog=str(CATALOG))
    trace_s = round(time.perf_counter() - t2, 2)
    texts = {c["rel"]: c["text"] for c in catalog}
    metrics, misses = score(cases, report, texts)

    src, ca, cf = metrics["source"], metrics["char_all"], metrics["char_found"]
    print(f"\ntrace: {len(cases)} inputs in {trace_s} s\n")
    hdr = f"{'edit type':<16}{'spans':>6}{'P':>8}{'P~':>8}{'R':>8}{'F1':>8}{'charF1':>8}{'charF1*':>9}   recall goal"
    print(hdr)
    print("-" * len(hdr))
    for k in (*EDIT_TYPES, "all"):
        if k not in src:
            continue
        s = src[k]
        goal = "" if k == "all" else (f">= {GOALS['recall_verbatim']}" if k == "verbatim"
                                      else f">= {GOALS['recall_edited']}")
        print(f"{k:<16}{s['tp'] + s['fn']:>6}{s['precision']:>8.3f}"
              f"{metrics['source_lenient'][k]['precision']:>8.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
              f"{ca.get(k, {}).get('f1', 0):>8.3f}{cf.get(k, {}).get('f1', 0):>9.3f}   {goal}")
    print("\nby output / language:", ", ".join(f"{k} R={v['recall']:.3f} P={v['precision']:.3f}"
                                               for k, v in sorted(src.items()) if ":" in k))
    neg = metrics["negatives"]
    a = src["all"]
    checks = [
        ("source F1", a["f1"], ">=", GOALS["source_f1"]),
        ("source precision", a["precision"], ">=", GOALS["precision"]),
        ("source recall, verbatim", src.get("verbatim", {}).get("recall", 0), ">=", GOALS["recall_verbatim"]),
        *[(f"source recall, {k}", src[k]["recall"], ">=", GOALS["recall_edited"])
          for k in EDIT_TYPES[1:] if k in src],
        ("char-span F1 (right source, found)", cf.get("all", {}).get("f1", 0), ">=", GOALS["char_f1"]),
        ("char-span F1 (all true spans)", ca.get("all", {}).get("f1", 0), ">=", GOALS["char_f1"]),
        ("negatives flagged", neg["rate"], "<=", GOALS["negatives_flagged"]),
    ]
    print("\ngoals:")
    for name, val, op, goal in checks:
        ok = val >= goal if op == ">=" else val <= goal
        print(f"  {name:<38} {val:7.3f}  goal {op} {goal:<5} {'ok' if ok else 'MISSED'}")
    fps = [m for m in misses if m["type"] == "false_source"]
    print(f"\nnegatives flagged: {neg['flagged']}/{neg['total']};  false-source matches: {len(fps)} "
          f"({sum(m['justified'] for m in fps)} justified: matched words really occur in that source)")
    print(f"negatives flagged with words not in the named source: {neg['flagged_unjustified']}")
    print("P~ = precision not counting extra sources whose matched words really occur in them (shared"
          " boilerplate)")
    print("charF1 = all true spans (missed sources count as FN); charF1* = only sources that were found")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": {"creditline": CREDITLINE_VERSION, "python": platform.python_version(),
                     "platform": platform.platform()},
        "args": vars(args),
        "corpus": {"files": len(catalog), "mb": round(mb, 2), "pools": dict(pools), "held_out_files": len(held),
                   "notes": notes},
        "catalog_build": build,
        "cases": {"outputs": args.cases, "negatives": args.negatives,
                  "per_edit": {k: sum(c["edit"] == k for c in cases) for k in (*EDIT_TYPES, "negative")},
                  "spans": sum(len(c["truth"]) for c in cases)},
        "trace_seconds": trace_s,
        "goals": GOALS,
        "metrics": metrics,
        "checks": [{"name": n, "value": v, "op": o, "goal": g, "met": (v >= g if o == ">=" else v <= g)}
                   for n, v, o, g in checks],
    }
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2) + "\n")
    order = {"missed_source": 0, "negative_flagged": 1, "false_source": 2, "short_span": 3}
    per_type: dict[str, int] = defaultdict(int)
    kept = []
    for m in sorted(misses, key=lambda m: order[m["type"]]):  # up to 40 of each type, 100 in all
        per_type[m["type"]] += 1
        if per_type[m["type"]] <= 40 and len(kept) < 100:
            kept.append(m)
    with open(RESULTS / f"{stem}_misses.jsonl", "w") as f:
        for m in kept:
            f.write(json.dumps(m) + "\n")
    with open(CASES / "misses.jsonl", "w") as f:  # all of them, beside the cases
        for m in misses:
            f.write(json.dumps(m) + "\n")
    print(f"\nwrote {RESULTS / (stem + '.json')} and {stem}_misses.jsonl ({len(kept)} of "
          f"{len(misses)} misses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
