"""deploy/systemd/: what the units ask of the machine must match what the server needs; and the
open files limit `imgbackup serve` sets itself, however it is started."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.backend_independent

UNITS = Path(__file__).resolve().parent.parent.parent / "deploy" / "systemd"


def service(name: str) -> configparser.SectionProxy:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((UNITS / name).read_text())
    return unit["Service"]


def test_the_server_unit_allows_a_descriptor_per_connection() -> None:
    # Each server process holds up to IMGBACKUP_MAX_CONNECTIONS sockets, plus its listening
    # socket, database connections, spool files and libraries. Under systemd's default soft
    # limit (1024 open files) a worker's accept() failed with EMFILE after ~1000 connections
    # and the whole worker process exited, every request in it with it (seen: `ulimit -n 256`,
    # 400 idle connections, "Worker (pid:...) exited with code 255").
    limit = service("imgbackup.service").get("LimitNOFILE")
    assert limit is not None, "imgbackup.service sets no LimitNOFILE"
    assert int(limit.split(":")[0]) >= 2 * settings.MAX_CONNECTIONS


def test_each_unit_runs_an_imgbackup_command_that_exists() -> None:
    from django.core.management import get_commands

    commands = set(get_commands())
    for path in sorted(UNITS.glob("*.service")):
        argv = service(path.name)["ExecStart"].split()
        assert argv[0] == "/opt/imgbackup/.venv/bin/imgbackup", path.name
        if argv[1] == "%i":  # imgbackup-batch@: the timers docs/deployment.md names
            assert {"verify", "gc", "purge"} <= commands
        else:
            assert argv[1] in commands, f"{path.name}: no command {argv[1]!r}"


def test_the_separate_job_worker_the_docs_describe_has_a_unit() -> None:
    # deployment.md: "set IMGBACKUP_JOB_WORKERS=0 there and run `imgbackup worker` ... on
    # other machines"; an operator following it had no unit for that process.
    argv = service("imgbackup-worker.service")["ExecStart"].split()
    assert argv[1:] == ["worker"]
    assert service("imgbackup-worker.service")["EnvironmentFile"] == (
        service("imgbackup.service")["EnvironmentFile"])


def test_each_unit_creates_the_folder_it_starts_in() -> None:
    # imgbackup-batch@ started in /var/lib/imgbackup without creating it: on a node without
    # imgbackup.service (a worker or batch machine), `useradd --system` makes no home and the
    # timer's run failed at its chdir (status 200/CHDIR) before imgbackup ran.
    for path in sorted(UNITS.glob("*.service")):
        unit = service(path.name)
        if unit.get("WorkingDirectory") == "/var/lib/imgbackup":
            assert unit.get("StateDirectory") == "imgbackup", path.name


def _limit_after_raise(soft: int, hard: int) -> subprocess.CompletedProcess[str]:
    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))\n"
            "from imgbackup.server import raise_open_files_limit\n"
            "raise_open_files_limit(4096)\n"
            "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)


def test_serve_raises_its_open_files_limit_as_far_as_the_hard_limit_allows() -> None:
    # However it is started (systemd without LimitNOFILE, a shell, a container), a soft limit
    # of 256 under a hard one of 8192 no longer leaves 4096 connections 256 descriptors.
    raised = _limit_after_raise(256, 8192)
    assert int(raised.stdout) == 4096 + 1024 and raised.stderr == ""
    capped = _limit_after_raise(256, 1024)
    assert int(capped.stdout) == 1024
    assert "IMGBACKUP_MAX_CONNECTIONS=4096 needs about 5120" in capped.stderr
