"""Send one large file with the server's resumable upload endpoint (tus 1.0.0,
``/api/v2/uploads/``), in chunks, so that a broken connection or a killed run costs at most one
chunk: the upload URL is kept in local state (``uploads.sqlite3`` beside the hash cache), keyed
by server and SHA-256, and the next run asks the server how far it got (HEAD) and goes on.

Each chunk carries its SHA-256 (``Upload-Checksum``) and the creation carries the whole file's,
so the server keeps nothing that differs from what was hashed here.

A chunk is never held in the client: it is hashed first, through one reused buffer per worker
thread, then sent from the file. To a server reached over plain HTTP with no proxy
(client/_sendfile.py) its bytes go from the page cache to the socket with sendfile; over HTTPS
or through a proxy httpx sends them as they are read, ``PIECE`` bytes at a time, so each
connection holds one piece, not one chunk. The file is read twice (hash, send): should it
change in between, the server's checksum refuses the chunk and the file fails ("run again");
should it end early, the file fails alone."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

import httpx

from imgbackup.client._api import RETRY_STATUSES, Api, checked, describe, waited_as_asked
from imgbackup.client._cache import default_path
from imgbackup.client._errors import Rejected, Unreachable
from imgbackup.client._hashing import HASH_BUFFER
from imgbackup.client._progress import Progress
from imgbackup.client._upload import Failure, FileChanged, Item, send_file_bytes

MiB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK_TYPE = "application/offset+octet-stream"
PIECE = 256 * 1024  # bytes per read of a chunk that httpx sends (HTTPS, a proxy)
_local = threading.local()  # each worker thread's hashing buffer


def threshold() -> int:
    """Files of at least this many bytes go resumable (IMGBACKUP_PUSH_RESUMABLE_MB)."""
    return int(float(os.environ.get("IMGBACKUP_PUSH_RESUMABLE_MB", "64")) * MiB)


def chunk_size() -> int:
    """Bytes per PATCH (IMGBACKUP_PUSH_CHUNK_MB): under any proxy's body limit."""
    return max(1, int(float(os.environ.get("IMGBACKUP_PUSH_CHUNK_MB", "16")) * MiB))


class UploadUrls:
    """Where each unfinished upload can be continued: (server, sha256) -> upload URL."""

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_path().with_name("uploads.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10, check_same_thread=False)
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS uploads (server TEXT, sha256 TEXT, "
                             "url TEXT, PRIMARY KEY (server, sha256))")
            self._db.commit()

    def get(self, server: str, sha256: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT url FROM uploads WHERE server = ? AND sha256 = ?",
                                   (server, sha256)).fetchone()
        return None if row is None else str(row[0])

    def put(self, server: str, sha256: str, url: str | None) -> None:
        with self._lock:
            if url is None:
                self._db.execute("DELETE FROM uploads WHERE server = ? AND sha256 = ?",
                                 (server, sha256))
            else:
                self._db.execute("INSERT OR REPLACE INTO uploads VALUES (?, ?, ?)",
                                 (server, sha256, url))
            self._db.commit()

    def close(self) -> None:
        self._db.close()


def send_resumable(api: Api, item: Item, progress: Progress,
                   stop: threading.Event) -> list[Failure]:
    """Upload ``item`` in chunks, continuing an earlier run's upload when there is one."""
    urls = UploadUrls()
    try:
        return _send(api, urls, item, progress, stop)
    except Rejected as exc:
        if exc.code == "checksum_mismatch":
            urls.put(api.url, item.sha256, None)
            return [Failure(item.path, "changed since it was read (the server's checksum "
                                       "differs); run again", True)]
        return [Failure(item.path, f"refused by the server: {exc}")]
    finally:
        urls.close()


def _send(api: Api, urls: UploadUrls, item: Item, progress: Progress,
          stop: threading.Event) -> list[Failure]:
    url, offset = _resume(api, urls, item)
    if url is None:
        url, offset = _create(api, urls, item)
    sent = 0
    try:
        with open(item.path, "rb") as f:
            if os.fstat(f.fileno()).st_size != item.size:
                return [Failure(item.path, "changed since it was read; run again", True)]
            while offset < item.size and not stop.is_set():
                size = min(chunk_size(), item.size - offset)
                body = _hashed(f, item, offset, size)
                if body is None:
                    return [Failure(item.path, "changed since it was read; run again", True)]
                before = offset
                offset = _patch(api, url, offset, body)
                sent += offset - before
                progress.advance(size=offset - before)
    except FileChanged as exc:
        progress.advance(size=-sent)
        return [Failure(item.path, exc.reason, True)]
    except OSError as exc:
        return [Failure(item.path, f"cannot be read: {exc.strerror or exc}")]
    except BaseException:
        progress.advance(size=-sent)  # not kept yet: counted again when the run resumes
        raise
    if offset >= item.size:
        urls.put(api.url, item.sha256, None)
        progress.advance(files=1)
    return []


@dataclass(frozen=True)
class FileRange:
    """``size`` bytes of a file from ``offset``, hashed (``checksum``, the SHA-256) and read
    again from the file each time the chunk is sent: by sendfile (``send_to``) or through
    httpx (``pieces``)."""

    f: BinaryIO
    item: Item
    offset: int
    size: int
    checksum: bytes

    def send_to(self, sock: socket.socket) -> None:
        self.f.seek(self.offset)
        send_file_bytes(sock, self.f, self.item, self.size, lambda n: None)

    def pieces(self) -> Iterator[bytes]:
        """The chunk's bytes, read ``PIECE`` at a time as httpx sends them; FileChanged when
        the file ends early (it fails alone, as with sendfile). A read error goes up as the
        hashing pass's does (``_send``: "cannot be read")."""
        self.f.seek(self.offset)
        left = self.size
        while left:
            piece = self.f.read(min(PIECE, left))
            if not piece:
                raise FileChanged(self.item)  # shorter than when it was hashed
            left -= len(piece)
            yield piece


def _hashed(f: io.BufferedReader, item: Item, offset: int, size: int) -> FileRange | None:
    """The chunk at ``offset`` as a FileRange, hashed through this thread's buffer; None when
    the file ends before the chunk does."""
    buffer: bytearray | None = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = bytearray(HASH_BUFFER)
    view = memoryview(buffer)
    digest = hashlib.sha256()
    f.seek(offset)
    left = size
    while left:
        n = f.readinto(view[:min(left, len(view))])
        if not n:
            return None
        digest.update(view[:n])
        left -= n
    return FileRange(f, item, offset, size, digest.digest())


def _resume(api: Api, urls: UploadUrls, item: Item) -> tuple[str | None, int]:
    url = urls.get(api.url, item.sha256)
    if url is None:
        return None, 0
    answer = _request(api, "HEAD", url)
    if answer.status_code in {404, 410}:  # expired or removed: start again
        urls.put(api.url, item.sha256, None)
        return None, 0
    checked(answer, api.url)
    return url, int(answer.headers.get("Upload-Offset", "0"))


def _create(api: Api, urls: UploadUrls, item: Item) -> tuple[str, int]:
    modified = datetime.fromtimestamp(item.mtime_ns / 1e9, UTC).isoformat()
    metadata = {"filename": os.path.basename(item.path), "modified_at": modified,  # noqa: PTH119
                "sha256": item.sha256, "filetype": item.content_type}
    answer = checked(_request(api, "POST", "uploads/", {
        "Upload-Length": str(item.size),
        "Upload-Metadata": ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                                    for k, v in metadata.items())}), api.url)
    # Absolute: httpx would put a path starting with / under its base URL.
    url = urljoin(f"{api.url}/api/v2/uploads/", answer.headers["Location"])
    urls.put(api.url, item.sha256, url)
    return url, int(answer.headers.get("Upload-Offset", "0"))


def _patch(api: Api, url: str, offset: int, body: FileRange) -> int:
    """Send ``body`` at ``offset``; the server's offset afterwards. After a failure the
    server is asked where it stands (it keeps what arrived) and the rest is sent again."""
    checksum = base64.b64encode(body.checksum).decode()
    attempt = 0
    while True:
        answer = _request(api, "PATCH", url, {
            "Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE,
            "Upload-Checksum": f"sha256 {checksum}"}, body, retry=False)
        if 0 < answer.status_code < 300:  # 0: the network failed (_request)
            return int(answer.headers["Upload-Offset"])
        if attempt >= api.retry.attempts or (
                answer.status_code not in {409, 423, *RETRY_STATUSES, 0}
                and not waited_as_asked(answer)):  # a 429: every upload slot was taken
            checked(answer, api.url)
        api.retry.pause(attempt)
        attempt += 1
        now = int(checked(_request(api, "HEAD", url), api.url).headers["Upload-Offset"])
        if now != offset:
            return now  # part of the chunk (or all of it) arrived: go on from there


def _request(api: Api, method: str, url: str, headers: dict[str, str] | None = None,
             body: FileRange | None = None, retry: bool = True) -> httpx.Response:
    """One tus request; network failures are retried (with ``retry``, 5xx too); a failure that
    outlasts the retries is Unreachable. A network failure gives a fake status 0 otherwise."""
    attempt = 0
    headers = {**TUS, **(headers or {})}
    while True:
        try:
            if body is None:
                answer = api.http.request(method, url, headers=headers)
            elif api.sends_files_to(url):
                answer = api.send_file(method, url, headers, body.size, body)
            else:  # HTTPS or a proxy: httpx sends the chunk as it is read, never whole
                answer = api.http.request(method, url, content=body.pieces(), headers={
                    **headers, "Content-Length": str(body.size)})
        except httpx.TransportError as exc:
            if attempt >= api.retry.attempts:
                raise Unreachable(f"cannot reach {api.url}: {describe(exc)}") from None
            if not retry:
                return httpx.Response(0, request=exc.request)
        else:
            if not retry or attempt >= api.retry.attempts or (
                    answer.status_code not in RETRY_STATUSES and not waited_as_asked(answer)):
                return answer
        api.retry.pause(attempt)
        attempt += 1
