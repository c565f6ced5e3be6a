"""Per-root summaries from hand-made file results (no disk, no license database)."""

from __future__ import annotations

from creditline.core.summary import key_files, summarize_root
from creditline.model import CopyrightNotice, FileResult, LicenseDetection, Obligations


def _f(path: str, license: str | None = None, *, legal: bool = False, declared: tuple[str, ...] = (),
       text: bool = False, holder: str | None = None) -> FileResult:
    dets = (LicenseDetection(license, 1, 20, "text" if text else "notice", "r", 100, 100),) if license else ()
    cps = (CopyrightNotice(f"Copyright {holder}", (holder,)),) if holder else ()
    return FileResult(path, license, dets, cps, is_legal=legal, is_manifest=bool(declared), declared=declared)


def _obl(expr: str) -> tuple[Obligations, ...]:
    cats = {"MIT": "permissive", "GPL-3.0-only": "strong copyleft"}
    return tuple(Obligations(i, i, cats.get(i, "unknown")) for i in expr.replace("(", " ").replace(")", " ").split()
                 if i not in ("AND", "OR", "WITH"))


class TestKeyFiles:
    def test_root_level_wins(self) -> None:
        files = [_f("LICENSE", "MIT", legal=True), _f("sub/COPYING", "GPL-3.0-only", legal=True)]
        assert [f.path for f in key_files(files)] == ["LICENSE"]

    def test_single_top_folder(self) -> None:
        files = [_f("pkg-1.0/LICENSE", "MIT", legal=True), _f("pkg-1.0/src/a.py")]
        assert [f.path for f in key_files(files)] == ["pkg-1.0/LICENSE"]

    def test_collection_declares_nothing(self) -> None:
        files = [_f("a-1.dist-info/LICENSE", "MIT", legal=True), _f("b-2.dist-info/LICENSE", "ISC", legal=True)]
        assert key_files(files) == []


class TestSummarizeRoot:
    def test_manifest_declaration_wins_and_clarity(self) -> None:
        files = [
            _f("LICENSE-MIT", "MIT", legal=True, text=True),
            _f("LICENSE-APACHE", "Apache-2.0", legal=True, text=True),
            _f("Cargo.toml", declared=("MIT OR Apache-2.0",)),
            _f("src/lib.rs", "MIT", holder="Ada"),
            _f("src/vendored.rs", "GPL-3.0-only"),
        ]
        s = summarize_root("proj", files, resolve=lambda v: v, obligations=_obl)
        assert s.declared_license == "MIT OR Apache-2.0"
        assert s.declared_from == ("LICENSE-MIT", "LICENSE-APACHE", "Cargo.toml")
        c = s.clarity
        assert (c.files, c.with_license, c.with_copyright) == (5, 4, 1)
        assert (c.agreeing, c.disagreeing, c.consistent) == (3, 1, False)
        assert c.score == 40 + 40 + 10 + 10 - 20
        assert s.holders == ("Ada",)
        assert [o.license for o in s.obligations] == ["Apache-2.0", "GPL-3.0-only", "MIT"]

    def test_nothing_found(self) -> None:
        s = summarize_root("empty", [_f("a.py")], resolve=lambda v: v, obligations=_obl)
        assert s.declared_license is None and s.clarity.score == 0 and s.obligations == ()
