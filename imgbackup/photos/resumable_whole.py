"""A resumable upload whose creation request carries the whole file (tus creation-with-upload
with Content-Length equal to Upload-Length, what tuspy, tus-js-client and the CLI send for a
photo): spooled and ingested like a multipart upload, with one commit.

Until the answer is sent, no client knows the upload's id, so no other request can resume,
HEAD or terminate it: no lease is needed, no state is committed while the bytes arrive, and
the bytes need not go to the partial store (storage/partials.py) that keeps an upload between
requests. They are written to a spool file beside the storage, hashed as they arrive and
fsynced (``SpoolWriter``, the multipart paths' own), checked against the claimed hashes and
ingested like any upload (linked into ``originals/``; on S3 sent to the bucket once, not as
parts that were then assembled and fetched back); the row is written once, already complete,
in the photo's own transaction (``ingest(..., within=...)``): it commits with the photo or not
at all. A crash before that commit leaves a spool file no row refers to, which gc removes, as
after a multipart upload.

A body that ends early (the client went away) is moved to the partial store and kept as an
ordinary open upload at the offset reached, under the per-owner cap of open uploads, with no
saved hash state (completion then reads the file to hash it). Only then is the cap checked:
an upload written complete never counts among the open uploads it is about."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from imgbackup.photos.ingest import Ingested, Rejected, ingest
from imgbackup.photos.models import ResumableUpload
from imgbackup.photos.resumable import Claims, open_uploads, opened
from imgbackup.photos.uploads import HashedUpload, SpoolWriter
from imgbackup.statements import Insert
from imgbackup.storage.partials import READ_CHUNK, partial_store

RAW = "application/octet-stream"
# The complete row, written in the photo's transaction: one INSERT whose text is made once
# (statements.py), not the ORM's save() compiling it on every upload (~0.3 ms of CPU per
# creation-with-upload; bench/analysis.md, item 1b, sixth round).
_INSERT_ROW = Insert(ResumableUpload)


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
    # Django's upload files refuse names it cannot save ("", ".", ".."), as the multipart
    # parser does (api/multipart.py): such a photo has no file name.
    name = None if row.filename in {"", ".", ".."} else row.filename
    spool = HashedUpload(name, RAW, None, "file")
    try:
        writer = SpoolWriter(spool)
        written = _spooled(body, writer, length)
        upload = writer.finish(written)
        if written < length:
            _keep_open(row, upload)
        else:
            _finish(row, upload, length, quota_checked)
    finally:
        spool.close()  # removes the spool file (ingest linked or copied the bytes)
    return row


def _spooled(body: Iterable[bytes | memoryview], writer: SpoolWriter, room: int) -> int:
    written = 0
    for piece in body:
        if len(piece) > room - written:
            raise Rejected(413, "too_large", "the body goes past Upload-Length")
        writer.write(piece)
        written += len(piece)
    return written


def _finish(row: ResumableUpload, upload: HashedUpload, length: int,
            quota_checked: bool) -> None:
    """Check the claims, ingest, and write the row complete in the photo's transaction."""
    for name, claimed, got in (("sha256", row.sha256, upload.sha256),
                               ("md5", row.md5, upload.md5)):
        if claimed and claimed != got:
            raise Rejected(460, "checksum_mismatch", f"the {name} in Upload-Metadata "
                           f"({claimed}) does not match the file received ({got}); "
                           "nothing was kept")

    def complete(kept: Ingested) -> None:
        row.offset, row.photo_id = length, kept.photo.original_id
        _INSERT_ROW.insert(row)

    upload.quota_checked = quota_checked
    ingest(row.owner, upload, row.modified_at, within=complete)


def _keep_open(row: ResumableUpload, upload: HashedUpload) -> None:
    """The body ended early: its bytes moved to the partial store, an open upload at the
    offset reached, as the general path keeps it (resumable.create and append)."""
    store = partial_store()
    state = store.begin(row.id)  # durable: the row below names it
    try:
        state, written = store.append(row.id, state, 0, _chunks(upload))
        row.offset, row.state = written, state
        with transaction.atomic():
            # The owner's row lock serialises creations, so the cap holds exactly.
            User.objects.select_for_update().filter(pk=row.owner_id).first()
            if open_uploads(row.owner).count() >= int(settings.MAX_OPEN_UPLOADS):
                raise Rejected(429, "too_many_uploads", "too many unfinished uploads "
                               f"(IMGBACKUP_MAX_OPEN_UPLOADS = {settings.MAX_OPEN_UPLOADS}); "
                               "finish or delete one first")
            row.save(force_insert=True)
    except BaseException:
        store.discard(row.id, state)
        raise


def _chunks(upload: HashedUpload) -> Iterator[bytes]:
    upload.seek(0)
    while piece := upload.read(READ_CHUNK):
        yield piece
