"""S3 blob storage against a real SeaweedFS that checks request signatures."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from backends import SeaweedFS, free_port
from conftest import Persona, make_jpeg
from django.core.files.storage import storages
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import Client

from imgbackup.photos.models import Original, Photo

URL = "/api/v1.0/service/image/"
MiB = 1024 * 1024
S3 = tuple[SeaweedFS, str]


def upload(client: Client, who: Persona, body: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(URL, {"photo": SimpleUploadedFile("a.jpg", body, "image/jpeg")},
                       **who.auth)


def test_an_upload_lands_in_the_bucket_and_streams_back(client: Client, alice: Persona,
                                                        s3_blobs: S3) -> None:
    seaweedfs, prefix = s3_blobs
    body = make_jpeg(1)
    assert upload(client, alice, body).status_code == 200
    sha = hashlib.sha256(body).hexdigest()
    assert seaweedfs.keys(prefix) == [f"{prefix}/originals/{sha[:2]}/{sha[2:4]}/{sha}"]
    r = client.get(URL, {"md5": hashlib.md5(body).hexdigest()}, **alice.auth)
    assert r.status_code == 200 and r.streaming
    assert b"".join(r.streaming_content) == body  # type: ignore[arg-type]
    assert r["Content-Type"] == "image/jpeg" and r["ETag"] == f'"{sha}"'


def test_the_same_bytes_from_two_users_are_one_object(client: Client, alice: Persona,
                                                      bob: Persona, s3_blobs: S3) -> None:
    seaweedfs, prefix = s3_blobs
    body = make_jpeg(2)
    assert upload(client, alice, body).status_code == 200
    assert upload(client, bob, body).status_code == 200
    assert len(seaweedfs.keys(prefix)) == 1 and Photo.objects.count() == 2


def test_a_large_file_goes_up_in_parts_never_whole_in_memory(tmp_path: Path, settings: Any,
                                                              s3_blobs: S3) -> None:
    seaweedfs, prefix = s3_blobs
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    size = 80 * MiB
    spooled = TemporaryUploadedFile("big.bin", "application/octet-stream", size, None)
    block = os.urandom(MiB)
    for _ in range(size // MiB):
        spooled.write(block)
    spooled.flush()
    tracemalloc.start()
    try:
        storages["blobs"].save("originals/big", spooled)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        spooled.close()
    head = seaweedfs.client().head_object(Bucket=seaweedfs.bucket, Key=f"{prefix}/originals/big")
    assert head["ContentLength"] == size
    assert "-" in head["ETag"], "a multipart upload's ETag ends in -<parts>"
    assert peak < size / 2, f"{peak / MiB:.0f} MiB held while sending {size / MiB:.0f} MiB"


def test_a_download_reads_the_object_part_by_part(s3_blobs: S3) -> None:
    storage = storages["blobs"]
    from django.core.files.base import ContentFile

    storage.save("originals/x", ContentFile(b"abc" * 100_000))
    handle = storage.open("originals/x")
    try:
        assert handle.read(10) == b"abcabcabca"  # a stream: no whole copy was made first
        assert len(handle.read()) == 300_000 - 10
    finally:
        handle.close()
    assert storage.exists("originals/x") and not storage.exists("originals/y")
    storage.delete("originals/x")
    assert not storage.exists("originals/x")


def test_a_range_is_a_ranged_get_of_only_those_bytes(s3_blobs: S3) -> None:
    from django.core.files.base import ContentFile

    from imgbackup.storage import open_range

    storage = storages["blobs"]
    data = os.urandom(300_000)
    storage.save("originals/r", ContentFile(data))
    asked: list[dict[str, Any]] = []
    storage.connection.meta.client.meta.events.register(
        "before-call.s3.GetObject", lambda params, **_: asked.append(params))
    part = open_range("originals/r", 1000, 1999)
    try:
        assert [p["headers"].get("Range") for p in asked] == ["bytes=1000-1999"]
        assert part.read(10) == data[1000:1010]
        assert part.read() == data[1010:2000] and part.read() == b""
    finally:
        part.close()


def test_presigned_downloads_redirect_to_a_short_lived_url(client: Client, alice: Persona,
                                                           settings: Any, s3_blobs: S3) -> None:
    settings.S3_PRESIGNED_DOWNLOADS = True
    body = make_jpeg(3)
    upload(client, alice, body)
    r = client.get(URL, {"md5": hashlib.md5(body).hexdigest()}, **alice.auth)
    assert r.status_code == 302
    assert "X-Amz-Expires=300" in r["Location"] and "max-age=60" in r["Cache-Control"]
    fetched = httpx.get(r["Location"])
    assert fetched.status_code == 200 and fetched.content == body
    assert fetched.headers["content-type"] == "image/jpeg"
    # Not modified is still answered by the server itself, without signing anything.
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    r = client.get(URL, {"md5": hashlib.md5(body).hexdigest()}, HTTP_IF_NONE_MATCH=etag,
                   **alice.auth)
    assert r.status_code == 304


def test_healthz_names_refused_credentials(client: Client, db: None, settings: Any,
                                           s3_blobs: S3) -> None:
    settings.STORAGES["blobs"]["OPTIONS"]["secret_key"] = "not-the-secret"
    storages._storages.pop("blobs", None)
    r = client.get("/healthz")
    assert r.status_code == 503
    message = r.json()["storage"]
    assert "refused the credentials" in message and "IMGBACKUP_S3_SECRET_ACCESS_KEY" in message


def test_healthz_names_a_missing_bucket(client: Client, db: None, settings: Any,
                                       s3_blobs: S3) -> None:
    settings.STORAGES["blobs"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    storages._storages.pop("blobs", None)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert "'no-such-bucket'" in r.json()["storage"] and "does not exist" in r.json()["storage"]


def test_an_unreachable_store_answers_503_and_keeps_nothing(client: Client, alice: Persona,
                                                            settings: Any,
                                                            s3_blobs: S3) -> None:
    settings.STORAGES["blobs"]["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{free_port()}"
    storages._storages.pop("blobs", None)
    r = upload(client, alice, make_jpeg(4))
    assert r.status_code == 503
    assert r.json()["result_code"] == -100 and "cannot be reached" in r.json()["message"]
    assert r["Retry-After"]
    assert Photo.objects.count() == 0 and Original.objects.count() == 0
    health = client.get("/healthz")
    assert health.status_code == 503 and "cannot be reached" in health.json()["storage"]


@pytest.mark.slow
def test_serve_refuses_to_start_with_wrong_credentials(tmp_path: Path,
                                                       seaweedfs: SeaweedFS) -> None:
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(tmp_path / "data"),
           **seaweedfs.env("x"), "IMGBACKUP_S3_SECRET_ACCESS_KEY": "wrong"}
    env.pop("IMGBACKUP_DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-m", "imgbackup", "serve", "--port",
                          str(free_port())], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode != 0
    assert "refused the credentials" in out.stderr, out.stderr
    assert "IMGBACKUP_S3_SECRET_ACCESS_KEY" in out.stderr
