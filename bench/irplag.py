"""IR-Plag: ROC AUC per obfuscation level of creditline's trace score on labelled Java pairs.

What it measures
    IR-Plag (Karnalim et al. 2019; read from ``../shared/testdata/irplag``, never copied) has
    seven programming tasks, an original per task, plagiarised copies at six obfuscation levels
    (L1 comments/whitespace ... L6 control-logic changes) and independent solutions. Its
    ``manifest.json`` lists 460 labelled (original, suspect) pairs. The originals are indexed
    into a fresh catalog; each suspect is traced against it, and a pair's score is the share of
    the suspect's code tokens (comments and layout dropped, as the peers count them) inside the
    spans creditline attributes to that pair's original (every channel together). ROC AUC is computed per level (positives at
    that level against all independent solutions) with the Mann-Whitney statistic; ties count
    one half.

Peers
    copydetect 0.5.0 and Dolos 3.5.1 (``bench/peers.py``: their own venv / npm folder under
    ``bench/.work``) score the SAME 460 pairs, each in one run over all 467 files with its
    default parameters; their ROC AUC is computed the same way:
      copydetect  max(share of the suspect's tokens found in the original, and the reverse):
                  its CLI flags a pair when either direction passes its display threshold;
      Dolos       its pair ``similarity`` (Java tree-sitter tokens).
    The JSON also has the AUC of other scores the peers give (copydetect: suspect's share
    alone, comparable to creditline's; Dolos: suspect's cover, longest fragment).
    Each peer's wall time, CPU time and peak RSS are those of its own process (start-up
    included); creditline's are in-process (index + trace, no start-up).

How to rerun
    .venv/bin/python bench/irplag.py [--data ../shared/testdata/irplag]
        peers run when they are installed (a note says how to install them otherwise);
    .venv/bin/python bench/irplag.py --peers       # install the peers when missing (PyPI, npm), run them
    .venv/bin/python bench/irplag.py --no-peers    # creditline only

Writes ``bench/results/irplag.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, UTC
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from creditline import __version__, catalog_api, trace_api  # noqa: E402
from creditline.core.normalize import tokenize  # noqa: E402

import peers  # noqa: E402  (bench/peers.py)


def auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count 1/2)."""
    p = np.asarray(pos)[:, None]
    n = np.asarray(neg)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def scores(data: Path, pairs: list[dict], work: Path) -> list[float]:
    originals = sorted({p["original"] for p in pairs})
    staged = work / "originals"
    for rel in originals:  # stage with unique names: each case's original is T1..T7.java
        dest = staged / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data / rel, dest)
    cat = str(work / "catalog")
    catalog_api.index([str(staged)], catalog=cat)
    out = []
    for p in pairs:
        (result,) = trace_api.trace([str(data / p["suspect"])], catalog=cat).inputs
        text = (data / p["suspect"]).read_text(encoding="utf-8", errors="replace")
        starts = tokenize(text, p["suspect"]).starts  # Java tokens: comments and layout dropped
        mine = [m for m in result.matches if m.source == p["original"]]
        inside = np.zeros(len(starts), dtype=bool)
        for m in mine:
            inside |= (starts >= m.input_start) & (starts < m.input_end)
        out.append(float(inside.mean()) if len(starts) else 0.0)
    return out


def per_level(score: list[float], pairs: list[dict]) -> dict:
    """ROC AUC and mean score per level: that level's positives against all negatives."""
    negatives = [s for s, p in zip(score, pairs) if p["label"] == 0]
    by_level: dict[str, list[float]] = defaultdict(list)
    for s, p in zip(score, pairs):
        if p["label"] == 1:
            by_level[p["level"]].append(s)
    return {level: {"positives": len(v), "negatives": len(negatives), "roc_auc": round(auc(v, negatives), 4),
                    "mean_score": round(float(np.mean(v)), 4)} for level, v in sorted(by_level.items())}


def run_peers(data: Path, pairs: list[dict], want: bool | None) -> dict:
    """Each peer's scores of the same pairs, per level; a note instead when a peer is not run."""
    have = peers.installed()
    if want is None and not all(have.values()):
        missing = ", ".join(p for p, v in have.items() if not v)
        note = f"not installed ({missing}); `bench/irplag.py --peers` installs them under bench/.work"
        return {p: {"note": note} for p in peers.PEERS}
    out: dict[str, dict] = {}
    files = sorted({str(data / p[k]) for p in pairs for k in ("original", "suspect")})
    keyed = [(str(data / p["suspect"]), str(data / p["original"])) for p in pairs]
    for peer in peers.PEERS:
        try:
            version = peers.setup_copydetect() if peer == "copydetect" else peers.setup_dolos()
        except peers.PeerSetupError as err:
            print(f"{peer}: not run: {err}", file=sys.stderr)
            out[peer] = {"note": f"not run: {str(err).splitlines()[0]}"}
            continue
        run = peers.pairwise(peer, files, keyed, language="java")
        if peer == "copydetect":
            main_score = "max(suspect share, original share)"
            alts = {"suspect share": [run.detail[k]["sim_a"] for k in keyed]}
        else:
            main_score = "similarity"
            alts = {"suspect cover": [run.detail[k]["cover_a"] for k in keyed],
                    "longest fragment": [float(run.detail[k]["longest"]) for k in keyed]}
        out[peer] = {"version": version, "score": main_score, "seconds": run.wall_s, "cpu_seconds": run.cpu_s,
                     "peak_rss_mb": run.peak_rss_mb, "phases": run.seconds, "unreadable": run.unreadable,
                     "levels": per_level([run.scores[k] for k in keyed], pairs),
                     "other_scores": {name: {lv: r["roc_auc"] for lv, r in per_level(v, pairs).items()}
                                      for name, v in alts.items()}}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "testdata" / "irplag")
    ap.add_argument("--results", type=Path, default=REPO / "bench" / "results" / "irplag.json")
    ap.add_argument("--peers", action=argparse.BooleanOptionalAction, default=None,
                    help="run copydetect and Dolos on the same pairs (default: when installed; "
                         "--peers installs them when missing)")
    args = ap.parse_args()
    manifest = json.loads((args.data / "manifest.json").read_text())
    pairs = manifest["pairs"]
    start, cpu0 = time.monotonic(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        score = scores(args.data, pairs, Path(tmp))
    elapsed, cpu = time.monotonic() - start, time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = per_level(score, pairs)
    negatives = [s for s, p in zip(score, pairs) if p["label"] == 0]
    peer_results = run_peers(args.data, pairs, args.peers) if args.peers is not False else \
        {p: {"note": "skipped (--no-peers)"} for p in peers.PEERS}
    ran = [p for p in peers.PEERS if "levels" in peer_results[p]]

    print(f"IR-Plag: {len(pairs)} pairs, {len(negatives)} independent solutions")
    head = f"{'level':6} {'pairs':>5} {'creditline':>10}" + "".join(
        f" {p + ' ' + peer_results[p]['version']:>16}" for p in ran)
    print("ROC AUC (positives at the level against all independent solutions)")
    print(head)
    for level, r in results.items():
        print(f"{level:6} {r['positives']:5} {r['roc_auc']:10.3f}" + "".join(
            f" {peer_results[p]['levels'][level]['roc_auc']:16.3f}" for p in ran))
    print(f"creditline: mean score of independent solutions {np.mean(negatives):.3f}, flagged (score > 0) "
          f"{np.mean(np.asarray(negatives) > 0):.1%}")
    print(f"time: creditline {elapsed:.2f} s wall, {cpu:.2f} s CPU (in-process index + trace), "
          f"peak RSS of this process {rss_mb:.0f} MB")
    for p in peers.PEERS:
        r = peer_results[p]
        if p in ran:
            print(f"time: {p} {r['seconds']:.2f} s wall, {r['cpu_seconds']:.2f} s CPU, peak RSS {r['peak_rss_mb']:.0f} MB "
                  f"(own process, start-up included); score = {r['score']}")
        else:
            print(f"{p}: {r['note']}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({
        "benchmark": "irplag", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "creditline": __version__, "python": platform.python_version(), "pairs": len(pairs),
        "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(rss_mb, 1),
        "levels": results,
        "negatives": {"n": len(negatives), "mean_score": round(float(np.mean(negatives)), 4),
                      "flagged": round(float(np.mean(np.asarray(negatives) > 0)), 4)},
        "peers": peer_results,
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
