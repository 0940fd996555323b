from __future__ import annotations

import json
import sys
import time
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from imgbackup.management.unready import unready_message
from imgbackup.photos.verify import Report, verify

# Exit codes, for scripts and monitoring: 0 clean, 1 problems found, 2 could not run.
PROBLEMS, COULD_NOT_RUN = 1, 2


class Command(BaseCommand):
    help = ("Re-hash every stored original and report missing, corrupt and orphan objects. "
            "Exit 0 clean, 1 problems found, 2 could not run.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--grace-minutes", type=float, default=None,
                            help="objects without a row younger than this are uploads in "
                                 "flight, not orphans (IMGBACKUP_GC_GRACE_MINUTES)")

    def handle(self, *args: Any, **options: Any) -> None:
        from datetime import timedelta

        grace = (None if options["grace_minutes"] is None
                 else timedelta(minutes=options["grace_minutes"]))
        try:
            report = verify(progress=_Progress(), grace=grace)
        except Exception as exc:  # any failure to read is "could not run"
            _could_not_run(exc)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(_summary(report))
        if not report.clean:
            sys.exit(PROBLEMS)


def _could_not_run(exc: Exception) -> NoReturn:
    """Exit 2. A database never set up (most often IMGBACKUP_DATA_DIR is not the server's)
    is said in the sentence every server command uses, not as "no such table"."""
    if isinstance(exc, DatabaseError) and (message := unready_message("verify")):
        sys.stderr.write(message + "\n")
        sys.exit(COULD_NOT_RUN)
    raise CommandError(f"verify could not run: {exc}", returncode=COULD_NOT_RUN) from exc


class _Progress:
    """Progress on stderr (stdout stays clean for --json), at most every two seconds."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, done: int, total: int, read: int) -> None:
        now = time.monotonic()
        if now - self.last >= 2 or done == total:
            self.last = now
            # On a terminal one line that updates itself; in a log one line per update.
            end = "\n" if done == total or not sys.stderr.isatty() else ""
            start = "\r" if sys.stderr.isatty() else ""
            sys.stderr.write(f"{start}verified {done}/{total} originals, "
                             f"{read / 1e6:.1f} MB read{end}")
            sys.stderr.flush()


def _summary(report: Report) -> str:
    lines = [f"{report.checked} originals verified, {report.bytes / 1e6:.1f} MB re-hashed"]
    for kind in ("missing", "corrupt", "orphans", "unreferenced"):
        findings = getattr(report, kind)
        lines.append(f"{kind}: {len(findings)}")
        lines += [f"  {f.name}: {f.detail}" for f in findings]
    if report.in_flight:
        lines.append(f"in flight (younger than the grace period, not checked): "
                     f"{report.in_flight}")
    lines.append("clean" if report.clean else "PROBLEMS FOUND")
    return "\n".join(lines)
