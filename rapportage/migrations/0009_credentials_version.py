"""The credentials' version on PostgreSQL: a counter row moved by triggers in the writing transaction (issue 16).

The API read a token, its user, memberships and institutions (four tables and the runs'
subqueries) on every answer: under load about 0.2 ms of PostgreSQL's CPU per answer on the cores
the web workers share (docs/benchmarks.md 13). rapportage.roles keeps those rows under this
version and the data's (0008), and reads only the two versions while neither moves.

Who may call the API must never hang on a bump that could be lost, so this version is moved by
the database itself: a statement-level trigger on each of the four tables updates the counter
row in the same transaction as the write. It moves exactly when the write commits (and not if it
rolls back), for every write: the application's, a management command's, a DBA's in psql, a
TRUNCATE. Logins write the user's last_login: the counter row is briefly locked by each.

The data's version (0008) is called once here as well: a new sequence's last_value is 1 before
its first nextval and 1 after it, so the first bump of a new database would not have moved it.
SQLite (the demo, the first test pass) keeps no rows: nothing there.
"""

from django.conf import settings
from django.db import migrations

COUNTER = "rapportage_credentials_version"
FUNCTION = "rapportage_credentials_moved"
DATA_SEQUENCE = "rapportage_data_version"
# The tables rapportage.roles reads a caller from: (app label, model name).
READ_FROM = [
    tuple(settings.AUTH_USER_MODEL.split(".")),
    ("authtoken", "Token"),
    ("agenda", "Membership"),
    ("agenda", "Institution"),
]


def _tables(apps) -> list[str]:
    return [apps.get_model(app, model)._meta.db_table for app, model in READ_FROM]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE TABLE {COUNTER} (id integer PRIMARY KEY CHECK (id = 1), value bigint NOT NULL)")
    schema_editor.execute(f"INSERT INTO {COUNTER} (id, value) VALUES (1, 1)")
    schema_editor.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN UPDATE {COUNTER} SET value = value + 1 WHERE id = 1; RETURN NULL; END $$"
    )
    for table in _tables(apps):
        schema_editor.execute(
            f"CREATE TRIGGER {quote(table + '_credentials_moved')}"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
    schema_editor.execute(f"SELECT nextval('{DATA_SEQUENCE}')")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table in _tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(table + '_credentials_moved')} ON {quote(table)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    schema_editor.execute(f"DROP TABLE IF EXISTS {COUNTER}")


class Migration(migrations.Migration):
    dependencies = [
        ("rapportage", "0008_data_version_sequence"),
        ("agenda", "0012_role_partner"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create, drop)]
