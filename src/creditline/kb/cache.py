"""Build the license index once, keep it on disk, load it memory-mapped.

The cache lives in ``$CREDITLINE_CACHE`` or ``$XDG_CACHE_HOME/creditline`` (default
``~/.cache/creditline``), in a folder named after the index format and the
``licensedcode-data`` version. It is written to a temporary folder and published with one
atomic rename, so a killed build never leaves a half-written index, and two processes
building at once both end with a complete one. A cache that fails to load is rebuilt.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from creditline.core.licenses import LicenseInfo
from creditline.core.licindex import FORMAT_VERSION, LicenseIndex, build_index
from creditline.errors import KnowledgeError

log = logging.getLogger(__name__)

_INDEX: LicenseIndex | None = None


def cache_root() -> Path:
    env = os.environ.get("CREDITLINE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "creditline"


def database_version() -> str:
    from importlib.metadata import version  # deferred: importlib.metadata costs ~50 ms to import

    return version("licensedcode-data")


def index_dir() -> Path:
    return cache_root() / f"license-index-v{FORMAT_VERSION}-db{_database_tag()}"


def _database_tag() -> str:
    """The installed licensedcode-data version, read from its dist-info folder name (cheap)."""
    import licensedcode

    for base in licensedcode.__path__:
        for info in Path(base).parent.glob("licensedcode_data-*.dist-info"):
            return info.name.removeprefix("licensedcode_data-").removesuffix(".dist-info")
    return database_version()


def _license_record(lic: LicenseInfo) -> dict[str, object]:
    data = asdict(lic)
    data.pop("text")
    return data


def save_index(index: LicenseIndex, target: Path) -> None:
    """Write ``index`` to ``target`` atomically (temporary folder + rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        for name, arr in index.arrays.items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        meta = {
            "vocab": index.vocab,
            "rule_ids": index.rule_ids,
            "expressions": index.expressions,
            "licenses": [_license_record(lic) for lic in index.licenses.values()],
            "ignorables": {str(k): list(v) for k, v in index.ignorables.items()},
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.rename(tmp, target)
        except OSError:  # another process published first: theirs is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _license_from_record(rec: dict[str, object]) -> LicenseInfo:
    for key in ("other_spdx", "text_urls", "ignorable_copyrights", "ignorable_holders", "ignorable_authors"):
        rec[key] = tuple(rec.get(key) or ())  # type: ignore[arg-type]
    return LicenseInfo(**rec)  # type: ignore[arg-type]


def load_index_dir(path: Path) -> LicenseIndex:
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    # plain ndarray views of the mapped files: no per-access memmap overhead
    arrays = {p.stem: np.asarray(np.load(p, mmap_mode="r", allow_pickle=False)) for p in path.glob("*.npy")}
    if int(arrays["format_version"][0]) != FORMAT_VERSION:
        raise KnowledgeError(f"license index at {path} has another format version")
    licenses = {rec["key"]: _license_from_record(rec) for rec in meta["licenses"]}
    return LicenseIndex(
        arrays=arrays,
        vocab=meta["vocab"],
        rule_ids=meta["rule_ids"],
        expressions=meta["expressions"],
        licenses=licenses,
        ignorables={int(k): tuple(v) for k, v in meta["ignorables"].items()},
    )


def build_fresh() -> LicenseIndex:
    from creditline.kb.licensedb import iter_licenses, iter_rules  # YAML parsing only when building

    log.info("building the license index from licensedcode-data %s", database_version())
    return build_index(iter_rules(), iter_licenses())


def get_index(rebuild: bool = False) -> LicenseIndex:
    """The process-wide license index: loaded from the cache, built and cached if missing."""
    global _INDEX
    if _INDEX is not None and not rebuild:
        return _INDEX
    target = index_dir()
    if target.is_dir() and not rebuild:
        try:
            _INDEX = load_index_dir(target)
            return _INDEX
        except (OSError, ValueError, KeyError, KnowledgeError) as err:
            log.warning("license index cache at %s is unusable (%s); rebuilding", target, err)
            shutil.rmtree(target, ignore_errors=True)
    index = build_fresh()
    try:
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        save_index(index, target)
    except OSError as err:
        log.warning("cannot write the license index cache at %s (%s); using it in memory", target, err)
    _INDEX = index
    return index
