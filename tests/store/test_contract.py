"""The catalog contract, run on both backends (``memory`` and ``sqlite``)."""

from __future__ import annotations

import numpy as np
import pytest

from creditline.core.textpack import pack_text
from creditline.errors import CatalogLockedError, CatalogVersionError
from creditline.model import CATALOG_FORMAT_VERSION, Work
from creditline.store import FingerprintParams
from creditline.store.base import Catalog

from catalog_helpers import OTHER_PARAMS, PARAMS, add, postings, work


def hits(catalog: Catalog, hashes: list[int], channel: str = "exact") -> list[tuple[int, int, int, int]]:
    return list(zip(*(a.tolist() for a in catalog.lookup(np.array(hashes, dtype=np.uint64), channel))))


class TestFingerprintParams:
    def test_current_matches_the_fingerprinter(self) -> None:
        from creditline.core import fingerprint

        current = FingerprintParams.current()
        assert (current.k, current.window) == (fingerprint.K, fingerprint.WINDOW)

    @pytest.mark.parametrize("fields", [(0, 5, 4, 0), (1, 0, 4, 0), (1, 5, 0, 0), (1, 5, 4, -1), (1, 5, 4, 2**64)],
                             ids=["version", "k", "window", "negative_seed", "huge_seed"])
    def test_impossible_params(self, fields: tuple[int, int, int, int]) -> None:
        with pytest.raises(ValueError):
            FingerprintParams(*fields)


class TestLookup:
    def test_round_trip_positions_works_and_channels(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = add(w, "a.txt", [11, 12, 13], renamed=[91, 92])
            b = add(w, "b.txt", [13, 14])
        assert hits(catalog, [13, 99, 11]) == [(0, a, 20, 35), (0, b, 0, 15), (2, a, 0, 15)]
        assert hits(catalog, [92], "renamed") == [(0, a, 10, 25)]
        assert hits(catalog, [91], "exact") == [] and hits(catalog, [11], "renamed") == []

    def test_results_are_int64_and_sorted(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            add(w, "a.txt", [5, 5, 7])
            add(w, "b.txt", [7, 5])
        result = catalog.lookup(np.array([7, 5], dtype=np.uint64), "exact")
        assert all(a.dtype == np.int64 for a in result)
        rows = list(zip(*(a.tolist() for a in result)))
        assert rows == sorted(rows) and len(rows) == 5

    def test_max_postings_skips_boilerplate_hashes(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            works = [add(w, f"{i}.txt", [100, 200 + i]) for i in range(5)]
        query = np.array([100, 203], dtype=np.uint64)
        assert [r[:2] for r in hits(catalog, [100, 203])] == [(0, w) for w in works] + [(1, works[3])]
        capped = catalog.lookup(query, "exact", max_postings=4)
        assert list(zip(capped[0].tolist(), capped[1].tolist())) == [(1, works[3])]
        assert len(catalog.lookup(query, "exact", max_postings=5)[0]) == 6

    def test_empty_query_unknown_channel_and_empty_catalog(self, catalog: Catalog) -> None:
        assert [len(a) for a in catalog.lookup(np.array([1, 2], dtype=np.uint64), "exact")] == [0, 0, 0, 0]
        with catalog.writer() as w:
            add(w, "a.txt", [1])
        assert [len(a) for a in catalog.lookup(np.zeros(0, np.uint64), "exact")] == [0, 0, 0, 0]
        assert hits(catalog, [1], "other_channel") == []

    def test_full_uint64_range_and_signed_queries(self, catalog: Catalog) -> None:
        big = 2**64 - 1
        with catalog.writer() as w:
            a = add(w, "a.txt", [big, 0])
        assert hits(catalog, [big, 0]) == [(0, a, 0, 15), (1, a, 10, 25)]
        signed = catalog.lookup(np.array([-1], dtype=np.int64), "exact")
        assert signed[1].tolist() == [a]

    def test_bad_channel_name_is_a_value_error(self, catalog: Catalog) -> None:
        with pytest.raises(ValueError):
            catalog.lookup(np.array([1], dtype=np.uint64), "../etc")


class TestDocumentFrequency:
    def test_counts_distinct_works(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            add(w, "a.txt", [1, 1, 1, 2])
            add(w, "b.txt", [1, 3])
            add(w, "c.txt", [1])
        df = catalog.document_frequency(np.array([1, 2, 3, 4, 1], dtype=np.uint64), "exact")
        assert df.tolist() == [3, 1, 1, 0, 3] and df.dtype == np.int64

    def test_ignores_removed_works(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            add(w, "a.txt", [1])
            add(w, "b.txt", [1])
        with catalog.writer() as w:
            w.remove("a.txt")
        assert catalog.document_frequency(np.array([1], dtype=np.uint64), "exact").tolist() == [1]


class TestReplaceAndRemove:
    def test_replace_keeps_id_and_drops_old_postings(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            first = add(w, "a.txt", [1, 2], sha1="v1", license="MIT")
        with catalog.writer() as w:
            second = add(w, "a.txt", [3], sha1="v2", license="Apache-2.0")
        assert first == second
        assert hits(catalog, [1, 2, 3]) == [(2, first, 0, 15)]
        assert catalog.work(first).license == "Apache-2.0" and catalog.work(first).sha1 == "v2"
        assert catalog.stats()["works"] == 1

    def test_same_sha1_is_a_no_op(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            first = add(w, "a.txt", [1], sha1="same", license="MIT")
        with catalog.writer() as w:
            again = add(w, "a.txt", [2], sha1="same", license="GPL-3.0-only")
        assert again == first and catalog.work(first).license == "MIT"
        assert hits(catalog, [1, 2]) == [(0, first, 0, 15)]

    def test_replace_within_one_block(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            first = add(w, "a.txt", [1], sha1="v1")
            assert add(w, "a.txt", [9], sha1="v1") == first
            assert add(w, "a.txt", [2], sha1="v2") == first
        assert hits(catalog, [1, 2, 9]) == [(1, first, 0, 15)]

    def test_same_path_in_two_roots_are_two_works(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = add(w, "x.txt", [1], root="r1")
            b = add(w, "x.txt", [1], root="r2")
        assert a != b
        assert catalog.find("x.txt", "r2").id == b  # type: ignore[union-attr]
        assert catalog.find("x.txt").id == min(a, b)  # type: ignore[union-attr]
        assert catalog.find("x.txt", "r3") is None

    def test_remove(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = add(w, "a.txt", [1])
            b = add(w, "b.txt", [2])
        with catalog.writer() as w:
            assert w.remove("a.txt") is True
            assert w.remove("a.txt") is False
            assert w.remove("missing.txt") is False
        assert catalog.find("a.txt") is None and [x.id for x in catalog.works()] == [b]
        assert hits(catalog, [1, 2]) == [(1, b, 0, 15)]
        with pytest.raises(KeyError):
            catalog.work(a)

    def test_remove_any_root_or_one_root(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            add(w, "x.txt", [1], root="r1")
            add(w, "x.txt", [1], root="r2")
            add(w, "x.txt", [1], root="r3")
        with catalog.writer() as w:
            assert w.remove("x.txt", root="r1")
        assert sorted(x.root for x in catalog.works()) == ["r2", "r3"]
        with catalog.writer() as w:
            assert w.remove("x.txt")
        assert list(catalog.works()) == []

    def test_add_then_remove_in_one_block_and_back(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = add(w, "a.txt", [1], sha1="v1")
        with catalog.writer() as w:
            add(w, "new.txt", [5])
            add(w, "a.txt", [2], sha1="v2")
            assert w.remove("new.txt") and w.remove("a.txt")
            assert add(w, "a.txt", [1], sha1="v1") == a  # back as committed
        assert [x.path for x in catalog.works()] == ["a.txt"] and hits(catalog, [1, 2, 5]) == [(0, a, 0, 15)]

    def test_ids_are_never_reused(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = add(w, "a.txt", [1])
        with catalog.writer() as w:
            w.remove("a.txt")
        with catalog.writer() as w:
            assert add(w, "a.txt", [1]) > a


class TestWorks:
    def test_all_fields_round_trip_in_id_order(self, catalog: Catalog) -> None:
        full = Work(path="src/x.py", sha1="abc", size=123, root="repo", license="MIT OR Apache-2.0",
                    declared_license="MIT", license_agrees=False, copyrights=("(c) 2020 Ann",), holders=("Ann",),
                    title="X", author="Ann", source_url="https://example.org/x", kind="code", language="python",
                    tokens=42)
        with catalog.writer() as w:
            ids = [add(w, f"p{i}.txt", [i]) for i in range(3)]
            ids.append(w.add_work(full, {"exact": postings([7])}, np.array([0])))
        listed = list(catalog.works())
        assert [x.id for x in listed] == sorted(ids)
        assert listed[-1] == Work(**{**full.to_dict(), "id": ids[-1], "copyrights": ("(c) 2020 Ann",),
                                     "holders": ("Ann",)})
        assert catalog.work(ids[0]).license_agrees is None

    def test_line_of(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = w.add_work(work("a.txt"), {"exact": postings([1])}, np.array([0, 10, 25]))
            b = w.add_work(work("b.txt"), {}, np.zeros(0, np.int64))
        assert [catalog.line_of(a, off) for off in (0, 9, 10, 24, 25, 1000)] == [1, 1, 2, 2, 3, 3]
        assert catalog.line_of(b, 5) == 1
        with pytest.raises(KeyError):
            catalog.line_of(999, 0)

    def test_stats(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            add(w, "a.txt", [1, 2, 3], renamed=[4])
            add(w, "b.txt", [1])
        stats = catalog.stats()
        assert stats["works"] == 2 and stats["postings"] == {"exact": 4, "renamed": 1}
        assert stats["params"] == PARAMS.to_dict() and stats["format_version"] == CATALOG_FORMAT_VERSION
        assert {"shards", "bytes", "dead_postings", "schema_version"} <= set(stats)

    def test_work_count_follows_adds_and_removes(self, catalog: Catalog) -> None:
        assert catalog.work_count() == 0
        with catalog.writer() as w:
            add(w, "a.txt", [1, 2, 3])
            add(w, "b.txt", [1])
        assert catalog.work_count() == 2 == catalog.stats()["works"]
        with catalog.writer() as w:
            w.remove("a.txt")
        assert catalog.work_count() == 1


class TestWriter:
    def test_exception_in_block_publishes_nothing(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            add(w, "keep.txt", [1])
        with pytest.raises(RuntimeError, match="boom"), catalog.writer() as w:
            add(w, "lost.txt", [2])
            w.remove("keep.txt")
            raise RuntimeError("boom")
        assert [x.path for x in catalog.works()] == ["keep.txt"] and hits(catalog, [2]) == []

    def test_keyboard_interrupt_publishes_nothing(self, catalog: Catalog) -> None:
        with pytest.raises(KeyboardInterrupt), catalog.writer() as w:
            add(w, "lost.txt", [2])
            raise KeyboardInterrupt
        assert list(catalog.works()) == []
        with catalog.writer() as w:  # and the catalog is writable again
            add(w, "a.txt", [1])

    def test_second_writer_is_refused(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            with pytest.raises(CatalogLockedError), catalog.writer():
                pass
            add(w, "a.txt", [1])
        assert catalog.find("a.txt") is not None

    def test_writer_with_other_params_is_refused(self, catalog: Catalog) -> None:
        with pytest.raises(CatalogVersionError) as info, catalog.writer(OTHER_PARAMS):
            pass
        assert info.value.hint
        with catalog.writer(PARAMS) as w:
            add(w, "a.txt", [1])

    def test_writer_is_unusable_after_its_block(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            pass
        with pytest.raises(RuntimeError):
            add(w, "a.txt", [1])

    def test_work_without_path_is_a_value_error(self, catalog: Catalog) -> None:
        with catalog.writer() as w, pytest.raises(ValueError):
            w.add_work(Work(path="", sha1="x"), {}, np.array([0]))

    @pytest.mark.parametrize(("fps", "message"), [
        ({"exact": (np.array([1, 2], np.uint64), np.array([0]), np.array([5]))}, "differ in length"),
        ({"exact": (np.array([1], np.uint64), np.array([5]), np.array([4]))}, "end lies before its start"),
        ({"exact": (np.array([1], np.uint64), np.array([-1]), np.array([4]))}, "starts must be in"),
        ({"exact": (np.array([1], np.uint64), np.array([0]), np.array([2**32]))}, "ends must be in"),
        ({"exact": (np.array([1, 2], np.uint64), np.array([0, -1]), np.array([2**32]))}, "starts must be in"),
        ({"Bad Name": (np.array([1], np.uint64), np.array([0]), np.array([4]))}, "invalid channel name"),
    ], ids=["lengths", "end_before_start", "negative", "too_large", "lengths_and_negative", "channel_name"])
    def test_bad_fingerprints_are_value_errors(self, catalog: Catalog, fps: dict, message: str) -> None:
        with catalog.writer() as w, pytest.raises(ValueError, match=message):
            w.add_work(work("a.txt"), fps, np.array([0]))

    @pytest.mark.parametrize(("starts", "message"), [
        ([0, 5, 3], "non-decreasing"), ([-1, 5], "must be in"), ([0, 2**32], "must be in"), ([7, -1], "must be in"),
    ], ids=["decreasing", "negative", "too_large", "decreasing_to_negative"])
    def test_bad_line_starts_are_value_errors(self, catalog: Catalog, starts: list[int], message: str) -> None:
        with catalog.writer() as w, pytest.raises(ValueError, match=message):
            w.add_work(work("a.txt"), {"exact": postings([1])}, np.array(starts))


class TestTexts:
    def test_a_work_keeps_its_text_exactly(self, catalog: Catalog) -> None:
        text = "héllo\r\nwörld \U0001f600 and a lone surrogate \ud800 kept\n"
        with catalog.writer() as w:
            kept = w.add_work(work("a.txt"), {"exact": postings([1, 2])}, np.array([0]), pack_text(text))
            bare = add(w, "b.txt", [3])
        assert catalog.text_of(kept) == text
        assert catalog.text_of(bare) is None
        assert catalog.text_of(999) is None

    def test_replacing_or_removing_a_work_replaces_or_drops_its_text(self, catalog: Catalog) -> None:
        with catalog.writer() as w:
            a = w.add_work(work("a.txt", sha1="1"), {"exact": postings([1])}, np.array([0]), pack_text("one"))
            b = w.add_work(work("b.txt", sha1="1"), {"exact": postings([2])}, np.array([0]), pack_text("two"))
        with catalog.writer() as w:
            assert w.add_work(work("a.txt", sha1="2"), {"exact": postings([1])}, np.array([0]), pack_text("uno")) == a
            assert w.add_work(work("b.txt", sha1="2"), {"exact": postings([2])}, np.array([0])) == b
        assert catalog.text_of(a) == "uno" and catalog.text_of(b) is None  # a new version without text has none
        with catalog.writer() as w:
            w.remove("a.txt")
        assert catalog.text_of(a) is None

    def test_text_must_be_packed(self, catalog: Catalog) -> None:
        with catalog.writer() as w, pytest.raises(TypeError, match="pack_text"):
            w.add_work(work("a.txt"), {"exact": postings([1])}, np.array([0]), "plain text")  # type: ignore[arg-type]
