import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_token_expiry_and_unique_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Quota",
            fields=[
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="quota", serialize=False, to=settings.AUTH_USER_MODEL)),
                ("max_bytes", models.BigIntegerField(blank=True, null=True)),
            ],
        ),
    ]
