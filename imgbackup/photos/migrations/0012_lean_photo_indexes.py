"""Two indexes fewer for every photo's INSERT to update (issue 17: the upload's database work).

- ``owner_id`` loses its own index: the unique ``one_photo_per_owner`` (owner, original)
  leads with it, and serves every query by owner alone (the same plans on SQLite and
  PostgreSQL: tests/core/test_photo_indexes.py).
- ``motion_id``'s index becomes partial (``motion_links``, only rows that point at a clip):
  the ``SET NULL`` of a deleted clip's stills asks ``motion_id IN (...)``, which implies
  ``IS NOT NULL`` to both engines' planners, and a photo without a clip is not in it.

The old indexes are found by introspection (their names are Django's hashes) and dropped
with the schema editor's public ``remove_index``, without rebuilding the table: an
``AlterField(db_index=False)`` would on SQLite copy the whole library into a new table (and
fails there: the table's triggers lose it while it is copied). Going back, each is made
again by ``add_index`` under the name Django gave it (table, column and a digest of both; the
same on SQLite and PostgreSQL), so the schema is the one before this migration."""

from django.conf import settings
from django.db import migrations, models

# Each field's index before this migration, by the name 0001 and 0006 gave it.
FIELDS = {"owner": "photos_photo_owner_id_d16c8dd1", "motion": "photos_photo_motion_id_58af8a44"}


def _plain_indexes(schema_editor, model, column):
    """The names of the non-unique indexes on exactly ``column``."""
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(
            cursor, model._meta.db_table)
    return [name for name, info in found.items()
            if info["index"] and not info["unique"] and not info["primary_key"]
            and info["columns"] == [column] and not name.endswith("_like")
            and name != "motion_links"]


def drop(apps, schema_editor):
    photo = apps.get_model("photos", "Photo")
    for name in FIELDS:
        column = photo._meta.get_field(name).column
        for index in _plain_indexes(schema_editor, photo, column):
            schema_editor.remove_index(photo, models.Index(fields=[name], name=index))


def make_again(apps, schema_editor):
    photo = apps.get_model("photos", "Photo")
    for name, index in FIELDS.items():
        if not _plain_indexes(schema_editor, photo, photo._meta.get_field(name).column):
            schema_editor.add_index(photo, models.Index(fields=[name], name=index))


class Migration(migrations.Migration):

    dependencies = [
        ('photos', '0011_usage_triggers_without_null'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='photo',
            index=models.Index(condition=models.Q(('motion__isnull', False)),
                               fields=['motion'], name='motion_links'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='photo', name='owner',
                    field=models.ForeignKey(db_index=False,
                                            on_delete=models.deletion.CASCADE,
                                            related_name='photos',
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='photo', name='motion',
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=models.deletion.SET_NULL,
                                            related_name='+', to='photos.photo'),
                ),
            ],
            database_operations=[migrations.RunPython(drop, make_again)],
        ),
    ]
