"""Storage usage (GET /me's ``usage_bytes``, the web header, the quota) reads one row per owner
kept by triggers, never the library: exact after every change a photo can go through (against
the sum the slow way), and back after a table rebuild dropped the triggers."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Persona
from django.contrib.auth.models import User
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client

from api_v2.conftest import call
from imgbackup.photos import derived, usage_triggers
from imgbackup.photos import trash as trash_module
from imgbackup.photos.models import Original, Photo, StorageUsage
from imgbackup.photos.quota import usage_of
from imgbackup.photos.trash import destroy, purge_expired, restore, trash

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def recount(user: User) -> int:
    """What usage means, the slow way: the size of the original of every photo of the user."""
    total = Photo.objects.filter(owner=user).aggregate(total=Sum("original__size"))["total"]
    return int(total or 0)


def original(n: int, size: int) -> Original:
    sha256 = hashlib.sha256(f"bytes {n}".encode()).hexdigest()
    found, _ = Original.objects.get_or_create(
        sha256=sha256, defaults={"md5": hashlib.md5(sha256.encode()).hexdigest(), "size": size,
                                 "content_type": "image/jpeg"})
    return found


def photo(owner: User, source: Original, **fields: Any) -> Photo:
    return Photo.objects.create(owner=owner, original=source, taken_at=T0,
                                taken_at_source="exif", filename="IMG.JPG", **fields)


def live_pair(owner: User, n: int, rng: random.Random) -> Photo:
    clip = photo(owner, original(n + 1, rng.randrange(1, 10**9)), is_motion=True)
    return photo(owner, original(n, rng.randrange(1, 10**9)), motion=clip)


def test_usage_stays_exact_through_every_change(client: Client, alice: Persona, bob: Persona,
                                                tmp_path: Path, monkeypatch: Any) -> None:
    """Ingest, trash, restore, destroy, purge, Live Photo pairs, bytes both users have, a new
    owner, a corrected size, bulk updates, in a random order: always the slow sum."""
    # Rows only, no bytes: what destroy removes from storage is looked for in an empty folder,
    # not with a few hundred requests to S3 (the database is what this test is about).
    empty = FileSystemStorage(location=tmp_path)
    monkeypatch.setattr(trash_module, "blobs", lambda: empty)
    monkeypatch.setattr(derived, "blobs", lambda: empty)
    rng = random.Random(15)
    users = [alice.user, bob.user]
    photos = [photo(alice.user, original(n, rng.randrange(1, 10**10))) for n in range(20)]
    for step in range(150):
        target = rng.choice(photos)
        target.refresh_from_db()
        move = step % 10
        if move == 0:
            photos.append(photo(rng.choice(users), original(1000 + step, rng.randrange(1, 10**9))))
        elif move == 1:
            photos.append(live_pair(rng.choice(users), 2000 + 2 * step, rng))
        elif move == 2:
            trash(target)
        elif move == 3:
            restore(target)
        elif move == 4:  # the same bytes in the other library (deduplicated: one original)
            other = next(u for u in users if u.pk != target.owner_id)
            if not Photo.objects.filter(owner=other, original_id=target.original_id).exists():
                photos.append(photo(other, target.original))
        elif move == 5 and rng.random() < 0.5:
            destroy(target)
        elif move == 6:
            Photo.objects.filter(owner=target.owner_id).update(trashed_at=T0, favourite=True)
            purge_expired(now=T0 + timedelta(days=10_000)) if rng.random() < 0.3 else None
            Photo.objects.filter(owner=target.owner_id).update(trashed_at=None)
        elif move == 7:  # a corrected size moves every owner's usage
            Original.objects.filter(pk=target.original_id).update(size=rng.randrange(1, 10**9))
        elif move == 8:  # another owner (one who has not these bytes already)
            other = next(u for u in users if u.pk != target.owner_id)
            if target.motion_id is None and not target.is_motion and not Photo.objects.filter(
                    owner=other, original_id=target.original_id).exists():
                Photo.objects.filter(pk=target.pk).update(owner=other)
        else:
            target.save()  # every column set again, the same values
        photos = [p for p in photos if Photo.objects.filter(pk=p.pk).exists()]
        if not photos:
            photos.append(photo(alice.user, original(5000 + step, 7)))
        if step % 15 == 0:
            assert [usage_of(u) for u in users] == [recount(u) for u in users], step
    assert [usage_of(u) for u in users] == [recount(u) for u in users]
    assert recount(alice.user) > 0 and recount(bob.user) > 0
    assert call(client, "GET", "/me", alice).json()["usage_bytes"] == recount(alice.user)


def test_a_deleted_user_leaves_no_usage_and_the_other_keeps_theirs(
        alice: Persona, bob: Persona) -> None:
    shared = original(1, 1234)
    photo(alice.user, shared)
    photo(bob.user, shared)
    photo(bob.user, original(2, 10))
    alice.user.delete()
    assert list(StorageUsage.objects.values_list("owner_id", "bytes")) == [(bob.user.pk, 1244)]


def test_usage_is_one_row_read(alice: Persona) -> None:
    photo(alice.user, original(1, 5))
    seen: list[str] = []
    with connection.execute_wrapper(lambda run, sql, *rest: (seen.append(sql),
                                                             run(sql, *rest))[1]):
        assert usage_of(alice.user) == 5
    (query,) = seen
    assert "photos_storageusage" in query and "photos_photo" not in query, query


def test_the_usage_triggers_come_back_when_a_table_rebuild_dropped_them(
        alice: Persona) -> None:
    with connection.cursor() as cursor:
        for statement in usage_triggers.statements(connection.vendor, create=False):
            cursor.execute(statement)
    photo(alice.user, original(1, 100))  # not counted: no triggers
    assert usage_of(alice.user) == 0
    call_command("migrate", verbosity=0)  # post_migrate makes them again, and sums again
    assert usage_of(alice.user) == 100
    photo(alice.user, original(2, 20))
    assert usage_of(alice.user) == recount(alice.user) == 120
    assert usage_triggers.ensure_triggers(connection) is False
    with connection.cursor() as cursor:
        cursor.execute(usage_triggers.SQLITE_DROP[1] if connection.vendor == "sqlite"
                       else usage_triggers.POSTGRES_DROP[1])  # one missing is enough
    assert usage_triggers.ensure_triggers(connection) is True
    assert usage_of(alice.user) == recount(alice.user) == 120


def test_rows_deleted_in_any_order_never_make_the_total_null(alice: Persona) -> None:
    """A test database's flush empties the tables one by one, in an order that changes from
    process to process: a photo deleted after its original must not fail the transaction."""
    kept = photo(alice.user, original(900, 1234))
    assert StorageUsage.objects.get(owner=alice.user).bytes == 1234
    with connection.cursor() as cursor:  # foreign keys are checked at commit
        cursor.execute("DELETE FROM photos_original WHERE sha256 = %s", [kept.original_id])
        cursor.execute("DELETE FROM photos_photo WHERE id = %s", [kept.id])
    assert StorageUsage.objects.get(owner=alice.user).bytes == 1234  # nothing known to take
