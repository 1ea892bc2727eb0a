"""Reads for the engine and the pages: the only code that turns ORM rows into frames."""

from dataclasses import dataclass

import pandas as pd

from agenda.choices import Polarity
from agenda.models import Ambition, BudgetYear, College, Indicator, Institution, Team, Theme
from indicatoren.models import Measurement, StudentCount
from rapportage.engine.attainment import AMBITION_COLUMNS, COLLEGE_COLUMNS, INDICATOR_COLUMNS, MEASUREMENT_COLUMNS
from rapportage.engine.numbers import to_units
from rapportage.models import BudgetResult, IndicatorResult, RecomputeRun, Version


@dataclass
class EngineInputs:
    """Everything the engine needs for one institution, as frames and lookup tables."""

    measurements: pd.DataFrame
    indicators: pd.DataFrame
    ambitions: dict[str, pd.DataFrame]  # version -> one ambition per (indicator, year)
    colleges: pd.DataFrame
    indicator_meta: dict[int, dict]
    college_meta: dict[int, dict]
    team_codes: dict[int, str]


def measurements_frame(indicator_ids, overrides: list[dict] | None = None) -> pd.DataFrame:
    """Return the measurements of the given indicators as an engine frame (values in units).

    `overrides` are would-be rows (indicator, year, level, college, team, value, n) that
    replace or add to the stored ones: the dry run of an upload judges them without saving.
    """
    rows = Measurement.objects.filter(indicator_id__in=list(indicator_ids)).values_list(
        "indicator_id", "year", "level", "college_id", "team_id", "value", "n"
    )
    data = {(r[0], r[1], r[2], r[3], r[4]): (r[5], r[6]) for r in rows}
    for row in overrides or []:
        data[(row["indicator"], row["year"], row["level"], row["college"], row["team"])] = (row["value"], row["n"])
    frame = pd.DataFrame([(*key, to_units(value), n) for key, (value, n) in data.items()], columns=MEASUREMENT_COLUMNS)
    return frame.astype(
        {"indicator": "int64", "year": "int64", "college": "Int64", "team": "Int64", "value": "Int64", "n": "Int64"}
    )


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
        frames[version] = pd.DataFrame(
            [(r[0], r[1], r[3], to_units(r[4]), to_units(r[5]), r[6], r[7]) for r in chosen.values()],
            columns=AMBITION_COLUMNS,
        ).astype(
            {"indicator": "int64", "year": "int64", "target": "Int64", "tolerance": "Int64", "ambition_id": "Int64"}
        )
    return frames


def engine_inputs(institution: Institution, overrides: list[dict] | None = None) -> EngineInputs:
    """Return the engine's inputs for one institution."""
    indicators = list(
        Indicator.objects.filter(institution=institution).select_related("theme").order_by("position", "code")
    )
    ids = [i.id for i in indicators]
    indicator_frame = pd.DataFrame(
        [
            (
                i.id,
                institution.id,
                1 if i.polarity == Polarity.HIGHER else -1,
                i.institution_only,
                i.baseline_year,
                to_units(i.baseline_value),
            )
            for i in indicators
        ],
        columns=INDICATOR_COLUMNS,
    ).astype({"indicator": "int64", "baseline_value": "Int64"})
    colleges = list(College.objects.filter(institution=institution).order_by("code"))
    college_frame = pd.DataFrame([(c.id, institution.id, c.active) for c in colleges], columns=COLLEGE_COLUMNS).astype(
        {"college": "int64", "active": "bool"}
    )
    return EngineInputs(
        measurements=measurements_frame(ids, overrides),
        indicators=indicator_frame,
        ambitions=ambition_frames(ids),
        colleges=college_frame,
        indicator_meta={
            i.id: {
                "code": i.code,
                "name": i.name,
                "theme": i.theme.code,
                "polarity": i.polarity,
                "theme_id": i.theme_id,
            }
            for i in indicators
        },
        college_meta={c.id: {"code": c.code, "name": c.name, "active": c.active} for c in colleges},
        team_codes=dict(Team.objects.filter(institution=institution).values_list("id", "code")),
    )


def budget_inputs(institution: Institution) -> tuple[list[BudgetYear], list[Theme], dict[str, dict[int, int]]]:
    """Return the budget years, the themes and the student numbers per college code and year."""
    years = list(BudgetYear.objects.filter(institution=institution).order_by("year"))
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    students: dict[str, dict[int, int]] = {}
    for code, year, count in StudentCount.objects.filter(college__institution=institution).values_list(
        "college__code", "year", "count"
    ):
        students.setdefault(code, {})[year] = count
    return years, themes, students


def institution_for(code: str | None) -> Institution:
    """Return the institution with `code`, or the only one when `code` is None."""
    if code:
        return Institution.objects.get(code=code)
    institutions = list(Institution.objects.all()[:2])
    if len(institutions) != 1:
        raise Institution.DoesNotExist(
            "Geef --institution CODE: er zijn " + ("geen" if not institutions else "meerdere") + " instellingen."
        )
    return institutions[0]


def status_body(institution: Institution, year: int, version: str = Version.CURRENT) -> dict:
    """Return the stored status of every indicator in `year` (contracts.md section 4)."""
    payloads = (
        IndicatorResult.objects.filter(institution=institution, year=year, version=version)
        .order_by("indicator__position", "indicator__code")
        .values_list("payload", flat=True)
    )
    return {"institution": institution.code, "year": year, "indicators": list(payloads)}


def indicator_status(institution: Institution, code: str, year: int, version: str = Version.CURRENT) -> dict | None:
    """Return the stored STATUS of one indicator in one year, or None."""
    return (
        IndicatorResult.objects.filter(institution=institution, indicator__code=code, year=year, version=version)
        .values_list("payload", flat=True)
        .first()
    )


def budget_body(institution: Institution, year: int) -> dict | None:
    """Return the stored budget split of `year`, or None."""
    return BudgetResult.objects.filter(institution=institution, year=year).values_list("payload", flat=True).first()


def last_run(institution: Institution) -> RecomputeRun | None:
    """Return the most recent recompute run of the institution."""
    return RecomputeRun.objects.filter(institution=institution).order_by("-requested_at", "-id").first()


def last_completed_run(institution: Institution) -> RecomputeRun | None:
    """Return the most recent finished recompute run."""
    return RecomputeRun.objects.filter(institution=institution, state="done").order_by("-finished_at", "-id").first()


def default_year(institution: Institution) -> int | None:
    """Return the latest agenda year that has a verdict (not only monitor or no data)."""
    return (
        IndicatorResult.objects.filter(institution=institution, version=Version.CURRENT, attained__isnull=False)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
