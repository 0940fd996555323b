"""Formats are recognised from the bytes; the part's name and Content-Type are ignored."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from conftest import Persona
from imgbackup.photos.models import Photo

pytestmark = pytest.mark.django_db


def encoded(fmt: str, **options: object) -> Callable[[], bytes]:
    def make() -> bytes:
        if fmt == "HEIF":
            from pillow_heif import register_heif_opener

            register_heif_opener()
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 100, 50)).save(buf, fmt, **options)
        return buf.getvalue()

    return make


@pytest.mark.parametrize("make,content_type", [
    (encoded("JPEG"), "image/jpeg"),
    (encoded("PNG"), "image/png"),
    (encoded("WEBP"), "image/webp"),
    (encoded("GIF"), "image/gif"),
    (encoded("TIFF"), "image/tiff"),
    (encoded("HEIF"), "image/heic"),
])
def test_each_accepted_format_is_kept_with_its_real_type(
        client: Client, alice: Persona, make: Callable[[], bytes], content_type: str) -> None:
    data = make()
    r = client.post("/api/v1.0/service/image/",
                    {"f": SimpleUploadedFile("upload.bin", data, "application/octet-stream")},
                    **alice.auth)
    assert r.status_code == 200, r.content
    photo = Photo.objects.select_related("original").get()
    assert photo.original.content_type == content_type
    assert (photo.width, photo.height) == (40, 30)


@pytest.mark.parametrize("data", [
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"%PDF-1.7\n1 0 obj<<>>endobj",
    b"BM" + b"\0" * 100,  # a BMP header: an image, but not a photo format we keep
    b"\xff\xd8\xff",  # the first bytes of a JPEG and nothing more
])
def test_other_bytes_named_jpg_are_415(client: Client, alice: Persona, data: bytes) -> None:
    r = client.post("/api/v1.0/service/image/",
                    {"f": SimpleUploadedFile("photo.jpg", data, "image/jpeg")}, **alice.auth)
    assert r.status_code == 415
    assert r.json()["result_code"] == -100
    assert Photo.objects.count() == 0
