"""Policies: validation that lists every problem, and hand-checked decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditline.config import builtin_policies, load_policy
from creditline.core.policy import Policy, check, parse_policy
from creditline.errors import PolicyError
from creditline.model import Decision, Obligations

MIT = Obligations("MIT", "MIT License", "permissive", attribution=True, notice_preservation=True)
APACHE = Obligations("Apache-2.0", "Apache License 2.0", "permissive", attribution=True, patent_terms=True)
GPL3 = Obligations("GPL-3.0-only", "GNU GPL v3.0 only", "strong copyleft", attribution=True,
                   share_alike="strong", source_disclosure=True)
AGPL3 = Obligations("AGPL-3.0-only", "GNU AGPL v3.0", "network copyleft", attribution=True,
                    share_alike="network", source_disclosure=True)
MPL = Obligations("MPL-2.0", "Mozilla Public License 2.0", "weak copyleft", share_alike="file")
CC_BY_NC = Obligations("CC-BY-NC-4.0", "CC BY-NC 4.0", "non-commercial / source-available", attribution=True,
                       non_commercial=True)
CC_BY_ND = Obligations("CC-BY-ND-4.0", "CC BY-ND 4.0", "permissive", attribution=True, no_derivatives=True)
UNKNOWN = Obligations("LicenseRef-scancode-unknown", "unknown", "unknown")
CC0 = Obligations("CC0-1.0", "CC0", "public domain")

COMMERCIAL = parse_policy({
    "name": "commercial", "intended_use": "commercial",
    "deny_categories": ["strong copyleft", "network copyleft", "non-commercial / source-available", "proprietary"],
    "deny_no_derivatives": True,
}, "test")


def test_defaults_follow_intended_use() -> None:
    assert parse_policy({"intended_use": "commercial"}).deny_non_commercial is True
    assert parse_policy({"intended_use": "research"}).deny_non_commercial is False
    assert parse_policy({"intended_use": "research", "deny_non_commercial": True}).deny_non_commercial is True
    p = parse_policy({}, "dir/mine.toml")
    assert p == Policy(name="mine", source="dir/mine.toml")
    assert p.require_attribution and not p.allow_unknown and not p.deny_no_derivatives


def test_category_deny_names_license_and_rule() -> None:
    d = check(COMMERCIAL, "GPL-3.0-only", (GPL3,))
    assert d == Decision(False, ("GPL-3.0-only: category strong copyleft is denied",))
    assert check(COMMERCIAL, "MPL-2.0", (MPL,)).allowed  # weak copyleft is not denied


def test_non_commercial_fails_for_commercial_use_only() -> None:
    d = check(COMMERCIAL, "CC-BY-NC-4.0", (CC_BY_NC,))
    assert not d.allowed
    assert "CC-BY-NC-4.0: non-commercial license, intended use is commercial" in d.reasons
    research = parse_policy({"intended_use": "research"})
    d = check(research, "CC-BY-NC-4.0", (CC_BY_NC,))
    assert d.allowed and d.notes == ("CC-BY-NC-4.0: credit required (keep the credit line and license notice)",)


def test_no_derivatives() -> None:
    assert check(COMMERCIAL, "CC-BY-ND-4.0", (CC_BY_ND,)).reasons == ("CC-BY-ND-4.0: no-derivatives license is denied",)
    assert check(parse_policy({}), "CC-BY-ND-4.0", (CC_BY_ND,)).allowed


def test_or_passes_if_one_alternative_passes_and_says_which() -> None:
    d = check(COMMERCIAL, "GPL-3.0-only OR MIT", (GPL3, MIT))
    assert d.allowed and d.reasons == ()
    assert "GPL-3.0-only OR MIT: use it under MIT (the other choices are denied)" in d.notes
    assert "MIT: credit required (keep the credit line and license notice)" in d.notes
    d = check(COMMERCIAL, "GPL-3.0-only OR AGPL-3.0-only", (GPL3, AGPL3))
    assert not d.allowed
    assert d.reasons == ("GPL-3.0-only: category strong copyleft is denied",
                         "AGPL-3.0-only: category network copyleft is denied")


def test_and_needs_every_part() -> None:
    d = check(COMMERCIAL, "MIT AND GPL-3.0-only", (MIT, GPL3))
    assert not d.allowed and d.reasons == ("GPL-3.0-only: category strong copyleft is denied",)
    d = check(COMMERCIAL, "(GPL-3.0-only OR MIT) AND Apache-2.0", (GPL3, MIT, APACHE))
    assert d.allowed


def test_unknown_license() -> None:
    assert check(COMMERCIAL, None).reasons == ("no license found: license unknown (allow_unknown is false)",)
    assert check(COMMERCIAL, "", ()).allowed is False
    d = check(COMMERCIAL, "LicenseRef-scancode-unknown", (UNKNOWN,))
    assert d.reasons == ("LicenseRef-scancode-unknown: license unknown, needs review (allow_unknown is false)",)
    # an id without obligations counts as unknown
    assert not check(COMMERCIAL, "MIT", ()).allowed
    lenient = parse_policy({"allow_unknown": True})
    assert check(lenient, None).allowed and check(lenient, "LicenseRef-scancode-unknown", (UNKNOWN,)).allowed


def test_allow_list_and_deny_list() -> None:
    only = parse_policy({"allow_licenses": ["mit", "Apache-2.0"], "deny_licenses": ["CC0-1.0"]})
    assert only.allow_licenses == ("MIT", "Apache-2.0")
    assert check(only, "MIT", (MIT,)).allowed
    assert check(only, "MPL-2.0", (MPL,)).reasons == ("MPL-2.0: not in allow_licenses",)
    assert check(only, "CC0-1.0", (CC0,)).reasons == ("CC0-1.0: not in allow_licenses", "CC0-1.0: license is denied")
    assert check(only, "MPL-2.0 OR Apache-2.0", (MPL, APACHE)).allowed


def test_attribution_note_only_when_required() -> None:
    assert check(COMMERCIAL, "MIT", (MIT,)).notes == ("MIT: credit required (keep the credit line and license notice)",)
    assert check(parse_policy({"require_attribution": False}), "MIT", (MIT,)).notes == ()
    assert check(COMMERCIAL, "CC0-1.0", (CC0,)) == Decision(True)


def test_every_problem_in_one_error() -> None:
    bad = {"name": 3, "colour": "red", "intended_use": "profit", "deny_categories": ["copyleft", "proprietary"],
           "deny_licenses": ["NOT-A-LICENSE", "MIT OR Apache-2.0", 7], "allow_licenses": "MIT",
           "allow_unknown": "yes"}
    with pytest.raises(PolicyError) as info:
        parse_policy(bad, "bad.toml")
    problems = info.value.problems
    assert len(problems) == 9, problems
    text = info.value.message
    for part in ("unknown key 'colour'", "name: expected a string", "intended_use: 'profit'",
                 "unknown category 'copyleft'", "unknown license id 'NOT-A-LICENSE'",
                 "deny_licenses[1]: 'MIT OR Apache-2.0' is an expression", "deny_licenses[2]",
                 "allow_licenses: expected a list", "allow_unknown: expected true or false"):
        assert part in text, part
    assert info.value.exit_code == 2 and info.value.to_dict()["problems"] == list(problems)


def test_ready_made_policies_load() -> None:
    assert set(builtin_policies()) >= {"commercial", "open-weights", "research"}
    commercial = load_policy("commercial")
    assert commercial.intended_use == "commercial" and "AGPL-3.0-only" in commercial.deny_licenses
    assert load_policy("research").deny_non_commercial is False
    assert "strong copyleft" not in load_policy("open-weights").deny_categories


def test_load_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="policy not found: .*missing.toml"):
        load_policy(str(tmp_path / "missing.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\nintended_use = = 1\n')
    with pytest.raises(PolicyError, match=r"broken.toml is not valid TOML: .*line 2"):
        load_policy(str(broken))
    good = tmp_path / "good.toml"
    good.write_text('name = "mine"\ndeny_licenses = ["GPL-2.0+"]\n')
    assert load_policy(str(good)).deny_licenses == ("GPL-2.0-or-later",)


def test_share_alike_and_allowed_categories() -> None:
    no_sa = parse_policy({"intended_use": "research", "deny_share_alike": True, "allow_unknown": True})
    assert check(no_sa, "MPL-2.0", (MPL,)).reasons == ("MPL-2.0: share-alike license is denied",)
    assert check(no_sa, "MIT", (MIT,)).allowed
    only = parse_policy({"allow_categories": ["permissive", "public domain"]})
    assert check(only, "CC0-1.0", (CC0,)).allowed and check(only, "MIT", (MIT,)).allowed
    assert check(only, "MPL-2.0", (MPL,)).reasons == ("MPL-2.0: category weak copyleft is not in allow_categories",)
    assert check(only, "MPL-2.0 OR MIT", (MPL, MIT)).allowed  # the permissive choice passes


def test_dataset_keys_default_and_validate() -> None:
    p = parse_policy({})
    assert p.honour_opt_outs and not p.drop_duplicates and not p.deny_share_alike and p.allow_categories == ()
    with pytest.raises(PolicyError) as err:
        parse_policy({"allow_categories": ["permissive", "nice"], "deny_categories": ["permissive"],
                      "honour_opt_outs": "yes"})
    problems = err.value.problems
    assert any("allow_categories[1]: unknown category 'nice'" in p for p in problems)
    assert any("allow_categories and deny_categories both list permissive" in p for p in problems)
    assert any("honour_opt_outs: expected true or false" in p for p in problems)
