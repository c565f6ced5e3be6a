"""The ``catalog`` fixture: every contract test runs on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from catalog_helpers import PARAMS

from creditline.store import MemoryCatalog, SqliteCatalog
from creditline.store.base import Catalog


@pytest.fixture(params=["memory", "sqlite"], ids=["memory", "sqlite"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    cat: Catalog = MemoryCatalog(PARAMS) if request.param == "memory" else SqliteCatalog(tmp_path / "cat", PARAMS)
    yield cat
    cat.close()
