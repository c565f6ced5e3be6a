#!/usr/bin/env python3
"""Speed of the catalog: index throughput, catalog size, trace latency and memory, and the peers.

What it measures
    Corpus (``--corpus-mb``, default 200 MB): real files found on this machine, nothing downloaded,
    in five pools with target shares of the bytes (a pool that runs short leaves its share to the
    pools after it):
      legal   5%  /usr/share/doc/*/copyright, /usr/share/common-licenses/*, LICENSE/COPYING files
                  of the site-packages and node_modules trees;
      docs   15%  *.md / *.rst / *.txt under the site-packages trees and /usr/share/doc;
      c      15%  C/C++ headers and sources under /usr/include and /usr/share;
      js     25%  *.js / *.mjs / *.cjs of bench/.work/accuracy-npm/node_modules (pinned by
                  bench/scan_accuracy.py) and of the system's node_modules (/usr/lib, /usr/local/lib);
      python 40%  *.py of the stdlib, .venv's site-packages, the interpreter's and Debian's
                  site-packages.
    Files are de-duplicated by content; empty, binary, non-UTF-8, > 1 MB and minified JS files
    (``.min.js``, a line over 1,000 characters, or over 250 characters per line on average) are
    left out. Each pool's candidates are sorted, shuffled with random.Random(seed) and taken in
    that order until the pool's share is full. The files are staged as symlinks
    ``bench/.work/speed-corpus/<pool>/<root>/<relpath>``; the manifest (files and MB per pool, a
    digest of the sorted (path, sha1) list) goes into the results and the listing into
    bench/.work/speed-manifest.tsv. The corpus depends on what is installed here: its digest says
    when two runs used the same one.

    Index: ``.venv/bin/creditline index --jobs JOBS --catalog bench/.work/speed-catalog <corpus>``
    as a child process: wall and CPU time, MB/s, peak RSS and PSS of its process tree (polled from
    /proc, bench/scan_speed.py's ``measure``), the catalog's size on disk (catalog.sqlite and
    shards) against the corpus. The catalog is reused while the corpus digest is unchanged (unless
    ``--rebuild``); the index figures are then those recorded by the run that built it, and the
    results say so.

    Trace latency: ``--inputs`` texts of about 4 KB (``--input-kb``): 75% copy 1-2 spans (whole
    lines of code into a bare .py/.js/.c/.h output or a fenced block of a .md; prose into .md)
    from random catalogued files amid generated filler prose; 25% copy nothing (filler only, or
    filler plus a span of a held-out file that is not in the catalog). Code spans hold at least 40
    tokens outside comment lines. A child process opens the catalog once, traces at least 5 warm-up
    inputs, one of each file type (a language's first input loads its grammar, the first prose
    input a character table), then times ``trace_api.trace_document`` on each input (the file
    system cache is warm: the catalog was just built or read). Latency p50/p90/p99/max and CPU
    time per input, the slowest inputs by name; after each input, outside the timing, it reads /proc/self/smaps and
    splits its RSS into the shard files' mappings, anonymous memory and other files (libraries);
    "RSS beyond the shards" is the larger of the sampled peak of (RSS - shard RSS) and
    (VmHWM - final shard RSS). Separately: the CLI cold start, ``creditline trace --format json``
    on one input (median of 3). As a sanity check (not an accuracy figure: bench/trace_accuracy.py
    is that), how many copying inputs had their source found and how many others were flagged.

    Peers (``--peers-subset N [N ...]``, default 300; 0 skips): the same question, which corpus
    files does each output copy, on N Python files (1.5-60 KB) of the corpus and
    ``--peers-outputs`` outputs of about 4 KB (whole lines of 1-2 of them amid filler comments; a
    fifth copy nothing), one run per N. Asked of:
      creditline   a fresh catalog of the subset (``--peers-jobs`` processes; its license and
                   copyright scan included), then trace; a source is predicted when it has a match;
      copydetect   bench/peers.py ``which_sources``: copydetect's detector, predicted when the share
                   of the output's tokens found in the file > 0.33 (its display threshold);
      dolos        the same with Dolos: predicted when Dolos's similarity >= 0.75 (its web UI's
                   cut-off; the similarity is symmetric, so a 4 KB output rarely reaches it against
                   a larger file);
      dolos:cover  the same Dolos run, predicted when the share of the output's k-grams shared with
                   the file >= 0.75.
    (``--peers-threshold`` overrides both peers' thresholds.) Each tool runs in a child process of
    its own: wall time, CPU time and peak RSS of that process tree (the peers' wrapper is a small
    Python process; the peer process's own figures from bench/peers.py are kept too),
    source-level precision/recall/F1 (a predicted source is right when the copied span's words
    occur in it) and the ratios peer/creditline. When bench/peers.py or a peer is missing, the
    phase says so and records it; creditline alone is still measured; no peer figure is made up.

Goals (issue 3): index >= 10 MB/s on 2 cores; trace p50 <= 20 ms for 4 KB inputs; RSS while
tracing <= 300 MB beyond the mapped shards.

How to rerun
    .venv/bin/python bench/trace_speed.py                          # 200 MB, 200 inputs, peers on 300 files
    .venv/bin/python bench/trace_speed.py --wait-idle 120          # wait for a quiet machine before each timing
    .venv/bin/python bench/trace_speed.py --corpus-mb 30 --inputs 50 --peers-subset 100   # quick
    .venv/bin/python bench/trace_speed.py --rebuild                # re-index even if the corpus is unchanged
    .venv/bin/python bench/trace_speed.py --peers-subset 300 1000  # peers at two sizes
    The peers are installed by bench/peers.py (``peers.setup_peers()``) under bench/.work/.
    Writes bench/results/trace_speed.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import sys
import sysconfig
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

import scan_speed  # noqa: E402  (measure, machine_info, wait_idle: stdlib only, one way to time a child)

from creditline import __version__ as CREDITLINE_VERSION  # noqa: E402
from creditline.store import FingerprintParams  # noqa: E402

# What a catalog keeps besides fingerprints; a catalog built before this changed is rebuilt.
STORED = "lines+texts"

# bench/trace_accuracy.py's text helpers (filler_paragraph, take_span, Aliases) are imported where
# they are used: importing that module loads creditline's trace API, which the child processes
# timed here (above all the peers') must not pay for.

WORK = BENCH / ".work"
STAGE = WORK / "speed-corpus"
CATALOG = WORK / "speed-catalog"
INPUTS = WORK / "speed-inputs"
PEERS_DIR = WORK / "speed-peers"
MANIFEST_TSV = WORK / "speed-manifest.tsv"
RESULTS_JSON = BENCH / "results" / "trace_speed.json"
CREDITLINE = ROOT / ".venv" / "bin" / "creditline"
PYTHON = ROOT / ".venv" / "bin" / "python"
MB = 1_000_000
MAX_FILE_BYTES = 1_000_000
WARMUP = 5
HELD_PER_POOL = 25
GOALS = {"index_mb_per_s": 10.0, "trace_p50_ms": 20.0, "rss_beyond_shards_mb": 300.0}
POOL_ORDER = ("legal", "docs", "c", "js", "python")  # the last ones absorb a short pool's share
SHARES = {"legal": 0.05, "docs": 0.15, "c": 0.15, "js": 0.25, "python": 0.40}
CODE_EXT = {".py": "py", ".js": "js", ".mjs": "js", ".cjs": "js", ".h": "c", ".c": "c", ".hpp": "c",
            ".cc": "c", ".cpp": "c", ".hh": "c"}
FENCE = {"py": "python", "js": "js", "c": "c"}
COMMENT = {"py": "# ", "js": "// ", "c": "// "}
LEGAL_PREFIXES = ("license", "licence", "copying", "notice")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def log(msg: str) -> None:
    print(msg, flush=True)


# --- corpus -------------------------------------------------------------------------------------

def _roots() -> dict[str, list[tuple[str, Path]]]:
    """Per pool: (tag, directory) of the trees its files come from (missing ones dropped)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    venv = str(ROOT / ".venv")
    venv_site = Path(sysconfig.get_paths(vars={"base": venv, "platbase": venv})["purelib"])
    sites = [("venv-site", venv_site), ("sys-site", stdlib / "site-packages"),
             ("debian-site", Path("/usr/lib/python3/dist-packages"))]
    npm = [("accuracy-npm", WORK / "accuracy-npm" / "node_modules"), ("usr-lib-npm", Path("/usr/lib/node_modules")),
           ("usr-local-npm", Path("/usr/local/lib/node_modules"))]
    roots = {
        "python": [("stdlib", stdlib), *sites],
        "js": npm,
        "c": [("usr-include", Path("/usr/include")), ("usr-share", Path("/usr/share"))],
        "docs": [*sites, ("usr-share-doc", Path("/usr/share/doc"))],
        "legal": [("debian", Path("/usr/share/doc")), ("common-licenses", Path("/usr/share/common-licenses")),
                  *sites, *npm],
    }
    return {pool: [(tag, d) for tag, d in lst if d.is_dir()] for pool, lst in roots.items()}


def _keep(pool: str, tag: str, rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    low = name.lower()
    ext = os.path.splitext(low)[1]
    if pool == "python":
        return ext == ".py" and not (tag == "stdlib" and rel.startswith("site-packages/"))
    if pool == "js":
        return ext in (".js", ".mjs", ".cjs") and not low.endswith(".min.js")
    if pool == "c":
        # node/openssl/archs holds thousands of per-platform copies of the same OpenSSL headers
        return ext in (".h", ".c", ".hpp", ".cc", ".cpp", ".hh") and "openssl/archs/" not in rel
    if pool == "docs":
        return ext in (".md", ".rst", ".txt") and not low.startswith(LEGAL_PREFIXES) and \
            not (".dist-info/" in rel and ext == ".txt") and "licensedcode/data/" not in rel
    if pool == "legal":
        if tag == "debian":
            return rel.count("/") == 1 and name == "copyright"
        if tag == "common-licenses":
            return True
        return low.startswith(LEGAL_PREFIXES) and "licensedcode/data/" not in rel
    raise ValueError(pool)


def list_candidates(pool: str) -> list[tuple[str, Path, int]]:
    """Sorted (staged path, real path, size) of the files a pool may take."""
    out = []
    for tag, base in _roots()[pool]:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".git"))
            for name in filenames:
                real = Path(dirpath) / name
                rel = os.path.relpath(real, base)
                if not _keep(pool, tag, rel):
                    continue
                try:
                    size = real.stat().st_size
                except OSError:
                    continue
                if 0 < size <= MAX_FILE_BYTES and real.is_file():
                    out.append((f"{pool}/{tag}/{rel}", real, size))
    return sorted(out)


def _minified(text: str) -> bool:
    lines = text.split("\n")
    return max(map(len, lines)) > 1000 or len(text) / len(lines) > 250


def _read_text(path: Path, pool: str) -> tuple[str, str] | None:
    """(text, sha1 of the bytes) of an eligible file, else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data or len(data) > MAX_FILE_BYTES or b"\0" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if pool == "js" and _minified(text):
        return None
    return text, hashlib.sha1(data).hexdigest()


def select_corpus(target_mb: float, seed: int) -> tuple[list[dict], list[dict], dict]:
    """(catalogued files, held-out files, manifest); each file {pool, rel, real, text, sha1, size, lang}."""
    rng = random.Random(seed)
    seen: set[str] = set()
    files: list[dict] = []
    held: list[dict] = []
    carry = 0.0
    pools: dict[str, dict] = {}
    for pool in POOL_ORDER:
        cands = list_candidates(pool)
        rng.shuffle(cands)
        budget = target_mb * MB * SHARES[pool] + carry
        got = 0
        n_held = 0
        taken = []
        for rel, real, _size in cands:
            if got >= budget and n_held >= HELD_PER_POOL:
                break
            res = _read_text(real, pool)
            if res is None or res[1] in seen:
                continue
            text, sha1 = res
            seen.add(sha1)
            ext = os.path.splitext(rel)[1].lower()
            entry = {"pool": pool, "rel": rel, "real": str(real), "text": text, "sha1": sha1,
                     "size": len(text.encode()), "lang": CODE_EXT.get(ext, "prose")}
            entry["code"] = entry["lang"] != "prose"
            if got < budget:
                taken.append(entry)
                got += entry["size"]
            else:
                held.append(entry)
                n_held += 1
        carry = max(0.0, budget - got)
        files += taken
        pools[pool] = {"candidates": len(cands), "files": len(taken), "mb": round(got / MB, 3), "held_out": n_held}
    files.sort(key=lambda f: f["rel"])
    listing = "\n".join(f"{f['rel']}\t{f['sha1']}" for f in files)
    manifest = {"files": len(files), "mb": round(sum(f["size"] for f in files) / MB, 3), "pools": pools,
                "digest": hashlib.sha1(listing.encode()).hexdigest(), "seed": seed, "target_mb": target_mb,
                "max_file_bytes": MAX_FILE_BYTES, "listing": str(MANIFEST_TSV.relative_to(ROOT))}
    MANIFEST_TSV.parent.mkdir(parents=True, exist_ok=True)
    MANIFEST_TSV.write_text("".join(f"{f['rel']}\t{f['sha1']}\t{f['size']}\t{f['real']}\n" for f in files))
    return files, held, manifest


def stage(files: list[dict], dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for f in files:
        link = dest / f["rel"]
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(f["real"], link)


def dir_bytes(path: Path) -> dict:
    """Bytes on disk of a catalog: catalog.sqlite (with WAL), shards, everything else."""
    out = {"sqlite": 0, "shards": 0, "other": 0}
    for dirpath, _, names in os.walk(path):
        for name in names:
            p = Path(dirpath) / name
            size = p.stat().st_size
            key = "shards" if "shards" in p.relative_to(path).parts else \
                "sqlite" if name.startswith("catalog.sqlite") else "other"
            out[key] += size
    out["total"] = sum(out.values())
    return out


# --- index --------------------------------------------------------------------------------------

def run_index(manifest: dict, jobs: int, rebuild: bool) -> dict:
    marker, record = CATALOG / "bench-corpus.sha1", CATALOG / "bench-index.json"
    key = f"{manifest['digest']} jobs={jobs} {sorted(FingerprintParams.current().to_dict().items())} {STORED}"
    if not rebuild and marker.exists() and record.exists() and marker.read_text().strip() == key:
        info = json.loads(record.read_text())
        info["reused"] = True
        info["note"] = f"catalog reused: index figures recorded by the run that built it ({info.get('date')})"
        return info
    if CATALOG.exists():
        shutil.rmtree(CATALOG)
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = [str(CREDITLINE), "index", "--jobs", str(jobs), "--catalog", str(CATALOG), "--format", "json",
           "--no-progress", str(STAGE)]
    log(f"index: {' '.join(os.path.relpath(c, ROOT) if c.startswith(str(ROOT)) else c for c in cmd)}")
    run = scan_speed.measure(cmd, stdout_path=logs / "speed-index.json", stderr_path=logs / "speed-index.err")
    if run["rc"] != 0:
        sys.exit(f"creditline index exited {run['rc']}: {(logs / 'speed-index.err').read_text()[-2000:]}")
    report = json.loads((logs / "speed-index.json").read_text())
    size = dir_bytes(CATALOG)
    info = {
        "reused": False, "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "jobs": jobs,
        "command": cmd, "wall_s": round(run["wall_s"], 2), "cpu_s": round(run["cpu_s"], 2),
        "other_cpu_s": run["other_cpu_s"] and round(run["other_cpu_s"], 1),
        "mb_per_s": round(manifest["mb"] / run["wall_s"], 3),
        "mb_per_cpu_s": round(manifest["mb"] / run["cpu_s"], 3) if run["cpu_s"] else None,
        "peak_rss_sum_mb": round(run["peak_rss_sum_mb"], 1), "peak_rss_single_mb": round(run["peak_rss_single_mb"], 1),
        "peak_pss_sum_mb": round(run["peak_pss_sum_mb"], 1), "max_processes": run["max_processes"],
        "added": len(report.get("added", ())), "skipped": len(report.get("skipped", ())),
        "skipped_examples": report.get("skipped", [])[:10], "catalog_bytes": size,
        "catalog_mb": round(size["total"] / MB, 2), "catalog_to_corpus": round(size["total"] / MB / manifest["mb"], 3),
        "stats": report.get("stats", {}),
    }
    scan_speed._check_quiet("the index run", run)
    if info["added"] != manifest["files"]:
        log(f"  warning: {info['added']} works added for {manifest['files']} staged files "
            f"({info['skipped']} skipped)")
    record.write_text(json.dumps(info, indent=1))
    marker.write_text(key)
    return info


# --- inputs -------------------------------------------------------------------------------------

def _filler(rng: random.Random, lang: str | None) -> str:
    from trace_accuracy import filler_paragraph

    para = filler_paragraph(rng)
    return "\n".join(COMMENT[lang] + ln for ln in para.split("\n")) if lang else para


def _code_tokens(span: str, lang: str) -> int:
    """Rough count of the tokens of a code span outside comment lines."""
    marks = ("#",) if lang == "py" else ("//", "/*", "*")
    return sum(len(_TOKEN.findall(ln)) for ln in span.split("\n") if not ln.lstrip().startswith(marks))


def _span(work: dict, rng: random.Random, max_chars: int) -> str | None:
    """Whole lines of code (at least 40 tokens outside comments) or a run of words of a file."""
    from trace_accuracy import take_span

    for n in (rng.randint(80, 320), 200, 120, 80):
        span = take_span(work, n, rng)
        if span and len(span) <= max_chars and (not work["code"] or _code_tokens(span, work["lang"]) >= 40):
            return span
    return None


def _pad(pieces: list[str], rng: random.Random, lang: str | None, size: int) -> str:
    """Join pieces with filler until the text is about ``size`` bytes; filler is cut at a line end."""
    text = "\n\n".join(pieces)
    while len(text.encode()) < size:
        para = _filler(rng, lang)
        room = size - len(text.encode()) - 2
        if len(para) > room:
            para = para[: max(para.rfind("\n", 0, room), 0)] or para[:room]
        if not para.strip():
            break
        text = f"{text}\n\n{para}" if rng.random() < 0.5 else f"{para}\n\n{text}"
    return text + "\n"


def make_inputs(n: int, files: list[dict], held: list[dict], rng: random.Random, size: int,
                out_dir: Path) -> list[dict]:
    """``n`` inputs of about ``size`` bytes: 3/4 copy spans of catalogued files, 1/4 copy nothing."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    code = [f for f in files if f["code"]]
    prose = [f for f in files if not f["code"] and f["size"] > 400]
    held = [f for f in held if f["size"] > 400]
    inputs = []
    for i in range(n):
        if i % 4 == 3:
            kind = "negative"
            spans = []
            if rng.random() < 0.5 and held:
                w = rng.choice(held)
                s = _span(w, rng, size // 2)
                spans = [(w, s)] if s else []
        else:
            kind = "copy"
            spans = []
            for _ in range(rng.choice((1, 1, 2))):
                for _try in range(20):
                    w = rng.choice(code if rng.random() < 0.6 else prose)
                    s = _span(w, rng, size * 2 // 5)
                    if s and w["rel"] not in {x["rel"] for x, _ in spans}:
                        spans.append((w, s))
                        break
        langs = {w["lang"] for w, _ in spans}
        bare = len(langs) == 1 and "prose" not in langs and rng.random() < 0.6
        lang = next(iter(langs)) if bare else None
        ext = os.path.splitext(spans[0][0]["rel"])[1] if bare else ".md"
        pieces = [s if w["lang"] == "prose" or bare else f"```{FENCE[w['lang']]}\n{s}\n```" for w, s in spans]
        text = _pad(pieces, rng, lang, size)
        name = f"{i:04d}-{kind}{ext}"
        (out_dir / name).write_text(text)
        inputs.append({"name": name, "path": str(out_dir / name), "kind": kind, "bytes": len(text.encode()),
                       "truth": [w["rel"] for w, _ in spans] if kind == "copy" else [],
                       "held_out": [w["rel"] for w, _ in spans] if kind == "negative" else [],
                       "spans": [s for _, s in spans]})
    return inputs


def split_warmup(inputs: list[dict], n: int) -> tuple[list[dict], list[dict]]:
    """At least WARMUP warm-up inputs, one of each file type among them (a language's first input
    loads its grammar, the first prose input a character table), and then ``n`` timed ones."""
    warm: list[dict] = []
    for inp in inputs:
        if os.path.splitext(inp["name"])[1] not in {os.path.splitext(w["name"])[1] for w in warm}:
            warm.append(inp)
    warm += [i for i in inputs if i not in warm][: max(0, WARMUP - len(warm))]
    return warm, [i for i in inputs if i not in warm][:n]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def sanity(inputs: list[dict], found: dict[str, list[str]], texts: dict[str, str]) -> dict:
    """Copying inputs whose every source (or a file holding the same words) was named; others flagged."""
    ok = copies = flagged = negatives = 0
    for inp in inputs:
        named = set(found.get(inp["name"], ()))
        if inp["kind"] == "negative":
            negatives += 1
            flagged += bool(named)
            continue
        copies += 1
        hit = all(src in named or any(_norm(span) in _norm(texts.get(m, "")) for m in named)
                  for src, span in zip(inp["truth"], inp["spans"]))
        ok += hit
    return {"copying_inputs": copies, "all_sources_found": ok, "negatives": negatives, "negatives_flagged": flagged}


# --- trace latency (child process) ---------------------------------------------------------------

def smaps_split(shard_dir: str) -> dict:
    """RSS of this process in MB: shard file mappings, anonymous memory, other files."""
    out = {"shards": 0, "anon": 0, "files": 0}
    current = "anon"
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split(None, 1)[0]
            if "-" in head and not head.endswith(":"):  # a mapping's header line
                parts = line.split(None, 5)
                path = parts[5].strip() if len(parts) > 5 else ""
                current = "shards" if path.startswith(shard_dir) else \
                    "anon" if not path or path.startswith("[") else "files"
            elif head == "Rss:":
                out[current] += int(line.split()[1])
    mb = {k: round(v * 1024 / MB, 2) for k, v in out.items()}
    mb["total"] = round(sum(mb.values()), 2)
    return mb


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) * 1024 / MB, 2)
    return 0.0


def latency_worker(spec_path: str, out_path: str) -> None:
    """Open the catalog once, warm up, time trace_document per input; memory after each input."""
    spec = json.loads(Path(spec_path).read_text())
    t0 = time.perf_counter()
    from creditline import catalog_api, trace_api
    from creditline.model import Document
    import_s = time.perf_counter() - t0
    base = smaps_split("\0")
    docs = [Document(path=p.rsplit("/", 1)[-1], text=Path(p).read_text()) for p in spec["inputs"]]
    t1 = time.perf_counter()
    cat = catalog_api.open_for_reading(spec["catalog"])
    open_s = time.perf_counter() - t1
    shard_dir = os.path.realpath(os.path.join(spec["catalog"], "shards"))
    for doc in docs[: spec["warmup"]]:
        trace_api.trace_document(cat, doc)
    after_warmup = smaps_split(shard_dir)
    wall, cpu, found, beyond, samples = [], [], {}, 0.0, []
    for doc in docs[spec["warmup"]:]:
        c0, w0 = time.process_time(), time.perf_counter()
        res = trace_api.trace_document(cat, doc)
        w1, c1 = time.perf_counter(), time.process_time()
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
        found[doc.path] = sorted({m.source for m in res.matches})
        mem = smaps_split(shard_dir)
        beyond = max(beyond, mem["total"] - mem["shards"])
        samples.append(mem)
    cat.close()
    final = samples[-1] if samples else after_warmup
    hwm = _status_mb("VmHWM")
    Path(out_path).write_text(json.dumps({
        "import_s": import_s, "open_s": open_s, "wall_s": wall, "cpu_s": cpu, "found": found,
        "rss_before_catalog_mb": base, "rss_after_warmup_mb": after_warmup, "rss_final_mb": final,
        "peak_beyond_shards_sampled_mb": round(beyond, 2), "vm_hwm_mb": hwm,
        "peak_shards_mb": max((s["shards"] for s in samples), default=0.0),
        "peak_anon_mb": max((s["anon"] for s in samples), default=0.0),
    }))


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]  # nearest rank


def run_latency(warm: list[dict], timed: list[dict], catalog: Path) -> dict:
    spec = WORK / "speed-latency-spec.json"
    out = WORK / "speed-latency-out.json"
    spec.write_text(json.dumps({"catalog": str(catalog), "inputs": [i["path"] for i in warm + timed],
                                "warmup": len(warm)}))
    cmd = [str(PYTHON), str(Path(__file__).resolve()), "_latency", str(spec), str(out)]
    run = scan_speed.measure(cmd, stderr_path=WORK / "logs" / "speed-latency.err")
    if run["rc"] != 0:
        sys.exit(f"latency worker exited {run['rc']}: {(WORK / 'logs' / 'speed-latency.err').read_text()[-3000:]}")
    scan_speed._check_quiet("the latency run", run)
    res = json.loads(out.read_text())
    ms = [w * 1000 for w in res["wall_s"]]
    sizes = [i["bytes"] for i in timed]
    slowest = sorted(zip(ms, timed), key=lambda x: -x[0])[:5]
    cpu_ms = [c * 1000 for c in res["cpu_s"]]
    beyond = max(res["peak_beyond_shards_sampled_mb"], res["vm_hwm_mb"] - res["rss_final_mb"]["shards"])
    return {
        "inputs_timed": len(ms), "warmup": len(warm), "warmup_inputs": [i["name"] for i in warm],
        "input_bytes": {"mean": round(statistics.mean(sizes), 1), "min": min(sizes), "max": max(sizes)},
        "ms": {"p50": round(_pct(ms, 50), 2), "p90": round(_pct(ms, 90), 2), "p99": round(_pct(ms, 99), 2),
               "max": round(max(ms), 2), "mean": round(statistics.mean(ms), 2)},
        "cpu_ms": {"p50": round(_pct(cpu_ms, 50), 2), "p99": round(_pct(cpu_ms, 99), 2),
                   "mean": round(statistics.mean(cpu_ms), 2)},
        "by_kind_p50_ms": {k: round(_pct([m for m, i in zip(ms, timed) if i["kind"] == k], 50), 2)
                           for k in ("copy", "negative") if any(i["kind"] == k for i in timed)},
        "slowest": [{"input": i["name"], "ms": round(m, 2)} for m, i in slowest],
        "per_input_ms": {i["name"]: round(m, 2) for m, i in zip(ms, timed)},
        "import_s": round(res["import_s"], 3), "catalog_open_s": round(res["open_s"], 4),
        "rss_mb": {"before_catalog": res["rss_before_catalog_mb"], "after_warmup": res["rss_after_warmup_mb"],
                   "final": res["rss_final_mb"], "vm_hwm": res["vm_hwm_mb"], "peak_shards": res["peak_shards_mb"],
                   "peak_anon": res["peak_anon_mb"],
                   "peak_beyond_shards_sampled": res["peak_beyond_shards_sampled_mb"],
                   "peak_beyond_shards": round(beyond, 2)},
        "process": {k: run[k] for k in ("wall_s", "cpu_s", "other_cpu_s", "peak_rss_sum_mb", "peak_pss_sum_mb")},
        "found": res["found"],
    }


def run_cold_start(inp: dict, catalog: Path, runs: int = 3) -> dict:
    cmd = [str(CREDITLINE), "trace", "--catalog", str(catalog), "--format", "json", inp["path"]]
    out = []
    for _ in range(runs):
        r = scan_speed.measure(cmd, stdout_path=WORK / "logs" / "speed-cold.json",
                               stderr_path=WORK / "logs" / "speed-cold.err")
        if r["rc"] not in (0, 1):
            sys.exit(f"creditline trace exited {r['rc']}: {(WORK / 'logs' / 'speed-cold.err').read_text()[-2000:]}")
        out.append(r)
    return {"command": cmd, "input": inp["name"], "input_bytes": inp["bytes"], "runs": runs, "median_wall_s": round(statistics.median(r["wall_s"] for r in out), 3),
            "walls_s": [round(r["wall_s"], 3) for r in out],
            "peak_rss_mb": round(max(r["peak_rss_sum_mb"] for r in out), 1),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in out), 3)}


# --- peers ----------------------------------------------------------------------------------------

def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def peer_worker(tool: str, spec_path: str, out_path: str) -> None:
    """One tool answers: which corpus files does each output copy? ({"predicted": {output: [corpus paths]}})."""
    spec = json.loads(Path(spec_path).read_text())
    if tool == "creditline":
        from creditline import catalog_api, trace_api

        cat = spec["catalog"]
        shutil.rmtree(cat, ignore_errors=True)
        catalog_api.index([spec["corpus_dir"]], catalog=cat, jobs=spec["jobs"])
        report = trace_api.trace(spec["outputs"], catalog=cat)
        answer = {"predicted": {r.path: sorted({os.path.join(spec["corpus_dir"], m.source) for m in r.matches})
                                for r in report.inputs}}
    else:
        import peers  # bench/peers.py: each peer runs in a process of its own, which it measures

        peer, _, score = tool.partition(":")
        res = peers.which_sources(spec["outputs"], spec["corpus_files"], spec.get("threshold"), peers=(peer,),
                                  **({"dolos_score": score} if score else {}))[peer]
        answer = {"predicted": {o: sorted(v) for o, v in res.predicted.items()}, "version": res.version,
                  "rule": res.rule, "threshold": res.threshold, "unreadable": res.unreadable,
                  "peer_process": {"wall_s": res.wall_s, "cpu_s": res.cpu_s, "peak_rss_mb": res.peak_rss_mb},
                  "peer_seconds": res.seconds}
    Path(out_path).write_text(json.dumps(answer))


PEER_TOOLS = {"copydetect": "copydetect", "dolos": "dolos", "dolos:cover": "dolos"}  # row -> peer installed


def _peers_available() -> tuple[list[str], dict, str | None]:
    """(peer rows to run, {peer: version or None}, why none when empty)."""
    if not (BENCH / "peers.py").exists():
        return [], {}, "bench/peers.py does not exist"
    try:
        import peers
    except Exception as err:  # noqa: BLE001 - any import failure means: not run, and why
        return [], {}, f"bench/peers.py cannot be imported: {err!r}"
    if not hasattr(peers, "which_sources") or not hasattr(peers, "installed"):
        return [], {}, "bench/peers.py has no which_sources() / installed()"
    versions = peers.installed()
    rows = [row for row, peer in PEER_TOOLS.items() if versions.get(peer)]
    missing = sorted(p for p, v in versions.items() if not v)
    why = (f"not installed: {', '.join(missing)} (install with: .venv/bin/python -c "
           f"'import sys; sys.path.insert(0, \"bench\"); import peers; peers.setup_peers()')") if missing else None
    return rows, versions, why


def make_peer_case(files: list[dict], held: list[dict], n_files: int, n_outputs: int, rng: random.Random) -> dict:
    """N Python files of the corpus, outputs copying whole lines of 1-2 of them, a fifth copying nothing."""
    from trace_accuracy import Aliases

    pool = sorted((f for f in files if f["lang"] == "py" and 1500 < f["size"] < 60_000), key=lambda f: f["rel"])
    subset = sorted(rng.sample(pool, min(n_files, len(pool))), key=lambda f: f["rel"])
    corpus_dir, out_dir = PEERS_DIR / "corpus", PEERS_DIR / "outputs"
    stage([{**f, "rel": f["rel"].replace("python/", "", 1)} for f in subset], corpus_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    aliases = Aliases([{**f, "rel": str(corpus_dir / f["rel"].replace("python/", "", 1))} for f in subset])
    neg_pool = [f for f in held if f["lang"] == "py" and f["size"] > 1500]
    outputs = []
    for i in range(n_outputs):
        truth: list[list[str]] = []
        pieces = []
        if i % 5 == 4:
            if neg_pool and rng.random() < 0.5:
                s = _span(rng.choice(neg_pool), rng, 1600)
                pieces = [s] if s else []
        else:
            for w in rng.sample(subset, rng.choice((1, 1, 2))):
                s = _span(w, rng, 1600)
                if s:
                    pieces.append(s)
                    truth.append(aliases.of(s) or [str(corpus_dir / w["rel"].replace("python/", "", 1))])
        path = out_dir / f"out-{i:03d}.py"
        path.write_text(_pad(pieces, rng, "py", 4096))
        outputs.append({"path": str(path), "truth": truth})
    return {"corpus_dir": str(corpus_dir), "corpus_files": [str(corpus_dir / f["rel"].replace("python/", "", 1))
                                                             for f in subset],
            "outputs": outputs, "mb": round(sum(f["size"] for f in subset) / MB, 3)}


def score_peer(outputs: list[dict], answer: dict[str, list[str]]) -> dict:
    tp = fp = fn = 0
    for o in outputs:
        pred = set(answer.get(o["path"], ()))
        claimed: set[str] = set()
        for aliases in o["truth"]:
            hit = pred & set(aliases)
            tp += bool(hit)
            fn += not hit
            claimed |= set(aliases)
        fp += len(pred - claimed)
    return _prf(tp, fp, fn)


def run_peers(files: list[dict], held: list[dict], args: argparse.Namespace) -> dict:
    sizes = [n for n in args.peers_subset if n > 0]
    if not sizes:
        return {"run": False, "reason": "--peers-subset 0", "subsets": []}
    tools, versions, why = _peers_available()
    if not tools:
        log(f"peers: NOT RUN ({why}); only creditline is measured on the subset")
    elif why:
        log(f"peers: {why}")
    subsets = [peer_subset(files, held, n, tools, args) for n in sizes]
    return {"run": bool(tools), "reason": why, "versions": versions, "subsets": subsets}


def peer_subset(files: list[dict], held: list[dict], n: int, tools: list[str], args: argparse.Namespace) -> dict:
    """creditline and each peer, one child process each, on one subset of ``n`` corpus files."""
    case = make_peer_case(files, held, n, args.peers_outputs, random.Random(args.seed + n))
    spec = PEERS_DIR / "spec.json"
    spec.write_text(json.dumps({"catalog": str(PEERS_DIR / "catalog"), "corpus_dir": case["corpus_dir"],
                                "corpus_files": case["corpus_files"], "outputs": [o["path"] for o in case["outputs"]],
                                "jobs": args.peers_jobs, "threshold": args.peers_threshold}))
    res: dict = {"files": len(case["corpus_files"]), "mb": case["mb"], "outputs": len(case["outputs"]),
                 "copying_outputs": sum(bool(o["truth"]) for o in case["outputs"]),
                 "spans": sum(len(o["truth"]) for o in case["outputs"]), "tools": {}}
    for tool in ["creditline", *tools]:
        out = PEERS_DIR / f"answer-{tool.replace(':', '-')}.json"
        out.unlink(missing_ok=True)
        cmd = [str(PYTHON), str(Path(__file__).resolve()), "_peer", tool, str(spec), str(out)]
        log(f"peers: {tool} on {res['files']} files, {res['outputs']} outputs")
        err = WORK / "logs" / f"speed-peer-{tool.replace(':', '-')}.err"
        run = scan_speed.measure(cmd, stderr_path=err)
        entry = {"rc": run["rc"], "wall_s": round(run["wall_s"], 2), "cpu_s": round(run["cpu_s"], 2),
                 "peak_rss_sum_mb": round(run["peak_rss_sum_mb"], 1),
                 "peak_pss_sum_mb": round(run["peak_pss_sum_mb"], 1),
                 "other_cpu_s": run["other_cpu_s"] and round(run["other_cpu_s"], 1)}
        scan_speed._check_quiet(f"the {tool} run", run)
        if run["rc"] != 0 or not out.exists():
            entry["error"] = err.read_text(errors="replace")[-1500:]
            log(f"  {tool} failed (rc {run['rc']}): {entry['error'][-300:]}")
        else:
            answer = json.loads(out.read_text())
            entry.update(score_peer(case["outputs"], answer.pop("predicted")))
            entry.update(answer)
        res["tools"][tool] = entry
    cl = res["tools"]["creditline"]
    res["ratios"] = {t: {"wall": _ratio(e.get("wall_s"), cl.get("wall_s")),
                         "peak_rss": _ratio(e.get("peak_rss_sum_mb"), cl.get("peak_rss_sum_mb")),
                         "f1_difference": round(cl["f1"] - e["f1"], 4) if "f1" in e and "f1" in cl else None}
                     for t, e in res["tools"].items() if t != "creditline" and "error" not in e}
    return res


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


# --- report -------------------------------------------------------------------------------------

def goals(index: dict, lat: dict) -> dict:
    checks = {"index_mb_per_s": (index["mb_per_s"], ">="), "trace_p50_ms": (lat["ms"]["p50"], "<="),
              "rss_beyond_shards_mb": (lat["rss_mb"]["peak_beyond_shards"], "<=")}
    return {k: {"value": v, "op": op, "goal": GOALS[k], "met": v >= GOALS[k] if op == ">=" else v <= GOALS[k]}
            for k, (v, op) in checks.items()}


def print_report(res: dict) -> None:
    m, ix, lat, cold = res["corpus"], res["index"], res["latency"], res["cold_start"]
    log(f"\ncorpus: {m['files']} files, {m['mb']} MB, digest {m['digest'][:12]}")
    for pool, p in m["pools"].items():
        log(f"  {pool:<7} {p['files']:>6} files {p['mb']:>8.2f} MB   ({p['candidates']} candidates, "
            f"{p['held_out']} held out)")
    log(f"\nindex ({'REUSED catalog, figures recorded ' + ix['date'] if ix['reused'] else 'this run'}, "
        f"--jobs {ix['jobs']}):")
    log(f"  wall {ix['wall_s']} s, CPU {ix['cpu_s']} s -> {ix['mb_per_s']} MB/s ({ix['mb_per_cpu_s']} MB per CPU-s); "
        f"others used {ix['other_cpu_s']} CPU-s meanwhile")
    log(f"  peak RSS {ix['peak_rss_sum_mb']} MB summed over {ix['max_processes']} processes "
        f"(largest {ix['peak_rss_single_mb']} MB, PSS {ix['peak_pss_sum_mb']} MB)")
    cb = ix["catalog_bytes"]
    log(f"  catalog {ix['catalog_mb']} MB on disk = {ix['catalog_to_corpus']}x the corpus "
        f"(sqlite {cb['sqlite'] / MB:.1f} MB, shards {cb['shards'] / MB:.1f} MB); {ix['added']} works, "
        f"{ix['skipped']} skipped")
    r = lat["rss_mb"]
    log(f"\ntrace latency, {lat['inputs_timed']} inputs of {lat['input_bytes']['mean']:.0f} B "
        f"({lat['input_bytes']['min']}-{lat['input_bytes']['max']}), catalog opened once, {lat['warmup']} warm-up:")
    log("  ms: " + ", ".join(f"{k} {v}" for k, v in lat["ms"].items()) + "   CPU ms: "
        + ", ".join(f"{k} {v}" for k, v in lat["cpu_ms"].items()) + "   p50 by kind: " + str(lat["by_kind_p50_ms"]))
    log("  slowest: " + ", ".join(f"{x['input']} {x['ms']} ms" for x in lat["slowest"]))
    log(f"  RSS MB: before catalog {r['before_catalog']['total']}, final {r['final']['total']} "
        f"(shards {r['final']['shards']}, anon {r['final']['anon']}, other files {r['final']['files']}), "
        f"VmHWM {r['vm_hwm']}; peak beyond the shards {r['peak_beyond_shards']}")
    log(f"  CLI cold start `creditline trace` on one input: {cold['median_wall_s']} s (median of {cold['runs']}), "
        f"peak RSS {cold['peak_rss_mb']} MB")
    s = res["sanity"]
    log(f"  sanity: {s['all_sources_found']}/{s['copying_inputs']} copying inputs with their sources named, "
        f"{s['negatives_flagged']}/{s['negatives']} others flagged")
    p = res["peers"]
    if not p["subsets"]:
        log(f"\npeers: not run ({p['reason']})")
    for sub in p["subsets"]:
        log(f"\npeers: {sub['files']} Python files ({sub['mb']} MB), {sub['outputs']} outputs "
            f"({sub['copying_outputs']} copying, {sub['spans']} spans); each tool in its own process tree"
            + ("" if p["run"] else f"  -- peers NOT RUN: {p['reason']}"))
        log(f"  {'tool':<13}{'wall s':>8}{'CPU s':>8}{'RSS MB':>8}{'P':>8}{'R':>8}{'F1':>8}   rule")
        for tool, e in sub["tools"].items():
            if "error" in e:
                log(f"  {tool:<13} FAILED rc {e['rc']}")
                continue
            own = e.get("peer_process")
            log(f"  {tool:<13}{e['wall_s']:>8}{e['cpu_s']:>8}{e['peak_rss_sum_mb']:>8}{e['precision']:>8}"
                f"{e['recall']:>8}{e['f1']:>8}   {e.get('rule', 'any match (index the subset, then trace)')}"
                + (f"; peer process alone {own['wall_s']} s, {own['peak_rss_mb']} MB" if own else ""))
        for tool, rt in sub.get("ratios", {}).items():
            log(f"  {tool}/creditline: wall {rt['wall']}x, peak RSS {rt['peak_rss']}x; "
                f"F1 creditline - {tool}: {rt['f1_difference']}")
    log("\ngoals:")
    for k, g in res["goals"].items():
        log(f"  {k:<22} {g['value']:>9}  goal {g['op']} {g['goal']:<6} {'met' if g['met'] else 'MISSED'}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus-mb", type=float, default=200.0, help="corpus size in MB (10^6 bytes); 200 for the goal")
    ap.add_argument("--inputs", type=int, default=200, help="timed trace inputs (after >= 5 warm-up)")
    ap.add_argument("--input-kb", type=float, default=4.0, help="size of each input in KB (1,024 bytes)")
    ap.add_argument("--jobs", type=int, default=2, help="creditline index processes")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rebuild", action="store_true", help="re-index even if the catalog matches the corpus")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="before each timed run, wait up to this long for other load to stop")
    ap.add_argument("--peers-subset", type=int, nargs="+", default=[300], metavar="N",
                    help="corpus files for the peer comparison, one run per N (0: skip)")
    ap.add_argument("--peers-outputs", type=int, default=30, help="outputs in the peer comparison")
    ap.add_argument("--peers-jobs", type=int, default=1, help="creditline processes in the peer comparison")
    ap.add_argument("--peers-threshold", type=float, default=None, help="passed to peers.which_sources")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scan_speed.WAIT_IDLE_S[0] = args.wait_idle
    if not CREDITLINE.exists():
        sys.exit(f"{CREDITLINE} not found: run `make` first")
    if args.corpus_mb < 200:
        log(f"note: --corpus-mb {args.corpus_mb} is below the 200 MB the goals are stated for")
    t0 = time.perf_counter()
    files, held, manifest = select_corpus(args.corpus_mb, args.seed)
    stage(files, STAGE)
    log(f"corpus: {manifest['files']} files, {manifest['mb']} MB staged in {STAGE.relative_to(ROOT)} "
        f"[{time.perf_counter() - t0:.1f} s]")
    index = run_index(manifest, args.jobs, args.rebuild)
    if index["reused"]:
        log(f"index: {index['note']}")
    rng = random.Random(args.seed)
    inputs = make_inputs(args.inputs + 12, files, held, rng, round(args.input_kb * 1024), INPUTS)
    warm, timed = split_warmup(inputs, args.inputs)
    log(f"trace: {len(warm)} warm-up + {len(timed)} timed inputs in {INPUTS.relative_to(ROOT)}, one process")
    lat = run_latency(warm, timed, CATALOG)
    cold = run_cold_start(timed[0], CATALOG)
    texts = {f["rel"]: f["text"] for f in files}
    found = lat.pop("found")
    san = sanity(timed, found, texts)
    peers_res = run_peers(files, held, args)
    res = {"benchmark": "trace_speed", "argv": sys.argv[1:], "args": vars(args),
           "machine": {**scan_speed.machine_info(), "creditline": CREDITLINE_VERSION},
           "corpus": manifest, "index": index, "latency": lat, "cold_start": cold, "sanity": san,
           "peers": peers_res, "goals": goals(index, lat)}
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(res, indent=2) + "\n")
    print_report(res)
    log(f"\nwrote {RESULTS_JSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_latency":
        latency_worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "_peer":
        peer_worker(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(main())
