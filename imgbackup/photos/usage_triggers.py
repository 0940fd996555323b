"""The triggers that keep ``StorageUsage`` exact, for SQLite and PostgreSQL: the design of
photos/month_triggers.py (and the same reason for ``ensure_triggers`` on ``post_migrate``:
SQLite drops a table's triggers when Django rebuilds it for a schema change).

Every photo row counts, in the trash or not, a Live Photo's clip too (its bytes are stored):
the size of its original, added for its owner. Trash, restore and favourite change nothing,
so only a new owner or original moves bytes (an update of any other column, or one that sets
the same values, as ``save()`` without ``update_fields`` does, touches no usage row). An
original whose size is corrected moves the usage of every owner who has it."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from imgbackup.photos import kept_counts
from imgbackup.photos.kept_counts import Triggers

# Only constant SQL is formatted together here, never a value from outside (hence S608).
# A photo always has its original, but rows deleted in another order in one transaction (a
# test database's flush empties the tables one by one, in an order that changes per process)
# would read no size: that counts 0, never NULL (the total is NOT NULL).
SIZE = "COALESCE((SELECT size FROM photos_original WHERE sha256 = {row}.original_id), 0)"
MOVED = "OLD.owner_id <> NEW.owner_id OR OLD.original_id <> NEW.original_id"

ADD = f"""
    INSERT INTO photos_storageusage (owner_id, bytes)
    VALUES (NEW.owner_id, {SIZE.format(row="NEW")})
    ON CONFLICT (owner_id) DO UPDATE SET bytes = photos_storageusage.bytes + excluded.bytes;
"""  # noqa: S608
REMOVE = f"""
    UPDATE photos_storageusage SET bytes = bytes - {SIZE.format(row="OLD")}
    WHERE owner_id = OLD.owner_id;
"""  # noqa: S608
RESIZE = """
    UPDATE photos_storageusage SET bytes = bytes + NEW.size - OLD.size
    WHERE owner_id IN (SELECT owner_id FROM photos_photo WHERE original_id = NEW.sha256);
"""
RESIZED = "OLD.size <> NEW.size"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER photos_usage_insert AFTER INSERT ON photos_photo BEGIN {ADD} END",
    f"CREATE TRIGGER photos_usage_delete AFTER DELETE ON photos_photo BEGIN {REMOVE} END",
    # The old row out, then the new one in.
    f"CREATE TRIGGER photos_usage_update_out AFTER UPDATE OF owner_id, original_id"
    f" ON photos_photo WHEN {MOVED} BEGIN {REMOVE} END",
    f"CREATE TRIGGER photos_usage_update_in AFTER UPDATE OF owner_id, original_id"
    f" ON photos_photo WHEN {MOVED} BEGIN {ADD} END",
    f"CREATE TRIGGER photos_usage_resize AFTER UPDATE OF size ON photos_original"
    f" WHEN {RESIZED} BEGIN {RESIZE} END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS photos_usage_{name}"
               for name in ("insert", "delete", "update_out", "update_in", "resize")]

POSTGRES_FUNCTIONS = [
    f"""CREATE FUNCTION photos_usage_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NOT ({MOVED}) THEN RETURN NULL; END IF;
        IF TG_OP <> 'INSERT' THEN {REMOVE} END IF;
        IF TG_OP <> 'DELETE' THEN {ADD} END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION photos_usage_resize() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {RESIZED} THEN {RESIZE} END IF;
        RETURN NULL;
    END $$""",
]
POSTGRES_TRIGGERS = [
    """CREATE TRIGGER photos_usage_count AFTER INSERT OR DELETE OR UPDATE OF owner_id,
    original_id ON photos_photo FOR EACH ROW EXECUTE FUNCTION photos_usage_count()""",
    """CREATE TRIGGER photos_usage_resize AFTER UPDATE OF size ON photos_original
    FOR EACH ROW EXECUTE FUNCTION photos_usage_resize()""",
]
POSTGRES_DROP = ["DROP TRIGGER IF EXISTS photos_usage_count ON photos_photo",
                 "DROP TRIGGER IF EXISTS photos_usage_resize ON photos_original",
                 "DROP FUNCTION IF EXISTS photos_usage_count()",
                 "DROP FUNCTION IF EXISTS photos_usage_resize()"]

BACKFILL = """
    INSERT INTO photos_storageusage (owner_id, bytes)
    SELECT photos_photo.owner_id, SUM(photos_original.size) FROM photos_photo
    JOIN photos_original ON photos_original.sha256 = photos_photo.original_id
    GROUP BY photos_photo.owner_id
"""


def statements(vendor: str, create: bool) -> list[str]:
    """Create the triggers and sum the usage from the rows (or drop the triggers)."""
    return kept_counts.statements(vendor, create, "photos_storageusage", {
        "postgresql": Triggers([*POSTGRES_FUNCTIONS, *POSTGRES_TRIGGERS], POSTGRES_DROP,
                               BACKFILL),
        "sqlite": Triggers(SQLITE_TRIGGERS, SQLITE_DROP, BACKFILL),
    })


TRIGGER_COUNT = {"sqlite": 5, "postgresql": 2}


def ensure_triggers(connection: BaseDatabaseWrapper) -> bool:
    """Make the triggers and sum again if any is missing; whether it had to."""
    return kept_counts.ensure_triggers(
        connection, "photos_storageusage", "photos_usage_", TRIGGER_COUNT, statements)
