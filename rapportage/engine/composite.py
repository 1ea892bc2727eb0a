"""Composite indicators (issue 18): an indicator that is a weighted mean of component indicators.

The agenda calls the IBM (1a) "een gewogen samengestelde indicator" of about five components
per team, college and institution. Pure: frames in, frames out, no Django. Values are integers
scaled by numbers.SCALE; weights too.

The rule, precisely. At a unit (team, college, institution) and year, a composite's value is,
in this order:

1. its given value at that unit;
2. else, if every component has a value at that unit (given, or for a college or the
   institution the usual aggregate of domain.md), the weighted mean
   sum(w_i * x_i) / sum(w_i). With `weight_by_n` the weights are w_i * n_i, but only when
   every component value there has an n (else the plain weights; also when the n add up to 0).
   A component's n at a college is its given n, else the sum of its teams' n (the aggregate's
   weight); at the institution its given n, else the sum of its colleges' weights;
3. else, for a college or the institution, the usual aggregate of the composite's values one
   level down (teams, respectively colleges).

Only rows that count (attainment.counted_rows) are used; a computed value has n = None and is
rounded half-to-even to 6 decimals like every aggregate (domain.md, "Points ... decided").
Computed college and institution values have `given` False in the Aggregates, and every
computed value is listed in `CompositeAggregates.computed`, so pages can say
"berekend uit componenten". Without composites the result is exactly `aggregate(...)`.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rapportage.engine.attainment import COLLEGE, INSTITUTION, TEAM, Aggregates, aggregate, counted_rows
from rapportage.engine.numbers import div_round_half_even

# One row per component: the composite indicator, the component indicator, its weight in
# scaled units (> 0) and whether the composite weighs its components by n.
COMPOSITE_COLUMNS = ["composite", "component", "weight", "weight_by_n"]
COMPUTED_COLUMNS = ["indicator", "year", "level", "college", "team"]


@dataclass
class CompositeAggregates:
    """The aggregates with composite values filled in, and which values were computed from components."""

    aggregates: Aggregates
    computed: pd.DataFrame  # COMPUTED_COLUMNS: every (composite, year, unit) computed by rule 2


@dataclass(frozen=True)
class _Definition:
    weight_by_n: bool
    components: tuple[tuple[int, int], ...]  # (component indicator, weight in units)


def _definitions(composites: pd.DataFrame) -> dict[int, _Definition]:
    """Return each composite's definition from the COMPOSITE_COLUMNS frame."""
    parts: dict[int, list[tuple[int, int]]] = {}
    by_n: dict[int, bool] = {}
    for composite, component, weight, weight_by_n in composites[COMPOSITE_COLUMNS].itertuples(index=False):
        parts.setdefault(int(composite), []).append((int(component), int(weight)))
        by_n[int(composite)] = bool(weight_by_n)
    return {c: _Definition(by_n[c], tuple(items)) for c, items in parts.items()}


def weighted_value(parts: list[tuple[int, int, int | None]], weight_by_n: bool) -> int:
    """Return the composite of (weight, value, n) parts in units: sum(w*x)/sum(w), half-even.

    With `weight_by_n` and an n for every part (adding up to more than 0) the weights are w*n.
    Python integers: exact however large.
    """
    if weight_by_n and all(n is not None for _, _, n in parts) and sum(w * n for w, _, n in parts) > 0:
        weights = [w * n for w, _, n in parts]
    else:
        weights = [w for w, _, _ in parts]
    num = sum(w * x for w, (_, x, _) in zip(weights, parts, strict=True))
    den = sum(weights)
    return int(div_round_half_even(np.array([num], dtype=object), np.array([den], dtype=object))[0])


def _compute(
    definitions: dict[int, _Definition],
    values: dict[tuple, tuple[int, int | None]],
    given: set[tuple],
) -> dict[tuple, int]:
    """Return the composite value at every unit key where rule 2 applies.

    `values` maps (indicator, year, *unit) to (value, n) at one level; `given` holds the
    (composite, year, *unit) keys that have a given (counted) value there, which wins.
    """
    units: dict[int, set[tuple]] = {}
    for indicator, *rest in values:
        units.setdefault(indicator, set()).add(tuple(rest))
    result = {}
    for composite, definition in definitions.items():
        first = definition.components[0][0]
        for rest in sorted(units.get(first, ())):
            key = (composite, *rest)
            if key in given:
                continue
            found = [values.get((component, *rest)) for component, _ in definition.components]
            if any(v is None for v in found):
                continue
            parts = [(w, v[0], v[1]) for (_, w), v in zip(definition.components, found, strict=True)]
            result[key] = weighted_value(parts, definition.weight_by_n)
    return result


def _optional_int(value) -> int | None:
    """Return a nullable integer cell as int or None."""
    return None if pd.isna(value) else int(value)


def _rows(measurements: pd.DataFrame, level: str, computed: dict[tuple, int]) -> pd.DataFrame:
    """Return computed values as measurement rows of `level` (n missing), in the measurements' dtypes."""
    keys = sorted(computed)
    college = [k[2] if level in (TEAM, COLLEGE) else None for k in keys]
    team = [k[3] if level == TEAM else None for k in keys]
    frame = pd.DataFrame(
        {
            "indicator": [k[0] for k in keys],
            "year": [k[1] for k in keys],
            "level": [level] * len(keys),
            "college": pd.array(college, dtype="Int64"),
            "team": pd.array(team, dtype="Int64"),
            "value": pd.array([computed[k] for k in keys], dtype="Int64"),
            "n": pd.array([None] * len(keys), dtype="Int64"),
        }
    )
    return frame.astype(measurements.dtypes[frame.columns].to_dict())


def composite_aggregate(
    measurements: pd.DataFrame,
    composites: pd.DataFrame | None,
    colleges: pd.DataFrame,
    teams: pd.DataFrame | None = None,
    not_applicable: pd.DataFrame | None = None,
) -> CompositeAggregates:
    """Return the aggregates of `measurements` with every composite's value per the module's rule."""
    counted = counted_rows(measurements, colleges, teams, not_applicable)
    if composites is None or not len(composites):
        return CompositeAggregates(aggregate(measurements, counted), pd.DataFrame(columns=COMPUTED_COLUMNS))
    definitions = _definitions(composites)
    m = measurements
    level = m["level"].to_numpy()

    def counted_at(kind: str) -> pd.DataFrame:
        return m.loc[(level == kind) & counted]

    # Teams: from the teams' own (counted) component values.
    team_rows = counted_at(TEAM)
    team_values = {
        (int(i), int(y), int(c), int(t)): (int(v), _optional_int(n))
        for i, y, c, t, v, n in team_rows[["indicator", "year", "college", "team", "value", "n"]].itertuples(
            index=False
        )
        if not pd.isna(c) and not pd.isna(t)
    }
    team_given = {k for k in team_values if k[0] in definitions}
    computed_teams = _compute(definitions, team_values, team_given)
    frame = pd.concat([m, _rows(m, TEAM, computed_teams)], ignore_index=True) if computed_teams else m

    # Colleges: from the components' college values (given or aggregated), unless the composite is given.
    agg = aggregate(frame, counted_rows(frame, colleges, teams, not_applicable))
    college_values = {
        (int(i), int(y), int(c)): (int(v), _optional_int(w))
        for i, y, c, v, w in agg.colleges[["indicator", "year", "college", "value", "weight"]].itertuples(index=False)
    }
    college_given = {
        (int(i), int(y), int(c))
        for i, y, c, g in agg.colleges[["indicator", "year", "college", "given"]].itertuples(index=False)
        if g and int(i) in definitions
    }
    computed_colleges = _compute(definitions, college_values, college_given)
    if computed_colleges:
        frame = pd.concat([frame, _rows(m, COLLEGE, computed_colleges)], ignore_index=True)
        agg = aggregate(frame, counted_rows(frame, colleges, teams, not_applicable))

    # The institution: from the components' institution values, unless the composite is given.
    given_n = {
        (int(i), int(y)): _optional_int(n)
        for i, y, n in counted_at(INSTITUTION)[["indicator", "year", "n"]].itertuples(index=False)
    }
    college_weights: dict[tuple, list] = {}
    for i, y, w in agg.colleges[["indicator", "year", "weight"]].itertuples(index=False):
        college_weights.setdefault((int(i), int(y)), []).append(_optional_int(w))
    institution_values = {}
    for i, y, v, g in agg.institution[["indicator", "year", "value", "given"]].itertuples(index=False):
        key = (int(i), int(y))
        if g:
            n = given_n.get(key)
        else:
            weights = college_weights.get(key, [])
            n = sum(weights) if weights and all(w is not None for w in weights) else None
        institution_values[key] = (int(v), n)
    institution_given = {
        (int(i), int(y))
        for i, y, g in agg.institution[["indicator", "year", "given"]].itertuples(index=False)
        if g and int(i) in definitions
    }
    computed_institution = _compute(definitions, institution_values, institution_given)
    if computed_institution:
        frame = pd.concat([frame, _rows(m, INSTITUTION, computed_institution)], ignore_index=True)
        agg = aggregate(frame, counted_rows(frame, colleges, teams, not_applicable))

    # Computed rows entered the aggregation as given rows; they were not given.
    agg.colleges["given"] = agg.colleges["given"] & ~_marks(
        agg.colleges, ["indicator", "year", "college"], computed_colleges
    )
    agg.institution["given"] = agg.institution["given"] & ~_marks(
        agg.institution, ["indicator", "year"], computed_institution
    )
    computed = pd.DataFrame(
        [(k[0], k[1], TEAM, k[2], k[3]) for k in sorted(computed_teams)]
        + [(k[0], k[1], COLLEGE, k[2], None) for k in sorted(computed_colleges)]
        + [(k[0], k[1], INSTITUTION, None, None) for k in sorted(computed_institution)],
        columns=COMPUTED_COLUMNS,
    ).astype({"college": "Int64", "team": "Int64"})
    return CompositeAggregates(agg, computed)


def _marks(frame: pd.DataFrame, columns: list[str], keys: dict[tuple, int]) -> np.ndarray:
    """Return which rows of `frame` have their `columns` among `keys`."""
    if not keys:
        return np.zeros(len(frame), dtype=bool)
    return np.array([tuple(int(x) for x in row) in keys for row in frame[columns].itertuples(index=False)], dtype=bool)
