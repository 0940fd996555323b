"""The client against a real ``imgbackup serve`` (one per module, a user per test): round trip,
unchanged re-push, killed push, server down, bad token, vanishing file, login/logout."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer, free_port, start_server

from .conftest import Run, photo_tree
from .test_push import forbid_reading

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("client-live"))
    yield server
    server.stop()


@pytest.fixture
def user(served: LiveServer, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh user for this test, the client logged in as them through the environment."""
    name = "u" + hashlib.sha256(request.node.name.encode()).hexdigest()[:10]
    token = served.user_with_token(name)
    monkeypatch.setenv("IMGBACKUP_URL", served.url)
    monkeypatch.setenv("IMGBACKUP_TOKEN", token)
    return token


def summary(result: Any) -> dict[str, Any]:
    assert result.out, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def server_photos(server: LiveServer, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        body = httpx.get(f"{server.url}/api/v2/photos", params=params,
                         headers={"Authorization": f"Bearer {token}"}).json()
        items += body["items"]
        if not body["next_cursor"]:
            return items
        params["cursor"] = body["next_cursor"]


def test_push_then_pull_gives_back_every_byte_and_a_second_push_reads_and_sends_nothing(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = photo_tree(tmp_path / "photos", 300)

    started = time.monotonic()
    first = summary(run("push", "--json", "--quiet", str(tmp_path / "photos")))
    first_seconds = time.monotonic() - started
    assert first["exit_code"] == 0 and first["uploaded"] == 300 and first["read"] == 300

    with monkeypatch.context() as patched:
        reads = forbid_reading(patched, tmp_path / "photos")
        started = time.monotonic()
        again = summary(run("push", "--json", "--quiet", str(tmp_path / "photos")))
        again_seconds = time.monotonic() - started
    assert reads == [] and again["read"] == 0
    assert again["uploaded"] == 0 and again["uploaded_bytes"] == 0
    assert again["already_backed_up"] == 300
    print(f"push of 300 photos: {first_seconds:.2f} s; unchanged re-push {again_seconds:.2f} s")

    restored = summary(run("pull", "--json", "--quiet", str(tmp_path / "restore")))
    assert restored["exit_code"] == 0 and restored["downloaded"] == 300
    got = {p: p.read_bytes() for p in (tmp_path / "restore").rglob("*") if p.is_file()}
    assert sorted(got.values()) == sorted(files.values())
    by_hash = {hashlib.sha256(d).hexdigest(): Path(rel).name for rel, d in files.items()}
    for path, data in got.items():
        # The original name, or it with the id's start when one day has two of that name.
        name = by_hash[hashlib.sha256(data).hexdigest()]
        assert path.name == name or path.stem.startswith(Path(name).stem + "-")
    assert summary(run("pull", "--json", "--quiet", str(tmp_path / "restore")))["present"] == 300


def test_a_push_killed_midway_finishes_when_run_again_with_nothing_twice(
        run: Run, served: LiveServer, user: str, tmp_path: Path) -> None:
    files = photo_tree(tmp_path / "photos", 200)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "imgbackup", "push", "--jobs", "1", "--quiet",
         str(tmp_path / "photos")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(server_photos(served, user)) < 16 and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept_before = len(server_photos(served, user))
    assert 16 <= kept_before < 200, "the push was not killed mid-way"

    again = summary(run("push", "--json", "--quiet", str(tmp_path / "photos")))

    assert again["exit_code"] == 0
    assert again["already_backed_up"] + again["uploaded"] == 200
    assert again["read"] == 0  # what was hashed before the kill is not read again
    photos = server_photos(served, user)
    assert len(photos) == len({p["id"] for p in photos}) == 200
    assert {p["id"] for p in photos} == {hashlib.sha256(d).hexdigest() for d in files.values()}


def test_a_server_that_is_down_exits_4_and_says_so(run: Run, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    photo_tree(tmp_path, 2)
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("IMGBACKUP_URL", url)
    monkeypatch.setenv("IMGBACKUP_TOKEN", "whatever")
    for args in (["push", "--retries", "1", str(tmp_path)], ["pull", "--retries", "0", "x"],
                 ["ls"]):
        result = run(*args)
        assert result.code == 4, args
        assert f"cannot reach {url}" in result.err


def test_a_bad_token_exits_3_and_says_what_to_do(run: Run, served: LiveServer,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    photo_tree(tmp_path, 2)
    monkeypatch.setenv("IMGBACKUP_URL", served.url)
    monkeypatch.setenv("IMGBACKUP_TOKEN", "not-a-token")
    result = run("push", "--quiet", str(tmp_path))
    assert result.code == 3
    assert "refused the credentials" in result.err
    assert f"imgbackup login {served.url}" in result.err


def test_a_file_that_vanishes_mid_push_is_named_and_the_rest_kept(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = photo_tree(tmp_path, 6)
    victim = tmp_path / sorted(files)[3]
    real_post = httpx.Client.post

    def check_then_delete(self: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
        if url == "photos/check":
            victim.unlink()
        return real_post(self, url, **kwargs)

    monkeypatch.setattr(httpx.Client, "post", check_then_delete)
    result = run("push", "--quiet", str(tmp_path))

    assert result.code == 1
    assert f"failed: {victim}: vanished before it could be sent" in result.err
    assert len(server_photos(served, user)) == 5


def test_login_push_ls_rm_logout(run: Run, served: LiveServer, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    served.imgbackup("createuser", "carol", "--password", "carol-password-123")
    monkeypatch.setattr(sys, "stdin", io.StringIO("carol-password-123\n"))
    assert run("login", served.url, "-u", "carol", "--password-stdin").code == 0
    photo_tree(tmp_path, 2)
    assert run("push", "--quiet", str(tmp_path)).code == 0
    listed = json.loads(run("ls", "--json").out)
    assert len(listed) == 2

    assert run("rm", listed[0]["id"][:8]).code == 0  # a prefix, as people type ids
    assert [p["id"] for p in json.loads(run("ls", "--json").out)] == [listed[1]["id"]]
    again = summary(run("push", "--json", "--quiet", str(tmp_path)))
    assert again["in_trash"] == 1 and again["uploaded"] == 0

    assert run("logout").code == 0
    assert run("ls").code == 3


def test_a_pull_killed_midway_finishes_when_run_again_and_leaves_no_part_file(
        run: Run, served: LiveServer, user: str, tmp_path: Path) -> None:
    files = photo_tree(tmp_path / "photos", 120)
    assert run("push", "--quiet", str(tmp_path / "photos")).code == 0
    dest = tmp_path / "restore"
    process = subprocess.Popen(
        [sys.executable, "-m", "imgbackup", "pull", "--jobs", "1", "--quiet", str(dest)],
        env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while (len([p for p in dest.rglob("*") if p.is_file()]) < 10
           and time.monotonic() < deadline and process.poll() is None):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len([p for p in dest.rglob("*") if p.is_file()]) < 120, "not killed mid-way"

    again = summary(run("pull", "--json", "--quiet", str(dest)))

    assert again["exit_code"] == 0 and again["present"] + again["downloaded"] == 120
    restored = [p for p in dest.rglob("*") if p.is_file()]
    assert not [p for p in restored if p.name.endswith(".imgbackup-part")]
    assert sorted(p.read_bytes() for p in restored) == sorted(files.values())


class CutOriginals(httpx.BaseTransport):
    """The real network, recording every download of an original; the first ``cuts`` of them
    lose the connection after ``after`` bytes, as a dropped Wi-Fi would."""

    def __init__(self, after: int, cuts: int = 1) -> None:
        self.network = httpx.HTTPTransport()
        self.after, self.cuts = after, cuts
        self.originals: list[tuple[httpx.Request, httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.network.handle_request(request)
        if not request.url.path.endswith("/original"):
            return response
        self.originals.append((request, response))
        if len(self.originals) > self.cuts:
            return response
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=CutStream(response.stream, self.after), request=request)

    def close(self) -> None:
        self.network.close()


class CutStream(httpx.SyncByteStream):
    def __init__(self, stream: Any, after: int) -> None:
        self.stream, self.after = stream, after

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.stream:
            chunk = chunk[:self.after - sent]
            sent += len(chunk)
            yield chunk
            if sent >= self.after:
                raise httpx.ReadError("connection reset by peer (test)")

    def close(self) -> None:
        self.stream.close()


def big_photo(path: Path) -> bytes:
    """A JPEG followed by 3 MB that are not (kept as sent): big enough to be cut mid-file."""
    from conftest import make_jpeg

    data = make_jpeg(5, size=(320, 240)) + os.urandom(3 * 1024 * 1024)
    path.write_bytes(data)
    return data


def through(monkeypatch: pytest.MonkeyPatch, transport: httpx.BaseTransport) -> None:
    from imgbackup.client import _api, _commands

    def open_api(url: str, token: str | None, *, jobs: int = 1, retries: int) -> _api.Api:
        return _api.Api(url, token, connections=jobs, retry=_api.Retry(attempts=retries),
                        transport=transport)

    monkeypatch.setattr(_commands, "_open_api", open_api)


def test_a_pull_cut_mid_file_asks_the_server_for_only_the_rest(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]) -> None:
    data = big_photo(tmp_path / "big.jpg")
    assert run("push", "--quiet", str(tmp_path / "big.jpg")).code == 0
    sha = hashlib.sha256(data).hexdigest()
    cutter = CutOriginals(after=1_000_000)
    through(monkeypatch, cutter)

    result = summary(run("pull", "--json", "--quiet", str(tmp_path / "restore")))

    assert result["exit_code"] == 0 and result["downloaded"] == 1
    (first, cut), (resume, second) = cutter.originals
    assert cut.status_code == 200 and "range" not in first.headers
    assert resume.headers["range"] == "bytes=1000000-"
    assert resume.headers["if-range"] == f'"{sha}"'
    assert second.status_code == 206
    assert second.headers["content-range"] == f"bytes 1000000-{len(data) - 1}/{len(data)}"
    assert int(second.headers["content-length"]) == len(data) - 1_000_000
    (restored,) = [p for p in (tmp_path / "restore").rglob("*") if p.is_file()]
    assert restored.read_bytes() == data


def test_a_part_left_by_a_killed_pull_is_finished_by_the_next_one(
        run: Run, served: LiveServer, user: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = big_photo(tmp_path / "big.jpg")
    assert run("push", "--quiet", str(tmp_path / "big.jpg")).code == 0
    # A first run that loses the network mid-file and does not retry: it leaves a .part.
    through(monkeypatch, CutOriginals(after=2_000_000))
    stopped = summary(run("pull", "--json", "--quiet", "--retries", "0",
                          str(tmp_path / "restore")))
    assert stopped["exit_code"] == 4
    (part,) = [p for p in (tmp_path / "restore").rglob("*") if p.is_file()]
    assert part.name.endswith(".imgbackup-part") and part.stat().st_size == 2_000_000

    recorder = CutOriginals(after=0, cuts=0)
    through(monkeypatch, recorder)
    again = summary(run("pull", "--json", "--quiet", str(tmp_path / "restore")))

    assert again["exit_code"] == 0 and again["downloaded"] == 1
    ((resume, resumed),) = recorder.originals
    assert resume.headers["range"] == "bytes=2000000-"
    assert resumed.status_code == 206
    assert int(resumed.headers["content-length"]) == len(data) - 2_000_000
    (restored,) = [p for p in (tmp_path / "restore").rglob("*") if p.is_file()]
    assert restored.read_bytes() == data and not part.exists()


def test_pull_from_a_server_that_redirects_to_presigned_s3_urls(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With IMGBACKUP_S3_PRESIGNED_DOWNLOADS the server answers originals with a redirect to
    the object store; pull follows it and every file verifies. Needs the S3 run."""
    if not os.environ.get("IMGBACKUP_STORAGE", "").startswith("s3://"):
        pytest.skip("presigned downloads need S3 storage (the PostgreSQL + S3 test run)")
    (tmp_path / "presigned").mkdir()
    server = start_server(tmp_path / "presigned", {"IMGBACKUP_S3_PRESIGNED_DOWNLOADS": "1"})
    try:
        token = server.user_with_token("presigned")
        monkeypatch.setenv("IMGBACKUP_URL", server.url)
        monkeypatch.setenv("IMGBACKUP_TOKEN", token)
        files = photo_tree(tmp_path / "photos", 12)
        assert summary(run("push", "--json", "--quiet", str(tmp_path / "photos")))["uploaded"] == 12
        photo_id = server_photos(server, token)[0]["id"]
        answer = httpx.get(f"{server.url}/api/v2/photos/{photo_id}/original",
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 302  # the server really redirects

        restored = summary(run("pull", "--json", "--quiet", str(tmp_path / "restore")))

        assert restored["exit_code"] == 0 and restored["downloaded"] == 12, restored
        got = [p.read_bytes() for p in (tmp_path / "restore").rglob("*") if p.is_file()]
        assert sorted(got) == sorted(files.values())
    finally:
        server.stop()
