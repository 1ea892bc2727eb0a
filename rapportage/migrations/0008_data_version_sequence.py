"""The data's version on PostgreSQL: a sequence, bumped after every committed write the pages show (issue 16).

page_cache read the version from Redis on every cached page and API answer: a round trip of its
own beside the token statement, about a sixth of a warm API answer (docs/benchmarks.md 12.C).
Read from this sequence it comes with the token statement (rapportage.roles). SQLite (the demo,
the first test pass) keeps the token in the cache: no sequence there.
"""

from django.db import migrations

SEQUENCE = "rapportage_data_version"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("rapportage", "0007_result_input_digest"),
    ]

    operations = [migrations.RunPython(create, drop)]
