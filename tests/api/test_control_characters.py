"""A control character or an over-long value in a query parameter is a clear Dutch 400, never a 500 (issue 13).

PostgreSQL refuses a NUL in a query ("A string literal cannot contain NUL"), so `?institution=%00`
gave a 500 there; these tests run in both passes of make test (SQLite and PostgreSQL).
"""

import pytest
from django.contrib.auth import get_user_model

API_PATHS = [
    "/api/v1/status/?year=2020&institution={v}",
    "/api/v1/status/?year={v}",
    "/api/v1/status/?year=2020&version={v}",
    "/api/v1/budget/?year=2020&institution={v}",
    "/api/v1/indicators/vsv/status/?year=2020&institution={v}",
    "/api/v1/institutions/?institution={v}",
    "/api/v1/colleges/?institution={v}",
    "/api/v1/colleges/?active={v}",
    "/api/v1/teams/?college={v}",
    "/api/v1/teams/?year={v}",
    "/api/v1/indicators/?theme={v}",
    "/api/v1/measurements/?institution={v}",
    "/api/v1/measurements/?team={v}",
    "/api/v1/measurements/?indicator={v}",
    "/api/v1/measures/?institution={v}",
    "/api/v1/evidence/?institution={v}",
    "/api/v1/colleges/?page={v}",
    "/api/v1/uploads/{v}/",
    "/api/v1/colleges/{v}/",
]
PAGE_PATHS = [
    "/dashboard/?jaar={v}",
    "/dashboard/colleges/?jaar={v}",
    "/dashboard/indicator/vsv/?jaar={v}",
    "/dashboard/budget/?jaar={v}",
    "/invoer/college/A100/?jaar={v}",
    "/uploads/?pagina={v}",
    "/beleid/toepasbaarheid/?indicator={v}&from_year={v}",
    "/beleid/budgetaandelen/?theme={v}",
    "/beleid/ambities/?indicator={v}&from_year={v}",
    "/beleid/factoren/?factor={v}",
    "/admin/agenda/team/?q={v}",
    "/admin/agenda/team/?college__id__exact={v}",
    "/admin/indicatoren/measurement/?q={v}",
]
CONTROL = ["%00", "a%00b", "%01", "%1B", "%7F"]


@pytest.mark.parametrize("value", CONTROL)
@pytest.mark.parametrize("path", API_PATHS)
def test_the_api_answers_a_control_character_with_a_dutch_400(world, path, value):
    """Every API list and result answers a NUL or another control character in a parameter with 400 in Dutch."""
    response = world.client("beleid").get(path.format(v=value))
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": "Ongeldig teken in het adres (een stuurteken); controleer de link."}


@pytest.mark.parametrize("value", CONTROL[:2])
@pytest.mark.parametrize("path", PAGE_PATHS)
def test_pages_and_the_admin_answer_a_control_character_with_a_dutch_400(client, world, path, value):
    """Pages and the admin answer a NUL in a parameter with a Dutch 400 page, not a 500."""
    user = get_user_model().objects.get(username="beleid")
    user.is_staff = True
    user.save()
    client.force_login(user)
    response = client.get(path.format(v=value))
    assert response.status_code == 400
    assert "Ongeldig teken in het adres" in response.content.decode()


def test_a_control_character_in_a_parameter_name_is_refused_too(world):
    """The parameter's name counts as well as its value."""
    assert world.client("beleid").get("/api/v1/colleges/?a%00=1").status_code == 400


@pytest.mark.parametrize("value", ["T" * 5000, "ROC X", "tst", "é"])
def test_an_unknown_or_overlong_institution_is_refused_without_an_error(world, value):
    """An unknown code, however long or odd, gets the API's usual 403 (codes of others stay unseen), never 500."""
    response = world.client("beleid").get(f"/api/v1/status/?year=2020&institution={value}")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Geen toegang tot instelling")
    assert len(response.content) < 400  # an over-long code is not echoed in full


def test_tabs_and_line_breaks_in_a_parameter_stay_allowed(client, world):
    """Text parameters may hold a tab or a line break (a reason typed in a textarea): not refused."""
    user = get_user_model().objects.get(username="beleid")
    client.force_login(user)
    response = client.get("/beleid/toepasbaarheid/?reason=eerste%0Atweede%09regel")
    assert response.status_code == 200
