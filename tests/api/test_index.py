"""`index` end to end: catalog built from a small tree, incremental runs, metadata, removal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from creditline import catalog_api
from creditline.cli.main import cli
from creditline.errors import CatalogLockedError, InputError, UsageError
from creditline.store import open_catalog

SONG = " ".join(f"line {i} of the song about rivers and mountains number {i * 7}" for i in range(40))
CODE = "\n".join(f"def f{i}(x):\n    return x * {i} + len(str(x))" for i in range(30))


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "song.txt").write_text("SPDX-License-Identifier: CC-BY-SA-4.0\n" + SONG)
    (root / "lib.py").write_text("# SPDX-License-Identifier: AGPL-3.0-only\n" + CODE)
    return root


def test_index_then_incremental(corpus: Path, tmp_path: Path) -> None:
    cat = str(tmp_path / "cat")
    first = catalog_api.index([str(corpus)], catalog=cat)
    assert sorted(first.added) == ["lib.py", "song.txt"] and first.unchanged == 0
    again = catalog_api.index([str(corpus)], catalog=cat, jobs=2)
    assert again.added == () and again.updated == () and again.unchanged == 2
    (corpus / "song.txt").write_text("SPDX-License-Identifier: CC-BY-SA-4.0\n" + SONG + " and a new verse")
    third = catalog_api.index([str(corpus)], catalog=cat)
    assert third.updated == ("song.txt",) and third.unchanged == 1
    works = {w.path: w for w in catalog_api.catalog_works(cat)}
    assert works["song.txt"].license == "CC-BY-SA-4.0" and works["song.txt"].kind == "prose"
    assert works["lib.py"].license == "AGPL-3.0-only" and works["lib.py"].language == "python"
    assert catalog_api.catalog_stats(cat)["works"] == 2


def test_fingerprints_point_at_source_text(corpus: Path, tmp_path: Path) -> None:
    from creditline.core.works import fingerprint_text

    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    _, channels = fingerprint_text(SONG[200:900])
    hashes = channels["exact"][0]
    c = open_catalog(cat, create=False)
    try:
        q, work, start, end = c.lookup(hashes, "exact")
        song = c.find("song.txt")
        assert song is not None and set(work.tolist()) == {song.id}
        text = (corpus / "song.txt").read_text()
        assert all(text[s:e].lower() in SONG[150:950].lower() for s, e in zip(start.tolist(), end.tolist()))
        assert c.line_of(song.id, int(start[0])) == 2
    finally:
        c.close()


def test_meta_and_remove(corpus: Path, tmp_path: Path) -> None:
    meta = tmp_path / "works.jsonl"
    meta.write_text(json.dumps({"path": "song.txt", "title": "Rivers", "author": "Ada",
                                "source": "https://example.org/rivers", "license": "CC-BY-SA-4.0"}) + "\n")
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat, meta=str(meta))
    song = next(w for w in catalog_api.catalog_works(cat) if w.path == "song.txt")
    assert (song.title, song.author, song.source_url, song.license_agrees) == (
        "Rivers", "Ada", "https://example.org/rivers", True)
    report = catalog_api.index([], catalog=cat, remove=["lib.py"])
    assert report.removed == ("lib.py",)
    assert [w.path for w in catalog_api.catalog_works(cat)] == ["song.txt"]


def test_bad_meta_lists_rows(tmp_path: Path, corpus: Path) -> None:
    meta = tmp_path / "m.csv"
    meta.write_text("path,title\n,No path\nsong.txt,Ok\n")
    with pytest.raises(InputError) as err:
        catalog_api.index([str(corpus)], catalog=str(tmp_path / "cat"), meta=str(meta))
    assert "m.csv:2" in err.value.message


def test_nothing_to_do_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        catalog_api.index([], catalog=str(tmp_path / "cat"))


def test_second_writer_is_refused(corpus: Path, tmp_path: Path) -> None:
    cat = str(tmp_path / "cat")
    catalog_api.index([str(corpus)], catalog=cat)
    from creditline.store import FingerprintParams

    holder = open_catalog(cat, FingerprintParams.current())
    try:
        with holder.writer():
            with pytest.raises(CatalogLockedError):
                catalog_api.index([str(corpus)], catalog=cat)
    finally:
        holder.close()
    assert catalog_api.catalog_stats(cat)["works"] == 2


def test_cli_index_and_catalog(corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    cat = str(tmp_path / "cat")
    result = runner.invoke(cli, ["index", "--catalog", cat, "--format", "json", str(corpus)])
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.output)["added"]) == ["lib.py", "song.txt"]
    listed = runner.invoke(cli, ["catalog", "list", "--catalog", cat])
    assert "AGPL-3.0-only" in listed.output and "CC-BY-SA-4.0" in listed.output
    shown = runner.invoke(cli, ["catalog", "show", "song.txt", "--catalog", cat])
    assert json.loads(shown.output)[0]["license"] == "CC-BY-SA-4.0"
    missing = runner.invoke(cli, ["catalog", "info", "--catalog", str(tmp_path / "none")])
    assert missing.exit_code == 3 and missing.stderr.startswith("Error: ")
    assert np.isfinite(json.loads(runner.invoke(cli, ["catalog", "info", "--catalog", cat]).output)["bytes"])


def test_works_prepared_together_equal_works_prepared_alone() -> None:
    """Index workers scan a group of documents for licenses at once; each work must come out as
    if it were prepared alone."""
    from creditline.core.works import prepare_work, prepare_works
    from creditline.kb.cache import get_index
    from creditline.model import Document

    texts = {
        "a.py": "# SPDX-License-Identifier: MIT\n# Copyright 2020 Ada Lovelace\ndef f(x):\n    return x + 1\n",
        "b.txt": "Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this file "
                 "except in compliance with the License.\nCopyright (c) 2019 Example Corp.\n",
        "c.md": "Just some notes about databases and nothing else.\n",
        "d.js": "/* Copyright (c) 2021 Grace Hopper. Released under the GNU General Public License v3 or later. */\n"
                "function g(y) { return y * 2; }\n",
        "e.txt": "",
    }
    docs = [Document(path=p, text=t, size=len(t.encode())) for p, t in texts.items()]
    index = get_index()
    together = prepare_works(docs, index)
    for doc, got in zip(docs, together, strict=True):
        alone = prepare_work(doc, index)
        assert got.work == alone.work and got.scan == alone.scan
        assert got.fingerprints.keys() == alone.fingerprints.keys()
        for channel, postings in alone.fingerprints.items():
            assert all(np.array_equal(a, b) for a, b in zip(got.fingerprints[channel], postings, strict=True))
    licenses = {w.work.path: w.work.license for w in together}
    assert licenses["a.py"] == "MIT" and licenses["b.txt"] == "Apache-2.0" and licenses["c.md"] is None
