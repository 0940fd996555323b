"""Streaming upload handler: every file part is hashed while it is spooled to disk.

Django hands the handler the body in chunks; nothing here keeps more than one chunk in memory,
whatever the file's size."""

from __future__ import annotations

import contextlib
import io
import os
import random
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from imgbackup.hashing import BothHashes
from imgbackup.storage import blobs, incoming_dir
from imgbackup.storage.writeback import Writeback


class HashedUpload(UploadedFile):
    """An uploaded file spooled to a temp file beside the blob storage, with its hashes."""

    def __init__(self, name: str | None, content_type: str, charset: str | None,
                 field_name: str) -> None:
        self.path, fd = _new_spool()
        self.spool = io.FileIO(fd, "r+")  # unbuffered: SpoolWriter writes to its descriptor
        super().__init__(self.spool, name or "nameless", content_type, 0, charset)
        if name is None:  # a file without a usable name (a tus upload's "", "." or ".."):
            self._name = None  # Django's setter refuses ""; None would take the descriptor
        self.field_name = field_name
        self.index = 0  # position among the request's files, in arrival order
        self.quota_checked = False  # room proved before the body was read (photos/quota.py)
        self.sha256 = ""
        self.md5 = ""
        self.removed = False

    def temporary_file_path(self) -> str:
        return str(self.path)

    def close(self) -> None:
        """Close the spool and remove its name (the object stored from it is a link of its
        own). Django closes every file of request.FILES when the request ends."""
        self.spool.close()
        if not self.removed:
            self.removed = True
            # Already gone when gc cleared it.
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __del__(self) -> None:
        # As NamedTemporaryFile did: a spool never closed is removed when it is collected.
        with contextlib.suppress(Exception):
            if not self.removed:
                self.close()


_SPOOL_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_spool_folder: tuple[object, Path] | None = None  # (the blob storage, its incoming folder)


def _new_spool() -> tuple[Path, int]:
    """A new empty ``upload-*.part`` file in the storage's incoming folder, open for reading
    and writing (what NamedTemporaryFile made, without its wrappers and their system calls).
    The folder is looked up and made once per storage; when the file cannot be created
    because the folder is gone since, it is made again."""
    global _spool_folder
    storage = blobs()
    known = _spool_folder
    folder = known[1] if known is not None and known[0] is storage else None
    for _attempt in range(100):
        if folder is None:
            folder = incoming_dir()
            _spool_folder = (storage, folder)
        path = folder / f"upload-{random.getrandbits(48):012x}.part"
        try:
            return path, os.open(path, _SPOOL_FLAGS, 0o600)
        except FileExistsError:
            continue
        except FileNotFoundError:
            folder = None
    raise FileExistsError(f"no free spool file name in {folder}")


class CompletedFile(File):  # type: ignore[type-arg]
    """A file that arrived some other way (a finished resumable upload), complete on disk beside
    the blob storage, fsynced, with its hashes: it enters ingest like a HashedUpload."""

    def __init__(self, path: Path, name: str, size: int, sha256: str, md5: str,
                 s3_key: str | None = None) -> None:
        super().__init__(path.open("rb"), name)
        self.path = path
        self.s3_key = s3_key  # the same bytes already in the S3 store: copied, not sent again
        self.size = size
        self.sha256 = sha256
        self.md5 = md5
        self.quota_checked = False  # room proved before the body was read (photos/quota.py)

    def temporary_file_path(self) -> str:
        return str(self.path)


# What ingest takes: the bytes complete on the storage's filesystem, with their hashes.
Spooled = HashedUpload | CompletedFile


class SpoolWriter:
    """Bytes of one upload, as they arrive: hashed (SHA-256 and MD5) and written to its spool
    file; ``finish`` fsyncs the file and records size and hashes on the upload. Takes any
    buffer (a memoryview of the parser's buffer: nothing is copied in Python). The write-out
    of each MiB starts as soon as it is written (storage/writeback.py), so the fsync waits
    only for the last one."""

    def __init__(self, upload: HashedUpload) -> None:
        self.upload = upload
        self.fd = upload.spool.fileno()
        self.hashes = BothHashes()
        self.writeback = Writeback(self.fd)

    def write(self, data: bytes | memoryview) -> None:
        # Written while the helper thread computes its MD5 (imgbackup/hashing.py).
        self.hashes.update(data, alongside=lambda: self._write(data))

    def _write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
        self.writeback.wrote(len(data))

    def finish(self, size: int) -> HashedUpload:
        # Durable before anything can point at it: the link into storage shares this inode.
        os.fsync(self.fd)
        self.upload.spool.seek(0)
        self.upload.size = size
        self.upload.sha256, self.upload.md5 = self.hashes.hexdigests()
        return self.upload


class HashingUploadHandler(FileUploadHandler):
    """Django's multipart parser's handler, for a body Django parsed before the upload view
    ran (the CSRF check of a web session without the X-CSRFToken header reads request.POST);
    otherwise api/multipart.py parses it."""

    # As large as gunicorn's largest socket read (SocketUnreader.max_body_chunk): with smaller
    # reads, its buffer copies the unread rest of every 1 MiB received once per read. At
    # 256 KiB a 6 MB photo cost 38 ms of server CPU, at 1 MiB 32 ms (BENCHMARKS.md, item 1).
    chunk_size = 1024 * 1024

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        # One handler per request numbers its files: request.FILES groups them by field name,
        # and API v2 pairs the i-th file with the i-th checksum field.
        self.files_seen = 0

    def new_file(self, field_name: str, file_name: str, content_type: str,
                 content_length: int | None, charset: str | None = None,
                 content_type_extra: dict[str, Any] | None = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset,
                         content_type_extra)
        self.upload = HashedUpload(file_name, content_type, charset, field_name)
        self.upload.index = self.files_seen
        self.files_seen += 1
        self.writer = SpoolWriter(self.upload)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.writer.write(raw_data)

    def file_complete(self, file_size: int) -> HashedUpload:
        return self.writer.finish(file_size)

    def upload_interrupted(self) -> None:
        if hasattr(self, "upload"):
            self.upload.close()
