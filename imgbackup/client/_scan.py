"""Find the files under the paths given to ``push``: one ``stat`` each, no contents read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Downloads in progress by ``pull`` (see _pull.py): never back up a half-written file.
PART_SUFFIX = ".imgbackup-part"


@dataclass(frozen=True)
class LocalFile:
    path: str  # absolute, as the cache keys it
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanError:
    path: str
    reason: str


def scan(paths: Iterable[str]) -> Iterator[LocalFile | ScanError]:
    """Every regular file under ``paths`` (files or folders), in a stable order.

    Symbolic links to files are followed; links to folders are not, so a loop of links
    cannot make the walk endless."""
    for given in paths:
        path = os.path.abspath(given)  # noqa: PTH100 - keep the user's spelling, no resolve()
        try:
            st = os.stat(path)  # noqa: PTH116 - one call, st_mtime_ns needed
        except OSError as exc:
            yield ScanError(path, _reason(exc))
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(path)
        elif stat.S_ISREG(st.st_mode):
            yield LocalFile(path, st.st_size, st.st_mtime_ns)


def _walk(folder: str) -> Iterator[LocalFile | ScanError]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield ScanError(folder, _reason(exc))
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path)
                continue
            if not entry.is_file() or entry.name.endswith(PART_SUFFIX):
                continue
            st = entry.stat()
        except OSError as exc:
            yield ScanError(entry.path, _reason(exc))
            continue
        yield LocalFile(entry.path, st.st_size, st.st_mtime_ns)


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)
