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
    INSERT INTO photos_monthcount (owner_id, month, live, favourite{version})
    VALUES (NEW.owner_id, {month}, 1, NEW.favourite{first})
    ON CONFLICT (owner_id, month) DO UPDATE
    SET live = live + 1, favourite = favourite + excluded.favourite{bump};
"""
SQLITE_REMOVE = """
    UPDATE photos_monthcount SET live = live - 1, favourite = favourite - OLD.favourite{bump}
    WHERE owner_id = OLD.owner_id AND month = {month};
"""

# When a row counts: outside the trash, and not a Live Photo's clip (part of its still's item).
# Migration 0003 made the triggers without the clip condition (the column came in 0006).
COUNTS_BEFORE_CLIPS = "{row}.trashed_at IS NULL"
COLUMNS_BEFORE_CLIPS = "owner_id, taken_at, trashed_at, favourite"
COUNTS = "{row}.trashed_at IS NULL AND NOT {row}.is_motion"
COLUMNS_BEFORE_VERSIONS = "owner_id, taken_at, trashed_at, favourite, is_motion"
# Each month's ``version`` (migration 0013) changes with anything its items show, not only with
# its counts: an update of a counted row that changes one of these columns takes the row out
# of its month and puts it back, and each of the two bumps the version. These are the columns
# of a photo that a month page shows (api/v2/light_rows.py's PHOTO, less the id and uploaded_at,
# which never change; a test keeps the two lists together), and is_motion, by which a clip
# leaves the lists. Any other
# column (place_done, a resumable's or a job's bookkeeping) fires nothing, and neither does an
# update that leaves every one of these as it was (a favourite marked again).
COLUMNS = ("owner_id, taken_at, trashed_at, favourite, is_motion, filename, width, height, "
           "taken_at_source, camera_make, camera_model, lens, latitude, longitude, media_type, "
           "duration, fps, video_codec, audio_codec, motion_id, motion_offset, place_key, "
           "place_city, place_region, place_country, place_country_code")
# A version starts here when the counts are taken again from the rows (the triggers made
# again): the clock's seconds, above any version counted before, so that no client holding
# an older version of a month can take the new one for it.
SQLITE_START = "CAST(strftime('%s', 'now') AS INTEGER)"
POSTGRES_START = "CAST(EXTRACT(EPOCH FROM now()) AS bigint)"


def _changed(columns: str, differ: str) -> str:
    """Whether an update changed any of ``columns``: "OLD.c {differ} NEW.c OR ..."."""
    names = [name.strip() for name in columns.split(",")]
    return " OR ".join(f"OLD.{name} {differ} NEW.{name}" for name in names)


def _sqlite_change(versions: bool) -> tuple[str, str]:
    """What a row coming into its month and one leaving it do, with or without versions."""
    bump = ", version = version + 1" if versions else ""
    add = SQLITE_ADD.format(month=SQLITE_MONTH.format(row="NEW"), bump=bump,
                            version=", version" if versions else "",
                            first=", 1" if versions else "")
    remove = SQLITE_REMOVE.format(month=SQLITE_MONTH.format(row="OLD"), bump=bump)
    return add, remove


def sqlite_triggers(counts: str, columns: str, versions: bool) -> list[str]:
    old, new = counts.format(row="OLD"), counts.format(row="NEW")
    add, remove = _sqlite_change(versions)
    changed = f" AND ({_changed(columns, 'IS NOT')})" if versions else ""
    return [
        f"""CREATE TRIGGER photos_month_insert AFTER INSERT ON photos_photo
            WHEN {new} BEGIN {add} END""",
        f"""CREATE TRIGGER photos_month_delete AFTER DELETE ON photos_photo
            WHEN {old} BEGIN {remove} END""",
        # Two triggers for an update, each with its own condition: the old row out, the new in.
        f"""CREATE TRIGGER photos_month_update_out AFTER UPDATE OF {columns} ON photos_photo
            WHEN {old}{changed} BEGIN {remove} END""",
        f"""CREATE TRIGGER photos_month_update_in AFTER UPDATE OF {columns} ON photos_photo
            WHEN {new}{changed} BEGIN {add} END""",
    ]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS photos_month_{name}"
    for name in ("insert", "delete", "update_out", "update_in")
]

POSTGRES_FUNCTION = """CREATE FUNCTION photos_month_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN{unchanged}
        IF TG_OP <> 'INSERT' THEN
            IF {old_counts} THEN
                UPDATE photos_monthcount
                SET live = live - 1, favourite = favourite - OLD.favourite::int{bump}
                WHERE owner_id = OLD.owner_id AND month = {old_month};
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF {new_counts} THEN
                INSERT INTO photos_monthcount (owner_id, month, live, favourite{version})
                VALUES (NEW.owner_id, {new_month}, 1, NEW.favourite::int{first})
                ON CONFLICT (owner_id, month) DO UPDATE
                SET live = photos_monthcount.live + 1,
                    favourite = photos_monthcount.favourite + EXCLUDED.favourite{bump_again};
            END IF;
        END IF;
        RETURN NULL;
    END $$"""
# With versions, an update that changed none of the columns does nothing.
POSTGRES_UNCHANGED = """
        IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN
            RETURN NULL;
        END IF;"""


def postgres_triggers(counts: str, columns: str, versions: bool) -> list[str]:
    unchanged = (POSTGRES_UNCHANGED.format(changed=_changed(columns, "IS DISTINCT FROM"))
                 if versions else "")
    return [
        POSTGRES_FUNCTION.format(old_month=POSTGRES_MONTH.format(row="OLD"),
                                 new_month=POSTGRES_MONTH.format(row="NEW"),
                                 old_counts=counts.format(row="OLD"),
                                 new_counts=counts.format(row="NEW"),
                                 unchanged=unchanged,
                                 bump=", version = version + 1" if versions else "",
                                 bump_again=(",\n                    version = "
                                             "photos_monthcount.version + 1") if versions else "",
                                 version=", version" if versions else "",
                                 first=", 1" if versions else ""),
        f"""CREATE TRIGGER photos_month_count
            AFTER INSERT OR DELETE OR UPDATE OF {columns}
            ON photos_photo FOR EACH ROW EXECUTE FUNCTION photos_month_count()""",
    ]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS photos_month_count ON photos_photo",
    "DROP FUNCTION IF EXISTS photos_month_count()",
]

BACKFILL = """
    INSERT INTO photos_monthcount (owner_id, month, live, favourite{version})
    SELECT owner_id, {month}, COUNT(*), SUM(CASE WHEN favourite THEN 1 ELSE 0 END){start}
    FROM photos_photo WHERE {counts} GROUP BY owner_id, {month}
"""


def statements(vendor: str, create: bool, counts: str = COUNTS, columns: str = COLUMNS,
               versions: bool = True) -> list[str]:
    """Create the triggers and fill the counts from the rows (or drop the triggers).
    ``versions``: whether the triggers bump each month's version (migration 0013 on)."""
    def fill(month: str, start: str) -> str:
        return BACKFILL.format(month=month.format(row="photos_photo"),
                               counts=counts.format(row="photos_photo"),
                               version=", version" if versions else "",
                               start=f", {start}" if versions else "")

    return kept_counts.statements(vendor, create, "photos_monthcount", {
        "postgresql": Triggers(postgres_triggers(counts, columns, versions), POSTGRES_DROP,
                               fill(POSTGRES_MONTH, POSTGRES_START)),
        "sqlite": Triggers(sqlite_triggers(counts, columns, versions), SQLITE_DROP,
                           fill(SQLITE_MONTH, SQLITE_START)),
    })



TRIGGER_COUNT = {"sqlite": 4, "postgresql": 1}


def ensure_triggers(connection: BaseDatabaseWrapper) -> bool:
    """Make the triggers and count again if any is missing; whether it had to."""
    return kept_counts.ensure_triggers(
        connection, "photos_monthcount", "photos_month_", TRIGGER_COUNT, statements)
