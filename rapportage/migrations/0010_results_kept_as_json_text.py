"""The results' payloads kept as json text, compressed with lz4 where PostgreSQL has it (issue 16).

A recompute where every value moved writes about 7,400 STATUS bodies (167 MB of JSON) for the
65-institution sector. As jsonb, PostgreSQL parsed each into its binary form and compressed it
with pglz: COPY-writing 74 MB took 2.2-2.4 s, as json with lz4 0.4-0.5 s, and reading them back
as text 0.08 s instead of 0.41-0.54 s (docs/benchmarks.md 14). No query looks inside a payload.
The column keeps exact_json's text as written (kern.fields.StoredJSONField).

lz4 costs about a third more disk than pglz for these texts (20.4 against 15.0 MB for the 74 MB):
results are derived data, rewritten by any recompute. A server built without lz4 keeps pglz. Rows
stored before this migration keep pglz and jsonb's key order until a recompute rewrites them;
both read back the same.
SQLite (the demo, the first test pass) stores JSON as text already: nothing changes there.
"""

from django.db import migrations

import kern.fields
import rapportage.engine.exact_json

TABLES = ("rapportage_indicatorresult", "rapportage_budgetresult")


def compress_with_lz4(apps, schema_editor):
    """Set lz4 on both payload columns where the server supports it; else leave pglz."""
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = "".join(f"ALTER TABLE {table} ALTER COLUMN payload SET COMPRESSION lz4; " for table in TABLES)
    # In one DO block: on a server built without lz4 the ALTER raises, and the block ends without
    # aborting the migration's transaction (Django 5.2 needs PostgreSQL 14, which has COMPRESSION).
    schema_editor.execute(
        f"DO $$ BEGIN {statements}"
        "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN "
        "RAISE NOTICE 'lz4 is not available: the payloads stay compressed with pglz'; END $$"
    )


def compress_with_pglz(apps, schema_editor):
    """Undo compress_with_lz4 (pglz is PostgreSQL's default)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN payload SET COMPRESSION pglz")


class Migration(migrations.Migration):
    dependencies = [
        ("rapportage", "0009_credentials_version"),
    ]

    operations = [
        migrations.AlterField(
            model_name="budgetresult",
            name="payload",
            field=kern.fields.StoredJSONField(
                decoder=rapportage.engine.exact_json.Decoder,
                encoder=rapportage.engine.exact_json.Encoder,
                verbose_name="budget (API-vorm)",
            ),
        ),
        migrations.AlterField(
            model_name="indicatorresult",
            name="payload",
            field=kern.fields.StoredJSONField(
                decoder=rapportage.engine.exact_json.Decoder,
                encoder=rapportage.engine.exact_json.Encoder,
                verbose_name="status (API-vorm)",
            ),
        ),
        migrations.RunPython(compress_with_lz4, compress_with_pglz),
    ]
