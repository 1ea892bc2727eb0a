"""team_flips, budget_changes and verdict_signature: what the change log adds beside verdict_flips (issue 15, item 3)."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapportage.engine.changes import budget_changes, team_flips, theme_amounts, verdict_signature
from rapportage.engine.payload import verdict_flips


def status(teams, year=2022, code="1a", college="5100"):
    """Return a minimal STATUS body with one college and its teams ({code: contributed})."""
    return {
        "indicator": code,
        "year": year,
        "colleges": [{"college": college, "teams": [{"team": t, "contributed": c} for t, c in teams.items()]}],
    }


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([status({"5100-JUR": False})], [status({"5100-JUR": False})], []),
        ([status({"5100-JUR": False})], [status({"5100-JUR": True})], [("1a", 2022, "5100", "5100-JUR", False, True)]),
        ([status({"5100-JUR": None})], [status({"5100-JUR": True})], [("1a", 2022, "5100", "5100-JUR", None, True)]),
        ([status({"5100-JUR": True})], [status({"5100-JUR": True, "5100-NEW": False})], []),  # a new team
        ([], [status({"5100-JUR": True})], []),  # a new year
        ([status({"5100-JUR": True}, year=2021)], [status({"5100-JUR": False}, year=2022)], []),  # other year
        ([status({"5100-JUR": True}, code="1b")], [status({"5100-JUR": False})], []),  # other indicator
    ],
)
def test_a_team_flip_is_a_contribution_that_existed_and_changed(before, after, expected):
    """Teams are compared per indicator, year, college and team; a team judged for the first time is no flip."""
    flips = team_flips(before, after)
    assert [(f["indicator"], f["year"], f["college"], f["team"], f["old"], f["new"]) for f in flips] == expected


def body(year, released, reserved, from_reserve=0, theme="T1"):
    """Return a minimal budget body: one theme with two colleges splitting the amounts."""
    return {
        "year": year,
        "themes": [
            {
                "theme": theme,
                "released_from_reserve_cents": from_reserve,
                "colleges": [
                    {"released_cents": released - released // 2, "reserved_cents": reserved - reserved // 2},
                    {"released_cents": released // 2, "reserved_cents": reserved // 2},
                ],
            }
        ],
    }


def test_theme_amounts_sum_the_colleges_in_cents():
    """A theme's released and reserved amounts are its colleges' sums; the reserve release is the theme's."""
    assert theme_amounts(body(2021, 1001, 999, 7)) == {
        "T1": {"released": 1001, "reserved": 999, "released_from_reserve": 7}
    }


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({2021: body(2021, 100, 50)}, {2021: body(2021, 100, 50)}, []),
        (
            {2021: body(2021, 100, 50)},
            {2021: body(2021, 125, 25)},
            [(2021, "T1", "released", 100, 125), (2021, "T1", "reserved", 50, 25)],
        ),
        ({2022: body(2022, 0, 80, 0)}, {2022: body(2022, 0, 80, 30)}, [(2022, "T1", "released_from_reserve", 0, 30)]),
        ({}, {2021: body(2021, 100, 50)}, []),  # a new budget year
        ({2021: body(2021, 100, 50, theme="T2")}, {2021: body(2021, 1, 149)}, []),  # a new theme
    ],
)
def test_budget_changes_are_theme_amounts_that_moved(before, after, expected):
    """Each moved amount is named by year, theme and kind, with its old and new cents."""
    changes = budget_changes(before, after)
    assert [(c["year"], c["theme"], c["kind"], c["old_cents"], c["new_cents"]) for c in changes] == expected


VERDICTS = st.sampled_from([True, False, None])


@st.composite
def judged_body(draw, colleges=("5100", "5200"), teams=("A", "B", "C")):
    """Return a STATUS body of 1a 2022 with drawn verdicts at every level and drawn values beside them."""
    chosen = draw(st.lists(st.sampled_from(colleges), unique=True, max_size=len(colleges)))
    return {
        "indicator": "1a",
        "name": "Tevredenheid",
        "year": 2022,
        "attained": draw(VERDICTS),
        "colleges_met": draw(st.integers(0, 2)),
        "colleges_total": 2,
        "explanation": "",
        "colleges": [
            {
                "college": college,
                "met": draw(VERDICTS),
                "teams_contributed": 0,
                "teams_total": 0,
                "explanation": "",
                "teams": [
                    {"team": f"{college}-{team}", "contributed": draw(VERDICTS), "value": draw(st.integers(0, 100))}
                    for team in draw(st.lists(st.sampled_from(teams), unique=True))
                ],
            }
            for college in chosen
        ],
    }


@settings(max_examples=300)
@given(before=judged_body(), after=judged_body())
def test_bodies_with_one_verdict_signature_give_no_flip(before, after):
    """The recompute skips reading a replaced body when the signatures agree: then no flip of any level is lost."""
    if verdict_signature(before) == verdict_signature(after):
        assert verdict_flips([before], [after]) == []
        assert team_flips([before], [after]) == []
    else:
        # The signature covers every verdict and nothing else: some verdict or unit differs.
        def skeleton(body):
            return (
                body["attained"],
                [
                    (c["college"], c["met"], [(t["team"], t["contributed"]) for t in c["teams"]])
                    for c in body["colleges"]
                ],
            )

        assert skeleton(before) != skeleton(after)


def test_a_moved_value_keeps_the_signature_and_a_moved_verdict_changes_it():
    """Values, counts and words are not verdicts; the indicator's, a college's and a team's verdict each are."""
    base = {
        "attained": True,
        "colleges": [
            {"college": "5100", "met": True, "teams": [{"team": "5100-JUR", "contributed": True, "value": 1}]}
        ],
    }
    signature = verdict_signature(base)
    moved = copy.deepcopy(base)
    moved["colleges"][0]["teams"][0]["value"] = 2
    moved["colleges_met"] = 9
    assert verdict_signature(moved) == signature
    for path in (("attained",), ("colleges", 0, "met"), ("colleges", 0, "teams", 0, "contributed")):
        flipped = copy.deepcopy(base)
        target = flipped
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = False
        assert verdict_signature(flipped) != signature, path
