"""The peers creditline's trace benchmarks compare against: copydetect and Dolos.

Both are installed outside the project's venv, under ``bench/.work/`` (git-ignored), from their
registries and nothing else, and run in their own processes:

    copydetect 0.5.0  PyPI, in ``bench/.work/copydetect-venv``; driven through its Python API
                      by ``bench/peers_copydetect.py`` under that venv's interpreter.
    Dolos 3.5.1       npm ``@dodona/dolos-lib`` (the library; Dolos's CLI package is not on the
                      registry), in ``bench/.work/dolos``; driven by ``bench/peers_dolos.mjs``.
                      Needs Node >= 18; ``npm install`` builds its tree-sitter parsers with
                      node-gyp (g++, make, python3 and Node's headers, ``/usr/include/node``
                      here): 3 min of CPU, 3-8 min on a busy 2-core machine.

Setup (idempotent: a working install is reused, a missing or broken one is made again)
    setup_copydetect() -> version      setup_dolos() -> version
    setup_peers() -> {peer: version}   installed() -> {peer: version or None}, installs nothing
    Each raises PeerSetupError, with the installer's last lines and what to check, when the
    registry cannot be reached or the build fails.

Scores of given pairs
    pairwise(peer, files, pairs=None, *, language="java") -> PeerRun
        All of ``files`` go into one run of the peer (Dolos: one analysis in ``language``);
        ``pairs`` (default: every unordered pair of ``files``) are scored. ``run.scores`` maps
        (a, b) to the peer's similarity of the pair:
            copydetect  max(share of a's tokens found in b, share of b's found in a): the CLI run
                        on files that are test and reference alike flags a pair when either
                        direction is above its display threshold;
            Dolos       its ``similarity``: (covered_a + covered_b) / (k-grams_a + k-grams_b).
        ``run.detail[(a, b)]`` has every figure the peer gave (copydetect: sim_a, sim_b,
        tokens; Dolos: similarity, longest, overlap, cover_a, cover_b).

Which corpus files does each output copy?
    which_sources(outputs, corpus_files, threshold=None, *, peers=PEERS, dolos_score="similarity")
        -> {peer: Sources}
    Every output is scored against every corpus file and a corpus file is predicted when its
    score passes the peer's threshold (``threshold``: None for the defaults below, one float for
    both peers, or {peer: float}):
        copydetect  its own detector (``CopyDetector``, outputs as test files, corpus as
                    reference files, default parameters); score = share of the output's tokens
                    found in that corpus file; predicted when score > 0.33, copydetect's default
                    display threshold (``copydetect.defaults.DISPLAY_THRESHOLD``), the rule its
                    report uses.
        Dolos       one analysis per language (by extension; files without a Dolos parser, .md
                    and .txt included, go to its "char" tokenizer), every (output, corpus file)
                    pair of a group scored; pairs in different groups score 0. score = Dolos's
                    similarity (``dolos_score="cover"``: share of the output's k-grams shared
                    with that file instead); predicted when score >= 0.75, the initial
                    similarity cut-off of Dolos's web UI (its automatic cut-off looks for a
                    minimum between 0.6 and 0.85, centred on 0.75). Dolos documents no threshold
                    for its library or CLI.
    ``Sources`` fields: predicted {output: set of corpus files}, scores {output: {corpus file:
    score}} (non-zero scores only), threshold, rule (the rule in words), wall_s, cpu_s (user +
    system of the peer process and its children), peak_rss_mb (of the peer process: os.wait4's
    ru_maxrss), version, unreadable (files the peer could not read), seconds (the peer's own
    phase timings). Paths come back exactly as they were passed in; pass each file once.

Example::

    sys.path.insert(0, "bench"); import peers
    peers.setup_peers()
    res = peers.which_sources(outputs, corpus, peers=("copydetect", "dolos"))
    res["dolos"].predicted["out/0001.py"], res["dolos"].wall_s, res["dolos"].peak_rss_mb
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
COPYDETECT_VENV = WORK / "copydetect-venv"
COPYDETECT_PIN = "copydetect==0.5.0"
DOLOS_DIR = WORK / "dolos"
DOLOS_PIN = ("@dodona/dolos-lib", "3.5.1")
NODE_MIN = 18
PEERS = ("copydetect", "dolos")
THRESHOLDS = {"copydetect": 0.33, "dolos": 0.75}
RULES = {
    "copydetect": "share of the output's tokens found in the corpus file > {t} "
                  "(copydetect's default display threshold)",
    "dolos": "Dolos similarity >= {t} (initial cut-off of Dolos's web UI)",
    "dolos/cover": "share of the output's k-grams shared with the corpus file (Dolos) >= {t}",
}


class PeerSetupError(RuntimeError):
    """A peer could not be installed or does not run."""


@dataclass
class PeerRun:
    peer: str
    version: str
    scores: dict[tuple[str, str], float]
    detail: dict[tuple[str, str], dict]
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    unreadable: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


@dataclass
class Sources:
    peer: str
    version: str
    predicted: dict[str, set[str]]
    scores: dict[str, dict[str, float]]
    threshold: float
    rule: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    unreadable: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


# --- setup --------------------------------------------------------------------------------------

def _log(msg: str) -> None:
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


def _tail(text: str, n: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def _copydetect_version() -> str | None:
    py = COPYDETECT_VENV / "bin" / "python"
    if not py.exists():
        return None
    try:
        out = subprocess.run([str(py), "-c", "import copydetect; print(copydetect.__version__)"],
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def setup_copydetect() -> str:
    """Create copydetect's venv when missing or broken; return copydetect's version."""
    version = _copydetect_version()
    if version:
        return version
    _log(f"installing {COPYDETECT_PIN} from PyPI into {COPYDETECT_VENV} (about 20 s)")
    COPYDETECT_VENV.parent.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [[base, "-m", "venv", "--clear", str(COPYDETECT_VENV)],
             [str(COPYDETECT_VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
              COPYDETECT_PIN]]
    for cmd in steps:
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise PeerSetupError(
                f"could not install {COPYDETECT_PIN} ({' '.join(cmd[:3])} ... exited {out.returncode}); "
                f"is PyPI reachable? Last lines:\n{_tail(out.stdout + out.stderr)}")
    version = _copydetect_version()
    if not version:
        raise PeerSetupError(f"copydetect does not import in {COPYDETECT_VENV} after installing it")
    return version


def _node() -> str:
    node = shutil.which("node")
    if not node:
        raise PeerSetupError(f"Dolos needs Node.js >= {NODE_MIN}; `node` is not on PATH")
    out = subprocess.run([node, "--version"], capture_output=True, text=True)
    try:
        major = int(out.stdout.strip().lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < NODE_MIN:
        raise PeerSetupError(f"Dolos needs Node.js >= {NODE_MIN}; found {out.stdout.strip() or 'none'}")
    return node


def _dolos_version(node: str) -> str | None:
    if not (DOLOS_DIR / "node_modules" / "@dodona" / "dolos-lib").is_dir():
        return None
    try:
        out = subprocess.run([node, str(BENCH / "peers_dolos.mjs"), str(DOLOS_DIR), "--check"],
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout)["version"]
    except (ValueError, KeyError):
        return None


def setup_dolos() -> str:
    """Install Dolos's library with npm into bench/.work/dolos when missing or broken; return its version."""
    node = _node()
    version = _dolos_version(node)
    if version:
        return version
    npm = shutil.which("npm")
    if not npm:
        raise PeerSetupError("Dolos is installed with npm, which is not on PATH")
    name, pin = DOLOS_PIN
    _log(f"installing {name}@{pin} from npm into {DOLOS_DIR} "
         "(builds tree-sitter parsers with node-gyp: 3-8 min on 2 cores)")
    DOLOS_DIR.mkdir(parents=True, exist_ok=True)
    (DOLOS_DIR / "package.json").write_text(json.dumps(
        {"name": "creditline-bench-dolos", "private": True, "dependencies": {name: pin}}, indent=2) + "\n")
    out = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=DOLOS_DIR,
                         capture_output=True, text=True)
    (DOLOS_DIR / "install.log").write_text(out.stdout + out.stderr)
    if out.returncode != 0:
        raise PeerSetupError(
            f"`npm install {name}@{pin}` exited {out.returncode}; is the npm registry reachable, and are "
            f"g++, make and python3 installed (node-gyp builds its parsers)? Log: {DOLOS_DIR / 'install.log'}. "
            f"Last lines:\n{_tail(out.stdout + out.stderr)}")
    version = _dolos_version(node)
    if not version:
        raise PeerSetupError(f"Dolos does not run after `npm install` in {DOLOS_DIR}; "
                             f"try `node bench/peers_dolos.mjs {DOLOS_DIR} --check`")
    return version


def installed() -> dict[str, str | None]:
    """Version of each peer when it is installed and runs, else None. Installs nothing."""
    try:
        dolos = _dolos_version(_node())
    except PeerSetupError:
        dolos = None
    return {"copydetect": _copydetect_version(), "dolos": dolos}


def setup_peers(peers: tuple[str, ...] = PEERS) -> dict[str, str]:
    setups = {"copydetect": setup_copydetect, "dolos": setup_dolos}
    return {p: setups[p]() for p in peers}


# --- running ------------------------------------------------------------------------------------

def _run_measured(cmd: list[str], request: dict) -> tuple[dict, float, float, float]:
    """Run a worker on a request; (its JSON answer, wall s, CPU s, peak RSS MB) of that process."""
    with tempfile.TemporaryDirectory(prefix="creditline-peer-") as tmp:
        req_path, out_path, err_path = (Path(tmp) / n for n in ("request.json", "out.json", "err.txt"))
        req_path.write_text(json.dumps(request))
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen([*cmd, str(req_path)], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} exited {proc.returncode}:\n{_tail(err_path.read_text(), 25)}")
        answer = json.loads(out_path.read_text())
    return answer, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _worker(peer: str) -> list[str]:
    if peer == "copydetect":
        return [str(COPYDETECT_VENV / "bin" / "python"), str(BENCH / "peers_copydetect.py")]
    if peer == "dolos":
        return [_node(), str(BENCH / "peers_dolos.mjs"), str(DOLOS_DIR)]
    raise ValueError(f"unknown peer {peer!r}; choose from {PEERS}")


def _absolute(paths: list[str]) -> dict[str, str]:
    """Absolute path -> the caller's spelling."""
    back = {os.path.abspath(p): str(p) for p in paths}
    if len(back) != len(set(map(str, paths))):
        raise ValueError("the same file is passed twice under different names")
    return back


def pairwise(peer: str, files: list[str], pairs: list[tuple[str, str]] | None = None, *,
             language: str = "java") -> PeerRun:
    """Scores of ``pairs`` of ``files`` (default: every unordered pair) by one run of ``peer``."""
    files = [str(f) for f in files]
    if pairs is None:
        pairs = list(itertools.combinations(files, 2))
    back = _absolute(files + [p for pair in pairs for p in pair])
    fwd = {v: k for k, v in back.items()}
    request = {"mode": "pairs", "language": language, "files": [fwd[f] for f in files],
               "pairs": [[fwd[str(a)], fwd[str(b)]] for a, b in pairs]}
    answer, wall, cpu, rss = _run_measured(_worker(peer), request)
    scores, detail = {}, {}
    for row in answer["pairs"]:
        key = (back[row[0]], back[row[1]])
        if peer == "copydetect":
            d = {"sim_a": row[2], "sim_b": row[3], "tokens": row[4]}
            scores[key] = max(row[2], row[3])
        else:
            d = dict(zip(("similarity", "longest", "overlap", "cover_a", "cover_b"), row[2:]))
            scores[key] = row[2]
        detail[key] = d
    return PeerRun(peer, answer["version"], scores, detail, round(wall, 3), round(cpu, 3), round(rss, 1),
                   [back.get(p, p) for p in answer["unreadable"]], answer.get("seconds", {}))


def which_sources(outputs: list[str], corpus_files: list[str], threshold: float | dict | None = None, *,
                  peers: tuple[str, ...] = PEERS, dolos_score: str = "similarity") -> dict[str, Sources]:
    """For each peer: which corpus files each output copies, by that peer's score and threshold."""
    if dolos_score not in ("similarity", "cover"):
        raise ValueError("dolos_score is 'similarity' or 'cover'")
    outputs, corpus_files = [str(p) for p in outputs], [str(p) for p in corpus_files]
    back = _absolute(outputs + corpus_files)
    fwd = {v: k for k, v in back.items()}
    request = {"mode": "cross", "tests": [fwd[p] for p in outputs], "refs": [fwd[p] for p in corpus_files]}
    results = {}
    for peer in peers:
        if isinstance(threshold, dict):
            t = threshold.get(peer, THRESHOLDS[peer])
        else:
            t = THRESHOLDS[peer] if threshold is None else float(threshold)
        answer, wall, cpu, rss = _run_measured(_worker(peer), request)
        scores: dict[str, dict[str, float]] = {o: {} for o in outputs}
        for row in answer["pairs"]:
            out, src = back[row[0]], back[row[1]]
            # copydetect: row[2] = share of the output; Dolos: row[2] = similarity, row[5] = cover of the output
            s = row[5] if peer == "dolos" and dolos_score == "cover" else row[2]
            if s > 0:
                scores[out][src] = s
        passes = (lambda s: s > t) if peer == "copydetect" else (lambda s: s >= t)
        predicted = {o: {src for src, s in sc.items() if passes(s)} for o, sc in scores.items()}
        rule = RULES["dolos/cover" if peer == "dolos" and dolos_score == "cover" else peer].format(t=t)
        results[peer] = Sources(peer, answer["version"], predicted, scores, t, rule, round(wall, 3),
                                round(cpu, 3), round(rss, 1), [back.get(p, p) for p in answer["unreadable"]],
                                answer.get("seconds", {}))
    return results
