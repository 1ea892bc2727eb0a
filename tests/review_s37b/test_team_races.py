"""The team page's writes race the year's approval and the value writes (PostgreSQL, real threads).

domain.md "Sign-off and locking": approved years change only after policy staff reopen them, and
indicatoren.signoff.signoff_approve says "the write service checks approvals inside the same lock"
(indicatoren.services.lock_institution_data). agenda.services.team_update and team_delete take no
such lock: their checks (Team._refuse_counting_in_locked_years, "has the team values?") read
before another writer's commit and write after it.

1. Policy staff approve 2022 for the college while the director ends a team after 2021: the
   team's 2022 values leave the approved verdict, and 2022 stays approved (vastgesteld) with it.
2. A value is saved for a team while its director deletes the team "without data": the delete
   goes through and the value's save fails on the database (a 500 for the user who typed it), or
   the reverse; either way one of the two writes is lost with an error instead of a Dutch refusal.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agenda.choices import Role
from agenda.models import College, Indicator, Membership, Team
from agenda.services import agenda_load
from indicatoren.models import Measurement
from indicatoren.services import measurement_record
from indicatoren.signoff import approved_units, signoff_approve
from rapportage.models import RecomputeRun, RunState
from tests.api.conftest import agenda_spec
from tests.maatregelen.test_lost_updates_delete_patch import while_another_holds
from tests.rapportage.test_worker_integration import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def runs_settled():
    """Wait, after the test, until no recompute its writes asked for is still waiting or running.

    Once any test of the session started the real worker (tests/conftest.py, celery_worker), tasks
    go to it: a recompute still reading when the test's flush truncates the tables deadlocked the
    flush (CI of 29ec1d3). Eagerly run tasks have finished by then already.
    """
    yield
    wait_for(
        lambda: not RecomputeRun.objects.filter(state__in=[RunState.PENDING, RunState.RUNNING]).exists(),
        timeout=180,
    )


def build_world() -> dict:
    """Load a small agenda of its own (code S37B): college B100 with two teams, a director and a policy user."""
    institution = agenda_load(data=agenda_spec("S37B", ["B100", "B200"])).institution
    college = College.objects.get(institution=institution, code="B100")
    users = {}
    for name, role, colleges in [("s37b_directeur", Role.DIRECTOR, [college]), ("s37b_beleid", Role.POLICY, [])]:
        user = get_user_model().objects.create_user(username=name, password="geheim-s37b-2022", first_name=name)
        Membership.objects.create(user=user, institution=institution, role=role).colleges.set(colleges)
        users[name] = user
    vsv = Indicator.objects.get(institution=institution, code="vsv")
    ended = Team.objects.get(institution=institution, code="B100-T1")
    for year, value in [(2017, "6.5"), (2021, "5.9"), (2022, "5.1")]:
        measurement_record(indicator=vsv, year=year, value=Decimal(value), college=college, team=ended)
    return {
        "institution": institution,
        "college": college,
        "vsv": vsv,
        "ended": ended,
        "empty": Team.objects.get(institution=institution, code="B100-T2"),
        "users": users,
    }


def browser(world, name) -> Client:
    client = Client()
    client.force_login(world["users"][name])
    return client


@pytest.mark.django_db(transaction=True)
def test_ending_a_team_while_its_year_is_being_approved_does_not_change_the_approved_year():
    """Approval of 2022 holds the data lock; the director ends B100-T1 after 2021 meanwhile: refused, or waits and refused.

    Either order of the two leaves a consistent state: approved with the team counting in 2022,
    or the team ended and 2022 approved afterwards on the new state. Never an approval whose
    year changed after it.
    """
    world = build_world()
    team, answers = world["ended"], {}

    def approve():
        signoff_approve(
            institution=world["institution"], year=2022, college=world["college"], user=world["users"]["s37b_beleid"]
        )

    def end_team():
        response = browser(world, "s37b_directeur").post(
            f"/teams/college/B100/{team.code}/", {"name": team.name, "active_until": "2021"}
        )
        answers["status"] = response.status_code

    while_another_holds(approve, end_team)
    team.refresh_from_db()
    approved = (world["college"].pk, 2022) in approved_units(world["institution"], {2022})
    assert approved
    assert team.active_until is None, (
        f"status {answers['status']}: B100-T1 was ended after 2021 while 2022 was being approved; its 2022 value "
        "left college B100's verdict of an approved (vastgesteld) year"
    )


@pytest.mark.django_db(transaction=True)
def test_deleting_a_team_while_a_value_is_saved_for_it_keeps_both_or_refuses_in_dutch():
    """A value for B100-T2 is being saved (data lock held); its director deletes the team "without data" meanwhile.

    The delete must wait and then refuse (the team has data now), the value stays: no database
    error for either writer.
    """
    world = build_world()
    team, answers = world["empty"], {}

    def save_value():
        measurement_record(indicator=world["vsv"], year=2021, value=Decimal("4.2"), college=world["college"], team=team)

    def delete_team():
        client = browser(world, "s37b_directeur")
        client.raise_request_exception = False
        response = client.post(f"/teams/college/B100/{team.code}/verwijderen/")
        answers["status"] = response.status_code

    while_another_holds(save_value, delete_team)
    assert Team.objects.filter(pk=team.pk).exists(), f"status {answers['status']}: the team was deleted"
    assert Measurement.objects.filter(team=team, year=2021).exists()
