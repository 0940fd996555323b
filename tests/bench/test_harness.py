"""The benchmark harness itself, at tiny sizes: `python -m bench` starts its servers, measures,
stops them and writes BENCHMARKS.md and results.json. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_tiny_run_reports_every_item_it_was_asked_for(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--only", "1,2,3",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    items = {item["key"]: item for item in results["items"]}
    assert sorted(items) == ["1", "2", "3"]
    for item in items.values():
        # Measured with figures, or saying why not: never silently empty.
        assert item["rows"] or item["not_measured"], item
    upload = items["1"]
    if upload["measured"]:
        names = {row["reference_name"] for row in upload["rows"]}
        assert {"nginx WebDAV PUT", "original design view"} <= names
        # (CPU per photo may round to 0 at these sizes: /proc counts 10 ms ticks.)
        assert all(row["ratio"] is not None for row in upload["rows"] if row["unit"] == "MB/s")
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    for key in items:
        assert f"\n## {key}. " in markdown
    # Every server it started is stopped: nothing is left listening on its behalf.
    assert "scratch folder kept" not in run.stderr


@pytest.mark.slow
def test_item_1b_states_the_floor_and_each_paths_multiple_of_it(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--only", "1b",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    [item] = results["items"]
    assert item["key"] == "1b" and item["measured"], item
    metrics = {row["metric"]: row for row in item["rows"]}
    assert "the floor: nginx's CPU + SHA-256 + MD5" in metrics
    for path in ("original API multipart", "v2 POST /photos multipart",
                 "tus creation-with-upload"):
        assert metrics[f"{path}: server CPU per photo"]["reference_name"] == "the floor"
        assert metrics[f"{path}: throughput"]["ratio"] is not None
        assert metrics[f"{path}: idle latency of one photo (median)"]["ratio"] is not None
    assert any(name.startswith("`imgbackup push` CPU per photo") for name in metrics)
