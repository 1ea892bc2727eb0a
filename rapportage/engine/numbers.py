"""Exact numbers for the engine: values are integers scaled by SCALE, never binary floats.

domain.md ("compare decimals exactly") and style.md ("Numbers"): 6.9 - 6.7 must be exactly
0.2. Stored values have at most 6 decimals, so scaling by 10**6 keeps them exact; an
aggregated mean is the exact weighted mean rounded half-to-even to 6 decimals.
"""

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

SCALE = 10**6
DECIMALS = 6
_QUANTUM = Decimal(1).scaleb(-DECIMALS)


def to_units(value) -> int | None:
    """Return `value` (Decimal, int or numeric string) as scaled integer units."""
    if value is None:
        return None
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    scaled = dec.scaleb(DECIMALS)
    if scaled != scaled.to_integral_value():
        # More than 6 decimals would be silently rounded: refuse instead (contracts: exact values).
        raise ValueError(f"{value} has more than {DECIMALS} decimals")
    return int(scaled)


def to_decimal(units) -> Decimal | None:
    """Return scaled integer units as a Decimal without trailing zeros."""
    if units is None or pd.isna(units):
        return None
    dec = Decimal(int(units)).scaleb(-DECIMALS).quantize(_QUANTUM)
    normal = dec.normalize()
    # normalize() turns 100 into 1E+2; keep a plain exponent of at most 0.
    return normal if normal.as_tuple().exponent <= 0 else normal.quantize(Decimal(1))


def div_round_half_even(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Return num / den rounded half-to-even, element-wise, for integer arrays with den > 0."""
    num = np.asarray(num)
    den = np.asarray(den)
    if num.dtype == object or den.dtype == object:
        # Python integers (sums beyond int64): numpy has no divmod for them, but // and % work.
        quotient, remainder = num // den, num % den
    else:
        quotient, remainder = np.divmod(num, den)
    twice = 2 * remainder
    round_up = (twice > den) | ((twice == den) & (quotient % 2 == 1))
    return quotient + round_up.astype(np.int64)


def decimal_round(value: Decimal) -> Decimal:
    """Return `value` rounded half-to-even to the engine's 6 decimals."""
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
