"""The storage-usage triggers made again (photos/usage_triggers.py): a photo whose original row
is already gone in the same transaction counts 0 bytes instead of making the total NULL."""

from django.db import migrations

from imgbackup.photos import usage_triggers


def remake(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for create in (False, True):
        for statement in usage_triggers.statements(vendor, create=create):
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0010_storage_usage'),
    ]

    operations = [
        migrations.RunPython(remake, migrations.RunPython.noop),
    ]
