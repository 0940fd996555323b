from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.tokens import digest, revoke, user_for_token

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str | None = None, monkeypatch: Any = None) -> str:
    out = io.StringIO()
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createuser_then_token_gives_a_working_token(client: Client) -> None:
    run("createuser", "dora", "--password", "a long passphrase")
    token = run("token", "dora").strip().splitlines()[-1]
    r = client.get("/api/v1.0/service/image/", {"md5": "0" * 32},
                   HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 404  # authenticated: the photo simply does not exist


def test_createuser_reads_the_password_from_stdin(monkeypatch: Any) -> None:
    run("createuser", "erin", "--password-stdin", "--admin", stdin="another long one\n",
        monkeypatch=monkeypatch)
    erin = User.objects.get(username="erin")
    assert erin.check_password("another long one") and erin.is_superuser


def test_createuser_refuses_weak_passwords_and_duplicates() -> None:
    with pytest.raises(CommandError, match="too short"):
        run("createuser", "frank", "--password", "abc")
    run("createuser", "frank", "--password", "a long passphrase")
    with pytest.raises(CommandError, match="exists"):
        run("createuser", "frank", "--password", "a long passphrase")


def test_token_for_an_unknown_user_fails() -> None:
    with pytest.raises(CommandError, match="no active user"):
        run("token", "nobody")


def test_tokens_are_kept_hashed_and_can_be_revoked() -> None:
    run("createuser", "gina", "--password", "a long passphrase")
    raw = run("token", "gina").strip().splitlines()[-1]
    stored = ApiToken.objects.get()
    assert raw not in {stored.digest, stored.prefix} and stored.digest == digest(raw)
    assert user_for_token(raw) is not None
    assert revoke(stored.user, stored.pk)
    assert user_for_token(raw) is None


def test_a_deactivated_users_token_stops_working() -> None:
    run("createuser", "hank", "--password", "a long passphrase")
    raw = run("token", "hank").strip().splitlines()[-1]
    User.objects.filter(username="hank").update(is_active=False)
    assert user_for_token(raw) is None


def test_the_first_visitor_creates_the_admin_then_setup_closes(client: Client) -> None:
    assert client.get("/")["Location"].endswith("/setup")
    r = client.post("/setup", {"username": "root", "password1": "a long passphrase",
                               "password2": "a long passphrase"})
    assert r.status_code == 302
    assert User.objects.get().is_superuser
    other = Client()
    assert other.get("/setup")["Location"] == "/"
    other.post("/setup", {"username": "mallory", "password1": "a long passphrase",
                          "password2": "a long passphrase"})
    assert not User.objects.filter(username="mallory").exists()


def test_setup_needs_the_csrf_token(db: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    r = strict.post("/setup", {"username": "root", "password1": "a long passphrase",
                               "password2": "a long passphrase"})
    assert r.status_code == 403
    assert not User.objects.exists()


def test_a_setup_form_sent_after_someone_else_made_the_first_account_saves_nothing(
        client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from imgbackup.web import account

    def quicker(form: Any, commit: bool = True) -> User:
        User.objects.create_user("quicker")  # the other first visitor's account lands now
        return User(username="late")

    monkeypatch.setattr(account.AdminCreationForm, "save", quicker)
    r = client.post("/setup", {"username": "late", "password1": "a long passphrase",
                               "password2": "a long passphrase"})
    assert r["Location"] == "/login"
    assert list(User.objects.values_list("username", "is_superuser")) == [("quicker", False)]


@pytest.mark.parametrize("command", [("password", "--password", "a long passphrase"),
                                     ("quota",), ("token",)])
def test_commands_on_one_user_refuse_an_unknown_or_unreadable_name(
        command: tuple[str, ...]) -> None:
    User.objects.create_user("dora", password="x", is_active=False)
    for name, said in (("nobody", "no "), ("\udcff", "not valid text")):
        with pytest.raises(CommandError, match=said):
            run(command[0], name, *command[1:])
    if command[0] == "token":  # a token only for an active user
        with pytest.raises(CommandError, match="no active user 'dora'"):
            run("token", "dora")
