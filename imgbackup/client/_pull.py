"""``imgbackup pull DEST``: restore every photo, each verified against its SHA-256 (its id).

Each file is downloaded to a hidden ``.part`` file beside its final place, hashed while it is
written, fsynced, and renamed into place only when the hash matches, so a file under its
final name is always complete and right. A ``.part`` left by an interrupted run is continued
with an HTTP range request when the server offers ranges, else started again."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from imgbackup.client._api import RETRY_STATUSES, Api
from imgbackup.client._cache import HashCache
from imgbackup.client._errors import ClientError, ExitCode, Rejected, ServerError, Unreachable
from imgbackup.client._hashing import CHUNK, Identity, sha256_of
from imgbackup.client._layout import plan
from imgbackup.client._pool import cancel_on_error
from imgbackup.client._progress import Progress
from imgbackup.client._scan import PART_SUFFIX, LocalFile
from imgbackup.client._upload import Failure

Photo = dict[str, Any]


@dataclass
class PullReport:
    photos: int = 0  # as the library shows them: a Live Photo is one
    files: int = 0  # what is restored: a Live Photo is two (its still and its clip)
    present: int = 0  # already in DEST, verified
    downloaded: int = 0
    downloaded_bytes: int = 0
    failed: list[Failure] = field(default_factory=list)
    error: str = ""
    exit_code: int = ExitCode.OK

    def finish(self) -> PullReport:
        if not self.exit_code and self.failed:
            self.exit_code = ExitCode.FAILED
        return self


@dataclass(frozen=True)
class _Done:
    file: LocalFile
    photo: Photo
    downloaded: bool


def pull(api: Api, cache: HashCache, dest: Path, *, since: str | None, jobs: int,
         progress: Progress) -> PullReport:
    report = PullReport()
    try:
        items = list(api.photos(**({"since": since} if since else {})))
        photos = with_motion(items)
        report.photos, report.files = len(items), len(photos)
        paths = plan(photos)
        targets = [(photo, dest / paths[photo["id"]]) for photo in photos]
        todo = [(photo, target) for photo, target in targets
                if not _known(cache, photo, target)]
        report.present = len(photos) - len(todo)
        _fetch_all(api, cache, todo, jobs, progress, report)
    except ClientError as exc:
        report.error, report.exit_code = str(exc), exc.exit_code
    return report.finish()


def with_motion(photos: Iterable[Photo]) -> list[Photo]:
    """Every file to restore: the items, and after each Live Photo its clip (a file of its own
    that the list does not show), with its own name, on its still's day."""
    files: list[Photo] = []
    for photo in photos:
        files.append(photo)
        clip = photo.get("motion")
        if isinstance(clip, dict) and isinstance(clip.get("id"), str):
            files.append({"id": clip["id"], "filename": clip.get("filename") or "",
                          "size": clip.get("size"), "content_type": clip.get("content_type"),
                          "taken_at": photo.get("taken_at"),
                          "uploaded_at": photo.get("uploaded_at")})
    return files


def _known(cache: HashCache, photo: Photo, target: Path) -> bool:
    """Whether ``target`` holds the photo, by the cache alone (no file contents read)."""
    try:
        st = target.stat()
    except OSError:
        return False
    known = cache.get(LocalFile(str(target), st.st_size, st.st_mtime_ns))
    return known is not None and known.sha256 == photo["id"]


def _fetch_all(api: Api, cache: HashCache, todo: list[tuple[Photo, Path]], jobs: int,
               progress: Progress, report: PullReport) -> None:
    progress.start("downloading", len(todo), sum(int(p.get("size") or 0) for p, _ in todo))
    stop = threading.Event()
    with ThreadPoolExecutor(jobs) as pool:
        futures: list[Future[_Done | Failure]] = [
            pool.submit(_fetch, api, photo, target, progress, stop) for photo, target in todo
        ]
        try:
            with cancel_on_error(stop, futures):
                for future in as_completed(futures):
                    result = future.result()
                    if isinstance(result, Failure):
                        report.failed.append(result)
                        continue
                    cache.put([(result.file, Identity(result.photo.get("content_type"),
                                                      result.photo["id"]))])
                    if result.downloaded:
                        report.downloaded += 1
                        report.downloaded_bytes += result.file.size
                    else:
                        report.present += 1
        finally:
            progress.finish()


def _fetch(api: Api, photo: Photo, target: Path, progress: Progress,
           stop: threading.Event) -> _Done | Failure:
    if stop.is_set():
        return Failure(str(target), "not attempted (the run stopped)")
    try:
        if target.exists():
            return _verify_existing(photo, target, progress)
        target.parent.mkdir(parents=True, exist_ok=True)
        _download(api, photo, target, progress)
    except Rejected as exc:
        why = "no longer on the server" if exc.status == 404 else str(exc)
        return Failure(str(target), why)
    except _Mismatch as exc:
        return Failure(str(target), str(exc))
    except OSError as exc:
        return Failure(str(target), f"cannot be written: {exc.strerror or exc}")
    st = target.stat()
    return _Done(LocalFile(str(target), st.st_size, st.st_mtime_ns), photo, downloaded=True)


def _verify_existing(photo: Photo, target: Path, progress: Progress) -> _Done | Failure:
    """A file already at the photo's place: kept if it is the photo, else left alone (it is
    not ours to overwrite) and reported."""
    st = target.stat()
    if st.st_size == photo.get("size") and sha256_of(str(target)) == photo["id"]:
        progress.advance(files=1, size=st.st_size)
        return _Done(LocalFile(str(target), st.st_size, st.st_mtime_ns), photo, downloaded=False)
    return Failure(str(target), f"a different file is already there; not overwritten "
                                f"(photo {photo['id']})")


class _Mismatch(Exception):
    pass


def _download(api: Api, photo: Photo, target: Path, progress: Progress) -> None:
    part = target.with_name(f".{target.name}.{photo['id'][:12]}{PART_SUFFIX}")
    attempt = 0
    while True:
        try:
            digest = _download_once(api, photo, part, progress)
            break
        except (httpx.TransportError, Unreachable) as exc:
            error: Exception = exc
        except ServerError as exc:
            if exc.status not in RETRY_STATUSES:
                raise
            error = exc
        if attempt >= api.retry.attempts:
            if isinstance(error, httpx.TransportError):
                raise Unreachable(f"lost {api.url} while downloading: {error}") from None
            raise error
        api.retry.pause(attempt)
        attempt += 1
    if digest != photo["id"]:
        part.unlink(missing_ok=True)
        raise _Mismatch(f"downloaded bytes hash to {digest}, not {photo['id']}; not kept")
    _set_mtime(part, photo)
    part.replace(target)


def _download_once(api: Api, photo: Photo, part: Path, progress: Progress) -> str:
    """Download into ``part`` (continuing it when the server answers the range) and return
    the SHA-256 of the whole file."""
    offset = part.stat().st_size if part.exists() else 0
    if offset >= int(photo.get("size") or 0):
        offset = 0  # complete or larger: a previous run wrote something we cannot trust
    try:
        with api.original(photo["id"], offset) as response:
            digest = _write_part(api, response, part, offset, progress)
    except Rejected as exc:
        if exc.status != 416 or not offset:
            raise
        # The server holds fewer bytes under that id than the part has: it cannot be
        # continued, and kept it would fail the same way on every run.
        part.unlink(missing_ok=True)
        raise ServerError(f"{api.url} cannot continue the partial download; starting over",
                          502) from None
    progress.advance(files=1)
    return digest


def _write_part(api: Api, response: httpx.Response, part: Path, offset: int,
                progress: Progress) -> str:
    """Write ``response`` into ``part`` (appended when it is the range asked for) and return
    the SHA-256 of the whole part."""
    # A 206 for another range than asked would splice the wrong bytes: the retry starts
    # over. A 200 is the whole file: written from the start, over the old part.
    resumed = response.status_code == 206 and offset > 0 and response.headers.get(
        "content-range", "").startswith(f"bytes {offset}-")
    if response.status_code == 206 and not resumed:
        part.unlink(missing_ok=True)
        raise ServerError(f"{api.url} answered an unexpected range", 502)
    digest = hashlib.sha256()
    if resumed:
        with part.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    with part.open("ab" if resumed else "wb") as f:
        for chunk in response.iter_bytes():  # as they arrive: a cut loses nothing
            f.write(chunk)
            digest.update(chunk)
            progress.advance(size=len(chunk))
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def _set_mtime(path: Path, photo: Photo) -> None:
    """The file's time is when the photo was taken, as file managers and ``push`` expect."""
    try:
        taken = datetime.fromisoformat(str(photo.get("taken_at")))
    except ValueError:
        return
    ts = taken.timestamp()
    os.utime(path, (ts, ts))
