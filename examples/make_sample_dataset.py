"""Write a small dataset of real files on this machine, in The Stack's layout, for `make demo`.

Rows are source files and license texts found here: Python modules of the standard library
(PSF-2.0), the license files of the packages installed in the venv (their declared license taken
from the package's METADATA), Debian's copyright files (no declared license) and two rows
that repeat earlier ones (a duplicate and a near duplicate). Usage:
    python examples/make_sample_dataset.py OUT.parquet
"""

from __future__ import annotations

import hashlib
import random
import sys
import sysconfig
from email.parser import HeaderParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SITE = Path(sysconfig.get_paths()["purelib"])


def _declared(dist_info: Path) -> list[str]:
    try:
        meta = HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []
    value = meta.get("License-Expression") or meta.get("License") or ""
    return [value] if value and len(value) < 60 else []


def rows() -> list[tuple[str, list[str], str, str]]:
    rng = random.Random(42)
    out: list[tuple[str, list[str], str, str]] = []
    stdlib = sorted(p for p in STDLIB.glob("*.py") if p.stat().st_size < 60_000)
    for p in rng.sample(stdlib, 25):
        out.append((p.read_text(encoding="utf-8"), ["PSF-2.0"], "python/cpython", f"Lib/{p.name}"))
    for dist in sorted(SITE.glob("*.dist-info"))[:40]:
        for lic in sorted(dist.rglob("LICENSE*"))[:1]:
            try:
                text = lic.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            name = dist.name.split("-")[0]
            out.append((text, _declared(dist), f"pypi/{name}", lic.name))
    copyrights = sorted(Path("/usr/share/doc").glob("*/copyright"))
    for p in rng.sample(copyrights, min(25, len(copyrights))):
        try:
            out.append((p.read_text(encoding="utf-8"), [], f"debian/{p.parent.name}", "debian/copyright"))
        except UnicodeDecodeError:
            continue
    first = out[0]
    out.append((first[0], first[1], "fork/cpython", first[3]))  # an exact duplicate
    out.append((first[0].replace("def ", "def  ", 1), first[1], "other/cpython", first[3]))  # a near one
    return out


def main(path: str) -> None:
    data = rows()
    table = pa.table({
        "hexsha": [hashlib.sha1(t.encode()).hexdigest() for t, *_ in data],
        "content": [t for t, *_ in data],
        "max_stars_repo_licenses": [d for _, d, *_ in data],
        "max_stars_repo_name": [r for _, _, r, _ in data],
        "max_stars_repo_path": [p for *_, p in data],
    })
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    print(f"wrote {len(data)} rows of real files to {path}")


if __name__ == "__main__":
    main(sys.argv[1])
