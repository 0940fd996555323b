"""Places and file names without reading the library: a per-owner count of photos at each
place kept by triggers (photos/place_triggers.py), and a trigram index of file names
(photos/name_search.py: FTS5 on SQLite, pg_trgm on PostgreSQL)."""

from django.conf import settings
from django.db import migrations, models

from imgbackup.photos import name_search, place_triggers


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*place_triggers.statements(vendor, create=True),
                      *name_search.statements(vendor, create=True)]:
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*place_triggers.statements(vendor, create=False),
                      *name_search.statements(vendor, create=False)]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0008_search'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlaceCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('place_key', models.CharField(max_length=255)),
                ('live', models.IntegerField(default=0)),
                ('owner', models.ForeignKey(on_delete=models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('owner', 'place_key'), name='one_count_per_place')],
            },
        ),
        migrations.RunPython(create, drop),
    ]
