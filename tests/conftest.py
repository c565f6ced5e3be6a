"""Shared fixtures: the real license index (built once per session, cached on disk); and no
time limit on Hypothesis examples: speed is measured by the benchmarks, and a per-example
deadline makes a property test fail on a busy machine (CI has 2 cores) for no fault of the code."""

from __future__ import annotations

import pytest
from hypothesis import settings

from creditline.core.licindex import LicenseIndex

settings.register_profile("creditline", deadline=None)
settings.load_profile("creditline")


@pytest.fixture(scope="session")
def license_index() -> LicenseIndex:
    from creditline.kb.cache import get_index

    return get_index()
