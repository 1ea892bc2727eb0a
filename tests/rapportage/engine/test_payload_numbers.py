"""Engine units to JSON numbers: the column rule (C loops) equals the per-number rule everywhere."""

from decimal import Decimal

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from rapportage.engine.payload import _number, _numbers

# Units as the engine holds them: up to 18 significant digits (kern.rules.MAX_DIGITS), so both
# sides of 10**15 (where a float stops keeping every digit) and whole and fractional values.
UNITS = st.one_of(
    st.none(),
    st.integers(-(10**18), 10**18),
    st.integers(-(10**7), 10**7).map(lambda whole: whole * 10**6),
    st.sampled_from([0, 10**15, -(10**15), 10**15 - 1, -(10**15) + 1, 10**15 + 500_000, 1, -1]),
)


@given(st.lists(UNITS, max_size=60))
def test_the_column_rule_equals_the_per_number_rule(units):
    """Every number and its type (int, float, Decimal, None) is the same through the column as one by one."""
    column = pd.Series(pd.array(units, dtype="Int64"))
    expected = [_number(u) for u in units]
    got = _numbers(column)
    assert [(type(x), x) for x in got] == [(type(x), x) for x in expected]


def test_the_per_number_rule():
    """Whole units become ints, fractions floats, and 15 digits or more keep every digit."""
    assert _number(None) is None
    assert _number(85_900_000) == 85.9 and isinstance(_number(85_900_000), float)
    assert _number(6_000_000) == 6 and isinstance(_number(6_000_000), int)
    assert _number(123_456_789_012_345_678) == Decimal("123456789012.345678")
