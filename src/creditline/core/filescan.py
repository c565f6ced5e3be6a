"""Everything creditline says about one document: licenses, copyrights, its own license.

Copyright statements that belong to a matched license text (the FSF's in the GPL, say: the
license database lists them as ignorable) are dropped.
"""

from __future__ import annotations

import posixpath

from collections.abc import Sequence

from creditline.core import manifest, spdx
from creditline.core.copyright import detect_copyrights
from creditline.core.detect import detect_licenses, detect_licenses_batch
from creditline.core.licindex import LicenseIndex
from creditline.model import CopyrightNotice, Document, FileResult, LicenseDetection


def _ignorables(detections: tuple[LicenseDetection, ...], index: LicenseIndex) -> tuple[str, ...]:
    rules = {d.rule for d in detections if d.kind != "spdx_tag"}
    if not rules:
        return ()
    out: list[str] = []
    by_id = index.rule_numbers
    for rule in rules:
        number = by_id.get(rule)
        if number is not None:
            out.extend(index.ignorables.get(number, ()))
    return tuple(out)


def _outside_texts(notices: tuple[CopyrightNotice, ...], detections: tuple[LicenseDetection, ...]) -> tuple[CopyrightNotice, ...]:
    """Drop notices that sit inside a matched full license text (they are part of it)."""
    texts = [(d.start_line, d.end_line) for d in detections if d.kind == "text" and d.end_line - d.start_line >= 5]
    if not texts:
        return notices
    return tuple(
        n for n in notices
        if not any(a < n.start_line and n.end_line <= b for a, b in texts)
    )


def copyrights_of(text: str, detections: tuple[LicenseDetection, ...], index: LicenseIndex) -> tuple[CopyrightNotice, ...]:
    ignorable = _ignorables(detections, index)
    notices = detect_copyrights(text, ignorable_holders=ignorable, ignorable_copyrights=ignorable)
    return _outside_texts(notices, detections)


def _choices_absorb(expressions: list[str]) -> list[str]:
    """Drop expressions that are one of the alternatives of a choice stated in the same file
    (``MIT OR Apache-2.0`` followed by the MIT and Apache texts is the choice, not all three)."""
    choices = [set(spdx.split_ids(e)) for e in expressions if " OR " in e]
    if not choices:
        return expressions

    def absorbed(expr: str) -> bool:
        return " OR " not in expr and any(set(spdx.split_ids(expr)) <= c for c in choices)

    return [e for e in expressions if not absorbed(e)]


def file_license(detections: tuple[LicenseDetection, ...]) -> str | None:
    """The file's own license: its detections' expressions joined with AND, without duplicates;
    the alternatives of a stated choice are part of the choice."""
    return spdx.join_canonical(_choices_absorb(list(dict.fromkeys(d.expression for d in detections))))


def scan_document(doc: Document, index: LicenseIndex, *, copyrights: bool = True) -> FileResult:
    return _file_result(doc, detect_licenses(doc.text, index), index, copyrights)


def scan_documents(docs: Sequence[Document], index: LicenseIndex, *, copyrights: bool = True) -> list[FileResult]:
    """:func:`scan_document` of each document, with the same results; license detection runs on
    all of them together (:func:`~creditline.core.detect.detect_licenses_batch`), which makes many
    small documents (dataset rows) much cheaper."""
    found = detect_licenses_batch([doc.text for doc in docs], index)
    return [_file_result(doc, detections, index, copyrights) for doc, detections in zip(docs, found)]


def _file_result(doc: Document, detections: tuple[LicenseDetection, ...], index: LicenseIndex,
                 copyrights: bool) -> FileResult:
    name = posixpath.basename(doc.path.rsplit("!/", 1)[-1])
    declared = manifest.declared_licenses(name, doc.text) if manifest.is_manifest(name) else ()
    return FileResult(
        path=doc.path,
        license=file_license(detections),
        detections=detections,
        copyrights=copyrights_of(doc.text, detections, index) if copyrights else (),
        size=doc.size,
        sha1=doc.sha1,
        encoding=doc.encoding,
        truncated=doc.truncated,
        is_legal=manifest.is_legal_file(name),
        is_manifest=bool(declared),
        declared=declared,
    )
