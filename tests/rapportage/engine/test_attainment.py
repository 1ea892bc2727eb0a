"""The two-thirds rule (domain.md), case by case, without a database."""

from decimal import Decimal

import pandas as pd
import pytest

from rapportage.engine.attainment import aggregate, ambitions_in_force
from tests.rapportage.engine.scenario import Scenario, colleges_by_teams, colleges_meeting, dec, two_thirds


def improve_with_colleges(met: int, total: int, institution: str | None = None) -> Scenario:
    """Return an improve ambition where `met` of `total` single-team colleges improved."""
    scenario = Scenario().ambition(2020, "improve")
    colleges_meeting(scenario, met, total)
    if institution is not None:
        scenario.institution_value(2017, "6.0").institution_value(2020, institution)
    return scenario


@pytest.mark.parametrize(
    ("met", "total", "basis", "attained"),
    [
        (8, 12, "colleges", True),  # 8 of 12 is exactly two-thirds: meets
        (7, 11, "not_met", False),  # 7 of 11 is short of two-thirds
        (2, 3, "colleges", True),
        (1, 2, "not_met", False),
        (0, 1, "not_met", False),
        (12, 12, "colleges", True),
    ],
)
def test_two_thirds_of_colleges_decides(met, total, basis, attained):
    """An indicator is attained when at least two-thirds of the colleges met (3*met >= 2*total)."""
    # The institution value is pinned at the baseline, so the fallback cannot rescue.
    row = improve_with_colleges(met, total, institution="6.0").verdict()
    assert (row["colleges_met"], row["colleges_total"]) == (met, total)
    assert row["basis"] == basis
    assert bool(row["attained"]) is attained


@pytest.mark.parametrize(
    ("contributed", "teams", "met"),
    [(2, 3, True), (5, 8, False), (6, 9, True), (1, 1, True), (0, 1, False), (3, 5, False), (4, 6, True)],
)
def test_college_meets_when_two_thirds_of_its_teams_contributed(contributed, teams, met):
    """A college meets when 3*contributed >= 2*teams among its teams with a value in Y."""
    scenario = Scenario().ambition(2020, "improve")
    for team in range(teams):
        scenario.team(1, team, {2017: "50", 2020: "55" if team < contributed else "45"})
    _, att = scenario.judge()
    college = att.colleges.iloc[0]
    assert (college["teams_contributed"], college["teams_total"]) == (contributed, teams)
    assert bool(college["met"]) is met
    assert college["basis"] == "teams"


def test_the_margin_over_two_thirds_is_emitted_for_every_combination():
    """teams_margin = contributed - two-thirds of the teams (< 0: short), for 1..30 teams and every count."""
    combos = [(total, contributed) for total in range(1, 31) for contributed in range(total + 1)]
    for (total, contributed), row in colleges_by_teams(combos).items():
        assert (row["teams_total"], row["teams_contributed"]) == (total, contributed)
        margin = contributed - two_thirds(total)
        assert row["teams_margin"] == margin, (total, contributed)
        assert row["teams_needed"] == max(0, -margin)
        assert bool(row["met"]) is (margin >= 0)


def test_teams_without_value_in_the_year_do_not_count():
    """Teams with no value in Y are not in the denominator of the college's two-thirds."""
    scenario = Scenario().ambition(2020, "improve")
    scenario.team(1, 1, {2017: "50", 2020: "55"}).team(1, 2, {2017: "50", 2020: "55"})
    scenario.team(1, 3, {2017: "50"})  # no 2020 value: left out, not a failure
    _, att = scenario.judge()
    college = att.colleges.iloc[0]
    assert (college["teams_contributed"], college["teams_total"], bool(college["met"])) == (2, 2, True)


def test_exact_decimals_not_binary_floats():
    """A team that improved 0.0 -> 0.2 improved exactly as much as 0.7 -> 0.9 requires."""
    # In binary floats 0.2 - 0.0 < 0.9 - 0.7: a float engine would say "did not contribute".
    assert (0.2 - 0.0) < (0.9 - 0.7)
    scenario = Scenario(baseline_value="0.7").ambition(2020, "target", target="0.9")
    scenario.team(1, 1, {2017: "0.0", 2020: "0.2"})
    _, att = scenario.judge()
    assert bool(att.teams.iloc[0]["contributed"]) is True


def test_six_point_nine_minus_six_point_seven_is_exactly_point_two():
    """The institution gap against target 6.9 from 6.7 is exactly 0.2 below, not 0.20000000000000018."""
    scenario = Scenario(baseline_value="6.7").ambition(2020, "target", target="6.9")
    scenario.institution_value(2020, "6.7").team(1, 1, {2017: "6.7", 2020: "6.7"})
    row = scenario.verdict()
    assert dec(row["institution_gap"]) == Decimal("-0.2")
    assert bool(row["institution_met"]) is False


@pytest.mark.parametrize(
    ("kind", "target", "tolerance", "team_from", "team_to", "contributed"),
    [
        ("target", "6.9", "0", "6.5", "6.7", True),  # improved 0.2 = T - b
        ("target", "6.9", "0", "6.5", "6.6", False),  # improved 0.1 < 0.2
        ("target", "6.9", "0", "7.2", "7.0", True),  # got worse but already at the target
        ("target", "6.9", "0", "6.8", "6.85", False),  # neither
        ("improve", None, "0", "50", "50", False),  # equal is not improved (strict)
        ("improve", None, "0", "50", "50.1", True),
        ("maintain", None, "0.5", "50", "49.5", True),  # within tolerance
        ("maintain", None, "0.5", "50", "49.4", False),
        ("maintain", None, "0", "50", "50", True),
    ],
)
def test_team_contribution_per_ambition_type(kind, target, tolerance, team_from, team_to, contributed):
    """Step 2 per ambition type, for higher-is-better (institution baseline 6.7)."""
    scenario = Scenario(baseline_value="6.7").ambition(2020, kind, target=target, tolerance=tolerance)
    scenario.team(1, 1, {2017: team_from, 2020: team_to})
    _, att = scenario.judge()
    assert bool(att.teams.iloc[0]["contributed"]) is contributed


@pytest.mark.parametrize(("team_to", "contributed"), [("6.9", True), ("7.2", True), ("7.3", False), ("6.2", True)])
def test_lower_is_better_maintain_with_tolerance(team_to, contributed):
    """For vsv (lower is better) a team maintains when it rose at most the tolerance (0.5)."""
    scenario = Scenario(polarity=-1, baseline_year=2016, baseline_value="6.7")
    scenario.ambition(2020, "maintain", tolerance="0.5")
    scenario.team(1, 1, {2016: "6.7", 2020: team_to})
    _, att = scenario.judge()
    assert bool(att.teams.iloc[0]["contributed"]) is contributed


def test_lower_is_better_target():
    """For lower-is-better targets, at or below the target counts as at the target."""
    scenario = Scenario(polarity=-1, baseline_value="10").ambition(2020, "target", target="8")
    scenario.institution_value(2020, "8").team(1, 1, {2017: "7", 2020: "7.5"})
    row = scenario.verdict()
    assert bool(row["institution_met"]) is True
    _, att = scenario.judge()
    assert bool(att.teams.iloc[0]["contributed"]) is True  # worse than its reference, but under 8


def test_college_without_data_counts_in_the_denominator():
    """A college with no value at all in Y has not met (basis no_data) and still counts."""
    scenario = Scenario().ambition(2020, "improve")
    colleges_meeting(scenario, 2, 2)
    scenario.college(3)  # no data at all
    scenario.institution_value(2017, "6.0").institution_value(2020, "6.0")
    row = scenario.verdict()
    assert (row["colleges_met"], row["colleges_total"], row["basis"]) == (2, 3, "colleges")
    _, att = scenario.judge()
    empty = att.colleges[att.colleges["college"] == 3].iloc[0]
    assert (empty["basis"], bool(empty["met"])) == ("no_data", False)


def test_inactive_college_is_left_out():
    """Only active colleges count: an inactive college is neither met nor in the denominator."""
    scenario = Scenario().ambition(2020, "improve")
    colleges_meeting(scenario, 1, 1)
    scenario.college(2, active=False).team(2, 200, {2017: "6.0", 2020: "5.0"})
    row = scenario.verdict()
    assert (row["colleges_met"], row["colleges_total"]) == (1, 1)


def test_new_team_uses_the_college_baseline():
    """A team without a value in B is compared with its college's value in B."""
    scenario = Scenario().ambition(2020, "improve")
    scenario.college_value(1, 2017, "60")
    scenario.team(1, 1, {2020: "61"})  # new in 2019: no own baseline
    _, att = scenario.judge()
    team = att.teams.iloc[0]
    assert dec(team["reference"]) == Decimal("60")
    assert bool(team["contributed"]) is True


def test_team_with_neither_baseline_is_listed_and_left_out():
    """A team with no value in B in a college with no value in B is left out and listed."""
    scenario = Scenario().ambition(2020, "improve")
    scenario.team(1, 1, {2020: "61"})
    scenario.team(2, 2, {2017: "50", 2020: "55"})
    _, att = scenario.judge()
    assert list(att.unreferenced["team"]) == [1]
    assert list(att.teams["team"]) == [2]
    college_one = att.colleges[att.colleges["college"] == 1].iloc[0]
    assert college_one["teams_total"] == 0
    # Its teams' aggregate is still a college value in Y: judged as one unit against b.
    assert college_one["basis"] == "college_value"


def test_college_value_without_teams_is_judged_as_one_unit():
    """A college with no team values but a college value in Y is judged with the team test."""
    scenario = Scenario(baseline_value="50").ambition(2020, "maintain", tolerance="1")
    scenario.college_value(1, 2017, "70").college_value(1, 2020, "69.5")  # own reference 70
    scenario.college_value(2, 2020, "48.5")  # no own B value: reference b = 50
    _, att = scenario.judge()
    by_college = att.colleges.set_index("college")
    assert by_college.loc[1, "basis"] == "college_value"
    assert dec(by_college.loc[1, "reference"]) == Decimal("70")
    assert bool(by_college.loc[1, "met"]) is True
    assert dec(by_college.loc[2, "reference"]) == Decimal("50")
    assert bool(by_college.loc[2, "met"]) is False


def test_institution_fallback_rescues_the_indicator():
    """Fewer than two-thirds of colleges, but the institution met: attained (basis institution)."""
    row = improve_with_colleges(1, 3, institution="6.5").verdict()
    assert (row["colleges_met"], row["basis"], bool(row["attained"])) == (1, "institution", True)
    assert row["colleges_needed"] == 1


def test_institution_only_indicator_is_decided_by_step_one():
    """Kwalificatiewinst (3c) is judged on the institution value alone, with no colleges."""
    scenario = Scenario(institution_only=True, baseline_value="20").ambition(2020, "maintain", tolerance="0.5")
    scenario.college(1).institution_value(2020, "19.6")
    _, att = scenario.judge()
    row = att.indicators.iloc[0]
    assert (row["basis"], bool(row["attained"]), row["colleges_total"]) == ("institution", True, 0)
    assert att.colleges.empty
    scenario.rows[-1]["value"] = 19_400_000
    assert scenario.verdict()["basis"] == "not_met"


def test_monitor_indicator_has_no_verdict_but_reports_values():
    """A monitor ambition yields no verdict; met and contributed are null, values are kept."""
    scenario = Scenario().ambition(2020, "monitor")
    scenario.team(1, 1, {2017: "50", 2020: "55"})
    _, att = scenario.judge()
    row = att.indicators.iloc[0]
    assert row["basis"] == "monitor"
    assert row["attained"] is pd.NA and row["institution_met"] is pd.NA
    assert att.colleges.iloc[0]["met"] is pd.NA
    assert att.teams.iloc[0]["contributed"] is pd.NA
    assert dec(att.teams.iloc[0]["value"]) == Decimal("55")


def test_no_data_in_the_year_gives_no_verdict():
    """An indicator with no value anywhere in Y gets basis no_data and no verdict."""
    scenario = Scenario().ambition(2020, "improve").team(1, 1, {2017: "50"})
    row = scenario.verdict()
    assert row["basis"] == "no_data" and pd.isna(row["attained"])


def test_interim_year_is_judged_against_the_next_ambition():
    """2019 has no ambition of its own: it is judged against the 2020 ambition."""
    scenario = (
        Scenario(baseline_value="6.7").ambition(2020, "target", target="6.9").ambition(2022, "target", target="7.1")
    )
    scenario.institution_value(2019, "6.95").institution_value(2021, "7.0")
    _, att = scenario.judge((2019, 2020, 2021, 2022, 2023))
    rows = att.indicators.set_index("year")
    assert rows.loc[2019, "ambition_year"] == 2020 and bool(rows.loc[2019, "institution_met"]) is True
    assert rows.loc[2021, "ambition_year"] == 2022 and bool(rows.loc[2021, "institution_met"]) is False
    assert rows.loc[2023, "basis"] == "monitor"  # no ambition for 2023 or later


def test_ambition_in_force_picks_the_nearest_later_year():
    """The ambition in force is the one set for Y, else the nearest later one."""
    indicators = pd.DataFrame({"indicator": [1]})
    ambitions = pd.DataFrame(
        [
            {
                "indicator": 1,
                "year": y,
                "type": "improve",
                "target": None,
                "tolerance": 0,
                "indicative": False,
                "ambition_id": y,
            }
            for y in (2020, 2022)
        ]
    )
    chosen = ambitions_in_force(indicators, ambitions, [2018, 2020, 2021, 2022, 2023]).set_index("year")
    assert list(chosen["ambition_year"].astype("Int64")) == [2020, 2020, 2022, 2022, pd.NA]


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        ((10, 30), Decimal("75")),  # weighted: (60*10 + 80*30) / 40
        ((None, 30), Decimal("70")),  # one team without n: plain mean
    ],
)
def test_college_value_is_weighted_by_n_only_when_every_team_has_n(ns, expected):
    """The college value is the n-weighted mean when every team has n, else the plain mean."""
    scenario = Scenario()
    scenario.team(1, 1, {2020: "60"}, n=ns[0]).team(1, 2, {2020: "80"}, n=ns[1])
    agg = aggregate(scenario.frames()[0])
    value = dec(agg.colleges.iloc[0]["value"])
    assert value == expected


def test_aggregate_rounds_half_to_even_at_six_decimals():
    """An aggregated mean is exact to 6 decimals: 1/3 becomes 0.333333, 2/3 becomes 0.666667."""
    scenario = Scenario()
    scenario.team(1, 1, {2020: "0"}).team(1, 2, {2020: "0"}).team(1, 3, {2020: "1"})
    scenario.team(2, 4, {2020: "1"}).team(2, 5, {2020: "1"}).team(2, 6, {2020: "0"})
    agg = aggregate(scenario.frames()[0])
    values = {row.college: dec(row.value) for row in agg.colleges.itertuples()}
    assert values == {1: Decimal("0.333333"), 2: Decimal("0.666667")}


def test_given_value_wins_over_the_aggregate():
    """A value given at college or institution level always wins over the teams' mean."""
    scenario = Scenario()
    scenario.team(1, 1, {2020: "60"}, n=10).college_value(1, 2020, "65", n=10)
    scenario.team(2, 2, {2020: "80"}, n=30)
    agg = aggregate(scenario.frames()[0])
    colleges = {row.college: (dec(row.value), row.given) for row in agg.colleges.itertuples()}
    assert colleges == {1: (Decimal("65"), True), 2: (Decimal("80"), False)}
    # Institution: (65*10 + 80*30) / 40 = 76.25 from the colleges' values and weights.
    assert dec(agg.institution.iloc[0]["value"]) == Decimal("76.25")
    scenario.institution_value(2020, "70")
    assert dec(aggregate(scenario.frames()[0]).institution.iloc[0]["value"]) == Decimal("70")


def test_baseline_from_data_when_the_agenda_gives_none():
    """Without a baseline value in the agenda, b is the institution value in the baseline year."""
    scenario = Scenario().ambition(2020, "improve")
    scenario.institution_value(2017, "30").institution_value(2020, "30.1")
    row = scenario.verdict()
    assert dec(row["baseline"]) == Decimal("30")
    assert bool(row["institution_met"]) is True


def test_several_institutions_in_one_call_stay_apart():
    """Two institutions judged together: each indicator counts only its own institution's colleges."""
    a = improve_with_colleges(2, 3, institution="6.0")
    m, ind, amb, col = a.frames()
    m2 = m.copy()
    m2["indicator"] = 2
    m2["college"] = m2["college"] + 100
    m2["team"] = m2["team"] + 1000
    m2.loc[m2["year"] == 2020, "value"] = 5_000_000  # nobody improved in institution 2
    ind2 = ind.assign(indicator=2, institution=2)
    amb2 = amb.assign(indicator=2)
    col2 = col.assign(college=col["college"] + 100, institution=2)
    from rapportage.engine.attainment import evaluate

    _, att = evaluate(
        pd.concat([m, m2]), pd.concat([ind, ind2]), pd.concat([amb, amb2]), pd.concat([col, col2]), [2020]
    )
    rows = att.indicators.set_index("indicator")
    assert (rows.loc[1, "colleges_met"], rows.loc[1, "colleges_total"], rows.loc[1, "basis"]) == (2, 3, "colleges")
    assert (rows.loc[2, "colleges_met"], rows.loc[2, "colleges_total"], rows.loc[2, "basis"]) == (0, 3, "not_met")


# The largest value a measurement can hold (18 digits, 6 decimals): 999999999999.999999.
LARGEST = "999999999999.999999"


@pytest.mark.parametrize(
    ("values", "ns", "expected"),
    [
        # value x n passes 2**62: the Python-integer fallback of the mean crashed (numpy has no divmod for it).
        ((LARGEST, "999999999999.999997"), (1000, 3000), Decimal("999999999999.999998")),
        # 20 unweighted values: their int64 sum overflowed silently (the mean came out as 77662796314.522418).
        ((LARGEST,) * 20, (None,) * 20, Decimal(LARGEST)),
        # Weights of zero only: the plain mean, same overflow.
        ((LARGEST,) * 20, (0,) * 20, Decimal(LARGEST)),
        ((LARGEST, "0"), (None, None), Decimal("500000000000")),  # 499999999999.9999995: half to even
    ],
)
def test_mean_of_the_largest_values_is_exact(values, ns, expected):
    """Means stay exact up to the largest storable value: no int64 overflow and no crash."""
    scenario = Scenario()
    for team, (value, n) in enumerate(zip(values, ns, strict=True)):
        scenario.team(1, team, {2020: value}, n=n)
    agg = aggregate(scenario.frames()[0])
    assert dec(agg.colleges.iloc[0]["value"]) == expected
    assert dec(agg.institution.iloc[0]["value"]) == expected
