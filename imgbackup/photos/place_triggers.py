"""The triggers that keep ``PlaceCount`` exact, for SQLite and PostgreSQL: the same design as
photos/month_triggers.py (and the same reason for ``ensure_triggers`` on ``post_migrate``:
SQLite drops a table's triggers when Django rebuilds it for a schema change)."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from imgbackup.photos import kept_counts
from imgbackup.photos.kept_counts import Triggers

# Only constant SQL is formatted together here, never a value from outside (hence S608).
COUNTS = "{row}.trashed_at IS NULL AND NOT {row}.is_motion AND {row}.place_key <> ''"
COLUMNS = "owner_id, place_key, trashed_at, is_motion"

ADD = """
    INSERT INTO photos_placecount (owner_id, place_key, live)
    VALUES (NEW.owner_id, NEW.place_key, 1)
    ON CONFLICT (owner_id, place_key) DO UPDATE SET live = photos_placecount.live + 1;
"""
REMOVE = """
    UPDATE photos_placecount SET live = live - 1
    WHERE owner_id = OLD.owner_id AND place_key = OLD.place_key;
"""


def sqlite_triggers() -> list[str]:
    old, new = COUNTS.format(row="OLD"), COUNTS.format(row="NEW")
    return [
        f"CREATE TRIGGER photos_place_insert AFTER INSERT ON photos_photo WHEN {new}"
        f" BEGIN {ADD} END",
        f"CREATE TRIGGER photos_place_delete AFTER DELETE ON photos_photo WHEN {old}"
        f" BEGIN {REMOVE} END",
        # The old row out, then the new one in: each with its own condition.
        f"CREATE TRIGGER photos_place_update_out AFTER UPDATE OF {COLUMNS} ON photos_photo"
        f" WHEN {old} BEGIN {REMOVE} END",
        f"CREATE TRIGGER photos_place_update_in AFTER UPDATE OF {COLUMNS} ON photos_photo"
        f" WHEN {new} BEGIN {ADD} END",
    ]


SQLITE_DROP = [f"DROP TRIGGER IF EXISTS photos_place_{name}"
               for name in ("insert", "delete", "update_out", "update_in")]

POSTGRES_FUNCTION = f"""CREATE FUNCTION photos_place_count() RETURNS trigger LANGUAGE plpgsql
    AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND {COUNTS.format(row="OLD")} THEN {REMOVE} END IF;
        IF TG_OP <> 'DELETE' AND {COUNTS.format(row="NEW")} THEN {ADD} END IF;
        RETURN NULL;
    END $$"""
POSTGRES_TRIGGER = f"""CREATE TRIGGER photos_place_count AFTER INSERT OR DELETE OR UPDATE OF
    {COLUMNS} ON photos_photo FOR EACH ROW EXECUTE FUNCTION photos_place_count()"""
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS photos_place_count ON photos_photo",
                 "DROP FUNCTION IF EXISTS photos_place_count()"]

BACKFILL = f"""
    INSERT INTO photos_placecount (owner_id, place_key, live)
    SELECT owner_id, place_key, COUNT(*) FROM photos_photo
    WHERE {COUNTS.format(row="photos_photo")} GROUP BY owner_id, place_key
"""  # noqa: S608


def statements(vendor: str, create: bool) -> list[str]:
    """Create the triggers and count from the rows (or drop the triggers)."""
    return kept_counts.statements(vendor, create, "photos_placecount", {
        "postgresql": Triggers([POSTGRES_FUNCTION, POSTGRES_TRIGGER], POSTGRES_DROP, BACKFILL),
        "sqlite": Triggers(sqlite_triggers(), SQLITE_DROP, BACKFILL),
    })


TRIGGER_COUNT = {"sqlite": 4, "postgresql": 1}


def ensure_triggers(connection: BaseDatabaseWrapper) -> bool:
    """Make the triggers and count again if any is missing; whether it had to."""
    return kept_counts.ensure_triggers(
        connection, "photos_placecount", "photos_place_", TRIGGER_COUNT, statements)
