"""The streaming multipart parser (api/multipart.py) against bodies cut into pieces of every
size, so boundaries, CRLFs and part headers straddle every read."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.http.multipartparser import MultiPartParserError

from imgbackup.api import multipart

BOUNDARY = "----pieces7f3a"


class Pieces:
    """A BodyReader handing out ``step`` bytes at a time."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.remaining = data, step, len(data)

    def readinto(self, view: memoryview) -> int:
        size = min(self.step, len(view), self.remaining)
        start = len(self.data) - self.remaining
        view[:size] = self.data[start:start + size]
        self.remaining -= size
        return size


def body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b"preamble\r\n"
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
                "Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\nepilogue".encode()


def parse(data: bytes, step: int) -> Any:
    parser = multipart._Parser(Pieces(data, step), BOUNDARY.encode())
    try:
        parser.run()
    finally:
        parser.close_files()
    return parser


# Bytes that look like the boundary without being one, and CRLFs at the edges.
TRICKY = b"\r\n--" + BOUNDARY[:-1].encode() + b"x\r\n\r\n" + bytes(range(256)) * 40 + b"\r\n-"


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 4096, 1 << 20])
def test_every_file_and_field_comes_out_whole_whatever_the_reads(
        step: int, db: None) -> None:
    parser = parse(body(("sha256", None, b"abc"), ("photo", "a.jpg", TRICKY),
                        ("photo", "b.jpg", b""), ("other", "c.jpg", b"x" * 5000)), step)
    assert parser.fields.getlist("sha256") == ["abc"]
    sizes = {(u.field_name, u.name): (u.size, u.sha256) for _, group in parser.files.lists()
             for u in group}
    assert sizes == {("photo", "a.jpg"): (len(TRICKY), hashlib.sha256(TRICKY).hexdigest()),
                     ("photo", "b.jpg"): (0, hashlib.sha256(b"").hexdigest()),
                     ("other", "c.jpg"): (5000, hashlib.sha256(b"x" * 5000).hexdigest())}


def test_the_spool_file_holds_exactly_the_bytes(db: None) -> None:
    parser = multipart._Parser(Pieces(body(("photo", "a.jpg", TRICKY)), 5), BOUNDARY.encode())
    parser.run()
    [upload] = parser.files.getlist("photo")
    with open(upload.temporary_file_path(), "rb") as spooled:
        assert spooled.read() == TRICKY
    assert upload.md5 == hashlib.md5(TRICKY).hexdigest()
    parser.close_files()


@pytest.mark.parametrize("cut", [20, 150, 400])
def test_a_body_cut_off_is_malformed_and_leaves_no_spool(cut: int, db: None) -> None:
    from imgbackup.storage import incoming_dir

    before = set(incoming_dir().iterdir())
    with pytest.raises(MultiPartParserError):
        parse(body(("photo", "a.jpg", TRICKY))[:cut], 3)
    assert set(incoming_dir().iterdir()) == before


@pytest.mark.parametrize("value", [
    'form-data; name="file"; filename="IMG_0001.JPG"',
    'form-data; name="file"',
    'form-data; name=""; filename="a.jpg"',
    'form-data; name="a;b"; filename="x; y=z.jpg"',
    'form-data; name="照片"; filename="日本 语.jpg"',
    'form-data; name="f"; filename="a\\"b.jpg"',
    'form-data; name="f"; filename="C:\\\\photos\\\\a.jpg"',
    "form-data; name=\"f\"; filename*=UTF-8''%E7%85%A7.jpg",
    'form-data;name="f";filename="a.jpg"',
    'Form-Data; Name="f"; FILENAME="a.jpg"',
    'form-data; name=f; filename=a.jpg',
    'form-data; name="f"; filename="a.jpg"; size=3',
    'attachment; name="f"',
    "",
])
def test_a_part_s_disposition_is_read_as_django_reads_it(value: str) -> None:
    """The regular expression for the usual shape and Django's parser for the rest agree."""
    from django.utils.http import parse_header_parameters

    assert multipart._disposition(value) == parse_header_parameters(value)[1]


@pytest.mark.parametrize(("sent", "kept"), [
    ("IMG_1.jpg", "IMG_1.jpg"), ("../../etc/passwd", "passwd"), ("a\\b.jpg", "b.jpg"),
    ("a\x00b\x1f.jpg", "ab.jpg"), ("tab\there.jpg", "tabhere.jpg"), ("..", None), ("", None),
    ("&amp;.jpg", "&.jpg"), ("照片.jpg", "照片.jpg"),
])
def test_file_names_are_cleaned_as_django_cleans_them(sent: str, kept: str | None) -> None:
    assert multipart._sanitize(sent) == kept


def test_a_delimiter_across_the_end_of_the_buffer_is_found(db: None) -> None:
    """The body buffer (2 MiB) fills up with a delimiter cut in two at its end (at every
    offset across it), near-misses just before it: each file still ends where it should."""
    from imgbackup.body import BUFFER

    head = len(body(("photo", "a.jpg", b""))) - len(f"\r\n--{BOUNDARY}--\r\nepilogue")
    near = b"\r\n--" + BOUNDARY[:-1].encode() + b"\x00"
    delimiter = len(f"\r\n--{BOUNDARY}")
    for cut in (0, 1, delimiter // 2, delimiter - 1, delimiter, delimiter + 1):
        size = BUFFER - head - delimiter + cut  # it ends `cut` bytes past the buffer
        data = (near * (size // len(near) + 1))[:size]
        parser = parse(body(("photo", "a.jpg", data), ("photo", "b.jpg", b"tail")), 1 << 30)
        assert [(u.size, u.sha256) for u in parser.files.getlist("photo")] == [
            (size, hashlib.sha256(data).hexdigest()),
            (4, hashlib.sha256(b"tail").hexdigest())], cut
