"""``imgbackup push --album NAME`` and ``--album-from-folder``: the photos of the run land in
the user's albums, found by name or created; a second run files nothing twice."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import make_jpeg

from .conftest import Run
from .fake_server import FakeServer

pytestmark = pytest.mark.backend_independent


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_push_album_puts_sent_and_already_kept_photos_in_one_album(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.jpg").write_bytes(make_jpeg(1))
    assert run("push", str(tmp_path / "a")).code == 0  # already on the server before
    (tmp_path / "a" / "two.jpg").write_bytes(make_jpeg(2))
    result = run("push", str(tmp_path / "a"), "--album", "Wedding", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out.splitlines()[-1])["in_albums"] == 2
    [album] = fake.albums.values()
    assert album["name"] == "Wedding"
    assert sorted(album["ids"]) == sorted([sha(make_jpeg(1)), sha(make_jpeg(2))])
    run("push", str(tmp_path / "a"), "--album", "Wedding")
    assert len(fake.albums) == 1 and len(album["ids"]) == 2


def test_push_album_from_folder_names_albums_after_folders(run: Run, fake: FakeServer,
                                                           tmp_path: Path) -> None:
    for folder, seed in (("Paris", 1), ("Rome", 2), ("Rome", 3)):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / f"{seed}.jpg").write_bytes(make_jpeg(seed))
    result = run("push", str(tmp_path), "--album-from-folder")
    assert result.code == 0, result.err
    assert "3 photos in albums" in result.out
    found = {a["name"]: sorted(a["ids"]) for a in fake.albums.values()}
    assert found == {"Paris": [sha(make_jpeg(1))],
                     "Rome": sorted([sha(make_jpeg(2)), sha(make_jpeg(3))])}


def test_album_options_exclude_each_other(run: Run, fake: FakeServer, tmp_path: Path) -> None:
    assert run("push", str(tmp_path), "--album", "x", "--album-from-folder").code == 2
    assert fake.albums == {}
