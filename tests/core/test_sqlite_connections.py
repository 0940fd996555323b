"""SQLite connections persist between requests, as on PostgreSQL: closing the last connection
to a WAL database checkpoints it and deletes the WAL, extra disk syncs on every upload."""

from __future__ import annotations

from imgbackup.settings import _database


def test_sqlite_connections_are_kept_between_requests() -> None:
    config = _database("sqlite:////tmp/imgbackup-example.sqlite3")
    assert config["CONN_MAX_AGE"] > 0
    # Kept connections are checked before reuse, so a broken one is replaced, not reused.
    assert config["CONN_HEALTH_CHECKS"] is True
