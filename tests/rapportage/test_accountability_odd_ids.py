"""The accountability pages (/maatregelen/besteding/, /maatregelen/manifest/) on ids that are no number: never a 500.

str.isdigit() says yes to '²' (superscript two) and '①' (circled one), which int() refuses; a
posted pk 'abc' from an old or altered form reached get_object_or_404 unchecked.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(client, rocvaf_demo):
    client.force_login(get_user_model().objects.get(username="beleid"))
    client.raise_request_exception = False  # a 500 is an answer to assert on
    return client


@pytest.mark.parametrize("value", ["²", "①", "abc"])
@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("verantwoording:spending", "bewerk"),
        ("verantwoording:manifesto", "belofte"),
        ("verantwoording:manifesto", "partner"),
    ],
)
def test_a_query_id_that_is_no_number_shows_the_page(policy, url, param, value):
    """?bewerk=² is no row to edit: the page itself, as for 'abc'."""
    assert policy.get(reverse(url), {param: value}).status_code == 200


@pytest.mark.parametrize("value", ["abc", "²", ""])
@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("verantwoording:spending", {"action": "delete"}),
        ("verantwoording:manifesto", {"action": "promise_delete"}),
        ("verantwoording:manifesto", {"action": "partner_delete"}),
        ("verantwoording:manifesto", {"action": "partner", "field": "promise"}),
    ],
)
def test_a_posted_id_that_is_no_number_is_a_404(policy, url, data, value):
    """A delete or partner form whose id is no number names no row: 404, nothing changed."""
    field = data.pop("field", "pk")
    assert policy.post(reverse(url), {**data, field: value}).status_code == 404
