"""Blob storage on a local filesystem, with durable, atomic, content-addressed writes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

from imgbackup.storage import syncs
from imgbackup.storage.partial import PartialFile


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_folders(folder: Path) -> list[Path]:
    """``folder`` and its missing parents made; the ones missing, deepest first (each must
    then be synced into its parent: ``sync_entries``)."""
    return [] if folder.is_dir() else make_missing(folder)


def make_missing(folder: Path) -> list[Path]:
    """``folder``, found missing a moment ago (a link into it said so), made with its missing
    parents; the ones made, deepest first. Each is made by trying ``mkdir`` first, without a
    ``stat`` before: a parent that exists answers that mkdir with EEXIST, one that is missing
    with ENOENT (then it is made first). Every folder tried was missing a moment ago (the
    link's ENOENT, or its child's), so one found made meanwhile, by another process, is
    listed too: its entry may not be synced yet."""
    made: list[Path] = []
    todo = [folder]
    while todo:
        try:
            todo[-1].mkdir()
        except FileNotFoundError:
            todo.append(todo[-1].parent)
            continue
        except FileExistsError:
            if not todo[-1].is_dir():
                raise
        made.append(todo.pop())
    made.reverse()
    return made


def sync_entries(folders: list[Path]) -> None:
    """Each folder's entry made durable in its parent: a folder's fsync makes its own entries
    durable, not its entry in its parent (POSIX; ext4 and XFS happen to, others need not). A
    folder another process made at the same moment is synced too: it may not have yet."""
    for folder in folders:
        fsync_dir(folder.parent)


def _sync_all(folder: Path, made: list[Path]) -> None:
    fsync_dir(folder)
    sync_entries(made)


class LocalBlobStorage(FileSystemStorage):
    """FileSystemStorage for content-addressed objects.

    A name is the hash of its bytes, so an existing name already holds the same bytes: a save
    never picks another name and never overwrites. The bytes reach the final name only whole:
    hard-linked (or renamed) from a temp file on the same filesystem that was already fsynced,
    then the folder is fsynced, so a crash leaves either nothing or the complete file. The
    folder is made only when the link finds it missing, so a save into an existing folder
    costs one link and one folder sync; a folder made is synced into its parent (and so on
    up to the first folder that existed) before the save returns, so under strict POSIX the
    new entry is durable too, not only the file inside it."""

    @property
    def incoming_dir(self) -> Path:
        """Where uploads are spooled: inside the storage, hence on its filesystem."""
        path = Path(self.location) / ".incoming"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name

    def _save(self, name: str, content: File[Any]) -> str:
        final = Path(self.path(name))
        made: list[Path] = []
        try:
            # Straight to the final name: its folder exists for every object after the first
            # of its prefix, so it is made (and found missing) only when the link says so.
            self._in_folder(final, lambda: self._place(final, content), made)
        except FileExistsError:
            if final.stat().st_size == content.size:
                if made:  # else nothing to sync: no hand-off to the sync thread
                    syncs.run(lambda: sync_entries(made))
                return name
            # The copy under this name is damaged (its size differs from bytes that hash to
            # the name): replace it whole with the good copy just received.
            staged = final.with_name(f".{final.name}.{os.getpid()}.repair")
            with contextlib.suppress(FileNotFoundError):  # left by a crash in a repair
                staged.unlink()
            self._place(staged, content)
            staged.replace(final)
        # The new folders' entries, after the file's own folder (before or after made no
        # difference on ext4 here: each folder sync costs a device flush, ~2-3 ms of wall
        # time and ~0.1 ms of CPU, bench/analysis.md item 1b, sixth round). Inside
        # syncs.overlapped() (ingest), on a worker thread, waited for before the rows commit.
        syncs.run(lambda: _sync_all(final.parent, made))
        return name

    def _in_folder(self, target: Path, place: Callable[[], None], made: list[Path]) -> None:
        """``place()`` a file at ``target``; when its folder is missing, make the folder (and
        add the folders made to ``made``) and place it again."""
        try:
            place()
        except FileNotFoundError:
            # The folder made without looking first (a stat per level): when it was there
            # and the source is what is missing, the second place raises.
            made.extend(make_missing(target.parent))
            place()

    def _place(self, target: Path, content: File[Any]) -> None:
        """The bytes of ``content`` at ``target``; FileExistsError if something is there."""
        temp_path = getattr(content, "temporary_file_path", None)
        if temp_path is not None:
            # A link, not a rename: the spooled file stays valid until its upload commits,
            # so a concurrent purge of the same object can be repaired from it.
            os.link(temp_path(), target)
        elif target.exists():
            raise FileExistsError(target)
        else:
            self._write_whole(target, content)

    def _write_whole(self, final: Path, content: File[Any]) -> None:
        temp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        with temp.open("wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        temp.replace(final)

    def open_range(self, name: str, first: int, last: int) -> PartialFile:
        """Bytes ``first`` to ``last`` (inclusive) of the object, read from ``first`` on."""
        handle = open(self.path(name), "rb")  # noqa: SIM115 - the PartialFile closes it
        handle.seek(first)
        return PartialFile(handle, first, last)

    def delete(self, name: str) -> None:
        super().delete(name)
        parent = Path(self.path(name)).parent
        if parent.exists():
            fsync_dir(parent)

    def healthy(self) -> str | None:
        """None when the storage answers, else what is wrong."""
        root = Path(self.location)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"storage folder {root} cannot be created: {exc.strerror}"
        if not os.access(root, os.W_OK | os.X_OK):
            return f"storage folder {root} is not writable"
        return None
