"""Range requests on originals (v1 and v2) and derived images: 206 with the 200's headers,
416, If-Range, whole answers for what is not honoured, and owner scoping.

Run on the run's storage: local disk, or S3 under scripts/with-backends."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse
from django.test import Client, RequestFactory

from conftest import Persona, make_jpeg
from imgbackup.api.files import blob_response
from imgbackup.api.ranges import ByteRange, Unsatisfiable, parse_range
from imgbackup.photos.models import Original

pytestmark = pytest.mark.django_db

V1 = "/api/v1.0/service/image/"
# A JPEG followed by bytes that are not (they are kept): big enough for ranges to matter.
DATA = make_jpeg(11, size=(64, 48)) + os.urandom(300_000)
SIZE = len(DATA)
SHA = hashlib.sha256(DATA).hexdigest()
ETAG = f'"{SHA}"'
# What a 206 must carry exactly as the 200 does.
SAME_HEADERS = ["ETag", "Cache-Control", "X-Content-Type-Options", "Content-Type",
                "Content-Disposition", "Accept-Ranges"]

Get = Callable[..., Any]


@pytest.fixture
def stored(client: Client, alice: Persona) -> None:
    answer = client.post("/api/v2/photos", {"file": SimpleUploadedFile(
        "IMG_0011.jpg", DATA, "image/jpeg")}, **alice.auth)
    assert answer.status_code == 201, answer.content


def v1_get(client: Client, who: Persona, **headers: str) -> Any:
    return client.get(V1, {"md5": hashlib.md5(DATA).hexdigest()}, **who.auth, **headers)


def v2_get(client: Client, who: Persona, **headers: str) -> Any:
    return client.get(f"/api/v2/photos/{SHA}/original", **who.auth, **headers)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture(params=[v1_get, v2_get], ids=["v1", "v2"])
def get(request: pytest.FixtureRequest, client: Client, alice: Persona, stored: None) -> Get:
    def get(**headers: str) -> Any:
        return request.param(client, alice, **headers)

    return get  # type: ignore[no-any-return]


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-99", 0, 99),
    ("bytes=100-", 100, SIZE - 1),
    ("bytes=-50", SIZE - 50, SIZE - 1),
    ("bytes=7-7", 7, 7),
    (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
    ("bytes=1000-99999999999", 1000, SIZE - 1),  # past the end: clipped
    ("bytes=-99999999", 0, SIZE - 1),  # a suffix longer than the file: all of it
    ("Bytes=5-9", 5, 9),  # the unit is case-insensitive
    ("bytes=5-9,", 5, 9),  # an empty list element is no second range
])
def test_a_range_is_answered_206_with_those_bytes(get: Get, header: str, first: int,
                                                  last: int) -> None:
    whole = get()
    part = get(HTTP_RANGE=header)

    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert part["Content-Length"] == str(last - first + 1)
    assert body(part) == DATA[first:last + 1]
    for name in SAME_HEADERS:
        assert part.get(name) == whole.get(name), name


def test_the_whole_answer_says_ranges_are_accepted(get: Get) -> None:
    whole = get()
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Length"] == str(SIZE) and body(whole) == DATA
    assert whole["ETag"] == ETAG and "immutable" in whole["Cache-Control"]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}",
                                    "bytes=-0", f"bytes={'9' * 40}-"])
def test_a_range_past_the_end_is_416_with_the_size(get: Get, header: str) -> None:
    answer = get(HTTP_RANGE=header)

    assert answer.status_code == 416
    assert answer["Content-Range"] == f"bytes */{SIZE}"
    assert answer.content == b""
    assert "immutable" not in answer["Cache-Control"]  # never cached for the file's URL


@pytest.mark.parametrize("header", [
    "bytes=0-1,5-6",  # several ranges: no multipart/byteranges, the whole file
    "bytes=9-5",  # last before first: invalid
    "bytes=-", "bytes=abc", "bytes=1-2-3", "bytes=+1-2", "bytes=٣-", "items=0-5", "0-5",
    "bytes=0-1,",  # fine, and the next one is not
    "",
])
def test_what_is_not_one_range_gets_the_whole_file(get: Get, header: str) -> None:
    answer = get(HTTP_RANGE=header)
    if header == "bytes=0-1,":
        assert answer.status_code == 206
        return
    assert answer.status_code == 200
    assert answer["Content-Length"] == str(SIZE) and body(answer) == DATA
    assert "Content-Range" not in answer


def test_if_range_with_our_etag_keeps_the_range(get: Get) -> None:
    answer = get(HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=ETAG)
    assert answer.status_code == 206 and body(answer) == DATA[10:20]


@pytest.mark.parametrize("condition", [
    '"0000"', f"W/{ETAG}", "Wed, 21 Oct 2015 07:28:00 GMT", f'"{SHA}-thumbnail"'])
def test_if_range_with_anything_else_sends_the_whole_file(get: Get, condition: str) -> None:
    answer = get(HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=condition)
    assert answer.status_code == 200 and body(answer) == DATA
    assert "Content-Range" not in answer


def test_if_none_match_comes_before_the_range(get: Get) -> None:
    answer = get(HTTP_RANGE="bytes=10-19", HTTP_IF_NONE_MATCH=ETAG)
    assert answer.status_code == 304


def test_ranges_put_the_file_back_together_byte_for_byte(get: Get) -> None:
    pieces, first = [], 0
    for length in (1, 2, 4093, 65536, 100_000, 1):
        pieces.append(body(get(HTTP_RANGE=f"bytes={first}-{first + length - 1}")))
        first += length
    pieces.append(body(get(HTTP_RANGE=f"bytes={first}-")))
    assert b"".join(pieces) == DATA


def test_a_download_attachment_keeps_its_name_in_a_range(client: Client, alice: Persona,
                                                         stored: None) -> None:
    url = f"/api/v2/photos/{SHA}/original?download=1"
    part = client.get(url, HTTP_RANGE="bytes=0-9", **alice.auth)
    assert part.status_code == 206
    assert part["Content-Disposition"] == 'attachment; filename="IMG_0011.jpg"'


def test_another_users_photo_is_still_404_with_a_range(client: Client, alice: Persona,
                                                       bob: Persona, stored: None) -> None:
    for get in (v1_get, v2_get):
        for header in ("bytes=0-9", f"bytes={SIZE}-"):
            assert get(client, bob, HTTP_RANGE=header).status_code == 404
    anonymous = client.get(f"/api/v2/photos/{SHA}/original", HTTP_RANGE="bytes=0-9")
    assert anonymous.status_code == 401


def test_a_thumbnail_answers_ranges_too(client: Client, alice: Persona, stored: None) -> None:
    url = f"/api/v2/photos/{SHA}/thumbnail"
    whole = client.get(url, **alice.auth)
    thumb = body(whole)
    part = client.get(url, HTTP_RANGE="bytes=-100", **alice.auth)

    assert part.status_code == 206 and body(part) == thumb[-100:]
    assert part["Content-Range"] == f"bytes {len(thumb) - 100}-{len(thumb) - 1}/{len(thumb)}"
    assert part["ETag"] == whole["ETag"] == f'"{SHA}-thumbnail"'
    past = client.get(url, HTTP_RANGE=f"bytes={len(thumb)}-", **alice.auth)
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(thumb)}"


@pytest.mark.local_storage
def test_a_local_range_can_go_out_by_sendfile_from_its_offset(stored: None) -> None:
    """gunicorn sends Content-Length bytes with sendfile() from the descriptor's position."""
    from gunicorn.util import has_fileno

    original = Original.objects.get(sha256=SHA)
    request = RequestFactory().get("/", HTTP_RANGE="bytes=1000-1999")
    part = blob_response(request, original.storage_name, ETAG, "image/jpeg", size=SIZE)
    try:
        assert isinstance(part, FileResponse) and part.status_code == 206
        assert has_fileno(part.file_to_stream)
        assert os.lseek(part.file_to_stream.fileno(), 0, os.SEEK_CUR) == 1000
        assert part["Content-Length"] == "1000"
    finally:
        part.close()


@pytest.mark.parametrize(("header", "size", "expected"), [
    ("bytes=0-0", 1, ByteRange(0, 0)),
    ("bytes=2-3", 0, None),  # an empty file has nothing to range over
    (" bytes = 2-3 ", 10, ByteRange(2, 3)),  # spaces around the parts are forgiven
    ("bytes=2-3, ,", 10, ByteRange(2, 3)),
    ("bytes=-" + "9" * 5000, 10, ByteRange(0, 9)),  # no int() of 5000 digits
])
def test_parse_range_edges(header: str, size: int, expected: ByteRange | None) -> None:
    assert parse_range(header, size) == expected


def test_parse_range_refuses_a_start_past_the_end() -> None:
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=10-", 10)
