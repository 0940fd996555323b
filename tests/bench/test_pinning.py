"""``python -m bench --pin``: servers and clients on separate CPUs (issue 17's taskset run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench import pinning

pytestmark = [pytest.mark.backend_independent,
              pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or pinning.TASKSET is None,
                                 reason="needs 2 CPUs and taskset")]

# In a child process: this one's affinity is not to be changed.
PROBE = """
import json, os, subprocess, sys
from bench import pinning
pinning.pin()
server = subprocess.run(pinning.server_command(
    [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"]),
    capture_output=True, text=True, check=True).stdout
print(json.dumps({"client": sorted(os.sched_getaffinity(0)), "server": json.loads(server),
                  "described": pinning.describe()}))
"""


def test_servers_and_clients_get_separate_cpus_covering_all() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(pinning.__file__)))
    found = json.loads(out.stdout)
    client, server = set(found["client"]), set(found["server"])
    assert client and server and not client & server, found
    assert client | server == os.sched_getaffinity(0), found
    assert "taskset" in found["described"], found


def test_unpinned_commands_run_as_they_are() -> None:
    assert pinning.server_command(["nginx", "-c", "x"]) == ["nginx", "-c", "x"]
    assert pinning.describe() == ""
