"""The caller's roles read in one written-out statement: per API token, per logged-in user (issue 16).

Every board page and every stored-result answer reads the user's memberships (with their
institutions) for the permission checks of agenda.permissions. Built through the ORM, that
read cost more CPU than the database spent on it: 1-2 ms of a cached page's 5 ms, and for the
API the token's join with its user and roles 2 ms of 5 (bench/dashboard_load.py,
bench/api_bench.py). The statements here are written out once per process from the models' own
tables and columns, and their rows made into model instances as Django's raw() does (from_db,
with the backend's converters). The result is handed to agenda.permissions as the per-request
list it would have read itself (`user._memberships`); the rules stay there.

Each institution of those memberships comes with its recompute runs' fingerprint, read in the
same statement (page_cache.runs_columns; `institution._runs_fingerprint`, which page_cache's
data_version uses): a warm API answer is then one statement, prepared once per connection on
PostgreSQL, and that statement is the connection's health check too (_rows). On PostgreSQL the
token's rows are also kept in the process under the data's and the credentials' versions, so a
warm answer reads only those two values (_token_rows).
"""

import contextlib
import functools
import weakref

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from rest_framework.authtoken.models import Token

from agenda.models import Institution, Membership
from rapportage import page_cache
from rapportage.local_store import LocalStore


def _model_columns(connection, model, alias: str) -> tuple[list[str], tuple]:
    """Return the model's columns under `alias` and (model, fields, converters) to make instances of them."""
    quote = connection.ops.quote_name
    fields = list(model._meta.concrete_fields)
    converters = []
    for field in fields:
        col = field.get_col(alias)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        converters.append([(converter, col) for converter in found])
    return [f"{alias}.{quote(field.column)}" for field in fields], (model, fields, converters)


def _column(connection, model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


@functools.cache
def _by_token() -> tuple[str, list, int]:
    """Return the statement reading a token, its user and the user's memberships with their institutions.

    With the models to make of its columns and how many columns at its end page_cache.remember takes.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    user_model = get_user_model()
    columns, models = [], []
    for model, alias in [(Token, "t"), (user_model, "u"), (Membership, "m"), (Institution, "i")]:
        found, described = _model_columns(connection, model, alias)
        columns += found
        models.append(described)
    quote, col = connection.ops.quote_name, functools.partial(_column, connection)
    known = page_cache.known_columns(connection, f"m.{col(Membership, 'institution')}")
    columns += known
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t"
        f" JOIN {quote(user_model._meta.db_table)} u ON u.{col(user_model, 'id')} = t.{col(Token, 'user')}"
        f" LEFT JOIN {quote(Membership._meta.db_table)} m ON m.{col(Membership, 'user')} = u.{col(user_model, 'id')}"
        f" LEFT JOIN {quote(Institution._meta.db_table)} i ON i.{col(Institution, 'id')} = m.{col(Membership, 'institution')}"
        f" WHERE t.{col(Token, 'key')} = %s ORDER BY m.{col(Membership, 'id')}"
    )
    return sql, models, len(known)


@functools.cache
def _by_user() -> tuple[str, list, int]:
    """Return the statement reading a user's memberships with their institutions."""
    connection = connections[DEFAULT_DB_ALIAS]
    columns, models = [], []
    for model, alias in [(Membership, "m"), (Institution, "i")]:
        found, described = _model_columns(connection, model, alias)
        columns += found
        models.append(described)
    quote, col = connection.ops.quote_name, functools.partial(_column, connection)
    known = page_cache.known_columns(connection, f"m.{col(Membership, 'institution')}")
    columns += known
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Membership._meta.db_table)} m"
        f" JOIN {quote(Institution._meta.db_table)} i ON i.{col(Institution, 'id')} = m.{col(Membership, 'institution')}"
        f" WHERE m.{col(Membership, 'user')} = %s ORDER BY m.{col(Membership, 'id')}"
    )
    return sql, models, len(known)


def _instances(models: list, row: tuple, connection) -> list:
    """Return one instance per model of `models` from their columns in `row`, converted as the ORM converts them."""
    instances, start = [], 0
    for model, fields, converters in models:
        values = []
        for value, field_converters in zip(row[start : start + len(fields)], converters, strict=True):
            for converter, expression in field_converters:
                value = converter(value, expression, connection)
            values.append(value)
        start += len(fields)
        # A LEFT JOIN without a match: the primary key is NULL.
        instances.append(
            None if values[0] is None else model.from_db(connection.alias, [f.attname for f in fields], values)
        )
    return instances


def _prepared(connection, name: str, sql: str, cursor) -> str:
    """Return the statement that runs `sql` on PostgreSQL: EXECUTE of it, prepared once per connection.

    Planning the token statement (four tables, a sort and the runs' subqueries) cost PostgreSQL
    about 1 ms of CPU on every request, several times what executing it cost (EXPLAIN ANALYZE:
    planning 1.5 ms, execution 0.3 ms), on the cores the web workers share (issue 16,
    bench/api_bench.py). A prepared statement is planned once per connection. It outlives a
    rolled-back transaction (PREPARE is not transactional), not the connection: a new connection
    (a restart, CONN_MAX_AGE) prepares it again. Its parameters' types come from the columns.
    """
    prepared = connection.__dict__.get("_roles_prepared")
    if prepared is None or prepared[0]() is not connection.connection:
        prepared = (weakref.ref(connection.connection), set())
        connection._roles_prepared = prepared
    pieces = sql.split("%s")
    if name not in prepared[1]:
        numbered = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1)) + pieces[-1]
        cursor.execute(f"PREPARE {name} AS {numbered}")
        prepared[1].add(name)
    if len(pieces) == 1:
        return f"EXECUTE {name}"  # no parameters: no parentheses (a syntax error in PostgreSQL)
    return f"EXECUTE {name}({', '.join(['%s'] * (len(pieces) - 1))})"


def _execute(connection, name: str, sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _prepared(connection, name, sql, cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _rows(name: str, sql: str, params: list) -> list[tuple]:
    """Return the rows of a statement of this module; it is the connection's health check too.

    With persistent connections (CONN_MAX_AGE) Django checks a connection with a `SELECT 1`
    before the first statement of every request (settings: conn_health_checks, issue 8): a round
    trip of its own on every API request, whose first statement is the token's. So this statement
    is the check: when it fails on a connection that no longer works (a database restart), the
    connection is closed and the statement runs once more on a new one, as after a failed check.
    It only reads, so running it again changes nothing. Inside a transaction the connection is
    not replaced (nor checked, as Django does not check it there).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    own_check = (
        connection.health_check_enabled
        and not connection.health_check_done
        and connection.connection is not None
        and not connection.in_atomic_block
    )
    if own_check:
        connection.health_check_done = True
        try:
            return _execute(connection, name, sql, params)
        except (InterfaceError, OperationalError):
            if connection.is_usable():
                raise  # the connection works: the error is the statement's own
            with contextlib.suppress(DatabaseError):
                connection.close()
    return _execute(connection, name, sql, params)


# The credentials' version (migration rapportage 0009): a counter row that triggers on the users',
# tokens', memberships' and institutions' tables move in the writing transaction itself.
CREDENTIALS_VERSION = "rapportage_credentials_version"
VERSIONS_SQL = (
    f"SELECT d.last_value, c.value FROM {page_cache.VERSION_SEQUENCE} d, {CREDENTIALS_VERSION} c"  # noqa: S608
    " WHERE c.id = 1"
)
# A token's rows lately read in this process, by both versions and the token. Rows, not instances:
# each request makes its own instances of them (it may change them). Each entry counts as 2 KB
# (a caller with one to a few memberships): at most 2,048 entries kept.
recent_tokens = LocalStore(4 * 1024 * 1024, item_size=2048)


def _keeps_rows(connection) -> bool:
    """Return whether token rows may be kept and served on this connection now.

    PostgreSQL only (the versions live there), PAGE_CACHE on, and only outside any transaction: a
    connection inside one may have written the rows (or moved the counter) itself, uncommitted,
    and rows kept under a version that a rollback takes back could be served after another
    write reaches the same value. API requests run outside transactions (no ATOMIC_REQUESTS).
    """
    return (
        connection.vendor == "postgresql"
        and getattr(settings, "PAGE_CACHE", True)
        and not connection.in_atomic_block
        and connection.get_autocommit()
    )


def _token_rows(key: str, sql: str) -> tuple | list:
    """Return the token statement's rows for `key`: kept under the data's and the credentials' versions, else read.

    The rows are a token, its user, the user's memberships and their institutions (the
    credentials' version: triggers move it in every transaction that writes one of those tables,
    whoever writes, so it never misses a write and moves only when the write commits) with the
    runs' fingerprint and the data's version (the data's version: bumped after every committed
    write to a shown table, rapportage_recomputerun among them). Rows kept under the versions
    read now are therefore the rows the statement would read now. The versions are read first
    and the rows after them (READ COMMITTED: each statement sees what was committed when it
    began): a write committing in between leaves newer rows under older versions, never older
    rows under newer ones. Reading two values instead of the join cut PostgreSQL's CPU per API
    answer under load from 0.22 to 0.08 ms (issue 16, docs/benchmarks.md 13). An unknown token is
    not kept: guessing fills no memory. After restoring a database backup, restart the web
    workers: the versions go back to the backup's values and could meet rows kept before.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if not _keeps_rows(connection):
        return _rows("kwaliteit_roles_by_token", sql, [key])
    data, credentials = _rows("kwaliteit_versions", VERSIONS_SQL, [])[0]
    kept = f"{data}:{credentials}:{key}"
    rows = recent_tokens.get(kept)
    if rows is None:
        rows = tuple(_rows("kwaliteit_roles_by_token", sql, [key]))
        if rows:
            recent_tokens.put(kept, rows)
    return rows


def by_token(key: str):
    """Return (user, token) of the API token `key` with the user's memberships read, or None when there is none."""
    sql, models, known = _by_token()
    connection = connections[DEFAULT_DB_ALIAS]
    token = user = None
    memberships = []
    for row in _token_rows(key, sql):
        found_token, found_user, membership, institution = _instances(models, row, connection)
        if user is None:
            token, user = found_token, found_user
            token.user = user
        if membership is not None:
            membership.institution, membership.user = institution, user
            page_cache.remember(institution, row[-known:])
            memberships.append(membership)
    if user is None:
        return None
    user._memberships = memberships  # agenda.permissions.membership's per-request list
    return user, token


def read(user) -> None:
    """Read the logged-in user's memberships with their institutions into agenda.permissions' per-request list."""
    if not user.is_authenticated or getattr(user, "_memberships", None) is not None:
        return
    sql, models, known = _by_user()
    connection = connections[DEFAULT_DB_ALIAS]
    memberships = []
    for row in _rows("kwaliteit_roles_by_user", sql, [user.pk]):
        membership, institution = _instances(models, row, connection)
        membership.institution, membership.user = institution, user
        page_cache.remember(institution, row[-known:])
        memberships.append(membership)
    user._memberships = memberships
