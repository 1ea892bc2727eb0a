"""The caller's roles read in one written-out statement (rapportage.roles, issue 16) equal what the ORM reads.

The API's token authentication and the board pages hand these to agenda.permissions as its
per-request list, so they must be the same rows, values and types as its own query gives.
"""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.models import Membership
from rapportage import roles

pytestmark = pytest.mark.django_db
User = get_user_model()


def same_instance(ours, theirs) -> None:
    """Assert that two instances of one model hold equal values of equal types in every column."""
    assert type(ours) is type(theirs)
    for field in type(theirs)._meta.concrete_fields:
        mine, reference = getattr(ours, field.attname), getattr(theirs, field.attname)
        assert mine == reference and type(mine) is type(reference), (field.name, mine, reference)


def same_memberships(user) -> None:
    """Assert that the user's list holds the memberships (with institutions) the ORM reads, in id order."""
    reference = list(Membership.objects.filter(user=user).select_related("institution").order_by("pk"))
    assert len(user._memberships) == len(reference)
    for ours, theirs in zip(user._memberships, reference, strict=True):
        same_instance(ours, theirs)
        same_instance(ours.institution, theirs.institution)
        assert ours.user is user


@pytest.mark.parametrize("username", ["bestuur", "directeur5100", "teamleider5100", "partner", "beleid"])
def test_a_token_gives_its_user_and_roles_as_the_orm_reads_them(rocvaf_demo, username):
    """User, token and memberships come out with the ORM's values and types (dates, booleans, nulls)."""
    user = User.objects.get(username=username)
    key = Token.objects.get_or_create(user=user)[0].key
    found_user, token = roles.by_token(key)
    reference = Token.objects.select_related("user").get(key=key)
    same_instance(token, reference)
    same_instance(found_user, reference.user)
    assert token.user is found_user
    same_memberships(found_user)


def test_a_user_without_roles_and_an_unknown_token(rocvaf_demo):
    """A user without a membership (a superuser) still authenticates, with no roles; an unknown key gives None."""
    admin = User.objects.create_superuser("beheer-roles", "beheer@example.org", "x")
    found_user, _ = roles.by_token(Token.objects.create(user=admin).key)
    assert found_user.pk == admin.pk and found_user._memberships == []
    assert roles.by_token("0" * 40) is None


@pytest.mark.parametrize("username", ["bestuur", "directeur5100", "partner"])
def test_a_logged_in_users_roles_as_the_orm_reads_them(rocvaf_demo, username):
    """roles.read fills the same list agenda.permissions would have read itself."""
    user = User.objects.get(username=username)
    roles.read(user)
    same_memberships(user)


def test_an_inactive_or_unknown_token_is_refused_with_401(rocvaf_demo):
    """As DRF's TokenAuthentication: an unknown key and a deactivated user get 401, never the body."""
    user = User.objects.get(username="bestuur")
    key = Token.objects.get_or_create(user=user)[0].key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/status/?year=2020").status_code == 401
    User.objects.filter(pk=user.pk).update(is_active=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/status/?year=2020").status_code == 401


def test_the_runs_fingerprint_read_with_the_roles_is_the_one_page_cache_reads(rocvaf_demo):
    """The token statement's fingerprint equals page_cache's own statement's, and moves with a new run."""
    from django.utils import timezone

    from rapportage import page_cache
    from rapportage.models import RecomputeRun

    key = Token.objects.get_or_create(user=User.objects.get(username="bestuur"))[0].key

    def both():
        user, _ = roles.by_token(key)
        kept = user._memberships[0].institution
        fresh = type(kept).objects.get(pk=kept.pk)  # no fingerprint on it: page_cache reads its own
        assert getattr(fresh, "_runs_fingerprint", None) is None
        assert page_cache._runs(kept) == page_cache._runs(fresh)
        return page_cache._runs(kept)

    before = both()
    RecomputeRun.objects.create(institution=rocvaf_demo, state="failed", finished_at=timezone.now(), error="x")
    assert both() != before
    roles.read(user := User.objects.get(username="directeur5100"))
    assert user._memberships[0].institution._runs_fingerprint == both()


@pytest.mark.postgres
def test_the_data_version_comes_with_the_roles_from_the_database_and_moves_after_a_write(
    rocvaf_demo, django_capture_on_commit_callbacks
):
    """PostgreSQL: the token statement reads the data's version (no Redis GET), and it moves with a committed write.

    The version lives in the database's sequence, so a bump made on another connection (another
    process) is seen with no shared cache at all.
    """
    import threading

    from django.core.cache import cache
    from django.db import connection

    from rapportage import page_cache

    key = Token.objects.get_or_create(user=User.objects.get(username="bestuur"))[0].key

    def with_roles():
        user, _ = roles.by_token(key)
        institution = user._memberships[0].institution
        return institution._data_token, page_cache.data_version(institution)

    token, version = with_roles()
    assert token == page_cache.version() and version.startswith(f"{token}:")
    cache.clear()  # the version does not live in the cache
    assert with_roles() == (token, version)
    with django_capture_on_commit_callbacks(execute=True):
        rocvaf_demo.themes.update(name="Thema uit de test")
    moved, _ = with_roles()
    assert moved != token

    def elsewhere():  # another connection: what another process's commit does
        page_cache.bump()
        connection.close()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(timeout=30)
    assert with_roles()[0] not in (token, moved)


@pytest.mark.django_db(transaction=True)
def test_the_token_statement_is_the_connections_health_check(rocvaf_demo_tx):
    """No separate health check before it; on a connection that died it reconnects and answers (issue 8).

    PostgreSQL only: a SQLite connection does not die, and Django never checks it. The statement
    is prepared once per connection (roles._prepared): the new connection prepares it again.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's persistent connections only")
    key = Token.objects.create(user=User.objects.get(username="bestuur")).key
    roles.by_token(key)
    checks = []
    usable = connection.is_usable
    connection.is_usable = lambda: checks.append(1) or usable()
    try:
        connection.health_check_done = False  # as at the start of a request
        assert roles.by_token(key)[0].username == "bestuur"
        assert checks == []  # the statement was the check
        dead = connection.connection
        dead.close()  # as after a database restart
        connection.health_check_done = False
        assert roles.by_token(key)[0].username == "bestuur"
        assert connection.connection is not dead and connection.connection.closed == 0
    finally:
        del connection.is_usable


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tokens_rows_are_kept_under_both_versions_and_every_committed_change_is_seen_at_once(rocvaf_demo_tx):
    """PostgreSQL: a warm token reads two values, not the join; a deactivated user, a revoked token and removed
    memberships are seen at the next request, whoever commits them: another connection of the application (another
    process) or a plain database session outside Django (a DBA in psql), which no watcher of ours sees.

    Every request still makes its own instances: a kept row is never an object another request changed.
    """
    import threading

    import psycopg2
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from agenda.models import Membership

    user = User.objects.get(username="directeur5100")
    key = Token.objects.create(user=user).key
    first, _ = roles.by_token(key)
    with CaptureQueriesContext(connection) as read:
        second, token = roles.by_token(key)
    assert [query["sql"] for query in read.captured_queries] == ["EXECUTE kwaliteit_versions"]
    assert second is not first and second._memberships[0] is not first._memberships[0]
    same_instance(token, Token.objects.get(key=key))
    same_instance(second, User.objects.get(pk=user.pk))
    same_memberships(second)

    def elsewhere(write):  # another connection of the application commits, as another process would
        def run():
            try:
                write()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()

    def in_psql(sql: str, params: list) -> None:  # outside Django: no execute wrapper, no on-commit hook
        settings = connection.settings_dict
        with (
            psycopg2.connect(
                dbname=settings["NAME"],
                user=settings["USER"],
                host=settings["HOST"],
                port=settings["PORT"],
                password=settings["PASSWORD"] or None,
            ) as raw,
            raw.cursor() as cursor,
        ):
            cursor.execute(sql, params)
        raw.close()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/status/?year=2020").status_code == 200

    # The user deactivated, by the application elsewhere and by hand in the database: refused at once.
    elsewhere(lambda: User.objects.filter(pk=user.pk).update(is_active=False))
    assert client.get("/api/v1/status/?year=2020").status_code == 401
    elsewhere(lambda: User.objects.filter(pk=user.pk).update(is_active=True))
    assert client.get("/api/v1/status/?year=2020").status_code == 200
    in_psql("UPDATE auth_user SET is_active = false WHERE id = %s", [user.pk])
    assert client.get("/api/v1/status/?year=2020").status_code == 401
    in_psql("UPDATE auth_user SET is_active = true WHERE id = %s", [user.pk])
    assert client.get("/api/v1/status/?year=2020").status_code == 200

    # Inside a transaction nothing is kept: a change rolled back never comes back under a version a later write reaches.
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(first_name="Teruggedraaid")
        assert roles.by_token(key)[0].first_name == "Teruggedraaid"  # its own write, read fresh
        transaction.set_rollback(True)
    elsewhere(lambda: User.objects.filter(pk=user.pk).update(last_name="Vastgelegd"))
    found = roles.by_token(key)[0]
    assert (found.first_name, found.last_name) == (user.first_name, "Vastgelegd")

    # The user's memberships removed by hand: without a role the API refuses at once.
    assert Membership.objects.filter(user=user).exists()
    in_psql(
        "DELETE FROM agenda_membership_colleges WHERE membership_id IN (SELECT id FROM agenda_membership WHERE user_id = %s)",
        [user.pk],
    )
    in_psql(
        "DELETE FROM agenda_membership_teams WHERE membership_id IN (SELECT id FROM agenda_membership WHERE user_id = %s)",
        [user.pk],
    )
    in_psql("DELETE FROM agenda_membership WHERE user_id = %s", [user.pk])
    assert roles.by_token(key)[0]._memberships == []
    assert client.get("/api/v1/status/?year=2020").status_code == 403

    # The token revoked by the application elsewhere: gone at the next request.
    elsewhere(lambda: Token.objects.filter(key=key).delete())
    assert roles.by_token(key) is None
    assert client.get("/api/v1/status/?year=2020").status_code == 401


@pytest.mark.postgres
def test_the_credentials_version_moves_with_the_commit_of_every_write_to_the_four_tables(db):
    """PostgreSQL: triggers on the users', tokens', memberships' and institutions' tables move the counter row in the
    writing transaction: a rolled-back write leaves it, a committed one (a TRUNCATE too) moves it."""
    from django.db import connection, transaction

    from agenda.models import Institution

    def credentials():
        with connection.cursor() as cursor:
            cursor.execute(roles.VERSIONS_SQL)
            return cursor.fetchone()[1]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers"
            " WHERE trigger_name LIKE %s GROUP BY 1 ORDER BY 1",
            ["%_credentials_moved"],
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "agenda_institution",
            "agenda_membership",
            "auth_user",
            "authtoken_token",
        ]
    before = credentials()
    User.objects.create_user("teller", password="x")
    assert credentials() == before + 1  # this transaction's own write: its own count
    with transaction.atomic():
        Institution.objects.create(code="TELLER", name="Teller")
        assert credentials() == before + 2
        transaction.set_rollback(True)
    assert credentials() == before + 1
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE authtoken_token")
    assert credentials() == before + 2
