"""Tokens follow the password (issue 18), expire when asked, and have unique names (issue 19
item 13): every way of changing a password revokes the user's API tokens and says so, except
the token making an API change when it asks to be kept."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from conftest import Persona
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from api_v2.conftest import call
from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import create_token, user_for_token

NEW = "a-fresh-long-phrase"
CHANGE = {"current_password": "alice-password-123", "new_password": NEW}


def signed_in(persona: Persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_changing_your_password_by_the_api_revokes_every_token(
        client: Client, alice: Persona, bob: Persona) -> None:
    _, other = create_token(alice.user, "phone")
    answer = call(client, "POST", "/me/password", alice, CHANGE)
    assert answer.status_code == 200, answer.content
    assert answer.json()["revoked_tokens"] == 2 and answer.json()["kept_token"] is False
    assert "2 API token(s) revoked" in answer.json()["message"]
    assert user_for_token(alice.token) is None and user_for_token(other) is None
    assert user_for_token(bob.token) == bob.user  # another user's tokens are untouched
    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW)


def test_the_token_making_the_change_may_ask_to_be_kept(client: Client, alice: Persona) -> None:
    _, other = create_token(alice.user, "phone")
    answer = call(client, "POST", "/me/password", alice, {**CHANGE, "keep_token": True})
    assert answer.json()["revoked_tokens"] == 1 and answer.json()["kept_token"] is True
    assert user_for_token(alice.token) == alice.user
    assert user_for_token(other) is None


def test_a_wrong_current_password_changes_nothing(client: Client, alice: Persona) -> None:
    answer = call(client, "POST", "/me/password", alice,
                  {"current_password": "wrong", "new_password": NEW})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "wrong_password"
    weak = call(client, "POST", "/me/password", alice, {**CHANGE, "new_password": "alice"})
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "weak_password"
    assert user_for_token(alice.token) == alice.user


def test_anonymous_cannot_change_a_password(client: Client, alice: Persona) -> None:
    assert call(client, "POST", "/me/password", None, CHANGE).status_code == 401
    assert user_for_token(alice.token) == alice.user


def test_the_password_page_revokes_the_tokens_and_says_so(alice: Persona) -> None:
    response = signed_in(alice).post("/account/password", {
        "old_password": "alice-password-123", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200
    assert "your API tokens were revoked (1)" in response.content.decode()
    assert user_for_token(alice.token) is None


def test_the_password_command_revokes_the_tokens(alice: Persona) -> None:
    out = StringIO()
    call_command("password", "alice", "--password", NEW, stdout=out)
    assert "1 API token(s) were revoked" in out.getvalue()
    assert user_for_token(alice.token) is None


def test_imgbackup_changepassword_is_ours_not_djangos(monkeypatch: pytest.MonkeyPatch) -> None:
    # Django's changepassword would keep the user's API tokens.
    import django.core.management

    from imgbackup.main import main

    ran: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", ran.append)
    main(["changepassword", "alice"])
    assert ran == [["imgbackup", "password", "alice"]]


def test_an_expired_token_is_refused(client: Client, alice: Persona) -> None:
    ApiToken.objects.filter(user=alice.user).update(expires_at=timezone.now())
    assert call(client, "GET", "/me", alice).status_code == 401


def test_a_token_can_be_made_with_an_expiry(client: Client, alice: Persona) -> None:
    later = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    made = call(client, "POST", "/tokens", alice, {"name": "ci", "expires_at": later.isoformat()})
    assert made.status_code == 201 and made.json()["expires_at"].startswith(
        later.isoformat()[:19])
    past = call(client, "POST", "/tokens", alice, {"name": "old", "expires_at": "2001-01-01"})
    assert past.status_code == 201  # made, and refused from the start
    assert call(client, "GET", "/me", None, HTTP_AUTHORIZATION="Bearer " + past.json()["token"]
                ).status_code == 401
    bad = call(client, "POST", "/tokens", alice, {"name": "bad", "expires_at": "soon"})
    assert bad.status_code == 400
    page = signed_in(alice).post("/account/tokens", {"name": "month", "expires": "30"},
                                 follow=True).content.decode()
    assert ApiToken.objects.get(name="month").expires_at is not None
    assert re.search(r'data-label="Expires">\d+ \w+ \d{4}<', page)


def test_a_repeated_token_name_is_refused_with_a_clear_message(
        client: Client, alice: Persona, bob: Persona) -> None:
    assert call(client, "POST", "/tokens", alice, {"name": "laptop"}).status_code == 201
    again = call(client, "POST", "/tokens", alice, {"name": "laptop"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "name_taken"
    assert "named 'laptop' already" in again.json()["error"]["message"]
    assert call(client, "POST", "/tokens", bob, {"name": "laptop"}).status_code == 201
    page = signed_in(alice).post("/account/tokens", {"name": "laptop"}).content.decode()
    assert "named &#x27;laptop&#x27; already" in page
    assert ApiToken.objects.filter(user=alice.user, name="laptop").count() == 1


def test_logins_number_their_tokens_instead(client: Client, alice: Persona) -> None:
    for _ in range(2):
        made = call(client, "POST", "/auth/token", None, {
            "username": "alice", "password": "alice-password-123", "name": "cli"})
        assert made.status_code == 201
    assert sorted(ApiToken.objects.filter(user=alice.user, name__startswith="cli")
                  .values_list("name", flat=True)) == ["cli", "cli (2)"]


def test_the_tokens_page_shows_last_use_and_a_copy_button(client: Client, alice: Persona) -> None:
    assert call(client, "GET", "/me", alice).status_code == 200  # uses the token
    page = signed_in(alice).post("/account/tokens", {"name": "new"}, follow=True)
    body = page.content.decode()
    assert re.search(r'data-label="Last used"><time datetime="[^"]+">', body)
    assert 'data-copy="#new-token"' in body and "copy-button.js" in body
