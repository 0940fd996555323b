"""Soak: N minutes of mixed traffic from 8 concurrent clients against a real served server.

    python -m tests.soak [--minutes N]      (make soak SOAK_MINUTES=N; default 10)

Each client is its own user with its own photos, so every answer is predictable: an upload is
200, a download of a live photo gives its bytes back, a trashed one is 404, and so on. The run
passes when no answer was a 5xx or otherwise unexpected, the web server's memory grew after
warm-up by no more than what its threads may still take (``memory_budget``), and ``imgbackup
verify`` is clean afterwards.
Operations of API v2 (check, list, thumbnail, restore) join in when the server has API v2;
without it, restore is a re-upload (which brings a trashed photo back) and check is a GET."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from imgbackup.body import BUFFER

CLIENTS = 8
V1 = "/api/v1.0/service/image/"
# The soak's server: start_server's processes and threads.
WORKERS, THREADS = 2, 4
MiB = 1 << 20
# What a server thread may still take after warm-up without leaking, each once: its body buffer
# (imgbackup/body.py, 2 MiB) and its SQLite connection's page cache (SQLite's default
# cache_size, 2000 KiB), if it first served an upload or a query after warm-up.
PER_THREAD = BUFFER + 2000 * 1024
# Weights of the operations a client picks from (a backup client mostly uploads and checks).
MIX = {"upload": 30, "check": 15, "list": 10, "thumbnail": 10, "download": 15, "trash": 10,
       "restore": 10}


@dataclass
class Photo:
    body: bytes
    md5: str
    sha256: str
    trashed: bool = False


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ops: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def record(self, op: str, status: int, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.ops[op] += 1
            self.statuses[status] += 1
            self.latencies.append(seconds)
            if problem is not None and len(self.failures) < 50:
                self.failures.append(f"{op}: {problem}")


class Client:
    def __init__(self, url: str, token: str, number: int, has_v2: bool, tally: Tally) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=60)
        self.rng = random.Random(number)
        self.number = number
        self.has_v2 = has_v2
        self.tally = tally
        self.photos: list[Photo] = []
        self.seed = number * 1_000_000

    def run(self, until: float) -> None:
        ops, weights = zip(*MIX.items(), strict=True)
        while time.monotonic() < until:  # bounded by the clock
            op = self.rng.choices(ops, weights)[0]
            if op != "upload" and not self.photos:
                op = "upload"
            started = time.monotonic()
            try:
                status, problem = getattr(self, op)()
            except httpx.HTTPError as exc:
                status, problem = 0, f"{type(exc).__name__}: {exc}"
            self.tally.record(op, status, time.monotonic() - started, problem)
        self.http.close()

    def pick(self, trashed: bool | None = None) -> Photo | None:
        pool = [p for p in self.photos if trashed is None or p.trashed == trashed]
        return self.rng.choice(pool) if pool else None

    def upload(self) -> tuple[int, str | None]:
        from conftest import make_jpeg

        again = self.pick() if self.rng.random() < 0.1 else None  # same bytes again: dedup
        if again is None:
            self.seed += 1
            # The comment makes every photo's bytes unique (pixels alone repeat across seeds),
            # so this client's idea of what is trashed matches the server's.
            body = make_jpeg(self.seed, size=(96 + self.seed % 64, 72),
                             comment=f"soak client {self.number} photo {self.seed}".encode())
            again = Photo(body, hashlib.md5(body).hexdigest(),
                          hashlib.sha256(body).hexdigest())
        r = self.http.post(V1, files={"photo": ("p.jpg", again.body, "image/jpeg")})
        # The model follows what the server acknowledged, so one failed call is one failure,
        # not a cascade of "unexpected" answers after it.
        if r.status_code == 200:
            again.trashed = False
            if again not in self.photos:
                self.photos.append(again)
        return r.status_code, expect(r, 200, lambda: r.json()["data"][0]["md5"] == again.md5)

    def download(self) -> tuple[int, str | None]:
        photo = self.pick()
        assert photo is not None
        r = self.http.get(V1, params={"md5": photo.md5})
        if photo.trashed:
            return r.status_code, expect(r, 404)
        return r.status_code, expect(r, 200, lambda: r.content == photo.body)

    def trash(self) -> tuple[int, str | None]:
        photo = self.pick(trashed=False)
        if photo is None:
            return self.upload()
        r = self.http.delete(V1, params={"md5": photo.md5})
        photo.trashed = r.status_code == 200  # a failed call changed nothing: keep the model true
        return r.status_code, expect(r, 200)

    def restore(self) -> tuple[int, str | None]:
        photo = self.pick(trashed=True)
        if photo is None:
            return self.download()
        if not self.has_v2:
            r = self.http.post(V1, files={"photo": ("p.jpg", photo.body, "image/jpeg")})
        else:
            r = self.http.post(f"/api/v2/photos/{photo.sha256}/restore")
        photo.trashed = r.status_code != 200
        return r.status_code, expect(r, 200)

    def check(self) -> tuple[int, str | None]:
        if not self.has_v2:
            return self.download()
        sample = self.rng.sample(self.photos, min(20, len(self.photos)))
        r = self.http.post("/api/v2/photos/check",
                           json={"hashes": [p.md5 for p in sample] + ["0" * 32]})
        return r.status_code, expect(r, 200, lambda: "0" * 32 in r.json()["missing"])

    def list(self) -> tuple[int, str | None]:
        if not self.has_v2:
            return self.download()
        r = self.http.get("/api/v2/photos", params={"limit": 50})
        return r.status_code, expect(r, 200, lambda: isinstance(r.json()["items"], list))

    def thumbnail(self) -> tuple[int, str | None]:
        photo = self.pick(trashed=False)
        if not self.has_v2 or photo is None:
            return self.download()
        r = self.http.get(f"/api/v2/photos/{photo.sha256}/thumbnail")
        return r.status_code, expect(r, 200)


def expect(r: httpx.Response, status: int, ok: object = None) -> str | None:
    if r.status_code != status:
        return f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:200]}"
    if callable(ok) and not ok():
        return f"{r.request.method} {r.request.url.path}: unexpected body {r.text[:200]}"
    return None


def memory_budget(workers: int = WORKERS, threads: int = THREADS) -> int:
    """Bytes the web server may grow by after warm-up: a fixed sum, known before the run."""
    return workers * threads * PER_THREAD


def server_memory(pid: int) -> int:
    """Proportional memory (PSS) in bytes of the web server: the gunicorn master ``pid`` and
    its workers, which run its command line. PSS, not RSS: a page the forked workers share
    counts once in all, where RSS counts it again in each worker that touches it. Other
    processes of its group are left out: ``imgbackup purge``, which the master starts a minute
    after it (imgbackup/periodic.py), lives for seconds with a Python process's memory."""
    server = _read(pid, "cmdline")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pid or _read(int(entry.name),
                                                                      "cmdline") != server:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            continue  # a process that ended while we looked
    return total


def _read(pid: int, name: str) -> bytes:
    return (Path("/proc") / str(pid) / name).read_bytes()


@dataclass
class Result:
    seconds: float
    tally: Tally
    memory_baseline: int
    memory_final: int
    verify: dict[str, object]
    has_v2: bool

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.tally.statuses.items() if status >= 500)

    @property
    def memory_growth(self) -> int:
        return self.memory_final - self.memory_baseline

    @property
    def problems(self) -> list[str]:
        found = list(self.tally.failures)
        if self.server_errors:
            found.append(f"{self.server_errors} answers were 5xx")
        if self.memory_growth > memory_budget():
            found.append(f"server memory grew {self.memory_growth / MiB:.1f} MiB after warm-up, "
                         f"more than its threads may take ({memory_budget() / MiB:.1f} MiB): "
                         f"{self.memory_baseline / MiB:.0f} -> {self.memory_final / MiB:.0f} MiB")
        if not self.verify.get("clean"):
            found.append(f"imgbackup verify is not clean: {self.verify}")
        return found

    def summary(self) -> str:
        lat = sorted(self.tally.latencies) or [0.0]
        total = sum(self.tally.ops.values())
        return "\n".join([
            f"soak: {self.seconds:.0f} s, {CLIENTS} clients, {total} requests "
            f"({total / self.seconds:.1f}/s), API v2 {'on' if self.has_v2 else 'absent'}",
            "operations: " + ", ".join(f"{k} {v}" for k, v in sorted(self.tally.ops.items())),
            "statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.tally.statuses.items())),
            f"latency p50 {statistics.median(lat) * 1000:.0f} ms, "
            f"p95 {lat[int(len(lat) * 0.95)] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms",
            f"server memory (PSS) after warm-up {self.memory_baseline / MiB:.1f} MiB, at the end "
            f"{self.memory_final / MiB:.1f} MiB ({self.memory_growth / MiB:+.1f} MiB; budget "
            f"{memory_budget() / MiB:.1f} MiB)",
            f"verify: {self.verify.get('checked')} originals, clean={self.verify.get('clean')}",
            "PASS" if not self.problems else "FAIL:\n  " + "\n  ".join(self.problems),
        ])


def soak(seconds: float, workdir: Path) -> Result:
    from conftest import start_server

    # The web server's own memory is what must stay flat: no background job workers in its
    # process group (their renders grow them to their budget once, which is not a leak; their
    # memory is bounded by IMGBACKUP_RENDER_MEMORY_MB and IMGBACKUP_VIDEO_MEMORY_MB). Thumbnails
    # are then made on request, as the soak's clients ask for them.
    server = start_server(workdir, {"IMGBACKUP_LOG_LEVEL": "WARNING", "IMGBACKUP_JOB_WORKERS": "0",
                                    "IMGBACKUP_WORKERS": str(WORKERS),
                                    "IMGBACKUP_THREADS": str(THREADS)})
    try:
        tokens = make_users(server.imgbackup)
        has_v2 = httpx.get(server.url + "/api/v2/photos", params={"limit": 1}, headers={
            "Authorization": f"Bearer {tokens[0]}"}).status_code != 404
        tally = Tally()
        started = time.monotonic()
        until = started + seconds
        clients = [Client(server.url, token, i, has_v2, tally) for i, token in enumerate(tokens)]
        threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
        for t in threads:
            t.start()
        samples = sample_memory(server.process.pid, until)
        for t in threads:
            t.join(120)
        elapsed = time.monotonic() - started
        baseline, final = memory_window(samples, started + warm_up(seconds))
        out = subprocess.run([sys.executable, "-m", "imgbackup", "verify", "--json"],
                             env=server.env, capture_output=True, text=True, timeout=600)
        verify = json.loads(out.stdout or "{}")
        return Result(elapsed, tally, baseline, final, verify, has_v2)
    finally:
        server.stop()


def warm_up(seconds: float) -> float:
    """The first third of the run, at least 15 s, lets caches, pools and threads fill."""
    return max(15.0, seconds / 3)


def sample_memory(pid: int, until: float) -> list[tuple[float, int]]:
    samples = []
    while time.monotonic() < until:
        samples.append((time.monotonic(), server_memory(pid)))
        time.sleep(2)
    return samples


def memory_window(samples: list[tuple[float, int]], warm: float) -> tuple[int, int]:
    """Median memory of the first and of the last few samples after warm-up."""
    after = [rss for at, rss in samples if at >= warm] or [rss for _, rss in samples]
    n = max(1, min(5, len(after) // 3))
    return int(statistics.median(after[:n])), int(statistics.median(after[-n:]))


def make_users(imgbackup: object) -> list[str]:
    script = (
        "from django.contrib.auth.models import User\n"
        "from imgbackup.accounts.tokens import create_token\n"
        f"for i in range({CLIENTS}):\n"
        "    u = User.objects.create_user(f'soak{i}', password='soak-password-123')\n"
        "    print(create_token(u, 'soak')[1])\n")
    out = imgbackup("shell", "-c", script)  # type: ignore[operator]
    return [line for line in out.split() if line.startswith("ib_")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--minutes", type=float,
                        default=float(os.environ.get("SOAK_MINUTES", "10")))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imgbackup-soak-") as tmp:
        result = soak(args.minutes * 60, Path(tmp))
    print(result.summary())
    return 0 if not result.problems else 1


def _importable_fixtures() -> None:
    """tests/conftest.py imports Django models: settle Django first, with throwaway data."""
    os.environ.setdefault("IMGBACKUP_DATA_DIR", tempfile.mkdtemp(prefix="imgbackup-soak-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")
    tests = str(Path(__file__).resolve().parent)
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the summary


if __name__ == "__main__":
    _importable_fixtures()
    sys.exit(main())
