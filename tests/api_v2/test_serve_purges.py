"""``imgbackup serve`` empties the trash by itself, unless IMGBACKUP_PURGE_INTERVAL is 0."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from conftest import make_jpeg, start_server

from imgbackup.periodic import server_hooks


def test_serve_purges_the_expired_trash_by_itself(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"IMGBACKUP_PURGE_INTERVAL": "1",
                                     "IMGBACKUP_TRASH_DAYS": "0"})
    try:
        headers = {"Authorization": f"Bearer {server.user_with_token('alice')}"}
        api = f"{server.url}/api/v2"
        sent = httpx.post(f"{api}/photos", headers=headers,
                          files={"file": ("a.jpg", make_jpeg(1), "image/jpeg")})
        photo_id = sent.json()["items"][0]["id"]
        assert httpx.delete(f"{api}/photos/{photo_id}", headers=headers).status_code == 200
        deadline = time.monotonic() + 30
        # The photo disappears before the purge's report reaches the log: wait for both.
        while time.monotonic() < deadline:
            gone = httpx.get(f"{api}/photos/{photo_id}", headers=headers).status_code == 404
            if gone and "purge: destroyed 1 photo" in server.log.read_text():
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"not purged within 30 s:\n{server.log.read_text()[-3000:]}")
    finally:
        server.stop()


def test_an_interval_of_zero_turns_it_off(settings: Any) -> None:
    settings.PURGE_INTERVAL = 0
    assert server_hooks() == {}
    settings.PURGE_INTERVAL = 3600
    assert set(server_hooks()) == {"when_ready", "on_exit"}
