"""Worker for bench/peers.py: runs copydetect on given files and prints JSON on stdout.

Runs under the peer's own interpreter (``bench/.work/copydetect-venv/bin/python``), never under
the project's venv, and imports nothing from creditline. Usage::

    python bench/peers_copydetect.py REQUEST.json

REQUEST is one of
    {"mode": "pairs", "files": [...], "pairs": [[a, b], ...]}
        every file is fingerprinted once (``copydetect.CodeFingerprint`` with copydetect's
        defaults: noise and guarantee threshold 25, so a winnowing window of 1, code filtering
        on) and each listed pair is compared with ``copydetect.compare_files``;
    {"mode": "cross", "tests": [...], "refs": [...]}
        copydetect's own detector: ``CopyDetector`` with ``tests`` as test files and ``refs`` as
        reference files, ``run()``, then ``similarity_matrix`` (the CLI's computation, without
        the HTML report).

Output: {"version", "k", "window", "display_t", "pairs": [[a, b, sim_a, sim_b, tokens], ...],
"unreadable": [...], "seconds": {...}}. ``sim_a`` is the share of a's tokens found in b,
``sim_b`` the reverse. In cross mode only pairs with a non-zero score are listed.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time


def _pairs_mode(req: dict) -> dict:
    from copydetect import CodeFingerprint, compare_files, defaults

    k = defaults.NOISE_THRESHOLD
    window = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
    t0 = time.perf_counter()
    prints, unreadable = {}, []
    for path in req["files"]:
        try:
            prints[path] = CodeFingerprint(path, k, window)
        except (UnicodeDecodeError, OSError):
            unreadable.append(path)
    t1 = time.perf_counter()
    out = []
    for a, b in req["pairs"]:
        if a not in prints or b not in prints:
            out.append([a, b, 0.0, 0.0, 0])
            continue
        tokens, (sim_a, sim_b), _ = compare_files(prints[a], prints[b])
        out.append([a, b, float(sim_a), float(sim_b), int(tokens)])
    t2 = time.perf_counter()
    return {"k": k, "window": window, "display_t": defaults.DISPLAY_THRESHOLD, "pairs": out,
            "unreadable": unreadable,
            "seconds": {"fingerprint": round(t1 - t0, 3), "compare": round(t2 - t1, 3)}}


def _cross_mode(req: dict) -> dict:
    from copydetect import CopyDetector

    t0 = time.perf_counter()
    det = CopyDetector(silent=True, autoopen=False)
    readable = {p for p in set(req["tests"]) | set(req["refs"]) if os.access(p, os.R_OK) and os.path.isfile(p)}
    for path in req["tests"]:  # CopyDetector stops at a missing file: leave those out, report them
        if path in readable:
            det.add_file(path, type="test")
    for path in req["refs"]:
        if path in readable:
            det.add_file(path, type="ref")
    det.run()
    t1 = time.perf_counter()
    out = []
    sims = det.similarity_matrix
    tokens = det.token_overlap_matrix
    if sims.size:
        for i, a in enumerate(det.test_files):
            for j in (sims[i, :, 0] > 0).nonzero()[0]:
                out.append([a, det.ref_files[j], float(sims[i, j, 0]), float(sims[i, j, 1]), int(tokens[i, j])])
    unreadable = sorted((set(req["tests"]) | set(req["refs"])) - set(det.file_data))
    return {"k": det.conf.noise_t, "window": det.conf.window_size, "display_t": det.conf.display_t,
            "pairs": out, "unreadable": unreadable, "seconds": {"run": round(t1 - t0, 3)}}


def main() -> int:
    logging.disable(logging.WARNING)  # copydetect logs a warning per file it cannot tokenize
    with open(sys.argv[1], encoding="utf-8") as f:
        req = json.load(f)
    import copydetect

    res = _pairs_mode(req) if req["mode"] == "pairs" else _cross_mode(req)
    res["version"] = copydetect.__version__
    json.dump(res, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
