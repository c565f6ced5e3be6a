"""The compiled license index cache: atomic publish, reload, rebuild when unusable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from creditline.core.licenses import LicenseInfo, RuleInfo
from creditline.core.licindex import build_index
from creditline.kb import cache


def _tiny():  # type: ignore[no-untyped-def]
    return build_index(
        [RuleInfo("mit_ref.RULE", "mit", "the MIT license", "reference")],
        [LicenseInfo("mit", "MIT", "MIT License", "MIT", "Permissive", other_spdx=("LicenseRef-MIT-x",))],
    )


@pytest.fixture()
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREDITLINE_CACHE", str(tmp_path))
    monkeypatch.setattr(cache, "_INDEX", None)
    built: list[int] = []
    monkeypatch.setattr(cache, "build_fresh", lambda: built.append(1) or _tiny())
    monkeypatch.setattr(cache, "BUILDS", built, raising=False)
    return tmp_path


def test_round_trip(tmp_path: Path) -> None:
    index = _tiny()
    cache.save_index(index, tmp_path / "idx")
    loaded = cache.load_index_dir(tmp_path / "idx")
    assert loaded.rule_ids == index.rule_ids and loaded.vocab == index.vocab
    for name, arr in index.arrays.items():
        assert np.array_equal(loaded.arrays[name], arr), name
    assert loaded.licenses["mit"].other_spdx == ("LicenseRef-MIT-x",)


def test_built_once_then_loaded(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cache.get_index()
    assert cache.BUILDS == [1]  # type: ignore[attr-defined]
    assert cache.index_dir().is_dir()
    monkeypatch.setattr(cache, "_INDEX", None)
    second = cache.get_index()
    assert cache.BUILDS == [1]  # type: ignore[attr-defined]  # loaded from disk, not rebuilt
    assert second.rule_ids == first.rule_ids
    assert not [p for p in fresh_cache.rglob(".building-*")]


def test_corrupt_cache_is_rebuilt(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.get_index()
    (cache.index_dir() / "meta.json").write_text("{not json")
    monkeypatch.setattr(cache, "_INDEX", None)
    index = cache.get_index()
    assert cache.BUILDS == [1, 1]  # type: ignore[attr-defined]
    assert index.rule_ids == ["mit_ref.RULE"]


def test_interrupted_build_leaves_no_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.save_index(_tiny(), tmp_path / "idx")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_cache_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CREDITLINE_CACHE", str(blocker / "sub"))  # parent is a file: cannot mkdir
    monkeypatch.setattr(cache, "_INDEX", None)
    monkeypatch.setattr(cache, "build_fresh", _tiny)
    assert cache.get_index().rule_ids == ["mit_ref.RULE"]
