"""A plain row-by-row reference of domain.md's aggregation and steps 1-4, to check the engine.

Written from domain.md alone, with dicts, loops and `fractions.Fraction`: slow and obvious on
purpose. Inputs are the engine's frames (values are integers scaled by 10**6); the output holds
the same fields as the engine's `Attainment` rows, as dicts keyed by their unit.

Conventions where domain.md is silent, chosen here and documented so the engine can be held to them:
- An aggregated mean is the exact (weighted) mean rounded half-to-even to whole units, i.e. to
  6 decimals, at each level (rapportage/engine/numbers.py).
- Weights of zero only: a weighted mean over a total weight of 0 is undefined; the plain mean is used.
- Only rows that count in their year are aggregated (domain.md, "Which teams and colleges count"
  and "Points ... now decided"): a team row when the team is active in that year, its college is
  active and the indicator applies to that college in that year; a college row when the college
  is active and the indicator applies to it; institution rows always. Rows that do not count are
  kept but never aggregated, judged or listed, except that a team's own value in B stays its
  reference (domain.md, "Fine print").
- A college to which the indicator does not apply in Y is listed with basis `not_applicable`,
  `met` None, no teams, no value and no reference, and is left out of colleges_total/met.
- A college is "judged as one unit" when none of its teams is judged in Y (no team value in Y, or
  only teams without a reference), but it has a value in Y (given or its teams' mean).
- A comparison that needs the institution baseline b while b is unknown (no agenda value, no
  institution value in B) cannot hold: improve/maintain at institution level have no verdict
  (institution_met NA) and the target test keeps only its "already at the target" branch. A college
  judged as one unit with no reference at all (no own B value, no b) meets only by being at the target.
- With no active college the two-thirds rule has nothing to count: step 4 goes to the institution.
- Only teams of active colleges are judged (or listed without a baseline), each under the college
  named on its row in Y; its own reference is its value in B whatever its college was then.
"""

from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd


def _clean(value):
    """Return `value` as a Python int/bool/str, or None for a missing value."""
    if value is None or value is pd.NA:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool | str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of `frame` as dicts of plain Python values (None for missing)."""
    columns = {c: [_clean(v) for v in frame[c].to_numpy(dtype=object, na_value=None).tolist()] for c in frame.columns}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _round_units(value: Fraction) -> int:
    """Return `value` rounded half-to-even to whole units (6 decimals)."""
    # round() of a Fraction rounds half to even (Python data model).
    return round(value)


def _mean(pairs: list[tuple[int, int | None]]) -> int:
    """Return the mean of (value, weight) pairs: weighted when every pair has a weight, else plain."""
    weights = [w for _, w in pairs]
    if all(w is not None for w in weights) and sum(weights) > 0:
        total = sum(weights)
        return _round_units(Fraction(sum(v * w for v, w in pairs), total))
    return _round_units(Fraction(sum(v for v, _ in pairs), len(pairs)))


@dataclass
class Level:
    """The values of one indicator in one year, at every level (given or aggregated)."""

    teams: dict = field(default_factory=dict)  # team -> (college, value, n), rows that count only
    all_teams: dict = field(default_factory=dict)  # team -> (college, value, n), every row (references)
    colleges: dict = field(default_factory=dict)  # college -> (value, weight, given)
    institution: tuple | None = None  # (value, given) or None
    has_data: bool = False
    by_college: dict = field(default_factory=dict)  # college -> [(team, value)], filled on first use

    def teams_of(self, college) -> list[tuple[int, int]]:
        """Return (team, value) of the teams with a value in this year whose row names `college`."""
        if not self.by_college and self.teams:
            for team, (team_college, value, _n) in sorted(self.teams.items()):
                self.by_college.setdefault(team_college, []).append((team, value))
        return self.by_college.get(college, [])


def aggregate_year(rows: list[dict], counts=lambda row: True) -> Level:
    """Return the values of one (indicator, year) from its measurement rows (domain.md, Hierarchy)."""
    for row in rows:
        if row["level"] == "team":
            all_teams = {
                row["team"]: (row["college"], row["value"], row["n"]) for row in rows if row["level"] == "team"
            }
            break
    else:
        all_teams = {}
    rows = [row for row in rows if counts(row)]
    level = Level(has_data=bool(rows), all_teams=all_teams)
    given_colleges = {}
    given_institution = None
    team_rows_by_college: dict = {}
    for row in rows:
        if row["level"] == "team":
            level.teams[row["team"]] = (row["college"], row["value"], row["n"])
            team_rows_by_college.setdefault(row["college"], []).append((row["value"], row["n"]))
        elif row["level"] == "college":
            given_colleges[row["college"]] = (row["value"], row["n"])
        else:
            given_institution = row["value"]
    for college in set(given_colleges) | set(team_rows_by_college):
        teams = team_rows_by_college.get(college, [])
        team_weights = [n for _, n in teams]
        teams_weight = sum(team_weights) if teams and all(n is not None for n in team_weights) else None
        if college in given_colleges:
            # A value given at a level always wins over an aggregate.
            value, own_n = given_colleges[college]
            weight = own_n if own_n is not None else teams_weight
            level.colleges[college] = (value, weight, True)
        else:
            level.colleges[college] = (_mean(teams), teams_weight, False)
    if given_institution is not None:
        level.institution = (given_institution, True)
    elif level.colleges:
        pairs = [(value, weight) for value, weight, _ in level.colleges.values()]
        level.institution = (_mean(pairs), False)
    return level


def _unit_test(kind: str, d: int, value: int, reference, target, b, tol: int) -> bool:
    """Return whether a unit (team, or a college judged as one) contributed (domain.md step 2)."""
    if kind == "target":
        improved_enough = None not in (b, reference) and d * (value - reference) >= d * (target - b)
        return improved_enough or d * (value - target) >= 0
    if reference is None:
        return False
    if kind == "improve":
        return d * (value - reference) > 0
    return d * (value - reference) >= -tol


@dataclass
class Reference:
    """The rowwise results, keyed like the engine's rows."""

    aggregates: dict = field(default_factory=dict)  # (indicator, year) -> Level
    indicators: dict = field(default_factory=dict)  # (indicator, year) -> fields
    colleges: dict = field(default_factory=dict)  # (indicator, year, college) -> fields
    teams: dict = field(default_factory=dict)  # (indicator, year, team) -> fields
    unreferenced: dict = field(default_factory=dict)  # (indicator, year, team) -> fields


def evaluate(
    measurements, indicators, ambitions, colleges, years, teams=None, not_applicable=None, baselines=None
) -> Reference:
    """Return the rowwise aggregation and verdicts for every indicator and year in `years`.

    `teams` (team, active_from, active_until; None = open) and `not_applicable` (indicator,
    year, college) are optional: without them every team is active and every indicator applies.
    `baselines` (indicator, year, baseline_year, baseline_value) gives, for an evaluation year, the
    baseline a herijking put in force instead of the indicator's own (value None: from the data).
    """
    revised = {} if baselines is None else {(r["indicator"], r["year"]): r for r in _records(baselines)}
    rows_by_key: dict = {}
    for row in _records(measurements):
        rows_by_key.setdefault((row["indicator"], row["year"]), []).append(row)
    ambitions_by_indicator: dict = {}
    for row in _records(ambitions):
        ambitions_by_indicator.setdefault(row["indicator"], {})[row["year"]] = row
    active_by_institution: dict = {}
    for row in _records(colleges):
        if row["active"]:
            active_by_institution.setdefault(row["institution"], []).append(row["college"])
    active_colleges = {c for members in active_by_institution.values() for c in members}
    bounds = {} if teams is None else {row["team"]: row for row in _records(teams)}
    excluded = set() if not_applicable is None else {tuple(row.values()) for row in _records(not_applicable)}

    def team_active(team, year) -> bool:
        """Return whether the team is active in `year` (active_from <= year <= active_until, open bounds)."""
        row = bounds.get(team)
        if row is None:
            return True
        return (row["active_from"] is None or row["active_from"] <= year) and (
            row["active_until"] is None or year <= row["active_until"]
        )

    def applies(indicator, year, college) -> bool:
        """Return whether the indicator applies to the college in `year`."""
        return (indicator, year, college) not in excluded

    def counts(row) -> bool:
        """Return whether a measurement row counts in its year."""
        if row["level"] == "institution":
            return True
        if row["college"] not in active_colleges or not applies(row["indicator"], row["year"], row["college"]):
            return False
        return row["level"] != "team" or team_active(row["team"], row["year"])

    result = Reference()

    def level_of(indicator, year) -> Level:
        key = (indicator, year)
        if key not in result.aggregates:
            result.aggregates[key] = aggregate_year(rows_by_key.get(key, []), counts)
        return result.aggregates[key]

    for ind in _records(indicators):
        indicator, d = ind["indicator"], ind["polarity"]
        active = sorted(active_by_institution.get(ind["institution"], []))
        for year in years:
            # The baseline in force in this evaluation year: a herijking's, else the indicator's own.
            own = revised.get((indicator, year), ind)
            base = level_of(indicator, own["baseline_year"])
            b = own["baseline_value"]
            if b is None and base.institution is not None:
                # contracts.md 1: b is the agenda's baseline value, else the institution value in B.
                b = base.institution[0]
            now = level_of(indicator, year)
            # The ambition set for Y, else the nearest later one; none later: only monitored.
            later = sorted(y for y in ambitions_by_indicator.get(indicator, {}) if y >= year)
            ambition = ambitions_by_indicator[indicator][later[0]] if later else None
            kind = ambition["type"] if ambition else "monitor"
            target = ambition["target"] if ambition else None
            tol = (ambition["tolerance"] or 0) if ambition else 0
            verdict = kind != "monitor" and now.has_data
            v = now.institution[0] if now.institution is not None else None

            institution_met = None
            if verdict and v is not None:
                if kind == "target":
                    institution_met = d * (v - target) >= 0
                elif b is not None and kind == "improve":
                    institution_met = d * (v - b) > 0
                elif b is not None:
                    institution_met = d * (v - b) >= -tol

            colleges_met = 0
            college_units = [] if ind["institution_only"] else active
            for college in college_units:
                if not applies(indicator, year, college):
                    result.colleges[(indicator, year, college)] = {
                        "basis": "not_applicable",
                        "met": None,
                        "teams_contributed": 0,
                        "teams_total": 0,
                        "teams_margin": 0,
                        "value": None,
                        "reference": None,
                    }
                    continue
                judged = contributed = 0
                for team, t in now.teams_of(college):
                    # A team's own value in B is its reference even when it did not count in B.
                    own = base.all_teams.get(team)
                    if own is not None:
                        r = own[1]
                    elif college in base.colleges:
                        r = base.colleges[college][0]
                    else:
                        result.unreferenced[(indicator, year, team)] = {"college": college, "value": t}
                        continue
                    hit = _unit_test(kind, d, t, r, target, b, tol) if kind != "monitor" else None
                    result.teams[(indicator, year, team)] = {
                        "college": college,
                        "value": t,
                        "reference": r,
                        "contributed": hit,
                    }
                    judged += 1
                    contributed += bool(hit)
                college_value = now.colleges[college][0] if college in now.colleges else None
                own_reference = base.colleges[college][0] if college in base.colleges else None
                if judged:
                    basis, reference = "teams", own_reference
                    met = 3 * contributed >= 2 * judged
                elif college_value is not None:
                    basis = "college_value"
                    reference = own_reference if own_reference is not None else b
                    met = _unit_test(kind, d, college_value, reference, target, b, tol)
                else:
                    basis, reference, met = "no_data", own_reference, False
                met = met if verdict else None
                colleges_met += bool(met)
                result.colleges[(indicator, year, college)] = {
                    "basis": basis,
                    "met": met,
                    "teams_contributed": contributed,
                    "teams_total": judged,
                    # Surplus over two-thirds (< 0: short), counted up rather than by formula.
                    "teams_margin": contributed - next(k for k in range(judged + 1) if 3 * k >= 2 * judged),
                    "value": college_value,
                    "reference": reference,
                }

            total = sum(1 for college in college_units if applies(indicator, year, college))
            if kind == "monitor":
                basis, attained = "monitor", None
            elif not now.has_data:
                basis, attained = "no_data", None
            elif total and 3 * colleges_met >= 2 * total:
                basis, attained = "colleges", True
            elif institution_met:
                basis, attained = "institution", True
            else:
                basis, attained = "not_met", False
            result.indicators[(indicator, year)] = {
                "ambition_year": later[0] if later else None,
                "baseline": b,
                "institution_value": v,
                "institution_met": institution_met,
                "colleges_met": colleges_met,
                "colleges_total": total,
                "attained": attained,
                "basis": basis,
            }
    return result
