"""The timeline's skeleton: per owner and month, photos outside the trash and favourites among
them, kept by triggers on the photo table so that every path that changes a photo (ingest,
trash, restore, destroy, purge, favourite, a bulk action, a deleted user) keeps it exact, in
the same transaction. Months are UTC clock months, the clock the timeline shows days in."""

from django.conf import settings
from django.db import migrations, models

from imgbackup.photos.month_triggers import (
    COLUMNS_BEFORE_CLIPS,
    COUNTS_BEFORE_CLIPS,
    statements,
)

def create_triggers(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor, create=True,
                                counts=COUNTS_BEFORE_CLIPS, columns=COLUMNS_BEFORE_CLIPS,
                                versions=False):
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
