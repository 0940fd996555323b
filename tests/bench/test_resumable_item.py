"""Item 11's throughput figure (bench/resumable.py) is each side's median of uploads alternated
in ``ORDER``, not one upload of each: one pair measured the machine's moment (0.72-0.95x on the
same code, bench/analysis.md). Each upload is destroyed once timed, so that a full-scale run
does not fill the disk."""

from __future__ import annotations

import dataclasses
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import on_postgres, on_s3

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.modules.pop("bench", None)

from bench import client, resumable  # noqa: E402
from bench.scales import SCALES  # noqa: E402

pytestmark = pytest.mark.skipif(on_s3() or on_postgres(),
                                reason="the bench's own: run once, on the default backends")
MIB = 1024 * 1024
SIZES = resumable.SIZES["tiny"]


def sent(seconds: float, growth_mib: float = 1.0, cpu: float = 0.1) -> resumable.Sent:
    return resumable.Sent(seconds, SIZES.file, "kept", 100 * MIB, int((100 + growth_mib) * MIB),
                          60 * MIB, 50 * MIB, (seconds / 2, seconds / 2), 2.0, cpu)


def test_both_sides_run_as_often_and_each_runs_right_after_the_other() -> None:
    order = resumable.ORDER
    assert sorted(order) == ["post"] * (len(order) // 2) + ["tus"] * (len(order) // 2)
    pairs = list(pairwise(order))
    assert ("tus", "post") in pairs and ("post", "tus") in pairs


def test_the_throughput_is_each_sides_median_run_and_memory_its_worst() -> None:
    tus = [sent(1.0, growth_mib=9), sent(4.0), sent(2.0)]
    post = [sent(3.0), sent(1.5), sent(6.0, growth_mib=5)]
    item = resumable._throughput_item(tus, post, SIZES, SCALES["tiny"])
    rows = {row.metric.split(" (")[0]: row for row in item.rows}
    throughput = rows["throughput"]
    assert throughput.imgbackup == pytest.approx(SIZES.file / MIB / 2.0)
    assert throughput.reference == pytest.approx(SIZES.file / MIB / 3.0)
    assert throughput.ratio == pytest.approx(1.5)
    assert rows["growth of the RSS sum during the upload"].imgbackup == pytest.approx(9)
    assert rows["growth of the RSS sum during the upload"].reference == pytest.approx(5)
    assert item.target_met
    # Every run is in the note, in the order it ran (24 MiB in 1 s is 24 MB/s...).
    runs = " ".join(part.split(" (")[0] for part in item.notes[0].split(", "))
    assert "tus 24 post 8 post 16 tus 6 tus 12 post 4" in runs


def disk_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


@pytest.mark.slow
def test_each_upload_leaves_the_servers_disk_right_after_it_is_timed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At full scale six 2 GiB uploads kept until the end filled the disk (README): each is
    destroyed, its original's bytes gone, once timed, and not on the clock."""
    sizes = dataclasses.replace(SIZES, file=6 * MIB, chunk=2 * MIB)
    monkeypatch.setattr(resumable, "SETTLE_SECONDS", 0.0)
    data = tmp_path / "server" / "data"
    held: list[int] = []  # the data folder's bytes as each timed span ends
    timed = resumable._sampled

    def sampled(*args: Any) -> resumable.Sent:
        run = timed(*args)
        held.append(disk_bytes(data))
        return run

    monkeypatch.setattr(resumable, "_sampled", sampled)
    (tmp_path / "files").mkdir()
    with resumable._server(tmp_path / "server", sizes.file) as server:
        tus, post = resumable._alternated(server, tmp_path / "files", sizes)
        left = disk_bytes(data)
        listed = [client.call_json(server.port, "GET", path, token=server.token)[1]["items"]
                  for path in ("/api/v2/photos", "/api/v2/trash")]

    assert [run.status for run in tus + post] == ["kept"] * 3 + ["200"] * 3
    assert len(held) == 6 and min(held) >= sizes.file  # each timed with its upload on disk
    assert left < sizes.file // 2, f"{left} bytes left in the server's data folder"
    assert listed == [[], []]  # neither a photo nor one in the trash
