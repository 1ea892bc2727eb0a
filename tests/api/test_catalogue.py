"""Catalogue and data endpoints: scoped to the caller's institution, filters, ambitions with revisions."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import AmbitionType
from agenda.models import Indicator
from agenda.services import ambition_revise
from indicatoren.models import Measurement
from maatregelen.models import Evidence, Measure

pytestmark = pytest.mark.django_db

LISTS = {
    "institutions": "code",
    "colleges": "code",
    "teams": "code",
    "themes": "code",
    "indicators": "code",
    "measurements": "id",
    "measures": "id",
    "evidence": "id",
}


def listed(client, path: str) -> list[dict]:
    """Return every result of a paginated list, following `next`."""
    results, url = [], path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        url = body["next"]
    return results


def expected_keys(world, kind: str, institution) -> set:
    """Return the keys of the rows of `kind` that belong to `institution`."""
    codes = {
        "institutions": lambda: [institution.code],
        "colleges": lambda: institution.colleges.values_list("code", flat=True),
        "teams": lambda: institution.teams.values_list("code", flat=True),
        "themes": lambda: institution.themes.values_list("code", flat=True),
        "indicators": lambda: institution.indicators.values_list("code", flat=True),
        "measurements": lambda: Measurement.objects.filter(indicator__institution=institution).values_list(
            "id", flat=True
        ),
        "measures": lambda: Measure.objects.filter(institution=institution).values_list("id", flat=True),
        "evidence": lambda: Evidence.objects.filter(institution=institution).values_list("id", flat=True),
    }
    return set(codes[kind]())


@pytest.mark.parametrize("kind", list(LISTS))
@pytest.mark.parametrize("role", ["bestuur", "directeur", "beleid", "api_read"])
def test_lists_show_exactly_the_callers_institution(world, role, kind):
    """Every role reads every list of its own institution, and not one row of the other institution."""
    rows = listed(world.client(role), f"/api/v1/{kind}/")
    # Both institutions use the codes T1, vsv and kw: a leak would show up as a duplicate.
    assert sorted(row[LISTS[kind]] for row in rows) == sorted(expected_keys(world, kind, world.inst))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/colleges/Z900/",
        "/api/v1/teams/Z900-T1/",
        "/api/v1/indicators/vsv/?institution=OTH",
    ],
)
def test_rows_of_another_institution_are_invisible(world, path):
    """A code of the other institution is 404 (or 403 when asking for that institution outright)."""
    assert world.client("beleid").get(path).status_code in {403, 404}
    assert world.client("beleid").get(path).status_code == (403 if "institution=" in path else 404)


def test_foreign_ids_are_404(world):
    """Measurements, measures and evidence of the other institution are not found by id."""
    client = world.client("beleid")
    foreign = {
        "measurements": Measurement.objects.filter(indicator__institution=world.other).first(),
        "measures": Measure.objects.filter(institution=world.other).first(),
        "evidence": Evidence.objects.filter(institution=world.other).first(),
    }
    for kind, row in foreign.items():
        assert client.get(f"/api/v1/{kind}/{row.pk}/").status_code == 404, kind
    own = Measure.objects.filter(institution=world.inst).first()
    assert client.get(f"/api/v1/measures/{own.pk}/").status_code == 200


def test_anonymous_and_roleless_get_401_and_403(world):
    """Anonymous callers get 401, a token without a role 403, on every list."""
    for kind in LISTS:
        assert world.client(None).get(f"/api/v1/{kind}/").status_code == 401
        expected = 200 if kind == "institutions" else 403
        assert world.client("nobody").get(f"/api/v1/{kind}/").status_code == expected
    assert world.client("nobody").get("/api/v1/institutions/").json()["results"] == []


def test_superuser_chooses_the_institution(world):
    """A superuser without a role reads any institution with ?institution=CODE."""
    admin = get_user_model().objects.create_superuser("admin", password="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    codes = {c["code"] for c in listed(client, "/api/v1/colleges/?institution=OTH")}
    assert codes == {"Z900"}
    assert client.get("/api/v1/colleges/?institution=NOPE").status_code == 404


def test_measurement_filters(world):
    """Measurements filter by year, indicator, college (with its teams), team and level."""
    client = world.client("bestuur")
    rows = listed(client, "/api/v1/measurements/?year=2017&indicator=vsv&college=A100")
    assert {(r["level"], r["college"], r["team"]) for r in rows} == {
        ("team", "A100", "A100-T1"),
        ("college", "A100", None),
    }
    rows = listed(client, "/api/v1/measurements/?team=B200-T1")
    assert [(r["team"], r["year"], r["value"], r["n"]) for r in rows] == [
        ("B200-T1", 2017, 6.5, 40),
        ("B200-T1", 2018, 6.5, 40),
    ]
    rows = listed(client, "/api/v1/measurements/?level=institution")
    assert [(r["indicator"], r["year"], r["college"], r["value"]) for r in rows] == [
        ("vsv", 2017, None, 6.7),
        ("vsv", 2018, None, 6.7),
    ]
    assert listed(client, "/api/v1/measurements/?year=2016") == []
    assert client.get("/api/v1/measurements/?year=abc").status_code == 400
    assert client.get("/api/v1/measurements/?page=99").status_code == 404


def test_teams_filter_by_college_and_year(world):
    """?college=CODE gives that college's teams; ?year=Y leaves out teams not active in Y."""
    client = world.client("bestuur")
    assert {t["code"] for t in listed(client, "/api/v1/teams/?college=A100")} == {"A100-T1", "A100-T2"}
    world.inst.teams.filter(code="A100-T2").update(active_until=2019)
    assert {t["code"] for t in listed(client, "/api/v1/teams/?college=A100&year=2020")} == {"A100-T1"}
    assert {t["code"] for t in listed(client, "/api/v1/teams/?college=A100&year=2019")} == {"A100-T1", "A100-T2"}


def test_indicator_shows_every_ambition_revision(world):
    """The herijking adds a revision: both are listed, only the latest is current."""
    indicator = Indicator.objects.get(institution=world.inst, code="vsv")
    ambition_revise(
        indicator=indicator,
        year=2020,
        type=AmbitionType.TARGET,
        target=Decimal("6.0"),
        reason="herijking",
        author=world.users["beleid"],
    )
    body = world.client("bestuur").get("/api/v1/indicators/vsv/").json()
    revisions = [
        (a["year"], a["revision"], a["type"], a["target"], a["current"], a["author"]) for a in body["ambitions"]
    ]
    assert revisions == [(2020, 1, "maintain", None, False, None), (2020, 2, "target", 6.0, True, "beleid")]
    assert (body["theme"], body["unit"], body["polarity"], body["levels"]) == (
        "T1",
        "percent",
        "lower",
        ["team", "college", "institution"],
    )


def test_themes_list_goals_in_order(world):
    """A theme comes with its code, share and goals."""
    theme = world.inst.themes.get(code="T1")
    theme.goals.create(text="Minder uitval", position=1)
    theme.goals.create(text="Betere overstap", position=0)
    body = world.client("bestuur").get("/api/v1/themes/T1/").json()
    assert (body["code"], body["national"], body["budget_share_pct"]) == ("T1", True, 60.0)
    assert body["goals"] == ["Betere overstap", "Minder uitval"]
