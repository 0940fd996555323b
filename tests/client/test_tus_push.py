"""``imgbackup push`` sends large files in chunks through the resumable upload endpoint: a run
killed inside a file continues there when run again (the upload URL is in its local state)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, start_server

from api_v2.test_tus_clients import big_jpeg

from .conftest import Run

pytestmark = pytest.mark.slow
MiB = 1024 * 1024


@pytest.fixture
def served(tmp_path: Path) -> Iterator[LiveServer]:
    (tmp_path / "server").mkdir()
    server = start_server(tmp_path / "server")
    yield server
    server.stop()


def test_a_push_killed_inside_a_large_file_goes_on_from_there(
        run: Run, served: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = served.user_with_token("alice")
    for name, value in {"IMGBACKUP_URL": served.url, "IMGBACKUP_TOKEN": token,
                        "IMGBACKUP_PUSH_RESUMABLE_MB": "2",
                        "IMGBACKUP_PUSH_CHUNK_MB": "1"}.items():
        monkeypatch.setenv(name, value)
    body = big_jpeg(64 * MiB, seed=3)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "video-sized.jpg").write_bytes(body)
    process = subprocess.Popen(
        [sys.executable, "-m", "imgbackup", "push", "--jobs", "1", "--quiet",
         str(tmp_path / "photos")], env=dict(os.environ), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    # Killed a few chunks in, far from the end. The client sends a chunk in milliseconds, so
    # the offset is polled often; once killed, the server may still finish the one chunk on the
    # wire (the client waits for each chunk's answer before the next), never the file: at 16
    # MiB, a 50 ms poll once let the whole rest go first.
    deadline = time.monotonic() + 60
    while _offset(served) < 4 * MiB and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _settled_offset(served)
    assert 4 * MiB <= before < len(body) - MiB, "not killed inside the file"

    again = json.loads(run("push", "--json", "--quiet", str(tmp_path / "photos")).out)

    assert again["exit_code"] == 0 and again["uploaded"] == 1, again
    # Only what the server did not have yet went again (the rest of one chunk at most).
    assert again["uploaded_bytes"] <= len(body) - before + MiB
    sha256 = hashlib.sha256(body).hexdigest()
    got = httpx.get(f"{served.url}/api/v2/photos/{sha256}/original",
                    headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.content == body
    # Done: nothing left to continue, locally or on the server.
    open_uploads = "SELECT COUNT(*) FROM photos_resumableupload WHERE photo_id = ''"
    assert served.sql(open_uploads) == [(0,)]


def _settled_offset(server: LiveServer) -> int:
    """The offset once the server has done with what was on the wire (unchanged for 0.5 s)."""
    offset = _offset(server)
    while True:
        time.sleep(0.5)
        now, offset = offset, _offset(server)
        if now == offset:
            return offset


def _offset(server: LiveServer) -> int:
    rows = server.sql('SELECT MAX("offset") FROM photos_resumableupload')
    return int(rows[0][0] or 0) if rows else 0
