"""CSRF on every form the web app renders, and login throttling."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import Persona
from django.core.cache import cache
from django.test import Client, override_settings

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"', re.I)
PAGES = ["/", "/setup", "/login", "/account/tokens", "/account/password", "/users"]


def post_forms(client: Client, page: str) -> Iterator[tuple[str, str]]:
    """(action, inner HTML) of every POST form on a page, following redirects."""
    response = client.get(page, follow=True)
    html = response.content.decode()
    here = response.request["PATH_INFO"]
    for attributes, inner in FORM.findall(html):
        if 'method="post"' in attributes.lower():
            action = ACTION.search(attributes)
            yield (action.group(1) if action and action.group(1) else here), inner


def assert_forms_are_protected(client: Client, pages: list[str] = PAGES) -> list[str]:
    """Post every POST form of ``pages`` without its CSRF token; return the actions posted."""
    checked: list[str] = []
    for page in pages:
        for action, inner in post_forms(client, page):
            assert 'name="csrfmiddlewaretoken"' in inner, f"form on {page} has no CSRF token"
            strict = Client(enforce_csrf_checks=True)
            strict.cookies = client.cookies
            fields = dict(re.findall(r'name="([^"]+)"[^>]*?(?:value="([^"]*)")?', inner))
            fields.pop("csrfmiddlewaretoken", None)
            assert strict.post(action, fields).status_code == 403, f"{action} without a token"
            checked.append(action)
    return checked


def test_the_first_run_form_needs_its_csrf_token(db: None) -> None:
    assert assert_forms_are_protected(Client())


def test_the_login_form_needs_its_csrf_token(alice: Persona) -> None:
    assert assert_forms_are_protected(Client())


def test_signed_in_forms_need_their_csrf_token(alice: Persona) -> None:
    client = Client()
    client.force_login(alice.user)
    assert assert_forms_are_protected(client)


def test_the_admins_forms_need_their_csrf_token(admin: Persona, alice: Persona) -> None:
    client = Client()
    client.force_login(admin.user)
    # Users page: create, and per user quota (both), disable and admin flag (alice: not offered
    # on your own row), and each user's set-password page.
    pages = [*PAGES, *(f"/users/{user.pk}/password" for user in (admin.user, alice.user))]
    actions = set(assert_forms_are_protected(client, pages))
    assert {f"/users/{alice.user.pk}/{a}" for a in ("active", "admin", "quota")} <= actions
    assert {f"/users/{admin.user.pk}/password", f"/users/{alice.user.pk}/password"} <= actions
    assert "/users" in actions  # the new-user form
    alice.user.refresh_from_db()
    assert alice.user.is_active and alice.user.check_password("alice-password-123")


def test_the_api_with_a_session_cookie_needs_the_csrf_header(alice: Persona) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    r = client.delete("/api/v1.0/service/image/?md5=" + "0" * 32)
    assert r.status_code == 403
    assert "CSRF" in r.json()["message"]


@pytest.fixture
def throttle() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def login(password: str, address: str = "127.0.0.1") -> int:
    r = Client(REMOTE_ADDR=address).post(
        "/login", {"username": "alice", "password": password})
    return int(r.status_code)


@override_settings(LOGIN_MAX_FAILURES=5)
def test_logins_are_throttled_after_repeated_failures(alice: Persona, throttle: None) -> None:
    assert login("alice-password-123") == 302
    for _ in range(5):
        assert login("wrong-password") == 200
    # The form is shown again (200) or the page says "too many attempts" (429): no login.
    assert login("alice-password-123") in {200, 429}, (
        "the right password must not help once throttled")
    assert login("alice-password-123", address="10.0.0.2") == 302, "other addresses unaffected"


@override_settings(LOGIN_MAX_FAILURES=3)
def test_a_successful_login_forgets_earlier_failures(alice: Persona, throttle: None) -> None:
    for _ in range(2):
        login("wrong-password")
    assert login("alice-password-123") == 302
    for _ in range(2):
        login("wrong-password")
    assert login("alice-password-123") == 302


@override_settings(LOGIN_MAX_FAILURES=2)
def test_guessing_a_user_name_that_does_not_exist_is_counted_too(db: None,
                                                                 throttle: None) -> None:
    from imgbackup.accounts.throttle import blocked

    for _ in range(2):
        Client().post("/login", {"username": "nobody", "password": "x"})
    assert blocked("nobody", "127.0.0.1")  # the test client's address
