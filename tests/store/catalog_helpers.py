"""Builders shared by the catalog tests: params, works, postings, subprocesses."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import creditline
from creditline.model import Work
from creditline.store import FingerprintParams
from creditline.store.base import Postings

PARAMS = FingerprintParams(fingerprint_version=1, k=5, window=4, hash_seed=42)
OTHER_PARAMS = FingerprintParams(fingerprint_version=1, k=7, window=4, hash_seed=42)
SRC = str(Path(creditline.__file__).resolve().parents[1])


def postings(hashes: Sequence[int], step: int = 10, width: int = 15) -> Postings:
    """Postings for ``hashes`` at start ``i * step``, end ``start + width``."""
    starts = np.arange(len(hashes), dtype=np.int64) * step
    return np.array(hashes, dtype=np.uint64), starts, starts + width


def work(path: str, sha1: str = "", root: str = "", **fields: object) -> Work:
    return Work(path=path, sha1=sha1 or f"sha-{path}", root=root, **fields)  # type: ignore[arg-type]


def add(writer: object, path: str, exact: Sequence[int], renamed: Sequence[int] = (), **fields: object) -> int:
    """Add a work with the given hashes (one line per 20 chars) through ``writer``."""
    fps = {"exact": postings(exact)}
    if renamed:
        fps["renamed"] = postings(renamed)
    return writer.add_work(work(path, **fields), fps, np.arange(0, 400, 20))  # type: ignore[attr-defined]


def run_python(code: str, args: Sequence[str] = ()) -> subprocess.Popen[str]:
    """Start ``python -c code args`` with creditline importable; stdout is a text pipe."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env)


# A child process writing to a catalog, driven by argv: path, mode, first block, blocks, per block, max_shards.
# Work (b, j) has path "b{b}-{j}" and hashes [COMMON, unique(b, j)]. With --replace, every block
# also replaces "b0-0" by a version holding the hash VERSION + b. It prints "committed <b>" after
# every block and "done" at the end. Modes: "loop" (blocks; 0 = forever), "hang-in-block" (hang
# inside the next block), "hang-after-shard" (hang after the next block wrote its shard, before
# its commit).
COMMON = 1
VERSION = 50_000


def unique(block: int, j: int) -> int:
    return 10_000 + block * 10 + j


WRITER = f"""
import sys, time
import numpy as np
from creditline.model import Work
from creditline.store import SqliteCatalog, sqlite as backend
from creditline.store.base import FingerprintParams

path, mode, first, blocks, per_block, max_shards = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
replace = "--replace" in sys.argv
cat = SqliteCatalog(path, FingerprintParams(**{PARAMS.to_dict()!r}), max_shards=max_shards)

def fps(*hashes):
    starts = np.arange(len(hashes), dtype=np.int64) * 10
    return {{"exact": (np.array(hashes, dtype=np.uint64), starts, starts + 15)}}

def block(w, b):
    for j in range(per_block):
        w.add_work(Work(path=f"b{{b}}-{{j}}", sha1=f"s{{b}}-{{j}}"), fps({COMMON}, 10_000 + b * 10 + j), np.array([0]))
    if replace and b:
        w.add_work(Work(path="b0-0", sha1=f"v{{b}}"), fps({COMMON}, 10_000, {VERSION} + b), np.array([0]))

b, stop = first, (first + blocks if blocks or mode != "loop" else None)
while stop is None or b < stop:
    with cat.writer() as w:
        block(w, b)
    print(f"committed {{b}}", flush=True)
    b += 1
if mode == "hang-after-shard":
    original = backend.write_shard
    def hanging(*args):
        size = original(*args)
        print("shard-written", flush=True)
        time.sleep(60)
        return size
    backend.write_shard = hanging
if mode != "loop":
    with cat.writer() as w:
        block(w, b)
        print("in-block", flush=True)
        time.sleep(60 if mode == "hang-in-block" else 0)
print("done", flush=True)
"""


class Child:
    """A writer subprocess whose stdout lines are collected by a thread (so waits can time out)."""

    def __init__(self, path: Path, mode: str, first: int, blocks: int, per_block: int = 2,
                 max_shards: int = 16, replace: bool = False) -> None:
        args = [str(path), mode, str(first), str(blocks), str(per_block), str(max_shards)]
        self.proc = run_python(WRITER, args=args + (["--replace"] if replace else []))
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                if line.endswith("\n"):  # a line cut short by SIGKILL was never acknowledged
                    self.lines.put(line.strip())
        self.lines.put("<eof>")

    def wait_for(self, marker: str, timeout: float = 20.0) -> None:
        """Collect lines until one starts with ``marker``."""
        deadline = time.monotonic() + timeout
        while not (self.seen and self.seen[-1].startswith(marker)):
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            assert line != "<eof>", f"writer exited (rc {self.proc.wait()}) before {marker!r}: {self.seen}"
            self.seen.append(line)

    def kill(self) -> None:
        """SIGKILL the writer, then collect every line it printed."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        while (line := self.lines.get(timeout=10)) != "<eof>":
            self.seen.append(line)

    def committed(self) -> list[int]:
        return [int(line.split()[1]) for line in self.seen if line.startswith("committed")]
