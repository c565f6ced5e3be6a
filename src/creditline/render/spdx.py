"""SPDX 2.3 JSON for a dataset or catalog, made with ``spdx-tools`` (imported only here).

One package stands for the dataset and CONTAINS one file per work. Each file has its SHA-1,
the concluded license (NOASSERTION when none was found), the licenses found in it, its
copyright statements and its credit line (as an attribution text). Ids SPDX does not list
(ScanCode's ``LicenseRef-scancode-*``) get an extracted-licensing-info entry with their text.
The document is validated before it is written; an invalid one raises :class:`InputError`.

SPDX 3.0 is not offered: spdx-tools 0.8 supports it only as an experimental prototype (built on
a pre-release model, written to a file, neither parsed back nor validated).
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from typing import TYPE_CHECKING, Any

from creditline import __version__
from creditline.core import spdx as core_spdx
from creditline.errors import ExpressionError, InputError
from creditline.model import NoticeInput, Work
from creditline.render._attribution import (
    all_ids,
    created_at,
    statements,
    unique_ids,
    work_credit,
)

if TYPE_CHECKING:
    from license_expression import LicenseExpression

SPDX_VERSION = "SPDX-2.3"
NAMESPACE_BASE = "https://spdx.org/spdxdocs/"
_OPERATORS = frozenset({"AND", "OR", "WITH"})
_REF_RE = re.compile(r"^LicenseRef-[\da-zA-Z.-]+$")
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")
_MAX_MESSAGES = 20
FULL_VALIDATION_FILES = 1000


def _known() -> dict[str, Any]:
    from spdx_tools.common.spdx_licensing import spdx_licensing

    return {key.lower(): symbol for key, symbol in spdx_licensing.known_symbols.items()}


def _id_map(ids: tuple[str, ...], known: dict[str, Any]) -> dict[str, str]:
    """Each id as SPDX 2.3 accepts it: listed ids (in their listed case) and well-formed
    ``LicenseRef-`` ids as they are; anything else as ``LicenseRef-creditline-<id>``, the
    characters SPDX refuses replaced by ``-``."""
    mapped = {}
    for spdx_id in ids:
        symbol = known.get(spdx_id.lower())
        if symbol is not None and not spdx_id.startswith("LicenseRef-"):
            mapped[spdx_id] = symbol.key
        elif _REF_RE.match(spdx_id):
            mapped[spdx_id] = spdx_id
        else:
            bare = spdx_id.removeprefix("LicenseRef-")
            mapped[spdx_id] = "LicenseRef-creditline-" + re.sub(r"[^\da-zA-Z.-]", "-", bare)
    return mapped


def _spdx_expression(expression: str, mapping: dict[str, str], known: dict[str, Any]) -> str:
    """``expression`` with its ids mapped; ``WITH`` an id spdx-tools does not know as an
    exception becomes ``AND`` (spdx-tools refuses it after ``WITH``; ``AND`` keeps both terms and
    binds the same operands, as ``WITH`` binds tighter than ``AND`` and ``OR``). ScanCode's
    exceptions (``LicenseRef-scancode-*-exception``) are known to it and stay after ``WITH``."""
    tokens = expression.replace("(", " ( ").replace(")", " ) ").split()
    out = []
    for n, token in enumerate(tokens):
        if token.upper() == "WITH":
            following = mapping.get(tokens[n + 1], tokens[n + 1]) if n + 1 < len(tokens) else ""
            symbol = known.get(following.lower())
            out.append("WITH" if symbol is not None and symbol.is_exception else "AND")
        elif token.upper() in _OPERATORS:
            out.append(token.upper())
        else:
            out.append(mapping.get(token, token))
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _parse(expression: str) -> LicenseExpression:
    from spdx_tools.common.spdx_licensing import spdx_licensing

    return spdx_licensing.parse(expression)


def _license_fields(work: Work, mapping: dict[str, str], known: dict[str, Any]) -> dict[str, Any]:
    """``license_concluded`` and ``license_info_in_file`` of a work; NOASSERTION for both when it
    has no license or one that is not an SPDX expression (then said in ``license_comment``)."""
    from license_expression import ExpressionError as LicenseExpressionError
    from spdx_tools.spdx.model import SpdxNoAssertion

    none = {"license_concluded": SpdxNoAssertion(), "license_info_in_file": [SpdxNoAssertion()]}
    if not work.license:
        return none
    expression = _spdx_expression(work.license, mapping, known)
    try:
        found = [f"{lic} WITH {exc}" if exc else lic for lic, exc in core_spdx.license_pairs(expression)]
        return {"license_concluded": _parse(expression), "license_info_in_file": [_parse(f) for f in found]}
    except (ExpressionError, LicenseExpressionError):
        return {**none, "license_comment": f"creditline found the license {work.license!r}, which is not a "
                                          "valid SPDX expression."}


def _license_comment(work: Work, fields: dict[str, Any]) -> str | None:
    notes = [fields.pop("license_comment")] if "license_comment" in fields else []
    if work.declared_license:
        agreement = {True: "agrees with", False: "differs from", None: "not compared with"}[work.license_agrees]
        notes.append(f"Declared license: {work.declared_license} ({agreement} the concluded license).")
    return " ".join(notes) or None


def _file(work: Work, spdx_id: str, notice: NoticeInput, mapping: dict[str, str], known: dict[str, Any]) -> Any:
    from spdx_tools.spdx.model import Checksum, ChecksumAlgorithm, File, FileType, SpdxNoAssertion

    found = statements(work)
    fields = _license_fields(work, mapping, known)
    return File(
        name=work.path if work.path.startswith("./") else f"./{work.path.lstrip('/')}",
        spdx_id=spdx_id,
        checksums=[Checksum(ChecksumAlgorithm.SHA1, work.sha1.lower())],
        file_types=[FileType.SOURCE if work.kind == "code" else FileType.TEXT],
        license_comment=_license_comment(work, fields),
        copyright_text="\n".join(found) if found else SpdxNoAssertion(),
        comment=f"Source: {work.source_url}" if work.source_url else None,
        attribution_texts=[work_credit(work, notice)],
        **fields,
    )


def _extracted(mapping: dict[str, str], notice: NoticeInput) -> list[Any]:
    from spdx_tools.spdx.model import ExtractedLicensingInfo

    out = []
    for original, ref in sorted(mapping.items(), key=lambda kv: kv[1]):
        if not ref.startswith("LicenseRef-"):
            continue
        record = notice.licenses.get(original)
        text = record.text.strip() if record and record.text.strip() else (
            f"The text of {original} is not available in creditline's license database (licensedcode-data)"
            + (f"; see {record.url}." if record and record.url else "; see the works that carry it."))
        urls = [record.url] if record and record.url.startswith(("http://", "https://")) else []
        out.append(ExtractedLicensingInfo(license_id=ref, extracted_text=text,
                                          license_name=(record.name if record and record.name else original),
                                          cross_references=urls,
                                          comment=None if original == ref else f"The license {original}."))
    return out


def _verification_code(works: tuple[Work, ...]) -> Any:
    from spdx_tools.spdx.model import PackageVerificationCode

    sums = sorted(w.sha1.lower() for w in works)
    if not sums or not all(_SHA1_RE.match(s) for s in sums):
        return None
    return PackageVerificationCode(hashlib.sha1("".join(sums).encode("ascii")).hexdigest())


def _namespace(notice: NoticeInput) -> str:
    slug = re.sub(r"[^\w.-]+", "-", notice.name, flags=re.ASCII).strip("-") or "dataset"
    seed = "\0".join([notice.name, notice.created, *sorted(f"{w.root}/{w.path}:{w.sha1}" for w in notice.works)])
    return f"{NAMESPACE_BASE}creditline-{slug}-{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def build_document(notice: NoticeInput) -> Any:
    """The ``spdx_tools`` document for ``notice`` (not yet validated)."""
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        CreationInfo,
        Document,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )

    known = _known()
    mapping = _id_map(all_ids(notice.works), known)
    creation = CreationInfo(
        spdx_version=SPDX_VERSION, spdx_id="SPDXRef-DOCUMENT", name=notice.name or "dataset",
        document_namespace=_namespace(notice), creators=[Actor(ActorType.TOOL, f"creditline-{__version__}")],
        created=created_at(notice).replace(microsecond=0),
        creator_comment=f"Attribution export of the {notice.kind} {notice.name} by creditline.",
    )
    file_ids = unique_ids("SPDXRef-File-", notice.works)
    files = [_file(w, i, notice, mapping, known) for w, i in zip(notice.works, file_ids, strict=True)]
    in_files = list(dict.fromkeys(str(lic) for f in files for lic in f.license_info_in_file
                                  if not isinstance(lic, SpdxNoAssertion)))
    package = Package(
        spdx_id="SPDXRef-Dataset", name=notice.name or "dataset", download_location=SpdxNoAssertion(),
        files_analyzed=True, verification_code=_verification_code(notice.works),
        license_concluded=SpdxNoAssertion(), license_declared=SpdxNoAssertion(),
        license_info_from_files=[_parse(e) for e in in_files] or [SpdxNoAssertion()],
        copyright_text=SpdxNoAssertion(), primary_package_purpose=PackagePurpose.OTHER,
        comment=f"The {notice.kind} {notice.name}: {len(files)} works, one SPDX file each.",
    )
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, package.spdx_id)]
    relationships += [Relationship(package.spdx_id, RelationshipType.CONTAINS, f.spdx_id) for f in files]
    return Document(creation_info=creation, packages=[package], files=files, relationships=relationships,
                    extracted_licensing_info=_extracted(mapping, notice))


def _relationship_problems(document: Any) -> list[str]:
    """What spdx-tools' relationship check finds, in one pass: both ends of every relationship
    must be elements of the document (its own check rebuilds the id list per relationship)."""
    ids = {document.creation_info.spdx_id, *(p.spdx_id for p in document.packages),
           *(f.spdx_id for f in document.files)}
    return [f"did not find the referenced spdx_id {end} in the SPDX document"
            for r in document.relationships for end in (r.spdx_element_id, r.related_spdx_element_id)
            if isinstance(end, str) and end not in ids]


def validate_document(document: Any) -> list[str]:
    """Every problem ``spdx-tools`` finds in ``document`` against SPDX 2.3 (empty when valid).

    Up to :data:`FULL_VALIDATION_FILES` files the whole document goes through spdx-tools'
    validator. Above, its relationship check (quadratic in the number of files) is replaced by an
    equivalent one-pass check; everything else (creation info, package, every file, every license
    expression, extracted licenses, duplicate ids) is still validated by spdx-tools.
    """
    from spdx_tools.spdx.model import Document, RelationshipType
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    if len(document.files) <= FULL_VALIDATION_FILES:
        return [m.validation_message for m in validate_full_spdx_document(document, SPDX_VERSION)]
    rest = [r for r in document.relationships if r.relationship_type != RelationshipType.CONTAINS]
    lighter = Document(creation_info=document.creation_info, packages=document.packages, files=document.files,
                       relationships=rest, extracted_licensing_info=document.extracted_licensing_info)
    problems = [m.validation_message for m in validate_full_spdx_document(lighter, SPDX_VERSION)]
    return problems + _relationship_problems(document)


def spdx_json(notice: NoticeInput, **_: Any) -> str:
    """The SPDX 2.3 JSON document of ``notice``.

    :raises InputError: when the document does not validate (a work without a SHA-1, say).
    """
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    document = build_document(notice)
    problems = validate_document(document)
    if problems:
        shown = "; ".join(problems[:_MAX_MESSAGES])
        more = f" (and {len(problems) - _MAX_MESSAGES} more)" if len(problems) > _MAX_MESSAGES else ""
        raise InputError(f"the SPDX document for {notice.name} is not valid SPDX 2.3: {shown}{more}",
                         hint="every work needs a 40-digit SHA-1 and a parseable license expression")
    out = io.StringIO()
    write_document_to_stream(document, out, validate=False, drop_duplicates=False)
    return out.getvalue() + "\n"
