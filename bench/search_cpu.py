"""What a search page costs in CPU, in-process: item 8's queries (bench/search.py) answered by
Django's test client inside this process, on a library seeded by ``python -m bench.seed DATA
USER COUNT --search``. A served request's time on a shared machine is mostly waiting for a CPU;
this is the part that is the request's own.

``python -m bench.search_cpu DATA_DIR [--repeats N] [--bodies FILE] [--profile N]``
(IMGBACKUP_DATABASE_URL for PostgreSQL). Per query: the median and p90 of the process's CPU
time per request (``time.process_time``; SQLite runs in the process), and on PostgreSQL the
database backend's CPU read from ``/proc`` (the same connection serves every request).
Queries are asked in turns, so the machine's noise falls on all alike. ``--bodies`` writes
each answer's SHA-256 (to compare two versions' answers byte for byte); ``--profile N``
prints cProfile's top functions for query N."""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import statistics
import time
from typing import Any

from bench.search import QUERIES


def _backend_cpu(pid: int | None) -> float:
    """Seconds of CPU the PostgreSQL backend ``pid`` has used (user + system), or 0."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answers(client: Any, queries: list[tuple[str, str]]) -> dict[str, str]:
    """Each query asked once (the first word query of a process lists the library's values):
    the SHA-256 of its answer's body, by label. A query that does not answer 200 stops."""
    found = {}
    for label, path in queries:
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        found[label] = hashlib.sha256(answer.content).hexdigest()
    return found


def measure(client: Any, queries: list[tuple[str, str]], repeats: int,
            backend: int | None = None) -> list[dict[str, Any]]:
    """Per query, ms of this process's CPU per request (median, p90) and of the PostgreSQL
    backend ``backend`` (mean), the queries asked in turns ``repeats`` times."""
    cpu: dict[str, list[float]] = {label: [] for label, _ in queries}
    db: dict[str, list[float]] = {label: [] for label, _ in queries}
    for _ in range(repeats):
        for label, path in queries:
            before, backend_before = time.process_time(), _backend_cpu(backend)
            client.get(path)
            cpu[label].append((time.process_time() - before) * 1000)
            db[label].append((_backend_cpu(backend) - backend_before) * 1000)
    result: list[dict[str, Any]] = []
    for label, _ in queries:
        times = sorted(cpu[label])
        result.append({"query": label, "cpu_median": round(statistics.median(times), 1),
                       "cpu_p90": round(times[int(len(times) * 0.9)], 1),
                       "db_mean": round(statistics.fmean(db[label]), 1)})
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--bodies")
    parser.add_argument("--profile", type=int)
    parser.add_argument("--only", help="comma-separated query numbers")
    args = parser.parse_args()
    os.environ["IMGBACKUP_DATA_DIR"] = args.data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "imgbackup.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from imgbackup.accounts.tokens import create_token
    from imgbackup.worker_gc import freeze_loaded

    user = User.objects.get(username="bench")
    _, token = create_token(user, f"search-cpu-{os.getpid()}-{time.time()}")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    chosen = [int(n) for n in args.only.split(",")] if args.only else range(len(QUERIES))
    queries = [QUERIES[n] for n in chosen]
    bodies = answers(client, queries)
    pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
    freeze_loaded()  # as a serving worker does (imgbackup/worker_gc.py)
    if args.profile is not None:
        _profile(client, QUERIES[args.profile], args.repeats)
        return
    for row in measure(client, queries, args.repeats, pid):
        print(f"{row['query']:55s} cpu median {row['cpu_median']:6.1f} "
              f"p90 {row['cpu_p90']:6.1f}  db mean {row['db_mean']:5.1f} ms")
    print(f"load average {os.getloadavg()}, {connection.vendor}")
    if args.bodies:
        with open(args.bodies, "w") as out:
            json.dump(bodies, out, indent=1)


def _profile(client: Any, query: tuple[str, str], repeats: int) -> None:
    label, path = query
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        client.get(path)
    profiler.disable()
    print(label)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumtime").print_stats(40)


if __name__ == "__main__":
    main()
