from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from imgbackup.jobs import report


class Command(BaseCommand):
    help = ("Report background jobs: how many are queued, running, done and failed, and the "
            "failed jobs that gave up. Exits 1 when there is any.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object")
        parser.add_argument("--retry", action="store_true",
                            help="queue the jobs that gave up again, from their first attempt")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = report.given_up()
        if options["retry"]:
            self.stdout.write(f"queued again: {report.retry(failures)}")
            failures = report.given_up()
        counts = report.counts()
        if options["json"]:
            self.stdout.write(json.dumps({"counts": counts,
                                          "failed": [asdict(f) for f in failures]},
                                         default=str))
        else:
            self.stdout.write("  ".join(f"{status}: {n}" for status, n in counts.items()))
            for failure in failures:
                self.stdout.write(f"failed {failure.job}{tuple(failure.args)} after "
                                  f"{failure.attempts} attempt(s) at {failure.finished_at}: "
                                  f"{failure.error}")
        if failures:
            raise SystemExit(1)
