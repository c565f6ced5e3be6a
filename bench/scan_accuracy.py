#!/usr/bin/env python3
"""License-detection accuracy of ``creditline scan`` on real files that none of us wrote.

What it measures
    For every case in ``bench/accuracy/cases.jsonl`` (a real file from a pinned PyPI or npm
    package, a Debian license/copyright file, or a Python stdlib source file, each labelled by
    reading it) the SPDX expression that creditline reports for that file is compared with the
    label, using the normalisation rules of the peers' scorer
    (``../shared/testdata/license-peers/score.py``, imported, not copied):

    exact    normalised expressions equal (ids case-insensitive, deprecated ids mapped, AND/OR
             operands sorted and de-duplicated);
    lenient  same set of license ids, ignoring -only/-or-later and AND vs OR;
    found    (licensed cases) at least one expected id reported;
    none_fp  (cases labelled NONE) share of files where a license was reported anyway.

    Figures are printed overall, per kind (full_text, notice, spdx_tag, mixed, none) and per
    origin group (pypi, npm, debian, stdlib).  Then the 492 labelled files from peers' test
    suites (``--peers-dir``) are scored the same way and reported separately.  With
    ``--scancode PATH`` ScanCode Toolkit runs on the same files and its figures are printed
    side by side.

How to rerun (from a clean checkout)
    make bench-accuracy                       # or: .venv/bin/python bench/scan_accuracy.py
    .venv/bin/python bench/scan_accuracy.py --scancode bench/.work/scancode-venv/bin/scancode

    The first run installs the pinned packages (needs the PyPI and npm registries):
      bench/accuracy/requirements.txt -> bench/.work/accuracy-venv  (pip install --no-deps)
      bench/accuracy/package.json     -> bench/.work/accuracy-npm   (npm install --ignore-scripts)
    Debian files come from /usr/share, stdlib files from this interpreter's stdlib (labels were
    checked against CPython 3.11).  A case whose file cannot be found is reported as a setup
    error and counted as a miss, never dropped.

Labelling conventions (bench/accuracy/cases.jsonl; each label was checked by reading the file)
    The label is what the file itself says, not what its package declares.  A bare GPL/LGPL/
    AGPL/GFDL text is ``-only``; a notice saying "version 2 ... or (at your option) any later
    version" is ``-or-later``.  Several licenses offered as a choice are joined with OR, several
    that all apply (a text plus an appended one, a DEP-5 file's stanzas) with AND.  Files that
    state no license of their own (even when they mention licenses in code or data) are NONE.
    Cases whose label was not certain were left out.

Outputs
    bench/results/scan_accuracy.json          all figures, tool versions, date, case counts
    bench/results/scan_accuracy_misses.jsonl  one line per exact-match miss (expected vs detected)

Each file is copied, under its original name, into its own folder of a temporary tree outside
the repository, and the tree is scanned once; results map back by ``<case id>/<file name>``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as _dt
import hashlib
import importlib.util
import json
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Callable

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
ACC = BENCH / "accuracy"
KINDS = ("full_text", "notice", "spdx_tag", "mixed", "none")
GROUPS = ("pypi", "npm", "debian", "stdlib")


# --------------------------------------------------------------------------- setup

def _stamp_ok(stamp: Path, digest: str) -> bool:
    return stamp.is_file() and stamp.read_text().strip() == digest


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def setup_pypi(work: Path, mode: str) -> Path:
    """Create ``work/accuracy-venv`` with the pinned packages; return its site-packages."""
    venv = work / "accuracy-venv"
    req = ACC / "requirements.txt"
    stamp = venv / ".cases-installed"
    digest = _digest(req)
    if mode == "always" or (mode == "auto" and not _stamp_ok(stamp, digest)):
        python = shutil.which("python3") or sys.executable
        if not (venv / "bin" / "python").exists():
            print(f"setup: creating {venv.relative_to(REPO)}", flush=True)
            subprocess.run([python, "-m", "venv", str(venv)], check=True)
        print("setup: pip install --no-deps -r bench/accuracy/requirements.txt", flush=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                        "--disable-pip-version-check", "-r", str(req)], check=True)
        stamp.write_text(digest + "\n")
    found = sorted(venv.glob("lib/python*/site-packages"))
    return found[0] if found else venv / "lib" / "site-packages-missing"


def setup_npm(work: Path, mode: str) -> Path:
    """Install the pinned npm packages under ``work/accuracy-npm``; return its node_modules."""
    prefix = work / "accuracy-npm"
    spec = ACC / "package.json"
    stamp = prefix / ".cases-installed"
    digest = _digest(spec)
    if mode == "always" or (mode == "auto" and not _stamp_ok(stamp, digest)):
        npm = shutil.which("npm")
        if npm is None:
            print("setup: npm not found; npm cases will be reported as missing", flush=True)
        else:
            prefix.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(spec, prefix / "package.json")
            print("setup: npm install --ignore-scripts (bench/accuracy/package.json)", flush=True)
            subprocess.run([npm, "install", "--ignore-scripts", "--no-audit", "--no-fund",
                            "--no-package-lock", "--legacy-peer-deps", "--loglevel=error",
                            "--prefix", str(prefix)], check=True)
            stamp.write_text(digest + "\n")
    return prefix / "node_modules"


# --------------------------------------------------------------------------- cases

def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(ln) for ln in fh if ln.strip()]


def origin_group(origin: str) -> str:
    head = origin.split(":", 1)[0]
    return {"python-stdlib": "stdlib"}.get(head, head)


def resolve_case(case: dict[str, Any], site_packages: Path, node_modules: Path) -> Path:
    group = origin_group(case["origin"])
    if group == "pypi":
        return site_packages / case["path"]
    if group == "npm":
        return node_modules / case["path"]
    if group == "stdlib":
        return Path(sysconfig.get_paths()["stdlib"]) / case["path"]
    return Path(case["path"])


def build_tree(cases: list[dict[str, Any]], files: dict[str, Path], root: Path) -> dict[str, str]:
    """Copy each case file to ``root/<id>/<name>``; return {relative path: case id}."""
    keys = {}
    for case in cases:
        src = files.get(case["id"])
        if src is None:
            continue
        dest = root / case["id"] / src.name
        dest.parent.mkdir(parents=True)
        shutil.copyfile(src, dest)
        keys[f"{case['id']}/{src.name}"] = case["id"]
    return keys


# --------------------------------------------------------------------------- scanners

def _match(path: str, wanted: set[str]) -> str | None:
    """Map a reported path (relative, absolute, or prefixed by the root's name) to a key."""
    p = path.replace("\\", "/").lstrip("./")
    if p in wanted:
        return p
    parts = p.split("/")
    for i in range(1, len(parts)):
        tail = "/".join(parts[i:])
        if tail in wanted:
            return tail
    return None


def _collect(entries: list[tuple[str, str | None]], wanted: set[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for path, lic in entries:
        key = _match(path, wanted)
        if key is not None:
            out[key] = lic
    return out


def creditline_api() -> Callable[[Path], list[tuple[str, str | None]]] | None:
    try:
        from creditline.api import scan  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001 - any import failure means "use the CLI"
        return None

    def run(root: Path) -> list[tuple[str, str | None]]:
        try:
            report = scan([str(root)], jobs=2, copyrights=False)
        except TypeError:  # an older or newer signature
            report = scan([str(root)])
        return [(f.path, f.license) for f in report.files]

    return run


def creditline_cli(exe: str) -> Callable[[Path], list[tuple[str, str | None]]]:
    def run(root: Path) -> list[tuple[str, str | None]]:
        proc = subprocess.run([exe, "scan", "--format", "json", "--jobs", "2", "--no-copyright", str(root)],
                              capture_output=True, text=True)
        if proc.returncode not in (0, 1):  # 1 = findings
            raise RuntimeError(f"creditline exited {proc.returncode}: {proc.stderr[-2000:]}")
        data = json.loads(proc.stdout)
        return [(f["path"], f.get("license")) for f in data.get("files", [])]

    return run


def creditline_per_file(exe: str, files: dict[str, Path]) -> dict[str, str | None]:
    """Slow fallback: one process per file; keys are the same ``<id>/<name>`` keys."""
    out = {}
    for cid, path in files.items():
        proc = subprocess.run([exe, "scan", "--format", "json", str(path)], capture_output=True, text=True)
        try:
            got = json.loads(proc.stdout).get("files", [])
        except json.JSONDecodeError:
            got = []
        out[f"{cid}/{path.name}"] = got[0].get("license") if got else None
    return out


def scancode_runner(exe: str) -> Callable[[Path], list[tuple[str, str | None]]]:
    def run(root: Path) -> list[tuple[str, str | None]]:
        with tempfile.TemporaryDirectory(prefix="scancode-out-") as tmp:
            out = Path(tmp) / "scan.json"
            proc = subprocess.run([exe, "--license", "-n", "2", "--strip-root", "--quiet",
                                   "--json", str(out), str(root)], capture_output=True, text=True)
            if not out.exists():
                raise RuntimeError(f"scancode exited {proc.returncode}: {proc.stderr[-2000:]}")
            data = json.loads(out.read_text(encoding="utf-8"))
        return [(f["path"], f.get("detected_license_expression_spdx"))
                for f in data.get("files", []) if f.get("type") == "file"]

    return run


def tool_version(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return (proc.stdout or proc.stderr).strip().splitlines()[0]
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({exc.__class__.__name__})"


def creditline_version() -> str:
    try:
        from importlib.metadata import version
        return version("creditline")
    except Exception:  # noqa: BLE001
        return "unknown"


# --------------------------------------------------------------------------- scoring

def load_scorer(peers_dir: Path):
    """Import the peers' score.py (normalize, base_ids) without copying it."""
    path = peers_dir / "score.py"
    spec = importlib.util.spec_from_file_location("license_peers_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def score(rows: list[dict[str, Any]], scorer, group_keys: tuple[str, ...]) -> tuple[dict, list[dict]]:
    """rows: {id, expected, detected, kind, <group keys>}; returns (figures, misses)."""
    tot = collections.Counter()
    groups = {g: collections.defaultdict(collections.Counter) for g in group_keys}
    misses = []
    for r in rows:
        exp_n = scorer.normalize(r["expected"])
        det_n = scorer.normalize(r["detected"])
        exact = exp_n == det_n
        lenient = scorer.base_ids(exp_n) == scorer.base_ids(det_n)
        counters = [tot] + [groups[g][r[g]] for g in group_keys]
        for c in counters:
            c["n"] += 1
            c["exact"] += exact
            c["lenient"] += lenient
            if exp_n == "none":
                c["none_n"] += 1
                c["none_fp"] += det_n != "none"
            else:
                c["lic_n"] += 1
                c["found"] += bool(scorer.base_ids(exp_n) & scorer.base_ids(det_n))
        if not exact:
            misses.append({**{k: r[k] for k in r if k not in ("detected",)}, "detected": r["detected"],
                           "lenient_ok": lenient, "expected_norm": exp_n, "detected_norm": det_n})
    figures = {"overall": rates(tot)}
    for g in group_keys:
        figures[f"by_{g}"] = {k: rates(v) for k, v in sorted(groups[g].items())}
    return figures, misses


def rates(c: collections.Counter) -> dict[str, Any]:
    out: dict[str, Any] = {k: c[k] for k in ("n", "exact", "lenient", "lic_n", "found", "none_n", "none_fp")}
    n = c["n"] or 1
    out["exact_rate"] = round(c["exact"] / n, 4)
    out["lenient_rate"] = round(c["lenient"] / n, 4)
    out["found_rate"] = round(c["found"] / c["lic_n"], 4) if c["lic_n"] else None
    out["none_fp_rate"] = round(c["none_fp"] / c["none_n"], 4) if c["none_n"] else None
    return out


def print_table(title: str, results: dict[str, dict], group_keys: tuple[str, ...]) -> None:
    tools = list(results)
    print(f"\n{title}")
    head = f"{'':22s}{'n':>5s}"
    for t in tools:
        head += f" | {t[:10]:>10s} exact  lenient  found  none_fp"
    print(head)
    print("-" * len(head))

    def cell(r: dict | None) -> str:
        if r is None:
            return " | " + " " * 38
        f = lambda x: "   -  " if x is None else f"{x:6.3f}"  # noqa: E731
        return f" | {'':10s} {f(r['exact_rate'])}  {f(r['lenient_rate'])}  {f(r['found_rate'])}  {f(r['none_fp_rate'])}"

    def line(label: str, pick) -> None:
        first = pick(results[tools[0]])
        if first is None:
            return
        print(f"{label:22s}{first['n']:5d}" + "".join(cell(pick(results[t])) for t in tools))

    line("OVERALL", lambda fig: fig["overall"])
    for g in group_keys:
        keys = sorted(results[tools[0]][f"by_{g}"])
        for k in keys:
            line(f"{g}:{k}", lambda fig, g=g, k=k: fig[f"by_{g}"].get(k))


# --------------------------------------------------------------------------- driver

def run_tool(name: str, runner, root: Path, keys: set[str]) -> dict[str, str | None]:
    print(f"scan: {name} on {len(keys)} files ...", flush=True)
    return _collect(runner(root), keys)


def own_benchmark(args, scorer, tools: dict[str, Callable], work: Path):
    cases = load_jsonl(args.cases)
    if sys.version_info[:2] != (3, 11):
        print(f"warning: stdlib cases were labelled on CPython 3.11; this is {platform.python_version()}")
    if args.setup == "never":
        site_packages = next(iter(sorted((work / "accuracy-venv").glob("lib/python*/site-packages"))),
                             work / "missing")
        node_modules = work / "accuracy-npm" / "node_modules"
    else:
        site_packages = setup_pypi(work, args.setup)
        node_modules = setup_npm(work, args.setup)
    files, setup_errors = {}, []
    for c in cases:
        p = resolve_case(c, site_packages, node_modules)
        if p.is_file():
            files[c["id"]] = p
        else:
            setup_errors.append({"id": c["id"], "origin": c["origin"], "path": str(p)})
    if setup_errors:
        print(f"SETUP ERRORS: {len(setup_errors)} case files not found (counted as misses):")
        for e in setup_errors[:20]:
            print(f"  {e['id']}  {e['origin']}  {e['path']}")
    results, all_misses, raw = {}, [], {}
    with tempfile.TemporaryDirectory(prefix="creditline-accuracy-") as tmp:
        root = Path(tmp) / "cases"
        root.mkdir()
        keymap = build_tree(cases, files, root)
        for name, runner in tools.items():
            try:
                got = run_tool(name, runner, root, set(keymap))
            except Exception as exc:  # noqa: BLE001
                if name == "creditline" and args.creditline_exe:
                    print(f"tree scan failed ({exc}); falling back to one process per file", flush=True)
                    got = creditline_per_file(args.creditline_exe, files)
                else:
                    raise
            raw[name] = got
    for name in tools:
        rows = []
        for c in cases:
            p = files.get(c["id"])
            key = f"{c['id']}/{p.name}" if p else None
            rows.append({"id": c["id"], "origin": c["origin"], "path": c["path"], "kind": c["kind"],
                         "group": origin_group(c["origin"]), "expected": c["expected"],
                         "detected": raw[name].get(key) if key else None,
                         "reported": bool(key and key in raw[name]), "setup_error": p is None})
        figures, misses = score(rows, scorer, ("kind", "group"))
        figures["not_reported"] = sum(1 for r in rows if not r["reported"] and not r["setup_error"])
        results[name] = figures
        all_misses += [{"set": "own", "tool": name, **m} for m in misses]
    return cases, setup_errors, results, all_misses


def peers_benchmark(args, scorer, tools: dict[str, Callable]):
    manifest = load_jsonl(args.peers_dir / "manifest.jsonl")
    root = args.peers_dir / "files"
    keys = {m["path"][len("files/"):] for m in manifest}
    results, all_misses = {}, []
    for name, runner in tools.items():
        got = run_tool(name, runner, root, keys)
        rows = [{"id": m["path"], "path": m["path"], "kind": m["kind"], "source": m["path"].split("/")[1],
                 "expected": m["expected"], "detected": got.get(m["path"][len("files/"):])} for m in manifest]
        figures, misses = score(rows, scorer, ("kind", "source"))
        figures["not_reported"] = sum(1 for m in manifest if m["path"][len("files/"):] not in got)
        results[name] = figures
        all_misses += [{"set": "peers", "tool": name, **m} for m in misses]
    return manifest, results, all_misses


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setup", choices=("auto", "always", "never"), default="auto",
                    help="install the pinned PyPI/npm packages: when missing or changed (auto), always, never")
    ap.add_argument("--cases", type=Path, default=ACC / "cases.jsonl")
    ap.add_argument("--work-dir", type=Path, default=BENCH / ".work")
    ap.add_argument("--peers-dir", type=Path, default=REPO.parent / "shared" / "testdata" / "license-peers")
    ap.add_argument("--no-peers", action="store_true", help="skip the peers' 492 files")
    ap.add_argument("--engine", choices=("auto", "api", "cli"), default="auto",
                    help="call creditline through its Python API or its CLI (auto: API if importable)")
    ap.add_argument("--creditline", default=str(REPO / ".venv" / "bin" / "creditline"),
                    help="creditline executable for the CLI engine")
    ap.add_argument("--scancode", help="path to a scancode executable to compare with")
    ap.add_argument("--results-dir", type=Path, default=BENCH / "results")
    args = ap.parse_args(argv)
    args.peers_dir = args.peers_dir.resolve()

    scorer = load_scorer(args.peers_dir)
    tools: dict[str, Callable] = {}
    api = creditline_api() if args.engine in ("auto", "api") else None
    args.creditline_exe = None
    if api is not None:
        tools["creditline"] = api
        engine = "api"
    elif args.engine == "api":
        ap.error("creditline.api.scan is not importable")
    else:
        args.creditline_exe = args.creditline
        tools["creditline"] = creditline_cli(args.creditline)
        engine = "cli"
    if args.scancode:
        tools["scancode"] = scancode_runner(args.scancode)

    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    cases, setup_errors, own, own_misses = own_benchmark(args, scorer, tools, work)
    print_table(f"OWN CASES ({len(cases)} files; exact = normalised SPDX expression equal)", own, ("kind", "group"))
    for name, fig in own.items():
        if fig.get("not_reported"):
            print(f"  {name}: {fig['not_reported']} case files absent from its output (counted as NONE)")

    peers, peer_misses, manifest = {}, [], []
    if not args.no_peers:
        manifest, peers, peer_misses = peers_benchmark(args, scorer, tools)
        print_table(f"PEERS' FILES ({len(manifest)} files from ../shared/testdata/license-peers)", peers,
                    ("kind", "source"))

    args.results_dir.mkdir(parents=True, exist_ok=True)
    versions = {"creditline": creditline_version(), "creditline_engine": engine,
                "python": platform.python_version()}
    if args.scancode:
        versions["scancode"] = tool_version([args.scancode, "--version"])
    summary = {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": versions,
        "cases": {"n": len(cases), "by_kind": dict(collections.Counter(c["kind"] for c in cases)),
                  "by_group": dict(collections.Counter(origin_group(c["origin"]) for c in cases)),
                  "setup_errors": setup_errors},
        "own": own,
        "peers": {"n": len(manifest), "results": peers} if peers else None,
    }
    (args.results_dir / "scan_accuracy.json").write_text(json.dumps(summary, indent=1) + "\n")
    with open(args.results_dir / "scan_accuracy_misses.jsonl", "w", encoding="utf-8") as fh:
        for m in own_misses + peer_misses:
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    out = (args.results_dir / "scan_accuracy.json").resolve()
    print(f"\nwrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out} and "
          f"scan_accuracy_misses.jsonl ({len(own_misses)} own + {len(peer_misses)} peer misses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
