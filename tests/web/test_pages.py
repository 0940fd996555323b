"""The web app's server side: first run, sign-in, CSRF on forms, tokens, escaping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Persona
from django.contrib.auth.models import User
from django.test import Client

from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import user_for_token

PAGES = ["/", "/trash", "/account/tokens", "/account/password"]
STATIC = Path(__file__).resolve().parents[2] / "imgbackup" / "web" / "static" / "web"


def signed_in(persona: Persona, **kwargs: bool) -> Client:
    client = Client(**kwargs)
    client.force_login(persona.user)
    return client


@pytest.mark.django_db
def test_the_first_visitor_is_sent_to_create_the_admin(client: Client) -> None:
    assert client.get("/")["Location"] == "/setup"
    assert client.get("/login")["Location"] == "/setup"
    form = client.get("/setup").content.decode()
    assert "<strong>Users</strong> page" in form  # where more people are added, not only the CLI
    response = client.post("/setup", {"username": "admin", "password1": "a-long-pass-phrase",
                                      "password2": "a-long-pass-phrase"})
    assert response["Location"] == "/"
    admin = User.objects.get()
    assert admin.is_superuser and admin.username == "admin"
    assert client.get("/").status_code == 200  # signed in by the setup


def test_setup_is_closed_once_an_account_exists(alice: Persona, client: Client) -> None:
    assert client.get("/setup")["Location"] == "/"
    client.post("/setup", {"username": "mallory", "password1": "a-long-pass-phrase",
                           "password2": "a-long-pass-phrase"})
    assert not User.objects.filter(username="mallory").exists()


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_signed_in_user(alice: Persona, client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_alice_with_a_strict_content_security_policy(
        alice: Persona, path: str) -> None:
    response = signed_in(alice).get(path)
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert '<meta name="csrf-token"' in body
    assert "<script>" not in body  # everything is a module file: the CSP forbids inline code


def test_presigned_s3_images_are_allowed_by_the_policy(alice: Persona, settings: Any) -> None:
    settings.S3_PRESIGNED_DOWNLOADS = True
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:8333"
    policy = signed_in(alice).get("/")["Content-Security-Policy"]
    assert "img-src 'self' blob: data: http://127.0.0.1:8333;" in policy


def test_alice_logs_in_and_out(alice: Persona) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    response = client.post("/login", {"username": "alice", "password": "alice-password-123",
                                      "csrfmiddlewaretoken": token[1]})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405  # a link cannot sign anyone out
    client.post("/logout", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert client.get("/").status_code == 302


def test_logout_by_a_link_says_how_instead_of_a_blank_page(alice: Persona) -> None:
    """A typed or followed /logout cannot sign anyone out (405), but the browser must show a
    page that says how, with the button, not its own empty-body error."""
    client = signed_in(alice)
    answer = client.get("/logout")
    assert answer.status_code == 405 and "POST" in answer["Allow"]
    text = answer.content.decode()
    assert "Log out button" in text
    assert re.search(r'<form method="post" action="/logout"', text)
    assert client.get("/").status_code == 200  # still signed in


def test_a_wrong_password_does_not_sign_in(alice: Persona, client: Client) -> None:
    response = client.post("/login", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert client.get("/").status_code == 302


def test_password_guessing_is_slowed_down(alice: Persona, client: Client, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert client.post("/login", {"username": "alice", "password": "guess"}).status_code == 200
    right = {"username": "alice", "password": "alice-password-123"}
    response = client.post("/login", right)
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert client.get("/").status_code == 302
    cache.clear()
    assert client.post("/login", right)["Location"] == "/"


@pytest.mark.parametrize("path", ["/account/tokens", "/account/password", "/logout"])
def test_forms_refuse_a_post_without_the_csrf_token(alice: Persona, path: str) -> None:
    client = signed_in(alice, enforce_csrf_checks=True)
    response = client.post(path, {"name": "sneaky", "old_password": "alice-password-123",
                                  "new_password1": "another-long-one",
                                  "new_password2": "another-long-one"})
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="sneaky").exists()
    alice.user.refresh_from_db()
    assert alice.user.check_password("alice-password-123")


def test_a_new_token_is_shown_once_and_works(alice: Persona) -> None:
    client = signed_in(alice)
    body = client.post("/account/tokens", {"name": "laptop"}, follow=True).content.decode()
    secret = re.search(r'<code class="secret" id="new-token">(ib_[^<]+)</code>', body)
    assert secret
    assert user_for_token(secret[1]) == alice.user
    again = client.get("/account/tokens")
    assert secret[1] not in again.content.decode()
    assert "laptop" in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_alice_revokes_her_token_but_not_bobs(alice: Persona, bob: Persona) -> None:
    client = signed_in(alice)
    bobs = ApiToken.objects.get(user=bob.user)
    assert client.post(f"/account/tokens/{bobs.pk}/revoke").status_code == 404
    assert user_for_token(bob.token) == bob.user
    hers = ApiToken.objects.get(user=alice.user)
    assert client.post(f"/account/tokens/{hers.pk}/revoke")["Location"] == "/account/tokens"
    assert user_for_token(alice.token) is None


def test_token_names_and_search_terms_are_escaped(alice: Persona) -> None:
    client = signed_in(alice)
    evil = '<img src=x onerror="alert(1)">'
    client.post("/account/tokens", {"name": evil})
    body = client.get("/account/tokens").content.decode()
    assert evil not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    body = client.get("/", {"q": evil, "camera": '"><script>'}).content.decode()
    assert evil not in body and '"><script>' not in body


@pytest.mark.parametrize(("value", "only_favourites"), [
    ("1", True), ("true", True), ("True", True), ("yes", True), ("0", False), ("no", False),
    ("", False)])
def test_the_favourites_filter_reads_a_link_as_the_api_does(
        alice: Persona, value: str, only_favourites: bool) -> None:
    body = signed_in(alice).get("/", {"favourite": value}).content.decode()
    assert ('data-favourite="1"' in body) is only_favourites
    assert ('name="favourite" value="1" checked' in body) is only_favourites


def test_alice_changes_her_password_and_stays_signed_in(alice: Persona) -> None:
    client = signed_in(alice)
    wrong = client.post("/account/password", {"old_password": "nope", "new_password1": "x",
                                              "new_password2": "x"})
    assert b"incorrectly" in wrong.content
    done = client.post("/account/password", {"old_password": "alice-password-123",
                                             "new_password1": "a-new-long-phrase",
                                             "new_password2": "a-new-long-phrase"})
    assert b"Your password was changed" in done.content
    alice.user.refresh_from_db()
    assert alice.user.check_password("a-new-long-phrase")
    assert client.get("/").status_code == 200


def test_static_files_are_served(client: Client) -> None:
    for name in ["web/app.css", "web/js/timeline-page.js", "web/js/trash-page.js"]:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name


def test_no_script_builds_html_from_strings() -> None:
    """File names and EXIF text reach the page only through textContent and setAttribute."""
    for script in (STATIC / "js").glob("*.js"):
        source = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{script.name} uses {sink}"
