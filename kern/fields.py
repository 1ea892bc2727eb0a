"""Database fields with our own storage rules: a value (ValueField) and a stored result's JSON (StoredJSONField).

The field of a value (measurement, baseline, target, margin) is exact on every backend.

A value has at most MAX_DIGITS digits, MAX_DECIMALS of them after the comma (kern.rules), and
is never rounded by the database (domain.md, "Every number is exact at any size the formats
accept"). PostgreSQL keeps it as numeric(18, 6), unchanged. SQLite has no decimal type: a
column of NUMERIC affinity turns a decimal into a binary REAL of 15 significant digits, so
123456789012,345678 came back as 123456789012,346 and 999999999999,9999 as 10**12, on which
Django's converter raised InvalidOperation (issue 11 part 7).

On SQLite this field keeps the decimal as its exact text and reads it back exactly, while SQL
compares, sorts and computes with it as a number (CAST(... AS NUMERIC): 15 significant digits,
as before, in SQL only). The text has a fixed width ("000000000077.500000"), so that where SQLite
compares the text itself (ORDER BY a selected column, DISTINCT, raw SQL) it orders as the
numbers do; values are never negative (kern.rules.UNIT_RANGES).
"""

import json
from decimal import ROUND_HALF_UP, Context, Decimal

from django.db import DataError, migrations
from django.db.models import DecimalField, JSONField
from django.db.models.expressions import Col
from django.utils.functional import cached_property

from kern.rules import MAX_DECIMALS, MAX_DIGITS, MAX_VALUE, STORAGE_PLACES

# A REAL holds 15 significant digits: rows SQLite stored as numbers (results of SQL arithmetic)
# are read as Django's own SQLite converter reads them.
_REAL_DIGITS = Context(prec=15)
_EXACT = Context(prec=MAX_DIGITS + 10)  # room for any stored value: quantizing never raises
SQLITE_TEXT = f"0{MAX_DIGITS + 1}.{MAX_DECIMALS}f"  # zero-padded digits and the point: "000000000077.500000"


class _NumericCol(Col):
    """A value column that SQLite compares, sorts and computes with as a number, but selects as exact text."""

    def as_sqlite(self, compiler, connection):
        """Return the column as a number for WHERE, ORDER BY and arithmetic."""
        sql, params = self.as_sql(compiler, connection)
        return f"CAST({sql} AS NUMERIC)", params

    def select_format(self, compiler, sql, params):
        """Return the column itself in a SELECT list: its exact text, read back by ValueField.from_db_value."""
        if compiler.connection.vendor == "sqlite":
            return self.as_sql(compiler, compiler.connection)
        return super().select_format(compiler, sql, params)


class ValueField(DecimalField):
    """An exact decimal of at most MAX_DIGITS digits, MAX_DECIMALS after the comma, on every backend."""

    def __init__(self, *args, max_digits=MAX_DIGITS, decimal_places=MAX_DECIMALS, **kwargs):
        super().__init__(*args, max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def get_internal_type(self):
        # Not "DecimalField": Django's SQLite converter would read the exact text as a float.
        return "ValueField"

    def db_type(self, connection):
        """Return text on SQLite (exact), the backend's own decimal type elsewhere (numeric(18, 6))."""
        if connection.vendor == "sqlite":
            return "text"
        return connection.data_types["DecimalField"] % self.db_type_parameters(connection)

    def get_db_prep_save(self, value, connection):
        """Return the value as stored: on SQLite its fixed-width text with MAX_DECIMALS decimals (numeric(18, 6))."""
        value = super().get_db_prep_save(value, connection)
        if connection.vendor != "sqlite" or not isinstance(value, Decimal):
            return value
        # PostgreSQL rounds to the column's scale (half away from zero) and refuses what does not fit.
        stored = value.quantize(STORAGE_PLACES, rounding=ROUND_HALF_UP, context=_EXACT)
        if abs(stored) >= MAX_VALUE:
            raise DataError(f"numeric field overflow: {value} does not fit numeric({MAX_DIGITS}, {MAX_DECIMALS})")
        return format(stored, SQLITE_TEXT)

    def from_db_value(self, value, expression, connection):
        """Return the stored value as a Decimal with MAX_DECIMALS decimals (as PostgreSQL returns numeric(18, 6))."""
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            value = _REAL_DIGITS.create_decimal_from_float(value)
        return Decimal(value).quantize(STORAGE_PLACES, context=_EXACT)

    def get_col(self, alias, output_field=None):
        """Return the column expression (a number in SQL on SQLite, see _NumericCol)."""
        if alias == self.model._meta.db_table and (output_field is None or output_field == self):
            return self.cached_col
        return _NumericCol(alias, self, output_field)

    @cached_property
    def cached_col(self):
        """Return the column of the field's own table."""
        return _NumericCol(self.model._meta.db_table, self)


def sqlite_text_values(*columns: tuple[str, str]) -> migrations.RunPython:
    """Return a migration step that writes SQLite's values of these (table, column) as ValueField's text.

    Changing a column to ValueField turns SQLite's REALs into their shortest text of at most 15
    digits ("77.5", "1.0e-06"), the digits Django read from them before; this gives that number
    the fixed width of new values. Nothing to do on other backends.
    """

    def rewrite(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            for table, column in columns:
                cursor.execute(f"SELECT rowid, {quote(column)} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL")
                rows = [(_text(value), rowid) for rowid, value in cursor.fetchall()]
                cursor.executemany(f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE rowid = %s", rows)

    return migrations.RunPython(rewrite, migrations.RunPython.noop, elidable=True)


def _text(value) -> str:
    """Return a value SQLite held as a number or its text, as ValueField's fixed-width text."""
    number = _REAL_DIGITS.create_decimal_from_float(value) if isinstance(value, float) else Decimal(str(value))
    return format(number.quantize(STORAGE_PLACES, rounding=ROUND_HALF_UP, context=_EXACT), SQLITE_TEXT)


class StoredJSONField(JSONField):
    """A JSON document kept as the text it was written as: PostgreSQL's json type, not jsonb.

    The results' payloads (rapportage.models) are written once per recompute and read whole; no
    query looks inside them. jsonb parses every document into its binary form on the way in and
    prints it again on the way out: COPY-writing 74 MB of payloads took 2.2-2.4 s as jsonb and
    1.0 s as json, reading them back as text 0.41-0.54 s against 0.08-0.12 s (benchmarks.md 14).
    json keeps the exact text exact_json wrote, key order included, as SQLite already did.
    json has no equality operator: never filter, group or DISTINCT on this column.
    """

    def db_type(self, connection):
        """Return json on PostgreSQL, the JSON field's own type elsewhere."""
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def cast_db_type(self, connection):
        """Cast to the column's own type (a text cast to jsonb first would reorder its keys)."""
        return self.db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        """Return the document as its JSON text on PostgreSQL, keys in the order they were given.

        Django's own adapter sends a value as jsonb, whose reordered keys json would then keep
        (a payload saved through the ORM: the admin, a fixture, a test). Elsewhere as JSONField.
        """
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        return json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))

    def select_format(self, compiler, sql, params):
        """Select the column as text on PostgreSQL: psycopg2 would parse json with floats, losing digits."""
        if compiler.connection.vendor == "postgresql":
            return f"({sql})::text", params
        return super().select_format(compiler, sql, params)
