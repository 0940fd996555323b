"""A server command run on a database without imgbackup's tables (most often a data folder that
is not the server's: IMGBACKUP_DATA_DIR unset or wrong) says so in one sentence instead of a
traceback ending in "no such table". createuser and token migrate first instead (database.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def _not_migrated() -> bool:
    try:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return False  # the database itself is the problem: let the original error speak


def _where() -> tuple[str, str]:
    """The database, and the setting that chose it."""
    config = settings.DATABASES["default"]
    if config["ENGINE"].endswith("sqlite3"):
        folder = f"IMGBACKUP_DATA_DIR ({settings.DATA_DIR}) the server's data folder"
        return str(config["NAME"]), folder
    host = config.get("HOST") or "localhost"
    return f"{config['NAME']} on {host}", "IMGBACKUP_DATABASE_URL the server's database"


def unready_message(command: str) -> str | None:
    """The sentence to print when the database has not been set up, else None."""
    if not _not_migrated():
        return None
    database, setting = _where()
    return (f"imgbackup {command}: the database {database} is not set up yet (its migrations "
            f"have not run). Is {setting}? To set up a new one, run `imgbackup serve` (or "
            f"`imgbackup migrate`) once.")
