"""Spool files of multipart uploads (photos/uploads.py HashedUpload): made in the storage's
incoming folder without NamedTemporaryFile's wrappers; the folder is looked up once and made
again when it was deleted since; a name taken is skipped; a spool is removed when closed, or
when it is collected without being closed."""

from __future__ import annotations

import gc
import shutil
from typing import Any

import pytest

from imgbackup.photos import uploads
from imgbackup.photos.uploads import HashedUpload, SpoolWriter
from imgbackup.storage import incoming_dir

pytestmark = pytest.mark.backend_independent


def _spooled(data: bytes) -> HashedUpload:
    upload = HashedUpload("a.jpg", "image/jpeg", None, "file")
    writer = SpoolWriter(upload)
    writer.write(data)
    return writer.finish(len(data))


def test_a_spool_holds_the_bytes_and_is_gone_once_closed() -> None:
    upload = _spooled(b"photo bytes")
    path = upload.temporary_file_path()
    assert path.startswith(str(incoming_dir() / "upload-")) and path.endswith(".part")
    assert upload.read() == b"photo bytes" and upload.size == 11
    assert list(upload.chunks(4)) == [b"phot", b"o by", b"tes"]
    upload.close()
    upload.close()  # twice is harmless
    assert not any(incoming_dir().iterdir())


def test_the_incoming_folder_deleted_while_the_server_runs_is_made_again() -> None:
    _spooled(b"first").close()
    shutil.rmtree(incoming_dir())
    upload = _spooled(b"second")
    assert upload.read() == b"second"
    upload.close()


def test_a_name_already_taken_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = HashedUpload("a.jpg", "image/jpeg", None, "file")
    names = iter([int(taken.path.name[7:19], 16), 0xABC])
    monkeypatch.setattr(uploads.random, "getrandbits", lambda bits: next(names))
    upload = HashedUpload("b.jpg", "image/jpeg", None, "file")
    assert upload.path.name == "upload-000000000abc.part"
    upload.close()
    taken.close()


def test_a_spool_never_closed_is_removed_when_collected() -> None:
    upload: Any = _spooled(b"forgotten")
    path = upload.path
    assert path.exists()
    del upload
    gc.collect()
    assert not path.exists()
