"""Range requests against a real ``imgbackup serve`` (gunicorn: local ranges go out with
sendfile() from the file's offset; S3 ranges are ranged GETs): a file put back together from
ranges, byte for byte, on both APIs."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator

import httpx
import pytest

from conftest import LiveServer, make_jpeg, start_server

pytestmark = pytest.mark.slow
MB = 1024 * 1024
DATA = make_jpeg(21, size=(320, 240)) + os.urandom(3 * MB)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    server = start_server(tmp_path_factory.mktemp("ranges"))
    try:
        token = server.user_with_token("alice")
        answer = httpx.post(f"{server.url}/api/v2/photos", timeout=60,
                            headers={"Authorization": f"Bearer {token}"},
                            files={"f": ("big.jpg", DATA, "image/jpeg")})
        assert answer.status_code == 201, answer.text
        yield server, token
    finally:
        server.stop()


def urls(server: LiveServer) -> list[str]:
    return [f"{server.url}/api/v2/photos/{SHA}/original",
            f"{server.url}/api/v1.0/service/image/?md5={hashlib.md5(DATA).hexdigest()}"]


@pytest.mark.parametrize("api", [0, 1], ids=["v2", "v1"])
def test_a_file_comes_back_whole_from_ranges_of_any_size(served: tuple[LiveServer, str],
                                                         api: int) -> None:
    server, token = served
    url = urls(server)[api]
    rng = random.Random(api)
    pieces: list[bytes] = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        first = 0
        while first < len(DATA):
            last = min(first + rng.choice([1, 17, 4096, 65_537, 700_000]) - 1, len(DATA) - 1)
            part = http.get(url, headers={"Range": f"bytes={first}-{last}"})
            assert part.status_code == 206
            assert part.headers["content-range"] == f"bytes {first}-{last}/{len(DATA)}"
            assert len(part.content) == int(part.headers["content-length"]) == last - first + 1
            pieces.append(part.content)
            first = last + 1
        assert b"".join(pieces) == DATA
        # The connection is still good after all those ranges: nothing extra was sent.
        whole = http.get(url)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["accept-ranges"] == "bytes"


def test_the_served_answers_to_if_range_several_ranges_and_past_the_end(
        served: tuple[LiveServer, str]) -> None:
    server, token = served
    url = urls(server)[0]
    auth = {"Authorization": f"Bearer {token}"}
    resumed = httpx.get(url, headers={**auth, "Range": "bytes=2000000-", "If-Range": f'"{SHA}"'})
    assert resumed.status_code == 206 and resumed.content == DATA[2_000_000:]
    stale = httpx.get(url, headers={**auth, "Range": "bytes=2000000-", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == DATA
    several = httpx.get(url, headers={**auth, "Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == DATA
    past = httpx.get(url, headers={**auth, "Range": f"bytes={len(DATA)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(DATA)}"
