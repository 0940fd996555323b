"""What a share link serves of a photo with GPS in its EXIF: the original byte for byte (EXIF
and all) when the link allows downloads, never when it does not; previews and thumbnails with
no EXIF at all whatever the link says; and, where the link hides metadata, no file name in the
download's name or in the ZIP."""

from __future__ import annotations

import hashlib
import io
import zipfile

from conftest import Persona
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from sharing.conftest import make_album, make_link
from sharing.test_links import body_of, guest, jpeg_with_gps


def gps_of(data: bytes) -> dict[int, object]:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def sent_with_gps(client: Client, alice: Persona) -> tuple[str, bytes]:
    data = jpeg_with_gps(7)
    assert gps_of(data)  # what the checks below look for is there to be found
    answer = client.post("/api/v2/photos", {"file": SimpleUploadedFile(
        "Home-garden.jpg", data, "image/jpeg")}, **alice.auth)
    return answer.json()["items"][0]["id"], data


def test_a_link_allowing_downloads_serves_the_original_with_its_exif(client: Client,
                                                                     alice: Persona) -> None:
    photo, data = sent_with_gps(client, alice)
    for body in ({"ids": [photo]}, {"album": make_album(client, alice, ids=[photo])}):
        for show_metadata in (False, True):
            link = make_link(client, alice, show_metadata=show_metadata, **body)
            page = guest(Client(), link["key"]).json()
            served = Client().get(page["items"][0]["urls"]["original"] + "?download=1")
            assert served.status_code == 200
            original = body_of(served)
            assert original == data and hashlib.sha256(original).hexdigest() == photo
            assert gps_of(original) and served["ETag"] == f'"{photo}"'
            named = "Home-garden" in served["Content-Disposition"]
            assert named is show_metadata, served["Content-Disposition"]
            archive = zipfile.ZipFile(io.BytesIO(body_of(Client().get(page["zip_url"]))))
            (entry,) = archive.infolist()
            assert archive.read(entry) == data
            assert ("Home-garden" in entry.filename) is show_metadata, entry.filename
            if not show_metadata:
                assert entry.date_time == (1980, 1, 1, 0, 0, 0)


def test_a_link_hiding_metadata_serves_previews_without_gps_and_no_original(
        client: Client, alice: Persona) -> None:
    photo, _ = sent_with_gps(client, alice)
    for allow_download in (False, True):
        link = make_link(client, alice, ids=[photo], allow_download=allow_download)
        for kind in ("thumbnail", "preview"):
            served = guest(Client(), f"{link['key']}/photos/{photo}/{kind}")
            assert served.status_code == 200
            image = body_of(served)
            assert not gps_of(image) and not Image.open(io.BytesIO(image)).getexif(), kind
        original = guest(Client(), f"{link['key']}/photos/{photo}/original")
        assert original.status_code == (200 if allow_download else 404)
        assert guest(Client(), f"{link['key']}/zip").status_code == (
            200 if allow_download else 404)
