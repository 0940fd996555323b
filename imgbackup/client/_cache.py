"""The local hash cache: (path, size, mtime_ns) -> what the file is and its SHA-256.

It is what lets a re-run over an unchanged folder read no file contents: a hit needs only the
``stat`` the scan did anyway. Files that are neither images nor videos are remembered too
(content type ''), so they are not sniffed again; a NULL type was written by a client that
knew no videos, and is sniffed again. ``pull`` records the files it writes, so a restored
folder is known as well.

One SQLite file in the user's cache folder, used from one thread (the command's main thread);
WAL so that two commands running at once do not block each other."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from imgbackup.client._hashing import Identity
from imgbackup.client._scan import LocalFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_type TEXT,
    sha256 TEXT
)"""


def default_path() -> Path:
    return Path(platformdirs.user_cache_dir("imgbackup")) / "hashes.sqlite3"


class HashCache:
    def __init__(self, path: Path | None = None) -> None:
        path = path or default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A cache can be rebuilt by hashing again: losing the last writes in a crash is fine.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._db.commit()

    def get(self, f: LocalFile) -> Identity | None:
        row = self._db.execute(
            "SELECT content_type, sha256 FROM files WHERE path = ? AND size = ? AND mtime_ns = ?",
            (f.path, f.size, f.mtime_ns),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return Identity(row[0] or None, row[1])

    def put(self, items: Iterable[tuple[LocalFile, Identity]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO files (path, size, mtime_ns, content_type, sha256) "
            "VALUES (?, ?, ?, ?, ?)",
            [(f.path, f.size, f.mtime_ns, i.content_type or "", i.sha256) for f, i in items],
        )
        self._db.commit()

    def forget(self, path: str) -> None:
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))
        self._db.commit()

    def close(self) -> None:
        self._db.close()
