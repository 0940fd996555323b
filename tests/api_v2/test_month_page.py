"""A month page (``GET /timeline/buckets/{YYYY-MM}``) is read without model instances
(imgbackup/api/v2/light_rows.py): its items must be exactly the photo objects the rest of the
API shows, for every kind of photo, and its query one index range in timeline order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona
from django.db import connection
from django.test import Client
from django.utils import timezone

from api_v2.conftest import Query, call, plan_of, queries_behind
from api_v2.rows import photo_row
from imgbackup.api.v2.lookups import photos_of
from imgbackup.api.v2.serialize import photo_json
from imgbackup.photos.models import Photo

T0 = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)


def _kinds(persona: Persona) -> list[Photo]:
    """One photo of each kind photo_json treats apart, all in May 2024."""
    user = persona.user
    clip = photo_row(user, 9, T0, is_motion=True, media_type="video", duration=2.5)
    return [
        photo_row(user, 1, T0, width=4000, height=3000, favourite=True, lens="RF 35",
                  camera_make="Canon", camera_model="EOS R6", latitude=35.0, longitude=135.7,
                  place_key="jp/kyoto", place_city="Kyoto", place_region="Kyoto",
                  place_country="Japan", place_country_code="JP"),
        photo_row(user, 2, T0 - timedelta(days=1), media_type="video", duration=12.0,
                  fps=29.97, video_codec="h264", audio_codec="aac", width=1920, height=1080),
        photo_row(user, 3, T0 - timedelta(days=2), motion=clip, width=3024, height=4032),
        photo_row(user, 4, T0 - timedelta(days=3), motion_offset=123456),  # clip inside
        photo_row(user, 5, T0 - timedelta(days=4)),  # no size
    ]


def test_a_month_page_shows_each_photo_as_the_api_does(client: Client, alice: Persona) -> None:
    made = _kinds(alice)
    photo_row(alice.user, 6, T0, trashed_at=timezone.now())  # not in the timeline
    items = call(client, "GET", "/timeline/buckets/2024-05", alice).json()["items"]
    full = {p.original_id: p for p in photos_of(alice.user).filter(pk__in=[p.pk for p in made])}
    assert [item["id"] for item in items] == [p.original_id for p in made]
    for item in items:
        photo = full[item["id"]]
        want = photo_json(photo)
        want["aspect"] = round(photo.width / photo.height, 4) if photo.width else None
        want |= {"owner": "alice", "read_only": False}  # whose it is (a merged timeline)
        assert item == want


def test_a_month_page_pages_its_light_rows_like_photos(client: Client, alice: Persona) -> None:
    made = [photo_row(alice.user, n, T0 - timedelta(hours=n // 2)) for n in range(7)]
    seen, cursor = [], ""
    for _ in range(5):
        answer = call(client, "GET", f"/timeline/buckets/2024-05?limit=3{cursor}", alice).json()
        seen += [item["id"] for item in answer["items"]]
        if not answer["next_cursor"]:
            break
        cursor = f"&cursor={answer['next_cursor']}"
    assert seen == [p.original_id for p in sorted(made, key=lambda p: (p.taken_at, p.pk),
                                                    reverse=True)]


def _queries(client: Client, persona: Persona, path: str) -> list[Query]:
    answer, queries = queries_behind(client, path, persona)
    assert answer.status_code == 200 and answer.json()["items"], answer.content
    return [(sql, params) for sql, params in queries if "photos_photo" in sql]


def _plan(sql: str, params: Sequence[Any]) -> str:
    return plan_of(sql, params, ordered_by_index=True)


@pytest.mark.parametrize("cursor", [False, True])
def test_a_month_page_is_one_index_range_in_timeline_order(client: Client, alice: Persona,
                                                           bob: Persona, cursor: bool) -> None:
    _kinds(alice)
    for n in range(40):  # other months and another owner, so a scan would have rows to read
        photo_row(alice.user, 100 + n, T0 - timedelta(days=31 + n))
        photo_row(bob.user, 200 + n, T0)
    path = "/timeline/buckets/2024-05?limit=2"
    if cursor:
        path += "&cursor=" + call(client, "GET", path, alice).json()["next_cursor"]
    (query,) = _queries(client, alice, path)
    plan = _plan(*query)
    assert "timeline_live" in plan, plan
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index gives the order
        assert "SCAN photos_photo" not in plan, plan
        assert "SCAN photos_original" not in plan and "SCAN T" not in plan, plan
    else:
        assert "Sort" not in plan and "Seq Scan" not in plan, plan
    # Only the columns the answer needs: no search keys, no clip's own columns.
    select = query[0].split(" FROM ")[0]
    for unread in ("camera_key", "place_done", "content_identifier",
                   "created_at"):
        assert unread not in select, select
