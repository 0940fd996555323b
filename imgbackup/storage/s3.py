"""Blob storage in an S3-compatible object store (AWS S3, SeaweedFS, MinIO...).

Built on django-storages' S3Storage, with what a backup server needs on top:
- uploads go from the spooled temp file to S3 with boto3's managed transfer (multipart above
  ``MULTIPART_THRESHOLD``), reading the file in parts: never the whole file in memory;
- downloads stream from the object's body, part by part (django-storages' S3File would copy
  the whole object into memory first), and a range of an object is a ranged GET;
- every failure to reach the store, or a refusal of its credentials, is StorageUnavailable,
  which the APIs answer with 503 and a sentence saying what is wrong;
- ``exists`` really asks the store (content-addressed names make "overwrite" harmless, but
  ingest must know whether the bytes are there)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from imgbackup.storage.errors import StorageMisconfigured, StorageUnavailable
from imgbackup.storage.partial import PartialFile

MiB = 1024 * 1024
# Parts of 5 MiB (S3's minimum), two in flight: measured, a 200 MiB upload grew a worker by
# 24 MiB with 16 MiB parts; small parts keep it to a few MiB whatever the file's size, and a
# 1 GiB file is ~200 parts (S3 allows 10 000).
MULTIPART_THRESHOLD = 8 * MiB
TRANSFER = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD,
                          multipart_chunksize=5 * MiB, max_concurrency=2)
# Fail fast when the store is down (the client retries later) instead of holding a worker
# thread; "standard" retries smooth over a single dropped connection.
CLIENT = Config(connect_timeout=5, read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"}, signature_version="s3v4")


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


class S3BlobStorage(S3Storage):  # type: ignore[misc]
    """S3Storage for content-addressed objects (see LocalBlobStorage for the contract)."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("client_config", CLIENT)
        options.setdefault("transfer_config", TRANSFER)
        super().__init__(**options)

    def _holders(self) -> tuple[threading.local, ...]:
        return (self._connections, self._unsigned_connections)

    def has_connections(self) -> bool:
        """Whether this thread holds a client (and so, maybe, an open socket to the store)."""
        return self._bucket is not None or any(
            getattr(holder, "connection", None) is not None for holder in self._holders())

    def forget_connections(self) -> None:
        """Close this thread's clients and forget them, as unpickling does: a process about to
        fork must not hand its sockets to a child (spawner.prepare_fork)."""
        for holder in self._holders():
            resource = getattr(holder, "connection", None)
            if resource is not None:
                resource.meta.client.close()
        self._connections = threading.local()
        self._unsigned_connections = threading.local()
        self._bucket = None

    @property
    def incoming_dir(self) -> Path:
        """Uploads are spooled and hashed on local disk before they go to S3."""
        path = Path(settings.DATA_DIR) / "incoming"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def where(self) -> str:
        endpoint = self.endpoint_url or "AWS S3"
        return f"bucket {self.bucket_name!r} at {endpoint}"

    @contextlib.contextmanager
    def _answering(self, action: str) -> Iterator[None]:
        """Turn the store's failures into StorageUnavailable with a sentence a person can act
        on; a missing object (404) is left to the caller, a missing bucket is not."""
        try:
            yield
        except ClientError as err:
            missing_bucket = err.response.get("Error", {}).get("Code") == "NoSuchBucket"
            if _status(err) == 404 and not missing_bucket and action != "check":
                raise
            raise self._refusal(err, action) from err
        except BotoCoreError as err:
            raise StorageUnavailable(f"S3 storage ({self.where}) cannot be reached to "
                                     f"{action}: {err}") from err

    def _refusal(self, err: ClientError, action: str) -> StorageUnavailable:
        status = _status(err)
        code = err.response.get("Error", {}).get("Code", "")
        # HEAD answers carry no body, so botocore's "code" is then the bare status.
        said = f"HTTP {status}" + (f" {code}" if code and code != str(status) else "")
        if status in {401, 403} or code in {"InvalidAccessKeyId", "SignatureDoesNotMatch",
                                            "AccessDenied"}:
            return StorageMisconfigured(
                f"S3 storage ({self.where}) refused the credentials ({said}): check "
                "IMGBACKUP_S3_ACCESS_KEY_ID and IMGBACKUP_S3_SECRET_ACCESS_KEY")
        if status == 404 or code == "NoSuchBucket":
            return StorageMisconfigured(f"S3 storage: {self.where} does not exist; create it "
                                        "or correct IMGBACKUP_STORAGE")
        return StorageUnavailable(f"S3 storage ({self.where}) failed to {action}: {said}")

    def check(self) -> None:
        """Raise StorageUnavailable (StorageMisconfigured for what will not heal by itself)
        unless the bucket answers to these credentials."""
        with self._answering("check"):
            self.connection.meta.client.head_bucket(Bucket=self.bucket_name)

    def healthy(self) -> str | None:
        try:
            self.check()
        except StorageUnavailable as exc:
            return str(exc)
        return None

    def _save(self, name: str, content: File[Any]) -> str:
        path = getattr(content, "temporary_file_path", None)
        if path is None:
            with self._answering("store an object"):
                return str(super()._save(name, content))
        cleaned = str(clean_name(name))
        if source := getattr(content, "s3_key", None):
            # A finished resumable upload is already in this bucket: copy it inside the store.
            with self._answering("store an object"):
                self.connection.meta.client.copy(
                    {"Bucket": self.bucket_name, "Key": source}, self.bucket_name,
                    self._normalize_name(cleaned),
                    ExtraArgs={"ContentType": "application/octet-stream"}, Config=TRANSFER)
            return cleaned
        with self._answering("store an object"):
            # From the file by path: boto3 reads each part from disk when it sends it.
            self.connection.meta.client.upload_file(
                path(), self.bucket_name, self._normalize_name(cleaned),
                ExtraArgs={"ContentType": "application/octet-stream"}, Config=TRANSFER)
        return cleaned

    def _open(self, name: str, mode: str = "rb") -> IO[bytes]:
        """For reading, the object's body as a stream: read part by part, never held whole.
        Writing (repair tools, tests that damage an object on purpose) is django-storages'
        S3File, uploaded on close."""
        if mode != "rb":
            with self._answering("open an object for writing"):
                return super()._open(name, mode)  # type: ignore[no-any-return]
        return self._body(name)

    def open_range(self, name: str, first: int, last: int) -> PartialFile:
        """Bytes ``first`` to ``last`` (inclusive) of the object: a ranged GET, so the store
        sends only those bytes."""
        return PartialFile(self._body(name, Range=f"bytes={first}-{last}"), first, last)

    def _body(self, name: str, **get: str) -> IO[bytes]:
        key = self._normalize_name(clean_name(name))
        try:
            with self._answering("read an object"):
                body: IO[bytes] = self.connection.meta.client.get_object(
                    Bucket=self.bucket_name, Key=key, **get)["Body"]
        except ClientError as err:
            raise FileNotFoundError(f"{key} is not in {self.where}") from err
        return body

    def exists(self, name: str) -> bool:
        with self._answering("look up an object"):
            return bool(super().exists(name))

    def delete(self, name: str) -> None:
        with self._answering("delete an object"):
            super().delete(name)

    def size(self, name: str) -> int:
        try:
            with self._answering("look up an object"):
                return int(super().size(name))
        except ClientError as err:
            raise FileNotFoundError(f"{name} is not in {self.where}") from err

    def get_modified_time(self, name: str) -> datetime:
        # As size(): an object gone since it was listed (a destroy finished) is not there,
        # not an error of the store (verify and gc ask this of objects they just listed).
        try:
            with self._answering("look up an object"):
                return super().get_modified_time(name)  # type: ignore[no-any-return]
        except ClientError as err:
            raise FileNotFoundError(f"{name} is not in {self.where}") from err

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        with self._answering("list objects"):
            dirs, files = super().listdir(path)
        return list(dirs), list(files)

    def presigned_url(self, name: str, content_type: str, disposition: str) -> str:
        """A short-lived (``querystring_expire`` seconds) URL that reads the object straight
        from the store, answered with the given Content-Type and Content-Disposition."""
        with self._answering("sign a download"):
            return str(self.url(name, parameters={"ResponseContentType": content_type,
                                                  "ResponseContentDisposition": disposition}))
