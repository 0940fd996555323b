"""Blob storage: where originals and derived images live (local folder or S3)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, cast

from django.conf import settings
from django.core.files.storage import Storage, storages

from imgbackup.storage.errors import StorageMisconfigured
from imgbackup.storage.partial import PartialFile


class BlobStorage(Protocol):
    incoming_dir: Path

    def healthy(self) -> str | None: ...

    def open_range(self, name: str, first: int, last: int) -> PartialFile: ...


def blobs() -> Storage:
    return storages["blobs"]


def open_range(name: str, first: int, last: int) -> PartialFile:
    """Bytes ``first`` to ``last`` (inclusive) of a stored object, without reading the rest;
    FileNotFoundError when it is missing."""
    return cast(BlobStorage, blobs()).open_range(name, first, last)


def incoming_dir() -> Path:
    """Folder where upload bodies are spooled while they are hashed."""
    storage = blobs()
    path = getattr(storage, "incoming_dir", None)
    if isinstance(path, Path):
        return path
    fallback = Path(settings.DATA_DIR) / "incoming"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def forget_connections() -> None:
    """Close the blob storage's client in this thread, if it has one (S3): before a fork."""
    forget = getattr(blobs(), "forget_connections", None)
    if callable(forget):
        forget()


def open_connections() -> list[str]:
    """What this process holds open to the database and the store, by name ([]: nothing)."""
    from django.db import connections

    held = [f"database {c.alias!r}" for c in connections.all() if c.connection is not None]
    has = getattr(blobs(), "has_connections", None)
    return held + (["S3 client"] if callable(has) and has() else [])


def storage_problem() -> str | None:
    """None when blob storage answers, else a sentence saying what is wrong."""
    return cast(BlobStorage, blobs()).healthy()


def check_storage() -> None:
    """Raise StorageUnavailable unless blob storage answers; StorageMisconfigured when only a
    change of configuration can fix it (wrong credentials, missing bucket, unwritable folder).
    """
    storage = blobs()
    check = getattr(storage, "check", None)
    if callable(check):
        check()
    elif problem := storage_problem():
        raise StorageMisconfigured(problem)
