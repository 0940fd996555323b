"""A resumable upload whose creation request carries the whole file (tus creation-with-upload
with Content-Length equal to Upload-Length, what tuspy, tus-js-client and the CLI send for a
photo): one commit instead of seven.

Created and appended the general way (photos/resumable.py), such an upload cost seven commits
(the row, its storage state, the lease taken, the lease extended for completion, the photo,
the offset, the lease released), each a disk sync with SQLite's synchronous=FULL, for a state
nobody can see: until the answer is sent, no client knows the upload's id, so no other request
can resume, HEAD or terminate it, and no lease is needed. Here the row is written once, in the
photo's own transaction (``ingest(..., within=...)``), already complete.

Nothing is given up: the bytes are written to the partial store and fsynced, hashed as they
arrive (hashlib, photos/uploads.py: both hashes are final in this one request, no state
to carry), checked against the claimed hashes and ingested like any upload, and the row
commits with the photo or not at all. A crash before that commit leaves partial bytes no row
refers to, which gc removes (``resumable.sweep_leftovers``), like a crash between a general
creation's store and row.
A body that ends early (the client went away) is kept as an ordinary open upload at the offset
reached, with no saved hash state (completion then reads the file to hash it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from imgbackup.hashing import BothHashes
from imgbackup.photos.ingest import Ingested, Rejected, ingest
from imgbackup.photos.models import ResumableUpload
from imgbackup.photos.resumable import Claims, open_uploads, opened
from imgbackup.photos.uploads import CompletedFile
from imgbackup.storage.partials import partial_store


def create_whole(owner: User, length: int, claims: Claims,
                 body: Iterable[bytes | memoryview], quota_checked: bool = False
                 ) -> ResumableUpload:
    """A new upload of ``length`` bytes sent whole in ``body``: complete and ingested, with its
    photo. Rejected as ``resumable.create`` and ``append`` would. ``quota_checked``: the
    caller checked the quota for ``length`` before reading the body (api/tus.py), so ingest
    does not again before storing (it still does under the quota row's lock)."""
    row, done = opened(owner, length, claims)
    if done:  # as resumable.create: complete at once, the body left unread
        return row
    _check_open(owner)
    store = partial_store()
    # No sync of the partial file's folder: until the commit no row names the file (a crash
    # leaves it to gc), and after it the bytes are linked into originals/, whose folder is.
    state = store.begin(row.id, durable=False)
    try:
        hashes = BothHashes()
        state, written = store.append(row.id, state, 0, _hashed(body, hashes, length))
        if written < length:
            _keep_open(row, state, written)
            return row
        _finish(row, state, *hashes.hexdigests(), quota_checked=quota_checked)
    except BaseException:
        with contextlib.suppress(Exception):
            store.discard(row.id, state)
        raise
    store.discard(row.id, state)  # ingest linked the bytes into storage (or copied them)
    return row


def _check_open(owner: User) -> None:
    # Not under the owner's lock (resumable.create's): the row is written complete, so it
    # never counts among the open uploads this cap is about.
    if open_uploads(owner).count() >= int(settings.MAX_OPEN_UPLOADS):
        raise Rejected(429, "too_many_uploads", "too many unfinished uploads "
                       f"(IMGBACKUP_MAX_OPEN_UPLOADS = {settings.MAX_OPEN_UPLOADS}); "
                       "finish or delete one first")


def _hashed(body: Iterable[bytes | memoryview], hashes: BothHashes,
            room: int) -> Iterator[bytes | memoryview]:
    for piece in body:
        if len(piece) > room:
            raise Rejected(413, "too_large", "the body goes past Upload-Length")
        room -= len(piece)
        hashes.update(piece)
        yield piece


def _finish(row: ResumableUpload, state: dict[str, Any], sha256: str, md5: str,
            quota_checked: bool) -> None:
    """Check the claims, ingest, and write the row complete in the photo's transaction."""
    for name, claimed, got in (("sha256", row.sha256, sha256), ("md5", row.md5, md5)):
        if claimed and claimed != got:
            raise Rejected(460, "checksum_mismatch", f"the {name} in Upload-Metadata "
                           f"({claimed}) does not match the file received ({got}); "
                           "nothing was kept")
    length = int(row.length or 0)
    whole = partial_store().assemble(row.id, state, length, (sha256, md5))

    def complete(kept: Ingested) -> None:
        row.offset, row.photo_id, row.state = length, kept.photo.original_id, {}
        row.save(force_insert=True)

    try:
        with CompletedFile(whole.path, row.filename, length, whole.sha256, whole.md5,
                           whole.s3_key) as f:
            f.quota_checked = quota_checked
            ingest(row.owner, f, row.modified_at, within=complete)
    finally:
        if whole.temporary:
            whole.path.unlink(missing_ok=True)


def _keep_open(row: ResumableUpload, state: dict[str, Any], written: int) -> None:
    """The body ended early: an open upload at ``written``, as the general path keeps it."""
    row.offset, row.state = written, state
    partial_store().make_durable(row.id)  # begun with durable=False; a row names it now
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=row.owner_id).first()
        _check_open(row.owner)
        row.save(force_insert=True)
