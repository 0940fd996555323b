"""A full disk: uploads answer 507 in the API's error shape (never 500), /healthz says
"degraded" before that, and nothing acknowledged is lost. The storage is a small tmpfs, which
this test mounts when it may (as root); elsewhere it is skipped, saying why."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, on_s3, start_server
from PIL import Image

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(on_s3(), reason="a full local disk, not an S3 bucket")]
SIZE_MB = 8


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {SIZE_MB} MB tmpfs here (needs root): "
                    f"{done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def full_server(tmp_path: Path, small_disk: Path) -> Iterator[tuple[LiveServer, str]]:
    server = start_server(tmp_path, {"IMGBACKUP_STORAGE": str(small_disk / "blobs"),
                                     "IMGBACKUP_MIN_FREE_MB": "3"})
    try:
        yield server, server.user_with_token("alice")
    finally:
        server.stop()


def noise_jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((700, 700), 80 + seed).convert("RGB").save(buf, "JPEG", quality=98)
    return buf.getvalue()


def test_a_full_disk_answers_507_and_loses_nothing(full_server: tuple[LiveServer, str]) -> None:
    server, token = full_server
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    kept: dict[str, bytes] = {}
    statuses = []
    for seed in range(40):
        body = noise_jpeg(seed)
        r = httpx.post(server.url + "/api/v2/photos", headers=auth, timeout=30,
                       files={"file": (f"{seed}.jpg", body, "image/jpeg")})
        statuses.append(r.status_code)
        if r.status_code == 507:
            assert r.json()["error"]["code"] == "insufficient_storage", r.text
            assert "disk is full" in r.json()["error"]["message"]
            break
        assert r.status_code == 201, r.text
        kept[hashlib.sha256(body).hexdigest()] = body
    assert statuses[-1] == 507, statuses
    health = httpx.get(server.url + "/healthz")
    assert health.status_code == 200 and health.json()["status"] == "degraded", health.text
    assert "IMGBACKUP_MIN_FREE_MB" in health.json()["disk"]

    v1 = httpx.post(server.url + "/api/v1.0/service/image/", headers=auth, timeout=30,
                    files={"photo": ("x.jpg", noise_jpeg(99), "image/jpeg")})
    assert v1.status_code == 507 and v1.json()["result_code"] == -100, v1.text

    for sha256, body in kept.items():  # every acknowledged photo is whole
        r = httpx.get(f"{server.url}/api/v2/photos/{sha256}/original", headers=auth)
        assert r.status_code == 200 and r.content == body
    report = subprocess.run([sys.executable, "-m", "imgbackup", "verify", "--json"],
                            env=server.env, capture_output=True, text=True, timeout=120)
    assert json.loads(report.stdout)["missing"] == [] and json.loads(report.stdout)["corrupt"] == []
