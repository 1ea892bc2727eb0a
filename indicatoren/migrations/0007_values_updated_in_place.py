"""Let a corrected value be written in place (a HOT update) on PostgreSQL (issue 16, the corrected file).

A corrected file's UPDATE ... FROM staging wrote, for each of its 100,000 values, a new row version on
another page plus an entry in each of the table's 9 indexes: the pages were full (fillfactor 100) and
upload_id, which every write changes, was indexed. PostgreSQL can update a row without touching any
index (heap-only tuple, HOT) only when no indexed column changes and the new version fits on the same
page. So:

- no index on upload_id and updated_by_id: nothing reads the values by writer, and the upload's page
  reads an upload's values within its institution's indicators (invoer/upload_views.py);
- fillfactor 50: COPY and INSERT leave half of each page free, room for a new version of every row on
  it, so even a file that changes every value is written in place; the space of the old versions is
  taken back by the next write of the page (page pruning), not only by VACUUM.

Measured (docs/benchmarks.md 10, D): the UPDATE of 100,000 changed values 6.6-8.0 s -> 1.1-1.9 s, 0 ->
98.6 % HOT; the table takes twice the pages when first written (12 -> 23 MB per 100,000 values) but
stops growing: after two corrections 57 MB with its indexes before, 35 MB after.

The fillfactor holds for pages written from now on; an existing table gets it on its next rewrite
(VACUUM FULL or CLUSTER in a maintenance window). SQLite has no fillfactor: nothing to do there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "indicatoren_measurement"
FILLFACTOR = 50  # tests/indicatoren/test_store_copy.py reads it back from pg_class


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("indicatoren", "0006_fewer_indexes_on_every_write"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="measurement",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="upload",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="indicatoren.upload",
            ),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
