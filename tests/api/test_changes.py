"""GET /api/v1/changes/ (issue 15, item 3): the board page's change list for API clients."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from agenda.services import agenda_load
from tests.api.conftest import agenda_spec
from tests.invoer.test_grid import post_grid

pytestmark = pytest.mark.django_db

URL = "/api/v1/changes/"


def reader(username: str) -> Client:
    """Return a new client logged in as a demo user (session authentication)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_grid_save_is_listed_with_its_flip_team_and_euros(rocvaf_demo, django_capture_on_commit_callbacks):
    """The newest run is the save of 5100: its flip, JUR's contribution, the moved cents and who saved."""
    director = reader("directeur5100")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_grid(director, "5100", {("1a", "5100-JUR"): "7,5"}).status_code == 302
    response = reader("bestuur").get(URL, {"since": timezone.localdate().isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert (body["institution"], body["version"], body["since_default"]) == ("ROCVAF", "current", None)
    run = body["runs"][0]
    assert run["reason"] == "invoer 5100 2022" and run["causes"] == [{"kind": "grid", "text": "invoer 5100 2022"}]
    assert run["by"] == ["directeur5100"]
    assert {
        "indicator": "1a",
        "year": 2022,
        "college": "5100",
        "old": "niet gehaald",
        "new": "gehaald",
    }.items() <= run["verdicts"][0].items()
    assert run["teams"] == [
        {
            "indicator": "1a",
            "year": 2022,
            "college": "5100",
            "team": "5100-JUR",
            "old": "droeg niet bij",
            "new": "droeg bij",
        }
    ]
    assert run["budget"]
    for move in run["budget"]:
        assert move["difference_cents"] == move["new_cents"] - move["old_cents"] != 0
        assert all(isinstance(move[k], int) for k in ("old_cents", "new_cents", "difference_cents"))


@pytest.mark.parametrize("since", ["31-02-2022", "morgen", "9999-01-01", "0001-01-01"])
def test_a_bad_since_answers_400_in_dutch(rocvaf_demo, since):
    """An unreadable or future date is a field error in Dutch, never a 500."""
    response = reader("bestuur").get(URL, {"since": since})
    assert response.status_code == 400
    message = " ".join(response.json()["since"])
    assert "datum" in message


def test_without_since_the_default_is_named(rocvaf_demo):
    """Without ?since= the answer says which default it used."""
    body = reader("bestuur").get(URL).json()
    assert body["since_default"] == "30 dagen geleden"
    assert body["since"] == (timezone.localdate() - timezone.timedelta(days=30)).isoformat()


def test_another_institution_is_refused(rocvaf_demo):
    """?institution= of an institution the caller has no role in answers 403, its changes unseen."""
    agenda_load(data=agenda_spec("ROCB", ["BX100"]))
    response = reader("bestuur").get(URL, {"institution": "ROCB"})
    assert response.status_code == 403
