"""Local blob storage's saves (imgbackup/storage/local.py): a save links the spooled file
straight to its final name and syncs its folder; the folder is made only when the link finds
it missing. Edges of that: a folder deleted since, a missing source,
a whole copy already there, a damaged one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile, File

from imgbackup.storage import local, syncs
from imgbackup.storage.local import LocalBlobStorage
from imgbackup.storage.partials import LocalPartials

pytestmark = pytest.mark.backend_independent

NAME = "originals/ab/cd/abcd1234"


class Spooled(File):  # type: ignore[type-arg]
    """Bytes complete on disk, as an upload hands them to the storage."""

    def __init__(self, path: Path) -> None:
        super().__init__(path.open("rb"), path.name)
        self.path = path
        self.size = path.stat().st_size

    def temporary_file_path(self) -> str:
        return str(self.path)


@pytest.fixture
def storage(tmp_path: Path) -> LocalBlobStorage:
    return LocalBlobStorage(location=str(tmp_path / "blobs"))


def _spool(tmp_path: Path, data: bytes, name: str = "upload.part") -> Spooled:
    path = tmp_path / name
    path.write_bytes(data)
    return Spooled(path)


def _synced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    synced: list[Path] = []
    real = local.fsync_dir

    def spy(path: Path) -> None:
        synced.append(Path(path))
        real(path)

    monkeypatch.setattr(local, "fsync_dir", spy)
    return synced


def test_a_first_save_makes_its_folders_and_syncs_each_into_its_parent(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = _synced(monkeypatch)
    with _spool(tmp_path, b"photo") as spooled:
        assert storage.save(NAME, spooled) == NAME
    assert (tmp_path / "blobs" / NAME).read_bytes() == b"photo"
    # The file's folder for the file's own entry, then each folder made (cd, ab, originals,
    # blobs) synced into its parent, deepest first.
    assert synced == [tmp_path / "blobs/originals/ab/cd", tmp_path / "blobs/originals/ab",
                      tmp_path / "blobs/originals", tmp_path / "blobs", tmp_path]


def test_a_new_leaf_folder_is_synced_into_its_existing_parent(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    synced = _synced(monkeypatch)
    with _spool(tmp_path, b"second", "2.part") as spooled:
        storage.save("originals/ab/ef/abef5678", spooled)
    assert synced == [tmp_path / "blobs/originals/ab/ef", tmp_path / "blobs/originals/ab"]


def test_a_folder_that_is_a_file_is_an_error(
        storage: LocalBlobStorage, tmp_path: Path) -> None:
    (tmp_path / "blobs/originals").mkdir(parents=True)
    (tmp_path / "blobs/originals/ab").write_bytes(b"not a folder")
    with pytest.raises(OSError), _spool(tmp_path, b"photo") as spooled:
        storage.save(NAME, spooled)


def test_a_file_where_a_folder_must_be_made_is_an_error_that_names_it(tmp_path: Path) -> None:
    """make_missing's mkdir answers EEXIST for a folder and for a file alike: a file is not
    taken for the folder (listed as made, then synced as one), it is the error, and it is left
    as it was. The partial uploads' folder (the only caller that makes a folder before
    anything is placed in it) refuses to start on it rather than fail later, elsewhere."""
    blocker = tmp_path / "blobs/.resumable"
    blocker.parent.mkdir()
    blocker.write_bytes(b"not a folder")
    with pytest.raises(FileExistsError) as raised:
        local.make_missing(blocker)
    assert raised.value.filename == str(blocker)
    with pytest.raises(FileExistsError):
        LocalPartials(blocker)
    assert blocker.read_bytes() == b"not a folder"


def test_a_file_placed_where_the_save_makes_a_folder_fails_the_save_and_keeps_nothing(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link finds the folder missing, then a file takes the folder's name before the mkdir:
    the save fails, the file is left as it was, and no folder is synced as made."""
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    synced = _synced(monkeypatch)
    blocker = tmp_path / "blobs/originals/ab/ef"
    real_place = storage._place

    def place(final: Path, content: Any) -> None:
        if not blocker.exists():
            blocker.write_bytes(b"not a folder")  # another program, a moment after our link
            raise FileNotFoundError(final)
        real_place(final, content)

    monkeypatch.setattr(storage, "_place", place)
    with pytest.raises(OSError), _spool(tmp_path, b"photo", "2.part") as spooled:
        storage.save("originals/ab/ef/abef5678", spooled)
    assert blocker.read_bytes() == b"not a folder"
    assert synced == []


def test_a_save_into_an_existing_folder_makes_no_folder_and_syncs_it_once(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    synced = _synced(monkeypatch)
    made: list[Any] = []
    real_mkdir = os.mkdir

    def mkdir(*args: Any, **kwargs: Any) -> None:
        made.append(args)
        real_mkdir(*args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    with _spool(tmp_path, b"second", "2.part") as spooled:
        storage.save("originals/ab/cd/abcd5678", spooled)
    assert made == []
    assert synced == [tmp_path / "blobs/originals/ab/cd"]


def test_a_folder_deleted_since_the_last_save_is_made_again(
        storage: LocalBlobStorage, tmp_path: Path) -> None:
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    storage.delete(NAME)
    (tmp_path / "blobs/originals/ab/cd").rmdir()
    (tmp_path / "blobs/originals/ab").rmdir()
    with _spool(tmp_path, b"again", "2.part") as spooled:
        assert storage.save(NAME, spooled) == NAME
    assert (tmp_path / "blobs" / NAME).read_bytes() == b"again"


def test_a_missing_spool_file_is_an_error_not_a_new_folder(
        storage: LocalBlobStorage, tmp_path: Path) -> None:
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    spooled = _spool(tmp_path, b"gone", "2.part")
    spooled.path.unlink()
    with pytest.raises(FileNotFoundError), spooled:
        storage.save("originals/ab/cd/abcd5678", spooled)
    assert not (tmp_path / "blobs/originals/ab/cd/abcd5678").exists()


def test_a_whole_copy_is_kept_and_a_damaged_one_replaced(
        storage: LocalBlobStorage, tmp_path: Path) -> None:
    with _spool(tmp_path, b"photo", "1.part") as spooled:
        storage.save(NAME, spooled)
    stored = tmp_path / "blobs" / NAME
    inode = stored.stat().st_ino
    with _spool(tmp_path, b"photo", "2.part") as spooled:
        assert storage.save(NAME, spooled) == NAME
    assert stored.stat().st_ino == inode  # kept, not linked again
    stored.unlink()
    stored.write_bytes(b"pho")  # cut short
    with _spool(tmp_path, b"photo", "3.part") as spooled:
        assert storage.save(NAME, spooled) == NAME
    assert stored.read_bytes() == b"photo"
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]


def test_bytes_without_a_file_on_disk_are_written_whole_and_never_overwrite(
        storage: LocalBlobStorage, tmp_path: Path) -> None:
    assert storage.save(NAME, ContentFile(b"photo")) == NAME
    assert storage.save(NAME, ContentFile(b"photo")) == NAME
    assert (tmp_path / "blobs" / NAME).read_bytes() == b"photo"
    with pytest.raises(FileNotFoundError):
        storage.open(NAME + "x")


def test_folders_made_are_synced_even_when_another_save_placed_the_file_first(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link finds the folder missing, the folder is made, and by the second link another
    process has placed the same bytes: the folder made here is still synced into its parent."""
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    synced = _synced(monkeypatch)
    target = tmp_path / "blobs/originals/ab/ef/abef5678"
    real_place = storage._place

    def place(final: Path, content: Any) -> None:
        if final.parent.is_dir():  # the other process wins the race once the folder exists
            final.write_bytes(b"photo")
        real_place(final, content)

    monkeypatch.setattr(storage, "_place", place)
    with _spool(tmp_path, b"photo", "2.part") as spooled:
        storage.save("originals/ab/ef/abef5678", spooled)
    assert target.read_bytes() == b"photo"
    assert synced == [tmp_path / "blobs/originals/ab"]


def test_the_partial_uploads_folder_is_synced_into_its_parents_when_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resumable upload's acknowledged offset lives in .resumable/: a crash must not take the
    folder's own entry with it (strict POSIX: the parent's fsync makes it durable)."""
    synced = _synced(monkeypatch)
    root = tmp_path / "data" / ".resumable"
    LocalPartials(root)
    assert root.is_dir()
    assert synced == [tmp_path / "data", tmp_path]
    synced.clear()
    LocalPartials(root)  # there already: nothing to make, nothing to sync
    assert synced == []


def test_a_missing_folder_is_made_without_a_stat_first(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link's ENOENT says the folder is missing: mkdir is tried at once, and a parent only
    when that mkdir says it is missing too (no stat of each level before)."""
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    calls: list[str] = []
    real_mkdir, real_stat = os.mkdir, os.stat
    blobs = tmp_path / "blobs"

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        try:
            real_mkdir(path, *args, **kwargs)
        except OSError as exc:
            calls.append(f"mkdir {Path(path).relative_to(blobs)} {type(exc).__name__}")
            raise
        calls.append(f"mkdir {Path(path).relative_to(blobs)}")

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).startswith(str(blobs / "originals")) and Path(path).name != "ef01":
            calls.append(f"stat {Path(path).relative_to(blobs)}")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "stat", stat)
    with _spool(tmp_path, b"second", "2.part") as spooled:
        storage.save("originals/ef/01/ef01", spooled)
    assert calls == ["mkdir originals/ef/01 FileNotFoundError", "mkdir originals/ef",
                     "mkdir originals/ef/01"]
    assert (blobs / "originals/ef/01/ef01").read_bytes() == b"second"


def test_a_folder_another_process_made_meanwhile_is_synced_into_its_parent(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link finds the folder missing, then another process makes it before our mkdir: it
    may not have synced the folder's entry yet, so this save does."""
    with _spool(tmp_path, b"first", "1.part") as spooled:
        storage.save(NAME, spooled)
    synced = _synced(monkeypatch)
    real_place = storage._place
    folder = tmp_path / "blobs/originals/ab/ef"

    def place(final: Path, content: Any) -> None:
        if not folder.exists():
            folder.mkdir()  # the other process
            raise FileNotFoundError(final)  # what our link said, a moment before
        real_place(final, content)

    monkeypatch.setattr(storage, "_place", place)
    with _spool(tmp_path, b"photo", "2.part") as spooled:
        storage.save("originals/ab/ef/abef5678", spooled)
    assert synced == [folder, tmp_path / "blobs/originals/ab"]


def test_bytes_already_stored_hand_nothing_to_the_sync_thread(
        storage: LocalBlobStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _spool(tmp_path, b"photo", "1.part") as spooled:
        storage.save(NAME, spooled)
    handed: list[Any] = []
    monkeypatch.setattr(syncs.Pending, "add", lambda self, sync: handed.append(sync))
    with syncs.overlapped(), _spool(tmp_path, b"photo", "2.part") as spooled:
        assert storage.save(NAME, spooled) == NAME
    assert handed == []
