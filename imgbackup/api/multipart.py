"""A streaming multipart/form-data parser for uploads: one reusable buffer, no copies.

Django's ``MultiPartParser`` joins, slices and re-queues every chunk of the body in Python
(``LazyStream``, ``BoundaryIter``), on top of the copies of gunicorn's readers: with them, a
6 MB photo cost about twice the CPU of the two hashes it needs (bench item 1b). Here the body
is received into one 2 MiB buffer (``imgbackup.body``), the boundary is found with the C
library's ``memmem`` (``imgbackup.bytesearch``: ``bytearray.find`` costs 3-4 times as much on
a delimiter this long) and each file's bytes are hashed and written from a ``memoryview`` of that
buffer (``photos.uploads.SpoolWriter``), so memory stays one buffer whatever the file's size.

It keeps Django's rules, so the views and their errors are unchanged: at most
DATA_UPLOAD_MAX_NUMBER_FILES files (``TooManyFilesSent``), DATA_UPLOAD_MAX_NUMBER_FIELDS fields
and DATA_UPLOAD_MAX_MEMORY_SIZE bytes of them (``TooManyFieldsSent``, ``RequestDataTooBig``),
a part with an empty or unsafe file name or headers that are not UTF-8 is skipped, and a
malformed body is ``MultiPartParserError``. A part sent with a Content-Transfer-Encoding
(deprecated by RFC 7578, sent by no client we know) is refused rather than stored encoded."""

from __future__ import annotations

import contextlib
import html
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.http import parse_header_parameters

from imgbackup.body import BodyReader, body_reader, thread_buffer
from imgbackup.bytesearch import Finder
from imgbackup.photos.uploads import HashedUpload, SpoolWriter

MAX_PART_HEAD = 1024  # one part's headers, as Django's parser (MAX_TOTAL_HEADER_SIZE)


def parse(request: HttpRequest) -> tuple[QueryDict, MultiValueDict[str, HashedUpload]]:
    """The request's fields and files, read from its body (which must not have been read)."""
    params = request.content_params  # Django parsed the Content-Type already
    if params is None:
        _, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200 or not boundary.isascii():
        raise MultiPartParserError(f"invalid boundary in multipart: {boundary[:80]!r}")
    parser = _Parser(body_reader(request), boundary.encode())
    try:
        parser.run()
    except BaseException:
        parser.close_files()
        raise
    return parser.fields, parser.files


class _Parser:
    def __init__(self, body: BodyReader, boundary: bytes) -> None:
        self.body = body
        self.first = b"--" + boundary
        self.delimiter = b"\r\n--" + boundary
        self.view = thread_buffer()
        self.buf: bytearray = self.view.obj  # type: ignore[assignment]
        self.find = Finder(self.buf).find
        self.start = self.end = 0
        self.fields = QueryDict(mutable=True)
        self.files: MultiValueDict[str, HashedUpload] = MultiValueDict()
        self.field_count = self.field_bytes = self.file_count = 0

    # --- the buffer ----------------------------------------------------------------------
    def _fill(self) -> bool:
        """Move what is unconsumed to the front and read more after it; False at the end."""
        if self.start:
            held = self.end - self.start
            self.buf[:held] = self.view[self.start:self.end]
            self.start, self.end = 0, held
        if self.end == len(self.buf):
            return True  # full: the caller consumes before asking again
        got = self.body.readinto(self.view[self.end:])
        self.end += got
        return got > 0

    def _find(self, needle: bytes) -> int:
        """The position of ``needle`` in the unconsumed bytes, reading more while the buffer
        has room; -1 if the body ends (or the buffer fills) first."""
        searched = self.start
        while True:
            found = self.find(needle, searched, self.end)
            if found >= 0:
                return found
            searched = max(self.start, self.end - len(needle) + 1)
            before = self.start
            if not self._fill():
                return -1
            searched -= before - self.start
            if self.end - self.start >= len(self.buf) and self.find(
                    needle, searched, self.end) < 0:
                return -1

    def _need(self, count: int) -> bool:
        while self.end - self.start < count:
            if not self._fill():
                return False
        return True

    # --- the body ------------------------------------------------------------------------
    def run(self) -> None:
        found = self._find(self.first)
        if found < 0:
            raise MultiPartParserError("no boundary found: the body is not the multipart "
                                       "its Content-Type says")
        self.start = found + len(self.first)
        while self._after_boundary():
            self._part()
        self._discard_rest()

    def _after_boundary(self) -> bool:
        """After a boundary: ``--`` ends the body, CRLF starts a part."""
        if not self._need(2):
            raise MultiPartParserError("the body ends right after a boundary")
        mark = bytes(self.view[self.start:self.start + 2])
        self.start += 2
        if mark == b"--":
            return False
        if mark != b"\r\n":
            raise MultiPartParserError("a boundary is followed by neither CRLF nor --")
        return True

    def _part(self) -> None:
        end = self._find(b"\r\n\r\n")
        if end < 0 or end - self.start > MAX_PART_HEAD:
            raise MultiPartParserError("a part's headers do not end (or exceed 1 KiB)")
        raw = bytes(self.view[self.start:end])
        self.start = end + 4
        try:
            headers = _headers(raw.decode())
        except (UnicodeDecodeError, ValueError):
            self._stream(None)  # Django skips such a part too
            return
        self._route(headers)

    def _route(self, headers: dict[str, str]) -> None:
        disposition = _disposition(headers.get("content-disposition", ""))
        name = disposition.get("name", "").strip()
        if not name:
            self._stream(None)
            return
        if headers.get("content-transfer-encoding", "").strip().lower() not in ("", "binary",
                                                                               "8bit"):
            raise MultiPartParserError("Content-Transfer-Encoding is not supported: send the "
                                       "bytes as they are")
        if "filename" in disposition:
            self._file(name, disposition["filename"], headers.get("content-type", ""))
        else:
            self._field(name)

    def _file(self, name: str, filename: str, content_type: str) -> None:
        self.file_count += 1
        if self.file_count > int(settings.DATA_UPLOAD_MAX_NUMBER_FILES):
            raise TooManyFilesSent("The number of files exceeded "
                                   "settings.DATA_UPLOAD_MAX_NUMBER_FILES.")
        safe = _sanitize(filename)
        if safe is None:
            self._stream(None)
            return
        kind, params = parse_header_parameters(content_type)
        upload = HashedUpload(safe, kind.strip(), params.get("charset"), name)
        upload.index = self.file_count - 1
        self.files.appendlist(name, upload)
        writer = SpoolWriter(upload)
        writer.finish(self._stream(writer))

    def _field(self, name: str) -> None:
        self.field_count += 1
        if self.field_count > int(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS) + 2:
            raise TooManyFieldsSent("The number of GET/POST parameters exceeded "
                                    "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.")
        value = bytearray()
        self._stream(value)
        self.field_bytes += len(value) + len(name) + 2
        if self.field_bytes > int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE):
            raise RequestDataTooBig("Request body exceeded "
                                    "settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        self.fields.appendlist(name, value.decode(errors="replace"))

    def _stream(self, sink: SpoolWriter | bytearray | None) -> int:
        """Hand the part's bytes, up to the next delimiter, to ``sink``; their count."""
        keep = len(self.delimiter) - 1
        total = 0
        limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        while True:
            found = self.find(self.delimiter, self.start, self.end)
            stop = found if found >= 0 else max(self.start, self.end - keep)
            if stop > self.start:
                piece = self.view[self.start:stop]
                total += stop - self.start
                if isinstance(sink, bytearray):
                    if total > limit:
                        raise RequestDataTooBig("Request body exceeded "
                                                "settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
                    sink += piece
                elif sink is not None:
                    sink.write(piece)
                self.start = stop
            if found >= 0:
                self.start = found + len(self.delimiter)
                return total
            if not self._fill():
                raise MultiPartParserError("the body ends inside a part (no closing "
                                           "boundary): it was cut off")

    def _discard_rest(self) -> None:
        """The epilogue after the closing boundary is read, so the connection can be kept."""
        self.start = self.end = 0
        while self._fill():
            self.start = self.end = 0

    def close_files(self) -> None:
        for _, group in self.files.lists():
            for upload in group:
                with contextlib.suppress(OSError):
                    upload.close()


def _headers(raw: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.split("\r\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"not a header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _disposition(value: str) -> dict[str, str]:
    """A part's Content-Disposition parameters. The shape every client we know sends (plain
    quoted name and filename) is read with one regular expression; anything else (escapes,
    RFC 2231, other spacing) by Django's parser, which builds an email message for it."""
    simple = _SIMPLE_DISPOSITION.fullmatch(value)
    if simple is None:
        return parse_header_parameters(value)[1]
    name, filename = simple.groups()
    return {"name": name} if filename is None else {"name": name, "filename": filename}


_SIMPLE_DISPOSITION = re.compile(r'form-data; name="([^"\\]*)"(?:; filename="([^"\\]*)")?')


def _sanitize(filename: str) -> str | None:
    """Django's rule: no folders, no unprintable characters, not empty, ``.`` or ``..``."""
    name = html.unescape(filename).rsplit("/")[-1].rsplit("\\")[-1]
    if not name.isprintable():
        name = "".join(char for char in name if char.isprintable())
    return None if name in {"", ".", ".."} else name
