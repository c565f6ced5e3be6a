"""Shared fixtures: the real license index (built once per session, cached on disk)."""

from __future__ import annotations

import pytest

from creditline.core.licindex import LicenseIndex


@pytest.fixture(scope="session")
def license_index() -> LicenseIndex:
    from creditline.kb.cache import get_index

    return get_index()
