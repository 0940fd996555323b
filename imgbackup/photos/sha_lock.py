"""One lock per SHA-256 for the transactions that decide whether an object in storage has a
row: ingest (about to insert or lock the Original row, then writing the object again if it is
gone) and verify/gc (about to call an object without a row an orphan, and gc to delete it).

On PostgreSQL a row that another transaction is inserting is invisible, and a locking read of
it neither finds nor waits for it: gc could find no row for an object an upload of the same
bytes had just placed (an old orphan revived, or a destroyed object written again), delete
it, and the upload then commit a row whose object is gone. A transaction-scoped advisory lock
keyed by the hash makes the two wait for each other. Both take it before any row lock (no
cycle with a destroy, which takes only the row's). On SQLite every write transaction already
holds the database's write lock from its start (``transaction_mode`` IMMEDIATE), which
serialises the same steps, so nothing more is taken."""

from __future__ import annotations

from django.db import connection

SIGN = 1 << 63


def hold(sha256: str) -> None:
    """Hold this hash's lock until the current transaction ends (call inside ``atomic``)."""
    if connection.vendor != "postgresql":
        return
    key = int(sha256[:16], 16)  # the lock's key is a signed 64-bit number
    key = key - (1 << 64) if key >= SIGN else key
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
