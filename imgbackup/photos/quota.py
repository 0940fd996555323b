"""The storage quota check: the one place every ingest path calls, before an upload's bytes
are stored (API v1, API v2 and the web through ``photos.ingest``; resumable uploads call
``check_quota`` with the announced length when an upload is created, and ingest checks again).

Usage is the size of the originals of the user's photos, those in the trash included (their
bytes are still stored), each original counted once per user who owns it: bytes two users
uploaded count for both, since either may keep them after the other deletes theirs. Bytes the
user already owns add nothing, so sending them again is not refused by ingest; a multipart
body larger than the room left, though, is refused from its Content-Length before it is read
(api/uploads.py), whatever it turns out to hold.

Usage is read from one ``StorageUsage`` row kept by database triggers (photos/usage_triggers.py),
never summed over the library: the header of every web page shows it (issue 15's first screen)."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import connection

from imgbackup.accounts.models import Quota
from imgbackup.photos.models import Photo, StorageUsage
from imgbackup.photos.rejected import Rejected
from imgbackup.photos.uploads import Spooled
from imgbackup.sizes import format_size
from imgbackup.statements import Sql, Statement


class QuotaExceeded(Rejected):
    def __init__(self, message: str) -> None:
        super().__init__(413, "quota_exceeded", message)


# Every upload checks twice (before its bytes are stored, then under the lock): statements
# built once, not ORM queries compiled per call (~1.3 ms of CPU per check; bench/analysis.md).
def _usage(sql: Sql) -> str:
    return (f"SELECT {sql.column(StorageUsage, 'bytes')} "  # noqa: S608
            f"FROM {sql.table(StorageUsage)} WHERE {sql.column(StorageUsage, 'owner')} = %s")


def _limit(sql: Sql) -> str:
    return (f"SELECT {sql.column(Quota, 'max_bytes')} FROM {sql.table(Quota)} "  # noqa: S608
            f"WHERE {sql.column(Quota, 'user')} = %s")


def _limit_owned_usage(sql: Sql) -> str:
    """The limit, whether the bytes are owned already, and the usage: one read, one snapshot.
    (Not under the lock: there, the usage must be read after the lock is granted, by a
    statement of its own, to see what the upload that held it committed.)"""
    owned = (f"SELECT 1 FROM {sql.table(Photo, 'p')} "  # noqa: S608
             f"WHERE {sql.column(Photo, 'owner', 'p')} = %s "
             f"AND {sql.column(Photo, 'original', 'p')} = %s")
    return (f"SELECT {sql.column(Quota, 'max_bytes', 'q')}, EXISTS ({owned}), "  # noqa: S608
            f"({_usage(sql)}) FROM {sql.table(Quota, 'q')} "
            f"WHERE {sql.column(Quota, 'user', 'q')} = %s")


def _limit_usage(sql: Sql) -> str:
    """The limit and the usage in one read: only where the transaction took the database's
    write lock at BEGIN (SQLite, IMMEDIATE), so no other writer commits between BEGIN and
    this read. On PostgreSQL a ``FOR UPDATE`` read that waited for the lock still sees the
    usage of its own snapshot, from before the upload that held the lock committed: there the
    usage is read by a statement of its own, after the lock is granted."""
    return (f"SELECT {sql.column(Quota, 'max_bytes', 'q')}, ({_usage(sql)}) "  # noqa: S608
            f"FROM {sql.table(Quota, 'q')} WHERE {sql.column(Quota, 'user', 'q')} = %s")


_USAGE = Statement(_usage)
_LIMIT_LOCKED = Statement(lambda sql: _limit(sql) + sql.for_update, locking=True)
_LIMIT_USAGE_LOCKED = Statement(_limit_usage, locking=True)
_LIMIT_OWNED_USAGE = Statement(_limit_owned_usage)


def usage_of(user: User) -> int:
    """Bytes of originals ``user`` keeps, the trash included: one row, kept by triggers."""
    row = _USAGE.row([user.pk])
    return int(row[0] or 0) if row is not None else 0


def check_quota(user: User, size: int, sha256: str | None = None, *, name: str = "",
                locked: bool = False, at_least: bool = False) -> int | None:
    """Raise QuotaExceeded (413 ``quota_exceeded``) if keeping ``size`` more bytes would take
    ``user`` past their quota. Bytes whose ``sha256`` the user already owns are free. With
    ``locked`` (inside a transaction) the user's quota row is locked first, so two uploads of
    one user that commit at once cannot both pass on the same usage. ``at_least``: ``size``
    is a lower bound (a body's length less its framing), and the refusal says so.

    Returns the bytes left beside ``size`` (None: no quota; 0 when bytes already owned
    passed without reading the usage), for ``room_for``."""
    limit: int
    if locked and not connection.features.has_select_for_update:  # SQLite: see _limit_usage
        row = _LIMIT_USAGE_LOCKED.row([user.pk, user.pk])
        if row is None or row[0] is None:
            return None
        limit, used = row[0], int(row[1] or 0)
    elif locked:
        row = _LIMIT_LOCKED.row([user.pk])
        if row is None or row[0] is None:
            return None
        limit = row[0]
        used = usage_of(user)
    else:
        row = _LIMIT_OWNED_USAGE.row([user.pk, sha256 or "", user.pk, user.pk])
        if row is None or row[0] is None:
            return None
        limit, owned, used = row[0], bool(row[1]), int(row[2] or 0)
        if owned:
            return 0
    if used + size > limit:
        what = f"{name}: " if name else ""
        bound = "at least " if at_least else ""
        raise QuotaExceeded(
            f"{what}{bound}{format_size(size)} more would take your storage past your quota: "
            f"{format_size(used)} of {format_size(limit)} used. Empty the trash or delete "
            "photos to make room, or ask an admin for a larger quota.")
    return limit - used - size


def mark_checked(uploads: Sequence[Spooled], checked: int, left: int | None) -> None:
    """After a check passed for ``checked`` bytes with ``left`` to spare, before the body was
    read (api/uploads.py, api/tus.py): mark the uploads, in the order they are ingested, that
    fit in what it proved, so ingest does not read the same rows again before storing them.
    The check under the quota row's lock in ingest's transaction still runs for every upload
    (the usage may have grown meanwhile); an upload past what was proved (the body's framing
    was counted out) is checked again in full before its bytes are stored."""
    room = None if left is None else checked + left
    for upload in uploads:
        size = upload.size or 0
        if room is not None:
            if size > room:
                return
            room -= size
        upload.quota_checked = True
