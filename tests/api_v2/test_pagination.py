"""GET /photos and GET /trash: keyset pages that never skip or repeat, and the filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Persona
from django.test import Client
from django.utils import timezone

from api_v2.conftest import call
from api_v2.rows import photo_row

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def all_pages(client: Client, persona: Persona, path: str, between: Any = None) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        query = f"{path}{'&' if '?' in path else '?'}limit=7"
        query += f"&cursor={cursor}" if cursor else ""
        page = call(client, "GET", query, persona).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between:
            between()


def test_pages_never_skip_or_repeat_across_inserts_and_deletes(client: Client,
                                                              alice: Persona) -> None:
    # 60 photos, many sharing a taken_at so the id must break ties.
    photos = [photo_row(alice.user, n, T0 - timedelta(hours=n // 3)) for n in range(60)]
    stay = {p.original_id for p in photos[::2]}
    doomed = [p for p in photos if p.original_id not in stay]
    extra = iter(range(1000, 2000))

    def churn() -> None:
        # Between pages: photos newer, older and equal in time to the ones being paged appear,
        # and others vanish (trash and destroy).
        for when in (T0 + timedelta(days=1), T0 - timedelta(hours=10), T0 - timedelta(days=99)):
            photo_row(alice.user, next(extra), when)
        if doomed:
            doomed.pop().delete()
        if doomed:
            p = doomed.pop()
            p.trashed_at = timezone.now()
            p.save()

    seen = all_pages(client, alice, "/photos", churn)
    assert len(seen) == len(set(seen)), "a photo was repeated"
    assert stay <= set(seen), "a photo that was there all along was skipped"


def test_pages_come_newest_taken_first(client: Client, alice: Persona) -> None:
    for n in range(20):
        photo_row(alice.user, n, T0 + timedelta(minutes=(n * 7) % 20))
    items: list[dict[str, Any]] = []
    cursor = ""
    while cursor is not None:
        page = call(client, "GET", f"/photos?limit=6&cursor={cursor}", alice).json()
        items += page["items"]
        cursor = page["next_cursor"]
    keys = [(item["taken_at"], item["id"]) for item in items]
    assert len(items) == 20
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


def test_the_last_page_has_no_cursor(client: Client, alice: Persona) -> None:
    for n in range(3):
        photo_row(alice.user, n, T0)
    page = call(client, "GET", "/photos?limit=3", alice).json()
    assert len(page["items"]) == 3 and page["next_cursor"] is None
    assert call(client, "GET", "/photos?limit=9999", alice).status_code == 200


def test_filters(client: Client, alice: Persona) -> None:
    photo_row(alice.user, 1, datetime(2023, 12, 31, 23, 59, tzinfo=UTC), camera_make="Apple",
              camera_model="iPhone 15")
    photo_row(alice.user, 2, datetime(2024, 1, 1, 0, 0, tzinfo=UTC), camera_make="FUJIFILM",
              camera_model="X-T5", favourite=True)
    photo_row(alice.user, 3, datetime(2024, 1, 2, 8, 0, tzinfo=UTC), camera_make="Apple",
              camera_model="iPhone 12")

    def names(query: str) -> list[str]:
        answer = call(client, "GET", f"/photos?{query}", alice)
        assert answer.status_code == 200, answer.content
        return [item["filename"] for item in answer.json()["items"]]

    assert names("since=2024-01-01") == ["IMG_00003.JPG", "IMG_00002.JPG"]
    assert names("until=2024-01-01") == ["IMG_00002.JPG", "IMG_00001.JPG"]
    assert names("until=2024-01-01T00:00:00") == ["IMG_00002.JPG", "IMG_00001.JPG"]
    assert names("since=2024-01-01T00:00:01&until=2024-01-02") == ["IMG_00003.JPG"]
    assert names("since=2024-01-01T09:00:00%2B09:00") == ["IMG_00003.JPG", "IMG_00002.JPG"]
    assert names("camera=iphone") == ["IMG_00003.JPG", "IMG_00001.JPG"]
    assert names("camera=fujifilm") == ["IMG_00002.JPG"]
    assert names("favourite=true") == ["IMG_00002.JPG"]
    assert names("favourite=false&camera=apple") == ["IMG_00003.JPG", "IMG_00001.JPG"]
    assert names("q=00003") == ["IMG_00003.JPG"]
    assert names("q=img_0000&limit=1") == ["IMG_00003.JPG"]


def test_filtered_pages_carry_on_with_the_same_filters(client: Client, alice: Persona) -> None:
    for n in range(10):
        photo_row(alice.user, n, T0 - timedelta(days=n), favourite=n % 2 == 0)
    seen = all_pages(client, alice, "/photos?favourite=true")
    assert len(seen) == 5


def test_trash_pages_most_recently_trashed_first(client: Client, alice: Persona) -> None:
    now = timezone.now()
    for n in range(15):
        photo_row(alice.user, n, T0, trashed_at=now - timedelta(minutes=n % 4))
    photo_row(alice.user, 99, T0)
    seen = all_pages(client, alice, "/trash")
    assert len(seen) == len(set(seen)) == 15
    page = call(client, "GET", "/trash?limit=15", alice).json()
    stamps = [item["trashed_at"] for item in page["items"]]
    assert stamps == sorted(stamps, reverse=True)
    assert all(item["purge_at"] for item in page["items"])
