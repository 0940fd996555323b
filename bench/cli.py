"""Item 7: ``imgbackup push`` of an unchanged folder again, against its first push."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench import servers
from bench.images import photo_set, write_set
from bench.report import Item
from bench.scales import Scale


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imgbackup", *args], env=env,
                          cwd=servers.ROOT, capture_output=True, text=True, timeout=900)


def has_push() -> bool:
    help_run = _cli(servers.imgbackup_env(Path("/nonexistent-bench-data")), "push", "--help")
    return help_run.returncode == 0 and "push" in help_run.stdout.lower()


def measure(work: Path, scale: Scale) -> Item:
    item = Item("7", "CLI re-push of an unchanged folder")
    if not has_push():
        item.not_measured = "the `imgbackup push` client (branch cli) has not landed in this build"
        return item
    folder = work / "cli"
    photos = write_set(folder / "photos", photo_set(scale.cli_files, scale.cli_photo_size,
                                                    tag="cli"))
    reads = []
    with servers.imgbackup(folder) as server:
        env = {**servers.imgbackup_env(folder / "data"), "HOME": str(folder / "home"),
               "XDG_CONFIG_HOME": str(folder / "home" / ".config"),
               "XDG_CACHE_HOME": str(folder / "home" / ".cache"),
               "IMGBACKUP_TOKEN": server.token, "IMGBACKUP_URL": server.url}
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            push = _cli(env, "push", "--json", "--quiet", str(folder / "photos"))
            seconds.append(time.perf_counter() - start)
            if push.returncode != 0:
                item.not_measured = f"`imgbackup push` failed: {push.stderr.strip()[-300:]}"
                return item
            summary = json.loads(push.stdout)
            reads.append(f"read {summary.get('read')} files, uploaded {summary.get('uploaded')}")
    first, again = seconds
    item.row("re-push wall time", "s", again, first, "first push of the same folder", False)
    item.notes.append(
        f"{len(photos)} JPEGs of {scale.cli_photo_size[0]}x{scale.cli_photo_size[1]}; wall time "
        f"of the whole `imgbackup push --json` process, interpreter start-up included, against "
        f"a local server. First push: {reads[0]}; re-push: {reads[1]}.")
    return item
