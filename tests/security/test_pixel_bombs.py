"""Pixel bombs against a real server: uploads are kept, thumbnails of bombs answer "no preview"
in the API's shape, a 200 MP panorama gets its thumbnail, and no worker's peak resident memory
(VmHWM) rises by more than the render budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bombs import jpeg_grey, png16, webp_lossless
from conftest import LiveServer, make_jpeg, start_server

pytestmark = pytest.mark.slow
BUDGET_MB = 128


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    server = start_server(tmp_path_factory.mktemp("bombs"),
                          {"IMGBACKUP_RENDER_MEMORY_MB": str(BUDGET_MB)})
    try:
        yield server, server.user_with_token("alice")
    finally:
        server.stop()


def workers(server: LiveServer) -> list[int]:
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def status_mb(pid: int, field: str) -> float:
    found = re.search(field + r":\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    assert found is not None
    return int(found.group(1)) / 1024


def upload(server: LiveServer, token: str, name: str, data: bytes) -> str:
    r = httpx.post(server.url + "/api/v2/photos", headers={"Authorization": f"Bearer {token}"},
                   files={"file": (name, data, "application/octet-stream")}, timeout=120)
    assert r.status_code in {200, 201}, r.text
    return str(r.json()["items"][0]["id"]) if "items" in r.json() else str(r.json()["id"])


def thumbnail(server: LiveServer, token: str, photo_id: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v2/photos/{photo_id}/thumbnail",
                     headers={"Authorization": f"Bearer {token}"}, timeout=120)


def test_bombs_are_kept_without_preview_and_memory_stays_in_budget(
        live: tuple[LiveServer, str]) -> None:
    server, token = live
    warm = upload(server, token, "warm.jpg", make_jpeg(1))
    for _ in range(6):  # both workers have imported and rendered before the peak is reset
        assert thumbnail(server, token, warm).status_code == 200
    baseline = {}
    for pid in workers(server):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        baseline[pid] = status_mb(pid, "VmRSS")

    bombs = {"webp.webp": webp_lossless(13_300, 13_300), "png16.png": png16(13_300, 13_300),
             "progressive.jpg": jpeg_grey(13_300, 13_300, progressive=True)}
    for name, data in bombs.items():
        photo_id = upload(server, token, name, data)
        for _ in range(2):  # whichever worker answers
            r = thumbnail(server, token, photo_id)
            assert r.status_code == 404, r.text
            error = r.json()["error"]
            assert error["code"] == "no_preview", r.text
            assert "IMGBACKUP_RENDER_MEMORY_MB" in error["message"]
        original = httpx.get(f"{server.url}/api/v2/photos/{photo_id}/original",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert original.content == data

    panorama = upload(server, token, "panorama.jpg", jpeg_grey(20_000, 10_000))
    r = thumbnail(server, token, panorama)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"

    for pid, before in baseline.items():
        grew = status_mb(pid, "VmHWM") - before
        assert grew < BUDGET_MB + 48, f"worker {pid} grew by {grew:.0f} MB"
