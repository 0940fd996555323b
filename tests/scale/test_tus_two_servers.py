"""A resumable upload moves between app servers: created on one, continued on the other,
finished on the first. The partial bytes are an S3 multipart upload and the row is in
PostgreSQL, so no server keeps anything of it."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from backends import Postgres, SeaweedFS
from conftest import LiveServer, make_jpeg, start_server

from .conftest import service_env, tmp_dirs

# Its PostgreSQL and SeaweedFS are its own (tests/scale/conftest.py), never the run's: the
# PostgreSQL + S3 run would repeat it exactly, so it runs once, in the SQLite run.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]
MiB = 1024 * 1024


@pytest.fixture
def pair(tmp_path: Path, postgres: Postgres,
         seaweedfs: SeaweedFS) -> Iterator[tuple[LiveServer, LiveServer]]:
    # No background jobs: a thumbnail job's own spool file would be counted as a left-over here.
    env = {**service_env(postgres, seaweedfs), "IMGBACKUP_JOB_WORKERS": "0"}
    one_dir, two_dir = tmp_dirs(tmp_path, "one", "two")
    one = start_server(one_dir, env, wait=False)
    two = start_server(two_dir, env)
    servers = (one.wait_ready(), two)
    yield servers
    for server in servers:
        server.stop()


def test_created_on_one_continued_on_the_other_finished_on_the_first(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, two = pair
    token = one.user_with_token("alice")
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    body = make_jpeg(5) + os.urandom(19 * MiB)  # two S3 parts and a tail
    made = httpx.post(one.url + "/api/v2/uploads/",
                      headers={**headers, "Upload-Length": str(len(body))})
    assert made.status_code == 201, made.text
    location = made.headers["Location"]
    # Chunks that do not line up with the store's parts, alternating servers.
    cuts = [0, 5 * MiB, 12 * MiB, 17 * MiB, len(body)]
    servers = [two, one, two, one]
    answer = None
    for (start, end), server in zip(itertools.pairwise(cuts), servers, strict=True):
        offset = httpx.head(server.url + location, headers=headers).headers["Upload-Offset"]
        assert int(offset) == start
        answer = httpx.patch(server.url + location, content=body[start:end], timeout=120,
                             headers={**headers, "Upload-Offset": str(start),
                                      "Content-Type": "application/offset+octet-stream"})
        assert answer.status_code == 204, answer.text
        if end < len(body):  # what is not yet a whole part waits in the bucket, not on a server
            assert any("/tail-" in name for name in one.stored_objects("resumable/"))
    assert answer is not None
    sha256 = hashlib.sha256(body).hexdigest()
    assert answer.headers["Imgbackup-Photo-Id"] == sha256
    got = httpx.get(f"{two.url}/api/v2/photos/{sha256}/original", headers=headers, timeout=60)
    assert got.status_code == 200 and got.content == body
    # Nothing of the upload is left in the bucket or on either server's disk.
    assert one.stored_objects("resumable/") == {}
    for server in pair:
        assert not [p for p in server.data_dir.rglob("*.part") if p.is_file()]
