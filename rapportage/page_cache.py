"""The one home of the board pages' cache: their version, cache key, ETag and rendered bytes (issue 16).

Board pages change only when the data they show changes, yet rendering them (selectors,
plotly figures, templates) took 100-700 ms per request. A page is rendered once per version
and user, and served from the cache after that.

**The version.** One token, replaced by a new one after every committed write to a table of
the apps whose data the pages show (agenda, indicatoren, maatregelen,
rapportage): context values, measures, evidence, Q-reviews, check-ins, spending, agenda
revisions, sign-offs, memberships and stored results alike. The writes are seen where they
all pass, in the database cursor (an execute wrapper installed on every connection): a list of
models with post_save receivers would miss every `bulk_create`, `update()` and queryset
`delete()` (some 70 of them in the services), and a missed write is a stale page. A write
through COPY, which passes no Django cursor, is a measurement import, and those announce
themselves (kern.signals.data_changed), which bumps the version too. On PostgreSQL the token is
a sequence's value (nextval to bump), which every process sharing the database sees, read with
the caller's roles in one statement (rapportage.roles); elsewhere (SQLite: the demo) a random
token in the cache. The token is global, not
per institution: a cursor does not know the institution a row belongs to, and one institution's
write re-rendering another's pages once costs little next to a stale page. Beside the token,
the key holds a fingerprint of the institution's recompute runs, read from the database: a
worker in another process that stores results is seen even when it shares no cache with the
web process (the test suite's second pass; a development setup without Redis).

The token is replaced when the transaction commits, never before: a page rendered from the old
data during the write is stored under the old token, which nobody asks for again. Until then,
a request on the writing connection itself (the same transaction) bypasses the cache.

**Per user.** The layout shows the user's name, role and own colleges, and the college page
whether they may write: a page is cached per user (never shared between users with other
rights), per address and query string, per day (a page may say "today"), and per language.
Only GET and HEAD are served from the cache; a request with a message to show is rendered,
so messages are shown once and never stored. The logout form's CSRF token is rendered as a
placeholder and replaced by the request's own token when served.

**In the process.** A page served once is also kept in the serving process
(rapportage.local_store, 32 MB, least recently used out first), under the same key: a key names
the data's version, the release and the user, so a kept page is never stale, and a hit reads
no copy from Redis and decompresses nothing. The API keeps its validators under the same
version (data_version; rapportage.api.conditional).

**HTTP.** Every cached page carries an ETag (the key, with the user's CSRF secret) and
`Cache-Control: private, no-cache` with `Vary: Cookie`: a browser keeps its copy and
revalidates, and an unchanged page answers 304 without reading the cache at all.

The cache only saves rendering: when it is unreachable (Redis down) pages are rendered, or
served from the process's own copies under the database's version (issue 13). On PostgreSQL the
version is in the database, so processes without a shared cache still see every write; on
SQLite with a local-memory cache (no REDIS_URL) every process has its own token: serve pages
from one process then (the demo's runserver), or set PAGE_CACHE=false. The test suite starts
every test on a new token (tests/conftest.py): a test's writes are rolled back, its token would
not be.
"""

import contextlib
import hashlib
import logging
import re
import uuid
import zlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from redis.exceptions import RedisError

from agenda.models import Institution
from kern.release import release
from rapportage.local_store import LocalStore

logger = logging.getLogger(__name__)

VERSION_KEY = "pages:version"
VERSION_SEQUENCE = "rapportage_data_version"  # PostgreSQL: migration rapportage 0008
CACHE_SECONDS = 3600
# Rendered in place of the CSRF token and replaced when served: the token is the visitor's own.
CSRF_PLACEHOLDER = "csrf-page-cache-placeholder"
# Tables whose rows a board page may show: every table of these apps.
SHOWN_TABLE_PREFIXES = ("agenda_", "indicatoren_", "maatregelen_", "rapportage_")
# Rows a board page never shows and that change without any data changing (a mail sent).
UNSHOWN_TABLES = frozenset({"rapportage_subscription", "rapportage_alertdelivery"})
WRITE_SQL = re.compile(
    r"""^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)\s+(?:ONLY\s+)?["`]?(\w+)""",
    re.IGNORECASE,
)
# Where a TRUNCATE's list of tables ends.
TRUNCATE_OPTIONS = re.compile(r"\b(?:RESTART|CONTINUE|CASCADE|RESTRICT)\b|;", re.IGNORECASE)
CACHE_ERRORS = (RedisError, OSError)
# The pages this process has served lately, by key (rapportage.local_store): a hit reads neither
# Redis's copy nor decompresses it. A key names the data's version, so a kept page is never stale.
LOCAL_BYTES = 32 * 1024 * 1024
local_pages = LocalStore(LOCAL_BYTES)


# --- The version ---------------------------------------------------------------------------------


def version() -> str:
    """Return the pages' current version token (made when the cache has none).

    On PostgreSQL the sequence's last value (migration rapportage 0008): shared by every process
    that shares the database, read without a round trip to Redis, and in the same statement as
    the caller's roles where rapportage.roles read it (data_version). Elsewhere a token in the cache.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value FROM {VERSION_SEQUENCE}")  # noqa: S608 - a constant
            return version_token(cursor.fetchone()[0])
    token = cache.get(VERSION_KEY)
    if token is None:
        # add(): two processes that find no token at once agree on the first one stored.
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        token = cache.get(VERSION_KEY)
    return token


def version_token(value) -> str:
    """Return the version token of the sequence's value (as version() and rapportage.roles read it)."""
    return f"db{value}"


def bump() -> None:
    """Give the pages a new version: every page is rendered again on its next request."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        try:
            # nextval is not transactional and waits for no flush: after the commit that called it,
            # every process sees the new value at once.
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval(%s)", [VERSION_SEQUENCE])
        except DatabaseError as exc:  # the database is gone: the next request fails on it anyway
            logger.warning("Data version not bumped (%s)", exc)
        return
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except CACHE_ERRORS as exc:  # the pages are rendered without the cache while it is down
        logger.warning("Page cache unreachable (%s); version not bumped", exc)


def forget() -> None:
    """Forget every cached page (tests and benchmarks: a rolled-back test's pages must not outlive it)."""
    bump()


class _BumpOnCommit:
    """An on-commit callback that bumps the version; `done` tells a pending one from one that ran."""

    __slots__ = ("done",)

    def __init__(self):
        self.done = False

    def __call__(self):
        self.done = True
        bump()


def _pending(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Return whether the connection has written shown data that is not committed yet."""
    return any(isinstance(entry[1], _BumpOnCommit) and not entry[1].done for entry in connections[using].run_on_commit)


def written(using: str = DEFAULT_DB_ALIAS) -> None:
    """Bump the version once the current transaction commits (at once outside a transaction)."""
    connection = connections[using]
    if connection.in_atomic_block:
        if not _pending(using):
            transaction.on_commit(_BumpOnCommit(), using=using)
    else:
        bump()


def _written_tables(sql: str, match: re.Match) -> list[str]:
    """Return the tables a write statement names: its one table, or every table a TRUNCATE lists.

    Django's flush truncates every table in one statement ("TRUNCATE a, b, ... CASCADE"), in no
    fixed order: reading only the first name missed the shown ones behind it.
    """
    if sql.lstrip()[:1] not in "Tt":
        return [match.group(1).lower()]
    listed = TRUNCATE_OPTIONS.split(sql[match.start(1) :], maxsplit=1)[0]
    return [name.strip().strip('"`').lower() for name in listed.split(",") if name.strip()]


def _watch_writes(execute, sql, params, many, context):
    """Run a statement; when it wrote to a table the pages show, bump the version after the commit."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and sql.lstrip()[:1] in "IiUuDdTtCc":
        match = WRITE_SQL.match(sql)
        if match and any(
            table.startswith(SHOWN_TABLE_PREFIXES) and table not in UNSHOWN_TABLES
            for table in _written_tables(sql, match)
        ):
            written(context["connection"].alias)
    return result


def watch_connection(sender, connection, **kwargs) -> None:
    """Install the write watcher on a new database connection (connection_created)."""
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def data_changed(sender, institution=None, **kwargs) -> None:
    """Answer kern.signals.data_changed: a write (possibly through COPY) changed what pages show."""
    written()


def connect() -> None:
    """Watch every database connection for writes, and listen for announced changes (RapportageConfig.ready)."""
    from django.db.backends.signals import connection_created

    from kern.signals import data_changed as announced

    connection_created.connect(watch_connection, dispatch_uid="rapportage.page_cache.watch_connection")
    announced.connect(data_changed, dispatch_uid="rapportage.page_cache.data_changed")
    for connection in connections.all():  # the ones opened before this ran
        watch_connection(None, connection)


# --- The page ------------------------------------------------------------------------------------


RUNS_COLUMNS = 4  # runs_columns: count, newest id, newest start, newest end


def runs_columns(connection, institution: str) -> list[str]:
    """Return the columns of the runs' fingerprint of the institution whose id is the SQL `institution`.

    Scalar subqueries, so that another statement can read them beside its own columns: the API's
    token statement reads the fingerprint of each of the caller's institutions with the caller's
    roles (rapportage.roles), one round trip where there were two (issue 16, bench/api_bench.py).
    Its count, newest id, newest start and newest end move with every run and state change.
    """
    from rapportage.models import RecomputeRun

    quote, meta = connection.ops.quote_name, RecomputeRun._meta
    column = {name: quote(meta.get_field(name).column) for name in ("id", "started_at", "finished_at", "institution")}
    table = quote(meta.db_table)
    return [
        f"(SELECT {aggregate} FROM {table} WHERE {column['institution']} = {institution})"
        for aggregate in (
            "COUNT(*)",
            f"MAX({column['id']})",
            f"MAX({column['started_at']})",
            f"MAX({column['finished_at']})",
        )
    ]


def known_columns(connection, institution: str) -> list[str]:
    """Return runs_columns and, on PostgreSQL, the data's version: what data_version needs, read beside another statement."""
    columns = runs_columns(connection, institution)
    if connection.vendor == "postgresql":
        columns.append(f"(SELECT last_value FROM {VERSION_SEQUENCE})")
    return columns


def remember(institution: Institution, values) -> None:
    """Keep known_columns' values on the request's institution: data_version then reads nothing more."""
    institution._runs_fingerprint = runs_fingerprint(values[:RUNS_COLUMNS])
    if len(values) > RUNS_COLUMNS:
        institution._data_token = version_token(values[RUNS_COLUMNS])


def runs_fingerprint(values) -> str:
    """Return the fingerprint of runs_columns' values (as the database driver gives them)."""
    return repr(tuple(values))


def _runs(institution: Institution) -> str:
    """Return a fingerprint of the institution's recompute runs: it moves with every run and state change.

    The fingerprint read with the caller's roles is used when the institution came with them
    (rapportage.roles: the request's own instance, read before any of the data it versions).
    Else one statement written out, not a queryset: it runs on every cached page and API answer,
    and building the aggregate through the ORM cost more CPU (about 1 ms) than the database spent
    on it (issue 16, bench/dashboard_load.py). The table and columns come from the model.
    """
    known = getattr(institution, "_runs_fingerprint", None)
    if known is not None:
        return known
    connection = connections[DEFAULT_DB_ALIAS]
    sql = f"SELECT {', '.join(runs_columns(connection, '%s'))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [institution.pk] * 4)
        return runs_fingerprint(cursor.fetchone())


def data_version(institution: Institution) -> str:
    """Return the version of everything the institution's pages and API bodies are made of.

    The token (every committed write to a shown table) and the runs' fingerprint (a worker whose
    bump went to another cache). Read it BEFORE reading the data it versions: a write that
    commits in between then leaves its data under the new version, never old data under it.
    Raises a cache error when the cache holds the token (not PostgreSQL) and is unreachable.
    """
    token = getattr(institution, "_data_token", None)  # read with the caller's roles (remember)
    return f"{token or version()}:{_runs(institution)}"


def enabled() -> bool:
    """Return whether values may be kept under data_version() (PAGE_CACHE on and no write pending here).

    Inside a transaction that wrote shown data the version has not moved yet (it moves at the
    commit): that connection reads its own writes fresh.
    """
    return getattr(settings, "PAGE_CACHE", True) and not _pending()


def page_key(request, institution: Institution) -> str:
    """Return the cache key of the page `request` asks for, as its user sees it now."""
    user = request.user
    parts = [
        settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"],
        release(),  # a deploy renders every page anew: the old HTML names the old static files
        data_version(institution),
        institution.pk,
        request.build_absolute_uri(),
        user.pk,
        user.get_username(),
        user.get_full_name(),
        user.is_staff,
        user.is_superuser,
        translation.get_language(),
        timezone.localdate().isoformat(),
    ]
    return "pages:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _etag(request, key: str) -> tuple[str, str]:
    """Return the page's ETag, its key with the CSRF secret the page's forms are served for, and the request's token.

    get_token() first: a first visit gets its secret (and cookie) now, so its next request,
    which sends that cookie, has the same ETag. Its token (the secret, masked anew) goes into
    the page's forms: one masking per request, not two.
    """
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    return '"' + hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()[:32] + '"', token


def _private(response: HttpResponse, etag: str | None = None) -> HttpResponse:
    """Mark a board page as one user's: browsers may keep it but must revalidate, proxies must not."""
    if etag is not None:
        response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def _has_messages(request) -> bool:
    """Return whether the request carries messages to show (len() reads them without marking them shown)."""
    return len(get_messages(request)) > 0


def page(request, institution: Institution, template: str, build: Callable[[], dict]) -> HttpResponse:
    """Return the board page `template` with the context `build()`, from the cache when it is current.

    Call it after the permission checks: the cache is keyed per user, not a permission.
    """
    if not enabled() or request.method not in ("GET", "HEAD") or _has_messages(request):
        return _private(HttpResponse(render_to_string(template, build(), request)))
    try:
        key = page_key(request, institution)
    except CACHE_ERRORS as exc:
        logger.warning("Page cache unreachable (%s); rendering without it", exc)
        return _private(HttpResponse(render_to_string(template, build(), request)))
    etag, token = _etag(request, key)
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return _private(not_modified, etag)
    body = local_pages.get(key)
    if body is None:
        stored = None
        with contextlib.suppress(*CACHE_ERRORS):
            stored = cache.get(key)
        if stored is not None:
            body = zlib.decompress(stored)
        else:
            # The view's context wins over the context processors', so the csrf_token tag renders the placeholder.
            body = render_to_string(template, {**build(), "csrf_token": CSRF_PLACEHOLDER}, request).encode()
            # Compressed: a page is kept per user, and the indicator page is 150 KB (30 KB so, in 1 ms).
            with contextlib.suppress(*CACHE_ERRORS):
                cache.set(key, zlib.compress(body, 1), CACHE_SECONDS)
        local_pages.put(key, body)
    body = body.replace(CSRF_PLACEHOLDER.encode(), token.encode())
    return _private(HttpResponse(body), etag)
