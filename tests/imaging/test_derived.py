"""Derived images in blob storage: made on first request, kept, made once under concurrency,
never left behind by a purge; and what ingest records from the bytes."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, TiffImagePlugin

from conftest import ORIENTATION, Persona, make_jpeg
from imgbackup.photos import derived
from imgbackup.photos.derived import (
    DerivedImageUnavailable,
    delete_derived,
    derived_content_type,
    derived_name,
    ensure_derived,
)
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.trash import destroy
from imgbackup.storage import blobs

URL = "/api/v1.0/service/image/"


def keep(client: Client, who: Persona, data: bytes, name: str = "photo.jpg") -> Photo:
    """Upload ``data`` through the API, as a client does, and return the photo kept."""
    r = client.post(URL, {"f": SimpleUploadedFile(name, data, "image/jpeg")}, **who.auth)
    assert r.status_code == 200, r.content
    return Photo.objects.select_related("original").get(
        owner=who.user, original__md5=r.json()["data"][0]["md5"])


def stored(name: str) -> Image.Image:
    with blobs().open(name) as f:
        return Image.open(io.BytesIO(f.read()))


@pytest.mark.django_db
def test_a_thumbnail_is_made_on_first_request_and_kept(
        client: Client, alice: Persona, _blob_root: Path) -> None:
    photo = keep(client, alice, (ORIENTATION / "Portrait_6.jpg").read_bytes())
    name = ensure_derived(photo.original, "thumbnail")
    assert name == derived_name(photo.sha256, "thumbnail")
    thumb = stored(name)
    assert thumb.format == "JPEG" and thumb.size == (171, 256)  # upright portrait
    made = (_blob_root / name).stat()
    assert ensure_derived(photo.original, "thumbnail") == name
    assert (_blob_root / name).stat().st_mtime_ns == made.st_mtime_ns
    assert max(stored(ensure_derived(photo.original, "preview")).size) == 1440


@pytest.mark.django_db
def test_a_kept_image_is_not_rendered_again(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = keep(client, alice, make_jpeg(1))
    ensure_derived(photo.original, "thumbnail")

    def fail(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("rendered twice")

    monkeypatch.setattr(derived, "render", fail)
    assert ensure_derived(photo.original, "thumbnail") == derived_name(photo.sha256, "thumbnail")


def test_kinds_are_checked_and_typed() -> None:
    assert derived_content_type("thumbnail") == "image/jpeg"
    assert derived_content_type("preview") == "image/jpeg"
    with pytest.raises(ValueError, match="unknown derived image kind"):
        derived_content_type("../../etc/passwd")
    with pytest.raises(ValueError, match="unknown derived image kind"):
        ensure_derived(Original(sha256="a" * 64), "original")


@pytest.mark.django_db
def test_bytes_that_do_not_decode_say_so(client: Client, alice: Persona) -> None:
    photo = keep(client, alice, make_jpeg(2))
    with blobs().open(photo.original.storage_name, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 damaged on disk")
    with pytest.raises(DerivedImageUnavailable):
        ensure_derived(photo.original, "thumbnail")
    assert not blobs().exists(derived_name(photo.sha256, "thumbnail"))


@pytest.mark.django_db
def test_nothing_is_left_behind_for_an_original_destroyed_meanwhile(
        client: Client, alice: Persona) -> None:
    photo = keep(client, alice, make_jpeg(3))
    original = photo.original
    stale = Original.objects.get(pk=original.pk)  # what a request had loaded before the purge

    real_render = derived.render

    def purge_during_render(*args: Any, **kwargs: Any) -> bytes:
        data = real_render(*args, **kwargs)
        destroy(photo)
        return data

    derived.render = purge_during_render  # type: ignore[assignment]
    try:
        with pytest.raises((DerivedImageUnavailable, FileNotFoundError)):
            ensure_derived(stale, "thumbnail")
    finally:
        derived.render = real_render
    assert not blobs().exists(derived_name(original.sha256, "thumbnail"))


@pytest.mark.django_db
def test_destroying_the_last_photo_removes_its_derived_images(
        client: Client, alice: Persona) -> None:
    photo = keep(client, alice, make_jpeg(4))
    names = [ensure_derived(photo.original, kind) for kind in ("thumbnail", "preview")]
    destroy(photo)
    assert not any(blobs().exists(name) for name in names)
    delete_derived(photo.sha256)  # and deleting what is gone is no error


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_both_get_one_whole_image(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = keep(client, alice, (ORIENTATION / "Landscape_8.jpg").read_bytes())
    both_rendering = threading.Barrier(2, timeout=30)
    real_render = derived.render

    def render_together(*args: Any, **kwargs: Any) -> bytes:
        data = real_render(*args, **kwargs)
        both_rendering.wait()  # neither saves before the other has rendered too
        return data

    monkeypatch.setattr(derived, "render", render_together)
    # The tests' in-memory SQLite answers "table is locked" to a second writer instead of
    # waiting for it as the real database does: let the row-lock step take turns. Both have
    # rendered and missed the other's image by then, which is the race under test.
    one_writer = threading.Lock()
    real_save = derived._save_while_original_exists

    def save_in_turn(*args: Any) -> None:
        with one_writer:
            real_save(*args)

    monkeypatch.setattr(derived, "_save_while_original_exists", save_in_turn)
    results: list[str | BaseException] = []

    def request() -> None:
        from django.db import connection

        try:
            results.append(ensure_derived(Original.objects.get(pk=photo.sha256), "preview"))
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    name = derived_name(photo.sha256, "preview")
    assert results == [name, name]
    assert stored(name).size == (1440, 960)
    # Nothing but the one image (no temp files), on local disk and S3 alike.
    folders, files = blobs().listdir(str(Path(name).parent))
    assert (folders, files) == ([], [Path(name).name])


# --- What ingest keeps from the bytes ----------------------------------------------------
def camera_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "FUJIFILM", "X-T5"
    exif[0x0112] = 6
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011], sub[0xA434] = "2023:12:24 18:05:00", "-05:00", "XF35mmF1.4 R"
    gps = exif.get_ifd(0x8825)
    r = TiffImagePlugin.IFDRational
    gps.update({1: "N", 2: (r(40, 1), r(42, 1), r(0, 1)), 3: "W", 4: (r(74, 1), r(0, 1), r(0, 1))})
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 150, 100)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.django_db
def test_an_upload_keeps_what_the_camera_wrote(client: Client, alice: Persona) -> None:
    photo = keep(client, alice, camera_jpeg())
    assert photo.taken_at == datetime(2023, 12, 24, 18, 5, tzinfo=timezone(-timedelta(hours=5)))
    assert photo.taken_at_source == "exif"
    assert (photo.camera_make, photo.camera_model, photo.lens) == (
        "FUJIFILM", "X-T5", "XF35mmF1.4 R")
    assert photo.latitude == pytest.approx(40.7)
    assert photo.longitude == pytest.approx(-74.0)
    assert (photo.width, photo.height) == (80, 120)  # as displayed: turned by its orientation


@pytest.mark.filterwarnings("ignore::UserWarning:PIL")  # Pillow says it saw corrupt EXIF
@pytest.mark.django_db
def test_an_upload_with_junk_exif_is_kept_with_empty_fields(
        client: Client, alice: Persona) -> None:
    buf = io.BytesIO()
    junk = b"Exif\0\0II*\0\x08\0\0\0\xff\xff" + b"\x13" * 300
    Image.new("RGB", (50, 40)).save(buf, "JPEG", exif=junk)
    before = datetime.now(UTC)
    photo = keep(client, alice, buf.getvalue())
    assert photo.taken_at_source == "upload" and photo.taken_at >= before - timedelta(seconds=5)
    assert (photo.camera_make, photo.latitude, photo.width) == ("", None, 50)
