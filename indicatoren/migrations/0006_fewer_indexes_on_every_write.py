"""Fewer indexes written with every value (issue 16: an import writes 100,000 values and their history).

measurement.indicator_id had an index of its own while measurement_ind_year (indicator, year) and the
unique unit keys start with it. The history table is read per cell (team, indicator), per object (id),
by date and by writer: never by college, upload or updated_by, yet each of their indexes took an entry
for every history row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0012_role_partner"),
        ("indicatoren", "0005_measurement_source_is_the_figures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="college",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agenda.college",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="upload",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="indicatoren.upload",
            ),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="indicator",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="measurements",
                to="agenda.indicator",
            ),
        ),
    ]
