"""Schema-driven fuzzing: schemathesis generates requests from the served OpenAPI document and
sends them to a real ``imgbackup serve``; no answer may be a 500 or contradict the document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from conftest import LiveServer, make_jpeg, start_server
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.specs.openapi.checks import missing_required_header, negative_data_rejection

from imgbackup.api.v2.openapi import document
from wechat.wechat_standin import StandIn, standin

USER = "fuzzer-q7x"  # a name the fuzzer will not guess, so its login failures never throttle us
PAD_TOKENS = f"""
from django.contrib.auth.models import User
from imgbackup.accounts.tokens import create_token
user = User.objects.get(username={USER!r})
for _ in range(40):
    create_token(user, "padding", numbered=True)
"""


class Session:
    """The fuzzing user's token, renewed when the fuzzer manages to revoke it."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.token = ""
        self.renew()

    def renew(self) -> None:
        answer = httpx.post(f"{self.server.url}/api/v2/auth/token",
                            json={"username": USER, "password": f"{USER}-password-123"})
        answer.raise_for_status()
        self.token = answer.json()["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def wechat() -> Iterator[StandIn]:
    """WeChat's jscode2session on loopback: fuzzed login codes get WeChat's real "invalid code"
    answer (401), and fuzzing never reaches a real outside service."""
    with standin() as fake:
        yield fake


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory,
         wechat: StandIn) -> Iterator[tuple[LiveServer, Session]]:
    server = start_server(tmp_path_factory.mktemp("fuzz"), {
        "IMGBACKUP_PURGE_INTERVAL": "0",
        "IMGBACKUP_WECHAT_APPID": "wx-fuzz",
        "IMGBACKUP_WECHAT_SECRET": "fuzz-secret",
        "IMGBACKUP_WECHAT_CODE2SESSION_URL": wechat.url,
        "IMGBACKUP_WECHAT_SIGNUP": "open",
    })
    try:
        server.imgbackup("createuser", USER, "--password", f"{USER}-password-123")
        # Tokens with low ids first: a fuzzed DELETE /tokens/1 should not hit the one in use.
        server.imgbackup("shell", "-c", PAD_TOKENS)
        session = Session(server)
        files = [("file", (f"IMG_{n}.jpg", make_jpeg(n), "image/jpeg")) for n in range(3)]
        httpx.post(f"{server.url}/api/v2/photos", files=files,
                   headers=session.headers).raise_for_status()
        yield server, session
    finally:
        server.stop()


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx: Any, value: Any) -> bytes:
    """A tus chunk is raw bytes (schemathesis only knows application/octet-stream as such)."""
    return value if isinstance(value, bytes) else str(value).encode()


# Built in-process at collection (schemathesis's lazy fixture loader does not run on this
# pytest); test_the_served_document_is_the_one_fuzzed shows the server serves the same one.
schema = schemathesis.openapi.from_dict(document())


def test_the_served_document_is_the_one_fuzzed(live: tuple[LiveServer, Session]) -> None:
    server, _ = live
    served = httpx.get(f"{server.url}/api/v2/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(document()))


def cannot_be_valid(case: Any) -> bool:
    """Requests the document cannot describe fully, so that a schema-valid one may rightly be
    refused: a made-up cursor (it is opaque), and an upload, whose file parts need a file
    name (RFC 7578) and bytes that are an image; so does a resumable upload's creation and
    chunks (their offsets and lengths must agree with what the server holds); a share link's
    expiry, which must be in the future (JSON Schema cannot say so), and a guest's upload."""
    return ("cursor" in str(case.query) or (case.method == "POST" and case.path == "/photos")
            or case.path.startswith("/uploads")
            or (case.method in {"POST", "PATCH"} and case.path.startswith("/shares"))
            or case.path == "/s/{key}/upload")


COMMON = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}
# Each login costs the server a deliberately slow password hash (about a second here).
LOGINS = "/auth/"


@schema.exclude(path_regex=LOGINS).parametrize()
@settings(max_examples=15, **COMMON)
def test_the_server_honours_its_openapi_document(case: Any,
                                                 live: tuple[LiveServer, Session]) -> None:
    fuzz(case, *live)


@schema.include(path_regex=LOGINS).parametrize()
@settings(max_examples=5, phases=[Phase.generate], **COMMON)
def test_logins_honour_the_openapi_document(case: Any, live: tuple[LiveServer, Session]) -> None:
    fuzz(case, *live)


def fuzz(case: Any, server: LiveServer, session: Session) -> None:
    response = case.call(base_url=f"{server.url}/api/v2", headers=session.headers)
    excluded: list[Any] = [positive_data_acceptance] if cannot_be_valid(case) else []
    if case.path.startswith("/uploads"):
        # tus answers a missing or wrong Tus-Resumable with 412 before reading other headers,
        # where these checks expect 400; every status is still checked against the document.
        excluded += [negative_data_rejection, missing_required_header]
    case.validate_response(response, headers=session.headers, excluded_checks=excluded)
    if case.path == "/tokens/{token_id}" and response.status_code == 204:
        session.renew()


@pytest.mark.parametrize("kind", ["original", "thumbnail"])
@pytest.mark.parametrize(("ranges", "status"), [
    ({}, 200), ({"Range": "bytes=0-99"}, 206), ({"Range": "bytes=-10"}, 206),
    ({"Range": "bytes=99999999-"}, 416), ({"Range": "bytes=0-1,5-6"}, 200),
    ({"Range": "bytes=10-", "If-Range": '"stale"'}, 200),
])
def test_range_answers_honour_the_openapi_document(live: tuple[LiveServer, Session], kind: str,
                                                   ranges: dict[str, str], status: int) -> None:
    """The fuzzer's random ids seldom name a photo: ask for one that exists, with each kind
    of Range header, and check the answer against the document too."""
    server, session = live
    photo = httpx.get(f"{server.url}/api/v2/photos", headers=session.headers).json()["items"][0]
    operation = schema[f"/photos/{{photo_id}}/{kind}"]["GET"]
    case = operation.Case(path_parameters={"photo_id": photo["id"]}, headers=ranges)
    response = case.call(base_url=f"{server.url}/api/v2", headers=session.headers)
    assert response.status_code == status
    case.validate_response(response, headers=session.headers)
