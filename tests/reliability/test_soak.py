"""The 60-second version of ``make soak``, run by ``make test``; and its memory check."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imgbackup.body import BUFFER
from soak import MiB, Result, Tally, memory_budget, server_memory, soak

SECONDS = 60


@pytest.mark.slow
@pytest.mark.soak
def test_a_minute_of_mixed_traffic_from_8_clients(tmp_path: Path) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = soak(SECONDS, tmp_path)
    print(result.summary())
    assert result.server_errors == 0
    assert result.problems == []
    assert sum(result.tally.ops.values()) > 100


@pytest.mark.backend_independent
@pytest.mark.parametrize(("grown_mib", "failed"), [(2, False), (40, True)])
def test_memory_grown_past_the_budget_fails_the_soak(grown_mib: int, failed: bool) -> None:
    # 2 processes of 4 threads, each its body buffer and its SQLite page cache
    assert memory_budget() == 8 * (BUFFER + 2000 * 1024) == 8 * (2 * MiB + 2000 * 1024)
    result = Result(60, Tally(), 150 * MiB, (150 + grown_mib) * MiB, {"clean": True}, True)
    assert any("server memory grew" in p for p in result.problems) is failed


@pytest.mark.backend_independent
def test_the_servers_memory_leaves_out_other_commands_of_its_group() -> None:
    """A child with another command line (as ``imgbackup purge`` is) is not the server."""
    child = "import time; x = b'1' * (64 << 20); time.sleep(30)"  # 64 MiB it has written
    leader = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time; "
         f"subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(30)"],
        start_new_session=True)
    try:
        time.sleep(1.5)  # the child has touched its 64 MiB
        measured = server_memory(leader.pid)
        assert 0 < measured < 40 * MiB, measured
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
