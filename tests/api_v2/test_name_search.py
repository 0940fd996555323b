"""``q``: the file name contains the text (case-insensitive for ASCII letters), found through
a trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) when few names match, through the
timeline in order when many do; the same answers either way, and never another user's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client

from api_v2.conftest import call, page_reads
from api_v2.rows import photo_row
from api_v2.test_search_plans import _assert_ordered_read, _plan, _queries
from imgbackup.photos import name_search
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.trash import destroy, trash

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NAMES = ["IMG_0001.JPG", "img_0002.heic", "Holiday 100%.jpg", "DSC_1234.JPG", "DSCX1234.JPG",
         "Kyōto day.jpg", "a_b.png", "PXL_20240501.mp4", ""]


@pytest.fixture
def library(alice: Persona, bob: Persona) -> list[Photo]:
    mine = [photo_row(alice.user, n, T0 - timedelta(hours=n)) for n in range(len(NAMES))]
    for photo, name in zip(mine, NAMES, strict=True):
        Photo.objects.filter(pk=photo.pk).update(filename=name)  # the trigger follows renames
    photo_row(bob.user, 50, T0)  # IMG_00050.JPG: bob's
    return mine


def found(client: Client, persona: Persona, text: str) -> list[str]:
    answer = call(client, "GET", f"/photos?q={text}&limit=500", persona)
    assert answer.status_code == 200, answer.content
    return [item["filename"] for item in answer.json()["items"]]


SEARCHES = [
    ("img_", ["IMG_0001.JPG", "img_0002.heic"]),  # any case; "_" is a character, not a wildcard
    ("IMG_000", ["IMG_0001.JPG", "img_0002.heic"]),
    ("0002", ["img_0002.heic"]),
    ("dsc_", ["DSC_1234.JPG"]),  # not DSCX1234: "_" matches only itself
    ("100%25", ["Holiday 100%.jpg"]),  # "%" matches only itself
    (".jpg", ["IMG_0001.JPG", "Holiday 100%.jpg", "DSC_1234.JPG", "DSCX1234.JPG",
              "Kyōto day.jpg"]),
    ("kyōto", ["Kyōto day.jpg"]),
    ("a_b", ["a_b.png"]),  # no run of three letters or digits: read in timeline order
    ("px", ["PXL_20240501.mp4"]),  # too short for trigrams: read in timeline order
    ("20240501", ["PXL_20240501.mp4"]),
    ("nothing like it", []),
    ("IMG_00050", []),  # bob's
]


@pytest.mark.parametrize("cap", [name_search.CAP, 1])  # through the index, through the timeline
@pytest.mark.parametrize(("text", "expected"), SEARCHES)
def test_names_containing_the_text_are_found_either_way(
        client: Client, alice: Persona, library: list[Photo], monkeypatch: pytest.MonkeyPatch,
        text: str, expected: list[str], cap: int) -> None:
    monkeypatch.setattr(name_search, "CAP", cap)
    assert found(client, alice, text) == expected


@pytest.mark.parametrize(("text", "expected"), SEARCHES)
def test_the_same_names_are_found_when_the_window_decides(
        client: Client, alice: Persona, library: list[Photo], monkeypatch: pytest.MonkeyPatch,
        text: str, expected: list[str]) -> None:
    monkeypatch.setattr(name_search, "PAGE_HITS", 1)  # one match among the newest: in order
    assert found(client, alice, text) == expected


def test_another_user_never_finds_these(client: Client, bob: Persona,
                                        library: list[Photo]) -> None:
    assert found(client, bob, "img_") == ["IMG_00050.JPG"]
    assert found(client, bob, "DSC") == []


def test_trashed_and_deleted_photos_are_not_found(client: Client, alice: Persona,
                                                  library: list[Photo]) -> None:
    trash(library[0])
    library[3].refresh_from_db()
    destroy(library[3])
    assert found(client, alice, "img_") == ["img_0002.heic"]
    assert found(client, alice, "1234") == ["DSCX1234.JPG"]


def test_name_combines_with_the_other_filters(client: Client, alice: Persona,
                                              library: list[Photo]) -> None:
    Photo.objects.filter(pk=library[1].pk).update(favourite=True)
    assert found(client, alice, "img_&favourite=true") == ["img_0002.heic"]
    assert found(client, alice, "img_&until=2024-05-01T11:30:00Z") == ["img_0002.heic"]


def _page_reads(client: Client, persona: Persona, path: str) -> list[str]:
    return [_plan(sql, params) for sql, params in page_reads(_queries(client, persona, path))]


def _probes(queries: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The trigram index's probes among ``queries``."""
    return [q for q in queries if "photos_name_fts" in q[0] or "owner_id + 0" in q[0]]


def _many_more(owner: User, count: int) -> None:
    """Enough rows (with statistics) that PostgreSQL's planner prices an index by what it
    finds: on a handful of rows, any index of the owner's photos costs the same."""
    originals = [Original(sha256=f"{n:064x}", md5=f"{n:032x}", size=1, content_type="image/jpeg")
                 for n in range(1000, 1000 + count)]
    Original.objects.bulk_create(originals)
    Photo.objects.bulk_create(
        Photo(owner=owner, original=original, filename=f"P{n:06d}.JPG", taken_at=T0,
              taken_at_source="exif") for n, original in enumerate(originals))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE photos_photo")


def test_a_rare_name_is_read_by_id_from_the_trigram_index(client: Client, alice: Persona,
                                                          library: list[Photo]) -> None:
    if connection.vendor == "postgresql":
        _many_more(alice.user, 3000)
    queries = _queries(client, alice, "/photos?q=0002")
    probe = _probes(queries)
    if connection.vendor == "sqlite":
        plan = _plan(*probe[0])
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in name_search.POSTGRES_PROBE:
                cursor.execute(setting)
            cursor.execute(f"EXPLAIN {probe[0][0]}", probe[0][1])
            plan = "\n".join(row[0] for row in cursor.fetchall())
    if connection.vendor == "sqlite":
        assert "VIRTUAL TABLE INDEX 0:M" in plan, plan  # the trigram index, MATCH
    else:
        assert "photos_name_trgm" in plan and "Seq Scan" not in plan, plan
    (page,) = _page_reads(client, alice, "/photos?q=0002")
    if connection.vendor == "sqlite":
        assert "USING INTEGER PRIMARY KEY" in page and "SCAN photos_photo" not in page, page
    else:
        assert "photos_photo_pkey" in page and "Seq Scan" not in page, page


def test_the_sqlite_probe_is_a_plain_read(client: Client, alice: Persona,
                                         library: list[Photo]) -> None:
    """SQLite's transactions start IMMEDIATE (they take the write lock): the probe, a read,
    opens none, so a search never waits for an upload's write. (PostgreSQL's probe needs
    its transaction for SET LOCAL.)"""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking")
    queries = _queries(client, alice, "/photos?q=0002")
    assert _probes(queries)
    # Inside a test's transaction, a nested atomic block is a savepoint.
    assert not [sql for sql, _ in queries if sql.startswith(("BEGIN", "SAVEPOINT"))], queries


def test_a_common_name_is_read_from_the_timeline_in_order(
        client: Client, alice: Persona, library: list[Photo],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(name_search, "CAP", 1)
    (page,) = _page_reads(client, alice, "/photos?q=img_")
    _assert_ordered_read(page, {"timeline_live"})


def test_the_index_comes_back_when_a_table_rebuild_dropped_its_triggers(
        client: Client, alice: Persona, library: list[Photo]) -> None:
    if connection.vendor != "sqlite":
        assert name_search.ensure_index(connection) is False  # an index survives rebuilds
        return
    with connection.cursor() as cursor:
        for statement in name_search.SQLITE_DROP[:3]:  # the triggers, as a rebuild does
            cursor.execute(statement)
    photo_row(alice.user, 70, T0)  # IMG_00070.JPG: not indexed yet
    assert name_search.candidates(alice.user, "00070") == []
    assert name_search.ensure_index(connection) is True
    assert found(client, alice, "00070") == ["IMG_00070.JPG"]
    assert name_search.ensure_index(connection) is False


@pytest.mark.parametrize("cap", [name_search.CAP, 1])
def test_the_timeline_counts_and_pages_what_the_list_finds(
        client: Client, alice: Persona, library: list[Photo], monkeypatch: pytest.MonkeyPatch,
        cap: int) -> None:
    monkeypatch.setattr(name_search, "CAP", cap)
    buckets = call(client, "GET", "/timeline/buckets?q=img_", alice).json()["buckets"]
    assert [(b["month"], b["count"]) for b in buckets] == [("2024-05", 2)]
    month = call(client, "GET", "/timeline/buckets/2024-05?q=img_&limit=1", alice).json()
    assert [item["filename"] for item in month["items"]] == ["IMG_0001.JPG"]
    assert month["next_cursor"]


def test_a_page_of_names_among_the_newest_photos_is_read_in_order_without_the_index(
        client: Client, alice: Persona, library: list[Photo]) -> None:
    """150 names with "P00" are the newest photos: the first page is among the timeline's
    first ``WINDOW`` rows, so the trigram index is not asked (on PostgreSQL a text in most
    names is a bitmap of the whole library). The next page starts where 50 of them are
    left: not a page, so the index is asked and gives those 50 (read by id, no walk to the
    library's end)."""
    _many_more(alice.user, 150)
    queries = _queries(client, alice, "/photos?q=P00&limit=100")
    assert _probes(queries) == []
    (window,) = [q for q in queries if q[0].startswith("SELECT COUNT(*) FROM (")]
    _assert_ordered_read(_plan(*window), {"timeline_live"})  # at most WINDOW rows, in order
    (page,) = _page_reads(client, alice, "/photos?q=P00&limit=100")
    _assert_ordered_read(page, {"timeline_live"})
    first = call(client, "GET", "/photos?q=P00&limit=100", alice).json()
    after = f"/photos?q=P00&limit=100&cursor={first['next_cursor']}"
    assert len(_probes(_queries(client, alice, after))) == 1
    second = call(client, "GET", after, alice).json()
    names = [item["filename"] for item in first["items"] + second["items"]]
    assert sorted(names) == [f"P{n:06d}.JPG" for n in range(150)]
    assert second["next_cursor"] is None


def test_the_window_checks_names_as_the_search_does(alice: Persona,
                                                    library: list[Photo],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(name_search, "PAGE_HITS", 2)
    timeline = Photo.objects.filter(owner=alice.user, trashed_at__isnull=True)
    assert name_search.fills_a_page(timeline, "img_")  # IMG_0001.JPG, img_0002.heic
    assert not name_search.fills_a_page(timeline, "dsc_")  # DSCX1234 has no "_"
    assert not name_search.fills_a_page(timeline, "100%")  # "%" only itself: one name
    assert name_search.fills_a_page(timeline, ".JPG")
    monkeypatch.setattr(name_search, "WINDOW", 1)  # the newest row only
    assert not name_search.fills_a_page(timeline, ".JPG")


def test_the_probe_asks_for_the_longest_run_first_then_the_whole_text(
        alice: Persona, library: list[Photo], monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL asks the trigram index for ``1234`` (in two names) before ``dsc_1234``: with
    room for one candidate, the run gives too many and the whole text is asked for."""
    assert [name_search.longest_run(t) for t in ("IMG_0000123", "dsc_1234", "a b", "Kyōto 7")
            ] == ["0000123", "1234", "a", "Kyōto"]
    dsc = Photo.objects.get(owner=alice.user, filename="DSC_1234.JPG").pk
    assert sorted(name_search.candidates(alice.user, "dsc_1234") or []) in (
        [dsc], sorted([dsc, Photo.objects.get(filename="DSCX1234.JPG").pk]))
    monkeypatch.setattr(name_search, "CAP", 1)
    assert name_search.candidates(alice.user, "dsc_1234") == [dsc]
    assert name_search.candidates(alice.user, "1234") is None  # two names: more than CAP


def test_a_bad_cursor_is_the_pagers_400_and_ignored_where_nothing_is_paged(
        client: Client, alice: Persona, library: list[Photo]) -> None:
    answer = call(client, "GET", "/photos?q=img_&cursor=not-a-cursor", alice)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request"
    counts = call(client, "GET", "/timeline/buckets?q=img_&cursor=not-a-cursor", alice)
    assert counts.status_code == 200 and counts.json()["buckets"][0]["count"] == 2
