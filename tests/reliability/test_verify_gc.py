"""imgbackup verify and imgbackup gc, in process against the test's own blob folder."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from pathlib import Path

import pytest
from conftest import Persona, make_jpeg
from django.core.management import call_command
from django.test import Client

from imgbackup.photos.models import Original, Photo, original_name
from imgbackup.photos.trash import trash
from imgbackup.storage import incoming_dir

URL = "/api/v1.0/service/image/"


def upload(client: Client, who: Persona, body: bytes) -> str:
    r = client.post(URL, {"photo": io.BytesIO(body)}, **who.auth)  # type: ignore[arg-type]
    assert r.status_code == 200, r.content
    return hashlib.sha256(body).hexdigest()


def run(command: str, *args: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    try:
        call_command(command, *args, "--json", stdout=out, stderr=io.StringIO())
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def age(path: Path, seconds: float = 7200) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_verify_is_clean_after_uploads(client: Client, alice: Persona) -> None:
    for seed in range(3):
        upload(client, alice, make_jpeg(seed))
    code, report = run("verify")
    assert code == 0
    assert report["checked"] == 3 and report["clean"] is True


def test_verify_reports_a_flipped_byte(client: Client, alice: Persona,
                                       _blob_root: Path) -> None:
    sha = upload(client, alice, make_jpeg(1))
    upload(client, alice, make_jpeg(2))
    stored = _blob_root / original_name(sha)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    code, report = run("verify")
    assert code == 1
    assert [f["name"] for f in report["corrupt"]] == [original_name(sha)]  # type: ignore[index]
    assert report["missing"] == [] and report["orphans"] == []


def test_verify_reports_missing_orphan_and_unreferenced(client: Client, alice: Persona,
                                                        _blob_root: Path) -> None:
    gone = upload(client, alice, make_jpeg(1))
    (_blob_root / original_name(gone)).unlink()
    orphan = _blob_root / original_name("ab" * 32)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    age(orphan)
    Original.objects.create(sha256="cd" * 32, md5="0" * 32, size=1, content_type="image/jpeg")
    code, report = run("verify")
    assert code == 1
    assert sorted(f["name"] for f in report["missing"]) == sorted(  # type: ignore[index]
        [original_name(gone), original_name("cd" * 32)])
    assert [f["name"] for f in report["orphans"]] == [original_name("ab" * 32)]  # type: ignore[index]
    assert [f["name"] for f in report["unreferenced"]] == ["cd" * 32]  # type: ignore[index]


def test_a_young_object_without_a_row_is_in_flight_not_an_orphan(db: None,
                                                                 _blob_root: Path) -> None:
    young = _blob_root / original_name("ef" * 32)
    young.parent.mkdir(parents=True)
    young.write_bytes(b"being uploaded")
    code, report = run("verify")
    assert (code, report["in_flight"], report["orphans"]) == (0, 1, [])
    run("gc")
    assert young.exists()


def test_gc_removes_orphans_and_spool_files_and_keeps_everything_referenced(
        client: Client, alice: Persona, bob: Persona, _blob_root: Path) -> None:
    kept = upload(client, alice, make_jpeg(1))
    in_trash = upload(client, bob, make_jpeg(2))
    trash(Photo.objects.get(owner=bob.user))
    for path in _blob_root.rglob("*"):
        if path.is_file():
            age(path)  # everything referenced is old too: age alone must not get it removed
    orphan = _blob_root / original_name("ab" * 32)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a crash")
    age(orphan)
    partial = _blob_root / "originals" / "12" / "34" / f".{'12' * 32}.999.tmp"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half")
    age(partial)
    old_spool = incoming_dir() / "upload-dead.part"
    old_spool.write_bytes(b"half a body")
    age(old_spool)
    live_spool = incoming_dir() / "upload-live.part"
    live_spool.write_bytes(b"being written")

    _, dry = run("gc", "--dry-run")
    assert sorted(dry["orphans"]) == sorted(  # type: ignore[arg-type]
        [original_name("ab" * 32), f"originals/12/34/.{'12' * 32}.999.tmp"])
    assert dry["spool_files"] == ["upload-dead.part"]
    assert orphan.exists() and old_spool.exists() and partial.exists()

    _, done = run("gc")
    assert done["orphans"] == dry["orphans"] and done["spool_files"] == dry["spool_files"]
    assert not orphan.exists() and not old_spool.exists() and not partial.exists()
    assert live_spool.exists()
    for sha in (kept, in_trash):
        stored = _blob_root / original_name(sha)
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert run("verify")[0] == 0


def test_verify_cannot_run_exits_2(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management.base import CommandError

    import imgbackup.photos.management.commands.verify as command

    def broken(**_: object) -> None:
        raise OSError("storage is gone")

    monkeypatch.setattr(command, "verify", broken)
    with pytest.raises(CommandError) as info:
        call_command("verify", stdout=io.StringIO(), stderr=io.StringIO())
    assert info.value.returncode == 2
