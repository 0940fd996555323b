from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from imgbackup.server import run_gunicorn


class Command(BaseCommand):
    help = "Apply migrations, then serve the web app and the APIs with a production WSGI server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=settings.WORKERS,
                            help="processes (IMGBACKUP_WORKERS)")
        parser.add_argument("--threads", type=int, default=settings.THREADS,
                            help="threads per process (IMGBACKUP_THREADS)")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}"
        self.stdout.write(f"imgbackup serving {url}  (data: {settings.DATA_DIR}, "
                          f"storage: {settings.STORAGE_URL})")
        if not User.objects.exists():
            self.stdout.write(f"No account yet: open {url}/ to create the admin account.")
        self.stdout.flush()
        # The WSGI server forks workers: none may inherit this process's connections.
        connections.close_all()
        run_gunicorn(host, port, options["workers"], options["threads"])
