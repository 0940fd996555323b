"""The lease on a resumable upload (photos/resumable_lease.py): the PATCH that completes a file
writes the row complete in the photo's own transaction, only while the lease is its own, and
updates the row no more than it must (each update is a commit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg, on_postgres, on_s3
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from .test_tus import create, head, patch, stored

from imgbackup.photos import resumable
from imgbackup.photos.models import Photo, ResumableUpload
from imgbackup.photos.resumable_lease import LEASE, Lease

pure = pytest.mark.skipif(on_s3() or on_postgres(), reason="one row's updates: SQLite is enough")


def row_updates(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].upper().startswith("UPDATE") and "photos_resumableupload" in q["sql"]]


def test_the_last_patch_takes_the_lease_and_commits_it_with_the_photo(
        client: Client, alice: Persona) -> None:
    body = make_jpeg(71, size=(200, 150))
    location = create(client, alice, len(body))["Location"]
    assert patch(client, alice, location, 0, body[:100]).status_code == 204
    with CaptureQueriesContext(connection) as queries:
        last = patch(client, alice, location, 100, body[100:])
    assert last.status_code == 204, last.content
    assert stored(last["Imgbackup-Photo-Id"]) == body
    # The lease taken, then the row complete with the lease released: no extension for a
    # photo, no second release.
    assert len(row_updates(queries)) == 2, row_updates(queries)
    row = ResumableUpload.objects.get()
    assert (row.offset, row.lease, row.lease_until, row.state) == (len(body), "", None, {})
    assert head(client, alice, location)["Imgbackup-Photo-Id"] == last["Imgbackup-Photo-Id"]


def test_a_patch_that_does_not_complete_updates_the_row_twice(client: Client,
                                                              alice: Persona) -> None:
    location = create(client, alice, 100)["Location"]
    with CaptureQueriesContext(connection) as queries:
        assert patch(client, alice, location, 0, b"x" * 10).status_code == 204
    assert len(row_updates(queries)) == 2, row_updates(queries)
    assert ResumableUpload.objects.get().lease == ""


def test_a_lease_lost_during_completion_keeps_no_photo_and_leaves_the_upload(
        client: Client, alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    body = make_jpeg(72, size=(200, 150))
    location = create(client, alice, len(body))["Location"]
    upload_id = location.rsplit("/", 1)[-1]
    real_ingest = resumable.ingest

    def slow_ingest(*args: Any, **kwargs: Any) -> Any:
        # Meanwhile this request's lease lapsed and another request took it.
        ResumableUpload.objects.filter(pk=upload_id).update(
            lease="y" * 32, lease_until=timezone.now() + LEASE)
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(resumable, "ingest", slow_ingest)
    answer = patch(client, alice, location, 0, body)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "conflict"
    assert not Photo.objects.exists()  # rolled back with the row's completion
    row = ResumableUpload.objects.get()  # not removed: the other request's now
    assert (row.offset, row.photo_id, row.lease) == (0, "", "y" * 32)


@pure
def test_a_completion_is_held_longer_only_when_the_lease_may_not_last(alice: Persona) -> None:
    row = resumable.create(alice.user, 100, resumable.Claims())
    lease = Lease.take(row, 0)
    with CaptureQueriesContext(connection) as queries:
        lease.hold_for(1.0)  # fresh: 60 s left, 1 s of work
    assert queries.captured_queries == []
    lease.until = timezone.now() + timedelta(seconds=20)  # renewed long ago
    lease.hold_for(1.0)
    held = ResumableUpload.objects.get().lease_until
    assert held is not None and held > timezone.now() + LEASE
    lease.hold_for(3600.0)  # a very large file: the work itself outlasts a fresh lease
    held = ResumableUpload.objects.get().lease_until
    assert held is not None and held > timezone.now() + timedelta(seconds=3600)



@pure
def test_the_lease_is_renewed_while_bytes_flow_and_lost_to_another(alice: Persona) -> None:
    from imgbackup.photos.resumable_lease import LostTurn

    row = resumable.create(alice.user, 100, resumable.Claims())
    lease = Lease.take(row, 0)
    with CaptureQueriesContext(connection) as queries:
        lease.renew_if_due()  # taken just now
    assert queries.captured_queries == []
    lease.until = timezone.now() + timedelta(seconds=40)  # 20 s since it was renewed
    lease.renew_if_due()
    renewed = ResumableUpload.objects.get().lease_until
    assert renewed is not None and renewed > timezone.now() + timedelta(seconds=55)
    ResumableUpload.objects.update(lease="y" * 32)  # lapsed, and another request took it
    lease.until = timezone.now()
    with pytest.raises(LostTurn):
        lease.renew_if_due()
