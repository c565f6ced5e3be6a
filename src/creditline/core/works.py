"""One document -> a catalog Work with its fingerprints (pure).

The license comes from the scan engine (:mod:`creditline.core.filescan`); declared metadata
(``title``, ``author``, ``source``/``url``, ``license``) from ``Document.declared``. Each
channel's postings are the winnowed k-gram hashes with the character range the k-gram covers in
the original text, so trace results point at source characters and lines without the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from creditline.core import spdx
from creditline.core.charclass import newlines
from creditline.core.filescan import scan_documents
from creditline.core.fingerprint import K, stream_kgram_hashes, window_of, winnowed
from creditline.core.licindex import LicenseIndex
from creditline.core.normalize import TokenStream, prose_tokens, tokenize
from creditline.core.textpack import pack_text
from creditline.model import Document, FileResult, Work

Postings = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class PreparedWork:
    """What the catalog stores for one document."""

    work: Work
    fingerprints: dict[str, Postings]
    line_starts: np.ndarray
    scan: FileResult
    text: bytes  # the document's text, packed (:func:`~creditline.core.textpack.pack_text`)


def line_starts(text: str) -> np.ndarray:
    """Character offset of the start of every line (0 first)."""
    return np.concatenate([[0], newlines(text) + 1]).astype(np.int64)


def channel_postings(tokens: TokenStream, channel: str, k: int = K, window: int | None = None) -> Postings:
    """(hashes, start char, end char) of the winnowed k-grams of one channel (``exact`` or
    ``renamed``) of a token stream; ``window`` defaults to the channel's (WINDOW, RENAMED_WINDOW)."""
    window = window or window_of(channel)
    fp = winnowed(stream_kgram_hashes(tokens, channel, k), window)
    last = np.minimum(fp.positions + k - 1, len(tokens) - 1)
    return fp.hashes, tokens.starts[fp.positions], tokens.ends[last]


def fingerprint_text(text: str, path: str | None = None) -> tuple[TokenStream, dict[str, Postings]]:
    """Tokens of a text and the postings of each channel: ``exact``; for code also ``renamed``
    (identifiers and literals abstracted) and ``words`` (the code read as prose, so that code
    pasted into a Markdown answer or a chat transcript is still found)."""
    tokens = tokenize(text, path)
    channels = {"exact": channel_postings(tokens, "exact")}
    if tokens.renamed is not None:
        channels["renamed"] = channel_postings(tokens, "renamed")
    if tokens.kind == "code":
        channels["words"] = channel_postings(prose_tokens(text), "exact")
    return tokens, channels


def licenses_agree(detected: str | None, declared: str | None) -> bool | None:
    """Whether two expressions name the same licenses (None when either is missing)."""
    if not detected or not declared:
        return None
    return set(spdx.split_ids(detected)) == set(spdx.split_ids(declared))


def prepare_work(doc: Document, index: LicenseIndex) -> PreparedWork:
    """Scan one document for licenses and copyrights and fingerprint it."""
    return prepare_works([doc], index)[0]


def prepare_works(docs: Sequence[Document], index: LicenseIndex) -> list[PreparedWork]:
    """:func:`prepare_work` of each document, with the same results; their license scan runs on
    all of them together (:func:`~creditline.core.filescan.scan_documents`), which costs less
    than a scan per document."""
    return [_prepared(doc, scan) for doc, scan in zip(docs, scan_documents(docs, index), strict=True)]


def _prepared(doc: Document, scan: FileResult) -> PreparedWork:
    tokens, channels = fingerprint_text(doc.text, doc.path)
    declared = doc.declared.get("license") or None
    work = Work(
        path=doc.path,
        sha1=doc.sha1,
        size=doc.size,
        root=doc.root,
        license=scan.license or declared,
        declared_license=declared,
        license_agrees=licenses_agree(scan.license, declared),
        copyrights=tuple(c.statement for c in scan.copyrights),
        holders=tuple(dict.fromkeys(h for c in scan.copyrights for h in c.holders)),
        title=doc.declared.get("title"),
        author=doc.declared.get("author") or next(iter(h for c in scan.copyrights for h in c.holders), None),
        source_url=doc.declared.get("source") or doc.declared.get("url"),
        kind=tokens.kind,
        language=tokens.language,
        tokens=len(tokens),
    )
    return PreparedWork(work, channels, line_starts(doc.text), scan, pack_text(doc.text))
