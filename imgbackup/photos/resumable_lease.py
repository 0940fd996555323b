"""One request at a time appends to a resumable upload: the lease on its row.

A request takes the lease by compare-and-set on (offset, lease): of two requests at the same
offset one wins, the other is told 409. The lease is renewed while bytes flow and lapses by
itself if its server dies (``LEASE`` after its last renewal). The row's new offset (or its
completion) is written in the update that releases the lease, and only if the lease is still
this request's; otherwise the request lost its turn (409) and nothing it did counts.

What each step costs matters (every update is a commit, with SQLite's synchronous=FULL a WAL
sync): the lease is extended for a long completion only when what is left of it may not be
enough, and a lease released by its commit is not released again."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from imgbackup.photos.models import ResumableUpload
from imgbackup.photos.rejected import Rejected

LEASE = timedelta(seconds=60)
RENEW_EVERY = timedelta(seconds=15)
# A request cut off without letting go (its server killed) keeps the lease until it lapses.
BUSY = ("another request is sending this upload (one cut off by a server restart holds it for "
        f"up to {LEASE.seconds} s); try again")


class LostTurn(Rejected):
    """The lease lapsed and another request took it: nothing this request did counts."""

    def __init__(self) -> None:
        super().__init__(409, "conflict", "this request lost its turn to send")


@dataclass
class Lease:
    pk: str
    token: str
    until: datetime  # as written in the row by this request
    released: bool = False

    @classmethod
    def take(cls, upload: ResumableUpload, offset: int) -> Lease:
        """The upload's lease at ``offset``; Rejected 409 if the upload is elsewhere or busy."""
        token, now = secrets.token_hex(16), timezone.now()
        taken = (ResumableUpload.objects.filter(pk=upload.pk, offset=offset, photo_id="")
                 .filter(Q(lease="") | Q(lease_until__lt=now))
                 .update(lease=token, lease_until=now + LEASE))
        if taken:
            return cls(upload.pk, token, now + LEASE)
        upload.refresh_from_db()
        if upload.offset != offset:
            raise Rejected(409, "offset_mismatch", f"Upload-Offset is {offset} but the upload "
                           f"is at {upload.offset}: ask with HEAD and send from there")
        raise Rejected(409, "conflict", BUSY)

    def renew_if_due(self) -> None:
        """While bytes flow: renewed once ``RENEW_EVERY`` has passed since the last time."""
        now = timezone.now()
        if self.until - now < LEASE - RENEW_EVERY:
            self._extend(now + LEASE)

    def hold_for(self, seconds: float) -> None:
        """Before ``seconds`` of work that must end under this lease: extended unless at least
        half a lease is left after them (a photo's completion, with a lease taken or renewed
        at most ``RENEW_EVERY`` ago, needs no update)."""
        now, work = timezone.now(), timedelta(seconds=seconds)
        if self.until < now + work + LEASE / 2:
            self._extend(now + LEASE + work)

    def commit(self, **values: Any) -> None:
        """Write ``values`` to the row and release the lease, only if it is still ours."""
        if not ResumableUpload.objects.filter(pk=self.pk, lease=self.token).update(
                lease="", lease_until=None, **values):
            raise LostTurn()

    def release(self) -> None:
        """Let go of the lease unless a commit did (one update fewer per request)."""
        if not self.released:
            ResumableUpload.objects.filter(pk=self.pk, lease=self.token).update(
                lease="", lease_until=None)
            self.released = True

    def _extend(self, until: datetime) -> None:
        if not ResumableUpload.objects.filter(pk=self.pk, lease=self.token).update(
                lease_until=until):
            raise LostTurn()
        self.until = until
