"""What queueing an upload's jobs costs the request, in-process, for bench/analysis.md item 1b:

    IMGBACKUP_DATA_DIR=$(mktemp -d) .venv/bin/python -m bench.enqueue_cost [PHOTOS] [ROUNDS]

For each photo, inside a transaction as ingest's: the thumbnail and preview jobs queued by
django-tasks' own ``Task.enqueue`` (one ``create()`` each, what ``after_ingest`` did) or by
``jobs.enqueue_all`` (one INSERT, jobs/rows.py), the two alternating batch by batch; the
request thread's CPU (``time.thread_time``) per photo, the commit left out. A commit between
photos leaves the code cold, as between real uploads."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from imgbackup.jobs import queue
    from imgbackup.photos.background import PRIORITY, make_derived
    from imgbackup.photos.derived import SIZES

    call_command("migrate", verbosity=0)
    photos = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    path = f"{make_derived.__module__}.{make_derived.__qualname__}"
    made = iter(range(10**9))

    def one_by_one(sha: str) -> None:
        for kind in SIZES:
            priority = PRIORITY.get(kind, 0)
            queue.run_job.using(priority=priority).enqueue(path, [sha, kind], 1, priority)

    def together(sha: str) -> None:
        queue.enqueue_all([queue.Call(make_derived, (sha, kind), PRIORITY.get(kind, 0))
                           for kind in SIZES])

    def batch(enqueue: Callable[[str], None]) -> float:
        spent = 0.0
        for _ in range(photos):
            with transaction.atomic():
                started = time.thread_time()
                enqueue(f"{next(made):064x}")
                spent += time.thread_time() - started
        return spent / photos * 1000

    ways = {"Task.enqueue x2": one_by_one, "jobs.enqueue_all": together}
    for way in ways.values():
        batch(way)  # warm
    spent: dict[str, list[float]] = {name: [] for name in ways}
    for n in range(rounds):
        for name in (list(ways) if n % 2 == 0 else list(reversed(ways))):
            spent[name].append(batch(ways[name]))
    print(f"request thread CPU per photo, {photos} photos x {rounds} rounds, "
          f"load {os.getloadavg()[0]:.1f}")
    for name, values in spent.items():
        print(f"  {name:18} median {statistics.median(values):.3f} ms  "
              f"({' / '.join(f'{v:.3f}' for v in values)})")


if __name__ == "__main__":
    main()
