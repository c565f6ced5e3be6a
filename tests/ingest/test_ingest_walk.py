"""Trees on disk: the bad-input matrix for files, links, ignore rules, stdin and roots."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import creditline.ingest as ingest
from creditline.errors import InputError
from creditline.ingest import Limits, count_candidates, iter_documents
from creditline.ingest import walk as walk_module
from creditline.model import Document, Skipped

Scan = Callable[..., list[Any]]


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


class TestFiles:
    def test_binary_file_is_skipped(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "img.png", b"\x89PNG\r\n\x1a\n\x00\x00")
        assert h.codes(scan(tmp_path)) == [("img.png", "binary")]

    @pytest.mark.parametrize(
        ("data", "text"),
        [("Le café était très agréable, naïve façade.\n".encode("latin-1") * 3,
          "Le café était très agréable, naïve façade.\n" * 3),
         ("“quoted” – dash\n".encode("cp1252"), "“quoted” – dash\n"),
         (codecs.BOM_UTF16_LE + "Grüße\n".encode("utf-16-le"), "Grüße\n")],
        ids=["latin-1", "cp1252", "utf-16-bom"],
    )
    def test_non_utf8_files_decode(self, tmp_path: Path, scan: Scan, h: Any, data: bytes, text: str) -> None:
        write(tmp_path / "f.txt", data)
        doc = h.docs(scan(tmp_path))["f.txt"]
        assert doc.text == text
        assert doc.encoding != "utf-8"
        assert doc.size == len(data)
        assert doc.sha1 == hashlib.sha1(data).hexdigest()

    def test_file_over_size_limit_is_scanned_up_to_it(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        data = b"0123456789\n" * 30
        write(tmp_path / "big.txt", data)
        items = scan(tmp_path, limits=Limits(size_limit=100))
        doc = h.docs(items)["big.txt"]
        assert (doc.truncated, doc.size, len(doc.text)) == (True, len(data), 100)
        assert doc.sha1 == hashlib.sha1(data[:100]).hexdigest()
        assert h.codes(items) == [("big.txt", "too_large")]

    def test_cut_inside_a_utf8_character_stays_utf8(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "snow.txt", "☃" * 50)  # 3 bytes each: a limit of 100 cuts one in half
        doc = h.docs(scan(tmp_path, limits=Limits(size_limit=100)))["snow.txt"]
        assert (doc.text, doc.encoding, doc.truncated) == ("☃" * 33, "utf-8", True)

    def test_undecodable_file(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "odd.txt", codecs.BOM_UTF16_LE + b"abc")
        assert h.codes(scan(tmp_path)) == [("odd.txt", "undecodable")]

    def test_file_at_size_limit_is_whole(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "a.txt", b"x" * 100)
        items = scan(tmp_path, limits=Limits(size_limit=100))
        assert not h.docs(items)["a.txt"].truncated and h.codes(items) == []

    def test_unreadable_file(self, tmp_path: Path, scan: Scan, h: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        # Tests run as root, where chmod 000 does not stop reads: make os.open refuse instead.
        secret = write(tmp_path / "secret.txt", "s")
        write(tmp_path / "ok.txt", "ok")
        real_open = os.open

        def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if os.fspath(path) == str(secret):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(walk_module.os, "open", refusing_open)
        items = scan(tmp_path)
        assert h.codes(items) == [("secret.txt", "unreadable")]
        assert list(h.docs(items)) == ["ok.txt"]

    def test_unreadable_directory(self, tmp_path: Path, scan: Scan, h: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        locked = tmp_path / "locked"
        write(locked / "a.txt", "a")
        write(tmp_path / "z.txt", "z")
        real_scandir = os.scandir

        def refusing_scandir(path: Any = ".") -> Any:
            if os.fspath(path) == str(locked):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(walk_module.os, "scandir", refusing_scandir)
        items = scan(tmp_path)
        assert h.codes(items) == [("locked", "unreadable")]
        assert list(h.docs(items)) == ["z.txt"]

    def test_fifo_is_never_opened(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        os.mkfifo(tmp_path / "pipe")
        write(tmp_path / "a.txt", "a")
        assert h.codes(scan(tmp_path)) == [("pipe", "special_file")]

    def test_fifo_root_is_special(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        os.mkfifo(tmp_path / "pipe")
        [item] = scan(tmp_path / "pipe")
        assert (item.path, item.code, item.root) == ("pipe", "special_file", str(tmp_path / "pipe"))

    def test_crlf_is_normalised(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "dos.txt", b"a\r\nb\rc\n")
        assert h.docs(scan(tmp_path))["dos.txt"].text == "a\nb\nc\n"

    def test_file_root_uses_its_name(self, tmp_path: Path, scan: Scan) -> None:
        path = write(tmp_path / "sub" / "one.txt", "one")
        [doc] = scan(path)
        assert (doc.path, doc.root, doc.text) == ("one.txt", str(path), "one")

    def test_unexpected_error_is_one_skip(self, tmp_path: Path, scan: Scan, h: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        write(tmp_path / "a.txt", "a")
        write(tmp_path / "b.txt", "b")
        real = ingest.document_items

        def flaky(data: bytes, **kwargs: Any) -> list[Document | Skipped]:
            if kwargs["path"] == "a.txt":
                raise RuntimeError("boom")
            return real(data, **kwargs)

        monkeypatch.setattr(ingest, "document_items", flaky)
        items = scan(tmp_path)
        assert h.codes(items) == [("a.txt", "unreadable")] and list(h.docs(items)) == ["b.txt"]

    def test_keyboard_interrupt_propagates(self, tmp_path: Path, scan: Scan, monkeypatch: pytest.MonkeyPatch) -> None:
        write(tmp_path / "a.txt", "a")

        def interrupted(data: bytes, **kwargs: Any) -> list[Document | Skipped]:
            raise KeyboardInterrupt

        monkeypatch.setattr(ingest, "document_items", interrupted)
        with pytest.raises(KeyboardInterrupt):
            scan(tmp_path)


class TestSymlinks:
    def test_broken_symlink(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
        assert h.codes(scan(tmp_path)) == [("dangling", "broken_symlink")]

    def test_symlink_to_parent_is_a_loop(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "d" / "a.txt", "a")
        (tmp_path / "d" / "up").symlink_to("..", target_is_directory=True)
        items = scan(tmp_path)
        assert h.codes(items) == [("d/up", "symlink_loop")]
        assert list(h.docs(items)) == ["d/a.txt"]

    def test_self_referencing_symlink_is_a_loop(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        (tmp_path / "me").symlink_to("me")
        assert h.codes(scan(tmp_path)) == [("me", "symlink_loop")]

    def test_symlinks_to_files_and_other_dirs_are_followed(self, tmp_path: Path, scan: Scan, h: Any) -> None:
        write(tmp_path / "real" / "a.txt", "a")
        (tmp_path / "link.txt").symlink_to(tmp_path / "real" / "a.txt")
        (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
        assert list(h.docs(scan(tmp_path))) == ["alias/a.txt", "link.txt", "real/a.txt"]


class TestIgnore:
    @pytest.fixture
    def repo(self, tmp_path: Path) -> Path:
        write(tmp_path / ".gitignore", "*.log\nbuild/\n")
        write(tmp_path / "a.txt", "a")
        write(tmp_path / "debug.log", "log")
        write(tmp_path / "build" / "out.txt", "out")
        write(tmp_path / "src" / ".gitignore", "!keep.log\nsecret.txt\n")
        write(tmp_path / "src" / "keep.log", "keep")
        write(tmp_path / "src" / "drop.log", "drop")
        write(tmp_path / "src" / "secret.txt", "s")
        write(tmp_path / ".git" / "config", "[core]")
        write(tmp_path / ".hg" / "x", "x")
        write(tmp_path / ".svn" / "x", "x")
        return tmp_path

    def test_gitignore_is_honoured_nested(self, repo: Path, scan: Scan, h: Any) -> None:
        items = scan(repo)
        assert list(h.docs(items)) == [".gitignore", "a.txt", "src/.gitignore", "src/keep.log"]
        assert h.codes(items) == []

    def test_ignore_false_reads_everything_but_vcs_dirs(self, repo: Path, scan: Scan, h: Any) -> None:
        paths = list(h.docs(scan(repo, ignore=False)))
        assert paths == [".gitignore", "a.txt", "build/out.txt", "debug.log", "src/.gitignore",
                         "src/drop.log", "src/keep.log", "src/secret.txt"]

    def test_count_candidates_follows_the_same_rules(self, repo: Path) -> None:
        assert count_candidates([str(repo)]) == 4
        assert count_candidates([str(repo)], ignore=False) == 8


class TestRoots:
    def test_missing_roots_raise_before_anything_is_read(self, tmp_path: Path) -> None:
        write(tmp_path / "a.txt", "a")
        missing = [str(tmp_path / "nope"), str(tmp_path / "gone")]
        with pytest.raises(InputError) as info:
            iter_documents([str(tmp_path), *missing])  # raised at call time, not on next()
        assert all(m in info.value.message for m in missing)

    def test_count_candidates_rejects_missing_roots(self, tmp_path: Path) -> None:
        with pytest.raises(InputError):
            count_candidates([str(tmp_path / "nope")])

    def test_order_is_sorted_and_deterministic(self, tmp_path: Path, scan: Scan) -> None:
        for name in ["b/z.txt", "a.txt", "c.txt", "b/a.txt", "B.txt", "b/sub/m.txt"]:
            write(tmp_path / name, name)
        first = [i.path for i in scan(tmp_path)]
        assert first == ["B.txt", "a.txt", "b/a.txt", "b/sub/m.txt", "b/z.txt", "c.txt"]
        assert [i.path for i in scan(tmp_path)] == first

    def test_roots_keep_their_spelling_and_order(self, tmp_path: Path, scan: Scan, monkeypatch: pytest.MonkeyPatch) -> None:
        write(tmp_path / "x" / "1.txt", "1")
        write(tmp_path / "y.txt", "y")
        monkeypatch.chdir(tmp_path)
        assert [(i.root, i.path) for i in scan("y.txt", "./x")] == [("y.txt", "y.txt"), ("./x", "1.txt")]


class TestStdin:
    def test_dash_reads_stdin(self, scan: Scan) -> None:
        [doc] = scan("-", stdin=io.BytesIO(b"from stdin\r\n"))
        assert (doc.path, doc.root, doc.text, doc.size) == ("-", "-", "from stdin\n", 12)

    def test_stdin_over_limit_is_truncated_with_its_full_size(self, scan: Scan, h: Any) -> None:
        items = scan("-", stdin=io.BytesIO(b"x" * 500), limits=Limits(size_limit=100))
        doc = h.docs(items)["-"]
        assert (doc.truncated, doc.size, len(doc.text)) == (True, 500, 100)
        assert h.codes(items) == [("-", "too_large")]

    def test_binary_stdin(self, scan: Scan, h: Any) -> None:
        assert h.codes(scan("-", stdin=io.BytesIO(b"\x00\x01\x02"))) == [("-", "binary")]

    def test_stdin_counts_as_one_candidate(self) -> None:
        assert count_candidates(["-"]) == 1


def test_exclude_patterns_leave_paths_out(tmp_path):  # type: ignore[no-untyped-def]
    from creditline.ingest import count_candidates, iter_documents

    (tmp_path / "vendor" / "big").mkdir(parents=True)
    (tmp_path / "vendor" / "big" / "a.txt").write_text("a")
    (tmp_path / "keep.txt").write_text("k")
    (tmp_path / "skip.log").write_text("s")
    items = list(iter_documents([str(tmp_path)], exclude=["vendor/", "*.log"]))
    assert [i.path for i in items] == ["keep.txt"]
    assert count_candidates([str(tmp_path)], exclude=["vendor/", "*.log"]) == 1
