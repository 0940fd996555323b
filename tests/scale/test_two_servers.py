"""Two `imgbackup serve` processes, one PostgreSQL database and one bucket: one service.

Whatever goes in through one server comes out of the other, and the same bytes sent through
both at the same moment end as one stored object and one row per owner."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from backends import Postgres, SeaweedFS
from conftest import LiveServer, make_jpeg, start_server

from .conftest import service_env, tmp_dirs

URL = "/api/v1.0/service/image/"
# Its PostgreSQL and SeaweedFS are its own (tests/scale/conftest.py), never the run's: the
# PostgreSQL + S3 run would repeat it exactly, so it runs once, in the SQLite run.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]


@pytest.fixture
def pair(tmp_path: Path, postgres: Postgres,
         seaweedfs: SeaweedFS) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = service_env(postgres, seaweedfs)
    one_dir, two_dir = tmp_dirs(tmp_path, "one", "two")
    # Started together: both migrate the fresh database at once (serve serialises that).
    one = start_server(one_dir, env, wait=False)
    two = start_server(two_dir, env)
    servers = (one.wait_ready(), two)
    yield servers
    for server in servers:
        server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(server: LiveServer, token: str, body: bytes) -> httpx.Response:
    return httpx.post(server.url + URL, headers=bearer(token), timeout=60,
                      files={"photo": ("p.jpg", body, "image/jpeg")})


def test_what_goes_in_through_one_comes_out_of_the_other(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, two = pair
    token = one.user_with_token("alice")
    body = make_jpeg(11)
    md5 = hashlib.md5(body).hexdigest()
    assert post(one, token, body).status_code == 200
    got = httpx.get(two.url + URL, params={"md5": md5}, headers=bearer(token))
    assert got.status_code == 200 and got.content == body
    # Trash through the second; the first sees it gone.
    gone = httpx.delete(two.url + URL, params={"md5": md5}, headers=bearer(token))
    assert gone.json() == {"result_code": 0, "message": "remove success."}
    assert httpx.get(one.url + URL, params={"md5": md5},
                     headers=bearer(token)).status_code == 404
    # Sending it again brings it back from the trash; the other server serves it.
    assert post(two, token, body).status_code == 200
    assert httpx.get(one.url + URL, params={"md5": md5},
                     headers=bearer(token)).content == body
    assert len(one.stored_objects()) == 1


def test_api_v2_through_one_server_sees_what_went_in_through_the_other(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, two = pair
    auth = bearer(one.user_with_token("carol"))
    body = make_jpeg(14, size=(800, 600))
    sha = hashlib.sha256(body).hexdigest()
    r = httpx.post(f"{one.url}/api/v2/photos", headers=auth, timeout=60,
                   files={"f": ("p.jpg", body, "image/jpeg")})
    assert r.status_code == 201 and r.json()["items"][0]["id"] == sha
    api = f"{two.url}/api/v2"
    listed = httpx.get(f"{api}/photos", headers=auth).json()
    assert [item["id"] for item in listed["items"]] == [sha]
    assert httpx.get(f"{api}/photos/{sha}/original", headers=auth).content == body
    thumb = httpx.get(f"{api}/photos/{sha}/thumbnail", headers=auth, timeout=60)
    assert thumb.status_code == 200 and thumb.content[:4] in {b"RIFF", b"\xff\xd8\xff\xe0",
                                                              b"\xff\xd8\xff\xdb"}
    assert httpx.delete(f"{api}/photos/{sha}", headers=auth).status_code == 200
    trash = httpx.get(f"{one.url}/api/v2/trash", headers=auth).json()
    assert [item["id"] for item in trash["items"]] == [sha]
    assert httpx.post(f"{one.url}/api/v2/photos/{sha}/restore", headers=auth).status_code == 200
    assert [item["id"] for item in httpx.get(f"{api}/photos", headers=auth).json()["items"]] == [
        sha]
    # The thumbnail made through one server is one object the other serves too.
    assert httpx.get(f"{one.url}/api/v2/photos/{sha}/thumbnail", headers=auth,
                     timeout=60).content == thumb.content
    # (The preview may be there too: a background job makes it after the upload.)
    assert [n for n in one.stored_objects("derived/") if n.endswith("-thumbnail")] == [
        f"derived/{sha[:2]}/{sha[2:4]}/{sha}-thumbnail"]


def test_a_token_made_on_one_server_works_on_the_other(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, two = pair
    token = two.user_with_token("bob")
    assert post(one, token, make_jpeg(12)).status_code == 200
    assert httpx.get(two.url + URL, params={"md5": "0" * 32},
                     headers=bearer(token)).status_code == 404


def test_the_same_bytes_sent_through_both_at_once_are_stored_once(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, two = pair
    tokens = [one.user_with_token("alice"), two.user_with_token("bob")]
    body = make_jpeg(13, size=(1600, 1200))
    sha = hashlib.sha256(body).hexdigest()
    # Each owner sends the bytes twice through each server, all released at one instant.
    senders = [(server, token) for server in pair for token in tokens for _ in range(2)]
    start = threading.Barrier(len(senders))
    answers: list[int] = []

    def send(server: LiveServer, token: str) -> None:
        start.wait()
        answers.append(post(server, token, body).status_code)

    threads = [threading.Thread(target=send, args=s) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(answers) == [200] * len(senders)
    assert list(one.stored_objects()) == [f"originals/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert one.sql("SELECT sha256 FROM photos_original") == [(sha,)]
    assert one.sql("SELECT u.username, count(*) FROM photos_photo p JOIN auth_user u "
                   "ON u.id = p.owner_id GROUP BY u.username ORDER BY 1") == [
        ("alice", 1), ("bob", 1)]


def test_purge_on_both_servers_at_once_destroys_each_photo_once(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, two = pair
    auth = bearer(one.user_with_token("dave"))
    shas = []
    for seed in range(40, 52):
        r = httpx.post(f"{one.url}/api/v2/photos", headers=auth, timeout=60,
                       files={"f": ("p.jpg", make_jpeg(seed), "image/jpeg")})
        shas.append(r.json()["items"][0]["id"])
        assert httpx.delete(f"{two.url}/api/v2/photos/{shas[-1]}", headers=auth).is_success
    keep = shas.pop()  # trashed, but restored while the purges run: must survive
    expire(one, days=400)
    outputs: list[str] = []

    def purge(server: LiveServer) -> None:
        outputs.append(server.imgbackup("purge"))

    runs = [threading.Thread(target=purge, args=(s,)) for s in (one, two, one)]
    for t in runs:
        t.start()
    assert httpx.post(f"{two.url}/api/v2/photos/{keep}/restore", headers=auth).status_code in {
        200, 404}
    for t in runs:
        t.join(120)
    counts = [int(out.split("destroyed ")[1].split()[0]) for out in outputs]
    left = {row[0] for row in one.sql("SELECT original_id FROM photos_photo")}
    restored = keep in left
    assert sum(counts) == len(shas) + (0 if restored else 1), outputs
    assert left == ({keep} if restored else set())
    assert len(one.stored_objects()) == len(left)


def expire(server: LiveServer, days: int) -> None:
    """Move every trashed photo's trash date ``days`` into the past."""
    import psycopg

    with psycopg.connect(server.env["IMGBACKUP_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE photos_photo SET trashed_at = trashed_at - make_interval(days => %s)"
                     " WHERE trashed_at IS NOT NULL", (days,))
