"""Reads of measured values: benchmark rows (backup) and the sign-off state of a year."""

from agenda.models import College, Institution
from indicatoren.choices import SignoffState
from indicatoren.models import Measurement, StudentCount, YearSignoff

PROVISIONAL, FINAL = "voorlopig", "vastgesteld"

COLUMNS = ["jaar", "indicator", "college", "team", "waarde", "n"]


def benchmark_rows(institution: Institution) -> list[list[str]]:
    """Return all values and student numbers in the long format of contracts.md section 2."""
    rows = []
    for year, code, college, team, value, n in (
        Measurement.objects.filter(indicator__institution=institution)
        .order_by("indicator__position", "year", "level", "college__code", "team__code")
        .values_list("year", "indicator__code", "college__code", "team__code", "value", "n")
    ):
        text = format(value.normalize(), "f").replace(".", ",")
        rows.append([str(year), code, college or "", team or "", text, "" if n is None else str(n)])
    for college, year, count in (
        StudentCount.objects.filter(college__institution=institution)
        .order_by("college__code", "year")
        .values_list("college__code", "year", "count")
    ):
        rows.append([str(year), "studenten", college, "", str(count), ""])
    return rows


def year_states(institution: Institution, years) -> dict[tuple[int | None, int], str]:
    """Return the sign-off state per (college id or None, year); units without a row are open."""
    rows = YearSignoff.objects.filter(institution=institution, year__in=list(years)).values_list(
        "college_id", "year", "state"
    )
    return {(college, year): state for college, year, state in rows}


def data_status(institution: Institution, year: int, college_ids=None) -> str:
    """Return 'vastgesteld' when the year is approved for every college and the institution level, else 'voorlopig'.

    Verdicts on unapproved data are provisional (domain.md, "Sign-off and locking"). With
    `college_ids`, only those colleges (not the institution level) are asked.
    """
    states = year_states(institution, [year])
    if college_ids is None:
        college_ids = [*College.objects.filter(institution=institution).values_list("pk", flat=True), None]
    approved = all(states.get((college, year)) == SignoffState.APPROVED for college in college_ids)
    return FINAL if approved else PROVISIONAL
