"""Resumable uploads (the tus protocol's domain rules, without HTTP): create, append, finish
through the one ingest, terminate, expire.

Order of events for an append, for safety:
1. the request takes the upload's lease by compare-and-set on (offset, lease): of two requests
   at the same offset one wins, the other is told 409; the lease is renewed while bytes flow
   and lapses by itself if its server dies (photos/resumable_lease.py);
2. the bytes go to the partial store (storage/partials.py), durably, but count only when
3. the row's offset moves forward, in the same update that releases the lease, and only if
   the lease is still this request's. A chunk whose checksum does not match is never counted.
   The whole file's SHA-256 and MD5 are computed as the bytes arrive and their state is
   committed with the offset (photos/running_hashes.py), so it always covers exactly the
   bytes counted.
4. The request whose bytes complete the file finishes those hashes (or, when no saved state
   can be trusted, reads the whole file to hash it), compares the hashes the client claimed,
   and hands it to ``photos.ingest`` like any upload; the row says the upload is complete (and
   releases the lease) in the photo's own transaction: both commit or neither, so a crash
   before leaves the last chunk to be sent again, and a failed check keeps nothing (the upload
   is removed). Its partial bytes are discarded only after that commit."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
import secrets
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imgbackup.photos.ingest import HEX32, HEX64, Ingested, Rejected, display_name, ingest
from imgbackup.photos.models import Photo, ResumableUpload
from imgbackup.photos.resumable_lease import BUSY, LEASE, Lease, LostTurn
from imgbackup.photos.running_hashes import RunningHashes
from imgbackup.photos.uploads import CompletedFile
from imgbackup.statements import Rows, Sql, Statement
from imgbackup.storage.partials import Busy, PartialStore, partial_store

MB = 1024 * 1024
MAX_METADATA = 4096
_KEY = re.compile(r"[^\s,]+")
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}


@dataclass(frozen=True)
class Claims:
    """What Upload-Metadata says of the file: display name, mtime, whole-file hashes."""

    raw: str = ""
    filename: str = ""
    modified_at: datetime | None = None
    sha256: str = ""
    md5: str = ""
    pairs: dict[str, str] = field(default_factory=dict)


def max_length() -> int:
    return int(settings.MAX_UPLOAD_MB) * MB


def parse_metadata(raw: str) -> Claims:
    """Upload-Metadata: ``key base64value`` pairs separated by commas (the value may be left
    out). Rejected (400) for anything else; unknown keys are kept and echoed, not used."""
    if len(raw) > MAX_METADATA:
        raise Rejected(400, "bad_request", f"Upload-Metadata is longer than {MAX_METADATA}")
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, _, encoded = item.partition(" ")
        if not _KEY.fullmatch(key) or key in pairs:
            raise Rejected(400, "bad_request", f"Upload-Metadata: bad or repeated key {key!r}")
        try:
            pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Rejected(400, "bad_request", f"Upload-Metadata: the value of {key!r} is not "
                           "base64 of UTF-8 text") from None
    return Claims(raw=raw.strip(), filename=display_name(pairs.get("filename")),
                  modified_at=_instant(pairs.get("modified_at", "")),
                  sha256=_digest(pairs, "sha256", HEX64), md5=_digest(pairs, "md5", HEX32),
                  pairs=pairs)


def _instant(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Rejected(400, "bad_request", f"Upload-Metadata: modified_at {value[:40]!r} is "
                       "not an ISO 8601 time") from None
    return moment if moment.tzinfo else timezone.make_aware(moment, timezone.get_current_timezone())


def _digest(pairs: dict[str, str], key: str, shape: re.Pattern[str]) -> str:
    value = pairs.get(key, "").strip().lower()
    if value and not shape.fullmatch(value):
        raise Rejected(400, "bad_request", f"Upload-Metadata: {key} is not a {key} in hex")
    return value


def _expiry() -> datetime:
    return timezone.now() + timedelta(hours=int(settings.UPLOAD_EXPIRY_HOURS))


def _check_length(length: int | None) -> None:
    if length is not None and length > max_length():
        raise Rejected(413, "too_large", f"Upload-Length {length} is over the limit of "
                       f"{max_length()} bytes (IMGBACKUP_MAX_UPLOAD_MB)")
    if length == 0:
        raise Rejected(415, "unsupported_media_type", "the file is empty")


def opened(owner: User, length: int | None, claims: Claims) -> tuple[ResumableUpload, bool]:
    """A new upload's row, unsaved, and False; or, when the claimed hashes name bytes the owner
    already has, the row saved complete at once with that photo, and True."""
    _check_length(length)
    row = ResumableUpload(id=secrets.token_hex(16), owner=owner, length=length,
                          metadata=claims.raw, filename=claims.filename,
                          modified_at=claims.modified_at, sha256=claims.sha256, md5=claims.md5,
                          expires_at=_expiry())
    kept = _already_kept(owner, claims, length)
    if kept is None:
        return row, False
    row.length = row.offset = kept.original.size
    row.photo_id = kept.original_id
    row.save(force_insert=True)
    return row, True


def create(owner: User, length: int | None, claims: Claims) -> ResumableUpload:
    """A new upload of ``length`` bytes (None: told later). When the claimed hashes name bytes
    the owner already has, the upload is complete at once, with that photo."""
    row, done = opened(owner, length, claims)
    if done:
        return row
    with transaction.atomic():
        # The owner's row lock serialises concurrent creations, so the cap holds exactly.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if open_uploads(owner).count() >= int(settings.MAX_OPEN_UPLOADS):
            raise Rejected(429, "too_many_uploads", "too many unfinished uploads "
                           f"(IMGBACKUP_MAX_OPEN_UPLOADS = {settings.MAX_OPEN_UPLOADS}); "
                           "finish or delete one first")
        row.save(force_insert=True)
    try:
        row.state = partial_store().begin(row.id)
    except BaseException:
        row.delete()
        raise
    ResumableUpload.objects.filter(pk=row.pk).update(state=row.state)
    return row


def open_uploads(owner: User) -> Any:
    return ResumableUpload.objects.filter(owner=owner, photo_id="",
                                          expires_at__gt=timezone.now())


def _already_kept(owner: User, claims: Claims, length: int | None) -> Photo | None:
    if claims.sha256:
        found = Photo.objects.filter(owner=owner, original_id=claims.sha256)
    elif claims.md5:
        found = Photo.objects.filter(owner=owner, original__md5=claims.md5)
    else:
        return None
    photo = found.select_related("original").first()
    if photo is None or (length is not None and length != photo.original.size):
        return None
    if claims.md5 and claims.md5 != photo.original.md5:
        return None
    if photo.trashed_at is not None:  # sent again on purpose: back from the trash, as ingest does
        Photo.objects.filter(pk=photo.pk).update(trashed_at=None)
    return photo


# Every HEAD, PATCH and DELETE looks its upload up first: one statement built once per
# database (statements.py), not the ORM's query compiled per request.
_UPLOADS = Rows(ResumableUpload)


def _by_owner_and_id(sql: Sql) -> str:
    return (f"SELECT {_UPLOADS.columns(sql, 'r')} "  # noqa: S608
            f"FROM {sql.table(ResumableUpload, 'r')} "
            f"WHERE {sql.column(ResumableUpload, 'owner', 'r')} = %s "
            f"AND {sql.column(ResumableUpload, 'id', 'r')} = %s")


_BY_OWNER_AND_ID = Statement(_by_owner_and_id)


def upload_of(owner: User, upload_id: str) -> ResumableUpload | None:
    """The owner's upload with this id, expired or not; None for anyone else's or none."""
    if not HEX32.fullmatch(upload_id):
        return None
    row = _BY_OWNER_AND_ID.row([owner.pk, upload_id])
    return None if row is None else _UPLOADS.load(row)


def expired(upload: ResumableUpload) -> bool:
    return upload.expires_at <= timezone.now()


@dataclass
class Chunk:
    """One request's bytes: where the client says they start, an optional checksum of them
    (``Upload-Checksum``) and, for a deferred length, the length now told."""

    offset: int
    body: Iterable[bytes | memoryview]
    checksum: tuple[str, bytes] | None = None
    length: int | None = None
    size: int | None = None  # the request's Content-Length, when known


def append(upload: ResumableUpload, chunk: Chunk) -> ResumableUpload:
    """Append ``chunk`` and, if it completes the file, ingest it. Returns the row as committed.
    Rejected: 409 wrong offset or busy, 413 past the length, 460 checksum mismatch."""
    _set_length(upload, chunk)
    lease = Lease.take(upload, chunk.offset)
    try:
        digest = CHECKSUMS[chunk.checksum[0]]() if chunk.checksum else None
        hashes = RunningHashes.resume(upload.state.get("hashes"), chunk.offset)
        room = None if upload.length is None else upload.length - chunk.offset
        body = _metered(chunk.body, (digest, hashes), room, lease)
        store = partial_store()
        try:
            state, written = store.append(upload.id, upload.state, chunk.offset, body)
        except Busy:
            raise Rejected(409, "conflict", BUSY) from None
        finally:
            body.close()  # a piece's MD5 in the helper thread is done, whatever happened
        if chunk.checksum and digest is not None and digest.digest() != chunk.checksum[1]:
            raise Rejected(460, "checksum_mismatch", f"Upload-Checksum: the {chunk.checksum[0]} "
                           "of the bytes received does not match; the chunk was discarded")
        offset = chunk.offset + written
        state = _with_hashes(state, hashes, offset)
        if offset == upload.length:
            _finish(upload, state, lease, store)
        else:
            _committed(upload, lease, {"offset": offset, "state": state})
        return upload
    finally:
        lease.release()


def _set_length(upload: ResumableUpload, chunk: Chunk) -> None:
    if chunk.length is None:
        return
    if upload.length is not None and chunk.length != upload.length:
        raise Rejected(400, "bad_request", "Upload-Length cannot change once it is known")
    if chunk.length < upload.offset:
        raise Rejected(400, "bad_request", "Upload-Length is less than the bytes already sent")
    if chunk.length > max_length() or chunk.length == 0:
        raise Rejected(413, "too_large", f"Upload-Length {chunk.length} is not allowed")
    ResumableUpload.objects.filter(pk=upload.pk, length__isnull=True).update(length=chunk.length)
    upload.length = chunk.length


def _with_hashes(state: dict[str, Any], hashes: RunningHashes | None,
                 offset: int) -> dict[str, Any]:
    """The store's state with the running hashes saved, if they cover exactly ``offset``."""
    kept = {key: value for key, value in state.items() if key != "hashes"}
    if hashes is not None and hashes.at == offset:
        kept["hashes"] = hashes.saved()
    return kept


def _metered(body: Iterable[bytes | memoryview], digests: tuple[Any, RunningHashes | None],
             room: int | None, lease: Lease) -> Generator[bytes | memoryview, None, None]:
    """The body, fed to the chunk's checksum and the whole file's running hashes, never past
    the upload's length, renewing the lease."""
    digest, hashes = digests
    for piece in body:
        if room is not None and len(piece) > room:
            raise Rejected(413, "too_large", "the chunk goes past Upload-Length")
        if room is not None:
            room -= len(piece)
        if digest is not None:
            digest.update(piece)
        if hashes is None:
            yield piece
        else:
            with hashes.updating(piece):  # its MD5 beside the piece's write (the yield)
                yield piece
        lease.renew_if_due()


def _finish(upload: ResumableUpload, state: dict[str, Any], lease: Lease,
            store: PartialStore) -> None:
    """Hash the whole file, check the claims and ingest it; the row is written complete in the
    photo's transaction. Anything refused removes the upload (nothing is kept of it)."""
    length = int(upload.length or 0)
    # Hashing and ingest of a large file may outlast what is left of the lease: ~1 s per 20 MB.
    lease.hold_for(length / (20 * MB))
    hashes = RunningHashes.resume(state.get("hashes"), length)
    whole = store.assemble(upload.id, state, length, hashes.hexdigests() if hashes else None)
    values: dict[str, Any] = {"offset": length, "state": {}}

    def complete(kept: Ingested) -> None:
        values["photo_id"] = kept.photo.original_id
        values["expires_at"] = _expiry()
        lease.commit(**values)

    try:
        for name, claimed, got in (("sha256", upload.sha256, whole.sha256),
                                   ("md5", upload.md5, whole.md5)):
            if claimed and claimed != got:
                raise Rejected(460, "checksum_mismatch", f"the {name} in Upload-Metadata "
                               f"({claimed}) does not match the file received ({got}); "
                               "nothing was kept")
        with CompletedFile(whole.path, upload.filename, length, whole.sha256, whole.md5,
                           whole.s3_key) as f:
            ingest(upload.owner, f, upload.modified_at, within=complete)
    except LostTurn:
        raise  # the upload is another request's now: not removed
    except Rejected:
        remove(upload, state)
        raise
    except BaseException:
        # Local bytes stay for the client to send the last chunk again; S3 parts, once
        # assembled, cannot take it again: the upload is removed (HEAD then says 404).
        if whole.temporary:
            with contextlib.suppress(Exception):
                remove(upload, state)
        raise
    finally:
        if whole.temporary:
            whole.path.unlink(missing_ok=True)
    _done(upload, lease, values)
    store.discard(upload.id, state)  # after the commit: a crash before it keeps the bytes


def _committed(upload: ResumableUpload, lease: Lease, values: dict[str, Any]) -> None:
    values["expires_at"] = _expiry()
    lease.commit(**values)
    _done(upload, lease, values)


def _done(upload: ResumableUpload, lease: Lease, values: dict[str, Any]) -> None:
    lease.released = True
    for name, value in values.items():
        setattr(upload, name, value)


def terminate(upload: ResumableUpload) -> None:
    """termination: the upload and its bytes are gone (409 while a request is sending it)."""
    token = secrets.token_hex(16)
    now = timezone.now()
    taken = (ResumableUpload.objects.filter(pk=upload.pk)
             .filter(Q(lease="") | Q(lease_until__lt=now))
             .update(lease=token, lease_until=now + LEASE))
    if not taken:
        raise Rejected(409, "conflict", "a request is sending this upload; try again")
    upload.refresh_from_db()
    remove(upload, upload.state)


def remove(upload: ResumableUpload, state: dict[str, Any]) -> None:
    if not upload.complete:
        partial_store().discard(upload.id, state)
    ResumableUpload.objects.filter(pk=upload.pk).delete()


def remove_expired(now: datetime | None = None) -> int:
    """Remove uploads past their expiry (abandoned ones, and finished ones kept for HEAD)."""
    cutoff = now or timezone.now()
    stale = ResumableUpload.objects.filter(expires_at__lt=cutoff).filter(
        Q(lease="") | Q(lease_until__lt=cutoff))
    count = 0
    for upload in stale.iterator():
        remove(upload, upload.state)
        count += 1
    return count



def sweep_leftovers(before: datetime, dry_run: bool = False) -> list[str]:
    """Partial bytes no upload row refers to, untouched since ``before`` (a crash between
    beginning the bytes and saving the row, or a row deleted by hand): removed by ``gc``."""
    store = partial_store()
    found = store.leftovers(before)
    known = set(ResumableUpload.objects.filter(pk__in=list(found)).values_list("pk", flat=True))
    orphans = sorted(set(found) - known)
    if not dry_run:
        for upload_id in orphans:
            store.discard(upload_id, found[upload_id])
    return orphans
