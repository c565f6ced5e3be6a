"""CycloneDX 1.6 JSON for a dataset or catalog, made with ``cyclonedx-python-lib`` (imported
only here).

The BOM's metadata component is the dataset (type ``data``); each work is one component (type
``file`` for code, ``data`` for prose) named by its path, with its SHA-1, its license (an SPDX
id, or an expression, or a named license for ids SPDX does not list), its copyright statements,
its author, its source URL and its credit line. The output is validated against the CycloneDX
1.6 JSON schema shipped with the library; an invalid one raises :class:`InputError`.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from creditline import __version__
from creditline.errors import InputError
from creditline.model import NoticeInput, Work
from creditline.render._attribution import (
    author_of,
    created_at,
    expression_ids,
    license_url,
    statements,
    unique_ids,
    work_credit,
)

_URL_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


def _licenses(work: Work, notice: NoticeInput) -> list[Any]:
    from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
    from cyclonedx.spdx import fixup_id, is_expression

    if not work.license:
        return []
    concluded = LicenseAcknowledgement.CONCLUDED
    ids = expression_ids(work.license)
    if len(ids) == 1 and ids[0] == work.license.strip():
        listed = fixup_id(work.license)
        if listed:
            return [DisjunctiveLicense(id=listed, acknowledgement=concluded)]
        url = license_url(work.license, notice)
        return [DisjunctiveLicense(name=work.license, acknowledgement=concluded,
                                   url=_uri(url) if url and _URL_RE.match(url) else None)]
    if is_expression(work.license):
        return [LicenseExpression(work.license, acknowledgement=concluded)]
    return [DisjunctiveLicense(name=work.license, acknowledgement=concluded)]


def _uri(url: str) -> Any:
    from cyclonedx.model import XsUri

    return XsUri(url)


def _properties(work: Work, notice: NoticeInput) -> list[Any]:
    from cyclonedx.model import Property

    values = {"creditline:credit_line": work_credit(work, notice), "creditline:title": work.title,
              "creditline:declared_license": work.declared_license, "creditline:language": work.language,
              "creditline:root": work.root}
    if work.license_agrees is not None:
        values["creditline:license_agrees"] = str(work.license_agrees).lower()
    return [Property(name=k, value=v) for k, v in values.items() if v]


def _component(work: Work, ref: str, notice: NoticeInput) -> Any:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalContact

    found = statements(work)
    author = author_of(work)
    refs = [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=_uri(work.source_url),
                              comment="where the work was obtained")] if (
        work.source_url and _URL_RE.match(work.source_url)) else []
    return Component(
        name=work.path, bom_ref=ref, type=ComponentType.FILE if work.kind == "code" else ComponentType.DATA,
        description=work.title or None, hashes=[HashType(alg=HashAlgorithm.SHA_1, content=work.sha1.lower())]
        if work.sha1 else [], licenses=_licenses(work, notice), copyright="\n".join(found) if found else None,
        authors=[OrganizationalContact(name=author)] if author else [], external_references=refs,
        properties=_properties(work, notice),
    )


def build_bom(notice: NoticeInput) -> Any:
    """The ``cyclonedx`` BOM for ``notice``: the dataset depends on every work, each work has
    its own (empty) dependency entry, as the library's own normalisation would add."""
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.dependency import Dependency
    from cyclonedx.model.tool import ToolRepository

    tool = Component(type=ComponentType.APPLICATION, name="creditline", version=__version__)
    dataset = Component(type=ComponentType.DATA, name=notice.name or "dataset", bom_ref="dataset",
                        description=f"The {notice.kind} {notice.name}: {len(notice.works)} works.")
    refs = unique_ids("work-", notice.works)
    components = [_component(w, r, notice) for w, r in zip(notice.works, refs, strict=True)]
    seed = "\0".join([notice.name, notice.created, *sorted(f"{w.root}/{w.path}:{w.sha1}" for w in notice.works)])
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, seed), components=components,
              metadata=BomMetaData(timestamp=created_at(notice).replace(microsecond=0),
                                   tools=ToolRepository(components=[tool]), component=dataset))
    bom.dependencies.update([Dependency(ref=dataset.bom_ref, dependencies=[Dependency(ref=c.bom_ref)
                                                                            for c in components]),
                             *(Dependency(ref=c.bom_ref) for c in components)])
    return bom


def _serialise(bom: Any) -> str:
    """The BOM as CycloneDX 1.6 JSON.

    The outputter first calls ``Bom.validate()`` (deprecated in the library), whose
    dependency registration scans every dependency once per component: hours for a large
    dataset. :func:`build_bom` already did what it checks (every component has a dependency
    entry, every reference is known, no license expression beside other licenses), so it is
    skipped for this BOM; the schema validation of the output still runs.
    """
    from cyclonedx.output.json import JsonV1Dot6

    bom.validate = lambda: True  # type: ignore[method-assign]  # this object only
    return JsonV1Dot6(bom).output_as_string()


def _fast_iri(rule: str) -> Any:
    """An IRI check equal to RFC 3987's for the IRIs a BOM holds: non-ASCII characters are
    percent-encoded, then the RFC 3986 grammar (a regular expression) decides."""
    from urllib.parse import quote

    from rfc3986_validator import validate_rfc3986

    def check(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        ascii_only = "".join(c if c.isascii() else quote(c) for c in instance)
        return bool(validate_rfc3986(ascii_only, rule=rule))

    return check


def _unique_items(validator: Any, unique: bool, instance: Any, schema: Any) -> Any:
    """``uniqueItems`` in one pass (jsonschema compares every pair of objects: quadratic)."""
    from jsonschema.exceptions import ValidationError

    if unique and validator.is_type(instance, "array"):
        keys = [json.dumps(item, sort_keys=True) for item in instance]
        if len(set(keys)) != len(keys):
            yield ValidationError(f"{instance!r} has non-unique elements")


def schema_validator() -> Any:
    """A validator for CycloneDX 1.6 JSON from the schemas ``cyclonedx-python-lib`` ships, as its
    ``JsonStrictValidator`` builds it, except for two checks done in linear time: IRI formats
    (:func:`_fast_iri`; jsonschema's own check, rfc3987-syntax's Earley parser, costs about 50 ms
    per URL) and ``uniqueItems`` (:func:`_unique_items`; jsonschema compares every pair). ``None`` when the library's schema files cannot be
    found (then the library's own validator is used)."""
    try:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.schema._res import BOM_JSON_STRICT, CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON
        from jsonschema import FormatChecker
        from jsonschema.validators import Draft7Validator, extend
        from referencing import Registry
        from referencing.jsonschema import DRAFT7
    except ImportError:
        return None

    def load(path: str | None) -> Any:
        with open(path or "", encoding="utf-8") as f:
            return json.load(f)

    prefix = "http://cyclonedx.org/schema/"
    registry: Registry[Any] = Registry().with_resources([
        (f"{prefix}spdx.SNAPSHOT.schema.json", DRAFT7.create_resource(load(SPDX_JSON))),
        (f"{prefix}cryptography-defs.SNAPSHOT.schema.json", DRAFT7.create_resource(load(CRYPTOGRAPHY_DEFS))),
        (f"{prefix}jsf-0.82.SNAPSHOT.schema.json", DRAFT7.create_resource(load(JSF))),
    ])
    checker = FormatChecker(formats=())
    checker.checkers = {**Draft7Validator.FORMAT_CHECKER.checkers,
                        "iri": (_fast_iri("URI"), ValueError),
                        "iri-reference": (_fast_iri("URI_reference"), ValueError)}
    validator = extend(Draft7Validator, {"uniqueItems": _unique_items})
    return validator(load(BOM_JSON_STRICT[SchemaVersion.V1_6]), registry=registry, format_checker=checker)


def validation_errors(text: str) -> list[str]:
    """Every way ``text`` breaks the CycloneDX 1.6 JSON schema (empty when valid)."""
    validator = schema_validator()
    if validator is None:  # pragma: no cover - the library moved its schema files
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator

        errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
        return [str(e) for e in errors or ()]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
            for e in validator.iter_errors(json.loads(text))]


def cyclonedx_json(notice: NoticeInput, **_: Any) -> str:
    """The CycloneDX 1.6 JSON BOM of ``notice``, validated against the 1.6 schema.

    :raises InputError: when the BOM does not validate.
    """
    text = _serialise(build_bom(notice))
    problems = validation_errors(text)
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise InputError(f"the CycloneDX BOM for {notice.name} does not validate against CycloneDX 1.6: "
                         f"{'; '.join(problems[:20])}{more}", hint="every work needs a 40-digit SHA-1")
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
