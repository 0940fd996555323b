"""A month's ``version`` in GET /timeline/buckets: it changes with anything the month's items
show, even when the count stays the same (a Live Photo's clip paired with its still, a
favourite, a date moved within the month), and stays as it was when nothing shown changed,
so that a client fetches again exactly the months that changed (the web timeline's refresh)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import Persona
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from videos import live_clip, live_still

from api_v2.conftest import call, upload
from api_v2.rows import photo_row
from imgbackup.photos.models import Photo
from imgbackup.api.v2.light_rows import PHOTO
from imgbackup.photos.month_triggers import COLUMNS, ensure_triggers, statements
from imgbackup.photos.places import fill_places

T0 = datetime(2024, 5, 20, 12, tzinfo=UTC)
# The Live Photo's clip says it was taken on 1 June 2023 (videos.APPLE_TAGS). Its still, sent
# with a file time, falls in the same month, or in another: then its month changes only by
# the still's link to its clip.
SAME_MONTH_MS, OTHER_MONTH_MS = "1685615000000", "1716206400000"  # 2023-06-01, 2024-05-20


def months(client: Client, persona: Persona, query: str = "") -> dict[str, tuple[int, int]]:
    """month -> (count, version), as the skeleton answers."""
    answer = call(client, "GET", f"/timeline/buckets{query}", persona)
    assert answer.status_code == 200, answer.content
    return {b["month"]: (b["count"], b["version"]) for b in answer.json()["buckets"]}


def send(client: Client, persona: Persona, data: bytes, name: str, **fields: str) -> str:
    sent = client.post("/api/v2/photos", {"file": SimpleUploadedFile(name, data), **fields},
                       **persona.auth)
    assert sent.status_code in {200, 201}, sent.content
    return str(sent.json()["items"][0]["id"])


@pytest.mark.parametrize("still_time", [SAME_MONTH_MS, OTHER_MONTH_MS])
def test_a_clip_paired_with_its_still_changes_the_months_version_not_its_count(
        client: Client, alice: Persona, still_time: str) -> None:
    still = send(client, alice, live_still(), "IMG_0001.JPG", last_modified=still_time)
    [(month, (count, version))] = months(client, alice).items()
    assert count == 1
    assert call(client, "GET", f"/photos/{still}", alice).json()["has_motion"] is False
    send(client, alice, live_clip(), "IMG_0001.MOV")
    assert call(client, "GET", f"/photos/{still}", alice).json()["has_motion"] is True
    after = months(client, alice)
    assert list(after) == [month]  # the clip is part of its still's item, in no month
    assert after[month][0] == 1 and after[month][1] != version


def test_a_favourite_changes_the_version_and_a_favourite_marked_again_does_not(
        client: Client, alice: Persona) -> None:
    (photo,) = upload(client, alice, 1)
    before = months(client, alice)
    call(client, "PATCH", f"/photos/{photo}", alice, {"favourite": True})
    marked = months(client, alice)
    assert marked.keys() == before.keys()
    assert [count for count, _ in marked.values()] == [count for count, _ in before.values()]
    assert marked != before
    call(client, "PATCH", f"/photos/{photo}", alice, {"favourite": True})
    call(client, "POST", "/photos/bulk", alice, {"ids": [photo], "action": "favourite"})
    assert months(client, alice) == marked
    call(client, "POST", "/photos/bulk", alice, {"ids": [photo], "action": "unfavourite"})
    assert months(client, alice) not in (marked, before)


def test_trash_and_restore_change_the_version(client: Client, alice: Persona) -> None:
    photo_row(alice.user, 1, T0)
    kept = photo_row(alice.user, 2, T0)
    before = months(client, alice)["2024-05"]
    call(client, "DELETE", f"/photos/{kept.sha256}", alice)
    trashed = months(client, alice)["2024-05"]
    assert trashed[0] == 1 and trashed[1] != before[1]
    call(client, "POST", f"/photos/{kept.sha256}/restore", alice)
    restored = months(client, alice)["2024-05"]
    assert restored[0] == 2 and restored[1] not in (before[1], trashed[1])


def test_a_date_moved_within_the_month_changes_only_that_months_version(
        client: Client, alice: Persona) -> None:
    moved = photo_row(alice.user, 1, T0)
    photo_row(alice.user, 2, T0 - timedelta(days=60))  # March: not touched
    before = months(client, alice)
    moved.taken_at = T0 + timedelta(days=3)
    moved.save(update_fields=["taken_at"])
    after = months(client, alice)
    assert after["2024-03"] == before["2024-03"]
    assert after["2024-05"][0] == 1 and after["2024-05"][1] != before["2024-05"][1]


def test_nothing_shown_changed_leaves_the_version(client: Client, alice: Persona,
                                                  bob: Persona) -> None:
    """The same bytes sent again, a thumbnail made, an update of columns no item shows, the
    places backfill finding what ingest found, another user's changes: the same versions."""
    (photo,) = upload(client, alice, 1)
    before = months(client, alice)
    upload(client, alice, 1)  # already kept
    assert call(client, "GET", f"/photos/{photo}/thumbnail", alice).status_code == 200
    Photo.objects.filter(owner=alice.user).update(place_done=False, content_identifier="x")
    assert fill_places() == 1
    Photo.objects.get(owner=alice.user).save()  # every column written, each as it was
    (theirs,) = upload(client, bob, 1)
    call(client, "PATCH", f"/photos/{theirs}", bob, {"favourite": True})
    assert months(client, alice) == before


def test_a_filtered_skeleton_carries_the_whole_months_version(client: Client,
                                                              alice: Persona) -> None:
    photo_row(alice.user, 1, T0, camera_make="Sony", camera_model="A7")
    photo_row(alice.user, 2, T0)
    whole = months(client, alice)["2024-05"]
    assert months(client, alice, "?camera=sony")["2024-05"] == (1, whole[1])
    assert months(client, alice, "?favourite=false")["2024-05"] == whole


def test_versions_counted_again_are_above_any_before(client: Client, alice: Persona) -> None:
    """When the triggers are made again (a table rebuild dropped them), every month is
    counted again from the rows: its version starts above any it had, so no client takes the
    new one for the one it holds."""
    photo = photo_row(alice.user, 1, T0)
    for n in range(5):
        photo.favourite = n % 2 == 0
        photo.save(update_fields=["favourite"])
    (_, before), = months(client, alice).values()
    with connection.cursor() as cursor:
        for statement in statements(connection.vendor, create=False):
            cursor.execute(statement)
    assert ensure_triggers(connection) is True
    (count, after), = months(client, alice).values()
    assert count == 1 and after > before


def test_every_column_a_month_page_shows_bumps_the_version() -> None:
    watched = {name.strip() for name in COLUMNS.split(",")}
    assert set(PHOTO) - {"id", "uploaded_at"} <= watched
