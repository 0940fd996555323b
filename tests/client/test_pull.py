"""``imgbackup pull`` against the in-memory server (httpx.MockTransport)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgbackup.client._scan import PART_SUFFIX

from .conftest import Run, photo_tree
from .fake_server import FakeServer
from .test_push import forbid_reading

pytestmark = pytest.mark.backend_independent


def pull_json(run: Run, *args: str) -> tuple[int, dict[str, Any], str]:
    result = run("pull", "--json", "--quiet", *args)
    return result.code, json.loads(result.out), result.err


def restored(dest: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dest)): p.read_bytes() for p in dest.rglob("*") if p.is_file()}


@pytest.fixture
def backed_up(run: Run, fake: FakeServer, tmp_path: Path) -> dict[str, bytes]:
    files = photo_tree(tmp_path / "photos", 25)
    assert run("push", "--quiet", str(tmp_path / "photos")).code == 0
    return files


def test_it_restores_every_photo_by_day_with_its_name(
        run: Run, fake: FakeServer, tmp_path: Path, backed_up: dict[str, bytes]) -> None:
    code, summary, err = pull_json(run, str(tmp_path / "restore"))

    assert code == 0, err
    assert summary["downloaded"] == 25
    got = restored(tmp_path / "restore")
    assert sorted(got.values()) == sorted(backed_up.values())
    for rel, data in got.items():
        photo = fake.photos[hashlib.sha256(data).hexdigest()]
        assert rel.startswith(photo["taken_at"][:10].replace("-", "/") + "/")
    assert not [p for p in (tmp_path / "restore").rglob(".*")]  # no .part left


def test_a_second_pull_reads_and_downloads_nothing(
        run: Run, fake: FakeServer, tmp_path: Path, backed_up: dict[str, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    pull_json(run, str(tmp_path / "restore"))
    downloads = len(fake.requests)
    forbid_reading(monkeypatch, tmp_path / "restore")

    code, summary, _ = pull_json(run, str(tmp_path / "restore"))

    assert code == 0 and summary["present"] == 25 and summary["downloaded"] == 0
    assert len(fake.requests) == downloads + 1  # the listing only


def test_a_pushed_back_restore_reads_nothing(
        run: Run, fake: FakeServer, tmp_path: Path, backed_up: dict[str, bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    pull_json(run, str(tmp_path / "restore"))
    forbid_reading(monkeypatch, tmp_path / "restore")
    summary = json.loads(run("push", "--json", "--quiet", str(tmp_path / "restore")).out)
    assert summary["read"] == 0 and summary["already_backed_up"] == 25


def test_a_corrupted_download_is_not_kept(run: Run, fake: FakeServer, tmp_path: Path,
                                          backed_up: dict[str, bytes]) -> None:
    bad = sorted(fake.photos)[0]
    fake.corrupt.add(bad)

    code, summary, _err = pull_json(run, str(tmp_path / "restore"))

    assert code == 1 and summary["downloaded"] == 24
    assert len(summary["failed"]) == 1 and f"not {bad}" in summary["failed"][0]["reason"]
    assert len(restored(tmp_path / "restore")) == 24


def test_an_interrupted_download_resumes_with_a_range(
        run: Run, fake: FakeServer, tmp_path: Path, no_sleep: list[float]) -> None:
    photo = tmp_path / "big.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4000)
    run("push", "--quiet", str(photo))
    data = photo.read_bytes()
    sha = next(iter(fake.photos))
    calls: list[str] = []
    real = fake._original

    def cut_first(request: httpx.Request, photo_id: str) -> httpx.Response:
        calls.append(request.headers.get("range", ""))
        if len(calls) > 1:
            return real(request, photo_id)

        def half() -> Any:
            yield data[:300_000]
            raise httpx.ReadError("connection reset")

        return httpx.Response(200, content=half())

    fake._original = cut_first  # type: ignore[method-assign]
    code, summary, err = pull_json(run, str(tmp_path / "restore"))

    assert code == 0, err
    assert calls == ["", "bytes=300000-"]
    assert fake.requests[-1].headers["if-range"] == f'"{sha}"'
    assert list(restored(tmp_path / "restore").values()) == [data]
    assert summary["downloaded"] == 1 and sha in fake.photos


BIG = b"\xff\xd8\xff" + bytes(range(256)) * 4000


@pytest.fixture
def left_part(run: Run, fake: FakeServer, tmp_path: Path) -> tuple[Path, Path, str]:
    """One big photo pulled, then put back as a run interrupted after 100 000 bytes leaves
    it: no file at its place, the first bytes in its ``.part``. (target, part, id)"""
    (tmp_path / "big.jpg").write_bytes(BIG)
    run("push", "--quiet", str(tmp_path / "big.jpg"))
    pull_json(run, str(tmp_path / "restore"))
    (target,) = [p for p in (tmp_path / "restore").rglob("*") if p.is_file()]
    sha = next(iter(fake.photos))
    part = target.with_name(f".{target.name}.{sha[:12]}{PART_SUFFIX}")
    part.write_bytes(BIG[:100_000])
    target.unlink()
    fake.original_bytes = 0
    return target, part, sha


def test_a_part_left_by_an_interrupted_run_is_continued_with_only_the_rest(
        run: Run, fake: FakeServer, tmp_path: Path, left_part: tuple[Path, Path, str]) -> None:
    target, part, sha = left_part

    code, summary, err = pull_json(run, str(tmp_path / "restore"))

    assert code == 0, err
    asked = fake.requests[-1]
    assert asked.headers["range"] == "bytes=100000-"
    assert asked.headers["if-range"] == f'"{sha}"'
    assert fake.original_bytes == len(BIG) - 100_000
    assert target.read_bytes() == BIG and not part.exists()
    assert summary["downloaded"] == 1


def test_a_server_without_ranges_sends_it_whole_and_the_part_starts_over(
        run: Run, fake: FakeServer, tmp_path: Path, left_part: tuple[Path, Path, str]) -> None:
    target, part, _ = left_part
    part.write_bytes(b"\0" * 100_000)  # were it kept, the file would not verify
    fake.ranges = False

    code, _, err = pull_json(run, str(tmp_path / "restore"))

    assert code == 0, err
    assert fake.original_bytes == len(BIG)
    assert target.read_bytes() == BIG and not part.exists()


def test_a_resumed_file_that_does_not_verify_is_deleted_and_reported(
        run: Run, fake: FakeServer, tmp_path: Path, left_part: tuple[Path, Path, str]) -> None:
    target, part, sha = left_part
    part.write_bytes(b"\0" * 100_000)  # not the photo's first bytes

    code, summary, _ = pull_json(run, str(tmp_path / "restore"))

    assert code == 1 and fake.original_bytes == len(BIG) - 100_000  # it did resume
    assert [failure["path"] for failure in summary["failed"]] == [str(target)]
    assert f"not {sha}" in summary["failed"][0]["reason"]
    assert not target.exists() and not part.exists()
    again, _, _ = pull_json(run, str(tmp_path / "restore"))  # and the next run starts over
    assert again == 0 and target.read_bytes() == BIG


@pytest.mark.parametrize("status", [206, 416], ids=["206-of-another-range", "416"])
def test_a_part_that_cannot_be_continued_is_dropped_and_fetched_whole(
        run: Run, fake: FakeServer, tmp_path: Path, left_part: tuple[Path, Path, str],
        status: int) -> None:
    """Neither a range other than asked (it would splice the wrong bytes) nor a 416 (the server
    holds fewer bytes than the part: kept, it would fail on every run) may leave the part."""
    target, part, _ = left_part
    real = fake._original
    ranges: list[str] = []

    def bad_once(request: httpx.Request, photo_id: str) -> httpx.Response:
        ranges.append(request.headers.get("range", ""))
        if len(ranges) > 1:
            return real(request, photo_id)
        if status == 206:
            return httpx.Response(206, content=BIG, headers={
                "Content-Range": f"bytes 0-{len(BIG) - 1}/{len(BIG)}"})
        return httpx.Response(416, headers={"Content-Range": f"bytes */{len(BIG)}"})

    fake._original = bad_once  # type: ignore[method-assign]
    code, _, err = pull_json(run, str(tmp_path / "restore"))

    assert code == 0, err
    assert ranges == ["bytes=100000-", ""]  # the part was dropped, the retry started over
    assert target.read_bytes() == BIG and not part.exists()


def test_a_redirect_to_the_object_store_is_followed_without_the_token(
        run: Run, fake: FakeServer, tmp_path: Path, backed_up: dict[str, bytes]) -> None:
    """A server with IMGBACKUP_S3_PRESIGNED_DOWNLOADS answers originals with a redirect to a
    presigned URL on the object store: pull follows it, and the token stays home."""
    served = fake.handle
    store: list[httpx.Request] = []

    def presigned(request: httpx.Request) -> httpx.Response:
        if request.url.host == "store.example":
            store.append(request)
            return httpx.Response(200, content=fake.blobs[request.url.path.rsplit("/", 1)[-1]])
        path = request.url.path.removeprefix("/api/v2/")
        if path.startswith("photos/") and path.endswith("/original"):
            photo_id = path.split("/")[1]
            fake.requests.append(request)
            return httpx.Response(302, headers={
                "Location": f"https://store.example/bucket/{photo_id}?X-Amz-Signature=s"})
        return served(request)

    fake.handle = presigned  # type: ignore[method-assign]
    code, summary, err = pull_json(run, str(tmp_path / "restore"))

    assert code == 0, err
    assert summary["downloaded"] == len(backed_up) == len(store)
    assert all("authorization" not in request.headers for request in store)
    assert sorted(restored(tmp_path / "restore").values()) == sorted(backed_up.values())


def test_a_different_file_in_the_way_is_not_overwritten(
        run: Run, fake: FakeServer, tmp_path: Path, backed_up: dict[str, bytes]) -> None:
    pull_json(run, str(tmp_path / "restore"))
    victim = sorted((tmp_path / "restore").rglob("*.JPG"))[0]
    victim.write_bytes(b"someone's edit")

    code, summary, _ = pull_json(run, str(tmp_path / "restore"))

    assert code == 1 and victim.read_bytes() == b"someone's edit"
    assert summary["failed"][0]["path"] == str(victim)
    assert "not overwritten" in summary["failed"][0]["reason"]


def test_since_is_passed_to_the_server(run: Run, fake: FakeServer, tmp_path: Path) -> None:
    pull_json(run, str(tmp_path / "restore"), "--since", "2024-05-01")
    assert fake.requests[-1].url.params["since"] == "2024-05-01"
    assert run("pull", "x", "--since", "May 1st").code == 2


def live_photo(fake: FakeServer) -> tuple[bytes, bytes]:
    """One Live Photo on the fake server: one item, two files."""
    still, clip = b"the still", b"the motion clip"
    still_id, clip_id = (hashlib.sha256(d).hexdigest() for d in (still, clip))
    fake.blobs.update({still_id: still, clip_id: clip})
    fake.photos[still_id] = {
        "id": still_id, "sha256": still_id, "filename": "IMG_0001.HEIC", "size": len(still),
        "content_type": "image/heic", "taken_at": "2024-05-01T10:00:00+02:00",
        "uploaded_at": "2026-01-01T00:00:00+00:00", "trashed_at": None, "has_motion": True,
        "motion": {"id": clip_id, "filename": "IMG_0001.MOV", "size": len(clip),
                   "content_type": "video/quicktime"}}
    return still, clip


def test_a_live_photo_comes_back_as_both_halves_with_their_names(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    still, clip = live_photo(fake)
    code, summary, err = pull_json(run, str(tmp_path / "restore"))
    assert code == 0, err
    assert restored(tmp_path / "restore") == {"2024/05/01/IMG_0001.HEIC": still,
                                              "2024/05/01/IMG_0001.MOV": clip}
    assert summary["downloaded"] == 2


def test_a_live_photo_is_counted_as_one_photo_of_two_files(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    live_photo(fake)
    code, summary, _ = pull_json(run, str(tmp_path / "json"))
    result = run("pull", "--quiet", str(tmp_path / "restore"))
    again = run("pull", "--quiet", str(tmp_path / "restore"))

    assert code == result.code == 0 and (summary["photos"], summary["files"]) == (1, 2)
    assert result.out.startswith("1 photo on the server (2 files): 0 already here and "
                                 "verified, 2 downloaded ("), result.out
    assert again.out.startswith("1 photo on the server (2 files): 2 already here"), again.out
