"""The timeline's skeleton: per owner and month, photos outside the trash and favourites among
them, kept by triggers on the photo table so that every path that changes a photo (ingest,
trash, restore, destroy, purge, favourite, a bulk action, a deleted user) keeps it exact, in
the same transaction. Months are UTC clock months, the clock the timeline shows days in."""

from django.conf import settings
from django.db import migrations, models

SQLITE_MONTH = "strftime('%Y-%m', {row}.taken_at)"
POSTGRES_MONTH = "to_char({row}.taken_at AT TIME ZONE 'UTC', 'YYYY-MM')"

SQLITE_ADD = """
    INSERT INTO photos_monthcount (owner_id, month, live, favourite)
    VALUES (NEW.owner_id, {month}, 1, NEW.favourite)
    ON CONFLICT (owner_id, month) DO UPDATE
    SET live = live + 1, favourite = favourite + excluded.favourite;
""".format(month=SQLITE_MONTH.format(row="NEW"))
SQLITE_REMOVE = """
    UPDATE photos_monthcount SET live = live - 1, favourite = favourite - OLD.favourite
    WHERE owner_id = OLD.owner_id AND month = {month};
""".format(month=SQLITE_MONTH.format(row="OLD"))

# When a row counts: outside the trash (a later migration adds "and not a Live Photo's clip").
COUNTS = "{row}.trashed_at IS NULL"
COLUMNS = "owner_id, taken_at, trashed_at, favourite"


def sqlite_triggers(counts=COUNTS, columns=COLUMNS):
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


def postgres_triggers(counts=COUNTS, columns=COLUMNS):
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


def statements(vendor, create, counts=COUNTS, columns=COLUMNS):
    """Create the triggers and fill the counts from the rows (or drop the triggers)."""
    if vendor == "postgresql":
        month = POSTGRES_MONTH.format(row="photos_photo")
        triggers, drop = postgres_triggers(counts, columns), POSTGRES_DROP
    elif vendor == "sqlite":
        month = SQLITE_MONTH.format(row="photos_photo")
        triggers, drop = sqlite_triggers(counts, columns), SQLITE_DROP
    else:
        raise RuntimeError(f"imgbackup supports SQLite and PostgreSQL, not {vendor}")
    if not create:
        return drop
    fill = BACKFILL.format(month=month, counts=counts.format(row="photos_photo"))
    return [*triggers, "DELETE FROM photos_monthcount", fill]


def create_triggers(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor, create=True):
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0002_timeline_of_live_photos'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.CharField(max_length=7)),
                ('live', models.IntegerField(default=0)),
                ('favourite', models.IntegerField(default=0)),
                ('owner', models.ForeignKey(on_delete=models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('owner', 'month'), name='one_count_per_month')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
