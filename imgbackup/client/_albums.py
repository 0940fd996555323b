"""``imgbackup push --album NAME`` / ``--album-from-folder``: after a push, put the photos it
backed up (sent now, or found already on the server) into albums of the user's, found by name
or created. Albums are the server's (docs/api.md, "Albums and sharing"); adding a photo twice
is harmless, so a re-run files nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from imgbackup.client._api import Api

CHUNK = 5000  # the server takes at most this many ids per call

AlbumOf = Callable[[str], str]


def named(name: str) -> AlbumOf:
    return lambda path: name


def by_folder(path: str) -> str:
    """The album of a file: its folder's name (a file given alone: its folder's too)."""
    return Path(path).resolve().parent.name or "imgbackup"


def file_into_albums(api: Api, wanted: dict[str, list[str]]) -> int:
    """Add each list of photo ids to the caller's album of that name; answers how many
    photos were added or already there."""
    existing = {album["name"]: album["id"] for album in api._get("/albums")["items"]
                if album["role"] == "owner"}
    done = 0
    for name, ids in sorted(wanted.items()):
        album_id = existing.get(name) or api._post("/albums", {"name": name})["id"]
        for start in range(0, len(ids), CHUNK):
            answer = api._post(f"/albums/{album_id}/photos", {"ids": ids[start:start + CHUNK]})
            done += len(answer["done"])
    return done
