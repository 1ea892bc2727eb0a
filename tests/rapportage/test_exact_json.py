"""JSON keeps every digit of a number (domain.md; issue 11 part 7).

A float keeps 15 to 17 significant digits, a value up to 18: the stored payloads, the API and
`agenda_status --format json` write the value's own digits as a JSON number.
"""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Membership
from rapportage.engine import exact_json
from rapportage.engine.payload import json_number
from rapportage.models import IndicatorResult, RunState
from rapportage.selectors import status_body
from rapportage.services import recompute_now
from tests.rapportage.exact_world import V18, load_exact_world, measure, run

BASE = "123456789012.345677"


@pytest.fixture
def exact(db, django_capture_on_commit_callbacks):
    """Return the institution with one count indicator and nothing measured (its first recompute done)."""
    with django_capture_on_commit_callbacks(execute=True):
        return load_exact_world()


def test_verdict_numbers_keep_every_digit_in_storage_api_and_commands(exact):
    """Team value, reference, baseline and target keep 18 digits in the payload, the API and --format json."""
    measure(BASE, year=2017)
    measure(V18)
    assert recompute_now(institution=exact, reason="test").state == RunState.DONE

    status = IndicatorResult.objects.get(indicator__institution=exact, year=2020, version="current").payload
    team = status["colleges"][0]["teams"][0]
    assert (team["value"], team["reference"]) == (Decimal(V18), Decimal(BASE))
    assert (status["target"], status["baseline"]) == (Decimal(V18), Decimal(BASE))

    user = get_user_model().objects.create_user(username="beleid-exa", password="x")
    Membership.objects.create(user=user, institution=exact, role=Role.POLICY)
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/status/", {"year": 2020, "institution": exact.code})
    assert response.status_code == 200
    text = response.content.decode()
    assert f'"target":{V18}' in text and f'"value":{V18}' in text
    body = exact_json.loads(text)
    assert body == status_body(exact, 2020)
    assert json.loads(text, parse_float=Decimal)["indicators"][0]["target"] == Decimal(V18)

    code, out, err = run("agenda_status", "--year", "2020", "--institution", exact.code, "--format", "json")
    assert code == 0, err
    assert exact_json.loads(out) == body
    assert json.loads(out, parse_float=Decimal)["indicators"][0]["colleges"][0]["teams"][0]["value"] == Decimal(V18)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (Decimal("77.5"), 77.5),
        (Decimal("100.000000"), 100),
        (Decimal("0.000001"), 0.000001),
        (Decimal("999999999.999999"), 999999999.999999),  # 15 digits: a float prints them back
        (Decimal(V18), Decimal(V18)),  # 18 digits: only the Decimal keeps them
        (Decimal("999999999999.9999"), 999999999999.9999),  # 16 digits that a float happens to keep
        (Decimal("-123456789012.345678"), Decimal("-123456789012.345678")),
    ],
)
def test_json_number_is_a_float_only_when_the_float_keeps_the_digits(value, expected):
    """json_number gives int, float or Decimal so that the JSON text has exactly the value's digits."""
    number = json_number(value)
    assert number == expected and type(number) is type(expected)
    if value is not None:
        assert Decimal(exact_json.dumps(number)) == value
        assert exact_json.loads(exact_json.dumps([number])) == [number]


def test_exact_json_writes_decimals_as_numbers_and_leaves_the_rest_alone():
    """Decimals become numbers with every digit; strings, nesting, indent and floats are as json writes them."""
    doc = {"a": Decimal(V18), "b": [1.5, None, True, "\x00tekst", {"c": Decimal("-0.000001")}], "d": "€"}
    text = exact_json.dumps(doc, ensure_ascii=False, indent=2)
    assert f'"a": {V18}' in text and '"c": -0.000001' in text and '"d": "€"' in text
    assert exact_json.loads(text) == {**doc, "b": [1.5, None, True, "\x00tekst", {"c": -0.000001}]}
    assert exact_json.dumps({"x": 1.25}) == json.dumps({"x": 1.25})
    with pytest.raises(ValueError):
        exact_json.dumps(Decimal("NaN"))
