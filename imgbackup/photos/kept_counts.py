"""Tables of counts kept exact by database triggers (``MonthCount``: photos/month_triggers.py;
``PlaceCount``: photos/place_triggers.py). SQLite drops a table's triggers whenever Django
rebuilds the table for a schema change, so after every ``migrate`` each set is checked and,
when any trigger is missing, made again and its counts taken again from the rows."""

from __future__ import annotations

from collections.abc import Callable

from django.db.backends.base.base import BaseDatabaseWrapper

# (vendor, create) -> the SQL that makes the triggers and counts (or, not create, drops them).
Statements = Callable[[str, bool], list[str]]


# How many of the triggers named ``prefix``... there are, per database vendor.
PRESENT = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
    "postgresql": "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
}


def ensure_triggers(connection: BaseDatabaseWrapper, table: str, prefix: str,
                    expected: dict[str, int], statements: Statements) -> bool:
    """Make ``table``'s triggers (each named ``prefix``...) and count again if any is
    missing; whether it had to. ``expected`` is how many there are, per database vendor."""
    vendor = connection.vendor
    if vendor not in PRESENT or table not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        cursor.execute(PRESENT[vendor], [prefix + "%"])
        (found,) = cursor.fetchone()
        if found == expected[vendor]:
            return False
        for statement in [*statements(vendor, False), *statements(vendor, True)]:
            cursor.execute(statement)
    return True
