"""The web app's uploader for large files (tus-js-client, vendored) in Chromium against a real
server: it survives the browser going offline mid-file, and after a page reload the same file
chosen again continues the same upload."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer

from api_v2.test_tus_clients import big_jpeg
from web.test_browser import PASSWORD, _choose_files, _log_in, _new_page, browser, expect

__all__ = ["browser"]  # the fixture, shared with test_browser.py
pytestmark = pytest.mark.slow
MiB = 1024 * 1024
# Resumable from 1 MiB, in 512 KiB chunks: a few MB make many chunks.
SMALL_CHUNKS = ("localStorage.setItem('imgbackup.resumableFrom', String(1024 * 1024));"
                "localStorage.setItem('imgbackup.resumableChunk', String(512 * 1024));")


def _offset(server: LiveServer) -> int:
    rows = server.sql('SELECT MAX("offset") FROM photos_resumableupload')
    return int(rows[0][0] or 0)


def _wait_for_offset(page: Any, server: LiveServer, at_least: int) -> int:
    """Waiting in the page (wait_for_timeout), so Playwright keeps serving the route."""
    deadline = time.monotonic() + 60
    while (offset := _offset(server)) < at_least and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return offset


def _slow_chunks(route: Any) -> None:
    """Each chunk waits a little on its way: the upload takes seconds, not milliseconds."""
    if route.request.method == "PATCH":
        time.sleep(0.2)
    route.continue_()


def test_a_large_file_survives_going_offline_and_a_page_reload(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    token = server.imgbackup("token", "alice").strip().splitlines()[-1]
    body = big_jpeg(8 * MiB, seed=9)
    path = tmp_path / "long-video.jpg"
    path.write_bytes(body)
    page = _new_page(browser, 1280, 860)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.context.add_init_script(SMALL_CHUNKS)
    _log_in(page, server.url, "alice")
    page.route("**/api/v2/uploads/**", _slow_chunks)
    _choose_files(page, [str(path)])

    # Offline a quarter of the way: nothing moves, then it goes on by itself.
    _wait_for_offset(page, server, 2 * MiB)
    page.context.set_offline(True)
    page.wait_for_timeout(1500)
    stalled = _offset(server)
    page.wait_for_timeout(1500)
    assert _offset(server) == stalled < len(body)
    page.context.set_offline(False)

    # Half-way, the page is reloaded; the same file chosen again continues the same upload.
    before_reload = _wait_for_offset(page, server, 4 * MiB)
    assert before_reload < len(body), "finished before the reload"
    page.reload()
    _choose_files(page, [str(path)])
    expect(page.locator("#upload-summary")).to_contain_text("1 uploaded", timeout=120_000)

    sha256 = hashlib.sha256(body).hexdigest()
    got = httpx.get(f"{server.url}/api/v2/photos/{sha256}/original",
                    headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.content == body
    assert server.sql("SELECT COUNT(*) FROM photos_resumableupload") == [(1,)]  # one upload
    assert errors == []
    page.context.close()
