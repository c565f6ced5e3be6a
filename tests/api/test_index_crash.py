"""`creditline index` killed with SIGKILL keeps the previous catalog; readers trace meanwhile."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from creditline import catalog_api, trace_api

RNG = random.Random(42)
WORDS = [f"w{i}" for i in range(3000)]


def _text(n: int) -> str:
    return "\n".join(" ".join(RNG.choice(WORDS) for _ in range(12)) for _ in range(n))


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[str, Path, Path, str]:
    first = tmp_path / "first"
    first.mkdir()
    song = _text(30)
    (first / "song.txt").write_text("SPDX-License-Identifier: CC-BY-SA-4.0\n" + song)
    (first / "poem.txt").write_text(_text(30))
    big = tmp_path / "big"
    big.mkdir()
    for i in range(300):
        (big / f"doc{i:03}.txt").write_text(_text(60))
    cat = str(tmp_path / "cat")
    catalog_api.index([str(first)], catalog=cat)
    output = tmp_path / "answer.txt"
    output.write_text("\n".join(song.splitlines()[3:12]))
    return cat, big, output, song


def _index_process(cat: str, big: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as err:
        return subprocess.Popen([sys.executable, "-m", "creditline", "index", "--catalog", cat, "--no-progress",
                                 "--format", "json", str(big)], stdout=subprocess.DEVNULL, stderr=err, env=env)


def _holds_writer_lock(pid: int, cat: str) -> bool:
    """Whether process ``pid`` has ``<cat>/writer.lock`` open (Linux /proc), i.e. is inside its
    writer block; looking does not touch the lock itself."""
    lock = os.path.realpath(os.path.join(cat, "writer.lock"))
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == lock:
                return True
        except OSError:
            continue
    return False


def _wait_for_writer(proc: subprocess.Popen[bytes], cat: str, timeout: float = 60) -> float:
    start = time.monotonic()
    while not _holds_writer_lock(proc.pid, cat):
        assert proc.poll() is None, "index finished before it was seen writing"
        assert time.monotonic() - start < timeout
        time.sleep(0.005)
    return time.monotonic()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc to see the writer lock")
@pytest.mark.parametrize("when", ["before-writer", "writer-start", "writer-later"])
def test_sigkill_leaves_previous_catalog(setup: tuple[str, Path, Path, str], when: str, tmp_path: Path) -> None:
    """Killed before its writer block or inside it, ``index`` leaves exactly the previous catalog;
    killed later it may have published, but never a part of the run."""
    cat, big, output, _ = setup
    proc = _index_process(cat, big, tmp_path / "index.log")
    if when == "before-writer":
        time.sleep(0.05)
    else:
        _wait_for_writer(proc, cat)
        time.sleep(0.0 if when == "writer-start" else 0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    works = catalog_api.catalog_stats(cat)["works"]
    if when != "writer-later":
        assert works == 2  # killed before its one publishing commit: the previous catalog, whole
    assert works in (2, 302)  # never a part of the run
    (result,) = trace_api.trace([str(output)], catalog=cat).inputs
    assert [m.source for m in result.matches] == ["song.txt"]
    again = catalog_api.index([str(big)], catalog=cat)  # the next writer cleans up and completes
    assert catalog_api.catalog_stats(cat)["works"] == 302
    assert len(again.added) + again.unchanged == 300


def test_reader_traces_while_writer_indexes(setup: tuple[str, Path, Path, str], tmp_path: Path) -> None:
    cat, big, output, _ = setup
    log = tmp_path / "index.log"
    proc = _index_process(cat, big, log)
    seen = []
    try:
        while proc.poll() is None and len(seen) < 200:
            (result,) = trace_api.trace([str(output)], catalog=cat).inputs
            assert [m.source for m in result.matches] == ["song.txt"]
            seen.append(catalog_api.catalog_stats(cat)["works"])
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0, log.read_text()
    assert seen and set(seen) <= {2, 302} and seen == sorted(seen)
    assert catalog_api.catalog_stats(cat)["works"] == 302
