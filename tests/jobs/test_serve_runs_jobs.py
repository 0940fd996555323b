"""``imgbackup serve`` runs a job worker by itself: an upload's thumbnail and preview appear in
storage without anyone asking for them."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from conftest import make_jpeg, start_server


def test_serve_makes_derived_images_in_the_background(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        headers = {"Authorization": f"Bearer {server.user_with_token('alice')}"}
        sent = httpx.post(f"{server.url}/api/v2/photos", headers=headers,
                          files={"file": ("a.jpg", make_jpeg(1), "image/jpeg")})
        sha = sent.json()["items"][0]["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            made = server.stored_objects("derived/")
            if len(made) == 2:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"not made within 30 s:\n{server.log.read_text()[-3000:]}")
        assert sorted(name.rsplit("-", 1)[1] for name in made) == ["preview", "thumbnail"]
        assert all(sha in name for name in made)
        assert "successful: 2" in server.imgbackup("jobs")
    finally:
        server.stop()
