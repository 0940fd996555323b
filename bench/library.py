"""Items 5 and 6: list latency at growing library sizes, and /photos/check with many hashes.

Libraries are inserted in bulk through the ORM (bench/seed.py), then a real server answers."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench import client, postgres, profile, servers
from bench.postgres import Database
from bench.report import Item
from bench.scales import Scale
from bench.seed import sha256_of

LIST = "/api/v2/photos"
CHECK = "/api/v2/photos/check"
PAGE = 100
USER = "bench"


def _seed_command(data: Path, *args: str, env_extra: dict[str, str] | None = None,
                  timeout: int = 900) -> str:
    env = servers.imgbackup_env(data, env_extra)
    out = subprocess.run([sys.executable, "-m", "bench.seed", str(data), *args], env=env,
                         cwd=servers.ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"bench.seed {' '.join(args)} failed: {out.stderr.strip()[-600:]}")
    return out.stdout.strip().splitlines()[-1]


def v2_routes(work: Path) -> dict[str, bool]:
    found: dict[str, bool] = json.loads(_seed_command(work / "routes", "--routes", LIST, CHECK))
    return found


@dataclass
class Latency:
    p50: float
    p99: float


def _once(server: servers.Server, method: str, path: str, payload: object = None) -> float:
    """Milliseconds of one request that must answer 200."""
    status, body, seconds = client.call_json(server.port, method, path, payload, server.token)
    if status != 200:
        raise RuntimeError(f"{method} {path} answered {status}: {str(body)[:300]}")
    return seconds * 1000


def _latency(times_ms: list[float]) -> Latency:
    run = client.Run(0, [t / 1000 for t in times_ms], 0, 0, {})
    return Latency(run.percentile(50) * 1000, run.percentile(99) * 1000)


def _timed(server: servers.Server, method: str, path: str, repeats: int,
           payload: object = None) -> Latency:
    return _latency([_once(server, method, path, payload) for _ in range(repeats)])


def _deep_cursor(server: servers.Server, size: int) -> tuple[str, int]:
    """Walk the timeline with big pages to ~90 % of its depth; the cursor found there."""
    cursor, seen = "", 0
    step = min(500, max(1, size // 10))
    for _ in range(size // step + 2):
        if seen >= size * 0.9 - step:
            break
        path = f"{LIST}?limit={step}" + (f"&cursor={quote(cursor)}" if cursor else "")
        status, body, _ = client.call_json(server.port, "GET", path, token=server.token)
        if status != 200 or not body.get("next_cursor"):
            break
        seen += len(body["items"])
        cursor = body["next_cursor"]
    return cursor, seen


def _list_sizes(work: Path, scale: Scale, database: Database | None = None
                ) -> list[tuple[int, Latency, Latency, int, Path]]:
    """Build every library, serve them all at once, then time their pages in turns, so that
    the machine's noise falls on every size alike."""
    prefix = "library" if database is None else "pg-library"
    libraries = []
    for size in scale.list_sizes:
        folder = work / f"{prefix}-{size}"
        extra = {"IMGBACKUP_DATABASE_URL": database(f"bench{size}")} if database else {}
        _seed_command(folder / "data", USER, str(size), env_extra=extra)
        libraries.append((size, folder, extra))
    with ExitStack() as stack:
        served = [(size, folder, stack.enter_context(servers.imgbackup(folder, extra, user=USER)))
                  for size, folder, extra in libraries]
        paths: list[tuple[servers.Server, str, str]] = []
        depths = []
        for size, _, server in served:
            _timed(server, "GET", f"{LIST}?limit={PAGE}", 3)  # warm-up
            cursor, depth = _deep_cursor(server, size)
            depths.append(depth)
            paths.append((server, f"{LIST}?limit={PAGE}",
                          f"{LIST}?limit={PAGE}&cursor={quote(cursor)}"))
        times: list[tuple[list[float], list[float]]] = [([], []) for _ in served]
        for _ in range(scale.list_repeats):
            for (server, first, deep), (first_times, deep_times) in zip(paths, times,
                                                                        strict=True):
                first_times.append(_once(server, "GET", first))
                deep_times.append(_once(server, "GET", deep))
    return [(size, _latency(first_times), _latency(deep_times), depth, folder / "data")
            for (size, folder, _), (first_times, deep_times), depth
            in zip(served, times, depths, strict=True)]


def measure(work: Path, scale: Scale) -> Iterator[Item]:
    found = v2_routes(work)
    list_item = Item("5", "List latency (`GET /api/v2/photos`, SQLite)",
                     target="p99 < 50 ms at 100 000 photos, flat across sizes")
    check_item = Item("6", f"`POST /api/v2/photos/check` with {scale.check_hashes:,} hashes",
                      target=f"< 200 ms for {scale.check_hashes:,} hashes")
    if not found.get(LIST):
        list_item.not_measured = f"`GET {LIST}` does not exist yet (API v2, branch v2)."
        yield list_item
    if not found.get(CHECK):
        check_item.not_measured = f"`POST {CHECK}` does not exist yet (API v2, branch v2)."
    if not found.get(LIST) and not found.get(CHECK):
        yield check_item
        return
    results = []
    check_data: Path | None = None
    for size, first, deep, depth, data in _list_sizes(work, scale):
        results.append((size, first, deep, depth))
        if size >= scale.check_hashes and check_data is None:
            check_data = data
    if found.get(LIST):
        _fill_list(list_item, results)
        yield list_item
        yield _postgres_list(work, scale)
    if found.get(CHECK):
        _check(check_item, work, scale, check_data)
    yield check_item


def _fill_list(item: Item, results: list[tuple[int, Latency, Latency, int]]) -> None:
    base_size, base_first, base_deep, _ = results[0]
    ref = f"same page at {base_size:,} photos"
    for size, first, deep, depth in results:
        for label, lat, base in (("first page", first, base_first),
                                 (f"deep page (after {depth:,})", deep, base_deep)):
            item.row(f"{label} p50 at {size:,} photos", "ms", lat.p50, base.p50, ref, False)
            item.row(f"{label} p99 at {size:,} photos", "ms", lat.p99, base.p99, ref, False)
    largest = [r for r in item.rows if f"at {results[-1][0]:,} photos" in r.metric]
    worst = max((r.imgbackup or 0) for r in largest if "p99" in r.metric)
    flat = all((r.ratio or 0) < 2 for r in item.rows if "p50" in r.metric)
    item.target_met = worst < 50 and flat
    item.notes.append(
        f"Pages of {PAGE}, newest taken first, one client; every library is served at once "
        f"and their pages are requested in turns (so the machine's noise falls on all sizes "
        f"alike), each page many times after a warm-up. The deep page's cursor was found by "
        f"walking the timeline with pages of up to 500. Flat means every p50 within 2x of the "
        f"smallest library's.")


def _check(item: Item, work: Path, scale: Scale, data: Path | None) -> None:
    if data is None:
        item.not_measured = "no library as large as the number of hashes was built"
        return
    count = scale.check_hashes
    present = [sha256_of(i) for i in range(count // 2)]
    missing = [hashlib.sha256(f"absent-{i}".encode()).hexdigest() for i in range(count // 2)]
    hashes = present + missing
    with servers.imgbackup(data.parent, user=USER) as server:
        status, body, _ = client.call_json(server.port, "POST", CHECK, {"hashes": hashes},
                                           server.token)
        if status != 200 or len(body.get("missing", [])) != len(missing):
            raise RuntimeError(f"check answered {status}: {str(body)[:300]}")
        lat = _timed(server, "POST", CHECK, scale.check_repeats, {"hashes": hashes})
        seen = profile.profiled(server.process.pid, work / "check-profile.txt",
                                lambda: _timed(server, "POST", CHECK, 5, {"hashes": hashes}))
    floor = _sqlite_floor(data / "imgbackup.sqlite3", hashes, scale.check_repeats)
    ref = "one raw SQLite query, same hashes"
    item.row("p50", "ms", lat.p50, floor, ref, False)
    item.row("p99", "ms", lat.p99, floor, ref, False)
    item.target_met = lat.p99 < 200
    item.notes.append(
        f"{count:,} SHA-256 hashes, half of them in a library of that many photos, half "
        f"absent; one client, repeated {scale.check_repeats} times. The reference: Python's "
        f"sqlite3 running one `IN (...)` query for the same hashes (owner looked up in a "
        f"subquery) on the same database file, no HTTP, no JSON (median of the same number "
        f"of runs); imgbackup asks in chunks of 500, which SQLite answers faster.")
    item.notes.append(f"Profile of imgbackup answering 5 more such checks (py-spy): {seen}")


def _sqlite_floor(db: Path, hashes: list[str], repeats: int) -> float:
    times = []
    with sqlite3.connect(db) as conn:
        for _ in range(repeats):
            start = time.perf_counter()
            marks = ",".join("?" * len(hashes))
            rows = conn.execute(
                f"SELECT original_id FROM photos_photo WHERE owner_id = "
                f"(SELECT id FROM auth_user WHERE username = ?) AND original_id IN ({marks})",
                [USER, *hashes]).fetchall()
            times.append((time.perf_counter() - start) * 1000)
            if len(rows) != len(hashes) // 2:
                raise RuntimeError(f"sqlite floor found {len(rows)} rows")
    times.sort()
    return times[len(times) // 2]


def _postgres_list(work: Path, scale: Scale) -> Item:
    item = Item("5b", "List latency (`GET /api/v2/photos`, PostgreSQL)",
                target="p99 < 50 ms at 100 000 photos, flat across sizes")
    try:
        return _postgres_rows(item, work, scale)
    except Exception as exc:  # the SQLite figures stand on their own; say what broke here
        item.rows.clear()
        item.not_measured = f"the PostgreSQL run failed: {type(exc).__name__}: {exc}"[:500]
        return item


def _postgres_rows(item: Item, work: Path, scale: Scale) -> Item:
    with postgres.server() as (database, reason):
        if database is None:
            item.not_measured = reason
            return item
        results = [(size, first, deep, depth)
                   for size, first, deep, depth, _ in _list_sizes(work, scale, database)]
    _fill_list(item, results)
    item.notes.append("A throwaway PostgreSQL server (tests/backends.py: fsync off, which "
                      "reads do not notice), one database per library size, ANALYZEd after "
                      "the bulk insert as autovacuum would.")
    return item
