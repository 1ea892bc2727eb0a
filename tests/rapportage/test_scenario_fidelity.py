"""One small institution through every rule of issue 11, end to end, against figures worked out by hand.

Teams starting and stopping, a college without the programme (from a herijking in 2021), reserves
released in later years, theme shares revised from 2021, and the agenda file loaded again after
revisions in the application. Every expected verdict and cent below follows from domain.md by
hand (the working is in the comments), not from the engine.

Three colleges 1000, 2000 and 3000, no student numbers (equal shares, the lumpsum system), one
budget of EUR 1,000 a year with 25 % result-dependent and no top-slice. I1 (theme T1) and I2 (T2)
are percentages, higher is better, baseline 2019 at 50, "improve" every year: a team contributed
when it beat its own 2019 value (every 2019 value is 50).
"""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agenda.models import College, Indicator, Institution, Team, Theme
from agenda.services import ambition_revise, applicability_revise, team_update, theme_share_revise
from rapportage.selectors import budget_body, indicator_status
from rapportage.services import recompute_now

pytestmark = pytest.mark.django_db

AGENDA = """
institution: {code: SCN, name: Scenario-instelling}
period: {start: 2019, end: 2022}
colleges:
  - code: "1000"
    name: College Een
    teams:
      - {code: "1000-A", name: Team A}
      - {code: "1000-B", name: Team B}
      - {code: "1000-C", name: Team C}
  - code: "2000"
    name: College Twee
    teams:
      - {code: "2000-A", name: Team A}
      - {code: "2000-B", name: Team B}
  - code: "3000"
    name: College Drie
    teams:
      - {code: "3000-A", name: Team A}
      - {code: "3000-B", name: Team B}
themes:
  - code: T1
    name: Thema een
    national: true
    budget_share_pct: 50
    indicators:
      - code: I1
        name: Indicator een
        unit: percent
        polarity: higher
        levels: [team, college, institution]
        baseline: {year: 2019, value: 50}
        ambitions:
          - {year: 2020, type: improve}
          - {year: 2021, type: improve}
          - {year: 2022, type: improve}
  - code: T2
    name: Thema twee
    national: true
    budget_share_pct: 50
    indicators:
      - code: I2
        name: Indicator twee
        unit: percent
        polarity: higher
        levels: [team, college, institution]
        baseline: {year: 2019, value: 50}
        ambitions:
          - {year: 2020, type: improve}
          - {year: 2021, type: improve}
          - {year: 2022, type: improve}
budget:
  - {year: 2020, total_eur: 1000, result_dependent_pct: 25, central_pct: 0}
  - {year: 2021, total_eur: 1000, result_dependent_pct: 25, central_pct: 0}
  - {year: 2022, total_eur: 1000, result_dependent_pct: 25, central_pct: 0}
"""

# (indicator, team): values 2019, 2020, 2021, 2022 (None: no value).
VALUES = {
    ("I1", "1000-A"): (50, 60, 40, 60),
    ("I1", "1000-B"): (50, 40, 60, 60),
    ("I1", "1000-C"): (50, 60, 60, None),  # 2021 delivered before the team was ended after 2020
    ("I1", "2000-A"): (50, 60, 60, 40),
    ("I1", "2000-B"): (50, 40, 60, 60),
    ("I1", "3000-A"): (50, 60, 40, 60),
    ("I1", "3000-B"): (50, 60, 40, 40),
    ("I2", "1000-A"): (50, 60, 60, 60),
    ("I2", "1000-B"): (50, 60, 40, 60),
    ("I2", "2000-A"): (50, 40, 60, 60),
    ("I2", "2000-B"): (50, 40, 60, 60),
    ("I2", "3000-A"): (50, 90, 90, 90),  # 3000 stops offering I2's programme from 2021
}


@pytest.fixture
def scenario(tmp_path) -> Institution:
    """Load the file and the data, then make the application's changes of the herijking."""
    agenda = tmp_path / "scenario.yaml"
    agenda.write_text(AGENDA, encoding="utf-8")
    call_command("load_agenda", str(agenda), stdout=io.StringIO())
    lines = ["jaar;indicator;college;team;waarde;n"]
    for (code, team), values in VALUES.items():
        lines += [f"{year};{code};;{team};{v};" for year, v in zip(range(2019, 2023), values, strict=True) if v]
    data = tmp_path / "data.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # 3000-A's I2 jumps from 50 to 90 % in 2020: far from its own history, so the import asks a note
    # (domain.md, Plausibility); its file-mates do not vouch for it.
    call_command("import_benchmark", str(data), "--note", "scenario: bewuste sprong", stdout=io.StringIO())
    institution = Institution.objects.get(code="SCN")
    team = Team.objects.get(code="1000-C")
    team_update(team=team, name=team.name, active_until=2020)
    themes = {t.code: t for t in Theme.objects.filter(institution=institution)}
    theme_share_revise(theme=themes["T1"], from_year=2021, budget_share_pct=70, reason="herijking 2020")
    theme_share_revise(theme=themes["T2"], from_year=2021, budget_share_pct=30, reason="herijking 2020")
    applicability_revise(
        indicator=Indicator.objects.get(institution=institution, code="I2"),
        from_year=2021,
        colleges=College.objects.filter(institution=institution, code__in=["1000", "2000"]),
        reason="3000 stopt met de opleiding",
    )
    recompute_now(institution=institution, reason="scenario")
    return institution


def verdict(institution, code, year):
    status = indicator_status(institution, code, year)
    colleges = {
        c["college"]: (c["met"], c["basis"], c["teams_contributed"], c["teams_total"]) for c in status["colleges"]
    }
    return status["attained"], status["basis"], status["colleges_met"], status["colleges_total"], colleges


def test_verdicts_follow_team_activity_and_applicability(scenario):
    # I1 2020: 1000 2 of 3 teams (A, C beat 50): met; 2000 1 of 2: not; 3000 2 of 2: met. 2 of 3 colleges.
    assert verdict(scenario, "I1", 2020)[:4] == (True, "colleges", 2, 3)
    # I1 2021: team C is not active, so 1000 is 1 of 2 (B): not met (with C it would be 2 of 3).
    # 2000 2 of 2: met; 3000 0 of 2. Institution: colleges 1000 = (40+60)/2 = 50, 2000 = 60,
    # 3000 = 40, mean 50: not above 50, so not attained (with C counted: 51,11..., attained).
    attained, basis, met, total, colleges = verdict(scenario, "I1", 2021)
    assert (attained, basis, met, total) == (False, "not_met", 1, 3)
    assert colleges["1000"] == (False, "teams", 1, 2)
    # I1 2022: 1000 2 of 2; 2000 1 of 2; 3000 1 of 2: 1 of 3. Institution (60 + 50 + 50) / 3 = 53,33 > 50.
    assert verdict(scenario, "I1", 2022)[:4] == (True, "institution", 1, 3)
    # I2 2020: I2 still applies to 3000 (the herijking is from 2021): 1000 2/2, 2000 0/2, 3000 1/1.
    assert verdict(scenario, "I2", 2020)[:4] == (True, "colleges", 2, 3)
    # I2 2021: 3000 not applicable (listed, not counted); 1000 1 of 2, 2000 2 of 2: 1 of 2 colleges.
    # Institution over 1000 and 2000 only: (50 + 60) / 2 = 55 > 50: attained via the institution.
    attained, basis, met, total, colleges = verdict(scenario, "I2", 2021)
    assert (attained, basis, met, total) == (True, "institution", 1, 2)
    assert colleges["3000"] == (None, "not_applicable", 0, 0)
    assert indicator_status(scenario, "I2", 2021)["institution_value"] == 55
    # I2 2022: 1000 and 2000 both 2 of 2: 2 of 2 colleges.
    assert verdict(scenario, "I2", 2022)[:4] == (True, "colleges", 2, 2)


def parts(institution, year) -> dict:
    """Return {(theme, college): (amount, released, reserved, released from reserve, open, not realised)}."""
    body = budget_body(institution, year)
    return {
        (t["theme"], c["college"]): (
            c["amount_cents"],
            c["released_cents"],
            c["reserved_cents"],
            c["released_from_reserve_cents"],
            c["reserve_open_cents"],
            c.get("not_realised_cents"),
        )
        for t in body["themes"]
        for c in t["colleges"]
    }


def test_budget_shares_portions_and_the_reserve_to_the_cent(scenario):
    # 2020: T1 and T2 EUR 500 each; thirds by largest remainder: 166,67 / 166,67 / 166,66 (ties to
    # the smaller code). R = floor(25 %): 41,66 each. I1: 1000 and 3000 met, 2000 reserves 41,66.
    # T2: I2 applies to all three in 2020; 1000 and 3000 met, 2000 reserves.
    assert parts(scenario, 2020) == {
        ("T1", "1000"): (16667, 4166, 0, 0, 0, None),
        ("T1", "2000"): (16667, 0, 4166, 0, 4166, None),
        ("T1", "3000"): (16666, 4166, 0, 0, 0, None),
        ("T2", "1000"): (16667, 4166, 0, 0, 0, None),
        ("T2", "2000"): (16667, 0, 4166, 0, 4166, None),
        ("T2", "3000"): (16666, 4166, 0, 0, 0, None),
    }
    # 2021: shares 70/30 from the herijking. T1 EUR 700: 233,34 / 233,33 / 233,33; R = 58,33 each.
    # I1: only 2000 met: it gets its 58,33 and the 41,66 reserved in 2020; 1000 and 3000 reserve.
    # T2 EUR 300: 100 each; I2 no longer applies to 3000 (K = 0: all fixed). 2000 met: 25,00 and
    # its 41,66 from 2020; 1000 reserves 25,00.
    assert parts(scenario, 2021) == {
        ("T1", "1000"): (23334, 0, 5833, 0, 5833, None),
        ("T1", "2000"): (23333, 5833, 0, 4166, 0, None),
        ("T1", "3000"): (23333, 0, 5833, 0, 5833, None),
        ("T2", "1000"): (10000, 0, 2500, 0, 2500, None),
        ("T2", "2000"): (10000, 2500, 0, 4166, 0, None),
        ("T2", "3000"): (10000, 0, 0, 0, 0, None),
    }
    # 2022, the period's last budget year: I1 met by 1000 only: its 58,33 and 2021's 58,33 from
    # reserve; 2000 and 3000 reserve 58,33, and 3000 still has 2021's open: not realised.
    # I2 met by 1000 and 2000: 1000 also gets 2021's 25,00 back.
    assert parts(scenario, 2022) == {
        ("T1", "1000"): (23334, 5833, 0, 5833, 0, 0),
        ("T1", "2000"): (23333, 0, 5833, 0, 5833, 5833),
        ("T1", "3000"): (23333, 0, 5833, 0, 11666, 11666),
        ("T2", "1000"): (10000, 2500, 0, 2500, 0, 0),
        ("T2", "2000"): (10000, 2500, 0, 0, 0, 0),
        ("T2", "3000"): (10000, 0, 0, 0, 0, 0),
    }
    for year in (2020, 2021, 2022):
        body = budget_body(scenario, year)
        assert sum(t["amount_cents"] for t in body["themes"]) == body["total_cents"] == 100000


def test_loading_the_file_again_names_the_applications_changes_and_changes_nothing(scenario, tmp_path):
    indicator = Indicator.objects.get(institution=scenario, code="I1")
    ambition_revise(indicator=indicator, year=2022, type="target", target=55, reason="herijking 2020")
    recompute_now(institution=scenario, reason="herijking")
    # I1 2022 with a target of 55: colleges 1000 (2 of 2 at 60), 2000 (1 of 2), 3000 (1 of 2):
    # 1 of 3; the institution's 53,33 is below 55: not attained.
    assert verdict(scenario, "I1", 2022)[:2] == (False, "not_met")
    before = [indicator_status(scenario, code, year) for code in ("I1", "I2") for year in range(2019, 2023)]
    agenda = tmp_path / "again.yaml"
    agenda.write_text(AGENDA, encoding="utf-8")
    with pytest.raises(CommandError) as conflict:
        call_command("load_agenda", str(agenda), stdout=io.StringIO())
    message = str(conflict.value)
    assert "I1" in message and "2022" in message and "1000-C" in message
    recompute_now(institution=scenario, reason="na de poging")
    after = [indicator_status(scenario, code, year) for code in ("I1", "I2") for year in range(2019, 2023)]
    assert [(s["attained"], s["basis"]) for s in after] == [(s["attained"], s["basis"]) for s in before]
    assert Team.objects.get(code="1000-C").active_until == 2020
