"""Full license texts by SPDX id, read from ScanCode's license database (``licensedcode-data``).

The compiled license index keeps no texts (they would triple its size), so the texts the
attribution exports append are read here, one ``<key>.LICENSE`` file per id asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from creditline.core.licenses import LicenseInfo
from creditline.errors import KnowledgeError
from creditline.kb.licensedb import data_dir, parse_frontmatter
from creditline.model import LicenseText

log = logging.getLogger(__name__)

_SCANCODE_REF = "licenseref-scancode-"


def _by_id(licenses: Iterable[LicenseInfo]) -> dict[str, LicenseInfo]:
    """Lower-cased SPDX id (and alias, and ``LicenseRef-scancode-<key>``) → license record."""
    found: dict[str, LicenseInfo] = {}
    for lic in licenses:
        for alias in (*lic.other_spdx, f"LicenseRef-scancode-{lic.key}"):
            found.setdefault(alias.lower(), lic)
    for lic in licenses:
        found[lic.spdx.lower()] = lic  # a license's own id wins over another's alias
    return found


def _read_text(root: Path, key: str) -> str:
    path = root / "licenses" / f"{key}.LICENSE"
    try:
        return parse_frontmatter(path.read_text(encoding="utf-8"), str(path))[1].strip("\n")
    except (OSError, UnicodeDecodeError, KnowledgeError) as err:
        log.warning("cannot read the text of license %s from %s: %s", key, path, err)
        return ""


def license_texts(
    spdx_ids: Iterable[str], licenses: Mapping[str, LicenseInfo] | None = None, root: Path | None = None,
) -> dict[str, LicenseText]:
    """:class:`LicenseText` of each SPDX id (license or exception), keyed by the id as given.

    ``licenses`` is the license index's ``key → LicenseInfo`` (the cached index when omitted),
    ``root`` the database folder. An id the database does not know, or whose file cannot be
    read, gets an empty ``text``: the exports say the text is not available.
    """
    if licenses is None:
        from creditline.kb.cache import get_index

        licenses = get_index().licenses
    root = root or data_dir()
    by_id = _by_id(licenses.values())
    out: dict[str, LicenseText] = {}
    for spdx_id in dict.fromkeys(spdx_ids):
        base = spdx_id[:-1] if spdx_id.endswith("+") else spdx_id
        lic = by_id.get(base.lower())
        if lic is None and base.lower().startswith(_SCANCODE_REF):
            lic = licenses.get(base[len(_SCANCODE_REF):].lower())
        if lic is None:
            out[spdx_id] = LicenseText(spdx_id)
            continue
        out[spdx_id] = LicenseText(spdx_id, name=lic.name, text=_read_text(root, lic.key), url=lic.url)
    return out
