"""team_flips and budget_changes: what the change log adds beside verdict_flips (issue 15, item 3)."""

import pytest

from rapportage.engine.changes import budget_changes, team_flips, theme_amounts


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
