"""gc and verify against an upload of the same bytes in flight: an object without a committed
row is an orphan only if it is old when decided, and on PostgreSQL (where a row another
transaction is inserting is invisible and a locking read does not wait for it) the decision
waits for the upload's transaction (photos/sha_lock.py). Found by
tests/reliability/test_verify_under_load.py on PostgreSQL + S3: gc reported, and would have
deleted, an object an upload had just written again."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from conftest import Persona, make_jpeg, on_postgres
from django.core.files.base import ContentFile
from django.db import connection

from imgbackup.photos import gc as gc_module
from imgbackup.photos import ingest as ingest_module
from imgbackup.photos import verify as verify_module
from imgbackup.photos.gc import collect
from imgbackup.photos.ingest import ingest
from imgbackup.photos.models import original_name
from imgbackup.photos.verify import verify
from imgbackup.storage import blobs

from api_v2.test_race_ingest_destroy import spooled


def _written_just_now(body: bytes) -> str:
    name = original_name(hashlib.sha256(body).hexdigest())
    blobs().save(name, ContentFile(body))
    return name


def test_an_object_written_again_since_it_was_listed_is_no_orphan(
        db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listed while old (then destroyed, and written again by an upload whose row is not
    committed yet): decided young, not an orphan, by gc and by verify."""
    name = _written_just_now(make_jpeg(1))
    monkeypatch.setattr(gc_module, "is_young", lambda *_: False)  # old when it was listed
    monkeypatch.setattr(verify_module, "is_young", lambda *_: False)
    assert collect(dry_run=True).orphans == []
    assert verify().orphans == []
    assert blobs().exists(name)
    # Decided old, it is one (the check above is not blind).
    assert collect(grace=timedelta(minutes=-1), dry_run=True).orphans == [name]


@pytest.mark.skipif(not on_postgres(), reason="SQLite's write lock serialises these already")
@pytest.mark.django_db(transaction=True)
def test_gc_waits_for_an_upload_of_the_same_bytes_in_flight(
        alice: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    body = make_jpeg(2)
    name = _written_just_now(body)  # left by an earlier upload, say, with no row
    inserted, release = threading.Event(), threading.Event()
    real_place = ingest_module._place
    calls = 0

    def place_then_pause(upload: object) -> None:
        nonlocal calls
        real_place(upload)  # type: ignore[arg-type]
        calls += 1
        if calls == 2:  # the second placing: in the transaction, the row inserted
            inserted.set()
            release.wait(20)

    monkeypatch.setattr(ingest_module, "_place", place_then_pause)
    errors: list[BaseException] = []
    reports: list[list[str]] = []

    def upload() -> None:
        try:
            ingest(alice.user, spooled(body))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def gc() -> None:
        try:  # every object counts as old: only the row can save it
            reports.append(collect(grace=timedelta(minutes=-1), dry_run=True).orphans)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    uploader = threading.Thread(target=upload)
    uploader.start()
    assert inserted.wait(20), errors
    collector = threading.Thread(target=gc)
    collector.start()
    collector.join(1.5)
    waited = collector.is_alive()
    release.set()
    uploader.join(20)
    collector.join(20)
    assert errors == []
    assert waited, "gc decided while the upload's row was uncommitted"
    assert reports == [[]], f"{name} called an orphan while its upload was committing"
