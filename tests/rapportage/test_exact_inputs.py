"""Exactness at the edges (issue 11): engine inputs keep every digit the formats accept."""

from decimal import Decimal

import pandas as pd

from rapportage.engine.attainment import AMBITION_COLUMNS
from rapportage.engine.numbers import to_units
from rapportage.selectors import exact_frame

# 9.999.999.999,999999 in units (10**6): past 2**53, where float64 drops the last digits.
HUGE = to_units(Decimal("9999999999.999999"))


def test_a_frame_from_tuples_would_lose_digits_that_exact_frame_keeps():
    rows = [(1, 2020, "target", HUGE, None, False, 1), (1, 2022, "maintain", None, 0, True, 2)]
    lossy = pd.DataFrame(rows, columns=AMBITION_COLUMNS)
    assert lossy["target"].dtype == "float64" and int(lossy["target"][0]) != HUGE, "the bug this guards against"
    frame = exact_frame(rows, AMBITION_COLUMNS, ["int64", "int64", "str", "Int64", "Int64", "boolean", "Int64"])
    assert int(frame["target"][0]) == HUGE and frame["target"].isna().tolist() == [False, True]
    assert frame["tolerance"].isna().tolist() == [True, False]
