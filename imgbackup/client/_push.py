"""``imgbackup push``: scan, identify (through the cache), ask the server what it lacks, send
only that, in parallel, streaming from disk. Large files go in chunks through the resumable
upload endpoint (client/_resumable.py), so a killed run goes on inside the file.

An interrupted push needs no journal: the cache keeps the hashes already computed and the
server keeps what arrived, so running the same command again sends only the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from imgbackup.client import _resumable as resumable
from imgbackup.client._albums import AlbumOf, file_into_albums
from imgbackup.client._api import Api
from imgbackup.client._cache import HashCache
from imgbackup.client._errors import ClientError, ExitCode, Rejected
from imgbackup.client._hashing import Identity, identify, named_type
from imgbackup.client._pool import cancel_on_error
from imgbackup.client._progress import Progress
from imgbackup.client._scan import LocalFile, ScanError, scan
from imgbackup.client._upload import Failure, Item, send_batch

CACHE_FLUSH = 256  # hashes kept in memory before they are committed to the cache
BATCH_FILES = 16  # small files travel together: one request's overhead for many photos
BATCH_BYTES = 8 * 1000 * 1000


@dataclass
class PushReport:
    dry_run: bool = False
    files_seen: int = 0
    images: int = 0
    not_images: int = 0
    read: int = 0  # files whose contents were read (a cache miss)
    read_bytes: int = 0
    duplicates: int = 0  # the same bytes under another path: sent once
    already_backed_up: int = 0
    in_trash: int = 0  # backed up, but found in the server's trash
    restore: bool = True  # take photos found in the trash out of it (not with --no-restore)
    restored: int = 0  # of those, taken out of the trash by this run
    uploaded: int = 0
    in_albums: int = 0  # with --album / --album-from-folder: photos now in those albums
    uploaded_bytes: int = 0
    would_upload: list[str] = field(default_factory=list)
    would_upload_bytes: int = 0
    failed: list[Failure] = field(default_factory=list)
    error: str = ""  # why the run stopped early, if it did
    exit_code: int = ExitCode.OK

    def finish(self) -> PushReport:
        if not self.exit_code and self.failed:
            self.exit_code = ExitCode.FAILED
        return self


def push(api: Api, cache: HashCache, paths: Iterable[str], *, jobs: int, dry_run: bool,
         progress: Progress, restore: bool = True,
         album_of: AlbumOf | None = None) -> PushReport:
    """Back ``paths`` up. Photos found in the server's trash are restored (unless ``restore``
    is false): the person is backing them up now, and the trash would destroy them."""
    report = PushReport(dry_run=dry_run, restore=restore)
    try:
        api.me()  # a bad token or a server that is down is told before any file is read
    except ClientError as exc:
        report.error, report.exit_code = str(exc), exc.exit_code
        return report
    files = _scan(paths, report)
    images = _identify(files, cache, jobs, progress, report)
    unique: dict[str, Item] = {}
    for item in images:
        if item.sha256 in unique:
            report.duplicates += 1
        else:
            unique[item.sha256] = item
    try:
        answer = api.check(sorted(unique))
        report.already_backed_up = len(answer.present)
        report.in_trash = len(answer.trashed)
        todo = [item for sha, item in sorted(unique.items(), key=lambda kv: kv[1].path)
                if sha not in answer.present]
        if dry_run:
            report.would_upload = [item.path for item in todo]
            report.would_upload_bytes = sum(item.size for item in todo)
        else:
            if restore:
                trashed = [unique[sha] for sha in sorted(answer.trashed) if sha in unique]
                _restore(api, trashed, jobs, report)
            _upload(api, cache, todo, jobs, progress, report)
            if album_of is not None:
                report.in_albums = _file(api, unique, album_of, report)
    except ClientError as exc:
        report.error, report.exit_code = str(exc), exc.exit_code
    return report.finish()


def _file(api: Api, unique: dict[str, Item], album_of: AlbumOf, report: PushReport) -> int:
    """Every photo of this run that the server now has, into its album."""
    failed = {failure.path for failure in report.failed}
    wanted: dict[str, list[str]] = {}
    for sha, item in unique.items():
        if item.path not in failed:
            wanted.setdefault(album_of(item.path), []).append(sha)
    return file_into_albums(api, wanted) if wanted else 0


def _scan(paths: Iterable[str], report: PushReport) -> list[LocalFile]:
    files: list[LocalFile] = []
    for found in scan(paths):
        if isinstance(found, ScanError):
            report.failed.append(Failure(found.path, found.reason))
        else:
            files.append(found)
    report.files_seen = len(files)
    return files


def _identify(files: list[LocalFile], cache: HashCache, jobs: int, progress: Progress,
              report: PushReport) -> list[Item]:
    """Images among ``files`` with their hashes: from the cache when size and mtime match,
    else by reading them (in parallel: hashlib releases the GIL on large buffers)."""
    images: list[Item] = []
    unknown: list[LocalFile] = []
    for f in files:
        known = cache.get(f)
        # "Not an image" remembered by an older client, which skipped damaged photos unread.
        if known is None or (known.content_type is None and named_type(f.path)):
            unknown.append(f)
        else:
            _count(images, report, f, known)
    if unknown:
        progress.start("reading", len(unknown), sum(f.size for f in unknown))
        pending: list[tuple[LocalFile, Identity]] = []
        for f, result in _read_all(unknown, jobs, progress):
            if isinstance(result, str):
                report.failed.append(Failure(f.path, result))
                continue
            report.read += 1
            report.read_bytes += f.size
            pending.append((f, result))
            _count(images, report, f, result)
            if len(pending) >= CACHE_FLUSH:
                cache.put(pending)
                pending.clear()
        cache.put(pending)
        progress.finish()
    return images


def _count(images: list[Item], report: PushReport, f: LocalFile, ident: Identity) -> None:
    if ident.content_type and ident.sha256:
        report.images += 1
        images.append(Item(f.path, f.size, f.mtime_ns, ident.content_type, ident.sha256))
    else:
        report.not_images += 1


def _read_all(files: list[LocalFile], jobs: int,
              progress: Progress) -> Iterator[tuple[LocalFile, Identity | str]]:
    def one(f: LocalFile) -> tuple[LocalFile, Identity | str]:
        try:
            ident, st = identify(f.path)
        except FileNotFoundError:
            return f, "vanished before it could be read"
        except OSError as exc:
            return f, f"cannot be read: {exc.strerror or exc}"
        finally:
            progress.advance(files=1, size=f.size)
        return LocalFile(f.path, st.st_size, st.st_mtime_ns), ident

    with ThreadPoolExecutor(jobs) as pool:
        yield from pool.map(one, files)


def _upload(api: Api, cache: HashCache, todo: list[Item], jobs: int, progress: Progress,
            report: PushReport) -> None:
    progress.start("uploading", len(todo), sum(item.size for item in todo))
    stop = threading.Event()  # set on a fatal error: workers start nothing new
    with ThreadPoolExecutor(jobs) as pool:
        large = [item for item in todo if item.size >= resumable.threshold()]
        small = [item for item in todo if item.size < resumable.threshold()]
        futures: list[Future[list[Failure]]] = [
            pool.submit(send_batch, api, batch, progress, stop) for batch in _batches(small)
        ] + [pool.submit(resumable.send_resumable, api, item, progress, stop) for item in large]
        try:
            with cancel_on_error(stop, futures):
                for future in as_completed(futures):
                    for failure in future.result():
                        report.failed.append(failure)
                        if failure.stale:
                            cache.forget(failure.path)
        finally:
            report.uploaded = progress.files
            report.uploaded_bytes = progress.bytes
            progress.finish()


def _restore(api: Api, items: list[Item], jobs: int, report: PushReport) -> None:
    def one(item: Item) -> Failure | None:
        try:
            api.restore(item.sha256)
        except Rejected as exc:  # deleted for good since the check, say
            return Failure(item.path, f"in the server's trash, and not restored: {exc}")
        return None

    with ThreadPoolExecutor(jobs) as pool:
        for failure in pool.map(one, items):
            if failure is None:
                report.restored += 1
            else:
                report.failed.append(failure)


def _batches(items: list[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    for item in items:
        if batch and (len(batch) >= BATCH_FILES or size + item.size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch

