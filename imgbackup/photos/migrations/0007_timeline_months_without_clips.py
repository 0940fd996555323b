"""The timeline's month counts leave out Live Photo clips (``is_motion``, migration 0006): a
clip is part of its still's item, not an item of its own. The triggers of 0003 are made again
with that condition, and the counts filled again from the rows."""

from django.db import migrations

from imgbackup.photos.month_triggers import (
    COLUMNS_BEFORE_CLIPS,
    COLUMNS_BEFORE_VERSIONS,
    COUNTS_BEFORE_CLIPS,
    statements,
)


def without_clips(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*statements(vendor, create=False),
                      *statements(vendor, create=True, columns=COLUMNS_BEFORE_VERSIONS,
                                  versions=False)]:
        schema_editor.execute(statement, params=None)


def with_clips(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*statements(vendor, create=False),
                      *statements(vendor, create=True, counts=COUNTS_BEFORE_CLIPS,
                                  columns=COLUMNS_BEFORE_CLIPS, versions=False)]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0006_live_photos'),
    ]

    operations = [
        migrations.RunPython(without_clips, with_clips),
    ]
