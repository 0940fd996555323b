from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0002_partners'),
    ]

    operations = [
        migrations.AddField(
            model_name='partner',
            name='in_timeline',
            field=models.BooleanField(default=False),
        ),
    ]
