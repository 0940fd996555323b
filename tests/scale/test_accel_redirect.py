"""Behind nginx with local storage, downloads are handed to nginx with X-Accel-Redirect."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

URL = "/api/v1.0/service/image/"
pytestmark = pytest.mark.local_storage


def test_a_download_is_handed_to_nginx(client: Client, alice: Persona, settings: Any) -> None:
    settings.ACCEL_REDIRECT = "/_blobs/"
    body = make_jpeg(5)
    client.post(URL, {"p": SimpleUploadedFile("a.jpg", body, "image/jpeg")}, **alice.auth)
    r = client.get(URL, {"md5": hashlib.md5(body).hexdigest()}, **alice.auth)
    sha = hashlib.sha256(body).hexdigest()
    assert r.status_code == 200 and r.content == b""
    assert r["X-Accel-Redirect"] == f"/_blobs/originals/{sha[:2]}/{sha[2:4]}/{sha}"
    assert r["Content-Type"] == "image/jpeg" and r["ETag"] == f'"{sha}"'


def test_without_the_setting_the_server_sends_the_bytes(client: Client, alice: Persona) -> None:
    body = make_jpeg(6)
    client.post(URL, {"p": SimpleUploadedFile("a.jpg", body, "image/jpeg")}, **alice.auth)
    r = client.get(URL, {"md5": hashlib.md5(body).hexdigest()}, **alice.auth)
    assert "X-Accel-Redirect" not in r and b"".join(r.streaming_content) == body  # type: ignore[arg-type]
