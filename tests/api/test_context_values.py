"""GET /api/v1/context-values/ (issue 18): comparison series and breakdowns, read-only, scoped, no small values."""

from decimal import Decimal

import pytest
import yaml
from rest_framework.test import APIClient

from agenda.choices import Level
from agenda.models import College, Indicator
from indicatoren.models import ContextValue

pytestmark = pytest.mark.django_db

D = Decimal
KEYS = {
    "id",
    "indicator",
    "year",
    "level",
    "college",
    "series",
    "dimension",
    "group",
    "value",
    "n",
    "source",
    "small_group",
    "updated_at",
}


def _seed(world) -> dict[str, ContextValue]:
    """Add to TST a landelijk series, a DUO value of college A100 and a breakdown with a small group; to OTH one row."""
    vsv = Indicator.objects.get(institution=world.inst, code="vsv")
    a100 = College.objects.get(institution=world.inst, code="A100")
    make = ContextValue.objects.create
    rows = {
        "landelijk": make(
            indicator=vsv, year=2018, level=Level.INSTITUTION, series="landelijk", value=D("5.5"), source="DUO"
        ),
        "duo": make(indicator=vsv, year=2018, level=Level.COLLEGE, college=a100, series="DUO", value=D("4.25")),
        "big": make(
            indicator=vsv, year=2018, level=Level.INSTITUTION, dimension="niveau", group="2", value=D("8.5"), n=120
        ),
        "small": make(
            indicator=vsv, year=2018, level=Level.INSTITUTION, dimension="niveau", group="1", value=D("17.125"), n=12
        ),
        "unknown_n": make(
            indicator=vsv, year=2019, level=Level.INSTITUTION, dimension="niveau", group="3", value=D("4.5")
        ),
    }
    other = Indicator.objects.get(institution=world.other, code="vsv")
    rows["other"] = make(indicator=other, year=2018, level=Level.INSTITUTION, series="landelijk", value=D("5.5"))
    return rows


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


@pytest.mark.parametrize("role", ["bestuur", "directeur", "beleid", "api_read"])
def test_every_role_reads_its_own_institutions_rows_only(world, role):
    """Each reading role sees the five TST rows and not the OTH one (both have indicator vsv)."""
    rows = _seed(world)
    ids = [r["id"] for r in listed(world.client(role), "/api/v1/context-values/")]
    assert sorted(ids) == sorted(row.pk for key, row in rows.items() if key != "other")


def test_body_has_the_documented_fields_and_exact_values(world):
    """{id, indicator, year, level, college, series, dimension, group, value, n, source, small_group, updated_at}."""
    rows = _seed(world)
    body = world.client("bestuur").get(f"/api/v1/context-values/{rows['duo'].pk}/").json()
    assert set(body) == KEYS
    assert {k: body[k] for k in KEYS - {"id", "updated_at"}} == {
        "indicator": "vsv",
        "year": 2018,
        "level": "college",
        "college": "A100",
        "series": "DUO",
        "dimension": "",
        "group": "",
        "value": 4.25,
        "n": None,
        "source": "",
        "small_group": False,
    }


def test_a_small_group_has_no_value_anywhere_in_the_api(world):
    """n = 12: value null and small_group true in the list and the detail; the number is in no body."""
    rows = _seed(world)
    client = world.client("beleid")
    detail = client.get(f"/api/v1/context-values/{rows['small'].pk}/")
    assert detail.json()["value"] is None and detail.json()["small_group"] is True and detail.json()["n"] == 12
    listing = client.get("/api/v1/context-values/?dimension=niveau")
    assert b"17.125" not in listing.content and b"17.125" not in detail.content
    by_group = {r["group"]: r for r in listing.json()["results"]}
    assert by_group["2"]["value"] == 8.5 and by_group["2"]["small_group"] is False
    # Unknown n is not a small group for staff (the partner view of issue 14 decides its own rule).
    assert by_group["3"]["value"] == 4.5 and by_group["3"]["small_group"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("indicator=vsv", {"landelijk", "duo", "big", "small", "unknown_n"}),
        ("year=2019", {"unknown_n"}),
        ("series=Landelijk", {"landelijk"}),  # compared without case, as the importer does
        ("series=duo", {"duo"}),
        ("series=eigen", {"big", "small", "unknown_n"}),
        ("series=own", {"big", "small", "unknown_n"}),
        ("dimension=NIVEAU", {"big", "small", "unknown_n"}),
        ("college=A100", {"duo"}),
        ("college=B200", set()),
        ("year=2018&dimension=niveau", {"big", "small"}),
    ],
)
def test_filters(world, query, expected):
    """?indicator, ?year, ?series (eigen/own = the own series), ?dimension and ?college narrow the list."""
    rows = _seed(world)
    names = {row.pk: key for key, row in rows.items()}
    got = {names[r["id"]] for r in listed(world.client("bestuur"), f"/api/v1/context-values/?{query}")}
    assert got == expected


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ("year=abc", "year", "getal"),
        ("indicator=xx", "indicator", "Onbekende indicator: xx"),
        ("college=Z900", "college", "Onbekend college: Z900"),  # OTH's college: unknown here
    ],
)
def test_bad_filters_are_400_in_dutch(world, query, field, fragment):
    """A year that is no number, an unknown indicator or college: 400 naming the field, in Dutch."""
    _seed(world)
    response = world.client("bestuur").get(f"/api/v1/context-values/?{query}")
    assert response.status_code == 400
    assert fragment in response.json()[field][0]


def test_the_endpoint_is_read_only_and_closed_to_strangers(world):
    """No writes, even for policy staff; anonymous 401/403; a user without a role 403; OTH's row 404."""
    rows = _seed(world)
    beleid = world.client("beleid")
    assert beleid.post("/api/v1/context-values/", {"value": 1}, format="json").status_code == 405
    assert beleid.delete(f"/api/v1/context-values/{rows['landelijk'].pk}/").status_code == 405
    assert APIClient().get("/api/v1/context-values/").status_code in {401, 403}
    assert world.client("nobody").get("/api/v1/context-values/").status_code == 403
    assert beleid.get(f"/api/v1/context-values/{rows['other'].pk}/").status_code == 404
    assert beleid.get("/api/v1/context-values/abc/").status_code == 404


def test_paginated_like_the_other_lists(world):
    """count, next, previous, results."""
    _seed(world)
    body = world.client("bestuur").get("/api/v1/context-values/").json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 5


def test_schema_documents_the_endpoint_and_its_filters(world):
    """The OpenAPI document lists the operation, its filters, 400 and the nullable value."""
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/context-values/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"indicator", "year", "series", "dimension", "college", "institution", "page"} <= names
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    value = schema["components"]["schemas"]["ContextValue"]["properties"]["value"]
    assert value.get("nullable") is True
