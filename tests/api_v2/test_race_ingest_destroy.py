"""An upload of some bytes racing the destruction of the last photo that refers to the same
bytes: whichever wins, no photo may ever be left without its bytes.

Real threads on the real (file) SQLite database, committing for real (transaction=True)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import pytest
from conftest import Persona, make_jpeg
from django.db import close_old_connections, connection

from imgbackup.photos import ingest as ingest_module
from imgbackup.photos.ingest import ingest
from imgbackup.photos.models import Photo
from imgbackup.photos.trash import destroy
from imgbackup.photos.uploads import HashedUpload
from imgbackup.storage import blobs

ROUNDS = 12


def spooled(body: bytes) -> HashedUpload:
    """What the upload handler would have produced for these bytes."""
    upload = HashedUpload("race.jpg", "image/jpeg", None, "file")
    upload.file.write(body)
    upload.file.flush()
    upload.file.seek(0)
    upload.size = len(body)
    upload.sha256 = hashlib.sha256(body).hexdigest()
    upload.md5 = hashlib.md5(body).hexdigest()
    return upload


def in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


def bytes_intact(photo: Photo) -> bool:
    name = photo.original.storage_name
    if not blobs().exists(name):
        return False
    with blobs().open(name, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest() == photo.original_id


@pytest.mark.django_db(transaction=True)
def test_an_upload_racing_the_last_destroy_never_loses_bytes(alice: Persona,
                                                            bob: Persona) -> None:
    for round_ in range(ROUNDS):
        race(round_, alice, bob)


def race(round_: int, alice: Persona, bob: Persona) -> None:
    body = make_jpeg(1000 + round_)
    victim = ingest(alice.user, spooled(body)).photo
    bobs_upload = spooled(body)
    start = threading.Barrier(3)
    done = threading.Event()
    errors: list[BaseException] = []
    broken: list[str] = []

    def destroy_last() -> None:
        start.wait()
        destroy(victim)

    def upload_same() -> None:
        start.wait()
        ingest(bob.user, bobs_upload)

    def watch() -> None:
        # Any photo of Bob's that has committed must have its bytes, at every moment.
        start.wait()
        while not done.is_set():
            close_old_connections()
            for photo in Photo.objects.select_related("original").filter(owner=bob.user):
                if not bytes_intact(photo):
                    broken.append(f"round {round_}: {photo.original_id} has no bytes")

    racers = [in_thread(work, errors) for work in (destroy_last, upload_same)]
    watcher = in_thread(watch, errors)
    for thread in [*racers, watcher]:
        thread.start()
    for thread in racers:
        thread.join(60)
    done.set()
    watcher.join(60)
    bobs_upload.close()
    assert not errors, errors
    assert not broken, broken
    survivor = Photo.objects.select_related("original").get(owner=bob.user)
    assert bytes_intact(survivor), f"round {round_}: Bob's photo lost its bytes"
    assert not Photo.objects.filter(owner=alice.user).exists()
    destroy(survivor)
    assert not blobs().exists(survivor.original.storage_name)


@pytest.mark.django_db(transaction=True)
def test_bytes_removed_between_placing_and_committing_are_written_again(
        alice: Persona, bob: Persona, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest puts the bytes in storage before it takes the lock. The last destroy of the same
    bytes landing just then removes them; the step under the lock must notice and write them
    again. Deterministic: the destroy runs right after the first placement."""
    body = make_jpeg(2000)
    victim = ingest(alice.user, spooled(body)).photo
    place = ingest_module._place
    calls: list[int] = []

    def place_then_destroy(upload: HashedUpload) -> None:
        place(upload)
        calls.append(1)
        if len(calls) == 1:
            assert destroy(victim)
            assert not blobs().exists(victim.original.storage_name)

    monkeypatch.setattr(ingest_module, "_place", place_then_destroy)
    upload = spooled(body)
    photo = ingest(bob.user, upload).photo
    upload.close()
    assert len(calls) == 2  # placed before the lock, checked again under it
    assert bytes_intact(Photo.objects.select_related("original").get(pk=photo.pk))
