"""A ZIP of originals, written as it is sent: memory stays flat whatever the photos weigh, and
the bytes inside are the originals unchanged (stored, not recompressed: photos and videos do
not shrink, and a deflate pass would cost more CPU than the transfer it saves).

Names are the photos' display names, made unique inside the archive ("IMG_1.jpg",
"IMG_1 (2).jpg") case-insensitively, since the archive is unpacked on file systems that fold
case; a photo without a name gets its id and an extension for its type."""

from __future__ import annotations

import io
import mimetypes
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import PurePosixPath

from imgbackup.photos.models import Photo
from imgbackup.storage import blobs

CHUNK = 1024 * 1024
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can carry
ZIP64_FROM = 2**31  # past this an entry needs ZIP64 sizes, decided before it is written


class _Pipe(io.RawIOBase):
    """What zipfile writes into; drained by the generator after every write. Not seekable, so
    zipfile writes sizes after each entry's data (a data descriptor) instead of seeking back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def stream_zip(photos: Iterable[Photo], named: bool = True) -> Iterator[bytes]:
    """The ZIP of these photos' originals, a piece at a time; a Live Photo's clip follows its
    still (both files are the photo, as ``imgbackup pull`` restores them). Not ``named`` (a
    share link that hides metadata): entries are named by id and dated 1980, not by file name
    and date taken."""
    pipe = _Pipe()
    names = UniqueNames()
    storage = blobs()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for photo in with_clips(photos):
            entry = zipfile.ZipInfo(names.take(entry_name(photo, named)),
                                    _zip_time(photo.taken_at) if named else ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_STORED
            with storage.open(photo.original.storage_name, "rb") as source, \
                    archive.open(entry, "w", force_zip64=photo.original.size >= ZIP64_FROM) \
                    as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield pipe.drain()
            yield pipe.drain()
    yield pipe.drain()


def with_clips(photos: Iterable[Photo]) -> Iterator[Photo]:
    """Each photo, then its Live Photo clip if it has one; none twice."""
    seen: set[int] = set()
    for photo in photos:
        for one in (photo, photo.motion if photo.motion_id is not None else None):
            if one is not None and one.pk not in seen:
                seen.add(one.pk)
                yield one


def entry_name(photo: Photo, named: bool = True) -> str:
    name = PurePosixPath(photo.filename).name.strip(". ") if named else ""
    if name:
        return name
    extension = mimetypes.guess_extension(photo.original.content_type) or ""
    return f"{photo.original.sha256[:16]}{extension}"


class UniqueNames:
    """Hands out each name once, numbering repeats before the extension."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, name: str) -> str:
        path = PurePosixPath(name)
        candidate, number = name, 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = f"{path.stem} ({number}){path.suffix}"
        self._taken.add(candidate.casefold())
        return candidate


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """The UTC clock time, as the timeline shows it; ZIP cannot say before 1980 or after 2107."""
    stamp = moment.timetuple()[:6]
    if stamp < ZIP_EPOCH:
        return ZIP_EPOCH
    return min(stamp, (2107, 12, 31, 23, 59, 58))
