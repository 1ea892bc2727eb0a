"""The two-thirds rule of the agenda (ch. 4.3), vectorised over indicators, years and units.

Pure: frames in, frames out, no Django. Values are integers scaled by numbers.SCALE; the work is
done on numpy int64 arrays with explicit "present" masks (no floats, no per-row Python) and the
results are returned in pandas nullable Int64 / boolean columns so that missing stays missing.
Rows are matched on one int64 key per unit (see `_encode`) rather than on multi-column merges.
The steps follow domain.md, "The two-thirds rule (wijze van vaststellen), precisely".
"""

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from rapportage.engine.numbers import div_round_half_even, to_decimal, to_units

TEAM, COLLEGE, INSTITUTION = "team", "college", "institution"
TARGET, IMPROVE, MAINTAIN, MONITOR = "target", "improve", "maintain", "monitor"
BASIS_COLLEGES, BASIS_INSTITUTION, BASIS_NOT_MET = "colleges", "institution", "not_met"
BASIS_MONITOR, BASIS_NO_DATA = "monitor", "no_data"
BASIS_TEAMS, BASIS_COLLEGE_VALUE = "teams", "college_value"
BASIS_NOT_APPLICABLE = "not_applicable"

MEASUREMENT_COLUMNS = ["indicator", "year", "level", "college", "team", "value", "n"]
INDICATOR_COLUMNS = ["indicator", "institution", "polarity", "institution_only", "baseline_year", "baseline_value"]
AMBITION_COLUMNS = ["indicator", "year", "type", "target", "tolerance", "indicative", "ambition_id"]
COLLEGE_COLUMNS = ["college", "institution", "active"]
# Optional inputs (domain.md, "Which teams and colleges count"): the years a team is active
# (missing bound = open) and the colleges an indicator does not apply to, per year.
TEAM_COLUMNS = ["team", "active_from", "active_until"]
NOT_APPLICABLE_COLUMNS = ["indicator", "year", "college"]
# A baseline revised from a year on (herijking): for an evaluation year, the baseline year B and
# value b in force instead of the indicator's own (value missing = taken from the data).
BASELINE_COLUMNS = ["indicator", "year", "baseline_year", "baseline_value"]

# Python integers never overflow; int64 does, so sums that could pass this bound use Python ints.
_OVERFLOW_GUARD = 2**62
# float64 adds integers exactly while every partial sum stays below 2**53.
_EXACT_FLOAT = 2**52
_KIND_CODES = {TARGET: 0, IMPROVE: 1, MAINTAIN: 2}
_NONE = 3  # monitor, or no ambition in force


@dataclass
class Aggregates:
    """Every unit's value per indicator and year: the given value, else the aggregate."""

    teams: pd.DataFrame  # indicator, year, college, team, value, n, counted (every team row)
    colleges: pd.DataFrame  # indicator, year, college, value, weight, given
    institution: pd.DataFrame  # indicator, year, value, given


@dataclass
class Attainment:
    """Verdicts with everything needed to explain them."""

    indicators: pd.DataFrame  # one row per (indicator, year)
    colleges: pd.DataFrame  # one row per (indicator, year, active college); college-level indicators only
    teams: pd.DataFrame  # one row per judged team (value in Y and a reference)
    unreferenced: pd.DataFrame  # teams with a value in Y but no baseline: left out (domain.md step 2)


# --- exact integer columns -------------------------------------------------------------------


def _ints(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (int64 values with 0 where missing, present mask) of an integer column."""
    present = series.notna().to_numpy(dtype=bool)
    if present.all():
        return series.to_numpy(dtype=np.int64), present
    return series.to_numpy(dtype=np.int64, na_value=0), present


def _int_array(values: np.ndarray, present: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """Return a nullable Int64 array of `values`, missing where not `present`."""
    values = np.asarray(values, dtype=np.int64)
    mask = np.zeros(len(values), dtype=bool) if present is None else ~np.asarray(present, dtype=bool)
    return pd.arrays.IntegerArray(values, mask)


def _bool_array(values: np.ndarray, present: np.ndarray) -> pd.arrays.BooleanArray:
    """Return a nullable boolean array of `values`, missing where not `present`."""
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), ~np.asarray(present, dtype=bool))


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return a * b element-wise, in Python integers when int64 could overflow."""
    if len(a) and int(np.abs(a).max()) * int(np.abs(b).max()) >= _OVERFLOW_GUARD:
        return a.astype(object) * b.astype(object)
    return a * b


# --- keys, lookups and groups ----------------------------------------------------------------


def _encode(*frames: list[np.ndarray]) -> list[np.ndarray]:
    """Return one int64 key per row for each frame (a list of int64 columns), the same encoding for all.

    Mixed radix over each column's range, so equal tuples get equal keys, different tuples
    different keys, and keys sort like the tuples; sparse ids are renumbered densely (in order)
    when the ranges would overflow.
    """
    keys = [np.zeros(len(columns[0]), dtype=np.int64) for columns in frames]
    span = 1
    for j in range(len(frames[0])):
        columns = [np.asarray(frame[j], dtype=np.int64) for frame in frames]
        filled = [c for c in columns if len(c)]
        if not filled:
            continue
        low = min(int(c.min()) for c in filled)
        radix = max(int(c.max()) for c in filled) - low + 1
        if span * radix >= _OVERFLOW_GUARD:
            codes = pd.factorize(np.concatenate(columns), sort=True)[0]
            columns, low, radix = np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), 0, int(codes.max()) + 1
            if span * radix >= _OVERFLOW_GUARD:
                codes = pd.factorize(np.concatenate(keys), sort=True)[0]
                keys, span = np.split(codes, np.cumsum([len(k) for k in keys])[:-1]), int(codes.max()) + 1
        keys = [k * radix + (c - low) for k, c in zip(keys, columns, strict=True)]
        span *= radix
    return keys


def _lookup(table: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Return the position of each query key in `table` (unique keys), -1 where absent."""
    if len(table) == 0 or len(query) == 0:
        return np.full(len(query), -1, dtype=np.int64)
    index = pd.Index(table)
    if not index.is_unique:
        raise ValueError("the same unit occurs twice in one indicator and year")
    return index.get_indexer(query)


def _fetch(values: np.ndarray, at: np.ndarray, present: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (values[at], found) for positions from `_lookup`: 0 and not found where at is -1 or missing."""
    found = at >= 0
    if len(values) == 0:
        return np.zeros(len(at), dtype=values.dtype), np.zeros(len(at), dtype=bool)
    safe = np.where(found, at, 0)
    if present is not None:
        found = found & present[safe]
    return np.where(found, values[safe], 0 if values.dtype != bool else False), found


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (group number of each row, first row of each group), groups numbered by first appearance."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    change = np.empty(len(keys), dtype=bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    if (keys[1:] >= keys[:-1]).all():
        # Sorted input (often the case: rows stored or listed in key order): groups are runs, no hashing.
        return np.cumsum(change) - 1, np.flatnonzero(change)
    codes = pd.factorize(keys)[0]
    # Codes are numbered by first appearance, so a group starts where the running maximum grows.
    running = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(running[1:], running[:-1], out=new[1:])
    return codes, np.flatnonzero(new)


def _sums(codes: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    """Return the exact sum of integer `values` per group (int64, or Python ints beyond int64)."""
    # The bound in float64: an int64 sum of absolute values could itself overflow.
    bound = float(np.abs(values.astype(np.float64)).sum()) if values.dtype != object else float(_OVERFLOW_GUARD)
    if bound < _EXACT_FLOAT:
        return np.bincount(codes, weights=values, minlength=groups).astype(np.int64)
    if bound < _OVERFLOW_GUARD:
        # Sum the low and the high bits apart: each part stays below 2**52, so float64 adds exactly.
        bits = max(11, 52 - len(values).bit_length())
        low = np.bincount(codes, weights=values & ((1 << bits) - 1), minlength=groups).astype(np.int64)
        high = np.bincount(codes, weights=values >> bits, minlength=groups).astype(np.int64)
        return high * (1 << bits) + low
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(groups))
    return np.add.reduceat(values[order].astype(object), starts)


def _positions(ids: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Return the position of each query id in `ids` (unique ids), -1 where absent."""
    return _lookup(np.asarray(ids, dtype=np.int64), np.asarray(query, dtype=np.int64))


# --- aggregation -------------------------------------------------------------------------------


def _mean(codes: np.ndarray, groups: int, value: np.ndarray, weight: np.ndarray, weighted: np.ndarray):
    """Return (mean, weight sum, all weighted) per group: weighted by `weight` when every row has one."""
    count = np.bincount(codes, minlength=groups)
    all_weighted = np.bincount(codes, weights=weighted, minlength=groups).astype(np.int64) == count
    w = np.where(weighted, weight, 0)
    sum_w = _sums(codes, groups, w)
    sum_v = _sums(codes, groups, value)
    sum_wv = _sums(codes, groups, _product(value, w))
    # A total weight of 0 cannot weigh anything: the plain mean then (domain.md).
    use_weights = all_weighted & (np.asarray(sum_w) > 0)
    num = np.where(use_weights, sum_wv, sum_v)
    den = np.where(use_weights, sum_w, count)
    return div_round_half_even(num, den).astype(np.int64), np.asarray(sum_w, dtype=np.int64), all_weighted


def counted_rows(
    measurements: pd.DataFrame,
    colleges: pd.DataFrame,
    teams: pd.DataFrame | None = None,
    not_applicable: pd.DataFrame | None = None,
) -> np.ndarray:
    """Return which measurement rows count in their year (domain.md, "Which teams and colleges count").

    Institution rows always count. A college row counts when its college is active and the
    indicator applies to it in that year; a team row when, besides, the team is active in that
    year (active_from <= Y <= active_until, a missing bound is open; a team not in `teams` is
    active). Rows that do not count are kept and shown, never aggregated or judged.
    """
    m = measurements
    level = m["level"].to_numpy()
    is_team, is_institution = level == TEAM, level == INSTITUTION
    ind = m["indicator"].to_numpy(dtype=np.int64)
    year = m["year"].to_numpy(dtype=np.int64)
    college, has_college = _ints(m["college"])
    col = colleges[COLLEGE_COLUMNS]
    active_ids = col["college"].to_numpy(dtype=np.int64)[col["active"].fillna(False).to_numpy(dtype=bool)]
    college_ok = has_college & (_positions(active_ids, college) >= 0)
    if not_applicable is not None and len(not_applicable):
        na = not_applicable[NOT_APPLICABLE_COLUMNS]
        na_keys, row_keys = _encode(
            [na[c].to_numpy(dtype=np.int64) for c in NOT_APPLICABLE_COLUMNS], [ind, year, college]
        )
        college_ok &= ~(has_college & (_lookup(np.unique(na_keys), row_keys) >= 0))
    team_ok = np.ones(len(m), dtype=bool)
    if teams is not None and len(teams):
        team, has_team = _ints(m["team"])
        at = _positions(teams["team"].to_numpy(dtype=np.int64), team)
        since, since_present = _ints(teams["active_from"])
        until, until_present = _ints(teams["active_until"])
        first, has_first = _fetch(since, at, since_present)
        last, has_last = _fetch(until, at, until_present)
        team_ok = ~has_team | ((~has_first | (first <= year)) & (~has_last | (year <= last)))
    return is_institution | (college_ok & (~is_team | team_ok))


def aggregate(measurements: pd.DataFrame, counted: np.ndarray | None = None) -> Aggregates:
    """Return college and institution values: given values win, else (weighted) means (domain.md).

    Only rows that count (`counted_rows`; all when None) are aggregated; every team row is
    returned, flagged, because a team's own value in the baseline year stays its reference.
    """
    m = measurements
    counted = np.ones(len(m), dtype=bool) if counted is None else np.asarray(counted, dtype=bool)
    level = m["level"].to_numpy()
    is_team, is_institution = (level == TEAM), (level == INSTITUTION)
    is_college = (level == COLLEGE) & counted
    teams = m.loc[is_team, ["indicator", "year", "college", "team", "value", "n"]].reset_index(drop=True)
    teams["counted"] = counted[is_team]
    counting = m.loc[is_team & counted]

    # Colleges: the teams' (weighted) mean per (indicator, year, college), unless given.
    t_ind, t_year = counting["indicator"].to_numpy(dtype=np.int64), counting["year"].to_numpy(dtype=np.int64)
    t_col, t_has_col = _ints(counting["college"])
    t_value = _ints(counting["value"])[0]
    t_n, t_has_n = _ints(counting["n"])
    if not t_has_col.all():
        # A team row without its college cannot be aggregated into one (the database forbids it).
        t_ind, t_year, t_col, t_value, t_n, t_has_n = (
            a[t_has_col] for a in (t_ind, t_year, t_col, t_value, t_n, t_has_n)
        )
    (t_key,) = _encode([t_ind, t_year, t_col])
    codes, first = _groups(t_key)
    mean, sum_n, all_n = _mean(codes, len(first), t_value, t_n, t_has_n)

    given = m.loc[is_college]
    g_ind, g_year = given["indicator"].to_numpy(dtype=np.int64), given["year"].to_numpy(dtype=np.int64)
    g_col = _ints(given["college"])[0]
    g_value = _ints(given["value"])[0]
    g_n, g_has_n = _ints(given["n"])
    a_ind, a_year, a_col = t_ind[first], t_year[first], t_col[first]
    g_key, a_key = _encode([g_ind, g_year, g_col], [a_ind, a_year, a_col])
    at = _lookup(a_key, g_key)  # each given college's team aggregate, if any
    only_teams = np.ones(len(a_key), dtype=bool)
    only_teams[at[at >= 0]] = False
    # A value given at a level always wins; its weight is its own n, else its teams' sum of n.
    c_ind = np.concatenate([g_ind, a_ind[only_teams]])
    c_year = np.concatenate([g_year, a_year[only_teams]])
    c_col = np.concatenate([g_col, a_col[only_teams]])
    c_value = np.concatenate([g_value, mean[only_teams]])
    teams_w, found = _fetch(sum_n, at)
    teams_has_w = _fetch(all_n, at)[0] & found
    c_weight = np.concatenate([np.where(g_has_n, g_n, teams_w), sum_n[only_teams]])
    c_has_weight = np.concatenate([g_has_n | teams_has_w, all_n[only_teams]])
    c_given = np.concatenate([np.ones(len(g_key), dtype=bool), np.zeros(int(only_teams.sum()), dtype=bool)])
    order = np.lexsort((c_col, c_year, c_ind))
    colleges = pd.DataFrame(
        {
            "indicator": c_ind[order],
            "year": c_year[order],
            "college": _int_array(c_col[order]),
            "value": _int_array(c_value[order]),
            "weight": _int_array(c_weight[order], c_has_weight[order]),
            "given": c_given[order],
        }
    )

    # Institution: the colleges' (weighted) mean per (indicator, year), unless given.
    c_ind, c_year, c_value = c_ind[order], c_year[order], c_value[order]
    c_weight, c_has_weight = c_weight[order], c_has_weight[order]
    i_given = m.loc[is_institution]
    gi_ind, gi_year = i_given["indicator"].to_numpy(dtype=np.int64), i_given["year"].to_numpy(dtype=np.int64)
    gi_value = _ints(i_given["value"])[0]
    (ck,) = _encode([c_ind, c_year])
    codes, first = _groups(ck)
    mean, _, _ = _mean(codes, len(first), c_value, c_weight, c_has_weight)
    ai_ind, ai_year = c_ind[first], c_year[first]
    gi_key, ai_key = _encode([gi_ind, gi_year], [ai_ind, ai_year])
    at = _lookup(ai_key, gi_key)
    only_colleges = np.ones(len(ai_key), dtype=bool)
    only_colleges[at[at >= 0]] = False
    i_ind = np.concatenate([gi_ind, ai_ind[only_colleges]])
    i_year = np.concatenate([gi_year, ai_year[only_colleges]])
    i_value = np.concatenate([gi_value, mean[only_colleges]])
    i_given_flag = np.concatenate([np.ones(len(gi_key), dtype=bool), np.zeros(int(only_colleges.sum()), dtype=bool)])
    order = np.lexsort((i_year, i_ind))
    institution = pd.DataFrame(
        {
            "indicator": i_ind[order],
            "year": i_year[order],
            "value": _int_array(i_value[order]),
            "given": i_given_flag[order],
        }
    )
    return Aggregates(teams=teams, colleges=colleges, institution=institution)


# --- the ambition in force ---------------------------------------------------------------------


def ambitions_in_force(indicators: pd.DataFrame, ambitions: pd.DataFrame, years) -> pd.DataFrame:
    """Return per (indicator, year) the ambition that applies: that year's, else the nearest later one."""
    ind_ids = indicators["indicator"].to_numpy(dtype=np.int64)
    years = np.asarray(list(years), dtype=np.int64)
    grid_ind, grid_year = np.repeat(ind_ids, len(years)), np.tile(years, len(ind_ids))
    amb = ambitions[AMBITION_COLUMNS].reset_index(drop=True)
    a_ind, a_year = amb["indicator"].to_numpy(dtype=np.int64), amb["year"].to_numpy(dtype=np.int64)
    # Keys keep (indicator, year) order, so the first ambition key >= (indicator, Y) of the same
    # indicator is the nearest later one (domain.md: "the nearest later ambition applies as an interim check").
    grid_key, amb_key = _encode([grid_ind, grid_year], [a_ind, a_year])
    order = np.argsort(amb_key, kind="stable")
    at = np.searchsorted(amb_key[order], grid_key)
    chosen, found = _fetch(order, np.where(at < len(order), at, -1))
    found &= _fetch(a_ind, chosen)[0] == grid_ind
    chosen = np.where(found, chosen, -1)
    frame = pd.DataFrame({"indicator": grid_ind, "year": grid_year})
    frame["ambition_year"] = _int_array(*_fetch(a_year, chosen))
    types = amb["type"].to_numpy(dtype=object)
    frame["type"] = pd.array([types[i] if i >= 0 else None for i in chosen.tolist()], dtype="str")
    for column in ("target", "tolerance", "ambition_id"):
        values, present = _ints(amb[column])
        frame[column] = _int_array(*_fetch(values, chosen, present))
    indicative = amb["indicative"].fillna(False).to_numpy(dtype=bool)
    frame["indicative"] = _bool_array(_fetch(indicative, chosen)[0], found)
    return frame[["indicator", "year", "ambition_year", "type", "target", "tolerance", "indicative", "ambition_id"]]


# --- judging -----------------------------------------------------------------------------------


@dataclass
class Setup:
    """Everything of a judgement that does not depend on the ambitions: shared by both versions."""

    years: list[int]
    indicators: pd.DataFrame  # INDICATOR_COLUMNS, in input order
    d: np.ndarray  # per indicator
    institution_only: np.ndarray
    baseline_year: np.ndarray  # B per grid row (a herijking may revise it from a year on)
    baseline: np.ndarray  # b per grid row (agenda value, else the institution value in B)
    has_baseline: np.ndarray
    value: np.ndarray  # institution value per grid row (indicator-major, then year)
    has_value: np.ndarray
    teams: dict  # judged team rows (value in Y, a reference): grid row, columns, reference
    unreferenced: pd.DataFrame
    unreferenced_count: np.ndarray  # per grid row
    colleges: dict  # one row per (college-level grid row, active college), with whether it applies


def judge_setup(
    agg: Aggregates,
    indicators: pd.DataFrame,
    colleges: pd.DataFrame,
    years,
    not_applicable: pd.DataFrame | None = None,
    baselines: pd.DataFrame | None = None,
) -> Setup:
    """Return the ambition-independent part of judging `years`: values, references, units."""
    years = sorted(set(int(y) for y in years))
    ind = indicators[INDICATOR_COLUMNS].reset_index(drop=True)
    ind_id = ind["indicator"].to_numpy(dtype=np.int64)
    inst = ind["institution"].to_numpy(dtype=np.int64)
    d = ind["polarity"].to_numpy(dtype=np.int64)
    inst_only = ind["institution_only"].fillna(False).to_numpy(dtype=bool)
    n_years, years_arr = len(years), np.array(years, dtype=np.int64)
    grid_ind = np.repeat(np.arange(len(ind)), n_years)
    grid_year = np.tile(years_arr, len(ind))

    # B and the agenda's b per evaluation year: the indicator's own, unless a herijking revised
    # them from a year on (domain.md, "The agenda changes over time"; earlier years keep theirs).
    b_year = ind["baseline_year"].to_numpy(dtype=np.int64)[grid_ind]
    b_given, has_b_given = (a[grid_ind] for a in _ints(ind["baseline_value"]))
    if baselines is not None and len(baselines):
        rev = baselines[BASELINE_COLUMNS]
        rev_keys, grid_rev_keys = _encode(
            [rev["indicator"].to_numpy(dtype=np.int64), rev["year"].to_numpy(dtype=np.int64)],
            [ind_id[grid_ind], grid_year],
        )
        at = _lookup(rev_keys, grid_rev_keys)
        revised = at >= 0
        r_year = _fetch(rev["baseline_year"].to_numpy(dtype=np.int64), at)[0]
        rev_value, rev_present = _ints(rev["baseline_value"])
        r_value, r_has = _fetch(rev_value, at, rev_present)
        b_year = np.where(revised, r_year, b_year)
        b_given = np.where(revised, r_value, b_given)
        has_b_given = np.where(revised, r_has, has_b_given)

    # Institution values in Y and in B; b is the agenda's value when given, else the data's (contracts.md 1).
    inst_rows = agg.institution
    i_value, i_has = _ints(inst_rows["value"])
    i_keys, grid_keys, base_keys = _encode(
        [inst_rows["indicator"].to_numpy(dtype=np.int64), inst_rows["year"].to_numpy(dtype=np.int64)],
        [ind_id[grid_ind], grid_year],
        [ind_id[grid_ind], b_year],
    )
    at = _lookup(i_keys, grid_keys)
    value, has_value = _fetch(i_value, at, i_has)
    at = _lookup(i_keys, base_keys)
    b_data, has_b_data = _fetch(i_value, at, i_has)
    baseline = np.where(has_b_given, b_given, b_data)
    has_baseline = has_b_given | has_b_data

    def in_a_baseline(positions: np.ndarray, row_years: np.ndarray) -> np.ndarray:
        """Return which rows (indicator position, year) lie in a B in force for some evaluation year."""
        pairs, rows = _encode([grid_ind, b_year], [positions, row_years])
        return _lookup(np.unique(pairs), rows) >= 0

    # Active colleges: the units of step 3 (and the only teams that are judged).
    col = colleges[COLLEGE_COLUMNS]
    active = col["active"].fillna(False).to_numpy(dtype=bool)
    act_id = col["college"].to_numpy(dtype=np.int64)[active]
    act_inst = col["institution"].to_numpy(dtype=np.int64)[active]

    # Step 2 rows: team values in Y of college-level indicators in active colleges.
    t = agg.teams
    t_ind_pos = _positions(ind_id, t["indicator"].to_numpy(dtype=np.int64))
    t_year = t["year"].to_numpy(dtype=np.int64)
    year_pos = np.minimum(np.searchsorted(years_arr, t_year), n_years - 1) if n_years else np.zeros(len(t), int)
    t_college, t_has_college = _ints(t["college"])
    t_team = _ints(t["team"])[0]
    t_value = _ints(t["value"])[0]
    known = t_ind_pos >= 0
    in_years = known & (years_arr[year_pos] == t_year) if n_years else np.zeros(len(t), dtype=bool)
    in_active = t_has_college & (_positions(act_id, t_college) >= 0)
    counts = t["counted"].to_numpy(dtype=bool) if "counted" in t else np.ones(len(t), dtype=bool)
    chosen = np.flatnonzero(in_years & in_active & counts & ~inst_only[np.maximum(t_ind_pos, 0)])
    ty_pos = t_ind_pos[chosen]
    ty_grid = ty_pos * n_years + year_pos[chosen]

    # References: the team's own value in B, else its college's value in B (domain.md step 2); B is
    # the one in force in the row's evaluation year.
    ty_base = b_year[ty_grid]
    base_rows = np.flatnonzero(known & in_a_baseline(t_ind_pos, t_year))
    own_table, own_query = _encode(
        [t_ind_pos[base_rows], t_year[base_rows], t_team[base_rows]], [ty_pos, ty_base, t_team[chosen]]
    )
    at = _lookup(own_table, own_query)
    reference, has_reference = _fetch(t_value[base_rows], at)

    c = agg.colleges
    c_ind_pos = _positions(ind_id, c["indicator"].to_numpy(dtype=np.int64))
    c_year = c["year"].to_numpy(dtype=np.int64)
    c_college = _ints(c["college"])[0]
    c_value = _ints(c["value"])[0]
    c_known = c_ind_pos >= 0
    c_base = np.flatnonzero(c_known & in_a_baseline(c_ind_pos, c_year))
    cb_table, cb_query = _encode(
        [c_ind_pos[c_base], c_year[c_base], c_college[c_base]], [ty_pos, ty_base, t_college[chosen]]
    )
    at = _lookup(cb_table, cb_query)
    college_reference, found = _fetch(c_value[c_base], at)
    use_college = ~has_reference & found
    reference = np.where(use_college, college_reference, reference)
    has_reference |= use_college

    judged = chosen[has_reference]
    lost = chosen[~has_reference]
    lost_grid = ty_grid[~has_reference]
    unreferenced = t.iloc[lost][["indicator", "year", "college", "team", "value", "n"]].reset_index(drop=True)
    team_rows = {
        "grid": ty_grid[has_reference],
        "college": t_college[judged],
        "value": t_value[judged],
        "reference": reference[has_reference],
        "frame": {
            "indicator": t["indicator"].to_numpy(dtype=np.int64)[judged],
            "year": t_year[judged],
            "college": t["college"].array.take(judged),
            "team": t["team"].array.take(judged),
            "value": _int_array(t_value[judged]),
            "reference": _int_array(reference[has_reference]),
        },
        "n": t["n"].array.take(judged),
    }

    # Step 3 units: every (college-level grid row, active college of the indicator's institution).
    act_order = np.argsort(act_inst, kind="stable")
    act_id, act_inst = act_id[act_order], act_inst[act_order]
    inst_ids, starts, counts = np.unique(act_inst, return_index=True, return_counts=True)
    grid_cl = np.flatnonzero(~inst_only[grid_ind])
    inst_at = _positions(inst_ids, inst[grid_ind[grid_cl]])
    per_row = _fetch(counts, inst_at)[0]
    ce_grid = np.repeat(grid_cl, per_row)
    offsets = np.repeat(np.cumsum(per_row) - per_row, per_row)
    within = np.arange(len(ce_grid)) - offsets
    ce_college = act_id[np.repeat(_fetch(starts, inst_at)[0], per_row) + within]
    ce_ind = grid_ind[ce_grid]
    # A college to which the indicator does not apply in Y is a unit that is listed, never counted.
    applies = np.ones(len(ce_grid), dtype=bool)
    if not_applicable is not None and len(not_applicable):
        na = not_applicable[NOT_APPLICABLE_COLUMNS]
        na_keys, ce_keys_na = _encode(
            [na[c].to_numpy(dtype=np.int64) for c in NOT_APPLICABLE_COLUMNS],
            [ind_id[ce_ind], grid_year[ce_grid], ce_college],
        )
        applies = _lookup(np.unique(na_keys), ce_keys_na) < 0

    # Each unit's judged teams, its value in Y and its own value in B.
    ce_keys, tm_keys = _encode([ce_grid, ce_college], [team_rows["grid"], team_rows["college"]])
    # A team of an active college of another institution has no unit here (-1): judged, not counted.
    units = _lookup(ce_keys, tm_keys)
    team_rows["unit"] = units
    teams_total = np.bincount(units[units >= 0], minlength=len(ce_keys))
    cy_table, cy_query = _encode(
        [c_ind_pos[c_known], c_year[c_known], c_college[c_known]], [ce_ind, grid_year[ce_grid], ce_college]
    )
    at = _lookup(cy_table, cy_query)
    ce_value, ce_has_value = _fetch(c_value[c_known], at)
    cb_table, cb_query = _encode(
        [c_ind_pos[c_base], c_year[c_base], c_college[c_base]], [ce_ind, b_year[ce_grid], ce_college]
    )
    at = _lookup(cb_table, cb_query)
    ce_ref, ce_has_ref = _fetch(c_value[c_base], at)
    college_rows = {
        "grid": ce_grid,
        "college": ce_college,
        "teams_total": teams_total.astype(np.int64),
        "value": ce_value,
        "has_value": ce_has_value,
        "reference": ce_ref,
        "has_reference": ce_has_ref,
        "applies": applies,
    }
    unreferenced_count = np.bincount(lost_grid, minlength=len(grid_ind)).astype(np.int64)
    return Setup(
        years=years,
        indicators=ind,
        d=d,
        institution_only=inst_only,
        baseline_year=b_year,
        baseline=baseline,
        has_baseline=has_baseline,
        value=value,
        has_value=has_value,
        teams=team_rows,
        unreferenced=unreferenced,
        unreferenced_count=unreferenced_count,
        colleges=college_rows,
    )


def _unit_test(kind, d, value, reference, has_reference, target, has_target, b, has_b, tol):
    """Return step 2 element-wise for units with a value: (contributed, known); unknown counts as not."""
    change = d * (value - reference)
    is_target = kind == _KIND_CODES[TARGET]
    # target: improved at least as much as the institution must (T - b), or already at the target.
    improved_enough = has_reference & has_target & has_b & (change >= d * (target - b))
    at_target = has_target & (d * (value - target) >= 0)
    others = np.where(kind == _KIND_CODES[IMPROVE], change > 0, change >= -tol)
    # Without a reference only "at the target" can be known; without a target nothing is.
    known = np.where(is_target, has_target, has_reference) & (kind != _NONE)
    return np.where(is_target, improved_enough | at_target, others) & known, known


def _needed(kind, d, reference, has_reference, target, has_target, b, has_b, tol):
    """Return step 2 solved for the team value, element-wise: (threshold, strict, known).

    A unit contributes when d*value >= d*threshold (d*value > d*threshold when strict), the
    same test as `_unit_test` rearranged, so the value a team needs has the rule's one home:
    - target: the weaker of "improved by T - b" (threshold r + T - b) and "at the target" (T);
    - improve: more than its reference (strict);
    - maintain: at most `tol` worse than its reference (threshold r - d*tol).
    Without a reference only the target branch is known (T); without a target nothing is.
    """
    is_target = kind == _KIND_CODES[TARGET]
    gain = reference + (target - b)
    # d*x <= d*T: the team's own bar is lower than the target itself, so it is the one needed.
    use_gain = has_reference & has_b & (d * gain <= d * target)
    target_threshold = np.where(use_gain, gain, target)
    other_threshold = np.where(kind == _KIND_CODES[MAINTAIN], reference - d * tol, reference)
    threshold = np.where(is_target, target_threshold, other_threshold)
    strict = kind == _KIND_CODES[IMPROVE]
    known = np.where(is_target, has_target, has_reference) & (kind != _NONE)
    return threshold, strict & known, known


@dataclass(frozen=True)
class TeamNeed:
    """The value a team needs to contribute (step 2): at least `value` (more than, when strict)."""

    value: Decimal
    strict: bool
    d: int  # +1: higher is better (the team needs at least / more than), -1: at most / less than

    def met_by(self, value: Decimal) -> bool:
        """Return whether `value` reaches the threshold (for `short_by`; the verdict itself is `team_contributes`).

        The threshold is `_needed` solved from step 2, so the two agree; tests hold them equal at
        the threshold and one step short of it (tests/rapportage/engine/test_guidance.py).
        """
        return self.d * (value - self.value) > 0 if self.strict else self.d * (value - self.value) >= 0

    def short_by(self, value: Decimal | None) -> Decimal | None:
        """Return how far `value` is from the threshold in the right direction (None: met or no value)."""
        if value is None or self.met_by(value):
            return None
        return abs(self.value - value)


def _units(value: Decimal | None) -> tuple[np.ndarray, np.ndarray]:
    """Return one Decimal as a one-element unit array and its present mask."""
    units = to_units(value)
    return np.array([units or 0], dtype=object), np.array([units is not None])


def team_needed(
    kind: str, d: int, reference: Decimal | None, target: Decimal | None, baseline: Decimal | None, tolerance=None
) -> TeamNeed | None:
    """Return the value a team needs to contribute, or None when it cannot be known (step 2).

    Scalar, exact Decimals in and out, for pages that guide one team at a time; the work is
    `_needed`, the vectorised form the recompute uses, so the two cannot drift apart.
    """
    if kind not in _KIND_CODES:
        return None
    r, has_r = _units(reference)
    t, has_t = _units(target)
    b, has_b = _units(baseline)
    tol = _units(tolerance)[0]
    code = np.array([_KIND_CODES[kind]])
    threshold, strict, known = _needed(code, np.array([d]), r, has_r, t, has_t, b, has_b, tol)
    if not known[0]:
        return None
    return TeamNeed(value=to_decimal(int(threshold[0])), strict=bool(strict[0]), d=int(d))


def team_contributes(
    kind: str,
    d: int,
    value: Decimal,
    reference: Decimal | None,
    target: Decimal | None,
    baseline: Decimal | None,
    tolerance=None,
) -> bool | None:
    """Return step 2's verdict on one team value (None: unknown), through `_unit_test` itself."""
    if kind not in _KIND_CODES:
        return None
    v = _units(value)[0]
    r, has_r = _units(reference)
    t, has_t = _units(target)
    b, has_b = _units(baseline)
    tol = _units(tolerance)[0]
    code = np.array([_KIND_CODES[kind]])
    contributed, known = _unit_test(code, np.array([d]), v, r, has_r, t, has_t, b, has_b, tol)
    return bool(contributed[0]) if known[0] else None


def judge_with(setup: Setup, ambitions: pd.DataFrame) -> Attainment:
    """Return the verdicts of `setup` under one version of the ambitions (steps 1-4)."""
    s, years = setup, setup.years
    n_years = len(years)
    e = ambitions_in_force(s.indicators, ambitions, years)
    n = len(e)
    grid_ind = np.repeat(np.arange(len(s.indicators)), n_years)
    kind_text = e["type"].fillna(MONITOR)
    kind = kind_text.map(_KIND_CODES).fillna(_NONE).to_numpy(dtype=np.int64)
    target, has_target = _ints(e["target"])
    tol = _ints(e["tolerance"])[0]
    d = s.d[grid_ind]
    b, has_b = s.baseline, s.has_baseline
    v, has_v = s.value, s.has_value
    has_ambition = kind != _NONE
    verdict = has_ambition & has_v

    # Step 1: institution met; the gap is >= 0 when met (> 0 for improve).
    gap = np.where(
        kind == _KIND_CODES[TARGET], d * (v - target), d * (v - b) + np.where(kind == _KIND_CODES[MAINTAIN], tol, 0)
    )
    has_gap = verdict & np.where(kind == _KIND_CODES[TARGET], has_target, has_b)
    inst_met = np.where(kind == _KIND_CODES[IMPROVE], gap > 0, gap >= 0)

    # Step 2: each judged team's contribution (unknown without a verdict).
    tr = s.teams
    g = tr["grid"]
    contributed, known = _unit_test(
        kind[g], d[g], tr["value"], tr["reference"], True, target[g], has_target[g], b[g], has_b[g], tol[g]
    )
    known &= verdict[g]
    contributed &= known
    # What each team needs to contribute (issue 15: guidance in the grid), from the same inputs.
    needed, strict, has_needed = _needed(
        kind[g], d[g], tr["reference"], True, target[g], has_target[g], b[g], has_b[g], tol[g]
    )
    has_needed &= verdict[g]
    team_out = pd.DataFrame(
        {
            **tr["frame"],
            "contributed": _bool_array(contributed, known),
            "n": tr["n"],
            "needed": _int_array(np.where(has_needed, needed, 0), has_needed),
            "needed_strict": _bool_array(strict, has_needed),
        },
        copy=False,
    )

    # Step 3: two-thirds of a college's judged teams, else the college as one unit, else no data.
    cr = s.colleges
    cg = cr["grid"]
    units = len(cg)
    counted = tr["unit"] >= 0
    teams_contributed = np.bincount(tr["unit"][counted], weights=contributed[counted], minlength=units)
    teams_contributed = teams_contributed.astype(np.int64)
    teams_total = cr["teams_total"]
    by_teams = teams_total > 0
    by_value = ~by_teams & cr["has_value"]
    # A college judged as one unit uses its own value in B, else the institution baseline b.
    unit_ref = np.where(cr["has_reference"], cr["reference"], b[cg])
    has_unit_ref = cr["has_reference"] | has_b[cg]
    unit_met, _ = _unit_test(
        kind[cg], d[cg], cr["value"], unit_ref, has_unit_ref, target[cg], has_target[cg], b[cg], has_b[cg], tol[cg]
    )
    met = np.where(by_teams, 3 * teams_contributed >= 2 * teams_total, by_value & unit_met)
    # The distance to flipping, here where the rule lives: words.py only phrases it.
    teams_threshold = two_thirds_needed(teams_total)
    applies = cr["applies"]
    college_verdict = verdict[cg] & applies
    reference = np.where(by_value, unit_ref, cr["reference"])
    has_reference = np.where(by_value, has_unit_ref, cr["has_reference"]) & applies
    college_basis = np.where(by_teams, BASIS_TEAMS, np.where(by_value, BASIS_COLLEGE_VALUE, BASIS_NO_DATA))
    college_out = pd.DataFrame(
        {
            "indicator": s.indicators["indicator"].to_numpy(dtype=np.int64)[grid_ind[cg]],
            "year": np.asarray(years, dtype=np.int64)[cg % n_years] if n_years else np.zeros(0, np.int64),
            "college": cr["college"],
            "value": _int_array(cr["value"], cr["has_value"] & applies),
            "reference": _int_array(reference, has_reference),
            # The college's own value in B: the reference of its teams without one (step 2).
            "teams_reference": _int_array(cr["reference"], cr["has_reference"] & applies),
            "met": _bool_array(met, college_verdict),
            "basis": np.where(applies, college_basis, BASIS_NOT_APPLICABLE),
            "teams_contributed": teams_contributed,
            "teams_total": teams_total,
            "teams_needed": np.maximum(0, teams_threshold - teams_contributed),
            # >= 0 when met (the surplus; 0 is exactly two-thirds), < 0 when short, like colleges_margin.
            "teams_margin": teams_contributed - teams_threshold,
        }
    )

    # Step 4: two-thirds of the active colleges, else the institution, else not attained.
    # Only the colleges to which the indicator applies count (domain.md, "Which teams and colleges count").
    colleges_total = np.bincount(cg, weights=applies, minlength=n).astype(np.int64)
    colleges_met = np.bincount(cg, weights=met & college_verdict, minlength=n).astype(np.int64)
    inst_only = s.institution_only[grid_ind]
    by_colleges = (colleges_total > 0) & (3 * colleges_met >= 2 * colleges_total) & ~inst_only
    rescued = has_gap & inst_met
    basis = np.select(
        [~has_ambition, ~verdict, by_colleges, rescued],
        [BASIS_MONITOR, BASIS_NO_DATA, BASIS_COLLEGES, BASIS_INSTITUTION],
        default=BASIS_NOT_MET,
    )
    needed = two_thirds_needed(colleges_total)
    indicator_out = pd.DataFrame(
        {
            "indicator": e["indicator"].to_numpy(dtype=np.int64),
            "year": e["year"].to_numpy(dtype=np.int64),
            "ambition_id": _int_array(*_ints(e["ambition_id"])),
            "ambition_year": _int_array(*_ints(e["ambition_year"])),
            "type": kind_text.to_numpy(),
            "target": _int_array(target, has_target),
            "tolerance": _int_array(tol),
            "indicative": _bool_array(e["indicative"].fillna(False).to_numpy(dtype=bool), e["indicative"].notna()),
            "d": d,
            "baseline_year": s.baseline_year,
            "baseline": _int_array(b, has_b),
            "institution_value": _int_array(v, has_v),
            "institution_met": _bool_array(inst_met, has_gap),
            "institution_gap": _int_array(gap, has_gap),
            "institution_only": inst_only,
            "colleges_met": colleges_met,
            "colleges_total": colleges_total,
            "colleges_needed": np.maximum(0, needed - colleges_met),
            "colleges_margin": colleges_met - needed,
            "attained": _bool_array(basis != BASIS_NOT_MET, verdict),
            "basis": basis,
            "unreferenced": s.unreferenced_count,
        }
    )
    return Attainment(indicators=indicator_out, colleges=college_out, teams=team_out, unreferenced=s.unreferenced)


def two_thirds_needed(total: np.ndarray) -> np.ndarray:
    """Return the smallest count that is at least two-thirds of `total` (3*k >= 2*total; agenda ch. 4.3).

    The one home of the ceiling: works on a number or an array (the demo generator uses it too).
    """
    return (2 * total + 2) // 3


def judge(
    agg: Aggregates,
    indicators: pd.DataFrame,
    ambitions: pd.DataFrame,
    colleges: pd.DataFrame,
    years,
    not_applicable: pd.DataFrame | None = None,
    baselines: pd.DataFrame | None = None,
) -> Attainment:
    """Return the verdict of every indicator in every year in `years` under the given ambitions."""
    return judge_with(judge_setup(agg, indicators, colleges, years, not_applicable, baselines), ambitions)


def evaluate(
    measurements, indicators, ambitions, colleges, years, teams=None, not_applicable=None, baselines=None
) -> tuple[Aggregates, Attainment]:
    """Return the aggregates and the verdicts for `years` in one call."""
    agg = aggregate(measurements, counted_rows(measurements, colleges, teams, not_applicable))
    return agg, judge(agg, indicators, ambitions, colleges, years, not_applicable, baselines)


def split_attainment(att: Attainment, institution_of: dict[int, int]) -> dict[int, Attainment]:
    """Return one institution's part of a judgement of many, per institution, as if judged alone.

    `institution_of`: {indicator id: institution id}. Every row of every frame belongs to one
    indicator, and the engine judges an indicator from its own rows only, so an institution's rows
    of a joint judgement are its own judgement; the rows keep their order and get a fresh index, as
    a judgement of that institution alone numbers them (the sector recompute runs the engine once
    per batch: issue 16, its fixed per-call costs were a quarter of a recompute).
    """
    parts: dict[int, dict[str, pd.DataFrame]] = {}
    for name in ("indicators", "colleges", "teams", "unreferenced"):
        frame = getattr(att, name)
        owners = frame["indicator"].map(institution_of).to_numpy() if len(frame) else np.array([], dtype=np.int64)
        for institution in set(institution_of.values()):
            parts.setdefault(institution, {})[name] = frame[owners == institution].reset_index(drop=True)
    return {institution: Attainment(**frames) for institution, frames in parts.items()}
