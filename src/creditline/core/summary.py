"""Per-root summary of a scan: declared license, license clarity, obligations.

The **declared license** comes from the root's key files, the shallowest legal files
(LICENSE, COPYING, NOTICE, ...) and package manifests: a manifest's declaration wins (it
states choices such as ``MIT OR Apache-2.0`` that separate license files cannot), otherwise
the legal files' licenses are joined with AND.

The **clarity score** (0..100) follows ScanCode's license-clarity idea: +40 a declared
license, +40 every file license is a known license, +10 a legal file holds a license text,
+10 some copyright is stated, -20 files carry a copyleft license the declared one does not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from creditline.core import spdx
from creditline.model import Clarity, FileResult, Obligations, RootSummary

COPYLEFT = ("strong copyleft", "network copyleft", "weak copyleft")


def _depth(path: str) -> int:
    return path.count("/") - path.count("!/")


def _top_dir(path: str) -> str:
    return path.replace("!/", "/").split("/", 1)[0]


def key_files(files: Sequence[FileResult]) -> list[FileResult]:
    """The legal files and manifests that declare the root's license: those at the root itself
    or, when there are none, those of its single top-level folder (an unpacked ``pkg-1.0/``).
    A root holding several packages (site-packages, node_modules) declares nothing itself."""
    keys = [f for f in files if f.is_legal or f.is_manifest]
    at_root = [f for f in keys if _depth(f.path) == 0]
    if at_root:
        return at_root
    one_down = [f for f in keys if _depth(f.path) == 1]
    return one_down if len({_top_dir(f.path) for f in one_down}) == 1 else []


def declared_license(keys: Sequence[FileResult], resolve: Callable[[str], str | None]) -> str | None:
    declared = [e for f in keys if f.is_manifest for e in (resolve(d) for d in f.declared) if e]
    if declared:
        return _combine(declared)
    return _combine(f.license for f in keys if f.is_legal)


def _ids(expression: str | None) -> set[str]:
    return {i.lower() for i in _license_ids(expression)}


def _license_ids(expression: str | None) -> tuple[str, ...]:
    """Ids of a canonical expression (detections and resolved declarations are canonical)."""
    return spdx.split_ids(expression) if expression else ()


def _combine(expressions: Iterable[str | None]) -> str | None:
    return spdx.join_canonical(e for e in expressions if e)


def _is_unknown(license_id: str) -> bool:
    return "unknown" in license_id.lower()


def clarity(files: Sequence[FileResult], keys: Sequence[FileResult], declared: str | None,
            categories: dict[str, str]) -> Clarity:
    n = len(files)
    licensed = [f for f in files if f.license]
    declared_ids = _ids(declared)
    agreeing = sum(1 for f in licensed if declared_ids and _ids(f.license) <= declared_ids)
    disagreeing = len(licensed) - agreeing if declared_ids else 0
    file_ids = set().union(*(_ids(f.license) for f in licensed)) if licensed else set()
    copyleft_extra = any(categories.get(i) in COPYLEFT for i in file_ids - declared_ids)
    score = (40 if declared else 0) + (40 if licensed and not any(map(_is_unknown, file_ids)) else 0)
    score += 10 if any(d.kind == "text" for f in keys if f.is_legal for d in f.detections) else 0
    score += 10 if any(f.copyrights for f in files) else 0
    score -= 20 if declared and copyleft_extra else 0
    return Clarity(
        files=n,
        with_license=len(licensed),
        with_copyright=sum(1 for f in files if f.copyrights),
        license_share=round(len(licensed) / n, 4) if n else 0.0,
        copyright_share=round(sum(1 for f in files if f.copyrights) / n, 4) if n else 0.0,
        agreeing=agreeing,
        disagreeing=disagreeing,
        consistent=disagreeing == 0,
        score=max(score, 0),
    )


def _obligations_of(expressions: Iterable[str | None],
                    obligations: Callable[[str], tuple[Obligations, ...]]) -> tuple[Obligations, ...]:
    found: dict[str, Obligations] = {}
    for expr in expressions:
        if not expr or not _license_ids(expr):
            continue
        for o in obligations(expr):
            found.setdefault(o.license, o)
    return tuple(sorted(found.values(), key=lambda o: o.license.lower()))


def summarize_root(
    root: str,
    files: Sequence[FileResult],
    *,
    resolve: Callable[[str], str | None],
    obligations: Callable[[str], tuple[Obligations, ...]],
) -> RootSummary:
    """Summary of one scanned root; ``resolve`` turns a declared string into SPDX,
    ``obligations`` gives an expression's obligations (one per license, exceptions noted)."""
    keys = key_files(files)
    declared = declared_license(keys, resolve)
    counts = Counter(f.license for f in files if f.license)
    obls = _obligations_of([declared, *counts], obligations)
    categories = {o.license.lower(): o.category for o in obls}
    holders = Counter(h for f in files for c in f.copyrights for h in c.holders)
    return RootSummary(
        root=root,
        declared_license=declared,
        declared_from=tuple(f.path for f in keys if f.license or f.declared),
        licenses=dict(counts.most_common()),
        clarity=clarity(files, keys, declared, categories),
        obligations=obls,
        holders=tuple(h for h, _ in holders.most_common(20)),
    )
