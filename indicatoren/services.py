"""Writes of measured values: one value, or many at once (grid, upload), always with history."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from agenda.choices import Level, Unit
from agenda.models import College, Indicator, Institution, Team
from indicatoren.models import Measurement, StudentCount
from rapportage.services import recompute_request

UNIT_RANGES = {
    Unit.PERCENT: (Decimal(0), Decimal(100)),
    Unit.SCORE: (Decimal(1), Decimal(10)),
    Unit.COUNT: (Decimal(0), None),
}


def value_problem(indicator: Indicator, value: Decimal) -> str | None:
    """Return why `value` is not valid for the indicator's unit, or None."""
    low, high = UNIT_RANGES[indicator.unit]
    if value < low or (high is not None and value > high):
        bounds = f"{low} en {high}" if high is not None else f"minstens {low}"
        return (
            f"De waarde {value} past niet bij de eenheid {indicator.get_unit_display()}: moet tussen {bounds} liggen."
        )
    if -value.as_tuple().exponent > 6:
        return "Hoogstens 6 decimalen."
    return None


def unit_of(college: College | None, team: Team | None) -> tuple[str, College | None]:
    """Return the level and college of a unit given by team, college or neither."""
    if team is not None:
        if college is not None and team.college_id != college.pk:
            raise ValidationError(f"Team {team.code} hoort niet bij college {college.code}.")
        return Level.TEAM, team.college
    if college is not None:
        return Level.COLLEGE, college
    return Level.INSTITUTION, None


@dataclass
class MeasurementRow:
    """A value to store: indicator, year, unit, value and optional n."""

    indicator: Indicator
    year: int
    value: Decimal
    college: College | None = None
    team: Team | None = None
    n: int | None = None


@dataclass
class ApplyReport:
    """How many values were new, changed or unchanged."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0


def _check_row(row: MeasurementRow, allowed_colleges) -> tuple[str, College | None]:
    """Return the row's level and college after checking permission, level and range."""
    level, college = unit_of(row.college, row.team)
    if allowed_colleges is not None and (college is None or college.pk not in allowed_colleges):
        raise PermissionDenied("Geen rechten voor deze eenheid.")
    if level not in row.indicator.levels:
        raise ValidationError(f"Indicator {row.indicator.code} wordt niet op niveau {level} gemeten.")
    problem = value_problem(row.indicator, row.value)
    if problem:
        raise ValidationError(problem)
    if row.n is not None and row.n < 0:
        raise ValidationError("n moet een geheel getal van 0 of meer zijn.")
    return level, college


@transaction.atomic
def measurements_apply(
    *,
    institution: Institution,
    rows: list[MeasurementRow],
    user=None,
    source: str = "",
    upload=None,
    allowed_colleges=None,
) -> ApplyReport:
    """Insert or replace many values at once, keeping history; all or nothing, one recompute."""
    report = ApplyReport()
    keys = []
    for row in rows:
        if row.indicator.institution_id != institution.pk:
            raise PermissionDenied("Indicator van een andere instelling.")
        level, college = _check_row(row, allowed_colleges)
        keys.append(
            (row.indicator.pk, row.year, level, college.pk if college else None, row.team.pk if row.team else None)
        )
    existing = {
        (m.indicator_id, m.year, m.level, m.college_id, m.team_id): m
        for m in Measurement.objects.filter(
            indicator__institution=institution, indicator_id__in={k[0] for k in keys}, year__in={k[1] for k in keys}
        )
    }
    now = timezone.now()
    creates, updates = [], []
    for key, row in zip(keys, rows, strict=True):
        current = existing.get(key)
        if current is None:
            creates.append(
                Measurement(
                    indicator=row.indicator,
                    year=row.year,
                    level=key[2],
                    college_id=key[3],
                    team_id=key[4],
                    value=row.value,
                    n=row.n,
                    source=source,
                    upload=upload,
                    updated_by=user,
                    updated_at=now,
                )
            )
        elif current.value != row.value or current.n != row.n:
            current.value, current.n, current.source, current.upload = row.value, row.n, source, upload
            current.updated_by, current.updated_at = user, now
            updates.append(current)
        else:
            report.unchanged += 1
    if creates:
        bulk_create_with_history(creates, Measurement, batch_size=2000, default_user=user, default_change_reason=source)
    if updates:
        bulk_update_with_history(
            updates,
            Measurement,
            ["value", "n", "source", "upload", "updated_by", "updated_at"],
            batch_size=2000,
            default_user=user,
            default_change_reason=source,
        )
    report.new, report.changed = len(creates), len(updates)
    if creates or updates:
        recompute_request(institution=institution, reason=source or "waarden gewijzigd")
    return report


def measurement_record(
    *,
    indicator: Indicator,
    year: int,
    value: Decimal,
    college=None,
    team=None,
    n=None,
    user=None,
    source="",
    allowed_colleges=None,
) -> ApplyReport:
    """Insert or replace one value (with history) and ask for a recompute."""
    row = MeasurementRow(indicator=indicator, year=year, value=value, college=college, team=team, n=n)
    return measurements_apply(
        institution=indicator.institution, rows=[row], user=user, source=source, allowed_colleges=allowed_colleges
    )


@transaction.atomic
def measurement_delete(*, measurement: Measurement, user=None, allowed_colleges=None) -> None:
    """Delete one value (history keeps it) and ask for a recompute."""
    if allowed_colleges is not None and measurement.college_id not in allowed_colleges:
        raise PermissionDenied("Geen rechten voor deze eenheid.")
    institution = measurement.indicator.institution
    measurement._history_user = user
    measurement.delete()
    recompute_request(institution=institution, reason="waarde verwijderd")


@transaction.atomic
def student_counts_apply(
    *, institution: Institution, counts: dict[tuple[College, int], int], upload=None
) -> ApplyReport:
    """Insert or replace student numbers per college and year (the budget weights)."""
    report = ApplyReport()
    for (college, year), count in counts.items():
        if college.institution_id != institution.pk:
            raise PermissionDenied("College van een andere instelling.")
        current = StudentCount.objects.filter(college=college, year=year).first()
        if current is None:
            StudentCount.objects.create(college=college, year=year, count=count, upload=upload)
            report.new += 1
        elif current.count != count:
            current.count, current.upload = count, upload
            current.save()
            report.changed += 1
        else:
            report.unchanged += 1
    if report.new or report.changed:
        recompute_request(institution=institution, reason="studentaantallen gewijzigd")
    return report
