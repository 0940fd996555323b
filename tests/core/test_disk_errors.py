"""Storage errors in the API's error shape: a full disk is 507, a failing storage 503 with
Retry-After, never a 500; /healthz reports low space as "degraded" (still 200). The real full
disk, on a small tmpfs, is tests/reliability/test_disk_full.py."""

from __future__ import annotations

import errno
import io
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.test import Client

from imgbackup.photos.models import ResumableUpload
from imgbackup.storage.local import LocalBlobStorage

pytestmark = [pytest.mark.django_db, pytest.mark.local_storage]


def failing_save(code: int) -> Any:
    def save(self: LocalBlobStorage, name: str, content: Any) -> str:
        raise OSError(code, errno.errorcode[code])
    return save


@pytest.mark.parametrize(("code", "status", "error"), [
    (errno.ENOSPC, 507, "insufficient_storage"), (errno.EDQUOT, 507, "insufficient_storage"),
    (errno.EIO, 503, "storage_unavailable"), (errno.EROFS, 503, "storage_unavailable"),
])
def test_a_storage_error_is_answered_in_the_api_shape(alice: Persona,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      code: int, status: int, error: str) -> None:
    monkeypatch.setattr(LocalBlobStorage, "_save", failing_save(code))
    v2 = Client().post("/api/v2/photos", {"file": io.BytesIO(make_jpeg(8))},  # type: ignore[dict-item]
                       **alice.auth)
    assert v2.status_code == status, v2.content
    assert v2.json()["error"]["code"] == error
    assert v2["Retry-After"]
    v1 = Client().post("/api/v1.0/service/image/", {"photo": io.BytesIO(make_jpeg(8))},  # type: ignore[dict-item]
                       **alice.auth)
    assert v1.status_code == status and v1.json()["result_code"] == -100, v1.content


def test_low_space_makes_healthz_degraded_not_down(db: None, settings: Any) -> None:
    settings.MIN_FREE_MB = 10**12
    r = Client().get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "degraded"
    assert "IMGBACKUP_MIN_FREE_MB" in r.json()["disk"]


def test_a_file_where_the_partial_uploads_folder_must_be_is_an_error_in_the_api_shape(
        alice: Persona, _blob_root: Any) -> None:
    """Nothing the server made stands where its folder must be made (an administrator's
    mistake, a restore gone wrong): the resumable upload is refused in the API's error shape,
    no upload is left behind, and the file in the way is left as it was."""
    blocker = _blob_root / ".resumable"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"not a folder")
    r = Client(raise_request_exception=False).post(
        "/api/v2/uploads/", HTTP_TUS_RESUMABLE="1.0.0", HTTP_UPLOAD_LENGTH="10", **alice.auth)
    assert r.status_code == 500, r.content
    assert r.json() == {"error": {"code": "server_error", "message": "internal error"}}
    assert not ResumableUpload.objects.exists()
    assert blocker.read_bytes() == b"not a folder"
