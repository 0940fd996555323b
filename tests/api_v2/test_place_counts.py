"""GET /places reads per-owner counts kept by triggers, never the photos: exact after every
change a photo can go through (against a recount), each cover one seek of the place index."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Persona
from django.db import connection
from django.test import Client

from api_v2.conftest import call
from api_v2.rows import photo_row
from api_v2.test_search_plans import _plan
from imgbackup.photos import place_triggers
from imgbackup.photos.models import Photo
from imgbackup.photos.places import search_fields
from imgbackup.photos.trash import destroy, restore, trash

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SPOTS = [(35.0116, 135.7681), (48.8584, 2.2945), (-23.5505, -46.6333), (0.0, -140.0), None]


def places(client: Client, persona: Persona) -> list[tuple[str, int, str]]:
    answer = call(client, "GET", "/places", persona)
    assert answer.status_code == 200, answer.content
    return [(p["city"], p["count"], p["cover"]) for p in answer.json()["places"]]


def recount(persona: Persona) -> list[tuple[str, int, str]]:
    """The places counted the slow way, from every row, each with its newest photo."""
    rows = Photo.objects.filter(owner=persona.user, trashed_at__isnull=True, is_motion=False
                                ).exclude(place_key="").order_by("-taken_at", "-id")
    counts = Counter(photo.place_key for photo in rows)
    cover: dict[str, str] = {}
    for photo in rows:
        cover.setdefault(photo.place_key, photo.original_id)
    order = sorted(counts, key=lambda key: (-counts[key], key))
    return [(key.split("|")[3], counts[key], cover[key]) for key in order]


def spot_row(persona: Persona, n: int, spot: tuple[float, float] | None, **fields: object
             ) -> Photo:
    latitude, longitude = spot or (None, None)
    return photo_row(persona.user, n, T0 - timedelta(hours=n), latitude=latitude,
                     longitude=longitude, **search_fields("", "", "", latitude, longitude),
                     **fields)


def test_counts_stay_exact_through_every_change(client: Client, alice: Persona,
                                                bob: Persona) -> None:
    """Ingest, trash, restore, destroy, a new place (the backfill), a Live Photo clip, bulk
    updates and deleted rows, in a random order: always what a recount finds."""
    rng = random.Random(11)
    photos = [spot_row(alice, n, rng.choice(SPOTS)) for n in range(30)]
    spot_row(bob, 99, SPOTS[0])
    for step in range(150):
        photo = rng.choice(photos)
        photo.refresh_from_db()
        move = step % 7
        if move == 0:
            trash(photo)
        elif move == 1:
            restore(photo)
        elif move == 2:
            photos.append(spot_row(alice, 100 + step, rng.choice(SPOTS)))
        elif move == 3:
            Photo.objects.filter(pk=photo.pk).update(**search_fields("", "", "",
                                                                     *SPOTS[step % 3]))
        elif move == 4:
            Photo.objects.filter(pk=photo.pk).update(is_motion=not photo.is_motion)
        elif move == 5:
            Photo.objects.filter(owner=alice.user, taken_at__lt=T0 - timedelta(hours=20)
                                 ).update(trashed_at=None)
        elif rng.random() < 0.4:
            destroy(photo)
            photos.remove(photo)
        if step % 25 == 0:
            assert places(client, alice) == recount(alice), step
    assert places(client, alice) == recount(alice)
    assert places(client, bob) == recount(bob) == [("Kyoto", 1, recount(bob)[0][2])]


def test_a_deleted_user_leaves_no_counts(alice: Persona, bob: Persona) -> None:
    spot_row(alice, 1, SPOTS[0])
    spot_row(bob, 2, SPOTS[0])
    from imgbackup.photos.models import PlaceCount

    alice.user.delete()
    assert list(PlaceCount.objects.values_list("place_key", "live")) == [
        ("JP|Japan|Kyoto|Kyoto", 1)]


def test_places_reads_the_counts_and_one_seek_per_cover(client: Client, alice: Persona) -> None:
    for n, spot in enumerate(SPOTS * 3):
        spot_row(alice, n, spot)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE photos_photo")
    seen: list[tuple[str, Any]] = []
    with connection.execute_wrapper(lambda run, sql, params, *rest: (
            seen.append((sql, params)), run(sql, params, *rest))[1]):
        assert places(client, alice)
    (listing,) = [q for q in seen if "photos_placecount" in q[0]]
    plan = _plan(*listing)
    if connection.vendor == "sqlite":
        assert "SCAN photos_photo" not in plan, plan
        assert "search_place" in plan, plan
        assert "SEARCH photos_placecount" in plan, plan  # the owner's rows: one per city
    else:
        assert "Seq Scan" not in plan, plan
        assert "search_place" in plan, plan


def test_the_count_triggers_come_back_when_a_table_rebuild_dropped_them(
        client: Client, alice: Persona) -> None:
    with connection.cursor() as cursor:
        for statement in place_triggers.statements(connection.vendor, create=False):
            cursor.execute(statement)
    spot_row(alice, 1, SPOTS[0])  # not counted: no triggers
    assert places(client, alice) == []
    assert place_triggers.ensure_triggers(connection) is True
    assert places(client, alice) == recount(alice)
    spot_row(alice, 2, SPOTS[0])
    assert places(client, alice) == recount(alice)
    assert [count for _, count, _ in places(client, alice)] == [2]
    assert place_triggers.ensure_triggers(connection) is False
