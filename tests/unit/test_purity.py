"""core/ stays pure: no file access and no printing (import rules are checked by lint-imports)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "creditline" / "core"
FORBIDDEN = re.compile(r"(?<![\w.])(open|print|input)\(|\bos\.environ\b|\bsys\.std(out|err|in)\b")


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_is_pure(path: Path) -> None:
    code = "\n".join(line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    assert not FORBIDDEN.findall(code), f"{path.name} reads files, the environment or prints"
