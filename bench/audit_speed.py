#!/usr/bin/env python3
"""Audit speed: ``creditline audit`` end to end on a Parquet dataset in The Stack's layout.

The dataset
    Built once from REAL text and code files on this machine, nothing downloaded, and cached in
    ``bench/.work/audit-data/target-<size>/`` (rebuilt with ``--rebuild``, or when the build settings or the
    listing of the source files change). Pools, each a tree and how a file's declared license is
    known:

      cpython        the stdlib (not site-packages) of this interpreter and of the other Python
                     versions installed beside it (pyenv): the Python-2.0 license
      pypi-*         site-packages of those interpreters, of .venv and of the accuracy, ScanCode and
                     copydetect venvs under bench/.work:
                     the dist-info that lists the file in its RECORD; its METADATA's
                     License-Expression, else a one-line License, else its License classifiers
      npm-*          bench/.work/accuracy-npm, bench/.work/dolos and /usr/lib node_modules: package.json's
                     ``license`` (or ``licenses``) of the package holding the file
      debian-*       /usr/include, /usr/share/doc, /usr/lib/python3, /usr/share/perl*,
                     /usr/lib/google-cloud-sdk: the dpkg
                     package listing the file; the ``License:`` of the ``Files: *`` paragraph of
                     its machine-readable /usr/share/doc/<package>/copyright

    A file whose package or license is unknown gets ``[]``. Files kept: *.py, *.pyi, *.js,
    *.mjs, *.ts, *.c, *.h, *.cc, *.cpp, *.hpp, *.java, *.go, *.rs, *.rb, *.php, *.sh, *.pl, *.pm,
    *.md, *.rst, *.txt, LICENSE*/LICENCE*/COPYING* and Debian ``copyright`` files; left out: empty,
    over 1 MB, NUL bytes, not UTF-8, minified JS/TS (``.min.``, a line over 1,000 characters or
    over 250 characters per line on average), symlinks, __pycache__ and the license rule corpora
    (``licensedcode/data``). The candidates are listed, sorted, shuffled with
    ``random.Random(42)`` and read in that order; the first file with a given content is a row,
    later ones are remembered as duplicates. Rows are taken until the text (UTF-8 bytes of
    ``content``) reaches the target; when the distinct files run out, the remembered duplicates
    (the same content at another path) and then further copies of distinct files are added as
    rows, and the manifest counts these repeats per size. Columns (The Stack's): ``hexsha``
    (sha1 of the content), ``content``, ``max_stars_repo_licenses`` (list of strings),
    ``max_stars_repo_name`` (``<pool>/<package>``), ``max_stars_repo_path`` (path inside the
    package), ``size``, ``ext``. Three nested prefixes are written as separate files, a quarter,
    half and all of ``--target-gb`` (0.25, 0.5 and 1 GB by default), with pyarrow, zstd, row
    groups of about 64 MB of text. The manifest (``manifest.json`` beside them; rows, files, MB
    and repeats per pool and per size, a digest of the row listing) goes into the results.

What is measured, for each size
    ``.venv/bin/creditline audit FILE --jobs 2 --format json --no-progress -o OUT`` as a child
    process (after ``--wait-idle``): wall time, CPU time of it and its reaped workers (``wait4``
    rusage) and the CPU other processes used meanwhile (/proc/stat, as bench/scan_speed.py does).
    Memory: every 0.2 s the process tree is re-read from /proc and each process's RSS taken; peak
    of the RSS sum (the figure the goal judges; forked workers' shared copy-on-write pages count
    once per process), peak of the largest process, peak of the parent and of each worker, the
    RSS sum every 5 s (``rss_timeline``: seconds, sum MB, parent MB), and every 1 s the PSS sum
    (shared pages split among their sharers). Per process also its CPU seconds (from
    /proc/<pid>/stat at its last sample), which shows whether the parent, which reads the rows,
    decides duplicates in input order and scans batches whenever the workers have enough queued
    (``--jobs 2`` is the parent and one worker), or the workers, which scan the text, bound the rate.
    Derived: rows/s and MB/s (text MB, 10^6 bytes, over the wall time, start-up included).
    Each size is timed ``--repeat`` times (3 by default), in rounds over all sizes; the run with
    the median wall time is reported, with every run's figures and the range of MB/s beside it
    (on this machine one run's speed drifts by 10-20% with the load on the shared cores). The
    audit's JSON is read back to show the work was done: rows, rows with errors, bytes read,
    top licenses (detected or declared), declared licenses, exact and near duplicates. Also the
    start-up of the same command on a 20-row file of the same dataset.

Goals (issue): >= 20 MB/s end to end on 2 cores (judged at the slowest size measured, on its
median run); peak RSS (sum over the processes) < 1 GB at every size and in every run; RSS flat as the dataset grows, read here as
RSS(largest) / RSS(smallest) <= 1.25.

How to rerun
    .venv/bin/python bench/audit_speed.py                        # 0.25, 0.5, 1 GB
    .venv/bin/python bench/audit_speed.py --wait-idle 300        # the timing run: wait for a quiet machine
    .venv/bin/python bench/audit_speed.py --target-gb 0.05       # quick: 0.0125, 0.025, 0.05 GB
    .venv/bin/python bench/audit_speed.py --max-size-gb 0.25     # build 1 GB, time only the 0.25 GB file
    .venv/bin/python bench/audit_speed.py --build-only           # (re)build the dataset, time nothing
    Writes bench/results/audit_speed.json.
"""

from __future__ import annotations

import argparse
import email.parser
import functools
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import scan_speed  # noqa: E402  (/proc readers, wait_idle, machine_info: one way to time a child)

WORK = BENCH / ".work"
DATA_ROOT = WORK / "audit-data"  # one folder per --target-gb
LOGS = WORK / "logs"
RESULTS_JSON = BENCH / "results" / "audit_speed.json"
CREDITLINE = ROOT / ".venv" / "bin" / "creditline"
BUILDER_VERSION = 2  # bump when the rows a build makes change for the same sources
SEED = 42
MB = 1_000_000
GB = 1_000_000_000
MAX_FILE_BYTES = 1_000_000
ROW_GROUP_BYTES = 64 * MB
STARTUP_ROWS = 20
POLL_S = 0.2  # process tree and RSS of each process
PSS_EVERY = 5  # PSS every 1 s: reading smaps_rollup walks the page tables
TIMELINE_S = 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
FRACTIONS = (0.25, 0.5, 1.0)
GOAL_MB_PER_S = 20.0
GOAL_PEAK_RSS_MB = 1000.0
GOAL_RSS_RATIO = 1.25

EXTS = (".py", ".pyi", ".js", ".mjs", ".ts", ".c", ".h", ".cc", ".cpp", ".hpp", ".java", ".go", ".rs", ".rb",
        ".php", ".sh", ".pl", ".pm", ".md", ".rst", ".txt")
MINIFIABLE = (".js", ".mjs", ".ts")
LEGAL_PREFIXES = ("license", "licence", "copying")
SKIP_DIRS = {"__pycache__", ".git"}


def log(msg: str) -> None:
    print(msg, flush=True)


# --- pools and declared licenses ------------------------------------------------------------------


def _venv_site() -> Path:
    venv = str(ROOT / ".venv")
    return Path(sysconfig.get_paths(vars={"base": venv, "platbase": venv})["purelib"])


def _bench_site(venv: str) -> list[Path]:
    """The site-packages of a venv under bench/.work (none when it is not installed)."""
    return sorted((WORK / venv / "lib").glob("python3*/site-packages"))[:1]


def _stdlibs(stdlib: Path) -> list[Path]:
    """This interpreter's stdlib, and those of the other versions installed beside it (pyenv)."""
    others = stdlib.parent.parent.parent.glob("*/lib/python[23]*")
    return sorted({stdlib, *(p for p in others if (p / "os.py").is_file())})


def pools() -> list[tuple[str, str, list[Path]]]:
    """(pool, kind, roots) of the trees rows come from; missing trees are left out."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    spec = [
        ("cpython", "stdlib", _stdlibs(stdlib)),
        ("pypi-interpreter", "pypi", [lib / "site-packages" for lib in _stdlibs(stdlib)]),
        ("pypi-venv", "pypi", [_venv_site()]),
        ("pypi-accuracy", "pypi", _bench_site("accuracy-venv")),
        ("pypi-scancode", "pypi", _bench_site("scancode-venv")),
        ("pypi-copydetect", "pypi", _bench_site("copydetect-venv")),
        ("npm-accuracy", "npm", [WORK / "accuracy-npm" / "node_modules"]),
        ("npm-dolos", "npm", [WORK / "dolos" / "node_modules"]),
        ("npm-system", "npm", [Path("/usr/lib/node_modules")]),
        ("debian-include", "debian", [Path("/usr/include")]),
        ("debian-doc", "debian", [Path("/usr/share/doc")]),
        ("debian-python", "debian", [Path("/usr/lib/python3")]),
        ("debian-perl", "debian", sorted(Path("/usr/share").glob("perl*"))),
        ("debian-gcloud", "debian", [Path("/usr/lib/google-cloud-sdk")]),
    ]
    return [(name, kind, [r for r in roots if r.is_dir()]) for name, kind, roots in spec]


def _metadata_licenses(metadata: Path) -> list[str]:
    try:
        msg = email.parser.Parser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"),
                                             headersonly=True)
    except OSError:
        return []
    expression = (msg.get("License-Expression") or "").strip()
    if expression:
        return [expression]
    license_ = (msg.get("License") or "").strip()
    if license_ and "\n" not in license_ and len(license_) <= 100 and license_.upper() != "UNKNOWN":
        return [license_]
    return [c.strip() for c in msg.get_all("Classifier") or [] if c.startswith("License ::")
            and c.strip() != "License :: OSI Approved"]


class PypiLicenses:
    """File (relative to site-packages) -> (distribution, declared licenses), from dist-info RECORDs."""

    def __init__(self, site: Path) -> None:
        self.owner: dict[str, tuple[str, tuple[str, ...]]] = {}
        for info in sorted(site.glob("*.dist-info")):
            dist = info.name[:-len(".dist-info")].rsplit("-", 1)[0]
            licenses = tuple(_metadata_licenses(info / "METADATA"))
            try:
                lines = (info / "RECORD").read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                path = line.rsplit(",", 2)[0].strip('"')
                if path and not path.startswith(".."):
                    self.owner.setdefault(os.path.normpath(path), (dist, licenses))

    def __call__(self, rel: str) -> tuple[str, str, list[str]]:
        dist, licenses = self.owner.get(rel, (rel.split("/", 1)[0], ()))
        return dist, rel, list(licenses)


class NpmLicenses:
    """File (relative to node_modules) -> (package, path inside it, package.json license)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, list[str]] = {}

    def _declared(self, package_dir: str) -> list[str]:
        if package_dir not in self.cache:
            try:
                meta = json.loads((self.root / package_dir / "package.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            self.cache[package_dir] = _npm_license(meta if isinstance(meta, dict) else {})
        return self.cache[package_dir]

    def __call__(self, rel: str) -> tuple[str, str, list[str]]:
        parts = rel.split("/")
        last = max((i for i, p in enumerate(parts) if p == "node_modules"), default=-1) + 1
        width = 2 if parts[last].startswith("@") and len(parts) > last + 2 else 1
        if len(parts) <= last + width:  # a file directly in node_modules
            return "node_modules", rel, []
        package_dir = "/".join(parts[:last + width])
        return "/".join(parts[last:last + width]), "/".join(parts[last + width:]), self._declared(package_dir)


def _npm_license(meta: dict) -> list[str]:
    value = meta.get("license") or meta.get("licenses")
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        text = item.get("type") if isinstance(item, dict) else item
        if isinstance(text, str) and text.strip() and not text.upper().startswith(("SEE LICENSE", "UNLICENSED")):
            out.append(text.strip())
    return out


def _dep5_license(copyright_file: Path) -> list[str]:
    """The ``License:`` of the ``Files: *`` paragraph of a machine-readable Debian copyright file."""
    try:
        text = copyright_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if not text.lstrip().startswith("Format:"):
        return []
    first = None
    for paragraph in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", paragraph, re.M))
        if "Files" in fields and fields.get("License"):
            if "*" in fields["Files"].split():
                return [fields["License"].strip()]
            first = first or fields["License"].strip()
    return [first] if first else []


class DebianLicenses:
    """Absolute path -> (dpkg package, path without the leading /, its copyright's license)."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}
        for listing in sorted(Path("/var/lib/dpkg/info").glob("*.list")):
            package = listing.name[:-len(".list")].split(":", 1)[0]
            try:
                for line in listing.read_text(encoding="utf-8", errors="replace").splitlines():
                    self.owner.setdefault(line, package)
            except OSError:
                continue
        self.cache: dict[str, list[str]] = {}

    def __call__(self, path: str) -> tuple[str, str, list[str]]:
        package = self.owner.get(path)
        if package is None:  # no package lists it
            return "unowned", path.lstrip("/"), []
        if package not in self.cache:
            self.cache[package] = _dep5_license(Path("/usr/share/doc") / package / "copyright")
        return package, path.lstrip("/"), self.cache[package]


def resolver(kind: str, root: Path):  # type: ignore[no-untyped-def]
    """A function rel -> (package, path inside the package, declared licenses) for one tree."""
    if kind == "stdlib":
        return lambda rel: (f"stdlib-{root.name}", rel, ["Python-2.0"])
    if kind == "pypi":
        return PypiLicenses(root)
    if kind == "npm":
        return NpmLicenses(root)
    if kind == "debian":
        debian = _debian()
        return lambda rel: debian(str(root / rel))
    raise ValueError(kind)


@functools.cache
def _debian() -> DebianLicenses:
    return DebianLicenses()


# --- candidates and rows --------------------------------------------------------------------------


def _wanted(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    low = name.lower()
    if "licensedcode/data/" in rel or ".min." in low:
        return False
    return low.endswith(EXTS) or low.startswith(LEGAL_PREFIXES) or name == "copyright"


def list_candidates() -> list[tuple[str, int, str, int]]:
    """Sorted (pool, root index, path relative to the root, size) of every candidate file."""
    out = []
    for pool, kind, roots in pools():
        for i, root in enumerate(roots):
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS
                                     and not (kind == "stdlib" and dirpath == str(root) and d == "site-packages"))
                for name in filenames:
                    rel = os.path.relpath(os.path.join(dirpath, name), root)
                    if not _wanted(rel):
                        continue
                    try:
                        st = os.lstat(os.path.join(dirpath, name))
                    except OSError:
                        continue
                    if 0 < st.st_size <= MAX_FILE_BYTES and (st.st_mode & 0o170000) == 0o100000:
                        out.append((pool, i, rel, st.st_size))
    return sorted(out)


def _minified(text: str) -> bool:
    lines = text.split("\n")
    return max(map(len, lines)) > 1000 or len(text) / len(lines) > 250


def read_text(path: Path) -> tuple[str | None, str]:
    """(text, "") of an eligible file, else (None, why it was left out)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None, "unreadable"
    if not data or len(data) > MAX_FILE_BYTES:
        return None, "size"
    if b"\0" in data:
        return None, "binary"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not_utf8"
    if path.name.lower().endswith(MINIFIABLE) and _minified(text):
        return None, "minified"
    return text, ""


class Rows:
    """The rows of the dataset in order: distinct files first, then repeats (the caller stops)."""

    def __init__(self, candidates: list[tuple[str, int, str, int]]) -> None:
        self.candidates = candidates
        self.roots = {pool: (kind, roots) for pool, kind, roots in pools()}
        self.resolvers: dict[tuple[str, int], object] = {}
        self.skipped: Counter[str] = Counter()
        self.duplicates: list[int] = []  # candidate indexes whose content an earlier row has
        self.distinct: list[int] = []

    def _row(self, index: int) -> dict | None:
        pool, i, rel, _ = self.candidates[index]
        kind, roots = self.roots[pool]
        text, why = read_text(roots[i] / rel)
        if text is None:
            self.skipped[why] += 1
            return None
        key = (pool, i)
        if key not in self.resolvers:
            self.resolvers[key] = resolver(kind, roots[i])
        package, inner, licenses = self.resolvers[key](rel)  # type: ignore[operator]
        data = text.encode("utf-8")
        name = rel.rsplit("/", 1)[-1]
        return {"hexsha": hashlib.sha1(data).hexdigest(), "content": text, "max_stars_repo_licenses": licenses,
                "max_stars_repo_name": f"{pool}/{package}", "max_stars_repo_path": inner, "size": len(data),
                "ext": name.rsplit(".", 1)[1] if "." in name.lstrip(".") else "", "pool": pool}

    def __iter__(self) -> Iterator[tuple[dict, bool]]:
        """(row, is_repeat) pairs; the caller stops when it has enough."""
        order = list(range(len(self.candidates)))
        random.Random(SEED).shuffle(order)
        seen: set[str] = set()
        for index in order:
            row = self._row(index)
            if row is None:
                continue
            if row["hexsha"] in seen:
                self.duplicates.append(index)
                continue
            seen.add(row["hexsha"])
            self.distinct.append(index)
            yield row, False
        log(f"  distinct files ran out: adding {len(self.duplicates):,} duplicate files, then copies")
        for index in self.duplicates:
            row = self._row(index)
            if row is not None:
                yield row, True
        copies, rng, made = list(self.distinct), random.Random(SEED), True
        while copies and made:  # stop if no file can be read any more
            rng.shuffle(copies)
            made = False
            for index in copies:
                row = self._row(index)
                if row is not None:
                    made = True
                    yield row, True


# --- the Parquet files ----------------------------------------------------------------------------


def schema():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return pa.schema([("hexsha", pa.string()), ("content", pa.string()),
                      ("max_stars_repo_licenses", pa.list_(pa.string())), ("max_stars_repo_name", pa.string()),
                      ("max_stars_repo_path", pa.string()), ("size", pa.int64()), ("ext", pa.string())])


class PrefixWriter:
    """One Parquet file taking rows until its text reaches ``limit`` bytes; row groups of ~64 MB."""

    def __init__(self, path: Path, limit: int) -> None:
        import pyarrow.parquet as pq

        self.path, self.limit = path, limit
        self.tmp = path.with_suffix(".tmp")
        self.writer = pq.ParquetWriter(self.tmp, schema(), compression="zstd")
        self.buffer: list[dict] = []
        self.buffered = self.bytes = self.rows = self.repeats = self.row_groups = 0
        self.pools: dict[str, Counter[str]] = {}

    @property
    def full(self) -> bool:
        return self.bytes >= self.limit

    def add(self, row: dict, repeat: bool) -> None:
        self.buffer.append(row)
        self.buffered += row["size"]
        self.bytes += row["size"]
        self.rows += 1
        self.repeats += repeat
        c = self.pools.setdefault(row["pool"], Counter())
        c.update(rows=1, bytes=row["size"], repeats=int(repeat))
        if self.buffered >= ROW_GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.buffer:
            names = schema().names
            table = pa.Table.from_pydict({n: [r[n] for r in self.buffer] for n in names}, schema=schema())
            self.writer.write_table(table, row_group_size=len(self.buffer))
            self.row_groups += 1
        self.buffer, self.buffered = [], 0

    def close(self) -> dict:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)
        return {"file": str(self.path.relative_to(ROOT)), "rows": self.rows, "text_bytes": self.bytes,
                "text_mb": round(self.bytes / MB, 3), "repeat_rows": self.repeats, "row_groups": self.row_groups,
                "parquet_mb": round(self.path.stat().st_size / MB, 3),
                "pools": {p: {"rows": c["rows"], "mb": round(c["bytes"] / MB, 3), "repeat_rows": c["repeats"]}
                          for p, c in sorted(self.pools.items())}}


def size_label(gb: float) -> str:
    return f"{gb:g}gb"


def data_dir(target_gb: float) -> Path:
    return DATA_ROOT / f"target-{size_label(target_gb)}"


def build(target_gb: float, candidates: list[tuple[str, int, str, int]], spec: dict) -> dict:
    """Write the three nested prefixes and the manifest; return the manifest."""
    data = data_dir(target_gb)
    data.mkdir(parents=True, exist_ok=True)
    for old in data.glob("*.parquet"):
        old.unlink()
    sizes = [round(target_gb * f, 6) for f in FRACTIONS]
    writers = [PrefixWriter(data / f"audit-{size_label(gb)}.parquet", int(gb * GB)) for gb in sizes]
    rows = Rows(candidates)
    listing = hashlib.sha1()
    started, done = time.perf_counter(), 0
    for row, repeat in rows:
        if writers[-1].full:
            break
        for w in writers:
            if not w.full:
                w.add(row, repeat)
        listing.update(f"{row['max_stars_repo_name']}\t{row['max_stars_repo_path']}\t{row['hexsha']}\n".encode())
        done += 1
        if done % 20000 == 0:
            log(f"  {done:,} rows, {writers[-1].bytes / MB:,.0f} MB ({time.perf_counter() - started:.0f} s)")
    if not writers[-1].full:
        log("  warning: no readable files: the dataset is short of its target")
    files = {size_label(gb): w.close() for gb, w in zip(sizes, writers)}
    manifest = {"spec": spec, "sizes_gb": sizes, "files": files, "digest": listing.hexdigest(),
                "candidates": len(candidates), "distinct_files_read": len(rows.distinct),
                "duplicate_files_seen": len(rows.duplicates), "left_out": dict(rows.skipped),
                "build_s": round(time.perf_counter() - started, 1)}
    (data / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def dataset(target_gb: float, rebuild: bool) -> dict:
    """The cached dataset's manifest, building it first when missing or out of date."""
    log("Listing candidate files")
    candidates = list_candidates()
    source = hashlib.sha1("\n".join(f"{p}\t{i}\t{r}\t{s}" for p, i, r, s in candidates).encode()).hexdigest()
    spec = {"builder_version": BUILDER_VERSION, "target_gb": target_gb, "seed": SEED, "fractions": list(FRACTIONS),
            "max_file_bytes": MAX_FILE_BYTES, "row_group_bytes": ROW_GROUP_BYTES, "source_digest": source,
            "roots": {p: [str(r) for r in roots] for p, _, roots in pools()}}
    data = data_dir(target_gb)
    try:
        manifest = json.loads((data / "manifest.json").read_text())
    except (OSError, ValueError):
        manifest = None
    if not rebuild and manifest and manifest.get("spec") == spec and all(
            (ROOT / f["file"]).exists() for f in manifest["files"].values()):
        log(f"Reusing the dataset in {data.relative_to(ROOT)} (digest {manifest['digest'][:12]})")
        return {**manifest, "reused": True}
    log(f"Building {target_gb:g} GB of rows from {len(candidates):,} candidate files into {data.relative_to(ROOT)}")
    return {**build(target_gb, candidates, spec), "reused": False}


# --- measuring ------------------------------------------------------------------------------------


class TreePoller(threading.Thread):
    """Every POLL_S: the process tree of ``pid`` (from /proc) and each process's RSS; every
    PSS_EVERY-th poll its PSS (``smaps_rollup``, costlier). Keeps the peaks of the sums, the peak
    of each process, and the RSS sum about every TIMELINE_S seconds (to see whether it grows)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.peak_sum = self.peak_single = self.peak_pss = self.samples = self.max_procs = 0
        self.per_pid: dict[int, int] = {}
        self.cpu_of: dict[int, float] = {}  # CPU seconds of each process at its last sample
        self.timeline: list[tuple[float, float, float]] = []
        self.cpu_s = 0.0

    def run(self) -> None:
        cpu0, t0, next_mark = time.thread_time(), time.perf_counter(), 0.0
        while not self.stop.is_set():
            pids = scan_speed._tree_pids(self.pid)
            rss = {p: scan_speed._rss_bytes(p) for p in pids}
            total = sum(rss.values())
            if self.samples % PSS_EVERY == 0:
                self.peak_pss = max(self.peak_pss, sum(scan_speed._pss_bytes(p) for p in pids))
            for p, r in rss.items():
                self.per_pid[p] = max(self.per_pid.get(p, 0), r)
                self.cpu_of[p] = max(self.cpu_of.get(p, 0.0), _cpu_s(p))
            self.peak_sum, self.peak_single = max(self.peak_sum, total), max(self.peak_single, *rss.values(), 0)
            self.max_procs = max(self.max_procs, sum(1 for r in rss.values() if r))
            now = time.perf_counter() - t0
            if now >= next_mark:
                self.timeline.append((round(now, 1), round(total / MB, 1), round(rss.get(self.pid, 0) / MB, 1)))
                next_mark += TIMELINE_S
            self.samples += 1
            self.stop.wait(POLL_S)
        self.cpu_s = time.thread_time() - cpu0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def measure(cmd: list[str], stdout_path: Path | None = None, stderr_path: Path | None = None) -> dict:
    """Run cmd (after --wait-idle); wall, CPU of it and its reaped workers (wait4), memory."""
    scan_speed.wait_idle(scan_speed.WAIT_IDLE_S[0])
    with open(stdout_path or os.devnull, "wb") as out, open(stderr_path or os.devnull, "wb") as err:
        busy0, start = scan_speed._busy_cpu_s(), time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        poller = TreePoller(proc.pid)
        poller.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C or SIGTERM: take the workers down too
            os.killpg(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            raise
        wall = time.perf_counter() - start
        busy1 = scan_speed._busy_cpu_s()
        poller.stop.set()
        poller.join()
    cpu = usage.ru_utime + usage.ru_stime
    other = max(0.0, busy1 - busy0 - cpu) if busy0 is not None and busy1 is not None else None
    workers = [r for p, r in poller.per_pid.items() if p != proc.pid]
    return {"cmd": cmd, "rc": os.waitstatus_to_exitcode(status), "wall_s": wall, "cpu_user_s": usage.ru_utime,
            "cpu_sys_s": usage.ru_stime, "cpu_s": cpu, "other_cpu_s": other,
            "peak_rss_sum_mb": poller.peak_sum / MB, "peak_rss_single_mb": poller.peak_single / MB,
            "peak_rss_parent_mb": poller.per_pid.get(proc.pid, 0) / MB,
            "peak_rss_workers_mb": sorted((round(r / MB, 1) for r in workers), reverse=True),
            "cpu_parent_s": poller.cpu_of.get(proc.pid, 0.0),
            "cpu_workers_s": sorted((round(c, 1) for p, c in poller.cpu_of.items() if p != proc.pid), reverse=True),
            "peak_pss_sum_mb": poller.peak_pss / MB, "ru_maxrss_mb": usage.ru_maxrss * 1024 / MB,
            "max_processes": poller.max_procs, "rss_samples": poller.samples, "poller_cpu_s": poller.cpu_s,
            "rss_timeline": _thin(poller.timeline)}


def _thin(points: list, keep: int = 120) -> list:
    """At most ``keep`` evenly spread points, the last one included."""
    if len(points) <= keep:
        return points
    step = len(points) / (keep - 1)
    return [points[int(i * step)] for i in range(keep - 1)] + [points[-1]]


def audit_cmd(exe: Path, jobs: int, path: Path, out: Path) -> list[str]:
    return [str(exe), "audit", str(path), "--jobs", str(jobs), "--format", "json", "--no-progress", "-o", str(out)]


def findings(out: Path) -> dict:
    """What the audit reported: enough to show it read and examined every row."""
    try:
        doc = json.loads(out.read_text())
    except (OSError, ValueError) as err:
        return {"error": f"cannot read {out}: {err}"}
    keys = ("layout", "rows_total", "rows_read", "rows_error", "bytes_read", "no_license", "disagreements",
            "exact_duplicates", "near_duplicates", "seconds")
    found = {k: doc.get(k) for k in keys}
    for key in ("licenses", "declared_licenses", "categories"):
        found[f"{key}_top10"] = dict(list((doc.get(key) or {}).items())[:10])
        found[f"{key}_distinct"] = len(doc.get(key) or {})
    found["duplicate_clusters_listed"] = len(doc.get("clusters") or ())
    return found


def startup_file(full: Path) -> Path:
    import pyarrow.parquet as pq

    path = full.parent / f"audit-startup-{STARTUP_ROWS}rows.parquet"
    first = pq.ParquetFile(full).read_row_group(0).slice(0, STARTUP_ROWS)
    pq.write_table(first, path, compression="zstd")
    return path


def measure_size(exe: Path, jobs: int, label: str, entry: dict) -> dict:
    LOGS.mkdir(parents=True, exist_ok=True)
    out, err = LOGS / f"audit-speed-{label}.json", LOGS / f"audit-speed-{label}.err"
    cmd = audit_cmd(exe, jobs, ROOT / entry["file"], out)
    log(f"Auditing {entry['file']} ({entry['rows']:,} rows, {entry['text_mb']:,.1f} MB of text)")
    run = measure(cmd, stderr_path=err)
    scan_speed._check_rc(f"audit {label}", run, err)
    scan_speed._check_quiet(f"the {label} audit", run)
    found = findings(out)
    if found.get("rows_total") != entry["rows"]:
        log(f"  WARNING: the audit reports {found.get('rows_total')} rows, the file has {entry['rows']}")
    wall = run["wall_s"]
    metrics = {"rows": entry["rows"], "text_mb": entry["text_bytes"] / MB, "repeat_rows": entry["repeat_rows"],
               "rows_per_s": entry["rows"] / wall, "mb_per_s": entry["text_bytes"] / MB / wall}
    log(f"  {wall:.1f} s wall, {run['cpu_s']:.1f} CPU-s, {metrics['mb_per_s']:.2f} MB/s, "
        f"peak RSS {run['peak_rss_sum_mb']:.0f} MB")
    return {"label": label, "file": entry["file"], **metrics, "run": run, "audit": found}


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (the slower middle one for an even count), with every
    run's figures beside it: this machine's speed drifts by 10-20% between runs (shared cores), so
    one run can land anywhere in that range."""
    ordered = sorted(runs, key=lambda r: r["run"]["wall_s"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["repeats"] = [{"wall_s": r["run"]["wall_s"], "cpu_s": r["run"]["cpu_s"], "mb_per_s": r["mb_per_s"],
                          "peak_rss_sum_mb": r["run"]["peak_rss_sum_mb"]} for r in runs]
    chosen["mb_per_s_range"] = [ordered[-1]["mb_per_s"], ordered[0]["mb_per_s"]]
    return chosen


def goals(sizes: list[dict]) -> dict:
    largest, smallest = sizes[-1], sizes[0]
    slowest = min(sizes, key=lambda s: s["mb_per_s"])  # the goal holds at every size, not just the largest
    # every run counts for memory, not just the median one
    peak = max(max(r["peak_rss_sum_mb"] for r in s.get("repeats", [s["run"]])) for s in sizes)
    ratio = largest["run"]["peak_rss_sum_mb"] / smallest["run"]["peak_rss_sum_mb"] if len(sizes) > 1 else None
    return {
        "mb_per_s_ge_20": {"target": GOAL_MB_PER_S, "value": slowest["mb_per_s"], "at": slowest["label"],
                           "met": slowest["mb_per_s"] >= GOAL_MB_PER_S},
        "peak_rss_lt_1gb": {"target": GOAL_PEAK_RSS_MB, "value": peak, "met": peak < GOAL_PEAK_RSS_MB},
        "rss_flat": {"target": GOAL_RSS_RATIO, "value": ratio, "between": [smallest["label"], largest["label"]],
                     "met": None if ratio is None else ratio <= GOAL_RSS_RATIO},
    }


def _fmt(v, spec: str = ".2f") -> str:  # type: ignore[no-untyped-def]
    return "-" if v is None else format(v, spec)


def print_table(res: dict) -> None:
    m = res["manifest"]
    log("")
    log(f"Dataset: {m['distinct_files_read']:,} distinct files read of {m['candidates']:,} candidates, "
        f"digest {m['digest'][:12]}{' (reused)' if m.get('reused') else ''}")
    rows = [("size", "rows", "text MB", "repeats", "wall s", "CPU s", "rows/s", "MB/s", "MB/s range", "RSS sum MB",
             "parent MB", "worker MB", "PSS sum MB", "parent CPU s", "other CPU s")]
    for s in res["sizes"]:
        r = s["run"]
        rows.append((s["label"], f"{s['rows']:,}", f"{s['text_mb']:.1f}", f"{s['repeat_rows']:,}",
                     f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}", f"{s['rows_per_s']:.0f}", f"{s['mb_per_s']:.2f}",
                     "-".join(f"{v:.1f}" for v in s.get("mb_per_s_range", [s["mb_per_s"]] * 2)),
                     f"{r['peak_rss_sum_mb']:.0f}", f"{r['peak_rss_parent_mb']:.0f}",
                     _fmt(max(r["peak_rss_workers_mb"], default=None), ".0f"), f"{r['peak_pss_sum_mb']:.0f}",
                     _fmt(r.get("cpu_parent_s"), ".1f"),
                     _fmt(r["other_cpu_s"], ".1f")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        log("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)))
    if res.get("startup"):
        log(f"  start-up ({STARTUP_ROWS} rows): {res['startup']['wall_s']:.2f} s")
    for s in res["sizes"]:
        a = s["audit"]
        log(f"  {s['label']}: {a.get('rows_read')} rows read, {a.get('rows_error')} errors, "
            f"{a.get('exact_duplicates')} exact + {a.get('near_duplicates')} near duplicates, "
            f"{a.get('no_license')} without license; top: "
            + ", ".join(f"{k} {v}" for k, v in list((a.get("licenses_top10") or {}).items())[:5]))
    log("")
    for name, g in res["goals"].items():
        state = "n/a" if g["met"] is None else "MET" if g["met"] else "NOT MET"
        log(f"Goal {name:<18} {state:<8} (value {_fmt(g['value'], '.3f')}, target {g['target']})")
    if res.get("extrapolation"):
        e = res["extrapolation"]
        log(f"Extrapolated: all three sizes of {e['target_gb']:g} GB at {e['mb_per_s']:.2f} MB/s take "
            f"~{e['audit_s'] / 60:.0f} min")


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target-gb", type=float, default=1.0, help="text in the largest file (the others: 1/4, 1/2)")
    p.add_argument("--max-size-gb", type=float, default=None,
                   help="time only the files up to this size (the dataset is still built in full)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the dataset even if the cached one fits")
    p.add_argument("--build-only", action="store_true", help="build the dataset, time nothing")
    p.add_argument("--jobs", type=int, default=2, help="audit worker processes")
    p.add_argument("--creditline", type=Path, default=CREDITLINE, help="the creditline executable")
    p.add_argument("--repeat", type=int, default=3,
                   help="time each size this many times and report the run with the median wall time")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                   help="before each timed run, wait up to this long for other load to stop")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scan_speed.WAIT_IDLE_S[0] = args.wait_idle
    manifest = dataset(args.target_gb, args.rebuild)
    for label, f in manifest["files"].items():
        log(f"  {label}: {f['rows']:,} rows, {f['text_mb']:,.1f} MB text ({f['repeat_rows']:,} repeats), "
            f"{f['parquet_mb']:,.1f} MB Parquet, {f['row_groups']} row groups")
    if args.build_only:
        return 0
    if not args.creditline.exists():
        sys.exit(f"{args.creditline} not found: run `make` (or pass --creditline)")
    chosen = [(label, f) for (label, f), gb in zip(manifest["files"].items(), manifest["sizes_gb"])
              if args.max_size_gb is None or gb <= args.max_size_gb + 1e-9]
    if not chosen:
        sys.exit("--max-size-gb leaves no size to time")
    first = ROOT / manifest["files"][next(iter(manifest["files"]))]["file"]
    log(f"Start-up: audit of {STARTUP_ROWS} rows")
    tiny = startup_file(first)
    startup = measure(audit_cmd(args.creditline, args.jobs, tiny, LOGS / "audit-speed-startup.json"))
    runs: dict[str, list[dict]] = {label: [] for label, _ in chosen}
    for attempt in range(args.repeat):  # rounds over all sizes, so that a slow spell hits them alike
        if args.repeat > 1:
            log(f"Round {attempt + 1} of {args.repeat}")
        for label, f in chosen:
            runs[label].append(measure_size(args.creditline, args.jobs, label, f))
    sizes = [median_run(runs[label]) for label, _ in chosen]
    total_mb = sum(f["text_bytes"] for f in manifest["files"].values()) / MB
    rate = sizes[-1]["mb_per_s"]
    res = {"benchmark": "audit_speed", "argv": sys.argv[1:],
           "machine": {**scan_speed.machine_info(), "creditline": scan_speed.creditline_version(args.creditline)},
           "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
           "manifest": manifest, "startup": startup, "sizes": sizes, "goals": goals(sizes),
           "extrapolation": {"target_gb": args.target_gb, "mb_per_s": rate, "text_mb_all_sizes": total_mb,
                             "audit_s": total_mb / rate,
                             "note": "wall time to audit all three sizes at the rate of the largest size timed"}}
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(res, indent=2) + "\n")
    print_table(res)
    log(f"\nWrote {RESULTS_JSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
