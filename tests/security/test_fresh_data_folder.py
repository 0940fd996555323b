"""`imgbackup createuser` and `imgbackup token` on a data folder no server has used yet: they
migrate first instead of failing with "no such table: auth_user"; a user name that is not
UTF-8 on the command line is refused in one sentence, not with a traceback. The other commands
(jobs, gc, quota...) on such a folder, most likely not the server's, say so in one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import isolated_backends, on_postgres


def imgbackup(data: Path, *args: str,
              backends: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """One command on ``data``; in the PostgreSQL + S3 run on a fresh database, or on
    ``backends`` (isolated_backends) for commands that must find each other's work."""
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(data),
           **(isolated_backends({}) if backends is None else backends)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable.encode(), b"-m", b"imgbackup",
                           *(a.encode("utf-8", "surrogateescape") for a in args)],
                          env=env, capture_output=True, timeout=120)


def test_createuser_on_a_fresh_data_folder_migrates_first(tmp_path: Path) -> None:
    created = imgbackup(tmp_path / "data", "createuser", "dora", "--password",
                        "a long passphrase 12")
    assert created.returncode == 0, created.stderr.decode()
    assert b"created user dora" in created.stdout


def test_token_on_a_fresh_data_folder_migrates_first(tmp_path: Path) -> None:
    answer = imgbackup(tmp_path / "data", "token", "nobody")
    assert answer.returncode == 1
    assert b"no active user 'nobody'" in answer.stderr
    assert b"Traceback" not in answer.stderr and b"no such table" not in answer.stderr


def test_a_user_name_that_is_not_utf8_is_refused_in_a_sentence(tmp_path: Path) -> None:
    name = b"\xed\xa0\x80".decode("utf-8", "surrogateescape")  # a lone surrogate, encoded
    for args in (("createuser", name, "--password", "a long passphrase 12"), ("token", name)):
        answer = imgbackup(tmp_path / "data", *args)
        assert answer.returncode == 1, answer.stderr.decode()
        assert b"not valid text" in answer.stderr
        assert b"Traceback" not in answer.stderr


@pytest.mark.parametrize("args", [("jobs",), ("quota", "dora"), ("gc",)])
def test_other_commands_on_a_fresh_data_folder_say_it_is_not_set_up(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    answer = imgbackup(tmp_path / "data", *args)
    assert answer.returncode == 1
    assert b"Traceback" not in answer.stderr, answer.stderr.decode()[-400:]
    said = answer.stderr.decode()
    assert f"imgbackup {args[0]}: the database" in said and "is not set up" in said
    if not on_postgres():
        assert str(tmp_path / "data") in said and "IMGBACKUP_DATA_DIR" in said


def test_verify_on_a_fresh_data_folder_says_it_is_not_set_up(tmp_path: Path) -> None:
    """verify keeps its own exit code for "could not run" (2), with the same sentence."""
    answer = imgbackup(tmp_path / "data", "verify")
    assert answer.returncode == 2
    said = answer.stderr.decode()
    assert "Traceback" not in said and "no such table" not in said, said[-400:]
    assert "imgbackup verify: the database" in said and "is not set up" in said


def test_the_readmes_command_line_way_to_the_admin_account_makes_an_admin(
        tmp_path: Path) -> None:
    """README offers `createuser` "instead" of /setup, which closes once any account exists:
    the line it shows must make an admin, or nobody can ever reach the Users page."""
    import shlex

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    line = next(line for line in readme.splitlines()
                if line.startswith(".venv/bin/imgbackup createuser "))
    args = shlex.split(line)[1:]
    name = args[1]
    data, backends = tmp_path / "data", isolated_backends({})
    assert imgbackup(data, *args, backends=backends).returncode == 0
    asked = imgbackup(data, "shell", "-c", "from django.contrib.auth.models import User; "
                      f"u = User.objects.get(username={name!r}); "
                      "print(u.is_staff and u.is_superuser)", backends=backends)
    # The last line: Django's shell may first say what it imported by itself.
    assert asked.stdout.decode().strip().splitlines()[-1] == "True", asked.stderr.decode()[-400:]
