"""Policies: which licenses a use of copied works may accept, and why a license is denied.

A policy is a small mapping (from TOML, see :mod:`creditline.config`) validated by
:func:`parse_policy`; :func:`check` decides one license expression given its obligations.
An ``OR`` passes when any alternative passes (the user may choose it); an ``AND`` only when
every part passes. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from creditline.core import spdx
from creditline.core.obligations import CATEGORIES
from creditline.errors import ExpressionError, PolicyError
from creditline.model import Decision, Obligations

INTENDED_USES = ("commercial", "non-commercial", "research")
_LIST_KEYS = ("allow_categories", "deny_categories", "deny_licenses", "allow_licenses")
_BOOL_KEYS = ("deny_non_commercial", "deny_no_derivatives", "deny_share_alike", "allow_unknown",
              "require_attribution", "honour_opt_outs", "drop_duplicates")
_STR_KEYS = ("name", "description", "intended_use")
KEYS = (*_STR_KEYS, *_LIST_KEYS, *_BOOL_KEYS)


@dataclass(frozen=True)
class Policy:
    """A validated policy. License ids are canonical SPDX; ``deny_non_commercial`` is resolved
    (it defaults to true exactly when ``intended_use`` is ``commercial``)."""

    name: str
    intended_use: str = "commercial"
    deny_categories: tuple[str, ...] = ()
    allow_categories: tuple[str, ...] = ()
    deny_licenses: tuple[str, ...] = ()
    allow_licenses: tuple[str, ...] = ()
    deny_non_commercial: bool = True
    deny_no_derivatives: bool = False
    deny_share_alike: bool = False
    allow_unknown: bool = False
    require_attribution: bool = True
    honour_opt_outs: bool = True
    drop_duplicates: bool = False
    description: str = ""
    source: str = ""

    def summary(self) -> str:
        """One paragraph saying what the policy denies and allows."""
        parts = [f"{self.name} (intended use: {self.intended_use})"]
        if self.allow_licenses:
            parts.append("only allows " + ", ".join(self.allow_licenses))
        if self.allow_categories:
            parts.append("only allows categories " + ", ".join(self.allow_categories))
        if self.deny_categories:
            parts.append("denies categories " + ", ".join(self.deny_categories))
        if self.deny_licenses:
            parts.append("denies " + ", ".join(self.deny_licenses))
        flags = [text for on, text in ((self.deny_non_commercial, "non-commercial licenses"),
                                       (self.deny_no_derivatives, "no-derivatives licenses"),
                                       (self.deny_share_alike, "share-alike licenses"),
                                       (not self.allow_unknown, "unknown licenses")) if on]
        if flags:
            parts.append("denies " + ", ".join(flags))
        if self.require_attribution:
            parts.append("notes where credit is required")
        if self.honour_opt_outs:
            parts.append("drops works whose creators opted out")
        if self.drop_duplicates:
            parts.append("drops duplicates")
        return "; ".join(parts)


def _license_ids(key: str, value: list[Any], problems: list[str]) -> tuple[str, ...]:
    ids = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, str) or not item.strip():
            problems.append(f"{where}: expected a license id string, got {item!r}")
            continue
        info = spdx.validate(item)
        if not info.valid or info.normalized is None:
            problems.extend(f"{where}: {error}" for error in info.errors)
        elif " AND " in info.normalized or " OR " in info.normalized:
            problems.append(f"{where}: {item!r} is an expression; give one license id per entry")
        else:
            ids.append(info.normalized)
    return tuple(dict.fromkeys(ids))


def _categories(key: str, values: list[Any], problems: list[str]) -> tuple[str, ...]:
    found = []
    for i, category in enumerate(values):
        if category not in CATEGORIES:
            problems.append(f"{key}[{i}]: unknown category {category!r} (known: {', '.join(CATEGORIES)})")
        else:
            found.append(category)
    return tuple(dict.fromkeys(found))


def parse_policy(data: Mapping[str, Any], source: str = "") -> Policy:
    """Validate a policy mapping and build a :class:`Policy`.

    Every problem is collected first (unknown keys, wrong types, unknown categories or intended
    uses, license ids SPDX does not know); then one :class:`PolicyError` lists them all.
    """
    problems = [f"unknown key {key!r} (known: {', '.join(KEYS)})" for key in data if key not in KEYS]
    for key in _STR_KEYS:
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key}: expected a string, got {data[key]!r}")
    for key in _BOOL_KEYS:
        if key in data and not isinstance(data[key], bool):
            problems.append(f"{key}: expected true or false, got {data[key]!r}")
    lists: dict[str, list[Any]] = {}
    for key in _LIST_KEYS:
        value = data.get(key, [])
        if not isinstance(value, list):
            problems.append(f"{key}: expected a list, got {value!r}")
            value = []
        lists[key] = value
    use = data.get("intended_use", "commercial")
    if isinstance(use, str) and use not in INTENDED_USES:
        problems.append(f"intended_use: {use!r} is not one of {', '.join(INTENDED_USES)}")
    categories = _categories("deny_categories", lists["deny_categories"], problems)
    allowed_categories = _categories("allow_categories", lists["allow_categories"], problems)
    both_categories = sorted(set(categories) & set(allowed_categories))
    if both_categories:
        problems.append(f"allow_categories and deny_categories both list {', '.join(both_categories)}")
    deny = _license_ids("deny_licenses", lists["deny_licenses"], problems)
    allow = _license_ids("allow_licenses", lists["allow_licenses"], problems)
    both = sorted(set(deny) & set(allow))
    if both:
        problems.append(f"allow_licenses and deny_licenses both list {', '.join(both)}")
    if problems:
        where = f" {source}" if source else ""
        raise PolicyError(f"invalid policy{where}: " + "; ".join(problems), problems=tuple(problems),
                          source=source, hint="fix every problem listed, then run `creditline policy check`")
    name = data.get("name") or source.rsplit("/", 1)[-1].removesuffix(".toml") or "policy"
    non_commercial = data.get("deny_non_commercial")
    return Policy(
        name=name, intended_use=use, deny_categories=categories, allow_categories=allowed_categories,
        deny_licenses=deny, allow_licenses=allow,
        deny_non_commercial=use == "commercial" if non_commercial is None else non_commercial,
        deny_no_derivatives=data.get("deny_no_derivatives", False),
        deny_share_alike=data.get("deny_share_alike", False),
        allow_unknown=data.get("allow_unknown", False),
        require_attribution=data.get("require_attribution", True),
        honour_opt_outs=data.get("honour_opt_outs", True),
        drop_duplicates=data.get("drop_duplicates", False),
        description=data.get("description", ""), source=source,
    )


# --- decisions --------------------------------------------------------------------------------


def _listed(ids: tuple[str, ...], license_id: str, full: str) -> bool:
    wanted = {i.lower() for i in ids}
    return license_id.lower() in wanted or full.lower() in wanted


def _leaf(policy: Policy, license_id: str, full: str, ob: Obligations | None) -> Decision:
    """The decision for one license (``full`` is ``id`` or ``id WITH exception``)."""
    reasons = []
    category = ob.category if ob is not None else "unknown"
    if policy.allow_licenses and not _listed(policy.allow_licenses, license_id, full):
        reasons.append(f"{full}: not in allow_licenses")
    if _listed(policy.deny_licenses, license_id, full):
        reasons.append(f"{full}: license is denied")
    if category in policy.deny_categories:
        reasons.append(f"{full}: category {category} is denied")
    if policy.allow_categories and category not in policy.allow_categories and category != "unknown":
        reasons.append(f"{full}: category {category} is not in allow_categories")
    if ob is not None and ob.share_alike and policy.deny_share_alike:
        reasons.append(f"{full}: share-alike license is denied")
    if ob is not None and ob.non_commercial and policy.deny_non_commercial:
        reasons.append(f"{full}: non-commercial license, intended use is {policy.intended_use}")
    if ob is not None and ob.no_derivatives and policy.deny_no_derivatives:
        reasons.append(f"{full}: no-derivatives license is denied")
    if category == "unknown" and not policy.allow_unknown and "unknown" not in policy.deny_categories:
        reasons.append(f"{full}: license unknown, needs review (allow_unknown is false)")
    notes = []
    if not reasons and ob is not None and ob.attribution and policy.require_attribution:
        notes.append(f"{full}: credit required (keep the credit line and license notice)")
    return Decision(allowed=not reasons, reasons=tuple(reasons), notes=tuple(notes))


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _decide(policy: Policy, node: tuple[Any, ...], lookup: Mapping[str, Obligations]) -> tuple[Decision, str]:
    kind = node[0]
    if kind in ("key", "with"):
        full = node[1] if kind == "key" else f"{node[1]} WITH {node[2]}"
        ob = lookup.get(full.lower()) or lookup.get(node[1].lower())
        return _leaf(policy, node[1], full, ob), full
    children = [_decide(policy, child, lookup) for child in node[1]]
    text = f" {kind} ".join(f"({t})" if child[0] in ("AND", "OR") else t
                            for (_, t), child in zip(children, node[1], strict=True))
    if kind == "AND":
        allowed = all(d.allowed for d, _ in children)
        return Decision(allowed, _unique([r for d, _ in children for r in d.reasons]),
                        _unique([n for d, _ in children for n in d.notes])), text
    passing = [(d, t) for d, t in children if d.allowed]
    if not passing:
        return Decision(False, _unique([r for d, _ in children for r in d.reasons])), text
    chosen, chosen_text = passing[0]
    notes = list(chosen.notes)
    if len(passing) < len(children):
        notes.append(f"{text}: use it under {chosen_text} (the other choices are denied)")
    return Decision(True, (), _unique(notes)), text


def check(policy: Policy, license_expr: str | None, obligations: tuple[Obligations, ...] = ()) -> Decision:
    """Decide whether a work under ``license_expr`` may be used under ``policy``.

    ``obligations`` are the expression's obligations (one per license, as
    ``obligations_for_expression`` returns them); a license without an entry counts as unknown.
    A missing or unparsable expression is an unknown license.
    """
    if not license_expr or not license_expr.strip():
        if policy.allow_unknown:
            return Decision(True)
        return Decision(False, ("no license found: license unknown (allow_unknown is false)",))
    try:
        tree = spdx.structure(license_expr)
    except ExpressionError:
        if policy.allow_unknown:
            return Decision(True, (), (f"{license_expr}: not a valid SPDX expression; review it",))
        return Decision(False, (f"{license_expr}: not a valid SPDX expression, license unknown",))
    lookup = {o.license.lower(): o for o in obligations}
    return _decide(policy, tree, lookup)[0]
