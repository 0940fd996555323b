"""Storage usage without reading the library: a per-owner byte total of originals kept by
triggers (photos/usage_triggers.py), summed once here from the rows."""

from django.conf import settings
from django.db import migrations, models

from imgbackup.photos import usage_triggers


def create(apps, schema_editor):
    for statement in usage_triggers.statements(schema_editor.connection.vendor, create=True):
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    for statement in usage_triggers.statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0009_search_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StorageUsage',
            fields=[
                ('owner', models.OneToOneField(on_delete=models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('bytes', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
