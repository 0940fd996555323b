from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_database_and_storage_answer(client: Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "storage": "ok", "disk": "ok"}


def test_healthz_is_503_when_the_storage_folder_is_unusable(client: Client, settings: Any,
                                                            tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "imgbackup.storage.local.LocalBlobStorage",
        "OPTIONS": {"location": str(blocker / "store")}}}
    storages._storages.pop("blobs", None)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
    assert "store" in r.json()["storage"]


def test_unknown_api_paths_answer_json(client: Client) -> None:
    r = client.get("/api/v2/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
