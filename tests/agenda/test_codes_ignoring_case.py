"""College, team and indicator codes are unique ignoring case, on every channel.

An upload matches codes ignoring case (contracts.md section 2; indicatoren.importers): with teams
'A100-X' and 'a100-x' in one institution, a file's value for A100-X was stored on a100-x (review of
2026-12-01). So two codes that differ only in case are refused wherever a code is written.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agenda import services
from agenda.models import College, Indicator, Team
from agenda.schema import AgendaFileError
from agenda.services import agenda_load
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db

TEAM_TAKEN = "Deze teamcode is al in gebruik binnen de instelling (hoofdletters tellen niet mee); kies een andere."


@pytest.fixture
def institution():
    """Return a small institution (colleges A100 and B200, teams A100-T1/T2 and B200-T1/T2, indicators vsv, kw)."""
    return agenda_load(data=agenda_spec("TST", ["A100", "B200"])).institution


def test_the_team_service_refuses_a_code_that_differs_only_in_case(institution):
    """team_create (the teams page) answers beside the code field, and stores nothing."""
    college = College.objects.get(institution=institution, code="B200")
    count = Team.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.team_create(college=college, code="a100-t1", name="Klein")
    assert refused.value.message_dict == {"code": [TEAM_TAKEN]}
    assert Team.objects.count() == count


def test_the_teams_page_shows_the_refusal_beside_the_code(client, institution):
    """Policy staff adding 'b200-T1' on the teams page get the Dutch message, status 400."""
    user = get_user_model().objects.create_superuser("beheer", password="x")
    client.force_login(user)
    response = client.post("/teams/college/B200/", {"code": "b200-T1", "name": "Nieuw"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [TEAM_TAKEN]


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        (College, {"code": "a100", "name": "Ander"}, "Deze collegecode is al in gebruik"),
        (Indicator, {"code": "VSV", "name": "Ander", "unit": "percent", "polarity": "lower"}, "Deze indicatorcode"),
    ],
)
def test_college_and_indicator_codes_are_checked_ignoring_case(institution, model, fields, message):
    """Model validation (the admin's forms) refuses a college or indicator code that differs only in case."""
    extra = {"theme": institution.themes.first(), "baseline_year": 2017} if model is Indicator else {}
    row = model(institution=institution, **fields, **extra)
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert message in refused.value.message_dict["code"][0]
    assert "hoofdletters tellen niet mee" in refused.value.message_dict["code"][0]


def test_the_database_refuses_it_even_past_validation(institution):
    """A write that skips validation (a script, a bug) still cannot store the second spelling."""
    college = College.objects.get(institution=institution, code="A100")
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(institution=institution, college=college, code="A100-t2", name="Dubbel")


def test_another_institution_may_use_the_same_code_in_any_case(institution):
    """Uniqueness is per institution: institutions live side by side (domain.md)."""
    other = agenda_load(data=agenda_spec("ANDER", ["a100"])).institution
    assert sorted(Team.objects.filter(institution=other).values_list("code", flat=True)) == ["a100-T1", "a100-T2"]


def test_an_agenda_file_with_two_spellings_of_one_code_is_refused():
    """The agenda file's own check names both paths, for colleges, teams and indicators alike."""
    spec = agenda_spec("TST", ["A100", "a100"])
    spec["colleges"][0]["teams"].append({"code": "a100-t1", "name": "Klein"})
    spec["themes"][1]["indicators"][0]["code"] = "VSV"
    with pytest.raises(AgendaFileError) as refused:
        agenda_load(data=spec)
    text = "\n".join(refused.value.errors)
    assert "collegecode 'a100' komt twee keer voor" in text
    assert "teamcode 'a100-t1' komt twee keer voor" in text
    assert "indicatorcode 'VSV' komt twee keer voor" in text
    # College a100's own teams a100-T1 and a100-T2 clash with A100's too: five clashes in all.
    assert "teamcode 'a100-T2' komt twee keer voor" in text
    assert text.count("hoofdletters tellen niet mee") == len(refused.value.errors) == 5
    assert not College.objects.exists()


def test_loading_the_file_again_in_other_case_updates_the_stored_college_and_team(institution):
    """A college or team code in another case is the stored one (as an upload reads it): no second row."""
    spec = agenda_spec("TST", ["a100", "B200"])
    spec["colleges"][0]["teams"][0]["name"] = "Hernoemd"
    agenda_load(data=spec)
    assert sorted(College.objects.filter(institution=institution).values_list("code", flat=True)) == ["A100", "B200"]
    team = Team.objects.get(institution=institution, code="A100-T1")
    assert team.name == "Hernoemd"
    assert Team.objects.filter(institution=institution).count() == 4


def test_loading_an_indicator_code_in_other_case_is_refused_in_dutch(institution):
    """An indicator's settings are remembered by its code as written: another spelling is named, not matched."""
    spec = agenda_spec("TST", ["A100", "B200"])
    spec["themes"][0]["indicators"][0]["code"] = "VSV"
    with pytest.raises(AgendaFileError) as refused:
        agenda_load(data=spec)
    assert refused.value.errors == [
        "indicator 'VSV': de agenda heeft al indicator 'vsv' (hoofdletters tellen niet mee); schrijf de code als 'vsv'"
    ]
    assert list(Indicator.objects.filter(institution=institution).values_list("code", flat=True).order_by("code")) == [
        "kw",
        "vsv",
    ]
