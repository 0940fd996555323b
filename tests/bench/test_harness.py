"""The benchmark harness itself, at tiny sizes: `python -m bench` starts its servers, measures,
stops them and writes BENCHMARKS.md and results.json. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_tiny_run_reports_every_item_it_was_asked_for(tmp_path: Path) -> None:
    """``--only 1,2,3`` runs items 1, 2, 3 and 1b (as ``--only 9`` runs 9 and 9b)."""
    run = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--only", "1,2,3",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    items = {item["key"]: item for item in results["items"]}
    assert sorted(items) == ["1", "1b", "2", "3"]
    for item in items.values():
        # Measured with figures, or saying why not: never silently empty.
        assert item["rows"] or item["not_measured"], item
    # Item 1 is measured against both references: a reference server that fails to start
    # (the original design's replica, once, when imgbackup.server imported the job queue)
    # must fail here, not leave BENCHMARKS.md with "not measured".
    upload = items["1"]
    assert upload["measured"], upload["not_measured"]
    names = {row["reference_name"] for row in upload["rows"]}
    assert {"nginx WebDAV PUT", "original design view"} <= names
    # (CPU per photo may round to 0 at these sizes: /proc counts 10 ms ticks.)
    assert all(row["ratio"] is not None for row in upload["rows"] if row["unit"] == "MB/s")
    # Item 1b states the floor and each path's multiple of it.
    assert items["1b"]["measured"], items["1b"]
    metrics = {row["metric"]: row for row in items["1b"]["rows"]}
    assert "the floor: nginx's CPU + SHA-256 + MD5" in metrics
    for path in ("original API multipart", "v2 POST /photos multipart",
                 "tus creation-with-upload"):
        assert metrics[f"{path}: server CPU per photo"]["reference_name"] == "the floor"
        assert metrics[f"{path}: throughput"]["ratio"] is not None
        assert metrics[f"{path}: idle latency of one photo (median)"]["ratio"] is not None
    assert any(name.startswith("`imgbackup push` CPU per photo") for name in metrics)
    # ... and whose CPU it was: process by process, thread by thread (bench/cpu_split.py).
    assert any("web workers, request threads" in note and "job worker" in note
               for note in items["1b"]["notes"])
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    for key in items:
        assert f"\n## {key}. " in markdown
    # Every server it started is stopped: nothing is left listening on its behalf.
    assert "scratch folder kept" not in run.stderr


@pytest.mark.slow
def test_the_video_and_background_items_run_at_the_tiny_scale(tmp_path: Path) -> None:
    """Items 10, 10b and 10c (``--only 10`` selects all three, as ``--only 9`` does 9 and 9b),
    on small, short clips made in code; ffmpeg's figures when it is installed."""
    run = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--only", "10",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    items = {item["key"]: item
             for item in json.loads((tmp_path / "results.json").read_text())["items"]}
    assert sorted(items) == ["10", "10b", "10c"]
    for item in items.values():
        assert item["rows"] and all(row["imgbackup"] for row in item["rows"]), item
    assert "smaller, shorter clip" in items["10"]["notes"][0]  # the scale says so
    assert [row["metric"].split(":")[0] for row in items["10b"]["rows"]] == ["remux",
                                                                             "transcode"]


def test_a_threads_time_is_split_into_on_a_cpu_waiting_and_asleep() -> None:
    """Item 10c's note: a busy thread's CPU is counted, a sleeping one's span is not."""
    import os
    import threading
    import time

    from bench.background import _job_threads
    from bench.servers import thread_times

    before = thread_times(os.getpid())
    sleeper = threading.Thread(target=time.sleep, args=(0.3,))
    sleeper.start()
    spent = time.process_time() + 0.2
    while time.process_time() < spent:
        pass
    sleeper.join()
    after = thread_times(os.getpid())
    assert str(threading.get_native_id()) in after
    [(on_cpu, waiting, asleep)] = _job_threads(before, after, span=_busy_span(before, after))
    assert on_cpu >= 0.15 and waiting >= 0 and asleep >= 0


def _busy_span(before: dict[str, tuple[float, float]],
                after: dict[str, tuple[float, float]]) -> float:
    return max(sum(after[t]) - sum(before.get(t, (0.0, 0.0))) for t in after)


def test_item_1b_splits_the_server_trees_cpu_by_process_and_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy child of the 'server' is a web worker's main thread; the server's own busy thread
    is the master's; a child that only sleeps costs nothing."""
    import os
    import subprocess
    import threading
    import time

    from bench import cpu_split, servers

    busy = ("import sys, time\nsys.stdin.readline()\nt = time.thread_time() + 0.2\n"
            "while time.thread_time() < t: pass\nprint(flush=True)\ntime.sleep(10)")
    children = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
                for code in (busy, "import sys; sys.stdin.readline()")]
    # The 'server' tree is this process and these two children: in a whole test run this
    # process has other children too (live servers of other tests), busy on their own.
    ours = [child.pid for child in children]
    monkeypatch.setattr(servers, "_descendants", lambda pid: ours if pid == os.getpid() else [])
    spun, done = threading.Event(), threading.Event()

    def spin() -> None:  # alive until the last reading: an ended thread's time is gone
        spun.wait(10)
        spent = time.thread_time() + 0.15
        while time.thread_time() < spent:
            pass
        spun.clear()
        done.wait(10)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        before = cpu_split.snapshot(os.getpid())
        spun.set()
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        assert children[0].stdout is not None
        children[0].stdout.readline()  # the busy child has spun
        while spun.is_set():
            time.sleep(0.01)
        split = cpu_split.difference(before, cpu_split.snapshot(os.getpid()))
    finally:
        done.set()
        spinner.join()
        for child in children:
            child.kill()
            child.wait()
    assert 0.15 <= split[cpu_split.WEB_MAIN] < 0.3, split
    assert split[cpu_split.MASTER] >= 0.15, split
    assert split[cpu_split.WEB_REQUESTS] == 0 and split[cpu_split.JOB_WORKER] == 0, split
    assert cpu_split.describe(split, 10).startswith("gunicorn master 1")
