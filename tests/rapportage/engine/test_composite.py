"""Composite indicators (issue 18, the IBM): the rule of rapportage/engine/composite.py by hand, without a database.

The example. Composite C (id 10) = A (id 1, weight 0.5) + B (id 2, weight 0.3) + D (id 3, weight 0.2).
College 100 has teams 101, 102, 103; college 200 has teams 201, 202.

2020, every component value has an n (value, n):

| team | A        | B        | D        | C plain                       | C by n                                    |
|------|----------|----------|----------|-------------------------------|-------------------------------------------|
| 101  | 80, 10   | 70, 20   | 60, 30   | 40 + 21 + 12 = 73             | w 5, 6, 6: (400+420+360)/17 = 69.411765   |
| 102  | 90, 10   | 60, 10   | 50, 10   | 45 + 18 + 10 = 73             | w 5, 3, 2: 730/10 = 73                    |
| 103  | 70, 20   | 80, 20   | -        | no D: no value (no rule 3 for a team)     |
| 201  | 60, 15   | 50, 15   | 40, 35   | 30 + 15 + 8 = 53              | w 7.5, 4.5, 7: 955/19 = 50.263158         |
| 202  | 70, 5    | 65, 5    | 55, 5    | given 99 wins                 | given 99 wins                             |

Colleges (the components' usual n-weighted aggregates; weight = sum of n):
- 100: A (800+900+1400)/40 = 77.5 (40); B (1400+600+1600)/50 = 72 (50); D (1800+500)/40 = 57.5 (40).
  C plain 38.75 + 21.6 + 11.5 = 71.85; by n w 20, 15, 8: (1550+1080+460)/43 = 3090/43 = 71.860465.
- 200: A (900+350)/20 = 62.5 (20); B (750+325)/20 = 53.75 (20); D (1400+275)/40 = 41.875 (40).
  C plain 31.25 + 16.125 + 8.375 = 55.75; by n w 10, 6, 8: (625+322.5+335)/24 = 53.4375.
  (Rule 2 before rule 3: the teams' composites (53 and 99) are not averaged.)
Institution (components over the colleges, weighted by the colleges' weights; n = their sum):
  A (3100+1250)/60 = 72.5 (60); B (3600+1075)/70 = 66.785714 (70); D (2300+1675)/80 = 49.6875 (80).
  C plain 36.25 + 0.3 * 66.785714 + 9.9375 = 66.2232142 -> 66.223214;
  C by n w 30, 21, 16: (2175 + 21 * 66.785714 + 795)/67 = 4372.499994/67 = 65.2611939 -> 65.261194.

2021: team 101 A 70 (10), B 70 (no n), D 40 (10): 35 + 21 + 8 = 64 with and without n-weighting
(B has no n: plain weights). College 100 has a given C of 65 (wins over 64). College 200: teams 201
and 202 have a given C of 40 and 50 and only 201 has A: a component is missing at the college, so
rule 3: the teams' C, (40 + 50)/2 = 45. The institution has a given C of 60 (wins).
2022: only colleges' given C, 70 (n 10) and 80 (n 30): the institution by rule 3, (700+2400)/40 = 77.5.
"""

from decimal import Decimal

import pandas as pd
import pytest

from rapportage.engine.attainment import aggregate, counted_rows
from rapportage.engine.composite import COMPOSITE_COLUMNS, composite_aggregate, weighted_value
from rapportage.engine.numbers import to_decimal, to_units

A, B, D, C = 1, 2, 3, 10
TEAMS = {101: 100, 102: 100, 103: 100, 201: 200, 202: 200}


def _rows() -> list[tuple]:
    """Return the example's measurements: (indicator, year, level, college, team, value, n)."""
    rows = []

    def team(t, year, indicator, value, n=None):
        rows.append((indicator, year, "team", TEAMS[t], t, value, n))

    for t, values in {
        101: {A: ("80", 10), B: ("70", 20), D: ("60", 30)},
        102: {A: ("90", 10), B: ("60", 10), D: ("50", 10)},
        103: {A: ("70", 20), B: ("80", 20)},
        201: {A: ("60", 15), B: ("50", 15), D: ("40", 35)},
        202: {A: ("70", 5), B: ("65", 5), D: ("55", 5), C: ("99", None)},
    }.items():
        for indicator, (value, n) in values.items():
            team(t, 2020, indicator, value, n)
    team(101, 2021, A, "70", 10)
    team(101, 2021, B, "70")
    team(101, 2021, D, "40", 10)
    team(201, 2021, C, "40")
    team(202, 2021, C, "50")
    team(201, 2021, A, "30", 10)
    rows.append((C, 2021, "college", 100, None, "65", None))
    rows.append((C, 2021, "institution", None, None, "60", None))
    rows.append((C, 2022, "college", 100, None, "70", 10))
    rows.append((C, 2022, "college", 200, None, "80", 30))
    return rows


def measurements(rows) -> pd.DataFrame:
    """Return rows as an engine measurement frame (values in units)."""
    columns = list(zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "indicator": pd.array(columns[0], dtype="int64"),
            "year": pd.array(columns[1], dtype="int64"),
            "level": pd.array(columns[2], dtype="str"),
            "college": pd.array(columns[3], dtype="Int64"),
            "team": pd.array(columns[4], dtype="Int64"),
            "value": pd.array([to_units(v) for v in columns[5]], dtype="Int64"),
            "n": pd.array(columns[6], dtype="Int64"),
        }
    )


def colleges() -> pd.DataFrame:
    """Return the engine's college frame: both colleges active."""
    return pd.DataFrame({"college": [100, 200], "institution": [1, 1], "active": [True, True]})


def composites(weight_by_n: bool) -> pd.DataFrame:
    """Return C's definition: A 0.5, B 0.3, D 0.2."""
    return pd.DataFrame(
        [
            (C, A, to_units("0.5"), weight_by_n),
            (C, B, to_units("0.3"), weight_by_n),
            (C, D, to_units("0.2"), weight_by_n),
        ],
        columns=COMPOSITE_COLUMNS,
    )


def composite_values(weight_by_n: bool) -> dict[tuple, tuple[Decimal | None, bool]]:
    """Return C's value per (level, unit, year) and whether it was computed from its components (rule 2)."""
    result = composite_aggregate(measurements(_rows()), composites(weight_by_n), colleges())
    agg, computed = result.aggregates, result.computed
    unit = {"team": "team", "college": "college", "institution": None}
    marks = {
        (row.level, None if unit[row.level] is None else int(getattr(row, unit[row.level])), int(row.year))
        for row in computed.itertuples()
    }
    values = {}
    for row in agg.teams[agg.teams["indicator"] == C].itertuples():
        key = ("team", int(row.team), int(row.year))
        values[key] = (to_decimal(row.value), key in marks)
    for row in agg.colleges[agg.colleges["indicator"] == C].itertuples():
        key = ("college", int(row.college), int(row.year))
        values[key] = (to_decimal(row.value), key in marks)
        assert bool(row.given) is (key not in marks and (int(row.college), int(row.year)) in GIVEN_COLLEGE)
    for row in agg.institution[agg.institution["indicator"] == C].itertuples():
        key = ("institution", None, int(row.year))
        values[key] = (to_decimal(row.value), key in marks)
        assert bool(row.given) is (int(row.year) == 2021)
    return values


GIVEN_COLLEGE = {(100, 2021), (100, 2022), (200, 2022)}

# (level, unit, year): (plain weights, weighted by n, computed from the components)
EXPECTED = {
    ("team", 101, 2020): ("73", "69.411765", True),
    ("team", 102, 2020): ("73", "73", True),
    ("team", 201, 2020): ("53", "50.263158", True),
    ("team", 202, 2020): ("99", "99", False),  # given wins
    ("college", 100, 2020): ("71.85", "71.860465", True),
    ("college", 200, 2020): ("55.75", "53.4375", True),  # rule 2 before the teams' aggregate
    ("institution", None, 2020): ("66.223214", "65.261194", True),
    ("team", 101, 2021): ("64", "64", True),  # B has no n: plain weights
    ("team", 201, 2021): ("40", "40", False),
    ("team", 202, 2021): ("50", "50", False),
    ("college", 100, 2021): ("65", "65", False),  # given wins over 64
    ("college", 200, 2021): ("45", "45", False),  # rule 3: D and B missing, the teams' C
    ("institution", None, 2021): ("60", "60", False),  # given wins
    ("college", 100, 2022): ("70", "70", False),
    ("college", 200, 2022): ("80", "80", False),
    ("institution", None, 2022): ("77.5", "77.5", False),  # rule 3: the colleges' C weighted by n
}


@pytest.mark.parametrize("weight_by_n", [False, True], ids=["plain", "by_n"])
def test_composite_matches_the_hand_computed_example(weight_by_n):
    """Team, college and institution values of the composite equal the hand-computed ones, exactly."""
    values = composite_values(weight_by_n)
    expected = {
        key: (Decimal(by_n if weight_by_n else plain), computed) for key, (plain, by_n, computed) in EXPECTED.items()
    }
    assert values == expected  # team 103 (no D, no given C) has no composite value at all


def test_components_are_untouched():
    """The components' own aggregates are the usual ones (the composite only adds rows of its own)."""
    frame = measurements(_rows())
    plain = aggregate(frame, counted_rows(frame, colleges()))
    with_composite = composite_aggregate(frame, composites(True), colleges()).aggregates
    for part in ("teams", "colleges", "institution"):
        a = getattr(plain, part)
        b = getattr(with_composite, part)
        pd.testing.assert_frame_equal(
            a[a["indicator"] != C].reset_index(drop=True), b[b["indicator"] != C].reset_index(drop=True)
        )


def test_without_composites_the_result_is_the_plain_aggregate():
    """No composite defined: the frames are exactly those of aggregate(), and nothing is computed."""
    frame = measurements(_rows())
    plain = aggregate(frame, counted_rows(frame, colleges()))
    result = composite_aggregate(frame, pd.DataFrame(columns=COMPOSITE_COLUMNS), colleges())
    for part in ("teams", "colleges", "institution"):
        pd.testing.assert_frame_equal(getattr(plain, part), getattr(result.aggregates, part))
    assert result.computed.empty


def test_a_composite_at_a_college_that_does_not_count_is_not_computed():
    """Only counted rows are used: an inactive college gets no computed value and is not in the institution's."""
    inactive = pd.DataFrame({"college": [100, 200], "institution": [1, 1], "active": [True, False]})
    rows = [r for r in _rows() if r[1] == 2020]
    agg = composite_aggregate(measurements(rows), composites(False), inactive).aggregates
    colleges_c = agg.colleges[agg.colleges["indicator"] == C]
    assert [int(c) for c in colleges_c["college"]] == [100]
    institution = agg.institution[agg.institution["indicator"] == C]
    # Institution components over college 100 only: 77.5, 72, 57.5 -> 71.85.
    assert to_decimal(institution["value"].iloc[0]) == Decimal("71.85")


@pytest.mark.parametrize(
    ("parts", "weight_by_n", "expected"),
    [
        ([("1", "1", None), ("1", "2", None)], False, "1.5"),
        ([("1", "1", 1), ("1", "2", 2)], True, "1.666667"),  # 5/3
        ([("1", "1", 1), ("1", "2", None)], True, "1.5"),  # an n missing: plain weights
        ([("1", "1", 0), ("1", "2", 0)], True, "1.5"),  # n add up to 0: plain weights
        ([("1", "0.000001", None), ("3", "0", None)], False, "0"),  # 0.00000025: down
        ([("3", "0.000001", None), ("1", "0", None)], False, "0.000001"),  # 0.00000075: up
        ([("1", "0.000001", None), ("1", "0.000002", None)], False, "0.000002"),  # 0.0000015: to even
        ([("1", "0.000003", None), ("1", "0.000002", None)], False, "0.000002"),  # 0.0000025: to even
    ],
)
def test_weighted_value_is_exact_and_rounds_half_even(parts, weight_by_n, expected):
    """sum(w*x)/sum(w), with n-weighting only when every part has an n, rounded half-even to 6 decimals."""
    units = [(to_units(w), to_units(x), n) for w, x, n in parts]
    assert to_decimal(weighted_value(units, weight_by_n)) == Decimal(expected)
