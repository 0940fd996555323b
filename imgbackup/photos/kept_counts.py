"""Tables of counts kept exact by database triggers (``MonthCount``: photos/month_triggers.py;
``PlaceCount``: photos/place_triggers.py). SQLite drops a table's triggers whenever Django
rebuilds the table for a schema change, so after every ``migrate`` each set is checked and,
when any trigger is missing, made again and its counts taken again from the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

# (vendor, create) -> the SQL that makes the triggers and counts (or, not create, drops them).
Statements = Callable[[str, bool], list[str]]


@dataclass(frozen=True)
class Triggers:
    """One database vendor's SQL for a kept table: making its triggers, dropping them, and
    filling the emptied table from the rows."""

    make: list[str]
    drop: list[str]
    backfill: str


def statements(vendor: str, create: bool, table: str,
               by_vendor: dict[str, Triggers]) -> list[str]:
    """Make the triggers and count ``table`` again from the rows (or, not ``create``, drop the
    triggers), as ``by_vendor`` says for this vendor."""
    if vendor not in by_vendor:
        raise RuntimeError(f"imgbackup supports SQLite and PostgreSQL, not {vendor}")
    triggers = by_vendor[vendor]
    if not create:
        return triggers.drop
    return [*triggers.make, f"DELETE FROM {table}", triggers.backfill]  # noqa: S608 - our name


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
