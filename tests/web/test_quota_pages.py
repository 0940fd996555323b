"""Quotas in the web app: the header shows the user's storage, admins set quotas on the
Users page (404 to everyone else, like the page)."""

from __future__ import annotations

from conftest import Persona
from django.test import Client

from imgbackup.accounts.quotas import quota_of, set_quota


def signed_in(persona: Persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_the_header_shows_usage_and_quota(alice: Persona) -> None:
    page = signed_in(alice).get("/account/tokens").content.decode()
    assert 'id="storage-usage"' in page and "0 B used" in page
    set_quota(alice.user, 50 * 1024**3)
    assert "0 B of 50.0 GiB used" in signed_in(alice).get("/account/tokens").content.decode()


def test_an_admin_sets_a_quota_on_the_users_page(admin: Persona, alice: Persona) -> None:
    answer = signed_in(admin).post(f"/users/{alice.user.pk}/quota", {"quota": "50G"},
                                   follow=True)
    assert "alice&#x27;s storage quota is now 50.0 GiB" in answer.content.decode()
    assert quota_of(alice.user) == 50 * 1024**3
    assert "0 B of 50.0 GiB" in answer.content.decode()  # the Quota column
    answer = signed_in(admin).post(f"/users/{alice.user.pk}/quota", {"quota": "none"},
                                   follow=True)
    assert quota_of(alice.user) is None
    assert "0 B used (no quota)" in answer.content.decode()  # not "0 B of no quota"
    assert " of no quota" not in answer.content.decode()


def test_a_size_that_is_not_one_is_refused_on_the_page(admin: Persona, alice: Persona) -> None:
    set_quota(alice.user, 1024)
    answer = signed_in(admin).post(f"/users/{alice.user.pk}/quota", {"quota": "lots"})
    assert answer.status_code == 400 and "is not a size" in answer.content.decode()
    assert quota_of(alice.user) == 1024


def test_a_user_cannot_set_a_quota(alice: Persona, bob: Persona) -> None:
    set_quota(bob.user, 1024)
    assert signed_in(alice).post(f"/users/{bob.user.pk}/quota",
                                 {"quota": "none"}).status_code == 404
    assert Client().post(f"/users/{bob.user.pk}/quota", {"quota": "none"}).status_code == 302
    assert quota_of(bob.user) == 1024
