"""Property tests: the engine equals the row-by-row reference on random institutions (domain.md)."""

import random
from dataclasses import dataclass

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapportage.engine.attainment import (
    AMBITION_COLUMNS,
    BASELINE_COLUMNS,
    COLLEGE_COLUMNS,
    INDICATOR_COLUMNS,
    MEASUREMENT_COLUMNS,
    NOT_APPLICABLE_COLUMNS,
    TEAM_COLUMNS,
    evaluate,
)
from tests.rapportage.engine import rowwise
from tests.rapportage.engine.scenario import Scenario, colleges_meeting

UNIT = 10**6
# A coarse grid of values makes ties and exact boundaries frequent: t - r == T - b, d*(v - T) == 0,
# d*(t - r) == -tol; micro values (whole units) make half-to-even rounding ties of the means.
COARSE = [v * UNIT // 2 for v in range(8, 13)]  # 4.0, 4.5, ..., 6.0
MICRO = [0, 1, 2, 3]
# The largest values a measurement can hold (18 digits, 6 decimals): sums and products pass int64.
HUGE = [10**18 - 1, 10**18 - 3, 10**18 - 2 * UNIT, 9 * 10**17]
TOLERANCES = [0, UNIT // 2, UNIT]
KINDS = ["target", "improve", "maintain", "monitor"]
BASE_YEAR = 2017


@dataclass
class Case:
    """One generated input: the engine's frames and the years to judge."""

    measurements: pd.DataFrame
    indicators: pd.DataFrame
    ambitions: pd.DataFrame
    colleges: pd.DataFrame
    years: list[int]
    teams: pd.DataFrame | None = None  # active years per team (domain.md, "Which teams and colleges count")
    not_applicable: pd.DataFrame | None = None  # (indicator, year, college) the indicator does not apply to
    baselines: pd.DataFrame | None = None  # (indicator, year, baseline_year, baseline_value) from a herijking

    def frames(self):
        """Return the engine's positional inputs."""
        return (
            self.measurements,
            self.indicators,
            self.ambitions,
            self.colleges,
            self.years,
            self.teams,
            self.not_applicable,
            self.baselines,
        )


@st.composite
def institutions(draw) -> Case:
    """Draw 1-3 institutions with colleges (some inactive), changing teams, indicators and ambitions."""
    # Structure comes from hypothesis (so it shrinks); the bulk of the values from a seeded
    # Random, since thousands of per-row draws would exhaust hypothesis' buffer.
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    values = draw(st.sampled_from([COARSE, COARSE, COARSE, MICRO, HUGE]))
    window = list(range(BASE_YEAR - 1, BASE_YEAR + 6))
    years = sorted(draw(st.sets(st.sampled_from(window), min_size=1, max_size=4)))
    rows, indicator_rows, ambition_rows, college_rows, team_rows, na_rows, baseline_rows = [], [], [], [], [], [], []
    college_id = team_id = indicator_id = ambition_id = 0
    for institution in range(1, draw(st.integers(1, 3)) + 1):
        teams_of = {}
        for _ in range(draw(st.integers(1, 13))):
            college_id += 1
            active = draw(st.booleans()) or draw(st.booleans()) or draw(st.booleans())
            college_rows.append({"college": college_id, "institution": institution, "active": active})
            teams_of[college_id] = []
            for _ in range(draw(st.integers(0, 12))):
                team_id += 1
                # Teams appear and disappear: each lives over a span of years, with holes.
                first = rng.choice(window)
                last = rng.choice([y for y in window if y >= first])
                teams_of[college_id].append([team_id, first, last, None, None])
                # Active years need not match the years with data: values stored before a team
                # was deactivated (or after it started late) are kept and must not count.
                if rng.random() < 0.5:
                    since = rng.choice([None, *window])
                    until = rng.choice([None, *(y for y in window if since is None or y >= since)])
                    team_rows.append({"team": team_id, "active_from": since, "active_until": until})
        for teams in teams_of.values():
            for team in teams:
                if rng.random() < 0.05:
                    # A reorganisation: from some year on the team belongs to another college.
                    team[3:] = [rng.choice(window), rng.choice(list(teams_of))]
        for _ in range(draw(st.integers(1, 3))):
            indicator_id += 1
            polarity = draw(st.sampled_from([1, -1]))
            institution_only = draw(st.integers(0, 4)) == 0
            baseline_year = draw(st.sampled_from([BASE_YEAR - 1, BASE_YEAR]))
            baseline_value = draw(st.one_of(st.none(), st.sampled_from(values)))
            indicator_rows.append(
                {
                    "indicator": indicator_id,
                    "institution": institution,
                    "polarity": polarity,
                    "institution_only": institution_only,
                    "baseline_year": baseline_year,
                    "baseline_value": baseline_value,
                }
            )
            ambition_years = draw(st.sets(st.sampled_from(window), max_size=3))
            if draw(st.integers(0, 3)):
                # Usually an ambition at the end of the period, so most years are judged (interim).
                ambition_years.add(window[-1])
            for year in sorted(ambition_years):
                ambition_id += 1
                kind = draw(st.sampled_from(KINDS))
                ambition_rows.append(
                    {
                        "indicator": indicator_id,
                        "year": year,
                        "type": kind,
                        "target": draw(st.sampled_from(values)) if kind == "target" else None,
                        "tolerance": draw(st.sampled_from(TOLERANCES)),
                        "indicative": draw(st.booleans()),
                        "ambition_id": ambition_id,
                    }
                )
            rows += _measurements(rng, indicator_id, institution_only, teams_of, window, values)
            if rng.random() < 0.3:
                # A herijking revises the baseline from a year on: later evaluation years use it.
                since = rng.choice(window)
                revised_year = rng.choice([BASE_YEAR - 1, BASE_YEAR, BASE_YEAR + 1, since])
                revised_value = rng.choice([None, *values])
                baseline_rows += [
                    {
                        "indicator": indicator_id,
                        "year": y,
                        "baseline_year": revised_year,
                        "baseline_value": revised_value,
                    }
                    for y in window
                    if y >= since
                ]
            for college in teams_of:
                # Not every college offers every programme, sometimes only from a herijking on.
                chance = rng.random()
                if chance < 0.2:
                    since = window[0] if chance < 0.12 else rng.choice(window)
                    na_rows += [
                        {"indicator": indicator_id, "year": y, "college": college} for y in window if y >= since
                    ]
    measurements = pd.DataFrame(rows, columns=MEASUREMENT_COLUMNS).astype(
        {"indicator": "int64", "year": "int64", "college": "Int64", "team": "Int64", "value": "Int64", "n": "Int64"}
    )
    indicators = pd.DataFrame(indicator_rows, columns=INDICATOR_COLUMNS).astype({"baseline_value": "Int64"})
    ambitions = pd.DataFrame(ambition_rows, columns=AMBITION_COLUMNS).astype(
        {"indicator": "int64", "year": "int64", "target": "Int64", "tolerance": "Int64", "ambition_id": "int64"}
    )
    colleges = pd.DataFrame(college_rows, columns=COLLEGE_COLUMNS)
    teams = pd.DataFrame(team_rows, columns=TEAM_COLUMNS).astype(
        {"team": "int64", "active_from": "Int64", "active_until": "Int64"}
    )
    not_applicable = pd.DataFrame(na_rows, columns=NOT_APPLICABLE_COLUMNS).astype("int64")
    baselines = pd.DataFrame(baseline_rows, columns=BASELINE_COLUMNS).astype(
        {"indicator": "int64", "year": "int64", "baseline_year": "int64", "baseline_value": "Int64"}
    )
    if draw(st.integers(0, 4)) == 0:
        # The optional inputs left out: every team active, every indicator applying, no herijking.
        teams = not_applicable = baselines = None
    return Case(measurements, indicators, ambitions, colleges, years, teams, not_applicable, baselines)


def _measurements(rng, indicator, institution_only, teams_of, window, values) -> list[dict]:
    """Return random measurement rows of one indicator: teams, given colleges, the institution."""
    rows = []
    for year in window:
        # Per indicator and year: every row with n, none, or some (weighted vs plain mean).
        n_mode = rng.choice(["all", "none", "some"])

        def n(n_mode=n_mode):
            if n_mode == "none" or (n_mode == "some" and rng.random() < 0.3):
                return None
            return rng.choice([0, 1, 1, 2, 3, 10, 5000])

        lower_levels = not institution_only or rng.random() < 0.1
        for college, teams in teams_of.items() if lower_levels else ():
            for team, first, last, moved_in, moved_to in teams:
                if first <= year <= last and rng.random() < 0.85:
                    home = moved_to if moved_in is not None and year >= moved_in else college
                    row = {"level": "team", "college": home, "team": team, "value": rng.choice(values), "n": n()}
                    rows.append({"indicator": indicator, "year": year, **row})
            if rng.random() < 0.15:
                row = {"level": "college", "college": college, "team": None, "value": rng.choice(values), "n": n()}
                rows.append({"indicator": indicator, "year": year, **row})
        if rng.random() < (0.8 if institution_only else 0.25):
            row = {"level": "institution", "college": None, "team": None, "value": rng.choice(values), "n": None}
            rows.append({"indicator": indicator, "year": year, **row})
    return rows


def _plain(value):
    """Return a frame cell as a plain Python value, None for NA."""
    return rowwise._clean(value)


def _keyed(frame: pd.DataFrame, keys: list[str], fields: list[str]) -> dict:
    """Return {key tuple: {field: value}} of `frame`."""
    return {
        tuple(_plain(row[k]) for k in keys): {f: _plain(row[f]) for f in fields} for row in frame.to_dict("records")
    }


def _subset(expected: dict, fields: list[str]) -> dict:
    """Return `expected` restricted to `fields`."""
    return {key: {f: value[f] for f in fields} for key, value in expected.items()}


INDICATOR_FIELDS = [
    "ambition_year",
    "baseline",
    "institution_value",
    "institution_met",
    "colleges_met",
    "colleges_total",
    "attained",
    "basis",
]
COLLEGE_FIELDS = ["basis", "met", "teams_contributed", "teams_total", "teams_margin", "value", "reference"]
TEAM_FIELDS = ["college", "value", "reference", "contributed"]


def _differences(engine: dict, reference: dict) -> dict:
    """Return {key: {field: (engine, reference)}} for every field where the two differ."""
    differences = {}
    for key in sorted(set(engine) | set(reference), key=str):
        mine, theirs = engine.get(key), reference.get(key)
        if mine is None or theirs is None:
            differences[key] = (mine, theirs)
        elif mine != theirs:
            differences[key] = {f: (mine.get(f), theirs.get(f)) for f in theirs if mine.get(f) != theirs.get(f)}
    return differences


def assert_engine_equals_reference(case: Case):
    """Assert the engine's aggregates and verdicts equal the rowwise reference, field by field."""
    agg, att = evaluate(*case.frames())
    ref = rowwise.evaluate(*case.frames())

    # Aggregates: every (indicator, year) the reference computed (the judged years and the baselines).
    ref_colleges = {
        (i, y, c): {"value": v, "weight": w, "given": g}
        for (i, y), level in ref.aggregates.items()
        for c, (v, w, g) in level.colleges.items()
    }
    engine_colleges = _keyed(agg.colleges, ["indicator", "year", "college"], ["value", "weight", "given"])
    engine_colleges = {k: v for k, v in engine_colleges.items() if k[:2] in ref.aggregates}
    assert not _differences(engine_colleges, ref_colleges)
    ref_institution = {
        key: {"value": level.institution[0], "given": level.institution[1]}
        for key, level in ref.aggregates.items()
        if level.institution is not None
    }
    engine_institution = _keyed(agg.institution, ["indicator", "year"], ["value", "given"])
    engine_institution = {k: v for k, v in engine_institution.items() if k in ref.aggregates}
    assert not _differences(engine_institution, ref_institution)

    indicators = _keyed(att.indicators, ["indicator", "year"], INDICATOR_FIELDS)
    assert not _differences(indicators, _subset(ref.indicators, INDICATOR_FIELDS))
    colleges = _keyed(att.colleges, ["indicator", "year", "college"], COLLEGE_FIELDS)
    assert not _differences(colleges, _subset(ref.colleges, COLLEGE_FIELDS))
    # Teams of inactive colleges are judged nowhere (contracts.md: `colleges` lists the active ones).
    teams = _keyed(att.teams, ["indicator", "year", "team"], TEAM_FIELDS)
    assert not _differences(teams, _subset(ref.teams, TEAM_FIELDS))
    unreferenced = _keyed(att.unreferenced, ["indicator", "year", "team"], ["college", "value"])
    assert not _differences(unreferenced, ref.unreferenced)
    return att


# The Hypothesis profile (tests/conftest.py) sets the example counts: `thorough` (CI) 300 random
# institutions here, about 6 s on the 2-core machine; `quick` (the default) a quarter of that.
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@settings(**SETTINGS)
@given(institutions())
def test_engine_equals_the_rowwise_reference(case):
    """On random institutions the engine's every field equals the row-by-row reference."""
    assert_engine_equals_reference(case)


@settings(max_examples=settings.default.max_examples // 2, **SETTINGS)
@given(institutions())
def test_invariants_of_every_verdict(case):
    """Counts cover the active colleges the indicator applies to; monitor has no verdict; no data has not met."""
    _, att = evaluate(*case.frames())
    active = case.colleges[case.colleges["active"].astype(bool)]
    excluded = set() if case.not_applicable is None else set(map(tuple, case.not_applicable.to_numpy().tolist()))
    owners = case.indicators[["indicator", "institution"]]
    for row in att.indicators.merge(owners, on="indicator").to_dict("records"):
        applying = [
            c
            for c, inst in zip(active["college"], active["institution"], strict=True)
            if inst == row["institution"] and (row["indicator"], row["year"], c) not in excluded
        ]
        expected_total = 0 if row["institution_only"] else len(applying)
        assert row["colleges_total"] == expected_total
        met, total = row["colleges_met"], row["colleges_total"]
        assert 0 <= met <= total
        if row["basis"] in ("monitor", "no_data"):
            assert pd.isna(row["attained"]) and pd.isna(row["institution_met"])
        else:
            assert not pd.isna(row["attained"])
        # Step 4: the colleges decide exactly when two-thirds of them met.
        if row["basis"] == "colleges":
            assert total > 0 and 3 * met >= 2 * total and bool(row["attained"])
        if row["basis"] in ("institution", "not_met"):
            assert total == 0 or 3 * met < 2 * total
            assert bool(row["attained"]) is (row["basis"] == "institution")
    verdicts = att.indicators.set_index(["indicator", "year"])["basis"]
    for row in att.colleges.to_dict("records"):
        has_verdict = verdicts[(row["indicator"], row["year"])] not in ("monitor", "no_data")
        if row["basis"] == "no_data" and has_verdict:
            assert not pd.isna(row["met"]) and not row["met"]
        if not has_verdict or row["basis"] == "not_applicable":
            assert pd.isna(row["met"])
    monitored = verdicts[verdicts == "monitor"].index
    teams = att.teams.set_index(["indicator", "year"])
    assert all(teams.loc[[k for k in monitored if k in teams.index], "contributed"].isna())


@settings(max_examples=settings.default.max_examples * 2 // 3, deadline=None)  # 104 (k, n) pairs in all
@given(st.integers(1, 13).flatmap(lambda total: st.tuples(st.integers(0, total), st.just(total))))
def test_two_thirds_boundary(met_total):
    """k of n colleges attain the indicator by the colleges iff 3k >= 2n (institution not met)."""
    met, total = met_total
    scenario = Scenario().ambition(2020, "improve")
    colleges_meeting(scenario, met, total)
    scenario.institution_value(2017, "6.0").institution_value(2020, "6.0")
    row = scenario.verdict()
    assert (row["colleges_met"], row["colleges_total"]) == (met, total)
    assert bool(row["attained"]) is (3 * met >= 2 * total)
    assert row["basis"] == ("colleges" if 3 * met >= 2 * total else "not_met")
