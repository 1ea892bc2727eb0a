"""The credentials' version on PostgreSQL: a sequence, bumped after every committed write to the users or tokens (issue 16).

The API read a token, its user, memberships and institutions (four tables and the runs'
subqueries) on every answer: under load about 0.2 ms of PostgreSQL's CPU per answer on the cores
the web workers share (docs/benchmarks.md 13). rapportage.roles keeps those rows under this
version and the data's (0008), and reads only the two versions while neither moves. SQLite
(the demo, the first test pass) keeps no rows: no sequence there.
"""

from django.db import migrations

SEQUENCE = "rapportage_credentials_version"
DATA_SEQUENCE = "rapportage_data_version"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        # A new sequence's last_value is 1 before its first nextval and 1 after it (is_called moves,
        # last_value does not): the first bump would not move a version read as last_value. One
        # nextval now, for this sequence and the data's (0008 left it new where nothing was written
        # since), so every later bump moves the value that is read.
        schema_editor.execute(f"SELECT nextval('{SEQUENCE}'), nextval('{DATA_SEQUENCE}')")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("rapportage", "0008_data_version_sequence"),
    ]

    operations = [migrations.RunPython(create, drop)]
