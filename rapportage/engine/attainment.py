"""The two-thirds rule of the agenda (ch. 4.3), vectorised over indicators, years and units.

Pure: frames in, frames out, no Django. Values are integers scaled by numbers.SCALE and held
in pandas nullable Int64 columns so that missing stays missing and nothing is a float.
The steps follow domain.md, "The two-thirds rule (wijze van vaststellen), precisely".
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rapportage.engine.numbers import div_round_half_even

TEAM, COLLEGE, INSTITUTION = "team", "college", "institution"
TARGET, IMPROVE, MAINTAIN, MONITOR = "target", "improve", "maintain", "monitor"
BASIS_COLLEGES, BASIS_INSTITUTION, BASIS_NOT_MET = "colleges", "institution", "not_met"
BASIS_MONITOR, BASIS_NO_DATA = "monitor", "no_data"
BASIS_TEAMS, BASIS_COLLEGE_VALUE = "teams", "college_value"

MEASUREMENT_COLUMNS = ["indicator", "year", "level", "college", "team", "value", "n"]
INDICATOR_COLUMNS = ["indicator", "institution", "polarity", "institution_only", "baseline_year", "baseline_value"]
AMBITION_COLUMNS = ["indicator", "year", "type", "target", "tolerance", "indicative", "ambition_id"]
COLLEGE_COLUMNS = ["college", "institution", "active"]

_OVERFLOW_GUARD = 2**62


@dataclass
class Aggregates:
    """Every unit's value per indicator and year: the given value, else the aggregate."""

    teams: pd.DataFrame  # indicator, year, college, team, value, n
    colleges: pd.DataFrame  # indicator, year, college, value, weight, given
    institution: pd.DataFrame  # indicator, year, value, given


@dataclass
class Attainment:
    """Verdicts with everything needed to explain them."""

    indicators: pd.DataFrame  # one row per (indicator, year)
    colleges: pd.DataFrame  # one row per (indicator, year, active college); college-level indicators only
    teams: pd.DataFrame  # one row per judged team (value in Y and a reference)
    unreferenced: pd.DataFrame  # teams with a value in Y but no baseline: left out (domain.md step 2)


def _int64(series: pd.Series) -> pd.Series:
    """Return `series` as a nullable Int64 column."""
    return series.astype("Int64")


def _mean(frame: pd.DataFrame, keys: list[str], weight_column: str) -> pd.DataFrame:
    """Return the mean value per group: weighted by `weight_column` when every row has one."""
    weights = frame[weight_column]
    has_weight = weights.notna()
    w = weights.fillna(0).to_numpy(dtype=np.int64)
    v = frame["value"].to_numpy(dtype=np.int64)
    if len(v) and int(np.abs(v).max()) * max(int(w.sum()), 1) >= _OVERFLOW_GUARD:
        # Python integers never overflow; only reached with absurdly large counts.
        w, v = w.astype(object), v.astype(object)
    work = pd.DataFrame(
        {
            **{k: frame[k].to_numpy() for k in keys},
            "v": v,
            "w": w,
            "wv": v * w,
            "has_w": has_weight.to_numpy(dtype=np.int64),
        }
    )
    grouped = work.groupby(keys, sort=False).agg(
        count=("v", "size"), sum_v=("v", "sum"), sum_w=("w", "sum"), sum_wv=("wv", "sum"), with_w=("has_w", "sum")
    )
    all_weighted = (grouped["with_w"] == grouped["count"]).to_numpy()
    sum_w = grouped["sum_w"].to_numpy()
    use_weights = all_weighted & (sum_w > 0)
    num = np.where(use_weights, grouped["sum_wv"].to_numpy(), grouped["sum_v"].to_numpy())
    den = np.where(use_weights, sum_w, grouped["count"].to_numpy())
    result = grouped.index.to_frame(index=False)
    result["value"] = pd.array(div_round_half_even(num, den).astype(np.int64), dtype="Int64")
    result["weight"] = pd.array(np.where(all_weighted, sum_w, 0).astype(np.int64), dtype="Int64")
    result.loc[~all_weighted, "weight"] = pd.NA
    return result


def aggregate(measurements: pd.DataFrame) -> Aggregates:
    """Return college and institution values: given values win, else (weighted) means (domain.md)."""
    m = measurements
    teams = m.loc[m["level"] == TEAM, ["indicator", "year", "college", "team", "value", "n"]].reset_index(drop=True)
    given_c = m.loc[m["level"] == COLLEGE, ["indicator", "year", "college", "value", "n"]]
    given_i = m.loc[m["level"] == INSTITUTION, ["indicator", "year", "value"]]

    keys_c = ["indicator", "year", "college"]
    from_teams = _mean(teams, keys_c, "n") if len(teams) else _empty(keys_c + ["value", "weight"])
    colleges = given_c.rename(columns={"value": "given_value", "n": "given_n"}).merge(
        from_teams, on=keys_c, how="outer"
    )
    colleges["given"] = colleges["given_value"].notna()
    colleges["value"] = _int64(colleges["given_value"]).fillna(_int64(colleges["value"]))
    # A college's weight is its own n, else the sum of its teams' n (domain.md).
    colleges["weight"] = _int64(colleges["given_n"]).fillna(_int64(colleges["weight"]))
    colleges = colleges[keys_c + ["value", "weight", "given"]].reset_index(drop=True)

    keys_i = ["indicator", "year"]
    from_colleges = _mean(colleges, keys_i, "weight") if len(colleges) else _empty(keys_i + ["value", "weight"])
    institution = given_i.rename(columns={"value": "given_value"}).merge(from_colleges, on=keys_i, how="outer")
    institution["given"] = institution["given_value"].notna()
    institution["value"] = _int64(institution["given_value"]).fillna(_int64(institution["value"]))
    institution = institution[keys_i + ["value", "given"]].reset_index(drop=True)
    return Aggregates(teams=teams, colleges=colleges, institution=institution)


def _empty(columns: list[str]) -> pd.DataFrame:
    """Return an empty frame with Int64 columns."""
    return pd.DataFrame({c: pd.array([], dtype="Int64") for c in columns})


def ambitions_in_force(indicators: pd.DataFrame, ambitions: pd.DataFrame, years) -> pd.DataFrame:
    """Return per (indicator, year) the ambition that applies: that year's, else the nearest later one."""
    grid = indicators[["indicator"]].merge(pd.DataFrame({"year": list(years)}, dtype="int64"), how="cross")
    amb = ambitions[AMBITION_COLUMNS].rename(columns={"year": "ambition_year"})
    candidates = grid.merge(amb, on="indicator")
    candidates = candidates[candidates["ambition_year"] >= candidates["year"]]
    # domain.md: "in a year without one, the nearest later ambition applies as an interim check".
    candidates = candidates.sort_values(["indicator", "year", "ambition_year"]).drop_duplicates(["indicator", "year"])
    return grid.merge(candidates, on=["indicator", "year"], how="left")


def _unit_test(kind: pd.Series, d, value, reference, target, b, tol) -> pd.Series:
    """Return step 2 of the rule (contributed) for units with value `value` and reference `reference`."""
    change = d * (value - reference)
    needed = d * (target - b)
    at_target = (d * (value - target)) >= 0
    improved_enough = (change >= needed).fillna(False)
    result = pd.Series(pd.NA, index=kind.index, dtype="boolean")
    is_target = (kind == TARGET).fillna(False).to_numpy(bool)
    is_improve = (kind == IMPROVE).fillna(False).to_numpy(bool)
    is_maintain = (kind == MAINTAIN).fillna(False).to_numpy(bool)
    result[is_target] = (improved_enough | at_target)[is_target]
    result[is_improve] = (change > 0)[is_improve]
    result[is_maintain] = (change >= -tol)[is_maintain]
    return result


def _ceil_two_thirds(total: pd.Series) -> pd.Series:
    """Return the smallest count that is at least two-thirds of `total` (3*k >= 2*total)."""
    return (2 * total + 2) // 3


def judge(
    agg: Aggregates, indicators: pd.DataFrame, ambitions: pd.DataFrame, colleges: pd.DataFrame, years
) -> Attainment:
    """Return the verdict of every indicator in every year in `years` under the given ambitions."""
    years = sorted(set(int(y) for y in years))
    ind = indicators[INDICATOR_COLUMNS].copy()
    ind["baseline_value"] = _int64(ind["baseline_value"])
    e = ambitions_in_force(ind, ambitions, years).merge(ind, on="indicator")
    e["type"] = e["type"].fillna(MONITOR)
    e["target"] = _int64(e["target"])
    e["tolerance"] = _int64(e["tolerance"]).fillna(0)

    inst = agg.institution
    e = e.merge(inst[["indicator", "year", "value"]].rename(columns={"value": "institution_value"}), how="left")
    base = inst[["indicator", "year", "value"]].rename(columns={"year": "baseline_year", "value": "baseline_data"})
    e = e.merge(base, on=["indicator", "baseline_year"], how="left")
    # contracts.md section 1: b is the file's baseline value when given, else the data's.
    e["baseline"] = e["baseline_value"].fillna(_int64(e["baseline_data"]))
    e["d"] = e["polarity"].astype("int64")

    d, v, b, t, tol = e["d"], _int64(e["institution_value"]), e["baseline"], e["target"], e["tolerance"]
    kind = e["type"]
    e["has_ambition"] = kind.isin([TARGET, IMPROVE, MAINTAIN])
    e["verdict"] = e["has_ambition"] & v.notna()
    # Step 1: institution met; the gap is >= 0 when met (> 0 for improve).
    gap = pd.Series(pd.NA, index=e.index, dtype="Int64")
    is_target, is_improve, is_maintain = (kind == TARGET), (kind == IMPROVE), (kind == MAINTAIN)
    gap[is_target] = (d * (v - t))[is_target]
    gap[is_improve] = (d * (v - b))[is_improve]
    gap[is_maintain] = (d * (v - b) + tol)[is_maintain]
    inst_met = pd.Series(pd.NA, index=e.index, dtype="boolean")
    inst_met[is_target | is_maintain] = (gap >= 0)[is_target | is_maintain]
    inst_met[is_improve] = (gap > 0)[is_improve]
    inst_met[~e["verdict"]] = pd.NA
    e["institution_gap"] = gap.where(e["verdict"])
    e["institution_met"] = inst_met

    evaluated = e[["indicator", "year", "type", "target", "tolerance", "d", "baseline", "baseline_year", "verdict"]]
    evaluated = evaluated.merge(ind[["indicator", "institution", "institution_only"]], on="indicator")
    college_level = evaluated[~evaluated["institution_only"]]

    # Step 2: teams with a value in Y and a reference (own value in B, else the college's).
    teams = agg.teams
    active = colleges.loc[colleges["active"], ["college", "institution"]]
    ty = teams[teams["year"].isin(years)].merge(college_level, on=["indicator", "year"])
    ty = ty.merge(active[["college"]], on="college")
    own_b = teams[["indicator", "year", "team", "value"]].rename(columns={"year": "baseline_year", "value": "ref_own"})
    ty = ty.merge(own_b, on=["indicator", "baseline_year", "team"], how="left")
    college_b = agg.colleges[["indicator", "year", "college", "value"]].rename(
        columns={"year": "baseline_year", "value": "ref_college"}
    )
    ty = ty.merge(college_b, on=["indicator", "baseline_year", "college"], how="left")
    ty["reference"] = _int64(ty["ref_own"]).fillna(_int64(ty["ref_college"]))
    ty["value"] = _int64(ty["value"])
    unreferenced = ty.loc[ty["reference"].isna(), ["indicator", "year", "college", "team", "value", "n"]]
    judged = ty[ty["reference"].notna()].reset_index(drop=True)
    judged["contributed"] = _unit_test(
        judged["type"],
        judged["d"],
        judged["value"],
        judged["reference"],
        judged["target"],
        judged["baseline"],
        judged["tolerance"],
    )
    judged.loc[~judged["verdict"].to_numpy(bool), "contributed"] = pd.NA
    team_out = judged[["indicator", "year", "college", "team", "value", "reference", "contributed", "n"]]

    # Step 3: every active college of the institution, for college-level indicators.
    ce = college_level.merge(active, on="institution")
    counts = (
        judged.assign(c=judged["contributed"].fillna(False).astype("int64"))
        .groupby(["indicator", "year", "college"], sort=False)
        .agg(teams_total=("c", "size"), teams_contributed=("c", "sum"))
        .reset_index()
    )
    ce = ce.merge(counts, on=["indicator", "year", "college"], how="left")
    ce["teams_total"] = ce["teams_total"].fillna(0).astype("int64")
    ce["teams_contributed"] = ce["teams_contributed"].fillna(0).astype("int64")
    cvals = agg.colleges[["indicator", "year", "college", "value"]]
    ce = ce.merge(cvals, on=["indicator", "year", "college"], how="left")
    ce = ce.merge(
        college_b.rename(columns={"ref_college": "college_ref"}),
        on=["indicator", "baseline_year", "college"],
        how="left",
    )
    ce["value"] = _int64(ce["value"])
    # A college judged as one unit uses its own value in B, else the institution baseline b.
    ce["reference"] = _int64(ce["college_ref"]).fillna(ce["baseline"])
    by_teams = ce["teams_total"] > 0
    by_value = ~by_teams & ce["value"].notna()
    ce["basis"] = np.where(by_teams, BASIS_TEAMS, np.where(by_value, BASIS_COLLEGE_VALUE, BASIS_NO_DATA))
    unit_met = _unit_test(
        ce["type"], ce["d"], ce["value"], ce["reference"], ce["target"], ce["baseline"], ce["tolerance"]
    ).fillna(False)
    met = pd.Series(False, index=ce.index, dtype="boolean")
    met[by_teams] = (3 * ce["teams_contributed"] >= 2 * ce["teams_total"])[by_teams]
    met[by_value] = unit_met[by_value]
    met[~ce["verdict"].to_numpy(bool)] = pd.NA
    ce["met"] = met
    ce.loc[~by_value, "reference"] = ce.loc[~by_value, "college_ref"]
    ce["teams_needed"] = np.maximum(0, _ceil_two_thirds(ce["teams_total"]) - ce["teams_contributed"])
    college_out = ce[
        [
            "indicator",
            "year",
            "college",
            "value",
            "reference",
            "met",
            "basis",
            "teams_contributed",
            "teams_total",
            "teams_needed",
        ]
    ].reset_index(drop=True)

    # Step 4: two-thirds of the active colleges, else the institution, else not attained.
    tally = (
        ce.assign(m=ce["met"].fillna(False).astype("int64"))
        .groupby(["indicator", "year"], sort=False)
        .agg(colleges_total=("m", "size"), colleges_met=("m", "sum"))
        .reset_index()
    )
    e = e.merge(tally, on=["indicator", "year"], how="left")
    e["colleges_total"] = e["colleges_total"].fillna(0).astype("int64")
    e["colleges_met"] = e["colleges_met"].fillna(0).astype("int64")
    two_thirds = (e["colleges_total"] > 0) & (3 * e["colleges_met"] >= 2 * e["colleges_total"])
    by_colleges = two_thirds & ~e["institution_only"]
    rescued = e["institution_met"].fillna(False).astype(bool)
    e["basis"] = np.select(
        [~e["has_ambition"], ~e["verdict"], by_colleges, rescued],
        [BASIS_MONITOR, BASIS_NO_DATA, BASIS_COLLEGES, BASIS_INSTITUTION],
        default=BASIS_NOT_MET,
    )
    attained = pd.Series(pd.NA, index=e.index, dtype="boolean")
    verdict = e["verdict"].to_numpy(bool)
    attained[verdict] = pd.Series(e["basis"] != BASIS_NOT_MET, index=e.index)[verdict]
    e["attained"] = attained
    needed = _ceil_two_thirds(e["colleges_total"])
    e["colleges_needed"] = np.maximum(0, needed - e["colleges_met"])
    e["colleges_margin"] = e["colleges_met"] - needed
    e["unreferenced"] = (
        e[["indicator", "year"]]
        .merge(unreferenced.groupby(["indicator", "year"]).size().rename("k").reset_index(), how="left")["k"]
        .fillna(0)
        .astype("int64")
        .to_numpy()
    )
    indicator_out = e[
        [
            "indicator",
            "year",
            "ambition_id",
            "ambition_year",
            "type",
            "target",
            "tolerance",
            "indicative",
            "d",
            "baseline_year",
            "baseline",
            "institution_value",
            "institution_met",
            "institution_gap",
            "institution_only",
            "colleges_met",
            "colleges_total",
            "colleges_needed",
            "colleges_margin",
            "attained",
            "basis",
            "unreferenced",
        ]
    ].reset_index(drop=True)
    return Attainment(
        indicators=indicator_out,
        colleges=college_out,
        teams=team_out.reset_index(drop=True),
        unreferenced=unreferenced.reset_index(drop=True),
    )


def evaluate(measurements, indicators, ambitions, colleges, years) -> tuple[Aggregates, Attainment]:
    """Return the aggregates and the verdicts for `years` in one call."""
    agg = aggregate(measurements)
    return agg, judge(agg, indicators, ambitions, colleges, years)
