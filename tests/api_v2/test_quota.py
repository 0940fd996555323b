"""Storage quotas (issue 18): enforced on every upload path before the bytes are stored (413
``quota_exceeded``; the original API keeps its envelope), shown in GET /me, set with
``imgbackup quota``, a default for new users; a deduplicated original counts once per owner."""

from __future__ import annotations

import hashlib
from io import StringIO
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.management import CommandError, call_command
from django.test import Client

from api_v2.conftest import call, jpeg_file
from imgbackup.accounts.quotas import quota_of, set_quota
from imgbackup.accounts.users import create_user
from imgbackup.photos.models import Original, original_name
from imgbackup.photos.quota import usage_of
from imgbackup.sizes import format_size, parse_size
from imgbackup.storage import blobs, incoming_dir

V1 = "/api/v1.0/service/image/"
SIZE = len(make_jpeg(1))


def v2_upload(client: Client, persona: Persona | None, seed: int) -> Any:
    auth = persona.auth if persona else {}
    return client.post("/api/v2/photos", {"f": jpeg_file(seed)}, **auth)


def stored(seed: int) -> bool:
    sha = hashlib.sha256(make_jpeg(seed)).hexdigest()
    return Original.objects.filter(sha256=sha).exists() or blobs().exists(original_name(sha))


def test_an_upload_past_the_quota_is_413_and_nothing_is_stored(
        client: Client, alice: Persona) -> None:
    set_quota(alice.user, SIZE + 10)
    assert v2_upload(client, alice, 1).status_code == 201
    refused = v2_upload(client, alice, 2)
    assert refused.status_code == 413, refused.content
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded" and "quota" in error["message"]
    assert not stored(2)


def test_the_original_api_keeps_its_envelope(client: Client, alice: Persona) -> None:
    set_quota(alice.user, 10)
    refused = client.post(V1, {"f": jpeg_file(3)}, **alice.auth)
    assert refused.status_code == 413
    assert refused.json()["result_code"] == -100 and "quota" in refused.json()["message"]
    assert not stored(3)


def test_the_web_app_upload_is_refused_too(alice: Persona) -> None:
    set_quota(alice.user, 10)
    web = Client()
    web.force_login(alice.user)
    refused = web.post("/api/v2/photos", {"f": jpeg_file(4)})
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "quota_exceeded"
    assert not stored(4)


@pytest.mark.parametrize("path", ["/api/v2/photos", V1])
def test_a_body_larger_than_the_room_left_is_refused_before_it_is_read(
        client: Client, alice: Persona, path: str) -> None:
    set_quota(alice.user, 1024 * 1024)
    # Not even multipart inside: had the body been read, the answer would be 400 (malformed).
    body = b"x" * (3 * 1024 * 1024)
    refused = client.post(path, body, content_type="multipart/form-data; boundary=b",
                          **alice.auth)
    assert refused.status_code == 413, refused.content
    answer = refused.json()
    message = answer["error"]["message"] if "error" in answer else answer["message"]
    assert "quota" in message
    # Judged from Content-Length less the framing allowance (1 MiB): a lower bound of the
    # files' size, said as one, not as the size of a body of 3 MiB.
    assert message.startswith("this upload: at least 2.0 MiB more"), message
    assert not any(incoming_dir().iterdir()), "nothing of it may be spooled"


def test_bytes_the_user_has_already_are_never_refused(client: Client, alice: Persona) -> None:
    assert v2_upload(client, alice, 1).status_code == 201
    set_quota(alice.user, SIZE)  # full
    assert v2_upload(client, alice, 1).status_code == 200


def test_a_shared_original_counts_once_for_each_owner(
        client: Client, alice: Persona, bob: Persona) -> None:
    assert v2_upload(client, alice, 1).status_code == 201
    assert v2_upload(client, bob, 1).status_code == 201
    assert v2_upload(client, alice, 2).status_code == 201
    assert usage_of(alice.user) == SIZE + len(make_jpeg(2))
    assert usage_of(bob.user) == SIZE
    set_quota(bob.user, SIZE + 5)
    assert v2_upload(client, bob, 2).status_code == 413  # stored already, but not his


def test_the_trash_counts_until_it_is_emptied(client: Client, alice: Persona) -> None:
    photo = v2_upload(client, alice, 1).json()["items"][0]["id"]
    assert call(client, "DELETE", f"/photos/{photo}", alice).status_code == 200
    assert usage_of(alice.user) == SIZE
    assert call(client, "DELETE", f"/trash/{photo}", alice).status_code == 204
    assert usage_of(alice.user) == 0


def test_me_shows_usage_and_quota_to_the_owner_only(
        client: Client, alice: Persona, bob: Persona) -> None:
    v2_upload(client, alice, 1)
    me = call(client, "GET", "/me", alice).json()
    assert (me["usage_bytes"], me["quota_bytes"]) == (SIZE, None)
    set_quota(alice.user, 5 * 1024**3)
    assert call(client, "GET", "/me", alice).json()["quota_bytes"] == 5 * 1024**3
    assert call(client, "GET", "/me", bob).json()["usage_bytes"] == 0
    assert call(client, "GET", "/me", None).status_code == 401


def test_anonymous_uploads_are_401_not_quota(client: Client) -> None:
    assert v2_upload(client, None, 1).status_code == 401


def test_the_quota_command_sets_and_shows(alice: Persona) -> None:
    out = StringIO()
    call_command("quota", "alice", "50G", stdout=out)
    assert quota_of(alice.user) == 50 * 1024**3 and "quota 50.0 GiB" in out.getvalue()
    call_command("quota", "alice", "none", stdout=out)
    assert quota_of(alice.user) is None
    with pytest.raises(CommandError, match="not a size"):
        call_command("quota", "alice", "lots")
    with pytest.raises(CommandError, match="no user"):
        call_command("quota", "nobody", "1G")


def test_new_users_get_the_default_quota(db: None, settings: Any) -> None:
    settings.DEFAULT_QUOTA = 500 * 1024**2
    assert quota_of(create_user("dora", "a-long-password-123")) == 500 * 1024**2
    settings.DEFAULT_QUOTA = None
    assert quota_of(create_user("eve", "a-long-password-123")) is None


@pytest.mark.parametrize(("text", "size"), [
    ("500M", 500 * 1024**2), ("50G", 50 * 1024**3), ("1.5T", int(1.5 * 1024**4)),
    ("2gib", 2 * 1024**3), ("123", 123), ("none", None), ("None", None)])
def test_sizes_are_read_as_people_write_them(text: str, size: int | None) -> None:
    assert parse_size(text) == size


def test_a_size_that_is_not_one_is_refused_clearly() -> None:
    for text in ("", "-1G", "5X", "G"):
        with pytest.raises(ValueError, match="not a size"):
            parse_size(text)
    assert format_size(1536 * 1024**2) == "1.5 GiB" and format_size(None) == "none"
