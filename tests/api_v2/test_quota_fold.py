"""The quota check before the body stands in for ingest's first one where it proved enough
(photos/quota.py ``mark_checked``): a file past what it proved is still checked in full before
its bytes are stored, and every upload is still checked under the quota row's lock."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from .test_tus import create

from imgbackup.accounts.quotas import set_quota
from imgbackup.api import uploads
from imgbackup.photos import quota
from imgbackup.photos.models import Original, original_name
from imgbackup.photos.quota import mark_checked, usage_of
from imgbackup.storage import blobs

MIB = 1024 * 1024


class Sized:
    def __init__(self, size: int) -> None:
        self.size = size
        self.quota_checked = False


@pytest.mark.backend_independent
def test_only_the_uploads_within_what_was_proved_are_marked() -> None:
    files = [Sized(400), Sized(500), Sized(300), Sized(1)]
    mark_checked(files, 800, 200)  # room for 1000 bytes: the first two
    assert [f.quota_checked for f in files] == [True, True, False, False]
    unlimited = [Sized(10 ** 12)]
    mark_checked(unlimited, 5, None)
    assert unlimited[0].quota_checked


def _big_jpeg(seed: int) -> bytes:
    # Bytes after the end-of-image marker are kept and ignored (imaging/integrity.py).
    return make_jpeg(seed) + os.urandom(MIB + MIB // 2)


def _stored(data: bytes) -> bool:
    sha = hashlib.sha256(data).hexdigest()
    return Original.objects.filter(sha256=sha).exists() or blobs().exists(original_name(sha))


def _send(client: Client, alice: Persona, data: bytes) -> Any:
    return client.post("/api/v2/photos",
                       {"f": SimpleUploadedFile("a.jpg", data, "image/jpeg")}, **alice.auth)


def test_a_file_past_what_the_body_check_proved_is_refused_before_it_is_stored(
        client: Client, alice: Persona) -> None:
    data = _big_jpeg(1)
    # The body less its framing allowance (1 MiB) fits; the file does not.
    set_quota(alice.user, usage_of(alice.user) + len(data) - 100)
    refused = _send(client, alice, data)
    assert refused.status_code == 413, refused.content
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert not _stored(data)


@pytest.mark.parametrize("how", ["multipart", "tus creation-with-upload"])
def test_a_file_within_it_is_kept_and_not_checked_again_before_storing(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    data = _big_jpeg(2)
    set_quota(alice.user, usage_of(alice.user) + len(data) + MIB)
    checks: list[bool] = []
    real = quota.check_quota

    def counted(*args: Any, **kwargs: Any) -> int | None:
        checks.append(bool(kwargs.get("locked")))
        return real(*args, **kwargs)

    monkeypatch.setattr("imgbackup.photos.ingest.check_quota", counted)
    if how == "multipart":
        assert _send(client, alice, data).status_code == 201
    else:
        assert create(client, alice, len(data), data).status_code == 201
    assert checks == [True]  # only the one under the quota row's lock
    assert _stored(data)


def test_the_check_under_the_lock_still_refuses_what_no_longer_fits(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _big_jpeg(3)
    set_quota(alice.user, usage_of(alice.user) + len(data) + MIB)
    real = uploads.mark_checked

    def then_shrunk(*args: Any) -> None:
        real(*args)
        set_quota(alice.user, 10)  # an admin lowers the quota while the body arrives

    monkeypatch.setattr(uploads, "mark_checked", then_shrunk)
    refused = _send(client, alice, data)
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "quota_exceeded"
    assert not Original.objects.filter(sha256=hashlib.sha256(data).hexdigest()).exists()
