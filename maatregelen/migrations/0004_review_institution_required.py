"""Every Q-gesprek belongs to an institution, now that 0003 filled it in for the stored ones."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("maatregelen", "0003_reviews_college_level")]

    operations = [
        migrations.AlterField(
            model_name="review",
            name="institution",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="reviews", to="agenda.institution"
            ),
        ),
    ]
