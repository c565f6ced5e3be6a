"""The on-disk catalog only: reopening, compaction, leftovers, damaged and foreign catalogs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from catalog_helpers import OTHER_PARAMS, PARAMS, add

from creditline.core.textpack import pack_text
from creditline.errors import CatalogCorruptError, CatalogError, CatalogLockedError, CatalogVersionError
from creditline.model import Work
from creditline.store import SqliteCatalog, open_catalog
from creditline.store import sqlite as backend
from creditline.store.sqlite import DB_NAME, SHARDS_DIR


def exact(catalog: SqliteCatalog, *hashes: int) -> list[int]:
    """Work ids found for ``hashes`` in the exact channel."""
    return catalog.lookup(np.array(hashes, dtype=np.uint64), "exact")[1].tolist()


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A catalog directory with a.txt (hashes 1, 2) and b.txt (2, 3), written in two blocks."""
    with SqliteCatalog(tmp_path / "cat", PARAMS) as cat:
        with cat.writer() as w:
            add(w, "a.txt", [1, 2], renamed=[7])
        with cat.writer() as w:
            add(w, "b.txt", [2, 3], license="MIT")
    return tmp_path / "cat"


class TestTextsInOlderCatalogs:
    def test_a_catalog_without_a_texts_table_reads_and_gets_one_on_its_next_write(self, built: Path) -> None:
        with sqlite3.connect(built / DB_NAME) as conn:  # as catalogs were written before texts were kept
            conn.execute("DROP TABLE texts")
        with open_catalog(str(built), PARAMS, create=False) as cat:
            a = cat.find("a.txt")
            assert a is not None and cat.text_of(a.id) is None and exact(cat, 1) == [a.id]
            with cat.writer() as w:
                c = w.add_work(Work(path="c.txt", sha1="c", root=""), {"exact": (np.array([9], dtype=np.uint64),
                               np.array([0]), np.array([3]))}, np.array([0]), pack_text("new"))
            assert cat.text_of(c) == "new" and cat.text_of(a.id) is None


class TestReopen:
    def test_sees_everything(self, built: Path) -> None:
        with open_catalog(str(built), PARAMS, create=False) as cat:
            assert [w.path for w in cat.works()] == ["a.txt", "b.txt"]
            b = cat.find("b.txt")
            assert b is not None and b.license == "MIT"
            assert exact(cat, 2) == [1, 2] and cat.line_of(b.id, 45) == 3
            assert cat.stats()["postings"] == {"exact": 4, "renamed": 1}

    def test_works_are_read_in_batches(self, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(backend, "_BATCH", 1)
        with SqliteCatalog(built) as cat:
            assert [w.id for w in cat.works()] == [1, 2]

    def test_params_none_uses_the_recorded_ones(self, built: Path) -> None:
        with open_catalog(str(built)) as cat:
            assert cat.params == PARAMS

    def test_other_params_are_refused(self, built: Path) -> None:
        with pytest.raises(CatalogVersionError, match="k"):
            open_catalog(str(built), OTHER_PARAMS)

    def test_reader_sees_later_commits(self, built: Path) -> None:
        with SqliteCatalog(built) as reader, SqliteCatalog(built) as writer:
            assert exact(reader, 9) == []
            with writer.writer() as w:
                new = add(w, "c.txt", [9])
                assert exact(reader, 9) == []  # not published yet
            assert exact(reader, 9) == [new]


class TestOpening:
    def test_missing_catalog_without_create(self, tmp_path: Path) -> None:
        with pytest.raises(CatalogError, match="no catalog"):
            open_catalog(str(tmp_path / "nope"), PARAMS, create=False)
        assert not (tmp_path / "nope").exists()

    def test_creating_needs_params(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError):
            open_catalog(str(tmp_path / "cat"))

    def test_refuses_a_directory_that_is_not_a_catalog(self, tmp_path: Path) -> None:
        (tmp_path / "notes.txt").write_text("mine")
        with pytest.raises(CatalogError, match="not a catalog"):
            open_catalog(str(tmp_path), PARAMS)

    def test_layout(self, built: Path) -> None:
        names = {p.name for p in built.iterdir()}
        assert {DB_NAME, "writer.lock", SHARDS_DIR} <= names
        files = {shard.name: sorted(p.name for p in shard.iterdir()) for shard in (built / SHARDS_DIR).iterdir()}
        columns = ["exact.hash.npy", "exact.postings.npy", "renamed.hash.npy", "renamed.postings.npy"]
        assert sorted(files.values()) == [columns[:2], columns]  # b.txt's block has no renamed postings
        for shard in (built / SHARDS_DIR).iterdir():
            hashes, postings = np.load(shard / "exact.hash.npy"), np.load(shard / "exact.postings.npy")
            assert hashes.dtype == np.uint64 and postings.dtype == np.uint32 and postings.shape == (2, 3)
            assert (np.diff(hashes.astype(np.float64)) >= 0).all()
        journal = sqlite3.connect(built / DB_NAME).execute("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"


class TestDamage:
    def test_garbled_database(self, tmp_path: Path) -> None:
        (tmp_path / "cat").mkdir()
        (tmp_path / "cat" / DB_NAME).write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(CatalogCorruptError) as info:
            open_catalog(str(tmp_path / "cat"), PARAMS)
        assert DB_NAME in info.value.message and info.value.hint

    def test_schema_version_mismatch(self, built: Path) -> None:
        with sqlite3.connect(built / DB_NAME) as conn:
            conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        with pytest.raises(CatalogVersionError, match="schema_version 99") as info:
            open_catalog(str(built), PARAMS)
        assert info.value.hint

    def test_missing_meta_row(self, built: Path) -> None:
        with sqlite3.connect(built / DB_NAME) as conn:
            conn.execute("DELETE FROM meta WHERE key = 'k'")
        with pytest.raises(CatalogCorruptError, match="meta"):
            open_catalog(str(built), PARAMS)

    def test_missing_shard_file(self, built: Path) -> None:
        victim = next((built / SHARDS_DIR).iterdir()) / "exact.hash.npy"
        victim.unlink()
        with SqliteCatalog(built) as cat, pytest.raises(CatalogCorruptError, match="exact.hash.npy"):
            exact(cat, 1)

    def test_garbled_shard_file(self, built: Path) -> None:
        for shard in (built / SHARDS_DIR).iterdir():
            (shard / "exact.postings.npy").write_bytes(b"garbage")
        with SqliteCatalog(built) as cat, pytest.raises(CatalogCorruptError, match="exact.postings.npy"):
            exact(cat, 1)


class TestShards:
    def test_compaction_drops_dead_postings(self, tmp_path: Path) -> None:
        with SqliteCatalog(tmp_path / "cat", PARAMS, max_shards=2) as cat:
            for i in range(5):
                with cat.writer() as w:
                    add(w, "same.txt", [100 + i], sha1=f"v{i}")
                    add(w, f"w{i}.txt", [1])
            stats = cat.stats()
            assert stats["shards"] <= 2 and stats["works"] == 6
            assert exact(cat, 100, 101, 102, 103) == [] and exact(cat, 104) == [1]
            assert sorted(exact(cat, 1)) == [2, 3, 4, 5, 6]

    def test_explicit_compact(self, built: Path) -> None:
        with SqliteCatalog(built) as cat:
            with cat.writer() as w:
                w.remove("a.txt")
            assert cat.stats()["dead_postings"] == 3 and cat.stats()["shards"] == 2
            cat.compact()
            stats = cat.stats()
            assert stats["dead_postings"] == 0 and stats["shards"] == 1
            assert len(list((built / SHARDS_DIR).iterdir())) == 1
            assert exact(cat, 1, 2, 3) == [2, 2]

    def test_compact_everything_away(self, built: Path) -> None:
        with SqliteCatalog(built) as cat:
            with cat.writer() as w:
                w.remove("a.txt"), w.remove("b.txt")
            cat.compact()
            assert cat.stats()["shards"] == 0 and exact(cat, 1, 2, 3) == []

    def test_leftovers_are_ignored_then_cleaned(self, built: Path) -> None:
        shards = built / SHARDS_DIR
        (shards / ".tmp-20240101T000000Z-dead").mkdir()
        (shards / ".tmp-20240101T000000Z-dead" / "exact.hash.npy").write_bytes(b"half")
        (shards / "20240101T000000Z-orphan").mkdir()
        with SqliteCatalog(built) as cat:
            assert exact(cat, 2) == [1, 2]
            with cat.writer():
                pass
        assert len(list(shards.iterdir())) == 2

    def test_writer_without_postings_writes_no_shard(self, built: Path) -> None:
        with SqliteCatalog(built) as cat:
            with cat.writer() as w:
                w.remove("a.txt")
            assert len(list((built / SHARDS_DIR).iterdir())) == 2


class TestRaces:
    def test_reader_retries_when_a_compaction_removes_its_shards(
            self, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        real, raced = backend.load_shard, []

        def racing(path: Path, postings: dict[str, int]) -> object:
            if not raced:  # the first load: a writer compacts and deletes this shard meanwhile
                raced.append(path)
                with SqliteCatalog(built) as other:
                    other.compact()
            return real(path, postings)

        monkeypatch.setattr(backend, "load_shard", racing)
        with SqliteCatalog(built) as cat:
            assert sorted(exact(cat, 2)) == [1, 2] and cat.stats()["shards"] == 1
        assert raced and not raced[0].exists()

    def test_interrupt_between_shard_and_commit(self, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        def interrupted(*args: object) -> int:
            raise KeyboardInterrupt

        with SqliteCatalog(built) as cat:
            monkeypatch.setattr(backend, "_insert_shard", interrupted)
            with pytest.raises(KeyboardInterrupt), cat.writer() as w:
                add(w, "c.txt", [9])
            monkeypatch.undo()
            assert exact(cat, 9) == [] and cat.find("c.txt") is None
            assert len(list((built / SHARDS_DIR).iterdir())) == 3  # the unpublished shard, until...
            with cat.writer():
                pass
            assert len(list((built / SHARDS_DIR).iterdir())) == 2  # ...the next writer


class TestLock:
    def test_second_writer_on_another_handle(self, built: Path) -> None:
        with SqliteCatalog(built) as one, SqliteCatalog(built) as two:
            with one.writer() as w:
                with pytest.raises(CatalogLockedError) as info, two.writer():
                    pass
                assert "pid" in info.value.message
                with pytest.raises(CatalogLockedError):
                    two.compact()
                add(w, "c.txt", [5])
                assert exact(two, 2) == [1, 2]  # readers are not blocked
            with two.writer() as w:  # released
                add(w, "d.txt", [6])
