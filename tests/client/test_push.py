"""``imgbackup push`` against the in-memory server (httpx.MockTransport)."""

from __future__ import annotations

import builtins
import io
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_jpeg

from imgbackup.client import _multipart as multipart
from imgbackup.client._progress import human_bytes

from .conftest import Run, photo_tree
from .fake_server import FakeServer

pytestmark = pytest.mark.backend_independent


def push_json(run: Run, *args: str) -> tuple[int, dict[str, Any], str]:
    result = run("push", "--json", "--quiet", *args)
    return result.code, json.loads(result.out), result.err


def forbid_reading(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """Make any open() of a file under ``root`` fail the test, and record the attempts."""
    attempts: list[str] = []
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).startswith(str(root)):
            attempts.append(str(file))
            raise AssertionError(f"read {file}")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)
    return attempts


def test_it_uploads_every_photo_once_skips_other_files_and_names_refused_photos(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    files = photo_tree(tmp_path / "photos", 40)
    (tmp_path / "photos" / "notes.txt").write_text("not a photo")
    (tmp_path / "photos" / "no-extension.bin").write_bytes(b"<html>not a photo</html>")
    # Named like a photo but not one: sent, refused by the server, named as failed.
    (tmp_path / "photos" / "fake.jpg").write_bytes(b"<html>not a jpeg</html>")
    (tmp_path / "photos" / "no-extension").write_bytes(make_jpeg(999))
    # The same bytes under another name: sent once.
    (tmp_path / "photos" / "copy.JPG").write_bytes(next(iter(files.values())))

    code, summary, err = push_json(run, str(tmp_path / "photos"))

    assert code == 1, err
    assert summary["images"] == 43 and summary["not_images"] == 2
    assert summary["duplicates"] == 1 and summary["uploaded"] == 41
    assert summary["failed"] == [{"path": str(tmp_path / "photos" / "fake.jpg"),
                                  "reason": "refused by the server: not a recognised image"}]
    assert sorted(fake.blobs.values()) == sorted([*files.values(), make_jpeg(999)])


def test_a_photo_an_older_client_remembered_as_not_an_image_is_read_and_sent(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    from imgbackup.client._cache import HashCache
    from imgbackup.client._hashing import Identity
    from imgbackup.client._scan import LocalFile

    empty = tmp_path / "photos" / "empty.jpg"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    cache = HashCache()
    cache.put([(LocalFile(str(empty), 0, empty.stat().st_mtime_ns), Identity(None, None))])
    cache.close()

    result = run("push", "--quiet", str(empty.parent))

    assert result.code == 1
    assert f"failed: {empty}: refused by the server: the file is empty" in result.err


def test_a_second_push_reads_no_file_and_sends_nothing(
        run: Run, fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo_tree(tmp_path / "photos", 30)
    (tmp_path / "photos" / "notes.txt").write_text("not a photo")
    assert push_json(run, str(tmp_path / "photos"))[0] == 0
    uploads = [r for r in fake.requests if r.url.path == "/api/v2/photos"]
    attempts = forbid_reading(monkeypatch, tmp_path / "photos")

    code, summary, err = push_json(run, str(tmp_path / "photos"))

    assert code == 0, err
    assert attempts == []
    assert summary["read"] == 0 and summary["uploaded"] == 0
    assert summary["uploaded_bytes"] == 0 and summary["already_backed_up"] == 30
    assert [r for r in fake.requests if r.url.path == "/api/v2/photos"] == uploads


def test_a_changed_file_is_read_again(run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(make_jpeg(1))
    push_json(run, str(photo))
    photo.write_bytes(make_jpeg(2))
    os.utime(photo, ns=(0, 10**18))

    code, summary, _ = push_json(run, str(photo))

    assert code == 0 and summary["read"] == 1 and summary["uploaded"] == 1
    assert len(fake.blobs) == 2


def test_dry_run_lists_what_it_would_send_with_its_size_and_sends_nothing(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    size = sum(len(data) for data in photo_tree(tmp_path / "photos", 3).values())
    assert size > 1000

    result = run("push", "--dry-run", "--quiet", str(tmp_path / "photos"))
    code, summary, _ = push_json(run, "--dry-run", str(tmp_path / "photos"))

    assert result.code == code == 0
    assert result.out.count("IMG_") == 3
    assert f"would upload 3 ({human_bytes(size)})" in result.out
    assert summary["would_upload_bytes"] == size and summary["uploaded_bytes"] == 0
    assert fake.blobs == {}


def test_the_summary_reads_as_a_sentence_in_the_singular_too(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path / "photos", 1)
    (tmp_path / "photos" / "notes.txt").write_text("not a photo")

    result = run("push", "--quiet", str(tmp_path / "photos"))

    assert result.out.startswith("1 photo or video file found (1 other file skipped, "
                                 "0 duplicates), "
                                 "2 files read"), result.out


def test_it_retries_503_and_network_errors(run: Run, fake: FakeServer, tmp_path: Path,
                                           no_sleep: list[float]) -> None:
    photo_tree(tmp_path, 2)
    fake.when = lambda request: request.url.path == "/api/v2/photos"
    fake.faults = [503, httpx.ReadError("connection reset"), 502]

    code, summary, err = push_json(run, str(tmp_path), "--jobs", "1")

    assert code == 0, err
    assert summary["uploaded"] == 2 and len(fake.blobs) == 2
    assert len(no_sleep) == 3 and no_sleep[0] < no_sleep[2]


def test_an_unreachable_server_exits_4(run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path, 2)
    fake.faults = [httpx.ConnectError("Connection refused")] * 3

    result = run("push", "--quiet", "--retries", "2", str(tmp_path))

    assert result.code == 4
    assert "cannot reach http://photos.test" in result.err and "refused" in result.err


def test_a_bad_token_exits_3(run: Run, fake: FakeServer, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    photo_tree(tmp_path, 1)
    monkeypatch.setenv("IMGBACKUP_TOKEN", "wrong")
    result = run("push", "--quiet", str(tmp_path))
    assert result.code == 3
    assert "refused the credentials" in result.err and "imgbackup login" in result.err


def test_a_file_vanishing_before_upload_fails_alone(
        run: Run, fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = photo_tree(tmp_path, 5)
    victim = tmp_path / sorted(files)[2]
    real_post = httpx.Client.post

    def check_then_delete(self: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
        if url == "photos/check":
            victim.unlink(missing_ok=True)
        return real_post(self, url, **kwargs)

    monkeypatch.setattr(httpx.Client, "post", check_then_delete)

    code, summary, err = push_json(run, str(tmp_path))

    assert code == 1
    assert summary["uploaded"] == 4
    assert summary["failed"] == [{"path": str(victim),
                                  "reason": "vanished before it could be sent"}]
    assert f"failed: {victim}: vanished" in err


def test_a_file_changed_after_hashing_is_refused_by_checksum_and_named(
        run: Run, fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(make_jpeg(1))
    other = make_jpeg(2)
    real_post = httpx.Client.post

    def check_then_change(self: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
        if url == "photos/check":
            # Same size, other bytes: only the server's checksum can tell.
            photo.write_bytes(other[: photo.stat().st_size].ljust(photo.stat().st_size, b"\0"))
        return real_post(self, url, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(httpx.Client, "post", check_then_change)
        code, summary, _ = push_json(run, str(photo))

    assert code == 1 and fake.blobs == {}
    assert "checksum" in summary["failed"][0]["reason"]
    code, summary, _ = push_json(run, str(photo))  # the cache entry was dropped: read again
    assert code == 0 and summary["read"] == 1 and len(fake.blobs) == 1


def test_one_rejected_file_of_a_batch_fails_alone(run: Run, fake: FakeServer,
                                                  tmp_path: Path) -> None:
    photo_tree(tmp_path, 3)
    real = fake._upload

    def reject_second(request: httpx.Request) -> httpx.Response:
        response = real(request)
        body = response.json()
        second = body["items"].pop(1)
        body["rejected"].append({"name": second["name"], "filename": second["filename"],
                                 "error": {"code": "unsupported_media_type",
                                           "message": "not a recognised image"}})
        return httpx.Response(201, json=body)

    fake._upload = reject_second  # type: ignore[method-assign]
    code, summary, _ = push_json(run, str(tmp_path))
    assert code == 1 and summary["uploaded"] == 2
    assert summary["failed"][0]["reason"] == "refused by the server: not a recognised image"


def test_a_server_failing_after_the_retries_exits_5(run: Run, fake: FakeServer,
                                                     tmp_path: Path) -> None:
    photo_tree(tmp_path, 1)
    fake.faults = [500, 500, 500]
    result = run("push", "--quiet", "--retries", "2", str(tmp_path))
    assert result.code == 5 and "HTTP 500" in result.err
    assert "run the same command again" in result.err


def test_a_server_without_api_v2_exits_5_and_says_so(run: Run, fake: FakeServer,
                                                     tmp_path: Path) -> None:
    photo_tree(tmp_path, 1)
    fake.handle = lambda request: httpx.Response(404, text="<h1>Not Found</h1>")  # type: ignore
    result = run("push", "--quiet", str(tmp_path))
    assert result.code == 5 and "is it an imgbackup server with API v2?" in result.err


def test_uploads_stream_from_disk_in_bounded_chunks_with_a_content_length(
        run: Run, fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + os.urandom(5_000_000))
    chunks: list[int] = []

    class Streaming(httpx.BaseTransport):
        """Reads the body as the network would, chunk by chunk (MockTransport reads it all)."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            body = bytearray()
            for chunk in request.stream:  # type: ignore[union-attr]
                body += chunk
                if request.url.path == "/api/v2/photos":
                    chunks.append(len(chunk))
            if request.url.path == "/api/v2/photos":
                declared = int(request.headers.get("content-length", -1))
                assert declared == len(body), "no Content-Length: the body would be chunked"
            return fake.handle(httpx.Request(request.method, request.url,
                                             headers=request.headers, content=bytes(body)))

    monkeypatch.setattr(fake, "transport", Streaming)
    code, summary, err = push_json(run, str(big))

    assert code == 0, err
    assert summary["uploaded_bytes"] == big.stat().st_size and len(fake.blobs) == 1
    # Memory stays at one chunk (plus the small multipart framing) whatever the file's size.
    assert sum(chunks) > 5_000_000 and max(chunks) <= multipart.CHUNK + 4096
    assert len(chunks) >= 5_000_000 // multipart.CHUNK


def test_a_file_cut_short_while_it_is_sent_fails_alone_and_is_read_again_next_time(
        run: Run, fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    victim = folder / "big.jpg"
    victim.write_bytes(b"\xff\xd8\xff" + os.urandom(3 * multipart.CHUNK))
    (folder / "small.jpg").write_bytes(make_jpeg(1))

    class CutShort(httpx.BaseTransport):
        """Another program truncates the file once its first bytes have gone out."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            body = bytearray()
            for chunk in request.stream:  # type: ignore[union-attr]
                body += chunk
                if b"big.jpg" in body and victim.stat().st_size > multipart.CHUNK:
                    with victim.open("r+b") as f:
                        f.truncate(multipart.CHUNK)
            return fake.handle(httpx.Request(request.method, request.url,
                                             headers=request.headers, content=bytes(body)))

    with monkeypatch.context() as patched:
        patched.setattr(fake, "transport", CutShort)
        patched.setattr("imgbackup.client._push.BATCH_FILES", 1)
        code, summary, _ = push_json(run, str(folder))

    assert code == 1 and summary["uploaded"] == 1 and len(fake.blobs) == 1
    assert summary["failed"] == [{"path": str(victim),
                                  "reason": "changed while it was being sent"}]
    code, summary, _ = push_json(run, str(folder))  # its cached hash was dropped
    assert code == 0 and summary["read"] == 1 and len(fake.blobs) == 2


def test_photos_found_in_the_trash_are_restored_and_one_that_cannot_be_is_named(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path / "photos", 3)
    assert push_json(run, str(tmp_path / "photos"))[0] == 0
    first, second, _ = sorted(fake.photos)
    for sha in (first, second):
        fake.photos[sha]["trashed_at"] = "2026-01-01T00:00:00+00:00"
    # The first restore finds the photo gone (destroyed since the check): named, exit 1.
    fake.when = lambda request: request.url.path.endswith("/restore")
    fake.faults = [404]

    result = run("push", "--quiet", "--jobs", "1", str(tmp_path / "photos"))

    assert result.code == 1
    assert "restored 1 file from the server's trash (1 could not be, named below)" in result.out
    assert "in the server's trash, and not restored: injected fault (HTTP 404)" in result.err
    assert [sha for sha, p in fake.photos.items() if p["trashed_at"]] == [first]


def test_it_uploads_videos_found_by_their_bytes(run: Run, fake: FakeServer,
                                                tmp_path: Path) -> None:
    import videos

    folder = tmp_path / "roll"
    folder.mkdir()
    clips = {"IMG_0001.MOV": videos.make_video("mov"), "VID_2.mp4": videos.make_video("mp4"),
             "no-extension": videos.make_video("mkv")}
    for name, data in clips.items():
        (folder / name).write_bytes(data)
    code, summary, err = push_json(run, str(folder))
    assert code == 0, err
    assert summary["uploaded"] == 3
    assert sorted(fake.blobs.values()) == sorted(clips.values())


def test_an_upload_refused_for_a_moment_is_sent_again_after_retry_after(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    """Too many of this user's uploads in flight (one of a killed run still finishing): 429
    with a short Retry-After is waited for; a long one (the login throttle) is not."""
    import httpx

    photo_tree(tmp_path / "photos", 2)
    fake.when = lambda request: request.url.path.endswith("/photos") and request.method == "POST"
    fake.faults = [httpx.Response(429, headers={"Retry-After": "1"}, json={"error": {
        "code": "too_many_uploads", "message": "too many uploads in flight"}})]
    code, summary, err = push_json(run, str(tmp_path / "photos"))
    assert code == 0, err
    assert summary["uploaded"] == 2
    assert not fake.faults, "the refusal was never sent"


def test_a_push_with_nothing_to_send_says_so_not_uploading_0_files(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path / "photos", 2)
    assert push_json(run, str(tmp_path / "photos"))[0] == 0

    result = run("push", str(tmp_path / "photos"))  # stderr is no terminal: plain lines

    assert result.code == 0, result.err
    assert "nothing to upload" in result.err.splitlines()
    assert "uploading:" not in result.err, result.err
