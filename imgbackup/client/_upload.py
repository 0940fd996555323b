"""Send one batch of photos as one multipart ``POST /api/v2/photos``, streaming each file from
disk, with the SHA-256 the server must verify and the file's modification time.

A file may vanish or change between the scan and the upload (a camera import still running):
such a file fails alone, with its reason; the rest of the batch goes on."""

from __future__ import annotations

import os
import socket
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, BinaryIO

import httpx

from imgbackup.client._api import Api, json_object
from imgbackup.client._errors import ClientError, Rejected
from imgbackup.client._multipart import Body, FilePart
from imgbackup.client._progress import Progress
from imgbackup.client._sendfile import ProgressHook, send_slices


@dataclass(frozen=True)
class Item:
    path: str
    size: int
    mtime_ns: int
    content_type: str
    sha256: str


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str
    stale: bool = False  # the cached hash no longer describes the file: forget it


class FileChanged(Exception):
    """Raised from inside the request body: this file cannot be sent as it was hashed."""

    def __init__(self, item: Item, reason: str = "changed while it was being sent") -> None:
        super().__init__(reason)
        self.item = item
        self.reason = reason


class _Counted:
    """A file as the multipart body reads it: at most the size that was hashed, counting
    bytes into the progress as they go out."""

    def __init__(self, f: BinaryIO, item: Item, sent: list[int], progress: Progress) -> None:
        self._f, self._item, self._sent, self._progress = f, item, sent, progress
        self._left = item.size

    def read(self, n: int = -1) -> bytes:
        want = self._left if n < 0 else min(n, self._left)
        try:
            data = self._f.read(want) if want > 0 else b""
        except OSError as exc:  # a disk error, a network share gone
            raise FileChanged(self._item, f"cannot be read: {exc.strerror or exc}") from None
        if want > 0 and not data:
            raise FileChanged(self._item)  # shorter than when it was hashed
        self._count(len(data))
        return data

    def send_to(self, sock: socket.socket) -> None:
        """Put the file's bytes on ``sock`` with sendfile (client/_sendfile.py)."""
        send_file_bytes(sock, self._f, self._item, self._left, self._count)

    def _count(self, size: int) -> None:
        self._left -= size
        self._sent[0] += size
        self._progress.advance(size=size)


def send_file_bytes(sock: socket.socket, f: BinaryIO, item: Item, size: int,
                    advance: ProgressHook) -> None:
    """Put ``size`` bytes of ``f`` from its position on ``sock`` with sendfile; FileChanged
    when the file ends early or can no longer be read (that file fails alone)."""
    try:
        sent = send_slices(sock, f, size, advance)
    except OSError as exc:
        # sendfile reads the file too: a disk error or a share gone is this file's failure;
        # anything else (a network unreachable, a reset...) is the network's: tried again.
        if isinstance(exc, ConnectionError | TimeoutError) or _readable(f):
            raise
        raise FileChanged(item, f"cannot be read: {exc.strerror or exc}") from None
    if sent < size:
        raise FileChanged(item)  # shorter than when it was hashed


def _readable(f: BinaryIO) -> bool:
    try:
        os.pread(f.fileno(), 1, f.tell())
    except OSError:
        return False
    return True


def send_batch(api: Api, batch: list[Item], progress: Progress,
               stop: threading.Event) -> list[Failure]:
    """Upload ``batch``; the files that were not kept, each with its reason."""
    failures: list[Failure] = []
    pending = list(batch)
    sent = [0]  # bytes counted into the progress by the current try

    def attempt() -> httpx.Response:
        # Each try starts the files from the beginning: take back what the last one counted.
        progress.advance(size=-sent[0])
        sent[0] = 0
        return _post(api, pending, failures, sent, progress)

    while pending and not stop.is_set():
        sent[0] = 0
        try:
            response = api.call(attempt)
        except _NothingToSend:
            break
        except FileChanged as exc:
            progress.advance(size=-sent[0])
            failures.append(Failure(exc.item.path, exc.reason, True))
            pending.remove(exc.item)
            continue
        except Rejected as exc:
            progress.advance(size=-sent[0])
            if len(pending) > 1 and not exc.body.get("rejected"):
                # Refused as a whole (too large a request?): each file on its own says why.
                for item in pending:
                    failures.extend(send_batch(api, [item], progress, stop))
                return failures
            return failures + _rejected(pending, exc.body.get("rejected") or [], str(exc),
                                        exc.code)
        except ClientError:
            progress.advance(size=-sent[0])  # not kept: not counted as sent
            raise
        refused = _rejected(pending, json_object(response).get("rejected") or [], "", "")
        progress.advance(files=len(pending) - len(refused))
        return failures + refused
    return failures


def _post(api: Api, pending: list[Item], failures: list[Failure], sent: list[int],
          progress: Progress) -> httpx.Response:
    """One try: open every file of ``pending`` (dropping those that vanished or changed, as
    failures) and post them; the i-th ``sha256`` and ``last_modified`` go with the i-th file."""
    with ExitStack() as stack:
        readable: list[Item] = []
        files: list[FilePart] = []
        for item in pending:
            try:
                f = stack.enter_context(open(item.path, "rb"))
            except FileNotFoundError:
                failures.append(Failure(item.path, "vanished before it could be sent", True))
                continue
            except OSError as exc:
                failures.append(Failure(item.path, f"cannot be read: {exc.strerror or exc}"))
                continue
            if os.fstat(f.fileno()).st_size != item.size:
                failures.append(Failure(item.path, "changed since it was read; run again", True))
                continue
            files.append(FilePart(_field(len(readable)), _display_name(item.path),
                                  item.content_type, item.size,
                                  _Counted(f, item, sent, progress)))
            readable.append(item)
        pending[:] = readable
        if not files:
            raise _NothingToSend
        fields = [("sha256", item.sha256) for item in readable] + [
            ("last_modified", str(item.mtime_ns // 1_000_000)) for item in readable]
        body = Body(fields, files)
        return api.post_body("photos", body)


class _NothingToSend(Exception):
    pass


def _field(index: int) -> str:
    return f"file{index}"


def _display_name(path: str) -> str:
    # Undecodable bytes in a name (a foreign file system) must not stop the upload.
    return os.path.basename(path).encode("utf-8", "replace").decode("utf-8")  # noqa: PTH119


def _rejected(pending: list[Item], rows: list[dict[str, Any]], message: str,
              code: str) -> list[Failure]:
    """The per-file reasons of the server's ``rejected`` list (or ``message`` for all)."""
    by_field = {_field(i): item for i, item in enumerate(pending)}
    if not rows:
        return [Failure(item.path, _why(item, message, code), code == "checksum_mismatch")
                for item in pending] if message else []
    failures = []
    for row in rows:
        item = by_field.get(str(row.get("name", "")))
        error = row.get("error") or {}
        if item is not None:
            failures.append(Failure(item.path, _why(item, str(error.get("message", "")),
                                                    str(error.get("code", ""))),
                                    error.get("code") == "checksum_mismatch"))
    return failures


def _why(item: Item, message: str, code: str) -> str:
    if code == "checksum_mismatch":
        return "changed since it was read (the server's checksum differs); run again"
    # The failure is shown after the file's path: the server's "NAME: " would say it twice.
    message = message.removeprefix(f"{_display_name(item.path)}: ")
    return f"refused by the server: {message}" if message else "refused by the server"

