"""login, logout, ls, rm and the exit codes, against the in-memory server."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from imgbackup.client import _config
from imgbackup.client._errors import ExitCode

from .conftest import URL, Run, photo_tree
from .fake_server import TOKEN, FakeServer


def test_login_stores_the_token_and_logout_revokes_it(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGBACKUP_TOKEN")
    monkeypatch.delenv("IMGBACKUP_URL")
    monkeypatch.setattr(sys, "stdin", io.StringIO("alice-password-123\n"))

    result = run("login", URL + "/", "--username", "alice", "--password-stdin")

    assert result.code == 0, result.err
    assert _config.stored() == _config.Login(URL, TOKEN, "7")
    result = run("logout")
    assert result.code == 0 and f"logged out of {URL}" in result.out
    assert fake.requests[-1].method == "DELETE" and fake.requests[-1].url.path.endswith("/7")
    assert _config.stored() is None


def test_a_wrong_password_exits_3_and_stores_nothing(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("nope\n"))
    result = run("login", URL, "-u", "alice", "--password-stdin")
    assert result.code == ExitCode.AUTH
    assert "refused the user name or password" in result.err
    assert not _config.config_path().exists()


def test_a_password_on_stdin_needs_the_user_name_on_the_command_line(run: Run) -> None:
    result = run("login", URL, "--password-stdin")
    assert result.code == ExitCode.USAGE and "needs --username" in result.err


def test_login_wants_a_real_address(run: Run) -> None:
    result = run("login", "photos.example.org", "-u", "a", "--password-stdin")
    assert result.code == ExitCode.USAGE and "not a server address" in result.err


@pytest.mark.parametrize("args", [["push"], ["pull"], ["push", "--jobs", "0", "x"],
                                  ["frobnicate"], ["rm"]])
def test_usage_errors_exit_2(run: Run, args: list[str]) -> None:
    assert run(*args).code == ExitCode.USAGE


def test_not_logged_in_exits_3(run: Run) -> None:
    result = run("ls")
    assert result.code == ExitCode.AUTH and "not logged in" in result.err


def test_ls_lists_newest_first_as_a_table_or_json(run: Run, fake: FakeServer,
                                                  tmp_path: Path) -> None:
    photo_tree(tmp_path, 3)
    run("push", "--quiet", str(tmp_path))
    table = run("ls").out.splitlines()
    listed = json.loads(run("ls", "--json").out)
    assert [line.split()[0] for line in table] == [p["id"] for p in listed]
    assert len(listed) == 3 and listed[0]["taken_at"] >= listed[-1]["taken_at"]
    assert len(json.loads(run("ls", "--json", "--limit", "2").out)) == 2


def test_ls_usage_shows_storage_and_quota(run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path, 2)
    run("push", "--quiet", str(tmp_path))
    used = fake.usage_bytes()
    assert used > 0
    assert run("ls", "--usage").out.startswith(f"{used} B used (no quota)")
    fake.quota_bytes = 1024**3
    assert f"{used} B of 1.0 GiB used (0 %)" in run("ls", "--usage").out
    assert json.loads(run("ls", "--usage", "--json").out) == {
        "usage_bytes": used, "quota_bytes": 1024**3}


def test_rm_moves_to_the_trash_and_names_what_it_could_not(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path, 2)
    run("push", "--quiet", str(tmp_path))
    first = sorted(fake.photos)[0]

    result = run("rm", first, "0" * 64)

    assert result.code == ExitCode.FAILED
    assert f"moved to the trash: {first}" in result.out
    assert f"{'0' * 64}: not found" in result.err
    assert fake.photos[first]["trashed_at"]
    assert len(json.loads(run("ls", "--json").out)) == 1
