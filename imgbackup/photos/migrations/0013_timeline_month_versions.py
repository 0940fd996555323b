"""Each month of the timeline's skeleton gets a ``version``, bumped by the same triggers in the
same transaction as its counts, by every change of what its items show (a Live Photo's clip
paired with a still, a favourite, a trash, a place found later, a moved date), so that a
client can tell a month that changed from one that did not even when its count stayed the
same (photos/month_triggers.py; docs/architecture.md, "The timeline's skeleton"). The
triggers are made again with the version and the wider list of columns, and the counts
taken again from the rows, every version starting from the clock's seconds."""

from django.db import migrations, models

from imgbackup.photos.month_triggers import COLUMNS_BEFORE_VERSIONS, statements

# SQLite rebuilds the count table to add (or drop) the column, and its rename fails while
# triggers on the photo table refer to the table: none exist while it is rebuilt.


def drop(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(statement, params=None)


def with_versions(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor, create=True):
        schema_editor.execute(statement, params=None)


def without_versions(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor, create=True,
                                columns=COLUMNS_BEFORE_VERSIONS, versions=False):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0012_lean_photo_indexes'),
    ]

    operations = [
        migrations.RunPython(drop, without_versions),
        migrations.AddField(
            model_name='monthcount',
            name='version',
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(with_versions, drop),
    ]
