"""login, logout, ls, rm and the exit codes, against the in-memory server."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from imgbackup.client import _config
from imgbackup.client._errors import ExitCode
from imgbackup.client._progress import human_wait
from imgbackup.client.cli import main

from .conftest import URL, Run, photo_tree
from .fake_server import TOKEN, FakeServer

pytestmark = pytest.mark.backend_independent


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


def test_logout_with_a_token_already_revoked_says_there_is_nothing_to_revoke(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a password change revoked it: no advice to revoke it on the tokens page."""
    monkeypatch.delenv("IMGBACKUP_TOKEN")
    monkeypatch.delenv("IMGBACKUP_URL")
    _config.save(_config.Login(URL, "revoked-token", "7"))
    result = run("logout")
    assert result.code == 0 and f"logged out of {URL}" in result.out
    assert "no longer accepts this token" in result.err
    assert "tokens page" not in result.err and "imgbackup login" not in result.err
    assert _config.stored() is None


def test_a_wrong_password_exits_3_and_stores_nothing(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("nope\n"))
    result = run("login", URL, "-u", "alice", "--password-stdin")
    assert result.code == ExitCode.AUTH
    assert "refused the user name or password" in result.err
    assert not _config.config_path().exists()


def test_a_login_url_with_no_api_behind_it_exits_5_and_says_which_address_to_give(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 404 for POST /api/v2/auth/token is a wrong address (a path after the host, another
    web site), not a refused password: exit 5 and say so, not 3 and "refused the login"."""
    import httpx

    monkeypatch.setattr(sys, "stdin", io.StringIO("alice-password-123\n"))
    fake.faults = [httpx.Response(404, json={"error": {
        "code": "not_found", "message": "no API at /api/v2/api/v2/auth/token"}})]
    result = run("login", URL + "/api/v2", "-u", "alice", "--password-stdin")
    assert result.code == ExitCode.SERVER, result.err
    assert "refused" not in result.err
    assert "no imgbackup API" in result.err and "e.g. https://photos.example.org" in result.err
    assert not _config.config_path().exists()


def test_an_empty_password_on_stdin_is_a_usage_error_and_sends_nothing(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    result = run("login", URL, "-u", "alice", "--password-stdin")
    assert result.code == ExitCode.USAGE, result.err
    assert "empty password" in result.err
    assert not fake.requests


def test_a_locked_out_login_says_how_long_to_wait(
        run: Run, fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("whatever\n"))
    result = run("login", URL, "-u", "locked-out", "--password-stdin")
    assert result.code == ExitCode.AUTH
    assert result.err.rstrip().endswith("too many wrong passwords: try again in 15 minutes")


@pytest.mark.parametrize(("seconds", "text"), [(900, "15 minutes"), (61, "2 minutes"),
                                               (60, "1 minute"), (3600, "1 hour"),
                                               (1, "1 second"), (0, "1 second")])
def test_waits_read_as_words(seconds: int, text: str) -> None:
    assert human_wait(seconds) == text


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


def test_a_push_of_a_folder_that_does_not_exist_is_a_usage_error(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path / "photos", 1)
    missing = tmp_path / "nonexistent"

    result = run("push", str(tmp_path / "photos"), str(missing))

    assert result.code == ExitCode.USAGE
    assert result.err == f"imgbackup push: no such folder or file: {missing}\n"
    assert fake.requests == [] and result.out == ""


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


class _ClosedPipe(io.StringIO):
    """Standard output once the reader (``imgbackup ls | head -1``) has gone."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_ls_into_a_pipe_closed_early_stops_quietly(run: Run, fake: FakeServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    photo_tree(tmp_path, 3)
    run("push", "--quiet", str(tmp_path))
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    code = main(["ls"])  # was a BrokenPipeError traceback
    assert code == ExitCode.OK
    assert capsys.readouterr().err == ""


def test_ls_sends_camera_lens_and_place_words_to_the_server(run: Run, fake: FakeServer,
                                                            tmp_path: Path) -> None:
    photo_tree(tmp_path, 1)
    run("push", "--quiet", str(tmp_path))
    assert run("ls", "--camera", "Apple iPhone", "--lens", "50mm", "--place", "São Paulo",
               "--json").code == 0
    sent = fake.requests[-1].url.params
    # The server matches word by word, so every client follows one rule (docs/api.md).
    assert (sent["camera"], sent["lens"], sent["place"]) == ("Apple iPhone", "50mm",
                                                             "São Paulo")


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


def test_rm_takes_a_unique_prefix_of_8_or_more_hex_characters_as_ls_shows_ids(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path, 3)
    run("push", "--quiet", str(tmp_path))
    first, second, third = sorted(fake.photos)

    result = run("rm", first[:8], second[:20].upper())

    assert result.code == 0, result.err
    assert f"moved to the trash: {first}" in result.out
    assert f"moved to the trash: {second}" in result.out
    assert [sha for sha, p in fake.photos.items() if not p["trashed_at"]] == [third]


def test_rm_says_when_a_prefix_is_ambiguous_and_trashes_nothing_for_it(
        run: Run, fake: FakeServer, tmp_path: Path) -> None:
    photo_tree(tmp_path, 1)
    run("push", "--quiet", str(tmp_path))
    (real,) = fake.photos
    for twin in ("abcdef01" + "1" * 56, "abcdef01" + "2" * 56):
        fake.photos[twin] = {**fake.photos[real], "id": twin, "sha256": twin}

    result = run("rm", "abcdef01", "abcdef012", real[:8], "abcdef00")

    assert result.code == ExitCode.FAILED
    assert ("imgbackup rm: abcdef01: ambiguous: 2 photos have ids starting so "
            "(abcdef011111..., abcdef012222...); give more characters") in result.err
    assert "imgbackup rm: abcdef00: not found" in result.err
    assert f"moved to the trash: {'abcdef01' + '2' * 56}" in result.out
    assert f"moved to the trash: {real}" in result.out
    assert not fake.photos["abcdef01" + "1" * 56]["trashed_at"]


@pytest.mark.parametrize("bad", ["abcdef0", "not-an-id", "g" * 64, "a" * 65])
def test_rm_refuses_what_cannot_be_an_id_before_asking_the_server(
        run: Run, fake: FakeServer, bad: str) -> None:
    result = run("rm", "a" * 64, bad)
    assert result.code == ExitCode.USAGE and f"not a photo id: {bad!r}" in result.err
    assert fake.requests == []


def test_help_into_a_closed_pipe_stops_quietly() -> None:
    """`imgbackup --help | head -3`: the reader may be gone before the help is written."""
    import os
    import subprocess

    read, write = os.pipe()
    os.close(read)  # the reader has gone
    try:
        done = subprocess.run([sys.executable, "-m", "imgbackup", "--help"], stdout=write,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr.decode()


def test_a_run_refused_before_it_starts_reports_no_empty_summary(
        run: Run, fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A revoked token: push and pull stop at the first request; "0 photos found" or "0 photos
    on the server" would read as an empty folder or an empty library."""
    photo_tree(tmp_path / "photos", 2)
    monkeypatch.setenv("IMGBACKUP_TOKEN", "revoked-token")
    for args in (("push", str(tmp_path / "photos")), ("pull", str(tmp_path / "restore"))):
        result = run(*args, "--quiet")
        assert result.code == ExitCode.AUTH
        assert result.out == "", result.out
        assert "refused the credentials" in result.err
