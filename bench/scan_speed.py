"""Scan speed: creditline against ScanCode, side by side on the same tree, in one run.

What is measured
----------------
* The tree: by default 600 real text files picked deterministically (each source pool is listed,
  sorted, then sampled with ``random.Random(42)``) from what every machine of this kind has: the
  Python stdlib, the project venv's site-packages, ``/usr/include`` headers, ``/usr/share/doc``
  (prose and Debian ``copyright`` files) and ``/usr/share/common-licenses``. The mix is about 60%
  source code, 25% prose/docs and 15% license/legal files (shares in PLAN); files over 256 KiB,
  empty files, files with NUL bytes, creditline's own rule corpus (``licensedcode/data``) and
  node's per-platform copies of the OpenSSL headers are left out. The tree is copied anew into ``bench/.work/speed-tree/`` on
  every run and its manifest (with sizes) is written to the results. ``--tree DIR`` scans any
  directory instead.
* ScanCode (in its own venv, ``bench/.work/scancode-venv``, installed by ``--setup`` or when
  missing): one untimed warm-up on a tiny file (so a first-ever index build is not counted), then
  its start-up time (a scan of that tiny file, median of ``--startup-runs``), then
  ``scancode --license --copyright -n JOBS --json OUT --quiet TREE``.
* creditline: ``.venv/bin/creditline scan --format json --jobs JOBS TREE`` (stdout to a file),
  and its warm start: a scan of the tiny file, one warm-up, then the median of ``--warm-runs``.
* For every timed command: wall time, CPU time (user + system, from the ``wait4`` rusage, which
  includes the reaped worker processes), and peak memory polled from ``/proc`` every 50 ms over
  the whole process tree: peak of the RSS sum, peak RSS of the largest single process, and peak
  of the PSS sum (forked workers share copy-on-write pages, which an RSS sum counts again).
* Derived: files/s and MB/s (1 MB = 10^6 bytes) of each tool, including and excluding start-up
  (rate excluding start-up = files / (wall - start-up)), the ratio creditline/ScanCode, the
  files where each tool found at least one license, and agreement of the per-file SPDX
  expression (ScanCode ``files[].detected_license_expression_spdx``, creditline
  ``files[].license``); a sample of disagreements goes to
  ``bench/results/scan_speed_disagreements.jsonl``.
* Goals: ratio >= 100 (judged both including and excluding start-up), creditline warm start
  < 1 s, creditline peak RSS (sum over its processes) < 400 MB.
* Noise: with each timed run, the CPU the rest of the machine used meanwhile (``other_cpu_s``,
  from /proc/stat) and the memory poller's own CPU (``poller_cpu_s``); a warning is printed when
  something else competed for the cores. ``--wait-idle SECONDS`` waits for a quiet machine
  before each timed run.

Results are printed and written to ``bench/results/scan_speed.json``.

Rerun
-----
    .venv/bin/python bench/scan_speed.py --setup           # install ScanCode's venv, warm it up
    .venv/bin/python bench/scan_speed.py                   # full run (~10 min on 2 cores)
    .venv/bin/python bench/scan_speed.py --skip-scancode   # creditline only; ratio vs stored ScanCode
    .venv/bin/python bench/scan_speed.py --tree DIR        # any directory instead of the sampled tree
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work"
RESULTS = REPO / "bench" / "results"
RESULTS_JSON = RESULTS / "scan_speed.json"
DISAGREEMENTS_JSONL = RESULTS / "scan_speed_disagreements.jsonl"
SCANCODE_VENV = WORK / "scancode-venv"
SCANCODE_PIP_ARGS = ["scancode-toolkit", "pluggy<1.6"]  # pluggy 1.6 breaks ScanCode 32.5 imports
DEFAULT_TREE = WORK / "speed-tree"
SEED = 42
MAX_FILE_BYTES = 256 * 1024
MB = 1_000_000
POLL_S = 0.05  # memory poll interval
RESCAN_EVERY = 4  # look for new descendants every 0.2 s (scanning /proc costs ~1.5 ms)
PSS_CHEAP_BYTES = 500 * MB  # PSS every PSS_CHEAP_EVERY-th poll while the tree's RSS is below this ...
PSS_CHEAP_EVERY = 10
PSS_EVERY = 200  # ... else every 10 s (75 ms of CPU per read of ScanCode's 3 x 1.4 GB)
WAIT_IDLE_S = [0.0]  # set from --wait-idle

GOAL_RATIO = 100.0
GOAL_WARM_START_S = 1.0
GOAL_PEAK_RSS_MB = 400.0

TINY_TEXT = (
    "# SPDX-License-Identifier: MIT\n"
    "# Copyright (c) 2024 Example Authors\n"
    "def hello():\n"
    "    return 'hello'\n"
)

# (category, pool, share of the tree); what each pool holds is in _pool_files().
PLAN = [
    ("source", "stdlib-py", 0.22),
    ("source", "site-packages-code", 0.20),
    ("source", "usr-include-h", 0.18),
    ("prose", "site-packages-docs", 0.07),
    ("prose", "stdlib-docs", 0.06),
    ("prose", "usr-share-doc", 0.12),
    ("legal", "debian-copyright", 0.10),
    ("legal", "common-licenses", 0.02),
    ("legal", "python-legal", 0.03),
]

LEGAL_PREFIXES = ("license", "licence", "copying", "notice")
DOC_NAMES = ("authors", "thanks", "todo", "news", "bugs", "changes", "credits")
DOC_SUFFIXES = (".md", ".rst", ".txt", ".markdown")


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# ScanCode's venv


def scancode_bin(venv: Path) -> Path:
    return venv / "bin" / "scancode"


def scancode_version(exe: Path) -> str | None:
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    for line in out.stdout.splitlines():
        if line.startswith("ScanCode version:"):
            return line.split(":", 1)[1].strip()
    return out.stdout.strip() or None


def setup_scancode(venv: Path) -> str:
    """Create ScanCode's own venv when missing or broken; return its version."""
    version = scancode_version(scancode_bin(venv))
    if version:
        log(f"[setup] ScanCode {version} already installed in {venv}")
        return version
    log(f"[setup] creating venv {venv} (ScanCode is kept out of the project's venv)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    log("[setup] upgrading pip")
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    log(f"[setup] pip install {' '.join(SCANCODE_PIP_ARGS)} (about a minute)")
    subprocess.run(pip + ["install", *SCANCODE_PIP_ARGS], check=True)
    version = scancode_version(scancode_bin(venv))
    if not version:
        sys.exit(f"[setup] `{scancode_bin(venv)} --version` fails after install; see pip output")
    log(f"[setup] ScanCode {version} ready")
    return version


# ---------------------------------------------------------------------------------------------
# The tree


def _is_text(path: Path) -> bool:
    try:
        size = path.stat().st_size
        if not 0 < size <= MAX_FILE_BYTES:
            return False
        with path.open("rb") as fh:
            return b"\0" not in fh.read(8192)
    except OSError:
        return False


def _walk(base: Path, keep) -> list[tuple[Path, str]]:
    """Sorted (base, relative path) of regular text files under base accepted by keep(rel)."""
    found = []
    if not base.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), base)
            if keep(rel) and _is_text(base / rel):
                found.append((base, rel))
    return sorted(found, key=lambda item: item[1])


def _is_legal_name(name: str) -> bool:
    return name.lower().startswith(LEGAL_PREFIXES)


def _is_doc_name(rel: str) -> bool:
    name = os.path.basename(rel)
    low = name.lower()
    if _is_legal_name(name) or "/licensedcode/data/" in f"/{rel}":
        return False
    if ".dist-info/" in rel and low.endswith(".txt"):  # entry_points.txt, top_level.txt
        return False
    return (name == "METADATA" or low.startswith("readme") or low.endswith(DOC_SUFFIXES)
            or low in DOC_NAMES)


def _stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _site_packages() -> Path:
    venv_python = REPO / ".venv" / "bin" / "python"
    if venv_python.exists():
        out = subprocess.run(
            [str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=False)
        if out.returncode == 0:
            return Path(out.stdout.strip())
    return Path(sysconfig.get_paths()["purelib"])


def _not_in_site_packages(rel: str) -> bool:
    return not rel.startswith("site-packages/")


def _pool_files(pool: str) -> list[tuple[Path, str]]:
    stdlib, site = _stdlib_dir(), _site_packages()
    no_rules = lambda rel: "licensedcode/data/" not in rel  # noqa: E731 (creditline's rule corpus)
    if pool == "stdlib-py":
        return _walk(stdlib, lambda r: r.endswith(".py") and _not_in_site_packages(r))
    if pool == "site-packages-code":
        return _walk(site, lambda r: r.endswith((".py", ".js")) and no_rules(r))
    if pool == "usr-include-h":
        # node/openssl/archs holds ~2,000 per-platform copies of the same OpenSSL headers
        return _walk(Path("/usr/include"), lambda r: r.endswith(".h")
                     and not r.startswith("node/openssl/archs/"))
    if pool == "site-packages-docs":
        return _walk(site, _is_doc_name)
    if pool == "stdlib-docs":
        return _walk(stdlib, lambda r: _not_in_site_packages(r) and _is_doc_name(r))
    if pool == "usr-share-doc":
        return _walk(Path("/usr/share/doc"), lambda r: "/" in r and _is_doc_name(r))
    if pool == "debian-copyright":
        return _walk(Path("/usr/share/doc"), lambda r: r.count("/") == 1
                     and r.endswith("/copyright"))
    if pool == "common-licenses":
        return _walk(Path("/usr/share/common-licenses"), lambda r: True)
    if pool == "python-legal":
        stdlib_legal = _walk(stdlib, lambda r: _not_in_site_packages(r)
                             and _is_legal_name(os.path.basename(r)))
        site_legal = _walk(site, lambda r: no_rules(r) and _is_legal_name(os.path.basename(r)))
        return stdlib_legal + site_legal
    raise ValueError(pool)


def _dedupe(files: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """Keep one path per real file, preferring the non-symlink (GPL-3 over GPL -> GPL-3)."""
    seen, out = set(), []
    for base, rel in sorted(files, key=lambda f: (os.path.islink(f[0] / f[1]), f[1])):
        real = os.path.realpath(base / rel)
        if real not in seen:
            seen.add(real)
            out.append((base, rel))
    return sorted(out, key=lambda f: (str(f[0]), f[1]))


def _plan_counts(n_files: int) -> list[int]:
    counts = [round(n_files * share) for _, _, share in PLAN]
    counts[0] += n_files - sum(counts)
    return counts


def select_tree(n_files: int, seed: int = SEED) -> list[dict]:
    """The deterministic manifest: one entry per file, sorted by its path in the tree."""
    rng = random.Random(seed)
    manifest = []
    for (category, pool, _), want in zip(PLAN, _plan_counts(n_files)):
        files = _dedupe(_pool_files(pool))
        if len(files) < want:
            log(f"  warning: pool {pool} has {len(files)} files, wanted {want}")
        for base, rel in rng.sample(files, min(want, len(files))):
            src = base / rel
            manifest.append({"path": f"{pool}/{rel}", "category": category, "pool": pool,
                             "size": src.stat().st_size, "source": str(src)})
    return sorted(manifest, key=lambda e: e["path"])


def build_tree(manifest: list[dict], dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for entry in manifest:
        target = dest / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry["source"], target)


def manifest_of_dir(tree: Path) -> list[dict]:
    entries = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                entries.append({"path": os.path.relpath(path, tree), "category": None,
                                "pool": None, "size": path.stat().st_size, "source": str(path)})
    return entries


def tree_stats(manifest: list[dict]) -> dict:
    by_cat: dict[str, dict] = {}
    for e in manifest:
        slot = by_cat.setdefault(str(e["category"]), {"files": 0, "bytes": 0})
        slot["files"] += 1
        slot["bytes"] += e["size"]
    listing = "\n".join(f"{e['path']}\t{e['size']}" for e in manifest)
    return {"files": len(manifest), "bytes": sum(e["size"] for e in manifest),
            "by_category": by_cat, "digest": hashlib.sha1(listing.encode()).hexdigest()}


# ---------------------------------------------------------------------------------------------
# Measuring one command


def _ppid_map() -> dict[int, int]:
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(name)] = int(fields[1])
    return parents


def _tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in _ppid_map().items():
        children.setdefault(ppid, []).append(pid)
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, ()))
    return pids


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _pss_bytes(pid: int) -> int:
    """Proportional set size: shared (e.g. copy-on-write after fork) pages split among sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


class RssPoller(threading.Thread):
    """Polls the RSS of a process and all its descendants every 50 ms; keeps the peaks.

    Kept cheap because it shares the cores with what it measures: the process tree is re-read
    from /proc every RESCAN_EVERY-th poll; PSS is read every PSS_CHEAP_EVERY-th poll while the
    tree's RSS is small, above PSS_CHEAP_BYTES only every PSS_EVERY-th poll
    (``smaps_rollup`` walks the page tables: ~75 ms of CPU for ScanCode's three processes).
    ``cpu_s`` is the poller's own CPU time, reported with each measurement.
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.peak_sum = self.peak_single = self.peak_pss = self.samples = self.max_procs = 0
        self.cpu_s = 0.0

    def run(self) -> None:
        start = time.thread_time()
        while not self.stop.is_set():
            if self.samples % RESCAN_EVERY == 0:
                pids = _tree_pids(self.pid)  # scanning /proc costs ~1.5 ms
            rss = [_rss_bytes(p) for p in pids]
            every = PSS_CHEAP_EVERY if sum(rss) < PSS_CHEAP_BYTES else PSS_EVERY
            if self.samples % every == 0:
                self.peak_pss = max(self.peak_pss, sum(_pss_bytes(p) for p in pids))
            self.peak_sum = max(self.peak_sum, sum(rss))
            self.peak_single = max(self.peak_single, max(rss, default=0))
            self.max_procs = max(self.max_procs, sum(1 for r in rss if r))
            self.samples += 1
            self.stop.wait(POLL_S)
        self.cpu_s = time.thread_time() - start


def _busy_cpu_s() -> float | None:
    """CPU-seconds the whole machine has spent not idle since boot (from /proc/stat)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_idle(max_wait_s: float) -> None:
    """Before a timed run: wait (at most max_wait_s) until the machine is using < 0.25 cores."""
    deadline, told = time.monotonic() + max_wait_s, False
    while time.monotonic() < deadline:
        before = _busy_cpu_s()
        time.sleep(1.0)
        after = _busy_cpu_s()
        if before is None or after is None or after - before < 0.25:
            return
        if not told:
            log(f"  waiting up to {max_wait_s:.0f} s for the machine to go quiet "
                f"({after - before:.2f} cores busy)")
            told = True
    if told:
        log("  still busy: timing anyway")


def measure(cmd: list[str], stdout_path: Path | None = None, stderr_path: Path | None = None,
            env: dict | None = None) -> dict:
    """Time one command (after waiting for a quiet machine when --wait-idle asks for it)."""
    wait_idle(WAIT_IDLE_S[0])
    return _measure(cmd, stdout_path, stderr_path, env)


def _measure(cmd: list[str], stdout_path: Path | None, stderr_path: Path | None,
             env: dict | None) -> dict:
    """Run cmd; return wall, CPU (rusage of it and its reaped descendants) and peak RSS.

    ``other_cpu_s`` is the CPU the rest of the machine used meanwhile (this script's poller
    included): well above zero means something else competed for the cores and the timing is
    not clean.
    """
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
    try:
        busy0 = _busy_cpu_s()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, start_new_session=True)
        poller = RssPoller(proc.pid)
        poller.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C or SIGTERM: take the tool's worker processes down too
            os.killpg(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        busy1 = _busy_cpu_s()
        poller.stop.set()
        poller.join()
    finally:
        for fh in (out, err):
            if fh is not subprocess.DEVNULL:
                fh.close()
    cpu = usage.ru_utime + usage.ru_stime
    other = max(0.0, busy1 - busy0 - cpu) if busy0 is not None and busy1 is not None else None
    return {"cmd": cmd, "rc": proc.returncode, "wall_s": wall,
            "cpu_user_s": usage.ru_utime, "cpu_sys_s": usage.ru_stime, "cpu_s": cpu,
            "other_cpu_s": other,
            "peak_rss_sum_mb": poller.peak_sum / MB, "peak_rss_single_mb": poller.peak_single / MB,
            "peak_pss_sum_mb": poller.peak_pss / MB,
            "ru_maxrss_mb": usage.ru_maxrss * 1024 / MB, "max_processes": poller.max_procs,
            "rss_samples": poller.samples, "poller_cpu_s": poller.cpu_s}


def median_of(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    return {"median_wall_s": statistics.median(walls), "walls_s": walls,
            "peak_rss_sum_mb": max(r["peak_rss_sum_mb"] for r in runs),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs)}


def _check_quiet(name: str, run: dict) -> None:
    """Warn when other processes took a noticeable share of the cores during a timed run."""
    other, cores = run.get("other_cpu_s"), len(os.sched_getaffinity(0))
    if other is not None and other > max(0.5, 0.05 * run["wall_s"] * cores):
        log(f"  WARNING: other processes used {other:.1f} CPU-s during {name} "
            f"({run['wall_s']:.1f} s wall on {cores} cores): timing is contended")


def _check_rc(name: str, run: dict, stderr_path: Path) -> None:
    if run["rc"] != 0:
        tail = stderr_path.read_text(errors="replace")[-2000:] if stderr_path.exists() else ""
        log(f"  warning: {name} exited {run['rc']}; stderr tail:\n{tail}")


# ---------------------------------------------------------------------------------------------
# The two tools


def tiny_file() -> Path:
    path = WORK / "tiny" / "tiny.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TINY_TEXT)
    return path


def scancode_cmd(exe: Path, jobs: int, out: Path, target: Path) -> list[str]:
    return [str(exe), "--license", "--copyright", "-n", str(jobs), "--json", str(out), "--quiet",
            str(target)]


def run_scancode(exe: Path, tree: Path, jobs: int, startup_runs: int) -> dict:
    tiny, logs = tiny_file(), WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    tiny_out = WORK / "scancode-tiny.json"
    log("ScanCode: warm-up on a tiny file (builds its license index the first time)")
    warm = measure(scancode_cmd(exe, jobs, tiny_out, tiny), stderr_path=logs / "scancode-warm.err")
    _check_rc("scancode warm-up", warm, logs / "scancode-warm.err")
    log(f"  warm-up {warm['wall_s']:.1f} s")
    starts = []
    for i in range(startup_runs):
        starts.append(measure(scancode_cmd(exe, jobs, tiny_out, tiny)))
        log(f"  start-up run {i + 1}: {starts[-1]['wall_s']:.1f} s")
    out = WORK / "scancode.json"
    log(f"ScanCode: scanning {tree} with -n {jobs}")
    main = measure(scancode_cmd(exe, jobs, out, tree), stderr_path=logs / "scancode.err")
    _check_rc("scancode", main, logs / "scancode.err")
    _check_quiet("the ScanCode scan", main)
    log(f"  {main['wall_s']:.1f} s wall, {main['cpu_s']:.1f} CPU-s")
    return {"version": scancode_version(exe), "command": scancode_cmd(exe, jobs, out, tree),
            "first_run": warm, "startup": median_of(starts), "run": main, "output": str(out)}


def creditline_version(exe: Path) -> str | None:
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.strip().splitlines() if out.returncode == 0 else []
    return "; ".join(lines[:2]) or None  # "creditline X; licensedcode-data Y"


def creditline_cmd(exe: Path, jobs: int, target: Path) -> list[str]:
    return [str(exe), "scan", "--format", "json", "--jobs", str(jobs), str(target)]


def run_creditline(exe: Path, tree: Path, jobs: int, warm_runs: int) -> dict:
    tiny, logs = tiny_file(), WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log("creditline: warm start on a tiny file")
    measure(creditline_cmd(exe, jobs, tiny), stderr_path=logs / "creditline-warm.err")
    warms = []
    for i in range(warm_runs):
        warms.append(measure(creditline_cmd(exe, jobs, tiny), stderr_path=logs / "creditline-warm.err"))
        log(f"  warm start run {i + 1}: {warms[-1]['wall_s']:.3f} s")
    _check_rc("creditline warm start", warms[-1], logs / "creditline-warm.err")
    out = WORK / "creditline.json"
    log(f"creditline: scanning {tree} with --jobs {jobs}")
    main = measure(creditline_cmd(exe, jobs, tree), stdout_path=out,
                   stderr_path=logs / "creditline.err")
    _check_rc("creditline", main, logs / "creditline.err")
    _check_quiet("the creditline scan", main)
    log(f"  {main['wall_s']:.2f} s wall, {main['cpu_s']:.2f} CPU-s")
    return {"version": creditline_version(exe), "command": creditline_cmd(exe, jobs, tree),
            "startup": median_of(warms), "run": main, "output": str(out)}


# ---------------------------------------------------------------------------------------------
# Reading the outputs and comparing them


def _tree_key(path: str, tree: Path, known: set[str]) -> str:
    if os.path.isabs(path):
        path = os.path.relpath(path, tree)
    path = path.replace("\\", "/")
    if path in known:
        return path
    head, _, rest = path.partition("/")
    return rest if head == tree.name and rest else path


def load_scancode(out: Path, tree: Path, known: set[str]) -> dict[str, dict]:
    data = json.loads(out.read_text())
    found = {}
    for f in data.get("files", []):
        if f.get("type") != "file":
            continue
        found[_tree_key(f["path"], tree, known)] = {
            "license": f.get("detected_license_expression_spdx") or None,
            "copyrights": len(f.get("copyrights") or ()), "errors": len(f.get("scan_errors") or ())}
    return found


def load_creditline(out: Path, tree: Path, known: set[str]) -> tuple[dict[str, dict], list]:
    """Per-file findings, and the items creditline skipped (binary, unreadable, ...)."""
    data = json.loads(out.read_text())
    found = {}
    for f in data.get("files", []):
        found[_tree_key(f["path"], tree, known)] = {
            "license": f.get("license") or None, "copyrights": len(f.get("copyrights") or ()),
            "errors": 0}
    return found, list(data.get("skipped") or ())


def _parse(expr: str | None):
    """(normalised expression, set of license ids), both lower-case; (None, set()) for none."""
    if not expr:
        return None, set()
    try:
        from license_expression import Licensing
        licensing = Licensing()
        parsed = licensing.parse(expr).simplify()
        return str(parsed).lower(), {k.lower() for k in licensing.license_keys(parsed)}
    except Exception:  # any parse failure: compare the text
        text = " ".join(expr.split()).lower()
        return text, {text}


def tool_counts(found: dict[str, dict]) -> dict:
    return {"files_reported": len(found),
            "license_files": sum(1 for v in found.values() if v["license"]),
            "copyright_files": sum(1 for v in found.values() if v["copyrights"]),
            "files_with_errors": sum(1 for v in found.values() if v["errors"])}


def compare(sc: dict[str, dict], cl: dict[str, dict], manifest: list[dict],
            sample: int) -> tuple[dict, list[dict]]:
    """Per-file agreement on the SPDX expression (after simplification) and on the set of ids."""
    pools = {e["path"]: e["pool"] for e in manifest}
    counts = {"agree": 0, "differ": 0, "scancode_only": 0, "creditline_only": 0, "neither": 0,
              "same_license_ids": 0}
    ids = {"scancode": 0, "creditline": 0, "both": 0}
    rows = []
    for path in sorted(pools):
        a, b = sc.get(path, {}).get("license"), cl.get(path, {}).get("license")
        (na, ka), (nb, kb) = _parse(a), _parse(b)
        kind = ("neither" if not (na or nb) else "agree" if na == nb else
                "scancode_only" if not nb else "creditline_only" if not na else "differ")
        counts[kind] += 1
        counts["same_license_ids"] += bool(ka or kb) and ka == kb
        ids["scancode"] += len(ka)
        ids["creditline"] += len(kb)
        ids["both"] += len(ka & kb)
        if kind not in ("agree", "neither"):
            rows.append({"path": path, "pool": pools[path], "kind": kind, "scancode": a,
                         "creditline": b, "ids_only_scancode": sorted(ka - kb),
                         "ids_only_creditline": sorted(kb - ka)})
    either = len(pools) - counts["neither"]
    counts["files_with_any_license"] = either
    counts["agreement_on_licensed"] = counts["agree"] / either if either else None
    counts["same_ids_on_licensed"] = counts["same_license_ids"] / either if either else None
    counts["agreement_all_files"] = (counts["agree"] + counts["neither"]) / len(pools) if pools else None
    counts["ids_found_by_both"] = ids
    counts["share_of_scancode_ids_creditline_found"] = (ids["both"] / ids["scancode"]
                                                        if ids["scancode"] else None)
    counts["disagreements_listed"] = min(len(rows), sample)
    if len(rows) > sample:
        rows = sorted(random.Random(SEED).sample(rows, sample), key=lambda r: r["path"])
    return counts, rows


# ---------------------------------------------------------------------------------------------
# Rates, goals, report


def rates(n_files: int, n_bytes: int, wall: float, startup: float) -> dict:
    busy = wall - startup
    return {"files_per_s": n_files / wall, "mb_per_s": n_bytes / MB / wall,
            "files_per_s_excl_startup": n_files / busy if busy > 0 else None,
            "mb_per_s_excl_startup": n_bytes / MB / busy if busy > 0 else None,
            "startup_s": startup, "wall_s": wall}


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def machine_info() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB
    except (ValueError, OSError):
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": model, "memory_mb": mem,
            "platform": platform.platform(), "python": platform.python_version(),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def load_stored_scancode() -> dict | None:
    try:
        stored = json.loads(RESULTS_JSON.read_text())
    except (OSError, ValueError):
        return None
    sc = stored.get("scancode")
    if not sc or "run" not in sc:
        return None
    sc = dict(sc)
    sc.setdefault("stored_from", {"date": stored.get("machine", {}).get("date"),
                                  "tree_digest": stored.get("tree", {}).get("digest")})
    return sc


def goals(cl: dict, ratios: dict) -> dict:
    warm = cl["startup"]["median_wall_s"]
    rss = cl["run"]["peak_rss_sum_mb"]
    r_in, r_ex = ratios.get("files_per_s"), ratios.get("files_per_s_excl_startup")
    return {"ratio_ge_100_incl_startup": {"target": GOAL_RATIO, "value": r_in,
                                          "met": bool(r_in and r_in >= GOAL_RATIO)},
            "ratio_ge_100_excl_startup": {"target": GOAL_RATIO, "value": r_ex,
                                          "met": bool(r_ex and r_ex >= GOAL_RATIO)},
            "warm_start_lt_1s": {"target": GOAL_WARM_START_S, "value": warm,
                                 "met": warm < GOAL_WARM_START_S},
            "peak_rss_lt_400mb": {"target": GOAL_PEAK_RSS_MB, "value": rss,
                                  "met": rss < GOAL_PEAK_RSS_MB}}


def _fmt(v, spec: str = ".2f") -> str:
    return "-" if v is None else format(v, spec)


def print_table(res: dict) -> None:
    t, sc, cl = res["tree"], res.get("scancode"), res.get("creditline")
    log("")
    log(f"Tree: {t['files']} files, {t['bytes'] / MB:.2f} MB ({t['path']})")
    for cat, s in sorted(t["by_category"].items()):
        log(f"  {cat:<8} {s['files']:>5} files {s['bytes'] / MB:>7.2f} MB")
    label = "ScanCode" + (" (STORED)" if sc and sc.get("stored_from") else "")
    rows = [("", label, "creditline")]

    def row(name, key, spec=".2f", section="rates"):
        rows.append((name, _fmt(sc and sc[section].get(key), spec),
                     _fmt(cl and cl[section].get(key), spec)))

    row("wall s", "wall_s")
    row("start-up s", "startup_s", ".3f")
    row("files/s", "files_per_s", ".1f")
    row("MB/s", "mb_per_s", ".3f")
    row("files/s excl start-up", "files_per_s_excl_startup", ".1f")
    row("MB/s excl start-up", "mb_per_s_excl_startup", ".3f")
    for name, key in (("CPU s", "cpu_s"), ("peak RSS sum MB", "peak_rss_sum_mb"),
                      ("peak RSS single MB", "peak_rss_single_mb"),
                      ("peak PSS sum MB", "peak_pss_sum_mb"),
                      ("other procs' CPU s", "other_cpu_s")):
        rows.append((name, _fmt(sc and sc["run"].get(key), ".1f"),
                     _fmt(cl and cl["run"].get(key), ".1f")))
    for name, key in (("files with license", "license_files"),
                      ("files with copyright", "copyright_files")):
        rows.append((name, _fmt(sc and sc.get("counts", {}).get(key), "d"),
                     _fmt(cl and cl.get("counts", {}).get(key), "d")))
    log("")
    for name, a, b in rows:
        log(f"  {name:<24} {a:>16} {b:>16}")
    if sc and sc.get("cpu_s_per_license_file"):
        log(f"  ScanCode CPU-s per license-bearing file: {sc['cpu_s_per_license_file']:.2f}")
    log("")
    r = res.get("ratios", {})
    log(f"Throughput ratio creditline/ScanCode: {_fmt(r.get('files_per_s'), '.1f')}x including "
        f"start-up, {_fmt(r.get('files_per_s_excl_startup'), '.1f')}x excluding"
        + (f"  [ScanCode figures {r.get('scancode_source')}]" if sc and sc.get("stored_from") else ""))
    if res.get("agreement"):
        a = res["agreement"]
        log(f"License agreement: {a['agree']} agree, {a['differ']} differ, {a['scancode_only']} "
            f"ScanCode only, {a['creditline_only']} creditline only; "
            f"{_fmt(a['agreement_on_licensed'], '.1%')} of files with any license")
        log(f"  same set of license ids: {_fmt(a['same_ids_on_licensed'], '.1%')} of those files; "
            f"creditline found {_fmt(a['share_of_scancode_ids_creditline_found'], '.1%')} of "
            f"ScanCode's per-file license ids")
    for name, g in res.get("goals", {}).items():
        log(f"Goal {name:<28} {'MET' if g['met'] else 'NOT MET':<8} "
            f"(value {_fmt(g['value'], '.3f')}, target {g['target']})")


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--setup", action="store_true",
                   help="install ScanCode's venv if missing, warm it up, then exit")
    p.add_argument("--skip-scancode", action="store_true",
                   help="time creditline only; compare with the stored ScanCode figures")
    p.add_argument("--tree", type=Path, help="scan this directory instead of the sampled tree")
    p.add_argument("--files", type=int, default=600, help="files in the sampled tree (>= 500)")
    p.add_argument("--jobs", type=int, default=2, help="processes for each tool")
    p.add_argument("--startup-runs", type=int, default=2, help="timed ScanCode start-up runs")
    p.add_argument("--warm-runs", type=int, default=3, help="timed creditline warm starts")
    p.add_argument("--scancode-venv", type=Path, default=SCANCODE_VENV)
    p.add_argument("--creditline", type=Path, default=REPO / ".venv" / "bin" / "creditline",
                   help="the creditline executable")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                   help="before each timed run, wait up to this long for other load to stop")
    p.add_argument("--disagreements", type=int, default=200, help="sample size written")
    return p.parse_args(argv)


def prepare_tree(args: argparse.Namespace) -> tuple[Path, list[dict]]:
    if args.tree:
        tree = args.tree.resolve()
        return tree, manifest_of_dir(tree)
    if args.files < 500:
        log(f"  warning: --files {args.files} is below the 500 the benchmark is specified for")
    log(f"Selecting {args.files} files (seed {SEED}) and copying them to {DEFAULT_TREE}")
    manifest = select_tree(args.files)
    build_tree(manifest, DEFAULT_TREE)
    return DEFAULT_TREE, manifest


def scancode_section(args, tree: Path, stats: dict) -> dict | None:
    if args.skip_scancode:
        sc = load_stored_scancode()
        if sc is None:
            log("No stored ScanCode figures in bench/results/scan_speed.json: no ratio")
        else:
            sc["stored_from"]["same_tree"] = sc["stored_from"].get("tree_digest") == stats["digest"]
            if not sc["stored_from"]["same_tree"]:
                log("  warning: the stored ScanCode figures were measured on a different tree")
        return sc
    setup_scancode(args.scancode_venv)
    sc = run_scancode(scancode_bin(args.scancode_venv), tree, args.jobs, args.startup_runs)
    sc["rates"] = rates(stats["files"], stats["bytes"], sc["run"]["wall_s"],
                        sc["startup"]["median_wall_s"])
    sc["tree_digest"] = stats["digest"]
    return sc


def creditline_section(args, tree: Path, stats: dict) -> dict:
    exe = args.creditline
    if not exe.exists():
        sys.exit(f"{exe} not found: run `make` (or pass --creditline)")
    cl = run_creditline(exe, tree, args.jobs, args.warm_runs)
    cl["rates"] = rates(stats["files"], stats["bytes"], cl["run"]["wall_s"],
                        cl["startup"]["median_wall_s"])
    return cl


def _check_coverage(tool: str, accounted: int, n_files: int) -> None:
    """Rates divide by the tree's file count: warn when a tool left files out (.gitignore?)."""
    if accounted < n_files:
        log(f"  WARNING: {tool} reported {accounted} of the tree's {n_files} files "
            "(ignored files?): its files/s is overstated")


def add_counts(sc: dict | None, cl: dict, tree: Path, manifest: list[dict],
               sample: int) -> dict | None:
    known = {e["path"] for e in manifest}
    cl_found, skipped = load_creditline(Path(cl["output"]), tree, known)
    cl["counts"] = tool_counts(cl_found)
    cl["counts"]["skipped"] = len(skipped)
    cl["skipped"] = skipped[:50]
    _check_coverage("creditline", cl["counts"]["files_reported"] + len(skipped), len(known))
    sc_out = Path(sc["output"]) if sc and sc.get("output") else None
    if not (sc_out and sc_out.exists()):
        return None
    if sc.get("stored_from") and sc.get("tree_digest") != tree_stats(manifest)["digest"]:
        return None
    sc_found = load_scancode(sc_out, tree, known)
    sc["counts"] = tool_counts(sc_found)
    _check_coverage("ScanCode", sc["counts"]["files_reported"], len(known))
    if sc["counts"]["license_files"]:
        sc["cpu_s_per_license_file"] = sc["run"]["cpu_s"] / sc["counts"]["license_files"]
    agreement, rows = compare(sc_found, cl_found, manifest, sample)
    DISAGREEMENTS_JSONL.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return agreement


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    WAIT_IDLE_S[0] = args.wait_idle
    if args.setup:
        setup_scancode(args.scancode_venv)
        exe = scancode_bin(args.scancode_venv)
        log("[setup] warm-up scan (builds ScanCode's license index on its first run)")
        warm = measure(scancode_cmd(exe, args.jobs, WORK / "scancode-tiny.json", tiny_file()))
        log(f"[setup] warm-up took {warm['wall_s']:.1f} s (rc {warm['rc']})")
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    tree, manifest = prepare_tree(args)
    stats = tree_stats(manifest)
    log(f"Tree: {stats['files']} files, {stats['bytes'] / MB:.2f} MB, digest {stats['digest'][:12]}")
    sc = scancode_section(args, tree, stats)
    cl = creditline_section(args, tree, stats)
    agreement = add_counts(sc, cl, tree, manifest, args.disagreements)
    ratios = {}
    if sc:
        for key in ("files_per_s", "mb_per_s", "files_per_s_excl_startup",
                    "mb_per_s_excl_startup"):
            ratios[key] = ratio(cl["rates"][key], sc["rates"][key])
        stored = sc.get("stored_from")
        ratios["scancode_source"] = ("measured in this run" if not stored else
                                     f"stored, measured {stored.get('date')} on "
                                     f"{'the same' if stored.get('same_tree') else 'ANOTHER'} tree")
    res = {"benchmark": "scan_speed", "argv": sys.argv[1:], "machine": machine_info(),
           "tree": {"path": str(tree), **stats, "manifest": manifest},
           "scancode": sc, "creditline": cl, "ratios": ratios, "agreement": agreement,
           "goals": goals(cl, ratios)}
    RESULTS_JSON.write_text(json.dumps(res, indent=2) + "\n")
    print_table(res)
    log(f"\nWrote {RESULTS_JSON.relative_to(REPO)}"
        + (f" and {DISAGREEMENTS_JSONL.relative_to(REPO)}" if agreement else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
