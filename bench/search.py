"""Item 8: every search filter, alone and two combined, and the trash, at growing library sizes
on SQLite (8) and PostgreSQL (8b): first-page latency p50 / p99 through a real server.

Libraries come from bench/search_library.py (common and rare cameras, places, 2 % favourites,
1 % trashed). Each size's first page is set beside the same page at the smallest size: flat
means within 2x of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from bench import postgres, servers
from bench.library import USER, Latency, _latency, _once, _seed_command
from bench.postgres import Database
from bench.report import Item
from bench.scales import Scale

LIST = "/api/v2/photos?limit=100&"
# Ten days early in 2015: inside every library (photos are 7 minutes apart from 2015-01-01).
DAYS = "since=2015-01-10&until=2015-01-20"
QUERIES: list[tuple[str, str]] = [
    ("camera, common: `apple iphone` (2 models, 65 %)", LIST + "camera=apple+iphone"),
    ("camera, rare: `leica` (0.1 %)", LIST + "camera=leica"),
    ("lens: `rf24` (10 %)", LIST + "lens=rf24"),
    ("place, city: `kyoto` (20 %)", LIST + "place=kyoto"),
    ("place, country: `japan` (2 cities, 28 %)", LIST + "place=japan"),
    ("place, rare: `bermuda` (0.1 %)", LIST + "place=bermuda"),
    ("favourites (2 %)", LIST + "favourite=true"),
    ("date range (10 days)", LIST + DAYS),
    ("file name contains, common: `img_`", LIST + "q=img_"),
    ("file name contains, rare: `img_0000123`", LIST + "q=img_0000123"),
    ("camera + place: `iphone` in `kyoto`", LIST + "camera=iphone&place=kyoto"),
    ("place + favourites: `paris`", LIST + "place=paris&favourite=true"),
    ("camera + date range: `canon`", LIST + "camera=canon&" + DAYS),
    ("rare camera + common place: `leica` in `kyoto`", LIST + "camera=leica&place=kyoto"),
    ("the trash (1 %)", "/api/v2/trash?limit=100"),
    ("places list (~200 cities, counts and covers)", "/api/v2/places"),
]
TARGET = "p99 < 50 ms at the largest library, p50 flat (within 2x) from the smallest up"


def _libraries(work: Path, scale: Scale, database: Database | None
               ) -> list[tuple[int, list[Latency]]]:
    prefix = "search" if database is None else "pg-search"
    built = []
    for size in scale.search_sizes:
        folder = work / f"{prefix}-{size}"
        extra = {"IMGBACKUP_DATABASE_URL": database(f"search{size}")} if database else {}
        # A million rows with their indexes: over 15 minutes on a busy 2-core machine.
        _seed_command(folder / "data", USER, str(size), "--search", env_extra=extra,
                      timeout=max(900, size // 300))
        built.append((size, folder, extra))
    with ExitStack() as stack:
        served = [(size, stack.enter_context(servers.imgbackup(folder, extra, user=USER)))
                  for size, folder, extra in built]
        for _, server in served:  # warm-up: the first word query per process lists values
            for _, path in QUERIES:
                _once(server, "GET", path)
        times: list[list[list[float]]] = [[[] for _ in QUERIES] for _ in served]
        # In turns, so the machine's noise falls on every size and query alike.
        for _ in range(scale.search_repeats):
            for (_, server), per_query in zip(served, times, strict=True):
                for (_, path), samples in zip(QUERIES, per_query, strict=True):
                    samples.append(_once(server, "GET", path))
    return [(size, [_latency(samples) for samples in per_query])
            for (size, _), per_query in zip(served, times, strict=True)]


def _fill(item: Item, results: list[tuple[int, list[Latency]]]) -> None:
    base_size, base = results[0]
    worst = 0.0
    flat = True
    for (label, _), query_index in zip(QUERIES, range(len(QUERIES)), strict=True):
        for size, latencies in results:
            lat, ref = latencies[query_index], base[query_index]
            item.row(f"{label} p50 at {size:,}", "ms", lat.p50, ref.p50,
                     f"same query at {base_size:,} photos", False)
            item.row(f"{label} p99 at {size:,}", "ms", lat.p99, ref.p99,
                     f"same query at {base_size:,} photos", False)
            flat = flat and lat.p50 < 2 * ref.p50 + 1  # 1 ms of slack for sub-ms noise
            if size == results[-1][0]:
                worst = max(worst, lat.p99)
    item.target_met = worst < 50 and flat
    item.notes.append(
        f"First pages of 100, one client, {len(QUERIES)} queries per library, every library "
        f"served at once and asked in turns. Libraries: bench/search_library.py (8 cameras from "
        f"65 % to 0.1 %, 8 cities from 20 % to 0.1 % and 400 small towns sharing 10 %, 30 % "
        f"without a place, 2 % favourites, "
        f"1 % trashed). Worst p99 at the largest size: {worst:.1f} ms.")


def measure(work: Path, scale: Scale) -> Iterator[Item]:
    item = Item("8", "Search filters (SQLite)", target=TARGET)
    if "sqlite" in scale.search_engines:
        _fill(item, _libraries(work, scale, None))
    else:
        item.not_measured = "not asked for (--search-engines)"
    yield item
    pg = Item("8b", "Search filters (PostgreSQL)", target=TARGET)
    if "postgresql" not in scale.search_engines:
        pg.not_measured = "not asked for (--search-engines)"
        yield pg
        return
    try:
        with postgres.server() as (database, reason):
            if database is None:
                pg.not_measured = reason
            else:
                _fill(pg, _libraries(work, scale, database))
    except Exception as exc:  # the SQLite figures stand on their own
        pg.rows.clear()
        pg.not_measured = f"the PostgreSQL run failed: {type(exc).__name__}: {exc}"[:500]
    yield pg
