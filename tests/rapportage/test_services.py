"""Recompute on the ROCvAF demo: commands, flips through the admin, coalescing, failure state."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from agenda.models import BudgetYear, Team
from indicatoren.models import Measurement
from rapportage import services
from rapportage.management.commands.budget import euro
from rapportage.models import IndicatorResult, RecomputeRun, RunState, VerdictChange, Version
from tests.rapportage.engine import rowwise_reserve

pytestmark = pytest.mark.django_db

CODES = ["1a", "1b", "2a-entree", "2a-n2", "2b", "3a", "3b", "3c", "3d", "3e", "4a", "4b", "4c", "5a"]


def command(name, *args) -> str:
    """Run a management command and return what it printed."""
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2022])
def test_agenda_status_gives_every_indicator_a_verdict_with_explanation(rocvaf_demo, year):
    """agenda_status prints, for every indicator and year, a basis and a Dutch explanation."""
    body = json.loads(command("agenda_status", "--year", str(year), "--format", "json"))
    assert body["institution"] == "ROCVAF" and body["year"] == year
    assert [s["indicator"] for s in body["indicators"]] == CODES
    for status in body["indicators"]:
        assert status["basis"] in {"colleges", "institution", "not_met", "monitor", "no_data"}
        assert status["colleges_total"] + status["colleges_not_applicable"] == (0 if status["institution_only"] else 12)
        assert status["explanation"]
        if status["basis"] in {"colleges", "institution", "not_met"}:
            assert status["attained"] is (status["basis"] != "not_met")
            assert status["distance"]
        if not status["institution_only"]:
            assert len(status["colleges"]) == 12
    table = command("agenda_status", "--year", str(year))
    for code in CODES:
        assert f"  {code} " in table


def test_demo_has_the_designed_mix_of_verdicts(rocvaf_demo):
    """2020: via colleges, via the institution fallback, not attained, monitor: all present."""
    body = json.loads(command("agenda_status", "--year", "2020", "--format", "json"))
    basis = {s["indicator"]: s["basis"] for s in body["indicators"]}
    assert basis["1a"] == "colleges"
    assert basis["1b"] == "institution"
    assert basis["3a"] == "not_met"
    assert basis["3c"] == "institution"  # institution-only
    assert basis["4a"] == "monitor"
    exact = {s["indicator"]: (s["colleges_met"], s["colleges_total"]) for s in body["indicators"]}
    # Entree is offered by 10 of the 12 colleges (agenda ch. 7.4, table "Entree"): judged over 10.
    assert exact["2a-entree"] == (8, 10)
    entree = next(s for s in body["indicators"] if s["indicator"] == "2a-entree")
    outside = sorted(c["college"] for c in entree["colleges"] if c["basis"] == "not_applicable")
    assert outside == ["5810", "7110"] and entree["colleges_not_applicable"] == 2
    assert all(c["met"] is None for c in entree["colleges"] if c["basis"] == "not_applicable")
    assert "8 van de 10 colleges" in entree["explanation"] and "2 colleges bieden dit niet aan" in entree["explanation"]


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2022])
def test_budget_command_adds_up_to_the_cent(rocvaf_demo, year):
    """The budget's themes add up to the total, and every college's parts add up exactly."""
    body = json.loads(command("budget", "--year", str(year), "--format", "json"))
    assert body["total_cents"] == 2_800_000_000
    assert sum(t["amount_cents"] for t in body["themes"]) == body["total_cents"]
    for theme in body["themes"]:
        assert theme["central_cents"] + sum(c["amount_cents"] for c in theme["colleges"]) == theme["amount_cents"]
        for c in theme["colleges"]:
            assert c["fixed_cents"] + c["result_dependent_cents"] == c["amount_cents"]
            assert c["released_cents"] + c["reserved_cents"] == c["result_dependent_cents"]
    table = command("budget", "--year", str(year))
    assert "som van de thema's: € 28.000.000,00 (klopt)" in table


def test_release_and_reserve_follow_the_verdicts_of_every_year(rocvaf_demo):
    """The stored budgets of 2019-2022 equal the row-by-row reserve reference on the stored verdicts."""
    years = [2019, 2020, 2021, 2022]
    bodies = {year: json.loads(command("budget", "--year", str(year), "--format", "json")) for year in years}
    statuses = [
        status
        for year in years
        for status in json.loads(command("agenda_status", "--year", str(year), "--format", "json"))["indicators"]
    ]
    expected = rowwise_reserve.reserve(
        statuses=statuses,
        amounts={
            (year, theme["theme"], c["college"]): c["amount_cents"]
            for year, body in bodies.items()
            for theme in body["themes"]
            for c in theme["colleges"]
        },
        result_dependent_pct=dict(
            BudgetYear.objects.filter(institution=rocvaf_demo).values_list("year", "result_dependent_pct")
        ),
        period_end=rocvaf_demo.period_end,
    )
    actual = {
        (year, theme["theme"], c["college"]): {name: c[name] for name in rowwise_reserve.FIELDS}
        for year, body in bodies.items()
        for theme in body["themes"]
        for c in theme["colleges"]
    }
    assert actual == expected
    assert bodies[2022]["not_realised_cents"] == bodies[2022]["reserve_open_cents"]
    assert all(bodies[year]["not_realised_cents"] is None for year in years[:-1])


def test_budget_table_names_each_release_from_reserve_and_what_is_not_realised(rocvaf_demo):
    """The budget table says per college what came free from which year and indicator, and the totals."""
    body = json.loads(command("budget", "--year", "2022", "--format", "json"))
    table = command("budget", "--year", "2022")
    release = next(
        (c, r) for t in body["themes"] for c in t["colleges"] for r in c["reserve_releases"] if c["reserve_releases"]
    )
    college, entry = release
    assert f"uit reserve vrijgegeven {euro(college['released_from_reserve_cents'])}: " in table
    assert f"{entry['indicator']} uit {entry['from_year']} {euro(entry['cents'])}" in table
    assert f"reserve: uit eerdere jaren vrijgegeven in 2022 {euro(body['released_from_reserve_cents'])}" in table
    assert f"niet gerealiseerd na het laatste budgetjaar: {euro(body['not_realised_cents'])}" in table
    assert "niet gerealiseerd na" not in command("budget", "--year", "2021")


def fragile_team(institution, code="1a", year=2022):
    """Return a contributing team whose college holds exactly two-thirds, and the indicator's status."""
    result = IndicatorResult.objects.get(
        institution=institution, indicator__code=code, year=year, version=Version.CURRENT
    )
    status = result.payload
    assert status["basis"] == "colleges" and status["colleges_margin"] == 0
    for college in status["colleges"]:
        needed = (2 * college["teams_total"] + 2) // 3
        if college["met"] and college["teams_contributed"] == needed:
            team = next(t for t in college["teams"] if t["contributed"])
            return Team.objects.get(institution=institution, code=team["team"]), status
    pytest.fail("no college at exactly two-thirds")


def test_changing_one_team_value_in_the_admin_flips_the_verdict_and_logs_it(
    rocvaf_demo, client, django_capture_on_commit_callbacks
):
    """1a 2022 holds with exactly 8 of 12 colleges: one team's value changed in the admin flips it."""
    team, status = fragile_team(rocvaf_demo)
    measurement = Measurement.objects.get(indicator__code="1a", year=2022, team=team)
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin)
    url = f"/admin/indicatoren/measurement/{measurement.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "indicator": measurement.indicator_id,
                "year": 2022,
                "college": measurement.college_id,
                "team": team.pk,
                "value": "5.0",  # far below its reference and the target 7.1
                "n": measurement.n or "",
                "source": "correctie",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).payload
    assert (status["attained"], after["attained"]) == (True, False)
    assert after["colleges_met"] == status["colleges_met"] - 1
    flips = VerdictChange.objects.filter(indicator__code="1a", year=2022)
    assert flips.filter(college__isnull=True, old="behaald", new="niet behaald").exists()
    assert flips.filter(college=team.college, old="gehaald", new="niet gehaald").exists()
    measurement.refresh_from_db()
    assert measurement.value == Decimal("5.0") and measurement.updated_by == admin
    assert measurement.history.count() == 2  # the import and the correction


def test_requests_in_one_transaction_coalesce_into_one_run(rocvaf_demo, django_capture_on_commit_callbacks):
    """Three changes in one transaction give one run with three requests and one recompute."""
    before = RecomputeRun.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for reason in ("a", "b", "c"):
            services.recompute_request(institution=rocvaf_demo, reason=reason)
    # Only the recompute's own enqueue counts: other listeners (the page cache's version bump of
    # issue 16) register theirs in the same transaction.
    enqueues = [c for c in callbacks if getattr(c, "__qualname__", "").startswith("recompute_request.")]
    assert len(enqueues) == 1
    # Run the one enqueue by hand: executing inside the capture would also count the callbacks the
    # recompute itself registers when it finishes (the board-pack notification of issue 14).
    enqueues[0]()
    run = RecomputeRun.objects.order_by("-id").first()
    assert RecomputeRun.objects.count() == before + 1
    assert (run.requests, run.state) == (3, RunState.DONE)
    assert run.reason == "a; b; c"


def test_a_failing_recompute_is_marked_failed_with_the_error(rocvaf_demo, monkeypatch):
    """When the computation raises, the run is stored as failed with the error; results stay."""
    before = IndicatorResult.objects.filter(institution=rocvaf_demo).count()

    def broken(**kwargs):
        raise ValueError("kapotte invoer")

    monkeypatch.setattr(services, "attainment_recompute", broken)
    run = services.recompute_now(institution=rocvaf_demo, reason="test")
    assert run.state == RunState.FAILED
    assert "ValueError: kapotte invoer" in run.error
    assert IndicatorResult.objects.filter(institution=rocvaf_demo).count() == before


def test_a_duplicate_delivery_of_a_finished_run_does_nothing(rocvaf_demo):
    """Running a run that is already done (redelivered message) is a no-op."""
    run = services.recompute_now(institution=rocvaf_demo, reason="test")
    assert run.state == RunState.DONE
    assert services.recompute_run(run_id=run.pk) is None


def test_original_and_current_versions_differ_where_the_herijking_changed_an_ambition(rocvaf_demo):
    """The demo's herijking made 4b 2022 'improve': current has a verdict, original is monitor."""
    current = IndicatorResult.objects.get(indicator__code="4b", year=2022, version=Version.CURRENT).payload
    original = IndicatorResult.objects.get(indicator__code="4b", year=2022, version=Version.ORIGINAL).payload
    assert original["basis"] == "monitor"
    assert current["ambition_type"] == "improve" and current["basis"] != "monitor"


def test_a_herijking_of_shares_and_applicability_from_2021_leaves_2019_2020_as_they_were(rocvaf_demo):
    """domain.md, "The agenda changes over time": a revision takes effect from a year on, never before."""
    from agenda.models import College, Indicator, Theme
    from agenda.services import applicability_revise, theme_share_revise
    from rapportage.selectors import budget_body
    from rapportage.services import recompute_now

    recompute_now(institution=rocvaf_demo, reason="voor")
    before = {year: budget_body(rocvaf_demo, year) for year in (2019, 2020, 2021, 2022)}
    themes = {t.code: t for t in Theme.objects.filter(institution=rocvaf_demo)}
    theme_share_revise(theme=themes["T1"], from_year=2021, budget_share_pct=Decimal("30"), reason="herijking 2020")
    theme_share_revise(theme=themes["T2"], from_year=2021, budget_share_pct=Decimal("20"), reason="herijking 2020")
    entree = Indicator.objects.get(institution=rocvaf_demo, code="2a-entree")
    offering = College.objects.filter(institution=rocvaf_demo).exclude(code__in=["5810", "7110", "5100"])
    applicability_revise(indicator=entree, from_year=2021, colleges=offering, reason="5100 stopt met entree")
    recompute_now(institution=rocvaf_demo, reason="na")

    def theme_amounts(body):
        return {t["theme"]: t["amount_cents"] for t in body["themes"]}

    for year in (2019, 2020):
        assert budget_body(rocvaf_demo, year)["themes"] == before[year]["themes"], year
    for year in (2021, 2022):
        amounts = theme_amounts(budget_body(rocvaf_demo, year))
        assert amounts["T1"] == 30 * 28_000_000_00 // 100 and amounts["T2"] == 20 * 28_000_000_00 // 100
        assert sum(amounts.values()) == 28_000_000_00

    def entree_status(year):
        body = json.loads(command("agenda_status", "--year", str(year), "--format", "json"))
        return next(s for s in body["indicators"] if s["indicator"] == "2a-entree")

    assert entree_status(2020)["colleges_total"] == 10
    later = entree_status(2021)
    assert later["colleges_total"] == 9 and later["colleges_not_applicable"] == 3
    assert next(c for c in later["colleges"] if c["college"] == "5100")["basis"] == "not_applicable"


def test_a_baseline_revised_from_2021_judges_2021_on_and_leaves_2020_as_it_was(rocvaf_demo):
    """A herijking of 3a's baseline (year 2019, value 60) applies from 2021; 2020 keeps the agenda's."""
    from agenda.models import Indicator
    from agenda.services import baseline_revise
    from rapportage.selectors import indicator_status
    from rapportage.services import recompute_now

    recompute_now(institution=rocvaf_demo, reason="voor")
    before = {year: indicator_status(rocvaf_demo, "3a", year) for year in (2020, 2021)}
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="3a")
    baseline_revise(
        indicator=indicator, from_year=2021, baseline_year=2019, baseline_value=Decimal("60"), reason="herijking"
    )
    recompute_now(institution=rocvaf_demo, reason="na")
    assert indicator_status(rocvaf_demo, "3a", 2020) == before[2020]
    after = indicator_status(rocvaf_demo, "3a", 2021)
    assert (after["baseline_year"], after["baseline"]) == (2019, 60)
    assert (before[2021]["baseline_year"], before[2021]["baseline"]) != (2019, 60)
