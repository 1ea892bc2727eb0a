"""Status and budget endpoints on the ROCvAF demo: equal to the commands, ETag/Last-Modified, 304, CSV."""

import csv
import io
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django.utils.http import http_date, parse_http_date
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.models import Indicator
from rapportage.api.renderers import BODY_COLUMNS, STATUS_COLUMNS, csv_cell
from rapportage.models import BudgetResult
from rapportage.services import recompute_now

pytestmark = pytest.mark.django_db

YEARS = [2019, 2020, 2021, 2022]


def command_json(name: str, year: int) -> dict:
    """Return the parsed JSON output of a reporting command."""
    out = StringIO()
    call_command(name, "--year", str(year), "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def client_for(username: str) -> APIClient:
    """Return an API client authenticated with a token of the demo user."""
    user = get_user_model().objects.get(username=username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def bestuur(rocvaf_demo):
    """A board member's token client (read only)."""
    return client_for("bestuur")


@pytest.mark.parametrize("year", YEARS)
def test_status_list_equals_agenda_status_json(bestuur, year):
    """GET /api/v1/status/?year=Y is exactly `agenda_status --year Y --format json`."""
    response = bestuur.get(f"/api/v1/status/?year={year}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == command_json("agenda_status", year)


@pytest.mark.parametrize("year", YEARS)
def test_budget_equals_budget_json(bestuur, year):
    """GET /api/v1/budget/?year=Y is exactly `budget --year Y --format json`."""
    response = bestuur.get(f"/api/v1/budget/?year={year}")
    assert response.status_code == 200
    assert json.loads(response.content) == command_json("budget", year)


def test_indicator_status_is_the_entry_of_the_list(bestuur):
    """GET /api/v1/indicators/2b/status/ is the 2b entry of the status list, with the contract's fields."""
    listed = command_json("agenda_status", 2020)
    expected = next(s for s in listed["indicators"] if s["indicator"] == "2b")
    body = bestuur.get("/api/v1/indicators/2b/status/?year=2020").json()
    # The single STATUS carries its year's data_status (voorlopig / vastgesteld) and whether it is
    # stale like the list does.
    top = ("data_status", "stale", "recompute_failed_at")
    assert body == {**expected, **{key: listed[key] for key in top}}
    contract = (
        "indicator name theme year ambition_year ambition_type polarity indicative baseline_year baseline target "
        "tolerance institution_value institution_met colleges_met colleges_total attained basis colleges"
    ).split()
    assert set(contract) <= set(body)
    assert {
        "college",
        "name",
        "value",
        "reference",
        "met",
        "basis",
        "teams_contributed",
        "teams_total",
        "teams",
    } <= set(body["colleges"][0])


@pytest.mark.parametrize(
    "query, status",
    [
        ("", 400),
        ("?year=abc", 400),
        ("?year=2030", 400),
        ("?year=2020&version=other", 400),
        ("?year=2020&institution=NOPE", 403),
        ("?year=2020&format=xml", 404),
    ],
)
def test_status_rejects_bad_queries_as_json(bestuur, query, status):
    """A missing or bad year, version, institution or format is refused with a JSON body."""
    response = bestuur.get(f"/api/v1/status/{query}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert "ETag" not in response


def test_options_and_errors_are_json_even_when_csv_is_asked(bestuur):
    """OPTIONS and error answers of the status list stay JSON with ?format=csv (the CSV is for results only)."""
    options = bestuur.options("/api/v1/status/?format=csv")
    assert options.status_code == 200 and options["Content-Type"] == "application/json"
    error = bestuur.get("/api/v1/status/?format=csv&year=1900", HTTP_ACCEPT="text/csv")
    assert error.status_code == 400 and error["Content-Type"] == "application/json"


def test_unknown_indicator_or_budget_year_is_404(bestuur, rocvaf_demo):
    """An indicator code without a verdict and a year without a stored budget are 404."""
    assert bestuur.get("/api/v1/indicators/zz/status/?year=2020").status_code == 404
    assert bestuur.get("/api/v1/budget/?year=2021&institution=ROCVAF").status_code == 200
    BudgetResult.objects.filter(institution=rocvaf_demo, year=2021).delete()
    assert bestuur.get("/api/v1/budget/?year=2021").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/status/?year=2020", "/api/v1/budget/?year=2020"])
def test_anonymous_and_roleless_users_are_refused(rocvaf_demo, path):
    """No token: 401 with WWW-Authenticate; a token of a user without a role: 403."""
    response = APIClient().get(path)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    loner = get_user_model().objects.create_user("loner", password="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=loner).key}")
    assert client.get(path).status_code == 403


def test_session_login_reads_the_status(rocvaf_demo):
    """Session authentication (the logged-in browser) works as well as a token."""
    client = APIClient()
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    assert client.get("/api/v1/status/?year=2020").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/status/?year=2020", "/api/v1/indicators/2b/status/?year=2020", "/api/v1/budget/?year=2020"],
)
def test_conditional_requests_get_304(bestuur, path, monkeypatch):
    """ETag and Last-Modified come with every answer; If-None-Match and If-Modified-Since give 304."""
    # A date validates once its second has ended (rapportage.api.conditional), and the demo may have
    # been loaded a moment ago: answer as a moment later.
    later = timezone.now() + timedelta(seconds=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    first = bestuur.get(path)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first["Cache-Control"] == "private, no-cache"
    for headers in (
        {"HTTP_IF_NONE_MATCH": etag},
        {"HTTP_IF_NONE_MATCH": f'"other", W/{etag}'},
        {"HTTP_IF_NONE_MATCH": "*"},
        {"HTTP_IF_MODIFIED_SINCE": modified},
    ):
        again = bestuur.get(path, **headers)
        assert again.status_code == 304, headers
        assert again.content == b""
        assert (again["ETag"], again["Last-Modified"]) == (etag, modified)
    for headers in (
        {"HTTP_IF_NONE_MATCH": '"stale"'},
        {"HTTP_IF_MODIFIED_SINCE": http_date(0)},
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        {"HTTP_IF_NONE_MATCH": '"stale"', "HTTP_IF_MODIFIED_SINCE": modified},
    ):
        assert bestuur.get(path, **headers).status_code == 200, headers


def test_recompute_changes_etag_last_modified_and_body(bestuur, rocvaf_demo):
    """After a recompute the old ETag no longer matches and the body shows the new results, not a cached copy."""
    first = bestuur.get("/api/v1/status/?year=2020")
    Indicator.objects.filter(institution=rocvaf_demo, code="2b").update(name="Vsv (nieuwe naam)")
    recompute_now(institution=rocvaf_demo, reason="test")
    second = bestuur.get("/api/v1/status/?year=2020", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert parse_http_date(second["Last-Modified"]) >= parse_http_date(first["Last-Modified"])
    names = {s["indicator"]: s["name"] for s in second.json()["indicators"]}
    assert names["2b"] == "Vsv (nieuwe naam)"
    assert second.json() == command_json("agenda_status", 2020)


def test_json_and_csv_have_their_own_etag(bestuur):
    """The CSV is another representation: its ETag differs, so a JSON ETag never yields a 304 for CSV."""
    as_json = bestuur.get("/api/v1/status/?year=2020")
    as_csv = bestuur.get("/api/v1/status/?year=2020&format=csv", HTTP_IF_NONE_MATCH=as_json["ETag"])
    assert as_csv.status_code == 200
    assert as_csv["ETag"] != as_json["ETag"]
    assert bestuur.get("/api/v1/status/?year=2020&format=csv", HTTP_IF_NONE_MATCH=as_csv["ETag"]).status_code == 304


def read_csv(response) -> list[dict]:
    """Return the rows of a CSV answer (UTF-8 with byte order mark)."""
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_one_row_per_indicator_with_the_json_values(bestuur):
    """?format=csv: a flat table, one row per indicator, the listed columns, values as in the JSON."""
    response = bestuur.get("/api/v1/status/?year=2020&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="status-ROCVAF-2020.csv"'
    assert response.content.startswith("\ufeff".encode())
    rows = read_csv(response)
    statuses = command_json("agenda_status", 2020)["indicators"]
    assert list(rows[0]) == STATUS_COLUMNS + BODY_COLUMNS  # the body's stale and data_status appended
    assert [r["indicator"] for r in rows] == [s["indicator"] for s in statuses]
    for row, status in zip(rows, statuses, strict=True):
        for column in STATUS_COLUMNS:
            value = status[column]
            expected = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
            assert row[column] == expected, (status["indicator"], column)


def test_csv_neutralises_formula_text(bestuur, rocvaf_demo):
    """A name that starts with = + - or @ reaches the spreadsheet as text ('=...), never as a formula."""
    Indicator.objects.filter(institution=rocvaf_demo, code="2b").update(name='=HYPERLINK("http://x","klik")')
    Indicator.objects.filter(institution=rocvaf_demo, code="1a").update(name="@SUM(A1:A9)")
    recompute_now(institution=rocvaf_demo, reason="test")
    rows = {r["indicator"]: r for r in read_csv(bestuur.get("/api/v1/status/?year=2020&format=csv"))}
    assert rows["2b"]["name"] == '\'=HYPERLINK("http://x","klik")'
    assert rows["1a"]["name"] == "'@SUM(A1:A9)"


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+1", "'=1+1"),
        ("+31 20", "'+31 20"),
        ("-5 teams", "'-5 teams"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("vsv -0,5", "vsv -0,5"),
        (-0.5, "-0.5"),
        (6.7, "6.7"),
        (12, "12"),
        (True, "true"),
        (False, "false"),
        (None, ""),
    ],
)
def test_csv_cell(value, cell):
    """Text that starts like a formula gets a quote; numbers, booleans and null are written plainly."""
    assert csv_cell(value) == cell


def test_original_version_shows_the_ambition_before_the_herijking(bestuur):
    """?version=original gives the verdicts under the first ambition; 5a was revised to a target for 2022."""
    current = bestuur.get("/api/v1/indicators/5a/status/?year=2022").json()
    original = bestuur.get("/api/v1/indicators/5a/status/?year=2022&version=original").json()
    assert current["ambition_type"] == "target"
    assert original["ambition_type"] != "target"


def test_status_and_budget_answer_with_the_cache_on_a_dead_redis(bestuur, settings):
    """With Redis down the API renders its bodies itself: 200 and the same body, never 500 (issue 13)."""
    expected = json.loads(bestuur.get("/api/v1/status/?year=2021").content)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = bestuur.get("/api/v1/status/?year=2021")
    assert response.status_code == 200
    assert json.loads(response.content) == expected
    assert bestuur.get("/api/v1/budget/?year=2021").status_code == 200


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "text/csv", "text/html", "*/*; q=0.5", "application/*", "text/csv, */*"],
)
@pytest.mark.parametrize("query", ["year=2020", "year=2020&format=csv", "year=2020&format=json", "format=xml"])
def test_the_short_negotiation_chooses_what_drfs_negotiation_chooses(accept, query):
    """StoredResultApi answers `*/*` without ?format= itself (issue 16): the renderer and media type DRF would choose."""
    from django.http import Http404
    from rest_framework.exceptions import NotAcceptable
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.test import APIRequestFactory

    from rapportage.api.views import BudgetApi, StatusListApi

    for view_class in (StatusListApi, BudgetApi):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        view = view_class()
        view.format_kwarg, view.args, view.kwargs = None, (), {}
        request = view.initialize_request(APIRequestFactory().get(f"/api/v1/x/?{query}", **headers))
        try:
            expected = DefaultContentNegotiation().select_renderer(request, view.get_renderers(), None)
        except (NotAcceptable, Http404) as refused:  # an Accept nothing matches; a format no renderer has
            with pytest.raises(type(refused)):
                view.perform_content_negotiation(request)
            continue
        renderer, media_type = view.perform_content_negotiation(request)
        assert (type(renderer), media_type) == (type(expected[0]), expected[1])
