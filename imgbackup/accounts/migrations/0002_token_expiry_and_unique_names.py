"""Tokens get an expiry, and a name unique per user: existing repeats are numbered first
("laptop", "laptop (2)", ...), oldest keeping the plain name."""

from typing import Any

from django.db import migrations, models


def number_repeated_names(apps: Any, schema_editor: Any) -> None:
    token_model = apps.get_model("accounts", "ApiToken")
    seen: set[tuple[int, str]] = set()
    for token in token_model.objects.order_by("user_id", "created_at", "id"):
        name, n = token.name, 1
        while (token.user_id, name) in seen:
            n += 1
            name = f"{token.name[:90]} ({n})"
        seen.add((token.user_id, name))
        if name != token.name:
            token.name = name
            token.save(update_fields=["name"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="Refused from this instant on; null: never.", null=True),
        ),
        migrations.RunPython(number_repeated_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.UniqueConstraint(fields=("user", "name"), name="one_token_name_per_user"),
        ),
    ]
