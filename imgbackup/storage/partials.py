"""Where the bytes of an unfinished resumable upload live between requests.

- Local storage: one file per upload in ``.resumable/``, beside the storage's ``.incoming/``
  spool folder and so on the same filesystem: the finished file is hard-linked into
  ``originals/`` by ingest, never copied. A request appends under an exclusive ``flock``.
- S3 storage: an S3 multipart upload, so app servers keep nothing: parts of ``PART_SIZE``
  stream to the bucket as they arrive; what is left over (less than a part: S3 refuses parts
  under 5 MiB except the last) is kept as a small ``tail-<end offset>`` object that the next
  request reads back. The upload row keeps the list of parts (number, ETag): a part sent by a
  request that did not commit is simply not listed, and is overwritten or abandoned.

What completion costs: the SHA-256 and MD5 of the whole file arrive with it (``known``: the
running hashes, photos/running_hashes.py, saved with each request's bytes), so the file is not
read again to hash it. Locally the finished file is then hard-linked into ``originals/`` as it
is. On S3 the parts are assembled in the bucket (CompleteMultipartUpload), and the assembled
object is still fetched once (one GET, streamed to the local spool folder) because ingest
identifies the image or video from a local file (Pillow, FFmpeg in a sandboxed child); ingest
then copies it under its hash inside the store (no second upload). Only when no saved hash
state can be trusted (see running_hashes.py) is the file read to hash it: locally one
sequential read, on S3 hashed on the way through that GET. docs/api.md gives the figures
measured."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError
from storages.utils import clean_name

from imgbackup.hashing import BothHashes, hash_file
from imgbackup.storage import blobs, incoming_dir
from imgbackup.storage.local import fsync_dir, make_folders, sync_entries
from imgbackup.storage.writeback import Writeback

State = dict[str, Any]
Digests = tuple[str, str]
PART_SIZE = 8 * 1024 * 1024
READ_CHUNK = 1024 * 1024


class Busy(Exception):
    """Another request is appending to this upload right now."""


@dataclass(frozen=True)
class Assembled:
    """The whole file, on local disk beside the storage, fsynced; remove ``path`` when done."""

    path: Path
    sha256: str
    md5: str
    # On S3, the assembled object: storing it under its hash is then a copy inside the store.
    s3_key: str | None = None
    # A copy made for ingest (S3): remove it afterwards. Else ``path`` is the partial file.
    temporary: bool = False


class PartialStore(Protocol):
    def begin(self, upload_id: str, durable: bool = True) -> State:
        """Room for a new upload's bytes. ``durable=False``: its name need not survive a
        crash (no row will name it before the bytes are ingested: resumable_whole.py)."""

    def make_durable(self, upload_id: str) -> None:
        """Make the name of bytes begun with ``durable=False`` survive a crash, before a row
        names them."""

    def append(self, upload_id: str, state: State, offset: int,
               chunks: Iterable[bytes | memoryview]) -> tuple[State, int]:
        """Write ``chunks`` at ``offset``; the new state and the bytes written. Nothing counts
        until the caller commits the new state and offset."""

    def assemble(self, upload_id: str, state: State, length: int,
                 known: Digests | None = None) -> Assembled:
        """The whole file of ``length`` bytes, fsynced; hashed by reading it unless the
        (SHA-256, MD5) in hex of the bytes committed are ``known``."""

    def discard(self, upload_id: str, state: State) -> None: ...

    def leftovers(self, before: datetime) -> dict[str, State]:
        """Uploads with bytes here untouched since ``before``: id -> a state that discards
        them all (for gc, which removes those no row refers to)."""


def partial_store() -> PartialStore:
    storage = blobs()
    # S3 storage is the S3 module's class, so the module was loaded by blobs() if it is S3;
    # not imported here otherwise: boto3 and botocore are ~10 MB in each web worker that
    # received a tus chunk (bench item 2, "PSS sum after use"), on a server storing on disk.
    s3 = sys.modules.get("imgbackup.storage.s3")
    if s3 is not None and isinstance(storage, s3.S3BlobStorage):
        return S3Partials(storage)
    return LocalPartials(incoming_dir().parent / ".resumable")


class LocalPartials:
    def __init__(self, root: Path) -> None:
        # A folder made here is synced into its parent (and so on up), as local storage's
        # are: the uploads' offsets acknowledged later must not vanish with their folder.
        sync_entries(make_folders(root))
        self.root = root

    def path(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.part"

    def begin(self, upload_id: str, durable: bool = True) -> State:
        self.path(upload_id).touch(exist_ok=False)
        if durable:
            self.make_durable(upload_id)
        return {}

    def make_durable(self, upload_id: str) -> None:
        fsync_dir(self.root)

    def append(self, upload_id: str, state: State, offset: int,
               chunks: Iterable[bytes | memoryview]) -> tuple[State, int]:
        written = 0
        with self.path(upload_id).open("r+b") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(upload_id) from None
            # Bytes past the committed offset belong to a request that did not commit.
            f.truncate(offset)
            f.seek(offset)
            writeback = Writeback(f.fileno(), offset)  # the fsync waits for the last MiB only
            for chunk in chunks:
                f.write(chunk)
                written += len(chunk)
                # Pieces of 1 MiB pass Python's 8 KiB buffer straight to the file; a range
                # still in the buffer is simply not started early (the fsync writes it).
                writeback.wrote(len(chunk))
            f.flush()
            os.fsync(f.fileno())
        return state, written

    def assemble(self, upload_id: str, state: State, length: int,
                 known: Digests | None = None) -> Assembled:
        path = self.path(upload_id)
        with path.open("r+b") as f:
            f.truncate(length)
        sha256, md5 = known or hash_file(path, length)
        return Assembled(path, sha256, md5)

    def discard(self, upload_id: str, state: State) -> None:
        self.path(upload_id).unlink(missing_ok=True)

    def leftovers(self, before: datetime) -> dict[str, State]:
        found: dict[str, State] = {}
        for path in self.root.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < before.timestamp():
                    found[path.stem] = {}
        return found


class S3Partials:
    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.client = storage.connection.meta.client
        self.bucket = storage.bucket_name

    def key(self, upload_id: str, leaf: str) -> str:
        return str(self.storage._normalize_name(clean_name(f"resumable/{upload_id}/{leaf}")))

    def begin(self, upload_id: str, durable: bool = True) -> State:
        with self.storage._answering("begin a multipart upload"):
            made = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key(upload_id, "whole"),
                ContentType="application/octet-stream")
        return {"multipart": made["UploadId"], "parts": [], "tail": None}

    def make_durable(self, upload_id: str) -> None:
        pass  # the bucket's answers are durable

    def append(self, upload_id: str, state: State, offset: int,
               chunks: Iterable[bytes | memoryview]) -> tuple[State, int]:
        parts: list[list[Any]] = list(state["parts"])
        buffer = bytearray(self._tail(state))
        written = 0
        for chunk in chunks:
            buffer += chunk
            written += len(chunk)
            while len(buffer) >= PART_SIZE:
                piece = bytes(buffer[:PART_SIZE])
                parts.append(self._part(upload_id, state, len(parts) + 1, piece))
                del buffer[:PART_SIZE]
        tail = None
        if buffer:
            tail = self.key(upload_id, f"tail-{offset + written}")
            with self.storage._answering("store an upload's last bytes"):
                self.client.put_object(Bucket=self.bucket, Key=tail, Body=bytes(buffer))
        return {**state, "parts": parts, "tail": tail}, written

    def _tail(self, state: State) -> bytes:
        if not state.get("tail"):
            return b""
        with self.storage._answering("read an upload's last bytes"):
            got = self.client.get_object(Bucket=self.bucket, Key=state["tail"])
        body: bytes = got["Body"].read()
        return body

    def _part(self, upload_id: str, state: State, number: int, data: bytes) -> list[Any]:
        with self.storage._answering("store a part of an upload"):
            sent = self.client.upload_part(
                Bucket=self.bucket, Key=self.key(upload_id, "whole"),
                UploadId=state["multipart"], PartNumber=number, Body=data)
        return [number, sent["ETag"], len(data)]

    def assemble(self, upload_id: str, state: State, length: int,
                 known: Digests | None = None) -> Assembled:
        parts = list(state["parts"])
        if not parts:  # smaller than one part: the tail is the whole file
            return self._spool(self._tail(state)[:length], None, known)
        if state.get("tail"):
            parts.append(self._part(upload_id, state, len(parts) + 1, self._tail(state)))
        key = self.key(upload_id, "whole")
        with self.storage._answering("assemble an upload"):
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=state["multipart"],
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag}
                                           for n, etag, _ in parts]})
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        return self._spool(None, body, known, key)

    def _spool(self, data: bytes | None, body: Any, known: Digests | None,
               key: str | None = None) -> Assembled:
        """Write the whole file to the local spool folder (hashing it on the way unless its
        hashes are ``known``)."""
        hashes = BothHashes()
        fd, name = tempfile.mkstemp(prefix="resumable-", suffix=".part", dir=incoming_dir())
        with os.fdopen(fd, "wb") as out:
            pieces = [data] if data is not None else iter(lambda: body.read(READ_CHUNK), b"")
            for piece in pieces:
                if known is None:
                    hashes.update(piece)
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        digests = known or hashes.hexdigests()
        return Assembled(Path(name), *digests, key, temporary=True)

    def discard(self, upload_id: str, state: State) -> None:
        with self.storage._answering("remove an upload"):
            if state.get("multipart"):
                with contextlib.suppress(ClientError):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=self.key(upload_id, "whole"),
                        UploadId=state["multipart"])
            listed = self.client.list_objects_v2(Bucket=self.bucket,
                                                 Prefix=self.key(upload_id, "whole")[:-5])
            for item in listed.get("Contents", ()):
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])

    def leftovers(self, before: datetime) -> dict[str, State]:
        """Objects under ``resumable/`` and multipart uploads begun, both older than ``before``
        (a multipart upload whose id never reached its row is found only this way)."""
        prefix = self.key("x", "x")[:-3]
        found: dict[str, State] = {}
        with self.storage._answering("list unfinished uploads"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix)
            for item in (i for page in pages for i in page.get("Contents", ())):
                if item["LastModified"] < before:
                    found.setdefault(item["Key"][len(prefix):].split("/")[0], {})
            begun = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
            for item in begun.get("Uploads", ()):
                if item["Initiated"] < before:
                    found[item["Key"][len(prefix):].split("/")[0]] = {"multipart": item["UploadId"]}
        return found
