"""The API refuses a partner (issue 14, item 4): every endpoint answers a partner's token with 403, in Dutch."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Membership
from maatregelen.models import Evidence, Measure, Review


def api_patterns(patterns=None, prefix: str = ""):
    """Yield every pattern under api/v1/ as one string."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from api_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and prefix.startswith("api/v1/"):
            yield prefix + str(entry.pattern)


def concrete(pattern: str, value: str) -> str:
    """Return the pattern as a path with every parameter set to `value`."""
    path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", value, pattern)
    path = re.sub(r"<(?:\w+:)?\w+>", value, path)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def partner(world):
    """Return an API client with the token of a partner of TST."""
    user = get_user_model().objects.create_user(username="partner", password="x")
    Membership.objects.create(user=user, institution=world.inst, role=Role.PARTNER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_every_endpoint_refuses_a_partner_token(world, partner):
    """GET on every API endpoint, filled with real ids and codes, answers a partner's token 403."""
    values = {
        str(pk) for model in (Measure, Evidence, Review) for pk in model.objects.values_list("pk", flat=True)[:2]
    } | {"A100", "A100-T1", "T1", "vsv", "TST"}
    tried = 0
    for pattern in api_patterns():
        for value in sorted(values) if "<" in pattern else [""]:
            response = partner.get(concrete(pattern, value))
            tried += 1
            assert response.status_code == 403, (pattern, value, response.status_code)
            assert "partner" in response.json()["detail"] or "Geen toegang" in response.json()["detail"]
    assert tried > 40


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/measures/", {"theme": "T1", "title": "x", "category": "begeleiding"}),
        ("/api/v1/evidence/", {"theme": "T1", "year": 2020, "kind": "verhaal", "title": "x", "text": "y"}),
        ("/api/v1/uploads/", {}),
    ],
)
def test_writes_refuse_a_partner_token(world, partner, path, body):
    """A partner's token writes nothing: 403 before any validation."""
    before = Measure.objects.count(), Evidence.objects.count()
    response = partner.post(path, body, format="json")
    assert response.status_code == 403
    assert (Measure.objects.count(), Evidence.objects.count()) == before


def test_partner_with_a_second_role_keeps_that_role(world):
    """An account that is a partner of one institution and board of another still reads the latter."""
    user = get_user_model().objects.create_user(username="tweeledig", password="x")
    Membership.objects.create(user=user, institution=world.inst, role=Role.PARTNER)
    Membership.objects.create(user=user, institution=world.other, role=Role.BOARD)
    client = APIClient()
    client.force_authenticate(user)
    codes = [row["code"] for row in client.get("/api/v1/institutions/").json()["results"]]
    assert codes == ["OTH"]
    assert client.get("/api/v1/status/?institution=OTH&year=2020").status_code == 200
    assert client.get("/api/v1/status/?institution=TST&year=2020").status_code == 403
