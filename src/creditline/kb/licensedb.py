"""Read ScanCode's license database (the ``licensedcode-data`` package) into plain records.

Each ``.LICENSE`` / ``.RULE`` file is YAML front matter between ``---`` lines followed by the
text. Deprecated licenses and rules are left out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from creditline.core.licenses import LicenseInfo, RuleInfo
from creditline.errors import KnowledgeError

log = logging.getLogger(__name__)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KIND_FLAGS = (
    ("is_false_positive", "false_positive"),
    ("is_license_text", "text"),
    ("is_license_notice", "notice"),
    ("is_license_tag", "tag"),
    ("is_license_reference", "reference"),
    ("is_license_intro", "intro"),
    ("is_license_clue", "clue"),
)


def data_dir() -> Path:
    """The ``data`` folder of the installed ``licensedcode-data`` package."""
    try:
        import licensedcode  # the licensedcode-data distribution's namespace package
    except ImportError as err:  # pragma: no cover - it is a hard dependency
        raise KnowledgeError(
            "the license database (licensedcode-data) is not installed",
            hint="pip install licensedcode-data",
        ) from err
    for base in licensedcode.__path__:
        path = Path(base) / "data"
        if (path / "licenses").is_dir() and (path / "rules").is_dir():
            return path
    raise KnowledgeError("licensedcode-data has no data/licenses and data/rules folders")


def parse_frontmatter(text: str, origin: str = "") -> tuple[dict[str, Any], str]:
    """Split ``---\\nYAML\\n---\\nbody`` into (metadata, body)."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise KnowledgeError(f"{origin}: front matter is not closed by '---'")
    meta = yaml.load(text[3:end], Loader=_LOADER) or {}  # noqa: S506 - CSafeLoader
    body = text[end + 4 :]
    if body.startswith("\n"):
        body = body[1:]
    return meta, body


def _tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _read(path: Path) -> tuple[dict[str, Any], str]:
    return parse_frontmatter(path.read_text(encoding="utf-8"), str(path))


def newer_spdx_keys() -> dict[str, tuple[str, tuple[str, ...]]]:
    """ScanCode key -> (SPDX id, other SPDX ids) from the LicenseDB index that
    ``license-expression`` ships: it is newer than licensedcode-data and knows SPDX ids given
    since (``mit-taylor-variant`` is now ``pkgconf``). Empty when it cannot be read."""
    import license_expression

    path = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        log.warning("cannot read %s (%s); using licensedcode-data's SPDX ids only", path, err)
        return {}
    return {
        e["license_key"]: (e["spdx_license_key"], tuple(e.get("other_spdx_license_keys") or ()))
        for e in entries if e.get("spdx_license_key") and not e.get("is_deprecated")
    }


def _spdx_ids(key: str, meta: dict[str, Any], newer: dict[str, tuple[str, tuple[str, ...]]]) -> tuple[str, tuple[str, ...]]:
    """The license's SPDX id (the newer index wins) and its aliases (old ids kept as aliases)."""
    old = meta.get("spdx_license_key") or f"LicenseRef-scancode-{key}"
    others = _tuple(meta.get("other_spdx_license_keys"))
    if key not in newer or newer[key][0] == old:
        return old, others
    spdx, newer_others = newer[key]
    return spdx, tuple(dict.fromkeys((old, *others, *newer_others)))


def iter_licenses(root: Path | None = None) -> Iterator[LicenseInfo]:
    root = root or data_dir()
    newer = newer_spdx_keys()
    for path in sorted((root / "licenses").glob("*.LICENSE")):
        meta, body = _read(path)
        if meta.get("is_deprecated"):
            continue
        key = meta["key"]
        spdx, other_spdx = _spdx_ids(key, meta, newer)
        yield LicenseInfo(
            key=key,
            spdx=spdx,
            name=meta.get("name", key),
            short_name=meta.get("short_name", key),
            category=meta.get("category", "Unstated License"),
            text=body,
            other_spdx=other_spdx,
            is_exception=bool(meta.get("is_exception")),
            is_unknown=bool(meta.get("is_unknown")),
            is_generic=bool(meta.get("is_generic")),
            homepage_url=meta.get("homepage_url") or "",
            text_urls=_tuple(meta.get("text_urls")),
            osi_url=meta.get("osi_url") or "",
            minimum_coverage=int(meta.get("minimum_coverage") or 0),
            ignorable_copyrights=_tuple(meta.get("ignorable_copyrights")),
            ignorable_holders=_tuple(meta.get("ignorable_holders")),
            ignorable_authors=_tuple(meta.get("ignorable_authors")),
        )


def _rule_kind(meta: dict[str, Any]) -> str:
    for flag, kind in _KIND_FLAGS:
        if meta.get(flag):
            return kind
    return "notice"


def iter_rules(root: Path | None = None) -> Iterator[RuleInfo]:
    """Every active rule, then every license text as a ``text`` rule."""
    root = root or data_dir()
    for path in sorted((root / "rules").glob("*.RULE")):
        meta, body = _read(path)
        if meta.get("is_deprecated") or not body.strip():
            continue
        kind = _rule_kind(meta)
        expression = meta.get("license_expression")
        if not expression and kind != "false_positive":
            continue
        yield RuleInfo(
            identifier=path.name,
            expression=expression or "",
            text=body,
            kind=kind,
            relevance=int(meta.get("relevance") or 100),
            minimum_coverage=int(meta.get("minimum_coverage") or 0),
            is_continuous=bool(meta.get("is_continuous")),
            referenced_filenames=_tuple(meta.get("referenced_filenames")),
            ignorable_copyrights=_tuple(meta.get("ignorable_copyrights")),
            ignorable_holders=_tuple(meta.get("ignorable_holders")),
            ignorable_authors=_tuple(meta.get("ignorable_authors")),
        )
    for lic in iter_licenses(root):
        if lic.text.strip() and not lic.is_unknown and not lic.is_generic:
            yield RuleInfo(
                identifier=f"{lic.key}.LICENSE",
                expression=lic.key,
                text=lic.text,
                kind="text",
                minimum_coverage=lic.minimum_coverage,
                ignorable_copyrights=lic.ignorable_copyrights,
                ignorable_holders=lic.ignorable_holders,
                ignorable_authors=lic.ignorable_authors,
            )
