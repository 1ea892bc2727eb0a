"""Board pages served from the page cache (issue 16): current after every kind of write, one user's page never another's."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from agenda.models import Factor, Indicator, Institution, Team, Theme
from indicatoren.models import ContextValue
from kern.signals import announce_change
from maatregelen.choices import MeasureCategory
from maatregelen.services import measure_create
from rapportage import page_cache
from rapportage.models import RecomputeRun

OVERVIEW = "/dashboard/?jaar=2020"
INDICATOR = "/dashboard/indicator/2b/?jaar=2020"
COLLEGE = "/dashboard/college/5100/?jaar=2020"
PAGES = [
    OVERVIEW,
    "/dashboard/colleges/?jaar=2020",
    COLLEGE,
    INDICATOR,
    "/dashboard/budget/?jaar=2020",
    "/dashboard/herijking/?jaar=2020",
]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def login(username: str) -> Client:
    """Return a new client logged in as `username`."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def board(rocvaf_demo):
    """Return a client logged in as the board member."""
    return login("bestuur")


def text(response) -> str:
    """Return the page's HTML."""
    assert response.status_code == 200
    return response.content.decode()


def committed(capture, write):
    """Run `write` and its on-commit callbacks, as a commit does (the test's transaction is rolled back later)."""
    with capture(execute=True):
        return write()


def served_from_cache(client, path: str, assert_max_num_queries) -> str:
    """Return the page when it is served without rendering (a handful of queries: session, user, permission, runs)."""
    with assert_max_num_queries(8):
        return text(client.get(path))


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_a_page_is_rendered_once_and_then_served_from_the_cache(board, path, django_assert_max_num_queries):
    """The second request of a board page reads no results: it is the first one's bytes, with its own CSRF token."""
    first = text(board.get(path))
    second = served_from_cache(board, path, django_assert_max_num_queries)
    assert TOKEN.sub("", second) == TOKEN.sub("", first)
    assert page_cache.CSRF_PLACEHOLDER not in second


@pytest.mark.django_db
def test_team_page_is_cached_too(rocvaf_demo, django_assert_max_num_queries):
    """The read-only team page is served from the cache on its second request."""
    client = login("directeur5100")
    team = Team.objects.filter(college__code="5100").order_by("code").first()
    path = reverse("rapportage:team", args=["5100", team.code]) + "?jaar=2020"
    first = text(client.get(path))
    assert TOKEN.sub("", served_from_cache(client, path, django_assert_max_num_queries)) == TOKEN.sub("", first)


@pytest.mark.django_db
def test_pages_carry_private_validators_and_answer_304(board):
    """A board page has an ETag, Cache-Control private/no-cache and Vary Cookie; its ETag gets a 304 without a body."""
    response = board.get(INDICATOR)
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert {"private", "no-cache"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert "cookie" in response["Vary"].lower()
    again = board.get(INDICATOR, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "private" in again["Cache-Control"]
    assert board.get("/dashboard/indicator/3c/?jaar=2020", headers={"if-none-match": etag}).status_code == 200


@pytest.mark.django_db
def test_the_etag_changes_with_the_data(board, django_capture_on_commit_callbacks):
    """After a committed write the old ETag gets the whole page again, not a 304."""
    etag = board.get(OVERVIEW)["ETag"]
    theme = Theme.objects.order_by("position", "code").first()
    committed(django_capture_on_commit_callbacks, lambda: Theme.objects.filter(pk=theme.pk).update(name="Nieuwe naam"))
    response = board.get(OVERVIEW, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "Nieuwe naam" in text(response)
    assert response["ETag"] != etag


@pytest.mark.django_db
def test_the_cached_csrf_token_is_the_visitors_own(rocvaf_demo):
    """Two sessions of one user each get a logout form whose token their own cookie accepts (never a placeholder)."""
    first, second = login("bestuur"), login("bestuur")
    for client in (first, second):
        client.handler.enforce_csrf_checks = True
    text(first.get(OVERVIEW))
    html = text(second.get(OVERVIEW))  # served from the cache that the first session filled
    token = TOKEN.search(html).group(1)
    assert token != page_cache.CSRF_PLACEHOLDER
    response = second.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302  # 403 when the token belongs to the other session


@pytest.mark.django_db
def test_one_users_page_is_never_served_to_another(rocvaf_demo):
    """Director 5100, another director and the board each see their own name and rights on the same cached page."""
    users = {
        name: get_user_model().objects.get(username=name) for name in ("directeur5100", "directeur7200", "bestuur")
    }
    clients = {name: login(name) for name in users}
    pages = {name: text(client.get(COLLEGE)) for name, client in clients.items()}
    names = {name: user.get_full_name() or user.username for name, user in users.items()}
    for name, html in pages.items():
        assert f'<span class="user-name">{names[name]}</span>' in html or names[name] == "bestuur"
        assert all(names[other] not in html for other in ("directeur5100", "directeur7200") if other != name)
    invoer = reverse("invoer:grid", args=["5100"])
    assert invoer in pages["directeur5100"]  # the nav lets director 5100 enter 5100's values ...
    assert invoer not in pages["directeur7200"] and invoer not in pages["bestuur"]  # ... and nobody else
    again = text(clients["directeur5100"].get(COLLEGE))
    assert TOKEN.sub("", again) == TOKEN.sub("", pages["directeur5100"])


@pytest.mark.django_db
def test_a_message_is_shown_once_and_never_cached(board):
    """A page with a message to show is rendered with it; the next request of the same page no longer shows it."""
    text(board.get(OVERVIEW))  # cached without a message
    # A message waiting in its cookie, as a form leaves it before redirecting.
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.SUCCESS, "Opgeslagen: de maatregel staat erin.")
    response = HttpResponse()
    storage.update(response)
    board.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value
    assert "Opgeslagen: de maatregel staat erin." in text(board.get(OVERVIEW))
    assert "Opgeslagen: de maatregel staat erin." not in text(board.get(OVERVIEW))


# --- Every kind of shown data: a committed write gives the page at once (and it is cached again) ---


@pytest.mark.django_db
def test_a_new_measure_shows_on_the_college_and_indicator_pages(
    board, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """A measure recorded through its service appears on the cached college and indicator pages."""
    indicator = Indicator.objects.get(code="2b")
    for path in (COLLEGE, INDICATOR):
        assert "Maatregel uit de test" not in text(board.get(path))
    committed(
        django_capture_on_commit_callbacks,
        lambda: measure_create(
            college=indicator.institution.colleges.get(code="5100"),
            theme=indicator.theme,
            title="Maatregel uit de test",
            category=MeasureCategory.values[0],
            indicators=[indicator],
        ),
    )
    for path in (COLLEGE, INDICATOR):
        assert "Maatregel uit de test" in text(board.get(path))
        assert "Maatregel uit de test" in served_from_cache(board, path, django_assert_max_num_queries)


@pytest.mark.django_db
def test_a_factor_edited_in_bulk_shows_on_the_indicator_page(board, django_capture_on_commit_callbacks):
    """A queryset update (no save(), no signal) of an explanatory factor still gives a new page."""
    factor = Factor.objects.filter(indicator__code="2b").first()
    if factor is None:
        factor = Factor.objects.create(indicator=Indicator.objects.get(code="2b"), name="Oude factor", effect="+")
        page_cache.forget()
    assert "Factor uit de test" not in text(board.get(INDICATOR))
    committed(
        django_capture_on_commit_callbacks,
        lambda: Factor.objects.filter(pk=factor.pk).update(name="Factor uit de test"),
    )
    assert "Factor uit de test" in text(board.get(INDICATOR))


@pytest.mark.django_db
def test_a_context_value_shows_on_the_indicator_page(board, django_capture_on_commit_callbacks):
    """A comparison value (never judged, no recompute) changed in bulk appears on the indicator page."""
    found = ContextValue.objects.filter(indicator__code="2b").order_by("year").first()
    if found is None:
        pytest.skip("the demo has no comparison series for 2b")
    before = text(board.get(INDICATOR))
    committed(
        django_capture_on_commit_callbacks,
        lambda: ContextValue.objects.filter(pk=found.pk).update(value=found.value + 7),
    )
    assert text(board.get(INDICATOR)) != before


@pytest.mark.django_db
def test_a_theme_renamed_in_the_agenda_shows_on_the_overview(board, django_capture_on_commit_callbacks):
    """An agenda edit saved through the ORM (with its history row) appears on the overview."""
    theme = Theme.objects.order_by("position", "code").first()
    assert "Thema uit de test" not in text(board.get(OVERVIEW))

    def rename():
        theme.name = "Thema uit de test"
        theme.save()

    committed(django_capture_on_commit_callbacks, rename)
    assert "Thema uit de test" in text(board.get(OVERVIEW))


@pytest.mark.django_db
def test_a_run_finished_in_another_process_shows_by_its_fingerprint(board, django_capture_on_commit_callbacks):
    """A worker whose version bump never reached this cache (another process, no Redis) still gives a new page."""
    institution = Institution.objects.get(code="ROCVAF")
    assert "Verouderd." not in text(board.get(OVERVIEW))
    stale_token = page_cache.version()
    committed(
        django_capture_on_commit_callbacks,
        lambda: RecomputeRun.objects.create(
            institution=institution, state="failed", finished_at=timezone.now(), error="Fout uit de test"
        ),
    )
    cache.set(page_cache.VERSION_KEY, stale_token, None)  # as if the bump went to another process's cache
    assert "Verouderd." in text(board.get(OVERVIEW))


@pytest.mark.django_db
def test_an_announced_change_bumps_the_version_when_it_commits(rocvaf_demo, django_capture_on_commit_callbacks):
    """A write through COPY passes no cursor Django sees; its announcement (data_changed) bumps the version, after the commit."""
    institution = Institution.objects.get(code="ROCVAF")
    before = page_cache.version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce_change(institution=institution, reason="test")
        assert page_cache.version() == before  # not before the commit: a page rendered now would be stored under it
    for callback in callbacks:
        if isinstance(callback, page_cache._BumpOnCommit):
            callback()
    assert page_cache.version() != before


@pytest.mark.django_db
def test_a_write_bumps_only_after_the_commit_and_its_own_transaction_reads_fresh(board):
    """Inside the writing transaction the version stands and the cache is bypassed: the writer sees its own write."""
    text(board.get(OVERVIEW))
    before = page_cache.version()
    with transaction.atomic():
        Theme.objects.filter(pk=Theme.objects.order_by("position", "code").first().pk).update(
            name="Nog niet vastgelegd"
        )
        assert page_cache.version() == before
        assert page_cache._pending()
        assert "Nog niet vastgelegd" in text(board.get(OVERVIEW))


@pytest.mark.django_db
def test_reads_do_not_bump_the_version(board):
    """Serving every board page writes nothing the pages show: the version stands (else nothing would be cached)."""
    before = page_cache.version()
    for path in PAGES:
        text(board.get(path))
    assert page_cache.version() == before
    assert not page_cache._pending()


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "agenda_theme" ("code") VALUES (%s)', "agenda_theme"),
        ('UPDATE "indicatoren_contextvalue" SET "value" = 1', "indicatoren_contextvalue"),
        ('DELETE FROM "maatregelen_measure" WHERE id = 1', "maatregelen_measure"),
        ('TRUNCATE "rapportage_indicatorresult", "agenda_theme"', "rapportage_indicatorresult"),
        ("COPY rapportage_indicatorresult (id) FROM STDIN", "rapportage_indicatorresult"),
        ('SELECT "agenda_theme"."id" FROM "agenda_theme"', None),
    ],
)
def test_write_statements_name_their_table(sql, table):
    """The write watcher recognises each kind of write statement and the table it writes; reads are no writes."""
    match = page_cache.WRITE_SQL.match(sql)
    assert (match.group(1) if match else None) == table


@pytest.mark.django_db
def test_a_new_release_renders_the_page_anew(board, monkeypatch):
    """After a deploy (same data, same Redis) a revalidating browser gets the new page, not a 304 of the old HTML.

    The old HTML names the old release's hashed static files, which the new image no longer has.
    """
    first = board.get(INDICATOR)
    monkeypatch.setattr(page_cache, "release", lambda: "a-later-release")
    again = board.get(INDICATOR, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]


def test_the_release_is_a_digest_of_the_code(tmp_path, settings):
    """Changing a template or a module changes the release; tests and generated folders do not count."""
    from kern import release as release_module

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("x = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>oud</p>")
    settings.BASE_DIR = tmp_path
    digests = []
    for change in (
        None,
        lambda: (tmp_path / "tests").mkdir() or (tmp_path / "tests" / "test_x.py").write_text("y = 2\n"),
        lambda: (tmp_path / "templates" / "page.html").write_text("<p>nieuw</p>"),
        lambda: (tmp_path / "app" / "views.py").write_text("x = 2\n"),
    ):
        if change:
            change()
        release_module.release.cache_clear()
        digests.append(release_module.release())
    release_module.release.cache_clear()
    assert digests[0] == digests[1]  # a test file is not the release
    assert len({digests[1], digests[2], digests[3]}) == 3


def test_a_flush_that_truncates_a_shown_table_among_others_is_seen():
    """Django's flush truncates every table in one statement (PostgreSQL), a shown one anywhere in the list."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sql_flush(no_style(), ["django_session", "axes_accessattempt", "agenda_theme"])
    named = set()
    for sql in statements:
        match = page_cache.WRITE_SQL.match(sql)
        assert match, sql
        named.update(page_cache._written_tables(sql, match))
    assert "agenda_theme" in named and "django_session" in named
    sql = 'TRUNCATE TABLE ONLY "django_session", "agenda_theme" RESTART IDENTITY CASCADE;'
    assert page_cache._written_tables(sql, page_cache.WRITE_SQL.match(sql)) == ["django_session", "agenda_theme"]
