"""The Users page: admins list, create, disable and enable users, set their password and admin
flag; to everyone else it does not exist."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import create_token, user_for_token
from imgbackup.web.users import last_seen

URLS = ["/users", "/users/{id}/password", "/users/{id}/active", "/users/{id}/admin"]
NEW_PASSWORD = "a-fresh-long-phrase"


def signed_in(persona: Persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def upload(persona: Persona, *seeds: int) -> list[int]:
    """Upload one JPEG per seed as ``persona``; return their sizes."""
    bodies = [make_jpeg(seed) for seed in seeds]
    files = {f"f{i}": io.BytesIO(body) for i, body in enumerate(bodies)}
    r = Client().post("/api/v1.0/service/image/", files, **persona.auth)  # type: ignore[arg-type]
    assert r.status_code == 200, r.content
    return [len(body) for body in bodies]


def row(body: str, user: User) -> str:
    found = re.search(rf'<tr id="user-{user.pk}">(.*?)</tr>', body, re.S)
    assert found, f"no row for {user.username}"
    return found[1]


def password_login(name: str, password: str) -> int:
    r = Client().post("/login", {"username": name, "password": password})
    return int(r.status_code)  # 302 signed in, 200 the form again


def test_the_admin_sees_every_user_with_photos_outside_the_trash_and_their_bytes(
        admin: Persona, alice: Persona, bob: Persona) -> None:
    sizes = upload(alice, 1, 2, 3)
    upload(bob, 1)  # the same bytes as one of alice's: counted for both
    trashed = Client().delete(f"/api/v2/photos/{hashlib.sha256(make_jpeg(3)).hexdigest()}",
                              **alice.auth)
    assert trashed.status_code in {200, 204}
    client = signed_in(admin)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/users").content.decode()
    listing = [q["sql"] for q in queries.captured_queries
               if "photos_photo" in q["sql"] and "auth_user" in q["sql"]]  # not the header's
    assert len(listing) == 1, listing  # annotated, not one query per user
    hers = row(body, alice.user)
    assert '<td data-label="Photos" class="photo-count">2</td>' in hers
    assert f'data-bytes="{sizes[0] + sizes[1]}"' in hers
    assert ">user<" in hers and ">active<" in hers and "never" in hers
    his = row(body, bob.user)
    assert '<td data-label="Photos" class="photo-count">1</td>' in his
    assert f'data-bytes="{sizes[0]}"' in his
    assert ">admin<" in row(body, admin.user)


def test_your_own_row_offers_neither_disable_nor_remove_admin(admin: Persona,
                                                                alice: Persona) -> None:
    """Both are refused for yourself, so they are not offered; another admin's row has them."""
    User.objects.filter(pk=alice.user.pk).update(is_staff=True, is_superuser=True)
    body = signed_in(admin).get("/users").content.decode()
    mine = row(body, admin.user)
    assert "Disable" not in mine and "Remove admin" not in mine and "Set password" in mine
    hers = row(body, alice.user)
    assert "Disable" in hers and "Remove admin" in hers


@pytest.mark.parametrize(("ago", "shown"), [
    (timedelta(seconds=0), "just now"), (timedelta(seconds=59), "just now"),
    (timedelta(seconds=-30), "just now"),  # a clock a little ahead
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(hours=3, minutes=5), "3 hours, 5 minutes ago"),
])
def test_last_login_reads_just_now_not_0_minutes(ago: timedelta, shown: str) -> None:
    now = timezone.now()
    # timesince joins a number to its unit with a no-break space
    assert last_seen(now - ago, now).replace("\xa0", " ") == shown
    assert last_seen(None, now) == "never"


def test_a_fresh_login_is_listed_as_just_now(admin: Persona) -> None:
    client = signed_in(admin)
    User.objects.filter(pk=admin.user.pk).update(last_login=timezone.now())
    body = client.get("/users").content.decode()
    assert '<td data-label="Last login" class="last-login">just now</td>' in row(body, admin.user)


def test_the_rules_are_short_help_folded_away(admin: Persona) -> None:
    body = " ".join(signed_in(admin).get("/users").content.decode().split())
    rules = re.search(r'<details class="help rules">(.*?)</details>', body, re.S)
    assert rules and "last active admin" in rules[1]
    before_table = body.split("<table")[0]
    assert "last active admin" not in before_table.replace(rules[0], "")


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_the_nav_links_to_users_for_admins_only(who: str, request: Any) -> None:
    persona: Persona = request.getfixturevalue(who)
    body = signed_in(persona).get("/").content.decode()
    assert ('href="/users"' in body) is (who == "admin")


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_non_admin_gets_404_and_changes_nothing(url: str, method: str, alice: Persona,
                                                  bob: Persona) -> None:
    client = signed_in(alice)
    data = {"value": "0", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
            "username": "mallory", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    response = getattr(client, method)(url.format(id=bob.user.pk), data)
    assert response.status_code == 404
    bob.user.refresh_from_db()
    assert bob.user.is_active and bob.user.check_password("bob-password-123")
    assert not User.objects.filter(username="mallory").exists()


def test_anonymous_visitors_are_sent_to_sign_in(alice: Persona, client: Client) -> None:
    assert client.get("/users")["Location"].startswith("/login?next=")


def test_the_admin_creates_a_user_who_can_then_sign_in(admin: Persona) -> None:
    client = signed_in(admin)
    response = client.post("/users", {"username": "dora", "password1": NEW_PASSWORD,
                                      "password2": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain == [("/users", 302)]
    assert "Created user dora." in response.content.decode()
    dora = User.objects.get(username="dora")
    assert not dora.is_staff and not dora.is_superuser
    assert password_login("dora", NEW_PASSWORD) == 302
    client.post("/users", {"username": "erin", "password1": NEW_PASSWORD,
                           "password2": NEW_PASSWORD, "admin": "on"})
    erin = User.objects.get(username="erin")
    assert erin.is_staff and erin.is_superuser


@pytest.mark.parametrize(("fields", "message"), [
    ({"username": "dora", "password1": "short", "password2": "short"}, "too short"),
    ({"username": "dora", "password1": NEW_PASSWORD, "password2": "another-long-one"},
     "The two passwords differ."),
    ({"username": "alice", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
     "exists already"),
    ({"username": "bad name!", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
     "Enter a valid username"),
    ({"username": "", "password1": "", "password2": ""}, "This field is required."),
])
def test_a_bad_new_user_re_renders_the_form_with_its_errors(
        admin: Persona, alice: Persona, fields: dict[str, str], message: str) -> None:
    response = signed_in(admin).post("/users", fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == 2


def test_a_new_password_ends_the_old_one_and_sessions_and_the_tokens(
        admin: Persona, alice: Persona) -> None:
    hers = signed_in(alice)
    assert hers.get("/").status_code == 200
    fields = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = signed_in(admin).post(f"/users/{alice.user.pk}/password", fields, follow=True)
    assert response.redirect_chain == [("/users", 302)]
    assert "New password set for alice" in response.content.decode()
    assert "API tokens were revoked (1)" in response.content.decode()
    assert password_login("alice", "alice-password-123") == 200
    assert password_login("alice", NEW_PASSWORD) == 302
    assert hers.get("/").status_code == 302  # her other session ended
    assert user_for_token(alice.token) is None
    assert Client().get("/api/v2/me", **alice.auth).status_code == 401
    assert user_for_token(admin.token) == admin.user  # only hers


def test_set_password_is_its_own_page_and_always_revokes_the_tokens(
        admin: Persona, alice: Persona) -> None:
    client = signed_in(admin)
    hers = row(client.get("/users").content.decode(), alice.user)
    assert f'href="/users/{alice.user.pk}/password"' in hers
    assert "<input" not in hers.replace('type="hidden"', "").split("Set password")[0].split(
        "</form>")[-1]  # no password fields inside the row: it stays one line
    page = client.get(f"/users/{alice.user.pk}/password")
    assert page.status_code == 200
    body = page.content.decode()
    assert "New password for alice" in body
    assert "revoke_tokens" not in body  # no box to keep the tokens


def test_a_weak_new_password_is_refused_with_the_form_errors(
        admin: Persona, alice: Persona) -> None:
    response = signed_in(admin).post(f"/users/{alice.user.pk}/password", {
        "new_password1": "alice", "new_password2": "alice"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "too short" in body and "New password for alice" in body
    alice.user.refresh_from_db()
    assert alice.user.check_password("alice-password-123")
    assert user_for_token(alice.token) == alice.user


def test_the_admin_resets_their_own_password_and_stays_signed_in(admin: Persona) -> None:
    client = signed_in(admin)
    client.post(f"/users/{admin.user.pk}/password",
                {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.get("/users").status_code == 200


def test_a_disabled_user_can_neither_sign_in_nor_use_a_token_until_enabled(
        admin: Persona, alice: Persona) -> None:
    hers = signed_in(alice)
    client = signed_in(admin)
    response = client.post(f"/users/{alice.user.pk}/active", {"value": "0"}, follow=True)
    assert response.redirect_chain == [("/users", 302)]
    assert "Disabled alice." in response.content.decode()
    assert ">disabled<" in row(response.content.decode(), alice.user)
    assert password_login("alice", "alice-password-123") == 200
    assert hers.get("/").status_code == 302
    assert Client().get("/api/v2/me", **alice.auth).status_code == 401
    v1 = Client().get("/api/v1.0/service/image/", {"md5": "0" * 32}, **alice.auth)
    assert v1.status_code == 401
    assert ApiToken.objects.filter(user=alice.user).exists()  # kept, refused while disabled
    assert client.post(f"/users/{alice.user.pk}/active", {"value": "1"}).status_code == 302
    assert password_login("alice", "alice-password-123") == 302
    assert Client().get("/api/v2/me", **alice.auth).status_code == 200


def test_an_admin_cannot_disable_themself(admin: Persona, alice: Persona) -> None:
    User.objects.filter(pk=alice.user.pk).update(is_staff=True, is_superuser=True)
    response = signed_in(admin).post(f"/users/{admin.user.pk}/active", {"value": "0"})
    assert response.status_code == 400
    assert "You cannot disable your own account." in response.content.decode()
    admin.user.refresh_from_db()
    assert admin.user.is_active


def test_the_last_active_admin_keeps_the_admin_flag(admin: Persona, alice: Persona) -> None:
    client = signed_in(admin)
    response = client.post(f"/users/{admin.user.pk}/admin", {"value": "0"})
    assert response.status_code == 400
    assert "The last active admin cannot lose the admin flag" in response.content.decode()
    admin.user.refresh_from_db()
    assert admin.user.is_superuser and admin.user.is_staff
    # With a second admin, the first may step down, and is then a user without the page.
    assert client.post(f"/users/{alice.user.pk}/admin", {"value": "1"}).status_code == 302
    assert client.post(f"/users/{admin.user.pk}/admin", {"value": "0"}).status_code == 302
    admin.user.refresh_from_db()
    assert not admin.user.is_staff and not admin.user.is_superuser
    assert client.get("/users").status_code == 404


def test_a_disabled_admin_does_not_count_as_the_other_admin(admin: Persona,
                                                            alice: Persona) -> None:
    User.objects.filter(pk=alice.user.pk).update(is_staff=True, is_superuser=True,
                                                 is_active=False)
    response = signed_in(admin).post(f"/users/{admin.user.pk}/admin", {"value": "0"})
    assert response.status_code == 400


@pytest.mark.parametrize("fields", [{}, {"value": "maybe"}])
@pytest.mark.parametrize("action", ["active", "admin"])
def test_a_malformed_action_is_a_400_not_a_500(admin: Persona, alice: Persona, action: str,
                                               fields: dict[str, str]) -> None:
    assert signed_in(admin).post(f"/users/{alice.user.pk}/{action}", fields).status_code == 400
    alice.user.refresh_from_db()
    assert alice.user.is_active and not alice.user.is_staff


@pytest.mark.parametrize("action", ["password", "active", "admin"])
def test_an_unknown_user_is_404(admin: Persona, action: str) -> None:
    assert signed_in(admin).post(f"/users/99999/{action}", {"value": "1"}).status_code == 404


def test_user_names_are_escaped(admin: Persona) -> None:
    evil = User.objects.create_user("<b>x</b>")
    create_token(evil, "t")
    body = signed_in(admin).get("/users").content.decode()
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body


def test_a_live_photo_counts_once_on_the_users_page(admin: Persona, alice: Persona) -> None:
    """Its two files are one photo on the timeline; the MOV's bytes still count."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from videos import live_clip, live_still

    still, clip = live_still(), live_clip()
    for name, data in (("IMG_0001.JPG", still), ("IMG_0001.MOV", clip)):
        sent = Client().post("/api/v2/photos", {"file": SimpleUploadedFile(name, data)},
                             **alice.auth)
        assert sent.status_code == 201, sent.content
    hers = row(signed_in(admin).get("/users").content.decode(), alice.user)
    assert '<td data-label="Photos" class="photo-count">1</td>' in hers
    assert f'data-bytes="{len(still) + len(clip)}"' in hers
