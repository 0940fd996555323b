"""Every filter reads an index in timeline order: no sort, no scan of the library, on SQLite and
PostgreSQL. (bench/ measures the same at 10 000 to 1 000 000 photos.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona
from django.db import connection
from django.test import Client

from api_v2.conftest import Query, page_reads, plan_of, queries_behind
from api_v2.rows import photo_row
from imgbackup.photos.places import search_fields

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# A request, and the indexes its page may be read from (either is as good for two filters).
CASES = [
    ("/photos?camera=canon+r6", {"search_camera"}),
    ("/photos?camera=apple+iphone", {"search_camera"}),  # two models: two indexed reads
    ("/photos?lens=rf24", {"search_lens"}),
    ("/photos?place=kyoto", {"search_place"}),
    ("/photos?place=japan", {"search_place"}),
    ("/photos?favourite=true", {"search_favourite"}),
    ("/photos?since=2024-04-01&until=2024-04-30", {"timeline_live"}),
    # Two indexed conditions: the one with fewer photos drives (library below).
    ("/photos?camera=leica&place=kyoto", {"search_camera"}),  # 1 Leica, 9 in Kyoto
    ("/photos?camera=apple&place=kyoto", {"search_place"}),  # 12 Apple, 9 in Kyoto
    ("/photos?place=japan&favourite=true", {"search_favourite"}),  # 17 in Japan, 4 favourites
    ("/photos?camera=canon&favourite=true", {"search_favourite"}),  # 6 Canon, 4 favourites
    ("/photos?camera=leica&favourite=true", {"search_camera"}),
    ("/photos?place=kyoto&since=2024-04-01", {"search_place"}),
    ("/trash", {"trash_order"}),
]


def _queries(client: Client, persona: Persona, path: str) -> list[Query]:
    """The SQL and bound parameters of the queries behind ``path``."""
    answer, queries = queries_behind(client, path, persona)
    assert answer.status_code == 200, answer.content
    assert answer.json()["items"], path  # the query ran and found something
    return queries


def _plan(sql: str, params: Sequence[Any]) -> str:
    return plan_of(sql, params, ordered_by_index=True)


def _assert_ordered_read(plan: str, indexes: set[str]) -> None:
    assert any(name in plan for name in indexes), plan
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index gives the order
        assert "SCAN photos_photo" not in plan, plan  # no scan without an index
    else:
        assert "Sort" not in plan and "Seq Scan" not in plan, plan


@pytest.fixture
def library(alice: Persona) -> None:
    cameras = [("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM"), ("Apple", "iPhone 15", ""),
               ("Apple", "iPhone 12", ""), ("Sony", "A7", "FE 50mm")]
    places = [(35.0116, 135.7681), (34.6937, 135.5023), (48.8584, 2.2945)]  # Kyoto, Osaka, Paris
    for n in range(24):
        make, model, lens = cameras[n % len(cameras)]
        latitude, longitude = places[n % len(places)]
        photo_row(alice.user, n, T0 - timedelta(days=n), camera_make=make, camera_model=model,
                  lens=lens, latitude=latitude, longitude=longitude, favourite=n % 6 == 0,
                  trashed_at=T0 if n == 23 else None,
                  **search_fields(make, model, lens, latitude, longitude))
    photo_row(alice.user, 30, T0 - timedelta(days=30), camera_make="Leica Camera AG",
              camera_model="LEICA M11", favourite=True,
              **search_fields("Leica Camera AG", "LEICA M11", "", *places[0]))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE photos_photo")


@pytest.mark.parametrize(("path", "indexes"), CASES)
def test_each_filter_reads_an_index_in_order(client: Client, alice: Persona, library: None,
                                             path: str, indexes: set[str]) -> None:
    # The page's reads, not the bounded counts that choose which index drives.
    pages = page_reads(_queries(client, alice, path))
    assert pages, path
    for sql, params in pages:
        _assert_ordered_read(_plan(sql, params), indexes)


@pytest.mark.parametrize("path", ["/photos?camera=canon", "/photos?place=kyoto",
                                  "/photos?lens=fe"])
def test_word_queries_list_values_from_the_index(client: Client, alice: Persona,
                                                 library: None, path: str) -> None:
    """The loose index scan that lists a library's cameras (or places) seeks the index, once
    per value, and never reads the photos."""
    listing = [q for q in _queries(client, alice, path) if "WITH RECURSIVE" in q[0]]
    assert len(listing) == 1
    plan = _plan(*listing[0])
    assert "search_" in plan, plan
    if connection.vendor == "sqlite":
        assert "SCAN photos_photo" not in plan and "TEMP B-TREE" not in plan, plan
    else:
        assert "Seq Scan" not in plan and "Sort" not in plan, plan


@pytest.mark.parametrize(("path", "indexes"), [
    ("/photos?camera=leica&place=kyoto", {"search_camera", "search_place"}),
    ("/photos?place=kyoto&favourite=true", {"search_place", "search_favourite"}),
])
def test_choosing_the_driver_reads_each_conditions_newest_rows_once(
        client: Client, alice: Persona, library: None, path: str, indexes: set[str]) -> None:
    """One bounded read per condition, of its own index in order, gives both how many rows it
    holds and how many of them pass the others (two queries each before: Django's part of a
    query costs more than the database's)."""
    costing = [q for q in _queries(client, alice, path) if q[0].startswith('SELECT COUNT("')]
    assert len(costing) == 2, costing
    read = set()
    for sql, params in costing:
        plan = _plan(sql, params)
        read |= {name for name in indexes if name in plan}
        if connection.vendor == "sqlite":
            assert "SCAN photos_photo" not in plan and "TEMP B-TREE" not in plan, plan
        else:
            assert "Seq Scan" not in plan and "Sort" not in plan, plan
    assert read == indexes


def test_between_two_common_conditions_the_one_that_fills_a_page_sooner_drives(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both hold more than the bounded count (4 here): then what decides is how many of each
    index's newest rows pass the other condition."""
    monkeypatch.setattr("imgbackup.photos.search.COUNT_CAP", 4)
    monkeypatch.setattr("imgbackup.photos.search.SIZE_CAP", 5)  # Kyoto's 10 count as many
    kyoto = search_fields("", "", "", 35.0116, 135.7681)
    for n in range(10):  # Kyoto's newest 4 are not favourites; every favourite is in Kyoto
        photo_row(alice.user, n, T0 - timedelta(days=n), favourite=n >= 4, latitude=35.0116,
                  longitude=135.7681, **kyoto)
    pages = page_reads(_queries(client, alice, "/photos?place=kyoto&favourite=true"))
    assert len(pages) == 1
    _assert_ordered_read(_plan(*pages[0]), {"search_favourite"})



def test_when_neither_holds_the_other_the_smaller_drives(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rare camera that was never in a common place: no newest row of either passes the
    other, so each is counted (up to ``SIZE_CAP``) and the camera's few rows are read, not
    the place's many (at a million photos: 1 000 rows against 200 000, 775 ms)."""
    monkeypatch.setattr("imgbackup.photos.search.COUNT_CAP", 4)
    monkeypatch.setattr("imgbackup.photos.search.SIZE_CAP", 9)
    for n in range(12):  # the place's (newer, more)
        photo_row(alice.user, n, T0 - timedelta(days=n), latitude=35.0116, longitude=135.7681,
                  **search_fields("Apple", "iPhone 15", "", 35.0116, 135.7681))
    for n in range(20, 26):  # the camera's, in Paris
        photo_row(alice.user, n, T0 - timedelta(days=n), camera_make="Leica Camera AG",
                  camera_model="LEICA M11",
                  **search_fields("Leica Camera AG", "LEICA M11", "", 48.8584, 2.2945))
    if connection.vendor == "postgresql":
        # Enough other photos that the planner prices each index by what it holds: on a
        # handful of rows the owner's index costs the same as any other.
        from imgbackup.photos.models import Original, Photo

        originals = Original.objects.bulk_create(
            Original(sha256=f"{n:064x}", md5=f"{n:032x}", size=1, content_type="image/jpeg")
            for n in range(1000, 3000))
        Photo.objects.bulk_create(
            Photo(owner=alice.user, original=original, taken_at=T0 - timedelta(days=100),
                  taken_at_source="exif", camera_key="sony a7", place_key="FR|France|Paris|Paris")
            for original in originals)
        with connection.cursor() as cur:
            cur.execute("ANALYZE photos_photo")
    queries = _queries_empty(client, alice, "/photos?place=kyoto&camera=leica")
    pages = page_reads(queries)
    assert len(pages) == 1
    _assert_ordered_read(_plan(*pages[0]), {"search_camera"})
    # The bounded counts of each condition's size read its own index, never the library.
    sizes = [q for q in queries if q[0].startswith("SELECT COUNT(*)") and "ORDER BY" not in q[0]]
    assert len(sizes) == 2
    for sql, params in sizes:
        plan = _plan(sql, params)
        assert "search_camera" in plan or "search_place" in plan, plan
        assert "SCAN photos_photo" not in plan and "Seq Scan" not in plan, plan


def _queries_empty(client: Client, persona: Persona, path: str) -> list[Query]:
    answer, queries = queries_behind(client, path, persona)
    assert answer.status_code == 200 and answer.json()["items"] == [], answer.content
    return queries

MERGED_CASES = [
    ("/photos", {"timeline_live"}),
    ("/photos?camera=apple+iphone", {"search_camera"}),
    ("/photos?place=kyoto", {"search_place"}),
    ("/timeline/buckets/2024-04", {"timeline_live"}),
]


@pytest.mark.parametrize(("path", "indexes"), MERGED_CASES)
def test_a_merged_timeline_reads_each_owners_index_in_order(
        client: Client, alice: Persona, bob: Persona, library: None, path: str,
        indexes: set[str]) -> None:
    """Bob shows alice's photos in his timeline (sharing/merged.py): each owner's part still
    reads its own index in order, and leaving out what bob holds himself is one seek of the
    (owner, original) unique index per row, never a read of bob's library."""
    from imgbackup.sharing.models import Partner

    Partner.objects.create(owner=alice.user, partner=bob.user, in_timeline=True)
    for n in (1, 2, 40):  # one picture both hold, and bob's own
        photo_row(bob.user, n, T0 - timedelta(days=n), camera_make="Apple",
                  camera_model="iPhone 15", latitude=35.0116, longitude=135.7681,
                  **search_fields("Apple", "iPhone 15", "", 35.0116, 135.7681))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE photos_photo")
    pages = page_reads(_queries(client, bob, path))
    merged = [q for q in pages if "LIMIT 1)" in q[0]]
    assert merged and len(pages) > len(merged), path  # bob's own parts, and alice's
    for sql, params in pages:
        _assert_ordered_read(_plan(sql, params), indexes)
    for sql, params in merged:
        plan = _plan(sql, params)
        if connection.vendor == "sqlite":  # the constraint's index, named by SQLite
            assert "CORRELATED SCALAR SUBQUERY" in plan, plan
            assert "(owner_id=? AND original_id=?)" in plan, plan
        else:  # a seek per row (by original, or by owner and original), not a join
            assert "SubPlan" in plan and "Index" in plan.split("SubPlan", 1)[1], plan
            assert "Hash" not in plan and "Materialize" not in plan, plan
