"""The timeline's month counts leave out Live Photo clips (``is_motion``, migration 0006): a
clip is part of its still's item, not an item of its own. The triggers of 0003 are made again
with that condition, and the counts filled again from the rows."""

import importlib

from django.db import migrations

months = importlib.import_module("imgbackup.photos.migrations.0003_timeline_months")
COUNTS = "{row}.trashed_at IS NULL AND NOT {row}.is_motion"
COLUMNS = "owner_id, taken_at, trashed_at, favourite, is_motion"


def without_clips(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*months.statements(vendor, create=False),
                      *months.statements(vendor, create=True, counts=COUNTS, columns=COLUMNS)]:
        schema_editor.execute(statement, params=None)


def with_clips(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*months.statements(vendor, create=False),
                      *months.statements(vendor, create=True)]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0006_live_photos'),
    ]

    operations = [
        migrations.RunPython(without_clips, with_clips),
    ]
