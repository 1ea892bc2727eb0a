"""What a team needs to contribute (issue 15, item 1): the engine's step 2 solved for the team value."""

from decimal import Decimal

import pytest

from rapportage.engine import words
from rapportage.engine.attainment import TeamNeed, team_contributes, team_needed
from tests.rapportage.engine.scenario import Scenario, dec

D = Decimal
STEP = D("0.000001")  # one engine unit: the smallest difference a stored value can make

# kind, d, reference, target, baseline b, tolerance -> needed value, strict
CASES = [
    # target, higher is better: gain T - b over the reference, or be at T, whichever is lower.
    ("target", 1, D("6.5"), D("6.6"), D("6.5"), None, D("6.6"), False),  # JUR: r + 0,1 = 6,6 = T
    ("target", 1, D("6.1"), D("6.6"), D("6.5"), None, D("6.2"), False),  # ENT: r + 0,1 = 6,2 < T
    ("target", 1, D("7.0"), D("6.6"), D("6.5"), None, D("6.6"), False),  # already above T: T
    ("target", 1, D("60"), D("70"), D("65"), None, D("65"), False),
    # target, lower is better (vsv): lose b - T, or be at most T.
    ("target", -1, D("8"), D("5"), D("6"), None, D("7"), False),
    ("target", -1, D("4"), D("5"), D("6"), None, D("5"), False),
    # target without a reference or without b: only "at the target" is known.
    ("target", 1, None, D("6.6"), D("6.5"), None, D("6.6"), False),
    ("target", 1, D("6.1"), D("6.6"), None, None, D("6.6"), False),
    ("target", -1, None, D("5"), D("6"), None, D("5"), False),
    # improve: strictly better than the reference.
    ("improve", 1, D("6.5"), None, D("6.4"), None, D("6.5"), True),
    ("improve", -1, D("12.25"), None, D("11"), None, D("12.25"), True),
    # maintain: at most tol worse than the reference.
    ("maintain", 1, D("77.5"), None, D("76"), D("1.5"), D("76"), False),
    ("maintain", 1, D("77.5"), None, D("76"), None, D("77.5"), False),
    ("maintain", -1, D("20"), None, D("19"), D("0.5"), D("20.5"), False),
]


@pytest.mark.parametrize(("kind", "d", "reference", "target", "b", "tol", "value", "strict"), CASES)
def test_needed_value_per_ambition_type_and_polarity(kind, d, reference, target, b, tol, value, strict):
    """The needed value is step 2 solved for the team value, for every ambition type and polarity."""
    need = team_needed(kind, d, reference, target, b, tol)
    assert need == TeamNeed(value=value, strict=strict, d=d)


@pytest.mark.parametrize(("kind", "d", "reference", "target", "b", "tol", "value", "strict"), CASES)
def test_exactly_the_needed_value_contributes_one_step_short_does_not(
    kind, d, reference, target, b, tol, value, strict
):
    """At the needed value a team contributes by the engine's own test, one unit short it does not."""
    need = team_needed(kind, d, reference, target, b, tol)

    def engine(v):
        return team_contributes(kind, d, v, reference, target, b, tol)

    # For improve the bar itself is not enough (strictly better): one unit beyond it is.
    first = value + d * STEP if strict else value
    assert engine(first) is True and need.met_by(first)
    assert engine(first - d * STEP) is False and not need.met_by(first - d * STEP)
    assert engine(first + d * D(5)) is True


@pytest.mark.parametrize(
    ("kind", "reference", "target"),
    [("improve", None, None), ("maintain", None, None), ("target", D("6"), None), ("monitor", D("6"), D("7"))],
)
def test_needed_is_unknown_where_the_verdict_is(kind, reference, target):
    """Without a reference (improve, maintain), a target or an ambition, nothing can be needed."""
    assert team_needed(kind, 1, reference, target, D("6"), None) is None
    assert team_contributes(kind, 1, D("7"), reference, target, D("6"), None) is None


def test_recompute_gives_every_judged_team_its_needed_value():
    """The recompute's `needed` column equals team_needed for each team, and the verdict agrees with it."""
    s = Scenario(baseline_value="6.5").ambition(2020, "target", target="6.6")
    s.team(1, 1, {2017: "6.5", 2020: "6.55"})  # JUR-like: needs 6,6, has 6,55
    s.team(1, 2, {2017: "6.1", 2020: "6.7"})  # ENT-like: needs 6,2
    s.college_value(1, 2017, "6.0")
    s.team(1, 3, {2020: "6.0"})  # new team: the college's 6,0 is its reference, needs 6,1
    _, att = s.judge()
    teams = att.teams.set_index("team")
    assert {t: dec(teams.loc[t, "needed"]) for t in teams.index} == {1: D("6.6"), 2: D("6.2"), 3: D("6.1")}
    assert not teams["needed_strict"].any()
    for team, row in teams.iterrows():
        need = team_needed("target", 1, dec(row["reference"]), D("6.6"), D("6.5"))
        assert need.value == dec(row["needed"])
        assert need.met_by(dec(row["value"])) == bool(row["contributed"]), team
    college = att.colleges.iloc[0]
    assert dec(college["teams_reference"]) == D("6.0")


@pytest.mark.parametrize(
    ("need", "value", "hint"),
    [
        (TeamNeed(D("6.6"), False, 1), D("6.5"), "ref. 6,5 · nodig ≥ 6,6 · nog 0,1 nodig"),
        (TeamNeed(D("6.6"), False, 1), D("6.6"), "ref. 6,5 · nodig ≥ 6,6 · draagt bij"),
        (TeamNeed(D("6.6"), False, 1), None, "ref. 6,5 · nodig ≥ 6,6 · nog geen waarde"),
        (TeamNeed(D("7"), False, -1), D("7.3"), "ref. 6,5 · nodig ≤ 7 · nog 0,3 nodig"),
        (TeamNeed(D("6.5"), True, 1), D("6.5"), "ref. 6,5 · nodig > 6,5 · nog een verbetering nodig"),
        (TeamNeed(D("6.5"), True, 1), D("6.4"), "ref. 6,5 · nodig > 6,5 · nog meer dan 0,1 nodig"),
        (TeamNeed(D("6.5"), True, -1), D("6.4"), "ref. 6,5 · nodig < 6,5 · draagt bij"),
    ],
)
def test_grid_hint_phrases_the_need(need, value, hint):
    """The grid's compact line: reference, the needed value with its comparison, and how far."""
    assert words.team_hint(D("6.5"), need, value) == hint


def test_rule_sentence_explains_the_target_rule_with_the_numbers():
    """The plain-Dutch rule names the gain T - b, the target and the resulting bar."""
    need = team_needed("target", 1, D("6.1"), D("6.6"), D("6.5"))
    text = words.rule_sentence("target", 1, D("6.1"), D("6.6"), D("6.5"), None, need)
    assert "minstens 0,1 beter" in text and "streefcijfer 6,6 min nulmeting 6,5" in text
    assert text.endswith("nodig ≥ 6,2.")
