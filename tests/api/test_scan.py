"""End to end through creditline.api.scan on small trees in tmp_path."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from creditline import api
from creditline.errors import InputError

APACHE_HEADER = (
    "# Copyright 2024 Example Org\n#\n"
    '# Licensed under the Apache License, Version 2.0 (the "License");\n'
    "# you may not use this file except in compliance with the License.\n"
    "# You may obtain a copy of the License at\n#\n#     http://www.apache.org/licenses/LICENSE-2.0\n#\n"
    "# Unless required by applicable law or agreed to in writing, software\n"
    '# distributed under the License is distributed on an "AS IS" BASIS,\n'
    "# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\n"
    "# See the License for the specific language governing permissions and\n"
    "# limitations under the License.\n"
)
GPL_NOTICE = (
    "# This program is free software; you can redistribute it and/or modify\n"
    "# it under the terms of the GNU General Public License as published by\n"
    "# the Free Software Foundation; either version 2 of the License, or\n"
    "# (at your option) any later version.\n"
)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\nlicense = "Apache-2.0"\n')
    (root / "src" / "pkg" / "__init__.py").write_text(APACHE_HEADER + "\nVALUE = 1\n")
    (root / "src" / "pkg" / "util.py").write_text("def f():\n    return 2\n")
    (root / "src" / "pkg" / "vendored.py").write_text(GPL_NOTICE + "\nX = 3\n")
    (root / "build").mkdir()
    (root / "build" / "junk.py").write_text(GPL_NOTICE)
    (root / ".gitignore").write_text("build/\n")
    return root


def test_scan_tree(project: Path) -> None:
    report = api.scan([str(project)])
    by_path = {f.path: f for f in report.files}
    assert set(by_path) == {".gitignore", "pyproject.toml", "src/pkg/__init__.py", "src/pkg/util.py",
                            "src/pkg/vendored.py"}
    assert by_path["src/pkg/__init__.py"].license == "Apache-2.0"
    assert by_path["src/pkg/__init__.py"].copyrights[0].holders == ("Example Org",)
    assert by_path["src/pkg/vendored.py"].license == "GPL-2.0-or-later"
    assert by_path["src/pkg/util.py"].license is None
    (summary,) = report.summary
    assert summary.declared_license == "Apache-2.0"
    assert summary.declared_from == ("pyproject.toml",)
    assert summary.clarity.disagreeing == 1 and not summary.clarity.consistent
    categories = {o.license: o.category for o in summary.obligations}
    assert categories == {"Apache-2.0": "permissive", "GPL-2.0-or-later": "strong copyleft"}


def test_no_ignore_includes_gitignored(project: Path) -> None:
    report = api.scan([str(project)], ignore=False)
    assert "build/junk.py" in {f.path for f in report.files}


def test_parallel_equals_serial(project: Path) -> None:
    serial = api.scan([str(project)], jobs=1)
    parallel = api.scan([str(project)], jobs=2)
    assert serial.to_dict() == parallel.to_dict()


def test_archive_members_and_stdin(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pkg/LICENSE", "SPDX-License-Identifier: MIT\n")
        zf.writestr("../escape.txt", "x")
    report = api.scan([str(archive), "-"], stdin=io.BytesIO(b"# SPDX-License-Identifier: ISC\n"))
    assert {(f.path, f.license) for f in report.files} == {("bundle.zip!/pkg/LICENSE", "MIT"), ("-", "ISC")}
    assert [(s.path, s.code) for s in report.skipped] == [("bundle.zip!/../escape.txt", "unsafe_path")]


def test_binary_only_is_a_report_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    report = api.scan([str(tmp_path)])
    assert report.files == () and [s.code for s in report.skipped] == ["binary"]


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        api.scan([str(tmp_path / "nope")])
    assert "nope" in err.value.message


def test_nothing_readable_is_an_input_error(tmp_path: Path) -> None:
    os.symlink(tmp_path / "missing-target", tmp_path / "dangling")
    with pytest.raises(InputError):
        api.scan([str(tmp_path / "dangling")])


def test_progress_reports_every_item(project: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    api.scan([str(project)], progress=lambda done, total, path: seen.append((done, total)))
    assert [d for d, _ in seen] == list(range(1, 6))
    assert seen[-1][1] == 5


def test_explain() -> None:
    (o,) = api.explain("AGPL-3.0-only")
    assert o.category == "network copyleft" and o.share_alike == "network" and o.source_disclosure
