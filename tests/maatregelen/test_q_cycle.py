"""The Q-cycle (issue 15, item 4): Q-gesprekken on three levels, actions followed up, check-ins, the timeline,
and evidence on an indicator that its college edits and deletes."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from agenda.models import College, Indicator, Team, Theme
from maatregelen import services
from maatregelen.models import ActionItem, CheckIn, Evidence, Review

User = get_user_model()


def login(client, username):
    """Return the client logged in as a demo user."""
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def college(rocvaf_demo):
    return College.objects.get(code="5100")


@pytest.fixture
def team(college):
    return Team.objects.get(code="5100-ENT")


def test_existing_reviews_are_college_level_of_their_institution(college):
    """The demo's 2020 Q2 review of 5100 is a college-level review of ROCvAF (older callers name only the college)."""
    review = Review.objects.get(college=college, year=2020, quadrimester=2)
    assert (review.level, review.institution_id, review.team) == ("college", college.institution_id, None)


def test_reviews_on_three_levels_each_once_per_quadrimester(college, team):
    """A team, its college and the institution each hold a 2021 Q1 review; a second one of the same unit is refused."""
    on_team = services.review_create(college=college, team=team, year=2021, quadrimester=1)
    on_college = services.review_create(college=college, year=2021, quadrimester=1)
    on_institution = services.review_create(institution=college.institution, year=2021, quadrimester=1)
    assert [r.level for r in (on_team, on_college, on_institution)] == ["team", "college", "instelling"]
    assert on_team.college == college and on_institution.college is None
    for kwargs in ({"college": college, "team": team}, {"college": college}, {"institution": college.institution}):
        with pytest.raises(ValidationError) as refused:
            services.review_create(year=2021, quadrimester=1, **kwargs)
        assert "al een Q-gesprek" in refused.value.message_dict["quadrimester"][0]


def test_rights_board_reads_director_own_college_and_its_teams_institution_policy(college, team):
    """A director writes reviews of own college and its teams only; the institution's is for policy staff."""
    other = College.objects.get(code="5200")
    allowed = {college.pk}
    services.review_create(college=college, team=team, year=2021, quadrimester=3, allowed_colleges=allowed)
    with pytest.raises(PermissionDenied):
        services.review_create(college=other, year=2021, quadrimester=3, allowed_colleges=allowed)
    with pytest.raises(PermissionDenied):
        services.review_create(
            college=other, team=other.teams.first(), year=2021, quadrimester=3, allowed_colleges=allowed
        )
    with pytest.raises(PermissionDenied):
        services.review_create(institution=college.institution, year=2021, quadrimester=3, allowed_colleges=allowed)
    with pytest.raises(PermissionDenied):  # the board writes nothing
        services.review_create(college=college, year=2022, quadrimester=3, allowed_colleges=set())
    with pytest.raises(ValidationError):  # a team of another college never rides on this one
        services.review_create(college=college, team=other.teams.first(), year=2021, quadrimester=2)


def test_open_actions_come_back_in_the_next_conversation_and_are_followed_up(college):
    """An open action of Q1 shows in Q2 of the same unit; its follow-up sets its status; done ones stop coming back."""
    q1 = services.review_create(college=college, year=2021, quadrimester=1)
    open_action = services.action_create(review=q1, description="Pluscoach inzetten", owner="Teamleider ENT")
    done_action = services.action_create(review=q1, description="Al gedaan", status="gereed")
    q2 = services.review_create(college=college, year=2021, quadrimester=2)
    other_unit = services.review_create(college=College.objects.get(code="5200"), year=2021, quadrimester=2)
    assert services.actions_to_follow_up(q2) == [open_action]
    assert services.actions_to_follow_up(other_unit) == []
    assert services.actions_to_follow_up(q1) == []
    services.action_follow_up(action=open_action, review=q2, status="in_uitvoering", note="Loopt, start in mei")
    open_action.refresh_from_db()
    assert open_action.status == "in_uitvoering"
    q3 = services.review_create(college=college, year=2021, quadrimester=3)
    assert services.actions_to_follow_up(q3) == [open_action]  # still open: it comes back again
    services.action_follow_up(action=open_action, review=q3, status="gereed")
    assert services.actions_to_follow_up(q3) == [open_action]  # shown where it was closed
    q1_next = services.review_create(college=college, year=2022, quadrimester=1)
    assert services.actions_to_follow_up(q1_next) == []
    assert done_action not in services.actions_to_follow_up(q2)
    assert [f.status for f in open_action.follow_ups.order_by("pk")] == ["in_uitvoering", "gereed"]
    with pytest.raises(ValidationError):  # never in an earlier or another unit's conversation
        services.action_follow_up(action=open_action, review=other_unit, status="gereed")


def test_a_check_in_per_ambition_replaces_the_earlier_one_of_the_review(college):
    """One check-in per indicator in a review: a second one changes status and note."""
    review = Review.objects.get(college=college, year=2020, quadrimester=2)
    indicator = Indicator.objects.get(code="2b")
    services.checkin_record(review=review, indicator=indicator, status="risico", note="Nog onder de nulmeting")
    services.checkin_record(review=review, indicator=indicator, status="uit_koers", note="Verder gezakt")
    assert list(CheckIn.objects.filter(review=review).values_list("status", "note")) == [("uit_koers", "Verder gezakt")]


def page_versions(html: str) -> dict:
    """Return the hidden version fields of the review page's forms, as a browser posts them back."""
    found = re.findall(r'<input type="hidden" name="([^"]*version)" value="([^"]*)"', html)
    return {name: unescape(value) for name, value in found}


def test_the_review_page_records_actions_follow_ups_and_check_ins(client, college):
    """A director adds an action and a check-in on the page; in the next review the action is followed up."""
    director = login(client, "directeur5100")
    q1 = services.review_create(college=college, year=2021, quadrimester=1)
    url = f"/maatregelen/q-gesprek/{q1.pk}/"
    indicator = Indicator.objects.get(code="2b")
    response = director.post(
        url,
        {
            "form": "action",
            "actiepunt-description": "Huiswerkklas",
            "actiepunt-owner": "TL",
            "actiepunt-due_on": "2021-06-01",
        },
    )
    assert response.status_code == 302
    action = ActionItem.objects.get(review=q1)
    assert (action.description, action.owner, str(action.due_on), action.status) == (
        "Huiswerkklas",
        "TL",
        "2021-06-01",
        "open",
    )
    refused = director.post(url, {"form": "checkin", "checkin-indicator": indicator.pk, "checkin-status": "bijna"})
    assert refused.status_code == 400 and "status" in refused.context["checkin_form"].errors
    # As a browser posts it: with the hidden versions the page carries (what it listed; here nothing yet).
    shown = page_versions(director.get(url).content.decode())
    director.post(
        url,
        {
            "form": "checkin",
            "checkin-indicator": indicator.pk,
            "checkin-status": "risico",
            "checkin-note": "x",
            **shown,
        },
    )
    assert CheckIn.objects.get(review=q1).status == "risico"
    q2 = services.review_create(college=college, year=2021, quadrimester=2)
    page = director.get(f"/maatregelen/q-gesprek/{q2.pk}/").content.decode()
    assert "Huiswerkklas" in page and "Afgesproken in 2021 Q1" in page
    saved = director.post(
        f"/maatregelen/q-gesprek/{q2.pk}/",
        {
            "form": f"followup-{action.pk}",
            f"opvolging-{action.pk}-status": "gereed",
            f"opvolging-{action.pk}-note": "Klaar",
            **page_versions(page),
        },
    )
    assert saved.status_code == 302
    action.refresh_from_db()
    assert action.status == "gereed"


def test_the_board_reads_reviews_and_sees_no_write_forms(client, college):
    """bestuur opens the review page read-only; a POST is refused and stores nothing."""
    review = Review.objects.get(college=college, year=2020, quadrimester=2)
    board = login(client, "bestuur")
    page = board.get(f"/maatregelen/q-gesprek/{review.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "Extra pluscoaches" in html
    assert (
        "Actiepunt toevoegen" not in html and "wijzigen" not in html.lower().split("<main", 1)[-1].split("</main>")[0]
    )
    assert (
        board.post(f"/maatregelen/q-gesprek/{review.pk}/", {"form": "action", "actiepunt-description": "x"}).status_code
        == 403
    )
    assert not ActionItem.objects.filter(review=review).exists()
    overview = board.get("/maatregelen/q-gesprekken/").content.decode()
    assert "/maatregelen/college/5100/#kop-q" in overview and "vastleggen" not in overview


def test_a_director_cannot_write_another_colleges_review_page(client, rocvaf_demo):
    """directeur5100 gets 403 on the review page form of a 5200 review and on its edit address."""
    other = services.review_create(college=College.objects.get(code="5200"), year=2021, quadrimester=1)
    director = login(client, "directeur5100")
    assert director.get(f"/maatregelen/q-gesprek/{other.pk}/").status_code == 200
    assert (
        director.post(
            f"/maatregelen/q-gesprek/{other.pk}/", {"form": "action", "actiepunt-description": "x"}
        ).status_code
        == 403
    )
    assert director.get(f"/maatregelen/college/5200/q-gesprek/{other.pk}/").status_code == 403


def test_a_team_review_is_made_on_the_college_page_form(client, college, team):
    """The college's review form offers its teams; choosing one makes a team-level review."""
    director = login(client, "directeur5100")
    response = director.post(
        "/maatregelen/college/5100/q-gesprek/nieuw/", {"year": 2021, "quadrimester": 1, "team": team.pk, "notes": "ENT"}
    )
    review = Review.objects.get(team=team, year=2021, quadrimester=1)
    assert response.status_code == 302 and response["Location"] == f"/maatregelen/q-gesprek/{review.pk}/"
    assert review.level == "team"
    foreign = Team.objects.filter(college__code="5200").first()
    refused = director.post(
        "/maatregelen/college/5100/q-gesprek/nieuw/", {"year": 2021, "quadrimester": 2, "team": foreign.pk}
    )
    assert refused.status_code == 400 and "team" in refused.context["form"].errors


def test_policy_staff_record_the_institutions_review_directors_may_not(client, rocvaf_demo):
    """beleid records an institution-level review; a director gets 403 on that form."""
    policy = login(client, "beleid")
    response = policy.post("/maatregelen/q-gesprekken/nieuw/", {"year": 2022, "quadrimester": 3, "notes": "CvB"})
    review = Review.objects.get(level="instelling", year=2022, quadrimester=3)
    assert response.status_code == 302 and review.college is None
    client.logout()
    director = login(client, "directeur5100")
    assert director.get("/maatregelen/q-gesprekken/nieuw/").status_code == 403
    assert "Datum en verslag wijzigen" not in director.get(f"/maatregelen/q-gesprek/{review.pk}/").content.decode()


def test_evidence_on_an_indicator_is_edited_and_deleted_after_confirmation(client, college):
    """The director links evidence to 2b, edits its title, and deletes it on the confirmation page."""
    director = login(client, "directeur5100")
    theme, indicator = Theme.objects.get(code="T2"), Indicator.objects.get(code="2b")
    evidence = services.evidence_create(college=college, theme=theme, year=2021, kind="verhaal", title="Oud", text="x")
    url = f"/maatregelen/college/5100/merkbaar/{evidence.pk}/"
    data = {
        "kind": "verhaal",
        "theme": theme.pk,
        "indicator": indicator.pk,
        "year": 2021,
        "title": "Nieuw",
        "text": "y",
    }
    assert director.post(url, data).status_code == 302
    evidence.refresh_from_db()
    assert (evidence.title, evidence.indicator) == ("Nieuw", indicator)
    wrong = Indicator.objects.exclude(theme=theme).first()
    refused = director.post(url, {**data, "indicator": wrong.pk})
    assert refused.status_code == 400 and "indicator" in refused.context["form"].errors
    confirm = director.get(url + "verwijderen/")
    assert (
        confirm.status_code == 200
        and "Nieuw" in confirm.content.decode()
        and Evidence.objects.filter(pk=evidence.pk).exists()
    )
    assert director.post(url + "verwijderen/").status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert evidence.history.filter(history_type="-").exists()


def test_evidence_of_another_college_cannot_be_edited_or_deleted(client, college):
    """directeur5100 gets 403 on 5200's evidence; the board sees no edit links."""
    other = College.objects.get(code="5200")
    evidence = services.evidence_create(
        college=other, theme=Theme.objects.get(code="T2"), year=2021, kind="verhaal", title="X", text="x"
    )
    director = login(client, "directeur5100")
    assert director.post(f"/maatregelen/college/5200/merkbaar/{evidence.pk}/verwijderen/").status_code == 403
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    client.logout()
    board = login(client, "bestuur")
    html = board.get("/maatregelen/college/5200/").content.decode()
    assert f"merkbaar/{evidence.pk}/" not in html


def test_the_timeline_is_on_the_college_and_indicator_dashboards(client, college, django_assert_max_num_queries):
    """Review, action, follow-up, check-in and evidence appear in date order; the board gets the read link only."""
    indicator = Indicator.objects.get(code="2b")
    q1 = services.review_create(college=college, year=2021, quadrimester=1, held_on=datetime.date(2021, 3, 1))
    action = services.action_create(review=q1, description="Actie voor 2b", indicator=indicator)
    q2 = services.review_create(college=college, year=2021, quadrimester=2, held_on=datetime.date(2021, 6, 1))
    services.action_follow_up(action=action, review=q2, status="gereed", note="Gelukt")
    services.checkin_record(review=q2, indicator=indicator, status="op_koers", note="Stijgt")
    services.evidence_create(
        college=college,
        theme=indicator.theme,
        indicator=indicator,
        year=2021,
        kind="verhaal",
        title="Verhaal 2b",
        text="x",
    )
    board = login(client, "bestuur")
    board.get("/dashboard/college/5100/?jaar=2021")
    with django_assert_max_num_queries(27):  # as tests/rapportage/test_views.py: one query per kind, not per row
        html = board.get("/dashboard/college/5100/?jaar=2021").content.decode()
    assert "kop-q-tijdlijn" in html and 'href="/maatregelen/college/5100/#kop-q"' in html
    positions = [html.index(text) for text in ("Verhaal 2b", "01-06-2021", "01-03-2021", "Q-gesprek 2020 Q2")]
    assert positions == sorted(positions)  # newest first
    assert "/maatregelen/college/5100/q-gesprek/nieuw/" not in html
    page = board.get("/dashboard/indicator/2b/?jaar=2021").content.decode()
    timeline = page[page.index("kop-q-tijdlijn") :]
    assert "op koers" in timeline and "Actie voor 2b" in timeline and "Verhaal 2b" in timeline
    client.logout()
    director = login(client, "directeur5100")
    assert (
        "/maatregelen/college/5100/q-gesprek/nieuw/"
        in director.get("/dashboard/college/5100/?jaar=2021").content.decode()
    )


def test_the_migration_turns_free_text_agreements_into_open_actions(college):
    """Migration 0003 (data): each line of a stored review's agreements becomes an open action; nothing lost."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("maatregelen.migrations.0003_reviews_college_level")
    review = Review.objects.get(college=college, year=2020, quadrimester=2)
    Review.objects.filter(pk=review.pk).update(actions="- Extra pluscoaches\n\n* Ouderavond plannen\n")
    migration.reviews_to_college_level(apps, None)
    review.refresh_from_db()
    assert (review.level, review.institution_id, review.actions) == ("college", college.institution_id, "")
    assert list(review.action_items.order_by("pk").values_list("description", "status")) == [
        ("Extra pluscoaches", "open"),
        ("Ouderavond plannen", "open"),
    ]
    migration.reviews_back(apps, None)
    review.refresh_from_db()
    assert review.actions == "Extra pluscoaches\nOuderavond plannen"


def test_a_team_with_q_gesprekken_is_kept(college):
    """A new team with only a team-level review cannot be deleted (its history stays); deactivating remains."""
    from agenda import services as agenda_services

    team = Team.objects.create(college=college, institution=college.institution, code="5100-NEW", name="Nieuw")
    services.review_create(college=college, team=team, year=2022, quadrimester=1)
    with pytest.raises(ValidationError):
        agenda_services.team_delete(team=team)
    assert Team.objects.filter(pk=team.pk).exists()
