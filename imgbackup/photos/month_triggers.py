"""The triggers that keep ``MonthCount`` exact (docs/architecture.md, "The timeline's
skeleton"): SQL for SQLite and PostgreSQL, used by the migrations that make them, and checked
after every ``migrate``: SQLite drops a table's triggers whenever Django rebuilds the table for
a schema change, so ``ensure_triggers`` (run on ``post_migrate``) makes them again, and counts
again, whenever they are missing."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from imgbackup.photos import kept_counts
from imgbackup.photos.kept_counts import Triggers

# Only constant SQL is formatted together here (column names and fixed conditions), never a
# value from outside: hence the noqa on S608 below.

SQLITE_MONTH = "strftime('%Y-%m', {row}.taken_at)"
POSTGRES_MONTH = "to_char({row}.taken_at AT TIME ZONE 'UTC', 'YYYY-MM')"

SQLITE_ADD = """
    INSERT INTO photos_monthcount (owner_id, month, live, favourite)
    VALUES (NEW.owner_id, {month}, 1, NEW.favourite)
    ON CONFLICT (owner_id, month) DO UPDATE
    SET live = live + 1, favourite = favourite + excluded.favourite;
""".format(month=SQLITE_MONTH.format(row="NEW"))  # noqa: S608
SQLITE_REMOVE = """
    UPDATE photos_monthcount SET live = live - 1, favourite = favourite - OLD.favourite
    WHERE owner_id = OLD.owner_id AND month = {month};
""".format(month=SQLITE_MONTH.format(row="OLD"))  # noqa: S608

# When a row counts: outside the trash, and not a Live Photo's clip (part of its still's item).
# Migration 0003 made the triggers without the clip condition (the column came in 0006).
COUNTS_BEFORE_CLIPS = "{row}.trashed_at IS NULL"
COLUMNS_BEFORE_CLIPS = "owner_id, taken_at, trashed_at, favourite"
COUNTS = "{row}.trashed_at IS NULL AND NOT {row}.is_motion"
COLUMNS = "owner_id, taken_at, trashed_at, favourite, is_motion"


def sqlite_triggers(counts: str, columns: str) -> list[str]:
    old, new = counts.format(row="OLD"), counts.format(row="NEW")
    return [
        f"""CREATE TRIGGER photos_month_insert AFTER INSERT ON photos_photo
            WHEN {new} BEGIN {SQLITE_ADD} END""",
        f"""CREATE TRIGGER photos_month_delete AFTER DELETE ON photos_photo
            WHEN {old} BEGIN {SQLITE_REMOVE} END""",
        # Two triggers for an update, each with its own condition: the old row out, the new in.
        f"""CREATE TRIGGER photos_month_update_out AFTER UPDATE OF {columns} ON photos_photo
            WHEN {old} BEGIN {SQLITE_REMOVE} END""",
        f"""CREATE TRIGGER photos_month_update_in AFTER UPDATE OF {columns} ON photos_photo
            WHEN {new} BEGIN {SQLITE_ADD} END""",
    ]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS photos_month_{name}"
    for name in ("insert", "delete", "update_out", "update_in")
]

POSTGRES_FUNCTION = """CREATE FUNCTION photos_month_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF {old_counts} THEN
                UPDATE photos_monthcount
                SET live = live - 1, favourite = favourite - OLD.favourite::int
                WHERE owner_id = OLD.owner_id AND month = {old_month};
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF {new_counts} THEN
                INSERT INTO photos_monthcount (owner_id, month, live, favourite)
                VALUES (NEW.owner_id, {new_month}, 1, NEW.favourite::int)
                ON CONFLICT (owner_id, month) DO UPDATE
                SET live = photos_monthcount.live + 1,
                    favourite = photos_monthcount.favourite + EXCLUDED.favourite;
            END IF;
        END IF;
        RETURN NULL;
    END $$"""


def postgres_triggers(counts: str, columns: str) -> list[str]:
    return [
        POSTGRES_FUNCTION.format(old_month=POSTGRES_MONTH.format(row="OLD"),
                                 new_month=POSTGRES_MONTH.format(row="NEW"),
                                 old_counts=counts.format(row="OLD"),
                                 new_counts=counts.format(row="NEW")),
        f"""CREATE TRIGGER photos_month_count
            AFTER INSERT OR DELETE OR UPDATE OF {columns}
            ON photos_photo FOR EACH ROW EXECUTE FUNCTION photos_month_count()""",
    ]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS photos_month_count ON photos_photo",
    "DROP FUNCTION IF EXISTS photos_month_count()",
]

BACKFILL = """
    INSERT INTO photos_monthcount (owner_id, month, live, favourite)
    SELECT owner_id, {month}, COUNT(*), SUM(CASE WHEN favourite THEN 1 ELSE 0 END)
    FROM photos_photo WHERE {counts} GROUP BY owner_id, {month}
"""


def statements(vendor: str, create: bool, counts: str = COUNTS,
               columns: str = COLUMNS) -> list[str]:
    """Create the triggers and fill the counts from the rows (or drop the triggers)."""
    def fill(month: str) -> str:
        return BACKFILL.format(month=month.format(row="photos_photo"),
                               counts=counts.format(row="photos_photo"))

    return kept_counts.statements(vendor, create, "photos_monthcount", {
        "postgresql": Triggers(postgres_triggers(counts, columns), POSTGRES_DROP,
                               fill(POSTGRES_MONTH)),
        "sqlite": Triggers(sqlite_triggers(counts, columns), SQLITE_DROP, fill(SQLITE_MONTH)),
    })



TRIGGER_COUNT = {"sqlite": 4, "postgresql": 1}


def ensure_triggers(connection: BaseDatabaseWrapper) -> bool:
    """Make the triggers and count again if any is missing; whether it had to."""
    return kept_counts.ensure_triggers(
        connection, "photos_monthcount", "photos_month_", TRIGGER_COUNT, statements)
