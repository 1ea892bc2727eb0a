"""'Wat is er veranderd' (issue 15, item 3): flips and moved euros since a date, with what caused them."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from agenda.models import Indicator, Team, Theme
from agenda.services import agenda_load, ambition_revise
from maatregelen.choices import ReviewLevel
from maatregelen.models import Review
from rapportage import selectors
from rapportage.engine.changes import theme_amounts
from rapportage.models import BudgetChange, ContributionChange, RecomputeRun, VerdictChange
from rapportage.templatetags.kwaliteit import euro
from tests.api.conftest import agenda_spec
from tests.invoer.test_grid import post_grid

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/veranderd/"
EMPTY = "Sinds 1 september 2022 is er geen oordeel of bedrag veranderd."


def reader(username: str) -> Client:
    """Return a new client logged in as a demo user."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def today() -> str:
    """Return today's date as the date input sends it."""
    return timezone.localdate().isoformat()


@pytest.fixture
def saved(rocvaf_demo, client, django_capture_on_commit_callbacks):
    """Director 5100 saves 1a 2022 of team 5100-JUR at 7,5 in the grid: 5100 goes from 5 to 6 of 9 teams.

    Returns the stored budget bodies before the save, to check the logged amounts against.
    """
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    before = selectors.stored_budgets(rocvaf_demo)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_grid(client, "5100", {("1a", "5100-JUR"): "7,5"})
    assert response.status_code == 302
    return before


def test_a_grid_save_that_flips_a_verdict_shows_on_the_page_with_its_cause(saved):
    """The board sees 5100's flip on 1a 2022, the team that moved, the grid save that did it and who."""
    response = reader("bestuur").get(PAGE, {"sinds": today()})
    html = response.content.decode()
    assert response.status_code == 200
    flip = re.search(
        r'<li class="flip" data-indicator="1a" data-year="2022" data-college="5100">(.*?)</li>', html, re.S
    )
    assert flip, html[:3000]
    assert "niet gehaald → <strong>gehaald</strong>" in flip.group(1)
    team = re.search(
        r'<li class="team-flip" data-indicator="1a" data-year="2022" data-team="5100-JUR">(.*?)</li>', html, re.S
    )
    assert team and "droeg niet bij → <strong>droeg bij</strong>" in team.group(1)
    run = RecomputeRun.objects.filter(institution__code="ROCVAF").order_by("-pk").first()
    article = re.search(rf'<article class="change-run" data-run="{run.pk}">(.*?)</article>', html, re.S).group(1)
    # bestuur cannot write 5100: the cause links to the college page, not to the grid it may not use.
    assert 'href="/dashboard/college/5100/?jaar=2022">invoer college 5100, 2022</a>' in article
    assert '<span class="change-writer">' in article
    director = get_user_model().objects.get(username="directeur5100")
    assert (director.get_full_name() or director.username) in article


def test_the_director_who_saved_gets_a_link_to_the_grid(saved):
    """For the director of 5100 the same cause links to the grid of 5100 and 2022."""
    html = reader("directeur5100").get(PAGE, {"sinds": today()}).content.decode()
    assert 'href="/invoer/college/5100/?jaar=2022">invoer college 5100, 2022</a>' in html


def test_a_budget_change_shows_old_and_new_cents_that_add_up(saved, rocvaf_demo):
    """Each logged amount is the theme's sum before and after; what is released moves out of the reserve."""
    after = selectors.stored_budgets(rocvaf_demo)
    run = RecomputeRun.objects.filter(institution=rocvaf_demo).order_by("-pk").first()
    changes = list(BudgetChange.objects.filter(run=run).select_related("theme"))
    assert changes, "a college meeting 1a releases money"
    for change in changes:
        old = theme_amounts(saved[change.year])[change.theme.code][change.kind]
        new = theme_amounts(after[change.year])[change.theme.code][change.kind]
        assert (change.old_cents, change.new_cents) == (old, new)
        assert change.difference_cents == new - old != 0
    # Within a year and theme the result-dependent money is only moved between released and reserved.
    moved = {}
    for change in changes:
        if change.kind in ("released", "reserved"):
            moved.setdefault((change.year, change.theme_id), 0)
            moved[(change.year, change.theme_id)] += change.difference_cents
    assert moved and set(moved.values()) == {0}
    html = reader("bestuur").get(PAGE, {"sinds": today()}).content.decode()
    for change in changes:
        row = re.search(
            rf'<tr data-year="{change.year}" data-theme="{change.theme.code}" data-kind="{change.kind}"'
            rf' data-old-cents="{change.old_cents}" data-new-cents="{change.new_cents}">(.*?)</tr>',
            html,
            re.S,
        )
        assert row, change
        assert euro(change.old_cents) in row.group(1) and euro(change.new_cents) in row.group(1)
        sign = "+" if change.difference_cents > 0 else "−"
        assert f"{sign} {euro(abs(change.difference_cents))}" in row.group(1)


def test_a_revised_ambition_names_the_herijking_and_its_author(rocvaf_demo, django_capture_on_commit_callbacks):
    """Policy staff raise 1a's 2022 target out of reach: the flip's cause links to Herijking, by beleid."""
    beleid = get_user_model().objects.get(username="beleid")
    with django_capture_on_commit_callbacks(execute=True):
        ambition_revise(
            indicator=Indicator.objects.get(institution=rocvaf_demo, code="1a"),
            year=2022,
            type="target",
            target=Decimal("9.9"),
            reason="streefcijfer opgehoogd (test)",
            author=beleid,
        )
    html = reader("bestuur").get(PAGE, {"sinds": today()}).content.decode()
    run = RecomputeRun.objects.filter(institution=rocvaf_demo).order_by("-pk").first()
    article = re.search(rf'<article class="change-run" data-run="{run.pk}">(.*?)</article>', html, re.S).group(1)
    assert '<li class="flip" data-indicator="1a" data-year="2022" data-college="">' in article
    assert 'href="/dashboard/herijking/?jaar=2022">ambitie 1a 2022 herijkt</a>' in article
    assert f'<span class="change-writer">{beleid.get_full_name() or beleid.username}</span>' in article


def test_a_director_can_narrow_the_list_to_one_college(saved, rocvaf_demo):
    """With college 5200 chosen 5100's flip and team are gone; with 5100 they stay, the budget rows go."""
    director = reader("directeur5100")
    other = director.get(PAGE, {"sinds": today(), "college": "5200"}).content.decode()
    assert 'data-college="5100"' not in other and 'data-team="5100-JUR"' not in other
    assert 'class="budget-changes"' not in other
    own = director.get(PAGE, {"sinds": today(), "college": "5100"}).content.decode()
    assert 'data-indicator="1a" data-year="2022" data-college="5100"' in own
    assert 'data-team="5100-JUR"' in own and 'class="budget-changes"' not in own
    assert "Alleen college <strong>5100" in own
    flips = re.findall(r'<li class="flip" [^>]*data-college="([^"]*)"', own)
    assert flips and set(flips) == {"5100"}


def test_an_unknown_college_gives_a_dutch_error(rocvaf_demo):
    """A college code that is not in the list answers 400 with a Dutch message, the whole list below."""
    response = reader("bestuur").get(PAGE, {"college": "9999"})
    assert response.status_code == 400
    assert "Kies een college uit de lijst." in response.content.decode()


def test_the_since_date_leaves_out_older_changes(saved, rocvaf_demo):
    """Changes logged before the chosen date are not listed; choosing an earlier date brings them back."""
    old = timezone.now() - timedelta(days=40)
    for model in (VerdictChange, ContributionChange, BudgetChange):
        model.objects.filter(institution=rocvaf_demo).update(created_at=old)
    board = reader("bestuur")
    recent = board.get(PAGE, {"sinds": (timezone.localdate() - timedelta(days=10)).isoformat()}).content.decode()
    assert 'class="flip"' not in recent and "geen oordeel of bedrag veranderd" in recent
    earlier = board.get(PAGE, {"sinds": (timezone.localdate() - timedelta(days=50)).isoformat()}).content.decode()
    assert 'data-indicator="1a" data-year="2022" data-college="5100"' in earlier


def test_another_institutions_changes_never_show(rocvaf_demo):
    """A flip, a team change and a budget change of ROCB stay off ROCVAF's page."""
    rocb = agenda_load(data=agenda_spec("ROCB", ["BX100"])).institution
    run = RecomputeRun.objects.create(institution=rocb, state="done", reason="upload #999999 ROCB-geheim.csv")
    indicator = Indicator.objects.filter(institution=rocb).first()
    VerdictChange.objects.create(
        institution=rocb,
        run=run,
        indicator=indicator,
        year=2020,
        old="behaald",
        new="niet behaald",
        description="ROCB-geheim flip",
    )
    ContributionChange.objects.create(
        institution=rocb,
        run=run,
        indicator=indicator,
        year=2020,
        team=Team.objects.filter(institution=rocb).first(),
        old="droeg bij",
        new="droeg niet bij",
    )
    BudgetChange.objects.create(
        institution=rocb,
        run=run,
        year=2020,
        theme=Theme.objects.filter(institution=rocb).first(),
        kind="released",
        old_cents=1,
        new_cents=987654321,
    )
    html = reader("bestuur").get(PAGE, {"sinds": "2019-01-01"}).content.decode()
    assert "ROCB-geheim" not in html and "BX100" not in html and "9.876.543,21" not in html


def test_nothing_changed_gives_a_helpful_empty_state(rocvaf_demo):
    """With no flips or moved amounts since the date, the page says so in one sentence."""
    for model in (VerdictChange, ContributionChange, BudgetChange):
        model.objects.filter(institution=rocvaf_demo).delete()
    response = reader("bestuur").get(PAGE, {"sinds": "2022-09-01"})
    assert response.status_code == 200
    assert EMPTY in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31-02-2022", "Vul een geldige datum in"),
        ("gisteren", "Vul een geldige datum in"),
        ("2022-13-01", "Vul een geldige datum in"),
        ("9999-12-31", "Deze datum ligt in de toekomst"),
        # Year 1 overflowed in the conversion to UTC (a 500 before): refused with the earliest date.
        ("0001-01-01", "Kies een datum vanaf 1 januari 2000"),
    ],
)
def test_a_bad_date_gives_a_dutch_error_and_no_500(rocvaf_demo, text, message):
    """A date the form cannot read or a future date answers 400 with a Dutch message and the default list."""
    response = reader("bestuur").get(PAGE, {"sinds": text})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'role="alert"' in html
    assert "Wat is er veranderd" in html


def test_a_dutch_typed_date_is_understood(rocvaf_demo):
    """1-9-2022 (day first) is 1 September 2022."""
    html = reader("bestuur").get(PAGE, {"sinds": "1-9-2022"}).content.decode()
    assert '<strong class="changes-since">1 september 2022</strong>' in html


def test_by_default_the_page_starts_at_the_last_q_gesprek(rocvaf_demo):
    """The last Q-gesprek held (its date) is the default start; without one, 30 days ago."""
    html = reader("bestuur").get(PAGE).content.decode()
    thirty = timezone.localdate() - timedelta(days=30)
    assert "30 dagen geleden" in html and f'value="{thirty.isoformat()}"' in html
    Review.objects.filter(institution=rocvaf_demo).update(held_on=date(2022, 9, 1))
    html = reader("bestuur").get(PAGE).content.decode()
    assert '<strong class="changes-since">1 september 2022</strong>' in html
    assert "het laatste Q-gesprek" in html and 'value="2022-09-01"' in html


def test_an_institution_level_q_gesprek_counts_too(rocvaf_demo):
    """The board's own Q-gesprek (institution level), held after the colleges', is where the page starts."""
    Review.objects.filter(institution=rocvaf_demo).update(held_on=date(2022, 9, 1))
    Review.objects.create(
        institution=rocvaf_demo, level=ReviewLevel.INSTITUTION, year=2022, quadrimester=3, held_on=date(2022, 12, 5)
    )
    html = reader("bestuur").get(PAGE).content.decode()
    assert '<strong class="changes-since">5 december 2022</strong>' in html
    assert "het laatste Q-gesprek (instelling 2022 Q3, 5 december 2022)" in html


@pytest.mark.parametrize("username", ["bestuur", "beleid", "directeur5100"])
def test_every_reader_role_reads_the_page_and_finds_it_in_the_nav(rocvaf_demo, username):
    """Board, policy staff and directors open the page; the main menu links to it."""
    response = reader(username).get(PAGE)
    assert response.status_code == 200
    assert f'<a href="{PAGE}" aria-current="page">Wat is er veranderd</a>' in response.content.decode()


def test_someone_outside_the_institution_is_refused(rocvaf_demo, client):
    """A logged-in user without a role gets no page (404, Dutch), an anonymous one the login page."""
    assert client.get(PAGE).status_code == 302
    client.force_login(get_user_model().objects.create_user("buitenstaander", password="x"))
    assert client.get(PAGE).status_code in (403, 404)


def test_a_writer_of_another_institution_with_the_same_source_is_never_named(
    rocvaf_demo, client, django_capture_on_commit_callbacks
):
    """ROCB has a college 5100 too: its writer's "invoer 5100 2022" history must not name them on ROCVAF's page."""
    from indicatoren.services import MeasurementRow, measurements_apply

    rocb = agenda_load(data=agenda_spec("ROCB", ["5100"])).institution
    stranger = get_user_model().objects.create_user("rocb-schrijver-geheim")
    measurements_apply(
        institution=rocb,
        rows=[
            MeasurementRow(
                indicator=Indicator.objects.get(institution=rocb, code="vsv"),
                year=2021,
                value=Decimal("5.5"),
                team=Team.objects.get(institution=rocb, code="5100-T1"),
                college=Team.objects.get(institution=rocb, code="5100-T1").college,
            )
        ],
        user=stranger,
        source="invoer 5100 2022",
    )
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_grid(client, "5100", {("1a", "5100-JUR"): "7,5"}).status_code == 302
    html = reader("bestuur").get(PAGE, {"sinds": today()}).content.decode()
    assert "directeur5100" in html or "Directeur" in html
    assert "rocb-schrijver-geheim" not in html


def test_a_q_gesprek_date_far_from_its_year_is_refused(rocvaf_demo):
    """A slip such as 1-1-0001 for a Q-gesprek of 2022 is refused in Dutch; it would start the board's list."""
    from django.core.exceptions import ValidationError

    from agenda.models import College
    from maatregelen.services import review_create

    with pytest.raises(ValidationError, match="ligt in 2022"):
        review_create(year=2022, quadrimester=3, college=College.objects.get(code="5100"), held_on=date(1, 1, 1))
