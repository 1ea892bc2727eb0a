"""verdict_flips: one comparison of STATUS bodies for the change log and the upload dry run."""

import pytest

from rapportage.engine.payload import verdict_flips


def status(attained, colleges=(), year=2020, code="1a", met=8):
    """Return a minimal STATUS body."""
    return {
        "indicator": code,
        "name": "IBM",
        "year": year,
        "attained": attained,
        "colleges_met": met,
        "colleges_total": 12,
        "explanation": f"{met} van de 12",
        "colleges": [
            {"college": c, "met": m, "teams_contributed": 2, "teams_total": 3, "explanation": "x"} for c, m in colleges
        ],
    }


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([status(True)], [status(True)], []),
        ([status(True, met=8)], [status(False, met=7)], [("1a", 2020, None, True, False)]),
        ([status(None)], [status(True)], [("1a", 2020, None, None, True)]),  # monitor became judged
        ([status(True, [("5100", True)])], [status(True, [("5100", False)])], [("1a", 2020, "5100", True, False)]),
        ([], [status(False)], []),  # a new year is not a flip
        ([status(True, year=2019)], [status(False, year=2020)], []),  # different year: not compared
        ([status(True, [("5100", True)])], [status(True, [("5100", True), ("5200", False)])], []),  # new college
    ],
)
def test_only_verdicts_that_existed_and_changed_are_flips(before, after, expected):
    """Indicator and college verdicts are compared per (indicator, year) and college."""
    flips = verdict_flips(before, after)
    assert [(f["indicator"], f["year"], f["college"], f["old"], f["new"]) for f in flips] == expected


def test_a_flip_says_how_many_colleges_or_teams_before_and_after():
    """The details name the counts on both sides."""
    (flip,) = verdict_flips([status(True, met=8)], [status(False, met=7)])
    assert (flip["old_detail"], flip["new_detail"]) == ("8 van 12 colleges", "7 van 12 colleges")
