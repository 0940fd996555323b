"""``imgbackup push`` against a real ``imgbackup serve``: what the server keeps, restores and
refuses (photos in the trash, damaged files), as the person running it is told."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer

from .conftest import Run, photo_tree
from .test_live import served, server_photos, summary, user

pytestmark = pytest.mark.slow

__all__ = ["served", "user"]  # fixtures, shared with test_live.py


def trashed_ids(server: LiveServer, token: str) -> set[str]:
    body = httpx.get(f"{server.url}/api/v2/trash", params={"limit": 500},
                     headers={"Authorization": f"Bearer {token}"}).json()
    return {p["id"] for p in body["items"]}


def test_push_restores_its_photos_from_the_trash_and_says_so_unless_told_not_to(
        run: Run, served: LiveServer, user: str, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photo_tree(photos, 3)
    assert run("push", "--quiet", str(photos)).code == 0
    gone = json.loads(run("ls", "--json").out)[0]["id"]
    assert run("rm", gone).code == 0

    kept = summary(run("push", "--json", "--quiet", "--no-restore", str(photos)))
    dry = run("push", "--quiet", "--dry-run", str(photos))
    assert kept["exit_code"] == 0 and kept["in_trash"] == 1 and kept["restored"] == 0
    assert "would restore 1 file from the server's trash" in dry.out
    assert trashed_ids(served, user) == {gone}

    result = run("push", "--quiet", str(photos))

    assert result.code == 0, result.err
    assert "restored 1 file from the server's trash" in result.out
    assert trashed_ids(served, user) == set()
    assert gone in {p["id"] for p in server_photos(served, user)}
    again = summary(run("push", "--json", "--quiet", str(photos)))
    assert again["restored"] == 0 and again["in_trash"] == 0


def test_damaged_photos_are_named_with_the_servers_reason_and_the_run_exits_1(
        run: Run, served: LiveServer, user: str, tmp_path: Path) -> None:
    from conftest import make_jpeg

    photos = tmp_path / "photos"
    photo_tree(photos, 2)
    whole = make_jpeg(7, size=(64, 48))
    damaged = {"empty.jpg": b"", "notes.JPG": b"just some text, not a photo\n",
               "cut.jpeg": whole[:len(whole) // 2], "clip.mp4": b"not a movie either"}
    for name, data in damaged.items():
        (photos / name).write_bytes(data)
    (photos / "notes.txt").write_text("a real text file: skipped, not a failure")

    result = run("push", "--quiet", str(photos))
    report = summary(run("push", "--json", "--quiet", str(photos)))

    assert result.code == 1, result.err
    assert "6 photo or video files found" in result.out
    failed = {Path(f["path"]).name: f["reason"] for f in report["failed"]}
    assert set(failed) == set(damaged), report
    assert failed["empty.jpg"] == "refused by the server: the file is empty"  # named once
    assert all(reason.startswith("refused by the server: ") for reason in failed.values())
    for name, reason in failed.items():
        assert f"failed: {photos / name}: {reason}" in result.err
    assert "4 files failed" in result.err
    assert report["exit_code"] == 1 and len(server_photos(served, user)) == 2
