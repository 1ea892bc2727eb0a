"""A JSON body the API cannot read is a Dutch 400 on every writing endpoint, never a 500 (bad input loses nothing).

DRF's JSON parser catches ValueError only: a body of two thousand brackets (JSON nested a thousand
levels deep) raised RecursionError, a 500 with nothing said; other bad JSON was answered in
English ("JSON parse error - ...").
"""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from maatregelen.models import Measure

DEEP = "[" * 2000 + "]" * 2000
WRITES = [
    ("post", "/api/v1/measures/"),
    ("post", "/api/v1/measurements/"),
    ("post", "/api/v1/review-check-ins/"),
    ("post", "/api/v1/spending/"),
]


@pytest.fixture
def client(rocvaf_demo) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(get_user_model().objects.get(username="beleid"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), WRITES)
def test_json_nested_too_deep_is_a_dutch_400(client, method, url):
    before = Measure.objects.count()
    response = client.generic(method.upper(), url, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": "Ongeldige JSON: de gegevens zijn te diep genest."}
    assert Measure.objects.count() == before


@pytest.mark.django_db
def test_other_bad_json_is_answered_in_dutch(client):
    response = client.generic("POST", "/api/v1/measures/", '{"title": ', content_type="application/json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("Ongeldige JSON: ") and "JSON parse error" not in detail


@pytest.mark.django_db
def test_a_patch_with_a_deep_body_changes_nothing(client):
    measure = Measure.objects.filter(institution__code="ROCVAF").order_by("pk").first()
    response = client.generic("PATCH", f"/api/v1/measures/{measure.pk}/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert Measure.objects.get(pk=measure.pk).title == measure.title
