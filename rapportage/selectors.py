"""Reads for the engine and the pages: the only code that turns ORM rows into frames."""

import io
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from operator import itemgetter

import numpy as np
import orjson
import pandas as pd
from django.db import connections
from django.db.models import BigIntegerField, Count, DecimalField, Exists, F, Max, OuterRef, Q, TextField, Value
from django.db.models.functions import Cast, Round

from agenda import selectors as agenda_selectors
from agenda.choices import Polarity
from agenda.models import (
    AdditionalFund,
    Ambition,
    Applicability,
    BaselineRevision,
    BudgetYear,
    College,
    CompositeComponent,
    Indicator,
    Institution,
    Team,
    Theme,
    ThemeShareRevision,
)
from indicatoren.models import Measurement, StudentCount
from indicatoren.selectors import budget_status, data_status
from kern.rules import MAX_DECIMALS, MAX_DIGITS
from maatregelen.models import Evidence, Measure
from rapportage.choices import RunState, Version
from rapportage.engine.attainment import (
    AMBITION_COLUMNS,
    BASELINE_COLUMNS,
    COLLEGE_COLUMNS,
    INDICATOR_COLUMNS,
    MEASUREMENT_COLUMNS,
    NOT_APPLICABLE_COLUMNS,
    TEAM_COLUMNS,
    aggregate,
    counted_rows,
)
from rapportage.engine.composite import COMPOSITE_COLUMNS, CompositeAggregates, composite_aggregate
from rapportage.engine.numbers import SCALE, to_decimal, to_units
from rapportage.models import BudgetResult, IndicatorResult, RecomputeRun


@dataclass
class EngineInputs:
    """Everything the engine needs for one institution, as frames and lookup tables."""

    measurements: pd.DataFrame
    indicators: pd.DataFrame
    ambitions: dict[str, pd.DataFrame]  # version -> one ambition per (indicator, year)
    colleges: pd.DataFrame
    teams: pd.DataFrame  # the years each team is active (domain.md, "Which teams and colleges count")
    not_applicable: pd.DataFrame  # (indicator, year, college) the indicator does not apply to
    baselines: pd.DataFrame  # (indicator, year, baseline year, value) revised from a year on
    indicator_meta: dict[int, dict]
    college_meta: dict[int, dict]
    team_codes: dict[int, str]
    # Composite definitions (issue 18): one row per component with its weight in units.
    composites: pd.DataFrame = dataclass_field(default_factory=lambda: pd.DataFrame(columns=COMPOSITE_COLUMNS))


_value = itemgetter(5)  # the value column of a measurement row


def measurements_frame(indicator_ids, overrides: list[dict] | None = None) -> pd.DataFrame:
    """Return the measurements of the given indicators as an engine frame (values in units).

    `overrides` are would-be rows (indicator, year, level, college, team, value, n) that
    replace or add to the stored ones: the dry run of an upload judges them without saving.
    """
    ids = list(indicator_ids)
    if not ids:
        # An agenda without indicators yet still has a budget split (all fixed, domain.md): Django
        # cannot build `IN ()` into SQL (EmptyResultSet), and the recompute failed for good.
        return _engine_frame([])
    # The database scales the values to integer units (bench/engine_bench.py: a Decimal per row
    # was most of the read). Exact for PostgreSQL's numeric; SQLite multiplies a binary REAL, whose
    # product with 10**6 rounds back exactly only below 10**9, so larger values take the Decimal path
    # (exact: kern.fields.ValueField keeps SQLite's values as text). The cast makes the value a plain
    # decimal to Django, which multiplies only numeric types on SQLite.
    # No ORDER BY: the model's ordering joins three tables and sorts, and the engine needs no order.
    value = Cast("value", DecimalField(max_digits=MAX_DIGITS, decimal_places=MAX_DECIMALS))
    units = Cast(Round(value * Value(SCALE)), BigIntegerField())
    query = Measurement.objects.filter(indicator_id__in=ids).order_by()
    columns_query = query.values_list("indicator_id", "year", "level", "college_id", "team_id", units, "n")
    copied = _copy_frame(columns_query) if not overrides and connections[query.db].vendor == "postgresql" else None
    if copied is not None:
        return copied
    rows = _raw_rows(columns_query)
    exact_limit = 10**9 * SCALE
    if rows and (max(rows, key=_value)[5] >= exact_limit or min(rows, key=_value)[5] <= -exact_limit):
        fields = ("indicator_id", "year", "level", "college_id", "team_id", "value", "n")
        rows = [(*r[:5], to_units(r[5]), r[6]) for r in query.values_list(*fields)]
    if overrides:
        data = {r[:5]: r[5:] for r in rows}
        for row in overrides:
            key = (row["indicator"], row["year"], row["level"], row["college"], row["team"])
            data[key] = (to_units(row["value"]), row["n"])
        rows = [(*key, value, n) for key, (value, n) in data.items()]
    return _engine_frame(rows)


def _engine_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return measurement rows (indicator, year, level, college, team, value in units, n) as the engine frame."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(MEASUREMENT_COLUMNS)
    return pd.DataFrame(
        {
            "indicator": np.array(columns[0], dtype=np.int64),
            "year": np.array(columns[1], dtype=np.int64),
            "level": pd.array(columns[2], dtype="str"),
            "college": pd.array(columns[3], dtype="Int64"),
            "team": pd.array(columns[4], dtype="Int64"),
            "value": pd.array(columns[5], dtype="Int64"),
            "n": pd.array(columns[6], dtype="Int64"),
        }
    )


def _copy_frame(query) -> pd.DataFrame | None:
    """Return the measurement rows of a values_list query read with PostgreSQL's COPY, as the engine frame.

    COPY writes the rows as one text that pandas' C parser splits into typed columns: no Python
    object per cell. The sector recompute read 961,449 rows row by row (issue 16 profile). Exact:
    the database scaled the values to integer units, which the parser reads as int64. None when
    there are no rows.
    """
    sql, params = query.query.sql_with_params()
    buffer = io.BytesIO()
    with connections[query.db].cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
        cursor.cursor.copy_expert(f"COPY ({statement}) TO STDOUT", buffer)
    if not buffer.getbuffer().nbytes:
        return None  # no rows: the caller builds the empty frame
    buffer.seek(0)
    frame = pd.read_csv(
        buffer,
        sep="\t",
        header=None,
        names=MEASUREMENT_COLUMNS,
        na_values=["\\N"],
        keep_default_na=False,
        dtype={"indicator": "int64", "year": "int64", "level": "str"}
        | {name: "Int64" for name in ("college", "team", "value", "n")},
    )
    frame["level"] = pd.array(frame["level"].tolist(), dtype="str")
    return frame


def _raw_rows(query) -> list[tuple]:
    """Return the rows of a values_list query as the database driver gives them.

    Every column read this way is an integer or a text, which both drivers return as Python
    ints and strs already; Django's per-row converters (an int() per cell of the Cast) were a
    tenth of the recompute's read (issue 11 benchmark, docs/benchmarks.md section 7).
    """
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def ambition_frames(indicator_ids) -> dict[str, pd.DataFrame]:
    """Return the ambitions per version: current (latest revision) and original (first)."""
    rows = list(
        Ambition.objects.filter(indicator_id__in=list(indicator_ids))
        .order_by("indicator_id", "year", "revision")
        .values_list("indicator_id", "year", "revision", "type", "target", "tolerance", "indicative", "id")
    )
    frames = {}
    for version, pick in ((Version.CURRENT, -1), (Version.ORIGINAL, 0)):
        chosen: dict[tuple, tuple] = {}
        for row in rows:
            key = (row[0], row[1])
            if pick == -1 or key not in chosen:
                chosen[key] = row
        frames[version] = exact_frame(
            [(r[0], r[1], r[3], to_units(r[4]), to_units(r[5]), r[6], r[7]) for r in chosen.values()],
            AMBITION_COLUMNS,
            ["int64", "int64", "str", "Int64", "Int64", "boolean", "Int64"],
        )
    return frames


def exact_frame(rows: list[tuple], columns: list[str], dtypes: list[str]) -> pd.DataFrame:
    """Return a frame built column by column in the given dtypes.

    A frame made from tuples turns an integer column with a None into float64 first, which
    drops digits of values beyond 2**53 units (about 9.0e9; issue 11 "exactness at the edges").
    """
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {name: pd.array(list(column), dtype=dtype) for name, column, dtype in zip(columns, values, dtypes, strict=True)}
    )


def college_frame(colleges: list[College], institution: Institution) -> pd.DataFrame:
    """Return the engine's college frame: id, institution, active."""
    return pd.DataFrame([(c.id, institution.id, c.active) for c in colleges], columns=COLLEGE_COLUMNS).astype(
        {"college": "int64", "active": "bool"}
    )


def team_frame(institution: Institution, rows: list[tuple] | None = None) -> pd.DataFrame:
    """Return the years each team of the institution is active (a missing bound is open).

    `rows` are (id, active_from, active_until, ...) when the caller read the teams already.
    """
    if rows is None:
        rows = list(Team.objects.filter(institution=institution).values_list("id", "active_from", "active_until"))
    return pd.DataFrame([row[:3] for row in rows], columns=TEAM_COLUMNS).astype(
        {"team": "int64", "active_from": "Int64", "active_until": "Int64"}
    )


def baselines_frame(institution: Institution) -> pd.DataFrame:
    """Return the baselines a herijking put in force per (indicator, year), in engine units."""
    return _baselines_frame(agenda_selectors.revised_baselines(institution, list(institution.years)))


def _baselines_frame(revised: list[tuple]) -> pd.DataFrame:
    """Return the engine's baseline frame of agenda.selectors.revised_baselines rows."""
    rows = [(indicator, year, baseline_year, to_units(value)) for indicator, year, baseline_year, value in revised]
    return exact_frame(rows, BASELINE_COLUMNS, ["int64", "int64", "int64", "Int64"])


def composites_frame(indicator_ids) -> pd.DataFrame:
    """Return the composite definitions among the given indicators: composite, component, weight (units), by n."""
    rows = CompositeComponent.objects.filter(composite_id__in=list(indicator_ids)).order_by(
        "composite_id", "position", "component_id"
    )
    return exact_frame(
        [
            (row.composite_id, row.component_id, to_units(row.weight), row.composite.composite_weight_by_n)
            for row in rows.select_related("composite")
        ],
        COMPOSITE_COLUMNS,
        ["int64", "int64", "int64", "bool"],
    )


def not_applicable_frame(institution: Institution) -> pd.DataFrame:
    """Return every (indicator, year, college) of the institution to which the indicator does not apply."""
    return _not_applicable_frame(agenda_selectors.not_applicable(institution, list(institution.years)))


def _not_applicable_frame(rows: set[tuple[int, int, int]]) -> pd.DataFrame:
    """Return the engine's frame of agenda.selectors.not_applicable's (indicator, year, college) set."""
    return pd.DataFrame(sorted(rows), columns=NOT_APPLICABLE_COLUMNS).astype("int64")


def engine_inputs(institution: Institution, overrides: list[dict] | None = None) -> EngineInputs:
    """Return the engine's inputs for one institution."""
    return engine_inputs_many([institution], overrides)[institution.pk]


def engine_inputs_many(institutions: list[Institution], overrides: list[dict] | None = None) -> dict[int, EngineInputs]:
    """Return engine_inputs of each institution (all with the same years), read in one query per table for all.

    A sector recompute judges about 33 institutions per batch; reading each alone was about nine
    queries and a COPY per institution, the largest cost of the batch after its engine pass
    (docs/benchmarks.md 11.A). Every frame is read for all of them and split by institution,
    keeping each institution's rows in the order of reading it alone. `overrides`: see
    measurements_frame (an upload's dry run, one institution).
    """
    institutions = list(institutions)
    ids = [institution.pk for institution in institutions]
    years = list(institutions[0].years)
    indicators = list(
        Indicator.objects.filter(institution_id__in=ids)
        .select_related("theme")
        .order_by("institution_id", "position", "code")
    )
    indicator_ids = [i.id for i in indicators]
    owner = {i.id: i.institution_id for i in indicators}
    indicators_of: dict[int, list[Indicator]] = {pk: [] for pk in ids}
    for indicator in indicators:
        indicators_of[indicator.institution_id].append(indicator)
    indicator_frame = exact_frame(
        [
            (
                i.id,
                i.institution_id,
                1 if i.polarity == Polarity.HIGHER else -1,
                i.institution_only,
                i.baseline_year,
                to_units(i.baseline_value),
            )
            for i in indicators
        ],
        INDICATOR_COLUMNS,
        ["int64", "int64", "int64", "bool", "int64", "Int64"],
    )
    colleges: dict[int, list[College]] = {pk: [] for pk in ids}
    for college in College.objects.filter(institution_id__in=ids).order_by("institution_id", "code"):
        colleges[college.institution_id].append(college)
    teams: dict[int, list[tuple]] = {pk: [] for pk in ids}
    for institution_id, *row in (
        Team.objects.filter(institution_id__in=ids)
        .order_by("institution_id", "college__code", "code")  # Team's own ordering, per institution
        .values_list("institution_id", "id", "active_from", "active_until", "code")
    ):
        teams[institution_id].append(row)
    not_applicable = agenda_selectors.not_applicable_many(institutions, years)
    revised = agenda_selectors.revised_baselines_many(institutions, years)
    by_indicator = _splitter(owner, ids)
    measurements = by_indicator(measurements_frame(indicator_ids, overrides))
    ambitions = {version: by_indicator(frame) for version, frame in ambition_frames(indicator_ids).items()}
    composites = _splitter(owner, ids, column="composite")(composites_frame(indicator_ids))
    indicator_parts = by_indicator(indicator_frame)
    inputs = {}
    for institution in institutions:
        pk = institution.pk
        inputs[pk] = EngineInputs(
            measurements=measurements[pk],
            indicators=indicator_parts[pk],
            ambitions={version: parts[pk] for version, parts in ambitions.items()},
            colleges=college_frame(colleges[pk], institution),
            teams=team_frame(institution, teams[pk]),
            not_applicable=_not_applicable_frame(not_applicable[pk]),
            baselines=_baselines_frame(revised[pk]),
            indicator_meta={
                i.id: {
                    "code": i.code,
                    "name": i.name,
                    "theme": i.theme.code,
                    "polarity": i.polarity,
                    "theme_id": i.theme_id,
                }
                for i in indicators_of[pk]
            },
            college_meta={c.id: {"code": c.code, "name": c.name, "active": c.active} for c in colleges[pk]},
            team_codes={team_id: code for team_id, _, _, code in teams[pk]},
            composites=composites[pk],
        )
    return inputs


def _splitter(owner: dict[int, int], institution_ids: list[int], column: str = "indicator"):
    """Return a function that splits a frame into {institution id: its rows}, by the owner of `column`'s indicator.

    Each part keeps its rows in the frame's order with a fresh index, as a read of that
    institution alone gives them; with one institution the frame itself is its part.
    """
    keys = np.array(sorted(owner), dtype=np.int64)
    owners = np.array([owner[key] for key in keys.tolist()], dtype=np.int64)

    def split(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
        if len(institution_ids) == 1:
            return {institution_ids[0]: frame}
        rows = owners[np.searchsorted(keys, frame[column].to_numpy(dtype=np.int64))] if len(frame) else owners[:0]
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        parts = {}
        for pk in institution_ids:
            start, end = np.searchsorted(ordered, pk, "left"), np.searchsorted(ordered, pk, "right")
            parts[pk] = frame.take(order[start:end]).reset_index(drop=True)
        return parts

    return split


def joint_inputs(parts: list[EngineInputs]) -> EngineInputs:
    """Return the engine inputs of many institutions as one (rapportage.services.recompute_batch).

    Every frame's rows keep their institution's keys (indicator, college and team ids are unique
    across institutions), so the engine judges them together exactly as one by one; the lookup
    tables are merged for completeness, while each institution's own stay in its part.
    """

    def joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
        # Empty frames left out: their columns may be of another dtype (object) than the filled ones.
        filled = [frame for frame in frames if len(frame)]
        return pd.concat(filled, ignore_index=True) if filled else frames[0]

    return EngineInputs(
        measurements=joined([p.measurements for p in parts]),
        indicators=joined([p.indicators for p in parts]),
        ambitions={version: joined([p.ambitions[version] for p in parts]) for version in parts[0].ambitions},
        colleges=joined([p.colleges for p in parts]),
        teams=joined([p.teams for p in parts]),
        not_applicable=joined([p.not_applicable for p in parts]),
        baselines=joined([p.baselines for p in parts]),
        indicator_meta={k: v for p in parts for k, v in p.indicator_meta.items()},
        college_meta={k: v for p in parts for k, v in p.college_meta.items()},
        team_codes={k: v for p in parts for k, v in p.team_codes.items()},
        composites=joined([p.composites for p in parts]),
    )


def finished_runs(institution_ids: list[int]) -> dict[int, tuple]:
    """Return {institution id: (number of its finished runs, the last one's finish)}; absent when none.

    What recompute_batch compares before and after taking an institution's lock: any run that
    finished in between moves it (a count alone could stay put when old runs are cleared).
    """
    rows = (
        RecomputeRun.objects.filter(institution_id__in=institution_ids, state=RunState.DONE)
        .order_by()
        .values("institution_id")
        .annotate(count=Count("pk"), last=Max("finished_at"))
        .values_list("institution_id", "count", "last")
    )
    return {institution_id: (count, last) for institution_id, count, last in rows}


def budget_inputs(institution: Institution) -> tuple[list[BudgetYear], dict[str, dict[int, int]]]:
    """Return the budget years and the student numbers per college code and year.

    The themes' shares come per year from agenda.selectors.theme_shares_by_year (herijking).
    """
    years = list(BudgetYear.objects.filter(institution=institution).order_by("year"))
    students: dict[str, dict[int, int]] = {}
    for code, year, count in StudentCount.objects.filter(college__institution=institution).values_list(
        "college__code", "year", "count"
    ):
        students.setdefault(code, {})[year] = count
    return years, students


def status_body(institution: Institution, year: int, version: str = Version.CURRENT) -> dict:
    """Return the stored status of every indicator in `year` (contracts.md section 4)."""
    payloads = (
        IndicatorResult.objects.filter(institution=institution, year=year, version=version)
        .order_by("indicator__position", "indicator__code")
        .values_list("payload", flat=True)
    )
    # "voorlopig" until policy staff approved the year for every college (domain.md, sign-off).
    return {
        "institution": institution.code,
        "year": year,
        "data_status": data_status(institution, year),
        "indicators": list(payloads),
        **freshness(institution),
    }


def indicator_status(institution: Institution, code: str, year: int, version: str = Version.CURRENT) -> dict | None:
    """Return the stored STATUS of one indicator in one year (with the year's data_status and freshness), or None."""
    payload = (
        IndicatorResult.objects.filter(institution=institution, indicator__code=code, year=year, version=version)
        .values_list("payload", flat=True)
        .first()
    )
    if payload is None:
        return None
    return {**payload, "data_status": data_status(institution, year), **freshness(institution)}


def budget_body(institution: Institution, year: int) -> dict | None:
    """Return the stored budget split of `year` (with the budget's data_status and freshness), or None.

    The money of `year` moves with the verdicts of every earlier budget year (the reserve), so it is
    *vastgesteld* only when those years are approved too (indicatoren.selectors.budget_status).
    """
    payload = BudgetResult.objects.filter(institution=institution, year=year).values_list("payload", flat=True).first()
    if payload is None:
        return None
    return {**payload, "data_status": budget_status(institution, year), **freshness(institution)}


def last_run(institution: Institution) -> RecomputeRun | None:
    """Return the most recent recompute run of the institution."""
    return RecomputeRun.objects.filter(institution=institution).order_by("-requested_at", "-id").first()


def last_completed_run(institution: Institution) -> RecomputeRun | None:
    """Return the most recent finished recompute run."""
    return RecomputeRun.objects.filter(institution=institution, state="done").order_by("-finished_at", "-id").first()


def stale_run(institution: Institution) -> RecomputeRun | None:
    """Return the failed recompute after which the stored results are stale (*verouderd*), or None.

    The stored results are those of the last recompute that succeeded; when the most recent
    recompute to finish failed, they no longer follow the data and every page, API body and
    command says so (domain.md, "Points the rules above left open"; issue 11 part 7).
    """
    last = last_finished_run(institution)
    return last if last is not None and last.state == RunState.FAILED else None


def last_finished_run(institution: Institution) -> RecomputeRun | None:
    """Return the institution's recompute run that finished last (done or failed), or None."""
    return (
        RecomputeRun.objects.filter(institution=institution, state__in=[RunState.DONE, RunState.FAILED])
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .first()
    )


def freshness(institution: Institution) -> dict:
    """Return the fields of every result body that say whether it is stale: `stale` and `recompute_failed_at`."""
    run = stale_run(institution)
    failed_at = run.finished_at if run is not None else None
    return {"stale": run is not None, "recompute_failed_at": failed_at.isoformat() if failed_at else None}


def default_year(institution: Institution) -> int | None:
    """Return the latest agenda year that has a verdict (not only monitor or no data)."""
    return (
        IndicatorResult.objects.filter(institution=institution, version=Version.CURRENT, attained__isnull=False)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )


# --- Board dashboards (issue 6): reads that shape stored payloads for the pages and exports. ---
# Pages only display stored results (style.md, "Flow of a recompute"); the one exception is the
# trend across all years, which aggregates one indicator's measurements with the pure engine.


@dataclass
class IndicatorTrend:
    """Every year's values of one indicator: institution, colleges and teams (display only)."""

    institution: pd.DataFrame  # year, value (Decimal)
    colleges: pd.DataFrame  # year, college, name, value
    teams: pd.DataFrame  # year, college, team, name, value, n


def indicator_trend(indicator: Indicator, composites: pd.DataFrame | None = None) -> IndicatorTrend:
    """Return the institution, college and team values of `indicator` in every year with data.

    Only values that count (domain.md, "Which teams and colleges count") make up the trend.
    """
    institution = indicator.institution
    all_colleges = list(College.objects.filter(institution=institution))
    # A composite (issue 18) takes its values from its components where none is given.
    agg = _composite_values(indicator, all_colleges, composites).aggregates
    agg.teams = agg.teams[agg.teams["counted"]]
    colleges = {c.pk: (c.code, c.name) for c in all_colleges}
    team_ids = [int(t) for t in agg.teams["team"].dropna().unique()]
    teams = {
        pk: (code, name) for pk, code, name in Team.objects.filter(id__in=team_ids).values_list("id", "code", "name")
    }

    def decimals(series: pd.Series) -> list:
        """Return scaled engine units as Decimals (None when missing)."""
        return [to_decimal(v) for v in series]

    inst = agg.institution.sort_values("year")
    college_rows = agg.colleges.sort_values(["college", "year"])
    team_rows = agg.teams.sort_values(["year", "college", "team"])
    return IndicatorTrend(
        institution=pd.DataFrame({"year": inst["year"].astype(int).tolist(), "value": decimals(inst["value"])}),
        colleges=pd.DataFrame(
            {
                "year": college_rows["year"].astype(int).tolist(),
                "college": [colleges[int(c)][0] for c in college_rows["college"]],
                "name": [colleges[int(c)][1] for c in college_rows["college"]],
                "value": decimals(college_rows["value"]),
            },
            columns=["year", "college", "name", "value"],
        ),
        teams=pd.DataFrame(
            {
                "year": team_rows["year"].astype(int).tolist(),
                "college": [colleges[int(c)][0] for c in team_rows["college"]],
                "team": [teams[int(t)][0] for t in team_rows["team"]],
                "name": [teams[int(t)][1] for t in team_rows["team"]],
                "value": decimals(team_rows["value"]),
                "n": [None if pd.isna(n) else int(n) for n in team_rows["n"]],
            },
            columns=["year", "college", "team", "name", "value", "n"],
        ),
    )


def _composite_values(
    indicator: Indicator, all_colleges: list[College], composites: pd.DataFrame | None = None
) -> CompositeAggregates:
    """Return the values of `indicator` in every year (display only): with its components' when it is a composite.

    The frames hold only `indicator` (its components' rows are left out); `computed` lists what
    its components gave (rapportage.engine.composite, rule 2). `composites`: its definition when
    the caller read it already (composites_frame).
    """
    institution = indicator.institution
    if composites is None:
        composites = composites_frame([indicator.pk])
    frame = measurements_frame([indicator.pk, *(int(c) for c in composites["component"])])
    result = composite_aggregate(
        frame,
        composites,
        college_frame(all_colleges, institution),
        team_frame(institution),
        not_applicable_frame(institution),
    )
    if len(composites):
        agg = result.aggregates
        for part in ("teams", "colleges", "institution"):
            rows = getattr(agg, part)
            setattr(agg, part, rows[rows["indicator"] == indicator.pk].reset_index(drop=True))
    return result


def composite_data(indicator: Indicator, composites: pd.DataFrame | None = None) -> dict | None:
    """Return what the indicator page shows of a composite (issue 18): its components and where it was computed.

    Per year the composite's institution value, whether its components gave it ("berekend uit
    componenten") and each component's weight and institution value (given or aggregated).
    None when `indicator` is no composite. `composites`: its definition when read already.
    """
    if composites is None:
        composites = composites_frame([indicator.pk])
    if not len(composites):
        return None  # no further query for the usual, plain indicator
    rows = list(indicator.components.select_related("component").order_by("position", "component__code"))
    institution = indicator.institution
    all_colleges = list(College.objects.filter(institution=institution))
    own = _composite_values(indicator, all_colleges, composites)
    computed = own.computed
    computed_years = {int(y) for y in computed.loc[computed["level"] == "institution", "year"]}
    own_values = {
        int(y): to_decimal(v) for y, v in own.aggregates.institution[["year", "value"]].itertuples(index=False)
    }
    frame = measurements_frame([row.component_id for row in rows])
    counted = counted_rows(
        frame, college_frame(all_colleges, institution), team_frame(institution), not_applicable_frame(institution)
    )
    parts = aggregate(frame, counted).institution
    component_values = {
        (int(i), int(y)): to_decimal(v) for i, y, v in parts[["indicator", "year", "value"]].itertuples(index=False)
    }
    years = sorted(set(own_values) | {year for _, year in component_values})
    return {
        "weight_by_n": indicator.composite_weight_by_n,
        "years": [{"year": year, "value": own_values.get(year), "computed": year in computed_years} for year in years],
        "components": [
            {
                "code": row.component.code,
                "name": row.component.name,
                "weight": row.weight,
                "values": [component_values.get((row.component_id, year)) for year in years],
            }
            for row in rows
        ],
        "computed_units": len(computed),
    }


def stored_verdicts(institution: Institution, ids: list[int] | None = None) -> list[dict]:
    """Return the stored current STATUS bodies for comparing verdicts (engine.payload.verdict_flips).

    Read as text and parsed by orjson: the comparison reads only verdicts, counts and codes, so
    the exact decoder's per-number work is not needed (it was a twentieth of the recompute,
    docs/benchmarks.md section 7), and orjson parses in half the json module's time (when every
    value moved, 3,600 bodies per batch: benchmarks.md 14). Numbers with fractions come back as
    floats: not for display. `ids`: only these rows (those a recompute is about to replace).
    """
    rows = IndicatorResult.objects.filter(institution=institution, version=Version.CURRENT)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return [orjson.loads(text) for text in rows.values_list(Cast("payload", TextField()), flat=True)]


def stored_input_digests_many(institution_ids: list[int]) -> dict[int, dict[tuple, str]]:
    """Return per institution {(indicator id, year, version): input digest} of its stored bodies that have a digest.

    What attainment_recompute compares a recompute's input digests with (a row without its
    digest is built again whatever its inputs), read for a whole batch (recompute_batch).
    """
    found: dict[int, dict[tuple, str]] = {pk: {} for pk in institution_ids}
    for institution_id, indicator, year, version, digest, input_digest in IndicatorResult.objects.filter(
        institution_id__in=institution_ids
    ).values_list("institution_id", "indicator_id", "year", "version", "digest", "input_digest"):
        if digest:
            found[institution_id][(indicator, year, version)] = input_digest
    return found


def stored_result_digests(
    institution: Institution,
) -> tuple[dict[tuple, tuple[int, str, str, str]], dict[int, tuple[int, str]]]:
    """Return the stored results' ids and digests.

    {(indicator id, year, version): (id, digest, input digest, verdict digest)}, {year: (id, digest)}. A recompute
    compares them with what it computed and writes only the rows that differ (issue 16); a STATUS
    whose input digest is unchanged is not even built.
    """
    statuses = {
        (indicator, year, version): (pk, digest, input_digest, verdict_digest)
        for pk, indicator, year, version, digest, input_digest, verdict_digest in IndicatorResult.objects.filter(
            institution=institution
        ).values_list("pk", "indicator_id", "year", "version", "digest", "input_digest", "verdict_digest")
    }
    budgets = {
        year: (pk, digest)
        for pk, year, digest in BudgetResult.objects.filter(institution=institution).values_list("pk", "year", "digest")
    }
    return statuses, budgets


def indicator_history(institution: Institution, code: str, version: str = Version.CURRENT) -> list[dict]:
    """Return the stored STATUS of one indicator in every agenda year, oldest first."""
    return list(
        IndicatorResult.objects.filter(institution=institution, indicator__code=code, version=version)
        .order_by("year")
        .values_list("payload", flat=True)
    )


def verdict_counts(statuses: list[dict]) -> dict:
    """Return how many statuses are attained, not attained and without a verdict."""
    met = sum(1 for s in statuses if s["attained"] is True)
    not_met = sum(1 for s in statuses if s["attained"] is False)
    return {"met": met, "not_met": not_met, "none": len(statuses) - met - not_met, "judged": met + not_met}


def overview_data(institution: Institution, year: int) -> dict:
    """Return the themes with their indicators' stored verdicts in `year` and the counts per theme."""
    body = status_body(institution, year)
    by_theme: dict[str, list[dict]] = {}
    for status in body["indicators"]:
        by_theme.setdefault(status["theme"], []).append(status)
    themes = [
        {
            "theme": theme,
            "statuses": by_theme.get(theme.code, []),
            "counts": verdict_counts(by_theme.get(theme.code, [])),
        }
        for theme in Theme.objects.filter(institution=institution).order_by("position", "code")
    ]
    return {"themes": themes, "counts": verdict_counts(body["indicators"]), "body": body}


def college_rows(body: dict, college_code: str) -> list[dict]:
    """Return, per indicator of a status body, the STATUS and this college's entry (None if institution-only)."""
    rows = []
    for status in body["indicators"]:
        entry = next((c for c in status["colleges"] if c["college"] == college_code), None)
        unreferenced = [t for t in status.get("teams_without_baseline", []) if t["college"] == college_code]
        rows.append({"status": status, "college": entry, "teams_without_baseline": unreferenced})
    return rows


def colleges_data(institution: Institution, year: int) -> dict:
    """Return every college with its result per college-level indicator in `year` and the counts."""
    matrix = college_matrix(status_body(institution, year))
    by_code = {row["college"]: row for row in matrix["rows"]}
    empty = {"cells": [None] * len(matrix["indicators"]), "met": 0, "judged": 0}
    rows = [
        {**by_code.get(college.code, empty), "college": college}
        for college in College.objects.filter(institution=institution).order_by("code")
    ]
    return {"indicators": matrix["indicators"], "rows": rows}


def college_data(institution: Institution, college: College, year: int) -> dict:
    """Return one college's results per theme, its team names, budget part and measures."""

    body = status_body(institution, year)
    rows = college_rows(body, college.code)
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    by_theme = {theme.code: [] for theme in themes}
    for row in rows:
        by_theme.setdefault(row["status"]["theme"], []).append(row)
    entries = [row["college"] for row in rows if row["college"] is not None]
    judged = [c for c in entries if c["met"] is not None]
    measures = list(
        Measure.objects.filter(institution=institution, college__isnull=True)
        .select_related("theme")
        .prefetch_related("indicators")
        .order_by("theme__position", "title")
    )
    own = list(
        Measure.objects.filter(institution=institution, college=college)
        .select_related("theme")
        .prefetch_related("indicators")
        .order_by("theme__position", "title")
    )
    budget = budget_body(institution, year)
    names = {theme.code: theme.name for theme in themes}
    budget_rows = []
    for theme in (budget or {}).get("themes", []):
        part = next((c for c in theme["colleges"] if c["college"] == college.code), None)
        if part is not None:
            budget_rows.append({"theme": theme["theme"], "name": names.get(theme["theme"], ""), **part})
    return {
        "themes": [{"theme": theme, "rows": by_theme[theme.code]} for theme in themes if by_theme[theme.code]],
        "counts": {
            "met": sum(1 for c in judged if c["met"]),
            "not_met": sum(1 for c in judged if c["met"] is False),
            "judged": len(judged),
            "none": len(rows) - len(judged),
        },
        "team_names": dict(Team.objects.filter(college=college).values_list("code", "name")),
        "own_measures": own,
        "roc_measures": measures,
        "budget": budget_rows,
        "budget_totals": {
            key: sum(row[key] for row in budget_rows)
            for key in ("amount_cents", "fixed_cents", "result_dependent_cents", "released_cents", "reserved_cents")
        },
    }


def indicator_data(institution: Institution, indicator: Indicator, year: int) -> dict:
    """Return what the indicator page shows: stored statuses, the trend, definition, choices, factors, measures, evidence.

    `choices` are the settings the agenda leaves open and the institution chose (agenda file,
    contracts-extensions.md section 8); `choice_keys` the first part of their fields ("baseline",
    "ambitions", "polarity"), so the page can mark those settings where it shows them.
    """

    history = indicator_history(institution, indicator.code)
    status = next((s for s in history if s["year"] == year), None)
    # A composite's definition (issue 18), read once for the trend and the components' section.
    composites = composites_frame([indicator.pk])
    trend = indicator_trend(indicator, composites)
    choices = indicator.marked_choices
    return {
        "composite": composite_data(indicator, composites),
        "status": status,
        "choices": choices,
        "choice_keys": {choice["field"].split(".")[0] for choice in choices},
        "history": history,
        "trend": trend,
        "institution_rows": trend.institution.to_dict("records"),
        "team_names": dict(zip(trend.teams["team"], trend.teams["name"], strict=True)),
        "factors": list(indicator.factors.order_by("position", "name")),
        "measures": list(indicator.measures.select_related("college", "theme").order_by("college__code", "title")),
        "evidence": list(
            Evidence.objects.filter(institution=institution, theme_id=indicator.theme_id)
            .select_related("college", "team")
            .order_by("-year", "title")
        ),
    }


def funds_table(themes: list[dict], funds: list[dict], total_cents: int) -> dict:
    """Return the agenda's ch. 12 table: per national theme the quality budget, other funds and total.

    `themes`: code, name, national, amount_cents (the theme's quality budget); `funds`: theme code
    and amount_cents of every other additional fund of the year. Percentages are whole numbers as
    in the agenda ("25% 7 59% 4,8 41% 11,8 100%"), computed from exact integers.
    """

    def pct(part: int, whole: int) -> int | None:
        # Round half up on exact integers: 59,32 % -> 59 %, as the agenda prints it.
        return None if whole == 0 else (200 * part + whole) // (2 * whole)

    other: dict[str, int] = {}
    for fund in funds:
        other[fund["theme"]] = other.get(fund["theme"], 0) + fund["amount_cents"]
    rows = []
    for theme in themes:
        if not theme["national"]:
            continue
        quality, extra = theme["amount_cents"], other.get(theme["code"], 0)
        rows.append(
            {
                "theme": theme["code"],
                "name": theme["name"],
                "quality_cents": quality,
                "quality_pct_of_budget": pct(quality, total_cents),
                "quality_pct": pct(quality, quality + extra),
                "other_cents": extra,
                "other_pct": pct(extra, quality + extra),
                "total_cents": quality + extra,
            }
        )
    quality = sum(r["quality_cents"] for r in rows)
    extra = sum(r["other_cents"] for r in rows)
    total = {
        "quality_cents": quality,
        "quality_pct_of_budget": pct(quality, total_cents),
        "quality_pct": pct(quality, quality + extra),
        "other_cents": extra,
        "other_pct": pct(extra, quality + extra),
        "total_cents": quality + extra,
    }
    return {"rows": rows, "total": total}


def budget_totals(body: dict) -> dict:
    """Return the year's sums (central, fixed, result-dependent, released, reserved) overall, per college and theme."""
    keys = ("amount_cents", "fixed_cents", "result_dependent_cents", "released_cents", "reserved_cents")
    totals = {key: 0 for key in keys}
    per_college: dict[str, dict] = {}
    for theme in body["themes"]:
        for part in theme["colleges"]:
            row = per_college.setdefault(part["college"], {key: 0 for key in keys} | {"college": part["college"]})
            for key in keys:
                totals[key] += part[key]
                row[key] += part[key]
    totals["central_cents"] = sum(theme["central_cents"] for theme in body["themes"])
    theme_rows = [
        {
            "theme": theme["theme"],
            "share_pct": theme["share_pct"],
            "amount_cents": theme["amount_cents"],
            "central_cents": theme["central_cents"],
            **{key: sum(part[key] for part in theme["colleges"]) for key in keys[1:]},
        }
        for theme in body["themes"]
    ]
    return {"totals": totals, "colleges": [per_college[code] for code in sorted(per_college)], "theme_rows": theme_rows}


def budget_data(institution: Institution, year: int) -> dict:
    """Return the stored budget of `year` with theme and college names, sums and the other funds."""

    body = budget_body(institution, year)
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    college_names = dict(College.objects.filter(institution=institution).values_list("code", "name"))
    theme_names = {t.code: t.name for t in themes}
    if body is None:
        return {"body": None, "themes": themes, "theme_names": theme_names, "college_names": college_names}
    amounts = {t["theme"]: t["amount_cents"] for t in body["themes"]}
    # A fund without a year counts in every year (AdditionalFund.year: "leeg: elk jaar").
    funds = list(
        AdditionalFund.objects.filter(institution=institution)
        .filter(Q(year=year) | Q(year__isnull=True))
        .select_related("theme")
        .order_by("theme__position", "source")
    )
    return {
        "body": body,
        "themes": themes,
        "theme_names": theme_names,
        "college_names": college_names,
        "funds": funds,
        "funds_table": funds_table(
            [
                {"code": t.code, "name": t.name, "national": t.national, "amount_cents": amounts.get(t.code, 0)}
                for t in themes
            ],
            [{"theme": f.theme.code, "amount_cents": f.amount_cents} for f in funds],
            body["total_cents"],
        ),
        **budget_totals(body),
    }


def herijking_data(institution: Institution, year: int) -> dict:
    """Return per indicator the verdict under the original and the current ambition, and every revision.

    Revisions are those of ambitions and, each beside the version before it, of theme shares,
    applicability and baselines (domain.md, "The agenda changes over time").
    """
    current = status_body(institution, year, Version.CURRENT)["indicators"]
    original = {s["indicator"]: s for s in status_body(institution, year, Version.ORIGINAL)["indicators"]}
    rows = []
    for status in current:
        before = original.get(status["indicator"])
        changed_ambition = before is not None and (
            before["ambition_type"],
            before["target"],
            before["tolerance"],
        ) != (status["ambition_type"], status["target"], status["tolerance"])
        rows.append(
            {
                "code": status["indicator"],
                "current": status,
                "original": before,
                "ambition_changed": changed_ambition,
                "verdict_changed": before is not None and before["attained"] != status["attained"],
            }
        )
    ambitions = list(
        Ambition.objects.filter(indicator__institution=institution)
        .select_related("indicator", "author")
        .order_by("indicator__position", "indicator__code", "year", "revision")
    )
    grouped: dict[tuple, list[Ambition]] = {}
    for ambition in ambitions:
        grouped.setdefault((ambition.indicator_id, ambition.year), []).append(ambition)
    revisions = [
        {"indicator": items[0].indicator, "year": items[0].year, "revisions": items}
        for items in grouped.values()
        if len(items) > 1
    ]
    return {
        "rows": rows,
        "revisions": revisions,
        "changed": sum(1 for row in rows if row["verdict_changed"]),
        **_herijking_agenda_revisions(institution),
    }


def _herijking_agenda_revisions(institution: Institution) -> dict:
    """Return the revisions of theme shares, applicability and baselines, each beside the version before it.

    "Before" is what was in force in the year before the revision: the previous revision of the
    same theme or indicator, else the agenda's own value (domain.md, "The agenda changes over
    time"). One query says which kinds exist, so a page without such revisions pays one query.
    """
    kinds = (
        Institution.objects.filter(pk=institution.pk)
        .annotate(
            has_shares=Exists(ThemeShareRevision.objects.filter(theme__institution=OuterRef("pk"))),
            has_colleges=Exists(
                Applicability.objects.filter(indicator__institution=OuterRef("pk"), from_year__isnull=False)
            ),
            has_baselines=Exists(BaselineRevision.objects.filter(indicator__institution=OuterRef("pk"))),
        )
        .values("has_shares", "has_colleges", "has_baselines")
        .get()
    )
    return {
        "share_revisions": _share_revisions(institution) if kinds["has_shares"] else [],
        "applicability_revisions": _applicability_revisions(institution) if kinds["has_colleges"] else [],
        "baseline_revisions": _baseline_revisions(institution) if kinds["has_baselines"] else [],
    }


def _share_revisions(institution: Institution) -> list[dict]:
    """Return every theme share revision with the share in force before it, in theme order."""
    result, previous = [], {}
    for revision in (
        ThemeShareRevision.objects.filter(theme__institution=institution)
        .select_related("theme", "author")
        .order_by("theme__position", "theme__code", "from_year")
    ):
        result.append(
            {
                "theme": revision.theme,
                "from_year": revision.from_year,
                "before": previous.get(revision.theme_id, revision.theme.budget_share_pct),
                "after": revision.budget_share_pct,
                "revision": revision,
            }
        )
        previous[revision.theme_id] = revision.budget_share_pct
    return result


def _applicability_revisions(institution: Institution) -> list[dict]:
    """Return every applicability revision from a year with the colleges before and after it, added and removed.

    Before the first revision an indicator applies to its own list, else to every college.
    """
    rows = list(
        Applicability.objects.filter(indicator__institution=institution)
        .select_related("indicator", "author")
        .order_by("indicator__position", "indicator__code", F("from_year").asc(nulls_first=True))
    )
    lists: dict[int, set[int]] = {row.pk: set() for row in rows}
    for row_id, college_id in Applicability.colleges.through.objects.filter(
        applicability_id__in=list(lists)
    ).values_list("applicability_id", "college_id"):
        lists[row_id].add(college_id)
    colleges = list(College.objects.filter(institution=institution).order_by("code"))
    every = {college.pk for college in colleges}
    result, in_force = [], {}
    for row in rows:
        after = lists[row.pk]
        if row.from_year is not None:
            before = in_force.get(row.indicator_id, every)
            result.append(
                {
                    "indicator": row.indicator,
                    "from_year": row.from_year,
                    "before": [c for c in colleges if c.pk in before],
                    "after": [c for c in colleges if c.pk in after],
                    "added": [c for c in colleges if c.pk in after - before],
                    "removed": [c for c in colleges if c.pk in before - after],
                    "total": len(colleges),
                    "revision": row,
                }
            )
        in_force[row.indicator_id] = after
    return result


def _baseline_revisions(institution: Institution) -> list[dict]:
    """Return every baseline revision with the baseline in force before it, in indicator order."""
    result, previous = [], {}
    for revision in (
        BaselineRevision.objects.filter(indicator__institution=institution)
        .select_related("indicator", "author")
        .order_by("indicator__position", "indicator__code", "from_year")
    ):
        indicator = revision.indicator
        before = previous.get(indicator.pk, (indicator.baseline_year, indicator.baseline_value))
        result.append(
            {
                "indicator": indicator,
                "from_year": revision.from_year,
                "before_year": before[0],
                "before_value": before[1],
                "after_year": revision.baseline_year,
                "after_value": revision.baseline_value,
                "revision": revision,
            }
        )
        previous[indicator.pk] = (revision.baseline_year, revision.baseline_value)
    return result


def college_matrix(body: dict) -> dict:
    """Return the colleges (rows) by college-level indicators (columns) with each college's result."""
    statuses = [s for s in body["indicators"] if not s["institution_only"]]
    entries = {(s["indicator"], c["college"]): c for s in statuses for c in s["colleges"]}
    names = {c["college"]: c["name"] for s in statuses for c in s["colleges"]}
    rows = []
    for code in sorted(names):
        cells = [entries.get((s["indicator"], code), {}).get("met") for s in statuses]
        rows.append(
            {
                "college": code,
                "name": names[code],
                "cells": cells,
                "met": sum(1 for c in cells if c is True),
                "judged": sum(1 for c in cells if c is not None),
            }
        )
    return {"indicators": [s["indicator"] for s in statuses], "rows": rows}


def report_data(institution: Institution, year: int) -> dict:
    """Return everything the annual-report export and the print layout show for `year`."""
    overview = overview_data(institution, year)
    body = overview["body"]
    budget = budget_data(institution, year)
    run = last_completed_run(institution)
    return {
        **overview,
        "matrix": college_matrix(body),
        "budget": budget,
        "theme_names": budget["theme_names"],
        "run": run,
        "meta": {
            "institution": institution.code,
            "name": institution.name,
            "year": year,
            "computed_at": run.finished_at if run else None,
            "synthetic": institution.synthetic_data,
            "data_status": data_status(institution, year),
            # After a failed recompute the workbook says *verouderd* too (domain.md, decided points):
            # freshness() as the status body shown has it, so the line and the figures are one read.
            "stale": body["stale"],
            "recompute_failed_at": body["recompute_failed_at"],
        },
    }


def stored_budgets(institution: Institution, ids: list[int] | None = None) -> dict[int, dict]:
    """Return the stored budget bodies per year, for comparing amounts (engine.changes.budget_changes).

    Read with the json module's C parser like stored_verdicts: the comparison reads integer
    cents and codes only. `ids`: only these rows.
    """
    rows = BudgetResult.objects.filter(institution=institution)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return {year: json.loads(text) for year, text in rows.values_list("year", Cast("payload", TextField()))}
