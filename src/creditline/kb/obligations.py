"""Read the packaged obligations table (``creditline/data/obligations.toml``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from creditline.core.obligations import parse_obligation_table
from creditline.errors import KnowledgeError
from creditline.model import Obligations

RESOURCE = "data/obligations.toml"


@cache
def _table() -> dict[str, Obligations]:
    try:
        text = files("creditline").joinpath(RESOURCE).read_text(encoding="utf-8")
    except OSError as err:
        raise KnowledgeError(
            f"cannot read the packaged obligations table {RESOURCE}: {err}",
            hint="reinstall creditline",
        ) from err
    return parse_obligation_table(text)


def load_obligation_table() -> dict[str, Obligations]:
    """SPDX id → :class:`Obligations` for every license of the packaged table (parsed once)."""
    return dict(_table())
