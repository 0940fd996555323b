"""POST /auth/token (with throttled failures), GET /me, and the caller's tokens."""

from __future__ import annotations

from typing import Any

from conftest import Persona
from django.test import Client

from api_v2.conftest import call
from imgbackup.accounts.models import ApiToken


def login(client: Client, username: str, password: str, address: str = "127.0.0.1",
          forwarded_for: str | None = None, **fields: str) -> Any:
    headers = {"REMOTE_ADDR": address}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return call(client, "POST", "/auth/token", None,
                {"username": username, "password": password, **fields}, **headers)


def test_a_password_buys_a_working_token(client: Client, alice: Persona) -> None:
    answer = login(client, "alice", "alice-password-123", name="phone")
    assert answer.status_code == 201
    body = answer.json()
    assert body["name"] == "phone" and body["token"].startswith("ib_")
    me = client.get("/api/v2/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.json() == {"username": "alice", "is_admin": False, "usage_bytes": 0,
                         "quota_bytes": None}


def test_a_wrong_password_is_401(client: Client, alice: Persona) -> None:
    answer = login(client, "alice", "wrong")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"
    assert login(client, "nobody", "whatever").status_code == 401


def test_failed_logins_are_throttled_per_user_name_and_address(client: Client, alice: Persona,
                                                              settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(client, "alice", "wrong").status_code == 401
    blocked = login(client, "alice", "alice-password-123")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"
    assert int(blocked["Retry-After"]) > 0
    # Another address, or another user name from this one, is not held back.
    other = login(client, "alice", "alice-password-123", address="10.9.8.7")
    assert other.status_code == 201
    assert login(client, "bob", "wrong").status_code == 401


def test_behind_a_trusted_proxy_a_guesser_does_not_lock_the_user_out_for_others(
        client: Client, alice: Persona, settings: Any) -> None:
    # nginx on loopback (trusted by default) in front: every request's peer is 127.0.0.1 and
    # X-Forwarded-For ends with the client's own address.
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(client, "alice", "wrong", forwarded_for="198.51.100.7").status_code == 401
    assert login(client, "alice", "alice-password-123",
                 forwarded_for="198.51.100.7").status_code == 429
    # What the guesser writes into the header itself stands left of nginx's entry: no escape.
    assert login(client, "alice", "alice-password-123",
                 forwarded_for="203.0.113.9, 198.51.100.7").status_code == 429
    assert login(client, "alice", "alice-password-123",
                 forwarded_for="203.0.113.9").status_code == 201


def test_a_client_that_is_not_a_proxy_cannot_spread_its_failures_over_made_up_addresses(
        client: Client, alice: Persona, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    for made_up in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert login(client, "alice", "wrong", address="198.51.100.7",
                     forwarded_for=made_up).status_code == 401
    assert login(client, "alice", "alice-password-123", address="198.51.100.7",
                 forwarded_for="203.0.113.4").status_code == 429


def test_a_success_forgets_earlier_failures(client: Client, alice: Persona,
                                            settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 2
    assert login(client, "alice", "wrong").status_code == 401
    assert login(client, "alice", "alice-password-123").status_code == 201
    assert login(client, "alice", "wrong").status_code == 401
    assert login(client, "alice", "alice-password-123").status_code == 201


def test_tokens_are_listed_without_secrets_created_and_revoked(client: Client,
                                                               alice: Persona) -> None:
    created = call(client, "POST", "/tokens", alice, {"name": "laptop"})
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = call(client, "GET", "/tokens", alice).json()["items"]
    assert [t["name"] for t in listed] == ["laptop", "tests"]
    assert all("token" not in t for t in listed)
    assert secret not in str(listed)
    assert call(client, "DELETE", f"/tokens/{created.json()['id']}", alice).status_code == 204
    assert client.get("/api/v2/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert ApiToken.objects.filter(user=alice.user).count() == 1


def test_a_session_needs_the_csrf_header_on_unsafe_methods(alice: Persona) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice.user)
    assert browser.get("/api/v2/me").status_code == 200
    refused = browser.post("/api/v2/tokens", '{"name": "x"}', "application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
