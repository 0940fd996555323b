"""The whole file's SHA-256 and MD5 are carried from chunk to chunk (photos/running_hashes.py):
completing an upload does not read the file again to hash them, and the hashes still decide
what is kept."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from typing import Any

import pytest
from conftest import Persona, make_jpeg, on_postgres, on_s3
from django.test import Client
from .test_tus import create, head, meta, patch, stored

from imgbackup.photos.models import Photo, ResumableUpload
from imgbackup.photos.running_hashes import FORMAT, RunningHashes
from imgbackup.storage import partials

MB = 1024 * 1024
pure = pytest.mark.skipif(on_s3() or on_postgres(), reason="no database or storage involved")


def big_jpeg(seed: int) -> bytes:
    """A real JPEG followed by 9 MiB of noise: on S3 more than one part (8 MiB) and a tail."""
    return make_jpeg(seed, size=(120, 80)) + os.urandom(9 * MB)


def send_in_three(client: Client, who: Persona, body: bytes, **headers: Any) -> Any:
    location = create(client, who, len(body), **headers)["Location"]
    cuts = [0, len(body) // 3, 2 * len(body) // 3, len(body)]
    for start, end in itertools.pairwise(cuts):
        answer = patch(client, who, location, start, body[start:end])
        if end < len(body):
            assert answer.status_code == 204 and answer["Upload-Offset"] == str(end)
    return location, answer


@pytest.fixture
def no_rereading(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Completion may copy the file but not hash it: every byte hashed here is recorded."""
    hashed: list[int] = []

    class Spy:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def update(self, data: bytes) -> None:
            hashed.append(len(data))

        def hexdigests(self) -> tuple[str, str]:
            return "0" * 64, "0" * 32

    def read_to_hash(*args: Any) -> tuple[str, str]:
        raise AssertionError("completion read the whole file to hash it")

    monkeypatch.setattr(partials, "BothHashes", Spy)
    monkeypatch.setattr(partials, "hash_file", read_to_hash)
    return hashed


def test_completion_uses_the_hashes_carried_from_chunk_to_chunk(
        client: Client, alice: Persona, no_rereading: list[int]) -> None:
    body = big_jpeg(1)
    location, last = send_in_three(client, alice, body)
    assert last.status_code == 204, last.content
    sha256 = hashlib.sha256(body).hexdigest()
    assert last["Imgbackup-Photo-Id"] == sha256 and no_rereading == []
    assert stored(sha256) == body
    assert Photo.objects.get(owner=alice.user).original.md5 == hashlib.md5(body).hexdigest()
    assert head(client, alice, location)["Imgbackup-Photo-Id"] == sha256


def test_a_wrong_whole_file_hash_still_keeps_nothing(client: Client, alice: Persona) -> None:
    body = big_jpeg(2)
    wrong_md5 = hashlib.md5(body + b"x").hexdigest()
    location, last = send_in_three(client, alice, body, HTTP_UPLOAD_METADATA=meta(
        sha256=hashlib.sha256(body).hexdigest(), md5=wrong_md5))
    assert last.status_code == 460, last.content
    assert last.json()["error"]["code"] == "checksum_mismatch"
    assert not Photo.objects.exists() and not ResumableUpload.objects.exists()
    assert head(client, alice, location).status_code == 404


def test_a_saved_state_that_cannot_be_trusted_falls_back_to_reading_the_file(
        client: Client, alice: Persona) -> None:
    body = make_jpeg(3, size=(200, 150))
    location = create(client, alice, len(body))["Location"]
    assert patch(client, alice, location, 0, body[:100]).status_code == 204
    upload = ResumableUpload.objects.get()
    assert upload.state["hashes"]["at"] == 100
    # As if written by another version of the library: its layout is not trusted.
    upload.state["hashes"]["format"] = "rehashes-0.0.1"
    upload.save()
    last = patch(client, alice, location, 100, body[100:])
    assert last["Imgbackup-Photo-Id"] == hashlib.sha256(body).hexdigest()
    assert stored(last["Imgbackup-Photo-Id"]) == body


def test_an_upload_begun_with_rehashes_state_completes_by_reading_the_file(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row saved by the code before OpenSSL's hashes: rehashes 0.3.0's real state and format.
    Its hashes are dropped, completion reads the file, and the photo's hashes are right."""
    from rehashes import PyMd5, PySha256

    body = big_jpeg(5)
    location = create(client, alice, len(body))["Location"]
    assert patch(client, alice, location, 0, body[:MB]).status_code == 204
    sha256, md5 = PySha256(), PyMd5()
    sha256.update(body[:MB])
    md5.update(body[:MB])
    upload = ResumableUpload.objects.get()
    upload.state["hashes"] = {"format": "rehashes-0.3.0", "at": MB,
                              "sha256": base64.b64encode(sha256.serialize()).decode(),
                              "md5": base64.b64encode(md5.serialize()).decode()}
    upload.save()
    read: list[int] = []
    hash_file = partials.hash_file

    def reading(path: Any, size: int) -> tuple[str, str]:
        read.append(size)
        return hash_file(path, size)

    class Counting(partials.BothHashes):  # on S3, hashing the object as it is copied back
        def update(self, data: Any, alongside: Any = None) -> None:
            read.append(len(data))
            super().update(data, alongside)

    monkeypatch.setattr(partials, "hash_file", reading)
    monkeypatch.setattr(partials, "BothHashes", Counting)
    middle = patch(client, alice, location, MB, body[MB:5 * MB])
    assert middle.status_code == 204
    assert "hashes" not in ResumableUpload.objects.get().state  # dropped, not continued
    last = patch(client, alice, location, 5 * MB, body[5 * MB:])
    assert last["Imgbackup-Photo-Id"] == hashlib.sha256(body).hexdigest()
    assert sum(read) == len(body)  # the whole file read to hash it
    assert stored(last["Imgbackup-Photo-Id"]) == body
    assert Photo.objects.get(owner=alice.user).original.md5 == hashlib.md5(body).hexdigest()


def test_a_chunk_refused_for_its_checksum_leaves_the_running_hashes_as_they_were(
        client: Client, alice: Persona, no_rereading: list[int]) -> None:
    body = make_jpeg(4, size=(200, 150))
    location = create(client, alice, len(body))["Location"]
    assert patch(client, alice, location, 0, body[:100]).status_code == 204
    bad = patch(client, alice, location, 100, body[100:],
                HTTP_UPLOAD_CHECKSUM="sha1 " + "A" * 27 + "=")
    assert bad.status_code == 460
    assert ResumableUpload.objects.get().state["hashes"]["at"] == 100
    last = patch(client, alice, location, 100, body[100:])
    assert last["Imgbackup-Photo-Id"] == hashlib.sha256(body).hexdigest()


@pure
def test_saved_hashes_continue_where_they_stopped() -> None:
    data = os.urandom(300_000)
    first = RunningHashes.start()
    first.update(data[:123_457])
    saved = first.saved()
    assert saved["format"] == FORMAT and saved["at"] == 123_457
    later = RunningHashes.resume(saved, 123_457)
    assert later is not None
    later.update(data[123_457:])
    assert later.hexdigests() == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())


@pure
@pytest.mark.parametrize("change", [
    {"at": 5}, {"format": "rehashes-9.9"}, {"sha256": "not base64!"}, {"md5": "AAAA"},
    {"sha256": None},
])
def test_a_state_that_does_not_fit_is_not_used(change: dict[str, Any]) -> None:
    hashes = RunningHashes.start()
    hashes.update(b"x" * 10)
    assert RunningHashes.resume({**hashes.saved(), **change}, 10) is None
    assert RunningHashes.resume(None, 10) is None
    assert RunningHashes.resume(None, 0) is not None  # from the start, nothing to trust


@pure
def test_hashes_are_saved_only_when_they_cover_exactly_the_bytes_counted() -> None:
    from imgbackup.photos.resumable import _with_hashes

    hashes = RunningHashes.start()
    hashes.update(b"x" * 10)
    stale = {"parts": [[1, "etag", 5]], "hashes": {"at": 3}}
    assert _with_hashes(stale, hashes, 10) == {"parts": [[1, "etag", 5]],
                                               "hashes": hashes.saved()}
    # A store that counted other bytes than were hashed: no state is saved (nor the old one),
    # so completion reads the file.
    assert _with_hashes(stale, hashes, 9) == {"parts": [[1, "etag", 5]]}
    assert _with_hashes(stale, None, 10) == {"parts": [[1, "etag", 5]]}
