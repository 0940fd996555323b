"""Trash, restore, destroy, empty, and the purge of what is older than IMGBACKUP_TRASH_DAYS."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any

from conftest import Persona
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from api_v2.conftest import call, jpeg_file, upload
from imgbackup.photos.models import Original, Photo
from imgbackup.storage import blobs


def test_a_deleted_photo_waits_in_the_trash_until_restored(client: Client,
                                                           alice: Persona) -> None:
    (photo_id,) = upload(client, alice, 1)
    trashed = call(client, "DELETE", f"/photos/{photo_id}", alice).json()
    assert trashed["trashed_at"] is not None
    purge_at = datetime.fromisoformat(trashed["purge_at"])
    assert purge_at - datetime.fromisoformat(trashed["trashed_at"]) == timedelta(days=30)
    assert call(client, "GET", "/photos", alice).json()["items"] == []
    assert [p["id"] for p in call(client, "GET", "/trash", alice).json()["items"]] == [photo_id]
    check = call(client, "POST", "/photos/check", alice, {"hashes": [photo_id]}).json()
    assert check == {"present": [photo_id], "missing": [], "trashed": [photo_id]}
    restored = call(client, "POST", f"/photos/{photo_id}/restore", alice).json()
    assert restored["trashed_at"] is None and restored["purge_at"] is None
    assert call(client, "GET", "/trash", alice).json()["items"] == []
    assert [p["id"] for p in call(client, "GET", "/photos", alice).json()["items"]] == [photo_id]


def test_destroying_the_last_photo_removes_the_bytes(client: Client, alice: Persona,
                                                     bob: Persona) -> None:
    (photo_id,) = upload(client, alice, 1)
    upload(client, bob, 1)
    name = Original.objects.get().storage_name
    call(client, "DELETE", f"/photos/{photo_id}", alice)
    assert call(client, "DELETE", f"/trash/{photo_id}", alice).status_code == 204
    assert blobs().exists(name), "Bob still has these bytes"
    call(client, "DELETE", f"/photos/{photo_id}", bob)
    assert call(client, "DELETE", "/trash", bob).json() == {"destroyed": 1}
    assert not blobs().exists(name)
    assert not Original.objects.exists()
    assert call(client, "GET", f"/photos/{photo_id}", bob).status_code == 404


def test_favourite_is_set_and_cleared(client: Client, alice: Persona) -> None:
    (photo_id,) = upload(client, alice, 1)
    assert call(client, "PATCH", f"/photos/{photo_id}", alice,
                {"favourite": True}).json()["favourite"] is True
    assert call(client, "GET", f"/photos/{photo_id}", alice).json()["favourite"] is True
    assert call(client, "PATCH", f"/photos/{photo_id}", alice,
                {"favourite": False}).json()["favourite"] is False


def trashed_days_ago(days: float, seed: int, client: Client, persona: Persona) -> Any:
    (photo_id,) = upload(client, persona, seed)
    Photo.objects.filter(original_id=photo_id).update(
        trashed_at=timezone.now() - timedelta(days=days))
    return photo_id


def test_purge_destroys_only_what_is_older_than_the_retention(client: Client, alice: Persona,
                                                              settings: Any) -> None:
    settings.TRASH_DAYS = 30
    old = trashed_days_ago(31, 1, client, alice)
    recent = trashed_days_ago(29, 2, client, alice)
    (kept,) = upload(client, alice, 3)
    out = StringIO()
    call_command("purge", stdout=out)
    assert "destroyed 1 photo" in out.getvalue()
    assert set(Photo.objects.values_list("original_id", flat=True)) == {recent, kept}
    assert not blobs().exists(Original(sha256=old).storage_name)


def test_original_and_images_are_served_with_cache_headers(client: Client,
                                                           alice: Persona) -> None:
    (photo_id,) = upload(client, alice, 1)
    original = call(client, "GET", f"/photos/{photo_id}/original?download=1", alice)
    assert original.getvalue() == jpeg_file(1).read()
    assert original["ETag"] == f'"{photo_id}"'
    assert "immutable" in original["Cache-Control"]
    assert original["X-Content-Type-Options"] == "nosniff"
    assert original["Content-Disposition"].startswith("attachment")
    assert "IMG_0001.jpg" in original["Content-Disposition"]
    inline = call(client, "GET", f"/photos/{photo_id}/original", alice)
    assert "attachment" not in inline.get("Content-Disposition", "")
    for kind in ("thumbnail", "preview"):
        image = call(client, "GET", f"/photos/{photo_id}/{kind}", alice)
        assert image.status_code == 200
        assert image["Content-Type"] in {"image/jpeg", "image/webp"}
        assert "immutable" in image["Cache-Control"]
        again = call(client, "GET", f"/photos/{photo_id}/{kind}", alice,
                     HTTP_IF_NONE_MATCH=image["ETag"])
        assert again.status_code == 304
