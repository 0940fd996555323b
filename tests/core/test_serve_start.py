"""Starting the server: a port that is taken is said at once, with what to run instead, before
any migration or "serving" line; `make serve` says what it installs and takes PORT. Migrations
are applied in a forked child, so their memory is not kept by the server (bench item 2)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.utils import OperationalError

from imgbackup.management.commands import serve
from imgbackup.server import check_port, next_free_port

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def taken() -> Iterator[int]:
    """A port another program listens on (127.0.0.1), for the length of the test."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def test_serve_on_a_taken_port_says_so_and_what_to_run_before_doing_anything(
        taken: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    migrations: list[bool] = []
    monkeypatch.setattr(serve, "migrate", lambda: migrations.append(True))
    monkeypatch.setattr(serve, "run_gunicorn", lambda *a: pytest.fail("gunicorn started"))

    with pytest.raises(CommandError) as refused:
        call_command("serve", "--port", str(taken))

    message = str(refused.value)
    assert message.startswith(f"port {taken} is in use: `imgbackup serve --port ")
    assert "make serve PORT=" in message
    assert migrations == [] and "serving" not in capsys.readouterr().out


def test_the_port_suggested_is_the_next_free_one() -> None:
    busy = {8001, 8002}
    assert next_free_port("127.0.0.1", 8000, lambda host, port: port not in busy) == 8003
    assert next_free_port("127.0.0.1", 8000, lambda host, port: False) == 8001


def test_a_free_port_passes_the_check(taken: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    check_port("127.0.0.1", free)
    with pytest.raises(Exception, match=f"port {taken} is in use: `imgbackup serve --port"):
        check_port("127.0.0.1", taken)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_serve_says_what_it_installs_and_takes_the_port(tmp_path: Path) -> None:
    # Run as a person would, even when the suite itself runs under `make test`: a sub-make
    # prints "Entering/Leaving directory" lines around its plan.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}}
    plan = subprocess.run(["make", "--no-print-directory", "-n", "serve", "PORT=8001",
                           f"VENV={tmp_path}/venv"],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout.splitlines()
    install = next(i for i, line in enumerate(plan) if "pip install" in line and " -e " in line)
    assert plan[install - 1].startswith('echo "make: installing imgbackup')
    assert plan[-1] == f"{tmp_path}/venv/bin/imgbackup serve --port 8001"


def test_migrations_are_applied_in_a_child_whose_memory_goes_with_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran = tmp_path / "ran"
    monkeypatch.setattr(serve, "migrate", lambda: ran.write_text(str(os.getpid())))
    serve.migrate_apart()
    assert int(ran.read_text()) != os.getpid()


def test_a_database_that_cannot_be_reached_is_said_as_the_child_met_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> None:
        raise OperationalError("connection refused on port 1")

    monkeypatch.setattr(serve, "migrate", unreachable)
    with pytest.raises(OperationalError, match="connection refused on port 1"):
        serve.migrate_apart()


def test_a_migration_that_fails_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("a broken migration")

    monkeypatch.setattr(serve, "migrate", broken)
    with pytest.raises(CommandError, match="applying the migrations failed"):
        serve.migrate_apart()
