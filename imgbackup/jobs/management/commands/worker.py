from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from imgbackup.jobs.worker import Worker


class Command(BaseCommand):
    help = ("Run background jobs (thumbnails, previews, video posters and playable copies). "
            "'imgbackup serve' runs its own; run this on other machines sharing the database "
            "and storage.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true",
                            help="run every job that is due, then exit")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between looks at an empty queue (default 1)")
        parser.add_argument("--threads", type=int, default=None,
                            help="jobs run at once (default IMGBACKUP_JOB_THREADS; 1 with --batch)")
        parser.add_argument("--parent-pid", type=int, default=None, help="stop when this "
                            "process (the server that started the worker) is gone")

    def handle(self, *args: Any, **options: Any) -> None:
        level = logging.WARNING if options["verbosity"] < 2 else logging.INFO
        logging.getLogger("django_tasks_db").setLevel(level)
        worker = Worker(interval=max(0.1, options["interval"]), batch=options["batch"],
                        parent_pid=options["parent_pid"],
                        threads=options["threads"] or (1 if options["batch"]
                                                       else int(settings.JOB_THREADS)))
        worker.configure_signals()
        worker.run()
