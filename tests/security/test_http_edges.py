"""HTTP framing against a real server (gunicorn): a kept-alive connection after a 413, chunked
request bodies, HEAD on image URLs. None of them may end in a 5xx or a dead connection."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import LiveServer, make_jpeg, start_server

pytestmark = pytest.mark.slow
MAX_MB = 1


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, str]]:
    server = start_server(tmp_path_factory.mktemp("edges"),
                          {"IMGBACKUP_MAX_UPLOAD_MB": str(MAX_MB),
                           "IMGBACKUP_MAX_UPLOAD_FILES": "2"})
    try:
        token = server.user_with_token("alice")
        r = httpx.post(server.url + "/api/v2/photos", headers={"Authorization": f"Bearer {token}"},
                       files={"file": ("a.jpg", make_jpeg(5, (300, 200)), "image/jpeg")})
        assert r.status_code == 201, r.text
        yield server, token, r.json()["items"][0]["id"]
    finally:
        server.stop()


TOO_BIG = {"content": b"\0" * ((MAX_MB + 2) * 1024 * 1024),
           "headers": {"Content-Type": "multipart/form-data; boundary=x"}}
# Within the size limit, but refused after the third part: the rest of the body is unread.
TOO_MANY_FILES = {"files": [("f", (f"{i}.jpg", b"x" * 300_000, "image/jpeg")) for i in range(5)]}


@pytest.mark.parametrize("refused", [TOO_BIG, TOO_MANY_FILES], ids=["too large", "too many files"])
def test_a_kept_alive_connection_stays_usable_after_a_413(
        live: tuple[LiveServer, str, str], refused: dict[str, Any]) -> None:
    server, token, _ = live
    failures = []
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(20):
            answer = client.post("/api/v2/photos", **refused)
            assert answer.status_code == 413, answer.text
            try:
                assert client.get("/healthz").status_code == 200
            except httpx.HTTPError as exc:
                failures.append(f"request {i}: {exc!r}")
    assert not failures, failures


def raw_request(server: LiveServer, request: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_chunked_body_is_refused_with_411_in_the_api_shape(
        live: tuple[LiveServer, str, str]) -> None:
    server, token, _ = live
    body = b"5\r\nhello\r\n0\r\n\r\n"
    for path in ("/api/v2/photos", "/api/v2/photos/check", "/api/v1.0/service/image/"):
        answer = raw_request(server, (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n").encode() + body)
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 411"), answer[:500]
        error = json.loads(payload)
        message = error["message"] if "result_code" in error else error["error"]["message"]
        assert "Content-Length" in message, error


@pytest.mark.parametrize("kind", ["original", "thumbnail", "preview"])
def test_head_on_an_image_url_answers_like_get_without_the_body(
        live: tuple[LiveServer, str, str], kind: str) -> None:
    server, token, photo_id = live
    url = f"{server.url}/api/v2/photos/{photo_id}/{kind}"
    auth = {"Authorization": f"Bearer {token}"}
    got = httpx.get(url, headers=auth, timeout=30)
    head = httpx.head(url, headers=auth, timeout=30)
    assert got.status_code == head.status_code == 200, head.text
    assert head.content == b""
    for name in ("content-type", "etag", "cache-control", "x-content-type-options"):
        assert head.headers[name] == got.headers[name], name
    assert head.headers.get("content-length") in {None, str(len(got.content))}


def test_head_on_the_original_api_answers_like_get(live: tuple[LiveServer, str, str]) -> None:
    server, token, photo_id = live
    md5 = httpx.get(f"{server.url}/api/v2/photos/{photo_id}",
                    headers={"Authorization": f"Bearer {token}"}).json()["md5"]
    head = httpx.head(f"{server.url}/api/v1.0/service/image/", params={"md5": md5},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "image/jpeg"
