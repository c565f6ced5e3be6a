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


def _full_run_seconds(big: Path, tmp_path: Path) -> float:
    start = time.monotonic()
    proc = _index_process(str(tmp_path / "scratch"), big, tmp_path / "scratch.log")
    assert proc.wait(timeout=120) == 0
    return time.monotonic() - start


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95], ids=["early", "middle", "late"])
def test_sigkill_leaves_previous_catalog(setup: tuple[str, Path, Path, str], fraction: float, tmp_path: Path) -> None:
    cat, big, output, _ = setup
    total = _full_run_seconds(big, tmp_path)
    proc = _index_process(cat, big, tmp_path / "index.log")
    time.sleep(total * fraction)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    works = catalog_api.catalog_stats(cat)["works"]
    if fraction < 0.9:
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
