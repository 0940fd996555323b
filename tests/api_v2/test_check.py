"""POST /photos/check: what a client must still send, 10 000 hashes in one call."""

from __future__ import annotations

import hashlib
import time

import pytest
from conftest import Persona
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api_v2.conftest import call
from api_v2.rows import photo_row
from imgbackup.api.v2.upload import CHECK_CHUNK
from imgbackup.photos.models import Photo


def test_ten_thousand_hashes_in_one_call(client: Client, alice: Persona) -> None:
    now = timezone.now()
    for n in range(300):
        photo_row(alice.user, n, now, trashed_at=now if n < 10 else None)
    have = list(Photo.objects.select_related("original").order_by("id"))
    sha256s = [p.original_id for p in have[:200]]
    md5s = [p.original.md5.upper() for p in have[200:]]
    unknown = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(5000)]
    unknown += [hashlib.md5(str(n).encode()).hexdigest() for n in range(10_000 - 5000 - 300)]
    hashes = sha256s + md5s + unknown
    assert len(hashes) == 10_000
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        answer = call(client, "POST", "/photos/check", alice, {"hashes": hashes})
    elapsed = time.monotonic() - started
    assert answer.status_code == 200
    body = answer.json()
    assert body["present"] == sha256s + [h.lower() for h in md5s]
    assert body["missing"] == unknown
    assert body["trashed"] == sha256s[:10]
    # A few chunked IN queries, not one per hash (and no query larger than SQLite allows).
    assert len(queries) <= 2 + 10_000 // CHECK_CHUNK + 2
    assert elapsed < 10, f"check of 10 000 hashes took {elapsed:.1f} s"


def test_more_than_ten_thousand_is_400(client: Client, alice: Persona) -> None:
    answer = call(client, "POST", "/photos/check", alice, {"hashes": ["0" * 32] * 10_001})
    assert answer.status_code == 400


@pytest.mark.parametrize(("item", "said"), [(None, "null"), (5, "5"), ("abc", '"abc"'),
                                           (["x"], '["x"]')])
def test_something_not_a_hash_is_400_naming_it_as_it_was_sent(
        client: Client, alice: Persona, item: object, said: str) -> None:
    answer = call(client, "POST", "/photos/check", alice, {"hashes": ["0" * 32, item]})
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": "bad_request", "message": f"not an MD5 (32 hex) or SHA-256 (64 hex): {said}"}


def test_repeated_and_mixed_case_hashes_are_answered_once_in_lower_case(
        client: Client, alice: Persona) -> None:
    photo = photo_row(alice.user, 1, timezone.now())
    answer = call(client, "POST", "/photos/check", alice,
                  {"hashes": [photo.original_id.upper(), photo.original_id, "a" * 32]})
    assert answer.json() == {"present": [photo.original_id], "missing": ["a" * 32],
                             "trashed": []}
