"""POST /api/v2/auth/wechat against a stand-in for WeChat's jscode2session on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import free_port
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from wechat_standin import StandIn, standin

from imgbackup.accounts import throttle
from imgbackup.accounts.models import ApiToken
from imgbackup.wechat import accounts, code2session
from imgbackup.wechat.models import WechatAccount

URL = "/api/v2/auth/wechat"


@pytest.fixture(autouse=True)
def _no_attempts_counted() -> None:
    """Every test starts with no login attempts counted from an earlier one."""
    cache.clear()


@pytest.fixture
def wechat(settings: Any) -> Iterator[StandIn]:
    with standin() as fake:
        settings.WECHAT_APPID = "wx-test-appid"
        settings.WECHAT_SECRET = "test-secret"
        settings.WECHAT_CODE2SESSION_URL = fake.url
        settings.WECHAT_SIGNUP = "open"  # test_wechat_signup.py tests approve and closed
        yield fake


def login(client: Client, code: Any, address: str = "127.0.0.1", **headers: str) -> Any:
    return client.post(URL, json.dumps({"code": code}), content_type="application/json",
                       REMOTE_ADDR=address, **headers)


def test_a_first_login_creates_a_user_and_returns_a_working_token(
        db: None, client: Client, wechat: StandIn) -> None:
    r = login(client, "ok-openid-alice")
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"token", "user"}
    account = WechatAccount.objects.get(openid="openid-alice")
    assert body["user"] == {"username": account.user.username}
    assert "openid-alice" not in account.user.username
    assert not account.user.has_usable_password()
    assert account.session_key == "sk-openid-alice"
    assert account.unionid == "u-openid-alice"
    # The token authenticates: a lookup of an unknown photo is 404, not 401.
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}
    got = client.get("/api/v1.0/service/image/", {"md5": "0" * 32}, **auth)
    assert got.status_code == 404


def test_it_sends_the_app_credentials_and_the_code_to_wechat(
        db: None, client: Client, wechat: StandIn) -> None:
    login(client, "ok-openid-alice")
    assert wechat.calls == [{"appid": "wx-test-appid", "secret": "test-secret",
                             "js_code": "ok-openid-alice", "grant_type": "authorization_code"}]


def test_it_never_sends_the_session_key_or_openid_to_the_client(
        db: None, client: Client, wechat: StandIn) -> None:
    r = login(client, "ok-openid-alice")
    assert b"sk-openid-alice" not in r.content
    assert b"openid-alice" not in r.content


def test_the_same_openid_is_the_same_user_and_the_session_key_is_renewed(
        db: None, client: Client, wechat: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    first = login(client, "ok-openid-alice").json()
    monkeypatch.setattr("wechat_standin.answer", lambda code: (200, json.dumps(
        {"openid": "openid-alice", "session_key": "sk-new"}).encode()))
    second = login(client, "ok-openid-alice").json()
    assert first["user"] == second["user"]
    assert first["token"] != second["token"]
    assert User.objects.count() == 1
    assert WechatAccount.objects.get().session_key == "sk-new"


def test_two_openids_are_two_users(db: None, client: Client, wechat: StandIn) -> None:
    alice = login(client, "ok-openid-alice").json()
    bob = login(client, "ok-openid-bob").json()
    assert alice["user"] != bob["user"]
    assert WechatAccount.objects.count() == 2


def test_it_keeps_only_the_newest_mini_program_tokens(
        db: None, client: Client, wechat: StandIn) -> None:
    tokens = [login(client, "ok-openid-alice").json()["token"]
              for _ in range(accounts.TOKENS_KEPT + 2)]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[0]}"}
    assert client.get("/api/v1.0/service/image/", {"md5": "0" * 32}, **auth).status_code == 401
    assert ApiToken.objects.count() == accounts.TOKENS_KEPT


def test_a_username_taken_by_someone_else_is_not_reused(
        db: None, client: Client, wechat: StandIn) -> None:
    taken = accounts._new_user("openid-alice").username
    r = login(client, "ok-openid-alice")
    assert r.json()["user"]["username"] == f"{taken}-2"


def test_a_disabled_user_cannot_log_in(db: None, client: Client, wechat: StandIn) -> None:
    login(client, "ok-openid-alice")
    User.objects.update(is_active=False)
    r = login(client, "ok-openid-alice")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "account_disabled"


def test_a_user_disabled_on_the_users_page_loses_wechat_login_and_token(
        db: None, client: Client, wechat: StandIn) -> None:
    token = login(client, "ok-openid-alice").json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v2/me", **auth).status_code == 200
    user = WechatAccount.objects.get(openid="openid-alice").user
    admin = User.objects.create_user("admin", is_staff=True, is_superuser=True)
    page = Client()
    page.force_login(admin)
    assert page.post(f"/users/{user.pk}/active", {"value": "0"})["Location"] == "/users"
    r = login(client, "ok-openid-alice")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "account_disabled"
    assert client.get("/api/v2/me", **auth).status_code == 401
    assert page.post(f"/users/{user.pk}/active", {"value": "1"})["Location"] == "/users"
    assert login(client, "ok-openid-alice").status_code == 200
    assert client.get("/api/v2/me", **auth).status_code == 200


@pytest.mark.parametrize(("code", "status", "error"), [
    ("err-40029", 401, "wechat_invalid_code"),
    ("err-40163", 401, "wechat_invalid_code"),
    ("err-45011", 429, "wechat_rate_limited"),
    ("err-40226", 403, "wechat_blocked"),
    ("err--1", 503, "wechat_unavailable"),
    ("err-40013", 502, "wechat_error"),
    ("http-502", 503, "wechat_unavailable"),
    ("garbage", 503, "wechat_unavailable"),
])
def test_wechat_errors_become_v2_errors(db: None, client: Client, wechat: StandIn,
                                        code: str, status: int, error: str) -> None:
    r = login(client, code)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == error
    assert body["error"]["message"]
    assert "test-secret" not in r.content.decode()
    assert not User.objects.exists()


def test_an_unreachable_wechat_is_503(db: None, client: Client, settings: Any) -> None:
    settings.WECHAT_APPID, settings.WECHAT_SECRET = "wx-test-appid", "test-secret"
    settings.WECHAT_CODE2SESSION_URL = f"http://127.0.0.1:{free_port()}/sns/jscode2session"
    r = login(client, "ok-openid-alice")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "wechat_unavailable"


def test_a_slow_wechat_times_out_as_503(db: None, client: Client, wechat: StandIn,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code2session, "TIMEOUT", httpx.Timeout(0.2))
    r = login(client, "slow")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "wechat_unavailable"


def test_without_app_credentials_it_says_so(db: None, client: Client, settings: Any) -> None:
    settings.WECHAT_APPID = ""
    r = login(client, "ok-openid-alice")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "wechat_not_configured"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"code": ""}', b'{"code": " "}',
                                  b'{"code": 5}', b'{"nocode": "x"}', b'{"code": "a\\nb"}',
                                  b'{"code": "x", "extra": 1}',
                                  json.dumps({"code": "x" * 200}).encode()])
def test_bad_input_is_400(db: None, client: Client, wechat: StandIn, body: bytes) -> None:
    r = client.post(URL, body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
    assert wechat.calls == []


def test_a_body_that_is_not_json_is_415(db: None, client: Client, wechat: StandIn) -> None:
    r = client.post(URL, {"code": "ok-openid-alice"})
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"
    assert wechat.calls == []


def test_only_post_is_allowed(db: None, client: Client) -> None:
    r = client.get(URL)
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_the_start_up_check_warns_about_half_set_credentials(settings: Any) -> None:
    from imgbackup.wechat.checks import wechat_settings

    settings.WECHAT_APPID, settings.WECHAT_SECRET = "wx-test-appid", ""
    assert [w.id for w in wechat_settings()] == ["imgbackup.wechat.W001"]
    settings.WECHAT_SECRET = "test-secret"
    assert wechat_settings() == []
    settings.WECHAT_CODE2SESSION_URL = "api.weixin.qq.com/sns/jscode2session"
    assert [w.id for w in wechat_settings()] == ["imgbackup.wechat.W002"]


# --- The limit on login attempts per address (IMGBACKUP_WECHAT_LOGIN_LIMIT) ---------------

WINDOW = 60
# A moment 15 s into a window: the clock stands still there unless a test moves it.
NOW = 1_000_000 * WINDOW + 15


@pytest.fixture
def limited(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A limit of 3 attempts per address per minute, on a clock the test moves by hand."""
    settings.WECHAT_LOGIN_LIMIT, settings.WECHAT_LOGIN_WINDOW_SECONDS = 3, WINDOW
    now = [float(NOW)]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    return now


def test_the_attempt_over_the_limit_is_429_and_never_reaches_wechat(
        db: None, client: Client, wechat: StandIn, limited: list[float]) -> None:
    # Successes and WeChat's refusals alike spend the app's quota, so both count.
    assert [login(client, code).status_code
            for code in ("ok-openid-alice", "err-40029", "ok-openid-bob")] == [200, 401, 200]
    r = login(client, "ok-openid-alice")
    assert r.status_code == 429
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "throttled"
    assert body["error"]["message"]
    assert r["Retry-After"] == str(WINDOW - 15), "the seconds left in the window"
    assert len(wechat.calls) == 3, "the refused attempt must not call WeChat"


def test_another_address_is_not_limited_by_the_first(
        db: None, client: Client, wechat: StandIn, limited: list[float]) -> None:
    for _ in range(4):
        login(client, "err-40029", address="192.0.2.1")
    assert login(client, "err-40029", address="192.0.2.1").status_code == 429
    assert login(client, "ok-openid-alice", address="192.0.2.2").status_code == 200
    assert login(client, "ok-openid-alice", address="2001:db8::2").status_code == 200


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
        db: None, client: Client, wechat: StandIn, limited: list[float]) -> None:
    # nginx on loopback (trusted by default): the peer is always 127.0.0.1, the client is the
    # address nginx appended to X-Forwarded-For.
    flooder = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for _ in range(3):
        login(client, "err-40029", **flooder)
    assert login(client, "ok-openid-alice", **flooder).status_code == 429
    assert login(client, "ok-openid-alice", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 200
    assert len(wechat.calls) == 4


def test_logins_work_again_once_the_window_has_passed(
        db: None, client: Client, wechat: StandIn, limited: list[float]) -> None:
    for _ in range(3):
        login(client, "err-40029")
    assert login(client, "ok-openid-alice").status_code == 429
    limited[0] += WINDOW - 15  # the first second of the next window
    assert login(client, "ok-openid-alice").status_code == 200
    assert len(wechat.calls) == 4


def test_bad_input_does_not_count_as_it_never_reaches_wechat(
        db: None, client: Client, wechat: StandIn, limited: list[float]) -> None:
    for _ in range(5):
        assert client.post(URL, b"{}", content_type="application/json").status_code == 400
    assert login(client, "ok-openid-alice").status_code == 200


def test_a_limit_of_0_turns_the_limit_off(db: None, client: Client, wechat: StandIn,
                                          limited: list[float], settings: Any) -> None:
    settings.WECHAT_LOGIN_LIMIT = 0
    assert {login(client, "err-40029").status_code for _ in range(8)} == {401}
    assert len(wechat.calls) == 8


def test_the_start_up_check_refuses_a_negative_limit_or_an_empty_window(settings: Any) -> None:
    from imgbackup.wechat.checks import wechat_settings

    settings.WECHAT_APPID, settings.WECHAT_SECRET = "wx-test-appid", "test-secret"
    settings.WECHAT_LOGIN_LIMIT = -1
    assert [w.id for w in wechat_settings()] == ["imgbackup.wechat.E001"]
    settings.WECHAT_LOGIN_LIMIT, settings.WECHAT_LOGIN_WINDOW_SECONDS = 30, 0
    assert [w.id for w in wechat_settings()] == ["imgbackup.wechat.E001"]
    settings.WECHAT_LOGIN_LIMIT = 0
    assert [w.id for w in wechat_settings()] == ["imgbackup.wechat.E001"]
    settings.WECHAT_LOGIN_WINDOW_SECONDS = 60
    assert wechat_settings() == []


def test_every_status_the_login_answers_is_in_the_openapi_document(db: None) -> None:
    from imgbackup.api.v2.openapi import document

    documented = document()["paths"]["/auth/wechat"]["post"]["responses"]
    answered = {status for status, _, _ in code2session.ERRORS.values()}
    assert {str(s) for s in answered | {200, 400, 403, 415, 429, 502, 503}} <= set(documented)
    assert "`throttled`" in documented["429"]["description"]
    assert "Retry-After" in documented["429"]["headers"]


def test_the_app_secret_never_reaches_the_log(db: None, client: Client, wechat: StandIn,
                                              settings: Any,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """jscode2session takes the app secret in its query string, and httpx logs every request's
    URL at INFO: the server's log would hold the secret."""
    caplog.set_level(logging.DEBUG)
    for code in ("ok-openid-alice", "err-40029", "http-502", "garbage"):
        login(client, code)
    settings.WECHAT_CODE2SESSION_URL = f"http://127.0.0.1:{free_port()}/sns/jscode2session"
    assert login(client, "ok-openid-bob").status_code == 503  # unreachable
    assert len(wechat.calls) == 4  # the requests were really made
    assert caplog.records, "nothing was logged: the test would not see a leak"
    assert "test-secret" not in caplog.text
