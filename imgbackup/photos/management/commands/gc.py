from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from imgbackup.photos.gc import collect


class Command(BaseCommand):
    help = ("Remove leftover upload spool files and stored objects no row refers to, older than "
            "the grace period. Never touches anything a photo refers to.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="say what would be removed, remove nothing")
        parser.add_argument("--grace-minutes", type=float, default=None,
                            help="leave alone anything younger than this "
                                 "(default IMGBACKUP_GC_GRACE_MINUTES)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        grace = (None if options["grace_minutes"] is None
                 else timedelta(minutes=options["grace_minutes"]))
        report = collect(grace=grace, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        verb = "would remove" if report.dry_run else "removed"
        self.stdout.write(
            f"{verb} {len(report.spool_files)} upload spool files, {len(report.orphans)} orphan "
            f"objects, {len(report.unreferenced)} unreferenced originals "
            f"({report.bytes / 1e6:.1f} MB), {len(report.resumable)} abandoned resumable uploads")
        for name in [*report.spool_files, *report.orphans, *report.unreferenced,
                     *report.resumable]:
            self.stdout.write(f"  {name}")
