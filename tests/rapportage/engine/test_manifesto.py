"""The manifesto's checks and the spending account (rapportage/engine/manifesto.py), on edge inputs."""

from decimal import Decimal

import pytest

from rapportage.engine.manifesto import (
    investment_check,
    national_check,
    pct_text,
    period_end,
    result_dependent_check,
    spearhead_check,
    spending_summary,
)


def budget_body(central=0, colleges=(), theme="T1"):
    """Return a stored budget body with one theme and the given college parts."""
    return {
        "themes": [
            {
                "theme": theme,
                "central_cents": central,
                "colleges": [
                    {"college": c, "fixed_cents": f, "released_cents": r, "released_from_reserve_cents": x}
                    for c, f, r, x in colleges
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("promises", "figure", "holds"),
    [
        ([(80_00, True), (20_00, False)], "80,00 %", True),
        ([(7999, True), (2001, False)], "79,99 %", False),
        ([(1, True)], "100,00 %", True),
        ([], "n.v.t.", None),
        ([(0, True), (0, False)], "n.v.t.", None),
    ],
)
def test_spearhead_check_boundaries(promises, figure, holds):
    """80 % exactly holds, 79,99 % does not, and no budget at all is n.v.t. (no division by zero)."""
    check = spearhead_check(promises)
    assert (check.figure, check.holds) == (figure, holds)


@pytest.mark.parametrize(
    ("quality", "lumpsum", "figure", "holds"),
    [
        (10_00, 100_00, "10,00 %", True),
        (9_99, 100_00, "9,99 %", False),
        (10_00, 0, "n.v.t.", None),
        (10_00, None, "n.v.t.", None),
        (0, 100_00, "0,00 %", False),
    ],
)
def test_investment_share_of_lumpsum(quality, lumpsum, figure, holds):
    """The quality budget over the lumpsum is shown against 'doel 10 %'; a zero or missing lumpsum is n.v.t."""
    check = investment_check(quality, lumpsum)
    assert (check.figure, check.holds, check.target) == (figure, holds, "doel 10 %")


def test_national_and_result_dependent_checks():
    """A third exactly holds; 25 % result-dependent holds, 25,01 % does not; no shares is n.v.t."""
    third = national_check([("T1", Decimal("33.34"), True), ("T2", Decimal("66.66"), False)])
    assert (third.figure, third.holds) == ("33,34 %", True)
    assert national_check([("T1", Decimal("33.33"), True), ("T2", Decimal("66.67"), False)]).holds is False
    assert national_check([]).figure == "n.v.t."
    assert result_dependent_check(Decimal(25)).holds is True
    assert result_dependent_check(Decimal("25.01")).holds is False
    assert pct_text(1, 3) == "33,33 %" and pct_text(2, 3) == "66,67 %"


def test_totals_add_up_to_the_cent_with_odd_cents():
    """Every subtotal and the year's total are the sums of the rows shown, odd cents included."""
    body = budget_body(central=33_33, colleges=[("5100", 101_01, 7, 3), ("5200", 99_99, 1, 0)])
    spendings = [
        {"year": 2020, "theme": "T1", "college": "5100", "measure": None, "cents": 33_333},
        {"year": 2020, "theme": "T1", "college": None, "measure": None, "cents": 1},
        {"year": 2020, "theme": "T2", "college": "5200", "measure": 9, "cents": 77},
        {"year": 2019, "theme": "T1", "college": "5100", "measure": None, "cents": 5},
    ]
    measures = [{"id": 9, "title": "M", "theme": "T2", "college": "5200", "planned_cents": 50}]
    summary = spending_summary(2020, ["T1", "T2"], body, measures, spendings)
    rows = [row for theme in summary.themes for row in theme.rows]
    total = summary.total
    assert total.allocated_cents == 33_33 + 101_01 + 7 + 3 + 99_99 + 1
    assert total.realised_cents == 33_333 + 1 + 77
    assert total.planned_cents == 50
    assert total.difference_cents == sum(row.difference_cents for row in rows)
    assert sum(theme.total.realised_cents for theme in summary.themes) == total.realised_cents
    assert [r.college for r in summary.themes[0].rows] == [None, "5100", "5200"]


def test_overspending_is_marked_and_a_theme_without_measures_is_listed():
    """Realised above the allocation is 'overschreden'; a theme with no measures shows planned 0."""
    body = budget_body(colleges=[("5100", 100, 0, 0)])
    spendings = [{"year": 2021, "theme": "T1", "college": "5100", "measure": 1, "cents": 101}]
    measures = [{"id": 1, "title": "M", "theme": "T1", "college": "5100", "planned_cents": 100}]
    summary = spending_summary(2021, ["T1", "T2"], body, measures, spendings)
    row = summary.themes[0].rows[0]
    assert (row.overspent, row.status, row.difference_cents) == (True, "overschreden", -1)
    assert summary.measures[0].overspent
    empty = summary.themes[1]
    assert (empty.theme, empty.rows, empty.total.planned_cents) == ("T2", [], 0)


def test_zero_budget_and_no_budget_at_all():
    """A zero or missing budget gives zero allocations, and any spending is overspent."""
    spendings = [{"year": 2019, "theme": "T1", "college": None, "measure": None, "cents": 1}]
    summary = spending_summary(2019, ["T1"], None, [], spendings)
    assert summary.total.allocated_cents == 0 and summary.total.overspent
    zero = spending_summary(2019, ["T1"], budget_body(colleges=[("5100", 0, 0, 0)]), [], [])
    assert zero.total.allocated_cents == 0 and not zero.total.overspent


def test_period_end_reports_what_stays_available_for_the_mbo_sector():
    """Unspent allocation over the period plus the unreleased reserve stays available; an overspent unit adds nothing."""
    years = [
        spending_summary(
            2021,
            ["T1"],
            budget_body(colleges=[("5100", 100, 0, 0), ("5200", 100, 0, 0)]),
            [],
            [
                {"year": 2021, "theme": "T1", "college": "5100", "measure": None, "cents": 40},
                {"year": 2021, "theme": "T1", "college": "5200", "measure": None, "cents": 150},
            ],
        ),
        spending_summary(2022, ["T1"], budget_body(colleges=[("5100", 10, 0, 0)]), [], []),
    ]
    result = period_end(years, {"T1": 7})
    assert result.rows == [
        {
            "theme": "T1",
            "allocated_cents": 210,
            "realised_cents": 190,
            "unspent_cents": 70,
            "reserve_cents": 7,
            "available_cents": 77,
        }
    ]
    assert result.available_cents == 77
