"""Loading a bench library fast: a million photos in minutes, not the quarter of an hour that
``bulk_create`` took (model instances, one INSERT per 5 000 rows, a month-count trigger per row).

Rows are plain tuples sent by ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), in one
transaction. The month-count, storage-usage and place-count triggers
(imgbackup/photos/month_triggers.py, usage_triggers.py, place_triggers.py) and the file-name
index (name_search.py) are dropped for the load and made again afterwards by the same
statements a migration uses, which also count every month and place and sum every owner's
bytes again in one ``INSERT ... SELECT ... GROUP BY`` each (and index every name in one
build); the month and place counts are then checked against the rows.
Run inside ``python -m bench.seed`` (Django set up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

BATCH = 20_000
# One photo: (the Original's fields, the Photo's fields), by attribute name (``original_id``).
Row = tuple[dict[str, Any], dict[str, Any]]


class CountMismatch(RuntimeError):
    """The month counts after a load disagree with the rows: the library is not usable."""


def _columns(model: Any) -> list[Any]:
    """The model's concrete fields that a load writes (an auto-numbered id is left out)."""
    return [field for field in model._meta.concrete_fields
            if not (field.primary_key and field.get_internal_type() in
                    ("AutoField", "BigAutoField"))]


def _defaults(fields: list[Any], now: datetime) -> dict[str, Any]:
    found = {}
    for field in fields:
        auto = getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False)
        found[field.attname] = now if auto else field.get_default()
    return found


def _tuples(fields: list[Any], defaults: dict[str, Any], rows: list[dict[str, Any]],
            adapt: Callable[[Any], Any]) -> Iterator[tuple[Any, ...]]:
    names = [field.attname for field in fields]
    dated = {i for i, field in enumerate(fields)
             if field.get_internal_type() == "DateTimeField"}
    for row in rows:
        unknown = row.keys() - defaults.keys()
        if unknown:
            raise KeyError(f"no such column: {sorted(unknown)}")
        values = [row.get(name, defaults[name]) for name in names]
        for i in dated:
            values[i] = adapt(values[i])
        yield tuple(values)


def _write(cursor: Any, vendor: str, table: str, fields: list[Any],
           values: Iterator[tuple[Any, ...]]) -> None:
    columns = ", ".join(field.column for field in fields)
    if vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)
        return
    marks = ", ".join("?" * len(fields))
    cursor.cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                              values)


def load(count: int, make: Callable[[int], Row]) -> int:
    """Insert photos ``make(0)`` .. ``make(count - 1)`` with their originals; the number of
    photos in the timeline's month counts afterwards (checked against the rows)."""
    from django.db import connection, transaction

    from imgbackup.photos import month_triggers, name_search, place_triggers, usage_triggers
    from imgbackup.photos.models import Original, Photo

    vendor = connection.vendor
    now = datetime.now(UTC)
    originals, photos = _columns(Original), _columns(Photo)
    original_defaults, photo_defaults = _defaults(originals, now), _defaults(photos, now)

    def adapt(value: Any) -> Any:
        # SQLite stores what Django's adapt_datetimefield_value makes (USE_TZ: the UTC clock,
        # no offset), written out here: Django's own took a quarter of the load's time.
        if vendor == "sqlite" and value is not None:
            return str(value.astimezone(UTC).replace(tzinfo=None))
        return value

    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "sqlite":
            # Only this process's connection, only for the load: a bigger page cache keeps the
            # indexes' pages in memory while a million random keys (SHA-256) go in.
            cursor.execute("PRAGMA cache_size = -524288")  # 512 MiB
        # Every per-row trigger or index that the statements below can make again from the
        # rows: the month, byte and place counts and the file-name index (FTS5 rebuild on
        # SQLite, CREATE INDEX on PostgreSQL), each built once instead of a million times.
        kept = [month_triggers.statements, usage_triggers.statements,
                place_triggers.statements, name_search.statements]
        for statement in [sql for kind in kept for sql in kind(vendor, False)]:
            cursor.execute(statement)
        for first in range(0, count, BATCH):
            made = [make(i) for i in range(first, min(count, first + BATCH))]
            _write(cursor, vendor, Original._meta.db_table, originals,
                   _tuples(originals, original_defaults, [o for o, _ in made], adapt))
            _write(cursor, vendor, Photo._meta.db_table, photos,
                   _tuples(photos, photo_defaults, [p for _, p in made], adapt))
        if vendor == "postgresql":
            # The foreign keys' checks, deferred to the commit, now: PostgreSQL builds no
            # index (the file names') on a table with trigger events pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The triggers again, and every month and place counted (every owner's bytes summed,
        # every name indexed) again.
        for statement in [sql for kind in kept for sql in kind(vendor, True)]:
            cursor.execute(statement)
        return checked_counts()


def checked_counts() -> int:
    """The month counts' total, after checking them (and the place counts) against the rows."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncMonth

    from imgbackup.photos.models import MonthCount, Photo, PlaceCount

    counted = Q(trashed_at__isnull=True, is_motion=False)
    rows = {(owner, month.strftime("%Y-%m")): (n, fav) for owner, month, n, fav in
            Photo.objects.filter(counted).annotate(m=TruncMonth("taken_at", tzinfo=UTC))
            .values("owner_id", "m").annotate(n=Count("id"), f=Count("id", filter=Q(
                favourite=True))).values_list("owner_id", "m", "n", "f")}
    kept = {(owner, month): (live, fav) for owner, month, live, fav in
            MonthCount.objects.values_list("owner_id", "month", "live", "favourite")
            if live or fav}
    if rows != kept:
        wrong = sorted(set(rows.items()) ^ set(kept.items()))[:5]
        raise CountMismatch(f"month counts differ from the rows, e.g. {wrong}")
    placed = {(owner, key): n for owner, key, n in
              Photo.objects.filter(counted).exclude(place_key="").values("owner_id", "place_key")
              .annotate(n=Count("id")).values_list("owner_id", "place_key", "n")}
    places = {(owner, key): n for owner, key, n in
              PlaceCount.objects.filter(live__gt=0).values_list("owner_id", "place_key", "live")}
    if placed != places:
        wrong = sorted(set(placed.items()) ^ set(places.items()))[:5]
        raise CountMismatch(f"place counts differ from the rows, e.g. {wrong}")
    return sum(live for live, _ in kept.values())
