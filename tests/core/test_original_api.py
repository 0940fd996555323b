"""The original image API: contract, and each defect of the original design fixed."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from conftest import Persona, make_jpeg, make_png
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.trash import destroy, restore

URL = "/api/v1.0/service/image/"
pytestmark = pytest.mark.django_db


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post(client: Client, who: Persona | None, fields: dict[str, Any]) -> Any:
    headers = who.auth if who else {}
    return client.post(URL, fields, **headers)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def stored_files(root: Path) -> list[Path]:
    return [p for p in (root / "originals").rglob("*") if p.is_file()] if root.exists() else []


def test_it_keeps_every_file_of_a_field_not_only_the_last(client: Client, alice: Persona) -> None:
    a, b, c = make_jpeg(1), make_jpeg(2), make_png(3)
    r = post(client, alice, {"photos": [upload("a.jpg", a), upload("b.jpg", b)],
                             "other": upload("c.png", c, "image/png")})
    assert r.status_code == 200
    assert r.json() == {"result_code": 0, "message": "post success.", "data": [
        {"name": "photos", "md5": md5(a)}, {"name": "photos", "md5": md5(b)},
        {"name": "other", "md5": md5(c)}]}
    assert Photo.objects.filter(owner=alice.user).count() == 3


def test_it_serves_the_real_content_type_not_jpg(client: Client, alice: Persona) -> None:
    png = make_png(4)
    post(client, alice, {"f": upload("looks-like.jpg", png, "image/jpeg")})
    r = client.get(URL, {"md5": md5(png)}, **alice.auth)
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert b"".join(r.streaming_content) == png  # type: ignore[attr-defined]


def test_it_answers_an_etag_and_304_for_a_known_copy(client: Client, alice: Persona) -> None:
    data = make_jpeg(5)
    post(client, alice, {"f": upload("a.jpg", data)})
    r = client.get(URL, {"md5": md5(data)}, **alice.auth)
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    assert r["ETag"] == etag
    assert "immutable" in r["Cache-Control"]
    again = client.get(URL, {"md5": md5(data)}, HTTP_IF_NONE_MATCH=etag, **alice.auth)
    assert again.status_code == 304


def test_it_stores_bytes_by_sha256_durably_named(client: Client, alice: Persona,
                                                 _blob_root: Path) -> None:
    data = make_jpeg(6)
    post(client, alice, {"f": upload("a.jpg", data)})
    sha = hashlib.sha256(data).hexdigest()
    (path,) = stored_files(_blob_root)
    assert path.name == sha and path.read_bytes() == data
    assert Original.objects.get(sha256=sha).md5 == md5(data)


def test_uploading_the_same_bytes_twice_keeps_one_photo(client: Client, alice: Persona,
                                                        _blob_root: Path) -> None:
    data = make_jpeg(7)
    first = post(client, alice, {"f": upload("a.jpg", data)})
    second = post(client, alice, {"g": upload("copy.jpg", data)})
    assert first.status_code == second.status_code == 200
    assert second.json()["data"] == [{"name": "g", "md5": md5(data)}]
    assert Photo.objects.filter(owner=alice.user).count() == 1
    assert len(stored_files(_blob_root)) == 1


def test_two_users_same_bytes_two_photos_one_original(client: Client, alice: Persona,
                                                      bob: Persona, _blob_root: Path) -> None:
    data = make_jpeg(8)
    post(client, alice, {"f": upload("a.jpg", data)})
    post(client, bob, {"f": upload("b.jpg", data)})
    assert Photo.objects.count() == 2
    assert Original.objects.count() == 1
    assert len(stored_files(_blob_root)) == 1


def test_one_users_delete_never_touches_anothers_photo(client: Client, alice: Persona,
                                                       bob: Persona, _blob_root: Path) -> None:
    data = make_jpeg(9)
    post(client, alice, {"f": upload("a.jpg", data)})
    post(client, bob, {"f": upload("b.jpg", data)})
    r = client.delete(f"{URL}?md5={md5(data)}", **alice.auth)
    assert r.json() == {"result_code": 0, "message": "remove success."}
    destroy(Photo.objects.get(owner=alice.user))  # even destroyed for good, not only trashed
    got = client.get(URL, {"md5": md5(data)}, **bob.auth)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == data  # type: ignore[attr-defined]
    assert len(stored_files(_blob_root)) == 1


def test_the_last_destroy_removes_the_bytes(client: Client, alice: Persona,
                                            _blob_root: Path) -> None:
    data = make_jpeg(10)
    post(client, alice, {"f": upload("a.jpg", data)})
    destroy(Photo.objects.get())
    assert stored_files(_blob_root) == []
    assert Original.objects.count() == 0


def test_delete_moves_to_the_trash_and_restore_brings_it_back(client: Client,
                                                             alice: Persona) -> None:
    data = make_jpeg(11)
    post(client, alice, {"f": upload("a.jpg", data)})
    assert client.delete(f"{URL}?md5={md5(data)}", **alice.auth).status_code == 200
    photo = Photo.objects.get()
    assert photo.trashed_at is not None
    assert client.get(URL, {"md5": md5(data)}, **alice.auth).status_code == 404
    assert client.delete(f"{URL}?md5={md5(data)}", **alice.auth).status_code == 404
    restore(photo)
    assert client.get(URL, {"md5": md5(data)}, **alice.auth).status_code == 200


def test_uploading_a_trashed_photo_again_brings_it_back(client: Client, alice: Persona) -> None:
    data = make_jpeg(12)
    post(client, alice, {"f": upload("a.jpg", data)})
    client.delete(f"{URL}?md5={md5(data)}", **alice.auth)
    assert post(client, alice, {"f": upload("a.jpg", data)}).status_code == 200
    assert Photo.objects.get().trashed_at is None


def test_another_users_photo_is_404_never_403(client: Client, alice: Persona,
                                              bob: Persona) -> None:
    data = make_jpeg(13)
    post(client, alice, {"f": upload("a.jpg", data)})
    for method in (client.get, client.delete):
        r = method(f"{URL}?md5={md5(data)}", **bob.auth)
        assert r.status_code == 404
        assert r.json() == {"result_code": -102, "message": "photo not found"}
    assert Photo.objects.get().trashed_at is None


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_anonymous_calls_are_refused_in_the_envelope(client: Client, method: str) -> None:
    r = getattr(client, method)(f"{URL}?md5={'0' * 32}")
    assert r.status_code == 401
    assert r.json()["result_code"] == -500
    assert r["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer ib_not-a-real-token", "Basic YWxpY2U6eA==",
                                    "Bearer", "ib_xyz"])
def test_bad_credentials_are_refused(client: Client, alice: Persona, header: str) -> None:
    r = client.get(URL, {"md5": "0" * 32}, HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert r.json()["result_code"] == -500


def test_an_anonymous_upload_stores_nothing(client: Client, db: None, _blob_root: Path) -> None:
    r = client.post(URL, {"f": upload("a.jpg", make_jpeg(14))})
    assert r.status_code == 401
    assert stored_files(_blob_root) == [] and Photo.objects.count() == 0


@pytest.mark.parametrize("query,status,code", [
    ({}, 400, -101),
    ({"md5": ""}, 400, -101),
    ({"md5": "abc"}, 400, -101),
    ({"md5": "z" * 32}, 400, -101),
    ({"md5": "' OR 1=1 --"}, 400, -101),
    ({"md5": "../../etc/passwd"}, 400, -101),
    ({"md5": "0" * 32}, 404, -102),
])
def test_bad_md5_parameters(client: Client, alice: Persona, query: dict[str, str], status: int,
                            code: int) -> None:
    for method in ("get", "delete"):
        target = URL + ("?md5=" + query["md5"] if "md5" in query else "")
        r = getattr(client, method)(target, **alice.auth)
        assert r.status_code == status
        assert r.json()["result_code"] == code
        assert r.json()["message"]


def test_not_an_image_is_415_whatever_its_name(client: Client, alice: Persona,
                                               _blob_root: Path) -> None:
    r = post(client, alice, {"f": upload("photo.jpg", b"%PDF-1.4 not a photo", "image/jpeg")})
    assert r.status_code == 415
    body = r.json()
    assert body["result_code"] == -100
    assert "photo.jpg" in body["message"]
    assert body["rejected"][0]["status"] == 415
    assert stored_files(_blob_root) == []


def test_a_rejected_file_does_not_lose_the_others(client: Client, alice: Persona) -> None:
    good = make_jpeg(15)
    r = post(client, alice, {"f": [upload("good.jpg", good), upload("bad.jpg", b"hello")]})
    assert r.status_code == 207
    body = r.json()
    assert body["result_code"] == -100
    assert body["data"] == [{"name": "f", "md5": md5(good)}]
    assert [x["filename"] for x in body["rejected"]] == ["bad.jpg"]
    assert client.get(URL, {"md5": md5(good)}, **alice.auth).status_code == 200


def test_an_empty_file_is_refused(client: Client, alice: Persona) -> None:
    r = post(client, alice, {"f": upload("empty.jpg", b"")})
    assert r.status_code == 415
    assert "empty" in r.json()["message"]


def test_a_request_with_no_file_is_400(client: Client, alice: Persona) -> None:
    r = post(client, alice, {"note": "no file here"})
    assert r.status_code == 400
    assert r.json()["result_code"] == -101


def test_a_json_body_is_refused_clearly(client: Client, alice: Persona) -> None:
    r = client.post(URL, '{"x": 1}', content_type="application/json", **alice.auth)
    assert r.status_code == 415
    assert "multipart" in r.json()["message"]


def test_a_broken_multipart_body_is_400(client: Client, alice: Persona) -> None:
    r = client.post(URL, b"garbage", content_type="multipart/form-data", **alice.auth)
    assert r.status_code == 400
    assert r.json()["result_code"] == -101


def test_an_oversized_body_is_413_before_it_is_read(client: Client, alice: Persona,
                                                    settings: Any) -> None:
    settings.MAX_UPLOAD_MB = 1
    big = make_jpeg(16) + b"\0" * (3 * 1024 * 1024)
    r = post(client, alice, {"f": upload("big.jpg", big)})
    assert r.status_code == 413
    assert r.json()["result_code"] == -100
    assert "IMGBACKUP_MAX_UPLOAD_MB" in r.json()["message"]
    assert Photo.objects.count() == 0


def test_a_decompression_bomb_is_refused_from_its_header(client: Client, alice: Persona,
                                                         settings: Any) -> None:
    settings.MAX_PIXELS = 10_000
    buf = io.BytesIO()
    Image.new("L", (200, 200)).save(buf, "PNG")
    r = post(client, alice, {"f": upload("bomb.png", buf.getvalue(), "image/png")})
    assert r.status_code == 413
    assert "pixels" in r.json()["message"]


def test_unknown_methods_answer_405_in_the_envelope(client: Client, alice: Persona) -> None:
    r = client.put(URL, b"", **alice.auth)
    assert r.status_code == 405
    assert r.json()["result_code"] == -100


def test_the_file_name_is_display_metadata_only(client: Client, alice: Persona,
                                                _blob_root: Path) -> None:
    data = make_jpeg(17)
    post(client, alice, {"f": upload("../../evil\nname.jpg", data)})
    photo = Photo.objects.get()
    assert "/" not in photo.filename and "\n" not in photo.filename
    assert all(p.name == photo.original_id for p in stored_files(_blob_root))


def test_the_path_without_trailing_slash_works_too(client: Client, alice: Persona) -> None:
    r = client.post(URL.rstrip("/"), {"f": upload("a.jpg", make_jpeg(18))}, **alice.auth)
    assert r.status_code == 200


def test_a_damaged_stored_copy_is_repaired_by_the_next_upload(client: Client, alice: Persona,
                                                              _blob_root: Path) -> None:
    data = make_jpeg(19)
    post(client, alice, {"f": upload("a.jpg", data)})
    (path,) = stored_files(_blob_root)
    path.write_bytes(data[: len(data) // 2])  # a disk lost the tail
    post(client, alice, {"f": upload("a.jpg", data)})
    assert path.read_bytes() == data
