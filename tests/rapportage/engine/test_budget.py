"""The budget split of agenda ch. 12 in cents: shares, top-slice, portions, release and reserve."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapportage.engine.budget import (
    IndicatorVerdict,
    Portion,
    ThemeShare,
    budget_verdicts,
    budget_warnings,
    indicator_portions,
    largest_remainder,
    split_budget,
    students_for_year,
)

ROCVAF_THEMES = [
    ThemeShare("T1", Decimal(25)),
    ThemeShare("T2", Decimal(25), national=True),
    ThemeShare("T3", Decimal(25), national=True),
    ThemeShare("T4", Decimal(15), national=True),
    ThemeShare("T5", Decimal(10)),
]


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (
            2_800_000_000,
            {"T1": 25, "T2": 25, "T3": 25, "T4": 15, "T5": 10},
            [700_000_000] * 3 + [420_000_000, 280_000_000],
        ),
        (100, {"a": 1, "b": 1, "c": 1}, [34, 33, 33]),  # tie: the smaller code gets the cent
        (100, {"c": 1, "b": 1, "a": 1}, [33, 33, 34]),  # same, whatever the order given
        (10, {"a": 0, "b": 0}, [5, 5]),  # all zero: equal shares
        (7, {"a": 0, "b": 0, "c": 0}, [3, 2, 2]),
        (5, {"a": 1, "b": 3}, [1, 4]),  # quotas 1.25 / 3.75: the larger remainder gets the cent
        (0, {"a": 1, "b": 2}, [0, 0]),
        (1, {"x": Decimal("33.33"), "y": Decimal("66.67")}, [0, 1]),
    ],
)
def test_largest_remainder(total, weights, expected):
    """Shares are floors plus one cent to the largest remainders, ties to the smaller code."""
    shares = largest_remainder(total, weights)
    assert list(shares.values()) == expected
    assert sum(shares.values()) == total


@pytest.mark.parametrize(
    ("counts", "year", "expected"),
    [({2019: 10, 2020: 20}, 2020, 20), ({2017: 10, 2019: 30}, 2020, 30), ({2021: 5}, 2020, 0), ({}, 2020, 0)],
)
def test_students_for_year_falls_back_to_the_latest_earlier_year(counts, year, expected):
    """Student numbers of Y, else the latest earlier year, else 0."""
    assert students_for_year(counts, year) == expected


def status(code, theme, attained, colleges=None, year=2020, institution_only=False):
    """Return a minimal STATUS body: the verdict and each college's met (code: met, or "n/a": not applicable)."""
    return {
        "indicator": code,
        "theme": theme,
        "year": year,
        "attained": attained,
        "institution_only": institution_only,
        "colleges": [
            {"college": c, "met": None, "basis": "not_applicable"} if met == "n/a" else {"college": c, "met": met}
            for c, met in (colleges or {}).items()
        ],
    }


def verdict(code, theme, met=(), not_applicable=()):
    """Return an IndicatorVerdict: the colleges that met it and those it does not apply to."""
    return IndicatorVerdict(code, theme, frozenset(met), frozenset(not_applicable))


def test_budget_verdicts_list_the_college_level_verdicts_in_code_order():
    """K counts a theme's college-level indicators with a verdict in Y, in plain string order of the codes."""
    statuses = [
        status("I2", "T1", True, {"5100": True, "5200": False}),
        status("I10", "T1", False, {"5100": True, "5200": None, "5300": "n/a"}),
        status("1c", "T1", None, {"5100": None, "5200": None}),  # monitor or no data: not in K
        status("3c", "T1", True, institution_only=True),  # decided by the institution alone: not in K
        status("2b", "T2", False, {"5100": False, "5200": True}),
        status("I2", "T1", True, {"5100": True, "5200": True}, year=2019),  # another year
    ]
    assert budget_verdicts(statuses, 2020) == [
        verdict("2b", "T2", met={"5200"}),
        verdict("I10", "T1", met={"5100"}, not_applicable={"5300"}),
        verdict("I2", "T1", met={"5100"}),
    ]
    assert budget_verdicts(statuses, 2019) == [verdict("I2", "T1", met={"5100", "5200"})]
    assert budget_verdicts(statuses, 2021) == []


@pytest.mark.parametrize(
    ("dependent", "k", "expected"),
    [(187, 3, [63, 62, 62]), (188, 3, [63, 63, 62]), (2, 3, [1, 1, 0]), (0, 2, [0, 0]), (9, 1, [9])],
)
def test_indicator_portions_give_the_first_in_code_order_the_extra_cents(dependent, k, expected):
    """Each of K indicators gets R // K, the first R % K of them one cent more (domain.md, the reserve)."""
    assert indicator_portions(dependent, k) == expected


T1_TWO = [verdict("1a", "T1", met={"5100", "5200"}), verdict("1b", "T1", met={"5100"})]
T2_THREE = [verdict("2a", "T2", met={"5200"}), verdict("2b", "T2", met={"5200"}), verdict("2c", "T2", met={"5200"})]


def rocvaf_split(**overrides):
    """Return a split of EUR 28 mln over two colleges with 3000 and 1000 students."""
    arguments = {
        "year": 2020,
        "total_cents": 2_800_000_000,
        "result_dependent_pct": Decimal(25),
        "central_pct": Decimal(0),
        "themes": ROCVAF_THEMES,
        "colleges": ["5100", "5200"],
        "students": {"5100": {2020: 3000}, "5200": {2019: 1000}},
        "verdicts": T1_TWO + T2_THREE,
    }
    arguments.update(overrides)
    return split_budget(**arguments)


def test_rocvaf_budget_by_theme_and_college():
    """EUR 28 mln: 7 / 7 / 7 / 4.2 / 2.8 mln, colleges 3:1 by student numbers, 25 % result-dependent."""
    split = rocvaf_split()
    themes = {t.theme: t for t in split.themes}
    assert [t.amount_cents for t in split.themes] == [700_000_000] * 3 + [420_000_000, 280_000_000]
    t1 = {c.college: c for c in themes["T1"].colleges}
    assert (t1["5100"].amount_cents, t1["5200"].amount_cents) == (525_000_000, 175_000_000)
    assert t1["5100"].result_dependent_cents == 131_250_000
    assert t1["5100"].released_cents == 131_250_000  # met 2 of K=2
    assert t1["5200"].released_cents == 43_750_000 // 2  # met 1 of 2
    assert (t1["5200"].met, t1["5200"].verdicts) == (1, 2)
    t2 = {c.college: c for c in themes["T2"].colleges}
    assert (t2["5100"].released_cents, t2["5100"].reserved_cents) == (0, 131_250_000)
    # T3 has no verdict-bearing indicators (K = 0): no result-dependent part at all.
    t3 = {c.college: c for c in themes["T3"].colleges}
    assert (t3["5100"].result_dependent_cents, t3["5100"].fixed_cents) == (0, 525_000_000)


def test_k_is_per_college_when_an_indicator_does_not_apply():
    """An indicator that does not apply to a college is left out of that college's K and portions."""
    verdicts = [verdict("1a", "T1", met={"5100"}), verdict("1b", "T1", met={"5200"}, not_applicable={"5100"})]
    split = rocvaf_split(total_cents=1000, themes=[ThemeShare("T1", Decimal(100))], verdicts=verdicts)
    college = {c.college: c for c in split.themes[0].colleges}
    assert (college["5100"].verdicts, college["5100"].met) == (1, 1)
    assert college["5100"].portions == [Portion("1a", 187, True)]  # all of R on the one indicator
    assert (college["5200"].verdicts, college["5200"].met) == (2, 1)
    assert college["5200"].portions == [Portion("1a", 31, False), Portion("1b", 31, True)]


def test_only_not_applicable_indicators_mean_no_result_dependent_part():
    """A college to which none of the theme's judged indicators applies has K = 0: all of it is fixed."""
    verdicts = [verdict("1a", "T1", met={"5200"}, not_applicable={"5100"})]
    split = rocvaf_split(total_cents=1000, themes=[ThemeShare("T1", Decimal(100))], verdicts=verdicts)
    college = {c.college: c for c in split.themes[0].colleges}["5100"]
    assert (college.result_dependent_cents, college.fixed_cents, college.verdicts) == (0, 750, 0)


def test_central_top_slice_is_floored():
    """central = floor(theme amount * central_pct / 100); the colleges share the rest."""
    split = rocvaf_split(total_cents=1001, central_pct=Decimal("2.5"), themes=[ThemeShare("T1", Decimal(100))])
    theme = split.themes[0]
    assert theme.central_cents == 25  # floor(1001 * 2.5 / 100) = floor(25.025)
    assert sum(c.amount_cents for c in theme.colleges) == 976


def test_release_is_the_met_indicators_portions_and_the_rest_reserved():
    """R is split in portions in code order; released is the met ones', reserved the rest."""
    verdicts = [verdict("I1", "T1"), verdict("I10", "T1"), verdict("I2", "T1", met={"5100"})]
    split = rocvaf_split(total_cents=1000, themes=[ThemeShare("T1", Decimal(100))], verdicts=verdicts)
    college = {c.college: c for c in split.themes[0].colleges}["5100"]
    assert college.amount_cents == 750
    assert college.result_dependent_cents == 187  # floor(750 * 25 / 100)
    # "I10" sorts before "I2": the extra cent goes to I1, and I2 gets 62.
    assert college.portions == [Portion("I1", 63, False), Portion("I10", 62, False), Portion("I2", 62, True)]
    assert (college.released_cents, college.reserved_cents) == (62, 125)


def test_no_students_anywhere_gives_equal_shares():
    """With all student numbers zero the colleges get equal shares (lumpsum system)."""
    split = rocvaf_split(students={}, total_cents=101, themes=[ThemeShare("T1", Decimal(100))])
    assert [c.amount_cents for c in split.themes[0].colleges] == [51, 50]


@pytest.mark.parametrize(
    ("themes", "rd", "fragments"),
    [
        (ROCVAF_THEMES, Decimal(25), []),
        ([ThemeShare("T1", Decimal(50)), ThemeShare("T2", Decimal(40), True)], Decimal(25), ["90 %"]),
        ([ThemeShare("T1", Decimal(80)), ThemeShare("T2", Decimal(20), True)], Decimal(25), ["een derde"]),
        (ROCVAF_THEMES, Decimal(30), ["hoogstens 25 %"]),
    ],
)
def test_budget_warnings_name_each_broken_rule(themes, rd, fragments):
    """Shares not 100 %, national themes under a third and over 25 % result-dependent are flagged."""
    warnings = budget_warnings(themes, rd, Decimal(0))
    assert len(warnings) == len(fragments)
    for fragment, warning in zip(fragments, warnings, strict=True):
        assert fragment in warning


@settings(deadline=None)  # max_examples: the Hypothesis profile's (tests/conftest.py)
@given(
    total=st.integers(min_value=0, max_value=10**11),
    shares=st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=6),
    students=st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=14),
    central=st.decimals(min_value=0, max_value=30, places=2),
    rd=st.decimals(min_value=0, max_value=25, places=2),
    k=st.integers(min_value=0, max_value=5),
    data=st.data(),
)
def test_budget_always_adds_up_to_the_cent(total, shares, students, central, rd, k, data):
    """For any input, themes add up to the total and every college's parts add up exactly."""
    themes = [ThemeShare(f"T{i}", share) for i, share in enumerate(shares)]
    colleges = [f"{5000 + i}" for i in range(len(students))]
    subsets = st.sets(st.sampled_from(colleges))
    verdicts = [
        verdict(f"{t.code}-{i}", t.code, met=data.draw(subsets), not_applicable=data.draw(subsets))
        for t in themes
        for i in range(k)
    ]
    split = split_budget(
        year=2020,
        total_cents=total,
        result_dependent_pct=rd,
        central_pct=central,
        themes=themes,
        colleges=colleges,
        students={c: {2020: s} for c, s in zip(colleges, students, strict=True)},
        verdicts=verdicts,
    )
    assert sum(t.amount_cents for t in split.themes) == total
    for theme in split.themes:
        assert theme.central_cents + sum(c.amount_cents for c in theme.colleges) == theme.amount_cents
        for college in theme.colleges:
            assert college.fixed_cents + college.result_dependent_cents == college.amount_cents
            assert college.released_cents + college.reserved_cents == college.result_dependent_cents
            assert sum(p.cents for p in college.portions) == college.result_dependent_cents
            assert min(college.fixed_cents, college.released_cents, college.reserved_cents) >= 0
            assert 4 * college.result_dependent_cents <= college.amount_cents  # at most 25 %
