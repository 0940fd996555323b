"""Blob storage: where originals and derived images live (local folder or S3)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, cast

from django.conf import settings
from django.core.files.storage import Storage, storages

from imgbackup.storage.errors import StorageMisconfigured


class BlobStorage(Protocol):
    incoming_dir: Path

    def healthy(self) -> str | None: ...


def blobs() -> Storage:
    return storages["blobs"]


def incoming_dir() -> Path:
    """Folder where upload bodies are spooled while they are hashed."""
    storage = blobs()
    path = getattr(storage, "incoming_dir", None)
    if isinstance(path, Path):
        return path
    fallback = Path(settings.DATA_DIR) / "incoming"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


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
