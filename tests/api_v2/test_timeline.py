"""GET /timeline/buckets and /timeline/buckets/{YYYY-MM}: the timeline's skeleton, exact after
every change a photo can go through, scoped to its owner, with the list's filters."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Persona
from django.test import Client
from django.utils import timezone

from api_v2.conftest import call
from api_v2.rows import photo_row
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import destroy, restore, trash

T0 = datetime(2024, 5, 31, 23, 30, tzinfo=UTC)


def buckets(client: Client, persona: Persona, query: str = "") -> list[tuple[str, int]]:
    answer = call(client, "GET", f"/timeline/buckets{query}", persona)
    assert answer.status_code == 200, answer.content
    return [(b["month"], b["count"]) for b in answer.json()["buckets"]]


def expected(persona: Persona, **filters: object) -> list[tuple[str, int]]:
    """The months counted the slow way, from every row."""
    rows = Photo.objects.filter(owner=persona.user, trashed_at__isnull=True, **filters)
    counts = Counter(p.taken_at.astimezone(UTC).strftime("%Y-%m") for p in rows)
    return sorted(counts.items(), reverse=True)


def test_months_come_newest_first_with_their_counts(client: Client, alice: Persona) -> None:
    photo_row(alice.user, 1, T0)  # 31 May 23:30 UTC: May, whatever the server's zone
    photo_row(alice.user, 2, T0 + timedelta(hours=1))  # 1 June 00:30 UTC
    photo_row(alice.user, 3, T0 + timedelta(hours=2))
    photo_row(alice.user, 4, datetime(2019, 1, 1, tzinfo=UTC))
    assert buckets(client, alice) == [("2024-06", 2), ("2024-05", 1), ("2019-01", 1)]


def test_counts_stay_exact_through_every_change(client: Client, alice: Persona,
                                                bob: Persona) -> None:
    """Inserts, trash, restore, destroy, favourite, a moved date, bulk updates and a deleted
    row, in a random order: the kept counts always equal a full recount."""
    rng = random.Random(7)
    photos = [photo_row(alice.user, n, T0 - timedelta(days=rng.randrange(400)))
              for n in range(40)]
    photo_row(bob.user, 99, T0)
    for step in range(120):
        photo = rng.choice(photos)
        photo.refresh_from_db()
        move = step % 6
        if move == 0:
            trash(photo)
        elif move == 1:
            restore(photo)
        elif move == 2:
            photo.favourite = not photo.favourite
            photo.save(update_fields=["favourite"])
        elif move == 3:
            photo.taken_at -= timedelta(days=rng.randrange(60))
            photo.save(update_fields=["taken_at"])
        elif move == 4:
            Photo.objects.filter(owner=alice.user, taken_at__lt=T0 - timedelta(days=200)) \
                .update(favourite=True)
        elif photos and rng.random() < 0.3:
            destroy(photo)
            photos.remove(photo)
    assert buckets(client, alice) == expected(alice)
    assert buckets(client, alice, "?favourite=true") == expected(alice, favourite=True)
    assert buckets(client, alice, "?favourite=false") == expected(alice, favourite=False)
    assert buckets(client, bob) == [("2024-05", 1)]


def test_trashed_photos_and_emptied_months_are_left_out(client: Client, alice: Persona) -> None:
    gone = photo_row(alice.user, 1, datetime(2020, 3, 3, tzinfo=UTC))
    photo_row(alice.user, 2, T0, trashed_at=timezone.now())
    trash(gone)
    assert buckets(client, alice) == []


def test_other_filters_count_what_the_list_would_find(client: Client, alice: Persona) -> None:
    photo_row(alice.user, 1, T0, camera_make="Canon", camera_model="EOS R6")
    photo_row(alice.user, 2, T0, camera_make="Apple", camera_model="iPhone 15 Pro")
    photo_row(alice.user, 3, datetime(2023, 7, 1, tzinfo=UTC), camera_make="Canon",
              camera_model="EOS R6")
    assert buckets(client, alice, "?camera=canon") == [("2024-05", 1), ("2023-07", 1)]
    assert buckets(client, alice, "?since=2024-01-01") == [("2024-05", 2)]
    assert call(client, "GET", "/timeline/buckets?favourite=maybe", alice).status_code == 400


def test_a_month_lists_its_photos_in_timeline_order_with_aspect(client: Client,
                                                                alice: Persona,
                                                                bob: Persona) -> None:
    inside = [photo_row(alice.user, n, T0 - timedelta(days=n % 3), width=4000, height=3000)
              for n in range(5)]
    photo_row(alice.user, 10, T0 + timedelta(hours=1))  # June
    photo_row(alice.user, 11, T0 - timedelta(days=40))  # April
    photo_row(alice.user, 12, T0, trashed_at=timezone.now())
    photo_row(bob.user, 13, T0)
    answer = call(client, "GET", "/timeline/buckets/2024-05?limit=2", alice).json()
    seen = [item["id"] for item in answer["items"]]
    while answer["next_cursor"]:
        answer = call(client, "GET",
                      f"/timeline/buckets/2024-05?limit=2&cursor={answer['next_cursor']}",
                      alice).json()
        seen += [item["id"] for item in answer["items"]]
    want = sorted(inside, key=lambda p: (p.taken_at, p.pk), reverse=True)
    assert seen == [p.original_id for p in want]
    assert answer["items"][0]["aspect"] == pytest.approx(4 / 3, abs=1e-3)


def test_a_photo_without_size_has_no_aspect(client: Client, alice: Persona) -> None:
    photo_row(alice.user, 1, T0)
    assert call(client, "GET", "/timeline/buckets/2024-05", alice).json()["items"][0][
        "aspect"] is None


@pytest.mark.parametrize("month", ["2024-13", "2024-00", "24-05", "2024-5", "0000-01", "x"])
def test_a_month_that_is_no_month_is_not_found(client: Client, alice: Persona,
                                               month: str) -> None:
    answer = call(client, "GET", f"/timeline/buckets/{month}", alice)
    assert answer.status_code == 404
    assert answer.json()["error"] == {"code": "not_found", "message": "month not found (YYYY-MM)"}


def test_the_last_month_of_the_calendar_is_a_month(client: Client, alice: Persona) -> None:
    photo_row(alice.user, 1, datetime(9999, 12, 31, 23, 0, tzinfo=UTC))
    assert [i["filename"] for i in call(client, "GET", "/timeline/buckets/9999-12",
                                        alice).json()["items"]] == ["IMG_00001.JPG"]
    assert buckets(client, alice) == [("9999-12", 1)]


@pytest.mark.parametrize("path", ["/timeline/buckets", "/timeline/buckets/2024-05"])
def test_the_skeleton_needs_a_login(client: Client, path: str) -> None:
    answer = call(client, "GET", path)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"


def test_a_live_photos_clip_is_not_an_item_of_the_timeline(client: Client,
                                                           alice: Persona) -> None:
    photo_row(alice.user, 1, T0)
    photo_row(alice.user, 2, T0, is_motion=True)
    assert buckets(client, alice) == [("2024-05", 1)]
    assert len(call(client, "GET", "/timeline/buckets/2024-05", alice).json()["items"]) == 1


def test_the_count_triggers_come_back_when_a_table_rebuild_dropped_them(
        client: Client, alice: Persona) -> None:
    """SQLite drops a table's triggers when Django rebuilds the table for a schema change;
    after every migrate they are made again and the months counted again."""
    from django.db import connection

    from imgbackup.photos.month_triggers import ensure_triggers, statements

    with connection.cursor() as cursor:
        for statement in statements(connection.vendor, create=False):
            cursor.execute(statement)
    photo_row(alice.user, 1, T0)  # not counted: no triggers
    assert buckets(client, alice) == []
    assert ensure_triggers(connection) is True
    assert buckets(client, alice) == [("2024-05", 1)]
    photo_row(alice.user, 2, T0)
    assert buckets(client, alice) == [("2024-05", 2)]
    assert ensure_triggers(connection) is False
