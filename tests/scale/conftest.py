"""Fixtures for the scale-out tests: real PostgreSQL and SeaweedFS servers of their own.

The servers are private to these tests (not the run's, if scripts/with-backends started one)
because some tests stop and restart them. A missing binary skips these tests with the reason,
except in CI (CI=true), where it fails them: CI must exercise the scale-out stack."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import BackendMissing, Postgres, SeaweedFS
from conftest import unique_name


def _started(server: Postgres | SeaweedFS) -> Postgres | SeaweedFS:
    try:
        server.start()
    except BackendMissing as exc:
        server.destroy()
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI must run the scale-out tests: {exc}")
        pytest.skip(str(exc))
    return server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = _started(Postgres())
    assert isinstance(server, Postgres)
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedFS]:
    server = _started(SeaweedFS())
    assert isinstance(server, SeaweedFS)
    yield server
    server.destroy()


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL server this test alone uses, free to stop and restart."""
    server = _started(Postgres())
    assert isinstance(server, Postgres)
    yield server
    server.destroy()


@pytest.fixture
def own_seaweedfs() -> Iterator[SeaweedFS]:
    """A SeaweedFS server this test alone uses, free to stop and restart."""
    server = _started(SeaweedFS())
    assert isinstance(server, SeaweedFS)
    yield server
    server.destroy()


def service_env(postgres: Postgres, seaweedfs: SeaweedFS) -> dict[str, str]:
    """The environment shared by every app server of one service: one database, one bucket
    prefix, one secret key."""
    database = postgres.create_database(unique_name("svc_"))
    return {"IMGBACKUP_DATABASE_URL": database, **seaweedfs.env(unique_name("svc-")),
            "IMGBACKUP_SECRET_KEY": secrets.token_urlsafe(40)}


@pytest.fixture
def s3_blobs(settings: Any, seaweedfs: SeaweedFS) -> Iterator[tuple[SeaweedFS, str]]:
    """Point this process's blob storage at a fresh prefix of the SeaweedFS bucket."""
    from django.core.files.storage import storages

    from imgbackup.settings import _blob_storage

    prefix = unique_name("t-")
    blobs = _blob_storage(f"s3://{seaweedfs.bucket}/{prefix}")
    blobs["OPTIONS"].update(endpoint_url=seaweedfs.endpoint, access_key=seaweedfs.access_key,
                            secret_key=seaweedfs.secret_key)
    settings.STORAGES = {**settings.STORAGES, "blobs": blobs}
    storages._storages.pop("blobs", None)
    yield seaweedfs, prefix
    storages._storages.pop("blobs", None)


def tmp_dirs(tmp_path: Path, *names: str) -> list[Path]:
    dirs = [tmp_path / name for name in names]
    for d in dirs:
        d.mkdir()
    return dirs
