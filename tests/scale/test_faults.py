"""A dependency goes away and comes back: the server says so (503, /healthz), keeps no photo
without its bytes, and resumes by itself; nobody restarts it."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from backends import Postgres, SeaweedFS
from conftest import LiveServer, make_jpeg, start_server

URL = "/api/v1.0/service/image/"
# Its PostgreSQL and SeaweedFS are its own (tests/scale/conftest.py), never the run's: the
# PostgreSQL + S3 run would repeat it exactly, so it runs once, in the SQLite run.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]


@pytest.fixture
def service(tmp_path: Path, own_postgres: Postgres,
            own_seaweedfs: SeaweedFS) -> Iterator[LiveServer]:
    env = {"IMGBACKUP_DATABASE_URL": own_postgres.url, **own_seaweedfs.env("svc"),
           "IMGBACKUP_SECRET_KEY": secrets.token_urlsafe(40)}
    server = start_server(tmp_path, env)
    yield server
    server.stop()


def post(server: LiveServer, token: str, body: bytes) -> httpx.Response:
    return httpx.post(server.url + URL, headers={"Authorization": f"Bearer {token}"},
                      files={"photo": ("p.jpg", body, "image/jpeg")}, timeout=60)


def get(server: LiveServer, token: str, body: bytes) -> httpx.Response:
    return httpx.get(server.url + URL, params={"md5": hashlib.md5(body).hexdigest()},
                     headers={"Authorization": f"Bearer {token}"}, timeout=60)


def healthz(server: LiveServer) -> httpx.Response:
    return httpx.get(server.url + "/healthz", timeout=30)


def healthy_again(server: LiveServer, within: float = 30) -> float:
    """Seconds until /healthz is 200 again."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if healthz(server).status_code == 200:
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"still unhealthy after {within}s: {healthz(server).text}")


def test_storage_outage_is_503_keeps_no_row_and_heals(service: LiveServer,
                                                      own_seaweedfs: SeaweedFS) -> None:
    token = service.user_with_token("alice")
    kept = make_jpeg(21)
    assert post(service, token, kept).status_code == 200
    own_seaweedfs.stop()

    health = healthz(service)
    assert health.status_code == 503 and health.json()["database"] == "ok"
    assert "cannot be reached" in health.json()["storage"]
    refused = post(service, token, make_jpeg(22))
    assert refused.status_code == 503 and refused.json()["result_code"] == -100
    assert "S3 storage" in refused.json()["message"] and refused.headers["Retry-After"]
    assert get(service, token, kept).status_code == 503
    # No photo without its bytes: only the first upload left rows.
    assert service.sql("SELECT count(*) FROM photos_photo") == [(1,)]
    assert service.sql("SELECT count(*) FROM photos_original") == [(1,)]

    own_seaweedfs.start()
    healthy_again(service)
    assert post(service, token, make_jpeg(22)).status_code == 200
    assert get(service, token, kept).content == kept
    assert len(service.stored_objects()) == 2


def test_database_outage_is_503_and_heals(service: LiveServer,
                                          own_postgres: Postgres) -> None:
    token = service.user_with_token("alice")
    kept = make_jpeg(31)
    assert post(service, token, kept).status_code == 200
    own_postgres.stop()

    health = healthz(service)
    assert health.status_code == 503 and health.json()["storage"] == "ok"
    assert "database is not answering" in health.json()["database"]
    refused = post(service, token, make_jpeg(32))
    assert refused.status_code == 503
    assert refused.json() == {"result_code": -100,
                              "message": "the database is not answering; try again in a moment"}
    assert get(service, token, kept).status_code == 503
    assert httpx.get(service.url + "/").status_code == 503  # web pages too, not a 500

    own_postgres.start()
    healthy_again(service)
    # Every worker thread may hold a broken connection: each must recover, not just one.
    for seed in range(33, 41):
        assert post(service, token, make_jpeg(seed)).status_code == 200
    assert get(service, token, kept).content == kept
    assert service.sql("SELECT count(*) FROM photos_photo") == [(9,)]
