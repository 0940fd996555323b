"""The CLI's resumable uploads wait out a busy server as its other uploads do: a PATCH (or a
creation) answered 429 with a short Retry-After, because every upload slot of the account was
taken (api/upload_slots.py), is sent again after that wait; a long one is an error."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from imgbackup.client import _api, _resumable
from imgbackup.client._errors import ServerError
from imgbackup.client._upload import Item

pytestmark = pytest.mark.backend_independent
URL = "http://imgbackup.test"
UPLOAD = f"{URL}/api/v2/uploads/u1"


@pytest.fixture
def chunk(tmp_path: Path) -> Iterator[_resumable.FileRange]:
    """A file's five bytes, hashed, as ``_send`` hands a chunk to ``_patch``."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"12345")
    item = Item(str(path), 5, 0, "video/mp4", hashlib.sha256(b"12345").hexdigest())
    with path.open("rb") as f:
        body = _resumable._hashed(f, item, 0, 5)
        assert body is not None
        yield body


def busy_then_done(retry_after: str, busy: int = 1) -> tuple[httpx.MockTransport, list[str]]:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Upload-Offset": "0"})
        if seen.count(request.method) <= busy:
            return httpx.Response(429, headers={"Retry-After": retry_after}, json={
                "error": {"code": "too_many_uploads", "message": "4 uploads in progress"}})
        return httpx.Response(204 if request.method == "PATCH" else 201, headers={
            "Upload-Offset": "5", "Location": "/api/v2/uploads/u1"})

    return httpx.MockTransport(handle), seen


def api_with(transport: httpx.MockTransport) -> _api.Api:
    return _api.Api(URL, "token", retry=_api.Retry(attempts=3), transport=transport)


def test_a_patch_refused_for_want_of_a_slot_is_sent_again(
        no_sleep: list[float], chunk: _resumable.FileRange) -> None:
    transport, seen = busy_then_done("5")
    assert _resumable._patch(api_with(transport), UPLOAD, 0, chunk) == 5
    assert seen == ["PATCH", "HEAD", "PATCH"] and 5 in no_sleep


def test_a_creation_refused_for_want_of_a_slot_is_sent_again(no_sleep: list[float]) -> None:
    transport, seen = busy_then_done("5")
    assert _resumable._request(api_with(transport), "POST", "uploads/").status_code == 201
    assert seen == ["POST", "POST"] and 5 in no_sleep


def test_a_long_or_lasting_429_is_an_error(no_sleep: list[float],
                                           chunk: _resumable.FileRange) -> None:
    for transport, _ in (busy_then_done("3600"), busy_then_done("1", busy=10)):
        with pytest.raises(ServerError) as failed:
            _resumable._patch(api_with(transport), UPLOAD, 0, chunk)
        assert failed.value.status == 429


def test_a_patch_whose_connection_fails_asks_where_the_server_stands_and_goes_on(
        no_sleep: list[float], chunk: _resumable.FileRange) -> None:
    seen: list[str] = []
    bodies: list[bytes] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        bodies.append(request.content)
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Upload-Offset": "0"})
        if seen.count("PATCH") == 1:
            raise httpx.WriteError("connection reset", request=request)
        return httpx.Response(204, headers={"Upload-Offset": "5"})

    assert _resumable._patch(api_with(httpx.MockTransport(handle)), UPLOAD, 0, chunk) == 5
    assert seen == ["PATCH", "HEAD", "PATCH"] and len(no_sleep) == 1
    assert bodies == [b"12345", b"", b"12345"]  # the chunk read from the file again
