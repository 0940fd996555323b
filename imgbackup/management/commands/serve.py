from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.db.utils import OperationalError

from imgbackup.server import PortUnavailable, check_port, run_gunicorn
from imgbackup.storage import check_storage
from imgbackup.storage.errors import StorageMisconfigured, StorageUnavailable

# Any fixed number: the key of the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK = 0x1A6BAC


def migrate() -> None:
    """Apply migrations. On PostgreSQL several app servers may start at once: an advisory lock
    makes them migrate one after the other (the later ones find nothing left to do) instead of
    racing to create the same tables."""
    if connection.vendor != "postgresql":
        call_command("migrate", interactive=False, verbosity=0)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            call_command("migrate", interactive=False, verbosity=0)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])


def migrate_apart() -> None:
    """``migrate`` in a forked child, whose memory goes with it: the migration graph and the
    migration modules it loads (~9 MB) would otherwise stay in the server's master, and so in
    every process the master forks (bench item 2). Nothing else runs in this process yet (no
    thread, no connection): the fork is safe. A database that cannot be reached raises
    OperationalError here, with the child's message."""
    connections.close_all()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 1
        try:
            migrate()
            code = 0
        except OperationalError as exc:
            os.write(write_fd, str(exc).encode()[:8000])
            code = 3
        except BaseException:
            traceback.print_exc()
        finally:
            connections.close_all()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        said = pipe.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code == 3:
        raise OperationalError(said)
    if code:
        raise CommandError(f"applying the migrations failed (exit status {code})")


def shared_key_warning(vendor: str, environ: Mapping[str, str]) -> str | None:
    """A sentence for a server on a shared database whose secret key is generated into its own
    data folder: behind a load balancer without stickiness every web session made on another
    node is refused here (401 on the API, the login page on the web app), as the session's
    hash is made with the key. None on SQLite (one machine) or with IMGBACKUP_SECRET_KEY."""
    if vendor == "sqlite" or environ.get("IMGBACKUP_SECRET_KEY"):
        return None
    return ("imgbackup serve: warning: IMGBACKUP_SECRET_KEY is not set, so this server uses "
            "its own generated key; several servers on one database must share one key, or "
            "a web session made on one is refused by the others (docs/deployment.md, "
            "\"Several app servers\")")


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
        try:
            check_port(options["host"], options["port"])
        except PortUnavailable as exc:
            raise CommandError(str(exc)) from None
        try:
            migrate_apart()
        except OperationalError as exc:
            raise CommandError(f"the database ({settings.DATABASES['default']['ENGINE']}) "
                               f"cannot be reached: {exc}") from None
        self.check_storage()
        if warning := shared_key_warning(connection.vendor, os.environ):
            self.stderr.write(warning)
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
        run_gunicorn(host, port, options["workers"], options["threads"],
                     settings.TRUSTED_PROXIES)

    def check_storage(self) -> None:
        """Refuse to start with a storage configuration that cannot work (wrong credentials,
        no bucket); start anyway when the store is only away: /healthz answers 503 and the
        service resumes by itself when the store returns."""
        try:
            check_storage()
        except StorageMisconfigured as exc:
            raise CommandError(str(exc)) from None
        except StorageUnavailable as exc:
            self.stderr.write(f"warning: {exc}; serving anyway, uploads answer 503 until the "
                              "storage answers")
