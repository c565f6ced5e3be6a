"""Licenses declared by package manifests, and which files are legal files.

Pure: a file name and its text in, raw declared license strings out. Nothing here maps a
declaration to SPDX (that is :mod:`creditline.core.spdx`'s job); a manifest that does not
parse declares nothing (``()``), it never raises.

Recognised manifests and the fields read, in this order:

* ``pyproject.toml``: ``[project] license-expression`` (an early PEP 639 draft), ``license``
  (a string, PEP 639, or a table: ``{text = ...}`` is returned, ``{file = ...}`` is not),
  ``[tool.poetry] license``, then the ``License ::`` classifiers of both tables.
* ``setup.cfg``: ``[metadata] license_expression``, ``license``, ``License ::`` classifiers.
* ``PKG-INFO`` and ``METADATA``: ``License-Expression``, ``License`` (multi-line texts are
  returned de-indented, to be matched as text), ``Classifier: License ::``.
* ``package.json``: ``license`` (string or ``{type}``), the legacy ``licenses`` array.
* ``Cargo.toml``: ``[package] license`` and ``[workspace.package] license``;
  ``license-file`` is ignored.

A classifier yields its last part (``License :: OSI Approved :: MIT License`` gives
``MIT License``). Empty values, setuptools' ``UNKNOWN`` and npm's ``SEE LICENSE IN <file>``
(a pointer to a file, like ``{file = ...}``) are not returned; npm's ``UNLICENSED`` is.
"""

from __future__ import annotations

import configparser
import email.errors
import email.parser
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["LEGAL_NAMES", "MANIFEST_NAMES", "declared_licenses", "is_legal_file", "is_manifest"]

MANIFEST_NAMES: frozenset[str] = frozenset(
    {"pyproject.toml", "setup.cfg", "PKG-INFO", "METADATA", "package.json", "Cargo.toml"}
)

#: Stems (lower case) of legal files: ``LICENSE``, ``COPYING.LESSER``, ``LICENSE-MIT``, ...
LEGAL_NAMES: frozenset[str] = frozenset(
    """license licence licenses licences licensing licencing copying copyright copyrights
    copyleft notice notices unlicense legal eula patents""".split()
)

_DOC_EXTENSIONS = frozenset("txt text md markdown rst html htm adoc asciidoc org rtf pdf".split())
_CODE_EXTENSIONS = frozenset(
    """py pyi pyc js mjs cjs ts tsx jsx c h cc cpp hpp cs java kt go rs rb php pl pm sh bash
    zsh ps1 bat cmd json yaml yml toml cfg ini xml css scss less svg png jpg jpeg gif ico
    lock sql r swift m mm scala clj ex exs erl hs lua vim el tex cmake mk in am ac""".split()
)
_LEGAL_DIRS = frozenset({"licenses", "licences", "license", "licence"})
_SEPARATORS = re.compile(r"[-_.]")
_CLASSIFIER_PREFIX = "License ::"
_NOT_A_LICENSE = frozenset({"", "UNKNOWN", "OSI Approved", "DFSG approved"})
_SEE_LICENSE_IN = re.compile(r"^see\s+licen[cs]e\s+in\b", re.I)
_CONTINUATION_BAR = re.compile(r"^\s*\|")


# --- file names --------------------------------------------------------------------------


def _basename(filename: str) -> str:
    """The last path component, for ``/``, ``\\`` and ``archive.zip!/member`` paths."""
    return re.split(r"[/\\]", filename.rstrip("/\\"))[-1]


def is_manifest(filename: str) -> bool:
    """Whether ``filename`` (a name or a path) is a package manifest this module reads.

    >>> is_manifest("src/pkg/pyproject.toml"), is_manifest("setup.py")
    (True, False)
    """
    return _basename(filename) in MANIFEST_NAMES


def is_legal_file(filename: str) -> bool:
    """Whether ``filename`` names a license, copying, copyright or notice file.

    Case-insensitive; with or without a document extension; with a ``-``/``_``/``.`` suffix
    or prefix (``LICENSE-MIT``, ``COPYING.LESSER``, ``THIRD_PARTY_NOTICES``, ``MIT-LICENSE``).
    Any document in a REUSE ``LICENSES/`` folder counts; source files never do
    (``license.py``, ``copyright.json``).

    >>> is_legal_file("LICENSE-MIT"), is_legal_file("license.py")
    (True, False)
    """
    parts = re.split(r"[/\\]", filename.rstrip("/\\").lower())
    stem, extension = _split_extension(parts[-1])
    if extension in _CODE_EXTENSIONS or not stem:
        return False
    if len(parts) > 1 and parts[-2] in _LEGAL_DIRS:
        return True
    words = _SEPARATORS.split(stem)
    return stem in LEGAL_NAMES or words[0] in LEGAL_NAMES or words[-1] in LEGAL_NAMES


def _split_extension(name: str) -> tuple[str, str]:
    """``("license", "txt")`` for ``license.txt``; the extension is ``""`` unless known."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and (extension in _DOC_EXTENSIONS or extension in _CODE_EXTENSIONS):
        return stem, extension
    return name, ""


# --- declared licenses -------------------------------------------------------------------


def declared_licenses(filename: str, text: str) -> tuple[str, ...]:
    """The license strings ``filename``'s manifest declares, in the order found.

    Returns ``()`` for a file that is not a manifest or that does not parse.

    >>> declared_licenses("package.json", '{"license": "MIT"}')
    ('MIT',)
    """
    reader = _READERS.get(_basename(filename))
    if reader is None:
        return ()
    try:
        found = list(reader(text))
    except (ValueError, TypeError, AttributeError, configparser.Error, email.errors.MessageError):
        return ()  # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors
    values = (v.strip() for v in found if isinstance(v, str))
    return tuple(dict.fromkeys(v for v in values if _is_declaration(v)))


def _is_declaration(value: str) -> bool:
    """Not empty, not ``UNKNOWN``, not a pointer to a file."""
    return value not in _NOT_A_LICENSE and not _SEE_LICENSE_IN.match(value)


def _table(data: Any, *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` when every step is a table, else ``{}``."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _classifier_licenses(classifiers: object) -> Iterator[str]:
    """``MIT License`` for ``License :: OSI Approved :: MIT License``."""
    if isinstance(classifiers, str):
        classifiers = classifiers.splitlines()
    if not isinstance(classifiers, list):
        return
    for classifier in classifiers:
        if isinstance(classifier, str) and classifier.strip().startswith(_CLASSIFIER_PREFIX):
            yield classifier.rsplit("::", 1)[-1].strip()


def _pyproject(text: str) -> Iterator[object]:
    """``[project]`` license fields, ``[tool.poetry] license``, then classifiers."""
    data = tomllib.loads(text)
    project = _table(data, "project")
    poetry = _table(data, "tool", "poetry")
    yield project.get("license-expression")
    license_ = project.get("license")
    yield license_.get("text") if isinstance(license_, dict) else license_
    yield poetry.get("license")
    yield from _classifier_licenses(project.get("classifiers"))
    yield from _classifier_licenses(poetry.get("classifiers"))


def _setup_cfg(text: str) -> Iterator[object]:
    """``[metadata]`` ``license_expression``, ``license`` and classifiers."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return
    metadata = parser["metadata"]
    yield metadata.get("license_expression") or metadata.get("license-expression")
    license_ = metadata.get("license")
    yield None if license_ and license_.strip().startswith("file:") else license_
    classifiers = metadata.get("classifiers", "")
    if not classifiers.strip().startswith("file:"):
        yield from _classifier_licenses(classifiers)


def _core_metadata(text: str) -> Iterator[object]:
    """``License-Expression``, ``License`` (de-indented) and ``Classifier`` headers."""
    headers = email.parser.HeaderParser().parsestr(text)
    yield from (str(v) for v in headers.get_all("License-Expression") or ())
    yield from (_unfold(str(v)) for v in headers.get_all("License") or ())
    yield from _classifier_licenses([str(v) for v in headers.get_all("Classifier") or ()])


def _unfold(value: str) -> str:
    """A multi-line ``License`` header without its continuation indent (or ``|`` bar)."""
    first, *rest = value.splitlines() or [""]
    lines = [first] + [_CONTINUATION_BAR.sub("", line, count=1).strip() for line in rest]
    return "\n".join(lines).strip()


def _package_json(text: str) -> Iterator[object]:
    """``license`` (string, ``{type}`` or a list of them) and the legacy ``licenses``."""
    data = json.loads(text)
    if not isinstance(data, dict):
        return
    for key in ("license", "licenses"):
        yield from _npm_values(data.get(key))


def _npm_values(value: object) -> Iterator[object]:
    """A string, the ``type`` of an object, or those of a list's items (one level)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        yield item.get("type") if isinstance(item, dict) else item


def _cargo(text: str) -> Iterator[object]:
    """``[package] license`` (``license.workspace = true`` is a table: skipped), then the
    workspace's ``[workspace.package] license``."""
    data = tomllib.loads(text)
    yield _table(data, "package").get("license")
    yield _table(data, "workspace", "package").get("license")


_READERS: dict[str, Callable[[str], Iterable[object]]] = {
    "pyproject.toml": _pyproject,
    "setup.cfg": _setup_cfg,
    "PKG-INFO": _core_metadata,
    "METADATA": _core_metadata,
    "package.json": _package_json,
    "Cargo.toml": _cargo,
}
