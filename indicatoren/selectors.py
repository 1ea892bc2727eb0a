"""Reads of measured values: benchmark rows (backup) and the sign-off state of a year."""

from agenda.models import College, Institution
from indicatoren.choices import SignoffState
from indicatoren.models import ContextValue, Measurement, StudentCount, YearSignoff

PROVISIONAL, FINAL = "voorlopig", "vastgesteld"

# The long format of contracts.md section 2 with the optional columns of issue 18 (series, source, group).
COLUMNS = ["jaar", "indicator", "college", "team", "waarde", "n", "reeks", "bron", "groep"]


def _number(value) -> str:
    """Return a stored value as the import format writes it: exact, with a decimal comma."""
    return format(value.normalize(), "f").replace(".", ",")


def benchmark_rows(institution: Institution) -> list[list[str]]:
    """Return all values, comparison and breakdown values and student numbers in the long format (contracts.md section 2).

    Own totals have an empty reeks and groep and their source; a ContextValue row its series,
    source and 'dimensie: groep', so importing the file gives the same rows (issue 18).
    """
    rows = []
    for year, code, college, team, value, n, source in (
        Measurement.objects.filter(indicator__institution=institution)
        .order_by("indicator__position", "year", "level", "college__code", "team__code")
        .values_list("year", "indicator__code", "college__code", "team__code", "value", "n", "source")
    ):
        rows.append(
            [str(year), code, college or "", team or "", _number(value), "" if n is None else str(n), "", source, ""]
        )
    for year, code, college, value, n, series, source, dimension, group in (
        ContextValue.objects.filter(indicator__institution=institution)
        .order_by("indicator__position", "series", "dimension", "group", "year", "level", "college__code")
        .values_list("year", "indicator__code", "college__code", "value", "n", "series", "source", "dimension", "group")
    ):
        rows.append(
            [
                str(year),
                code,
                college or "",
                "",
                _number(value),
                "" if n is None else str(n),
                series,
                source,
                f"{dimension}: {group}" if group else "",
            ]
        )
    for college, year, count in (
        StudentCount.objects.filter(college__institution=institution)
        .order_by("college__code", "year")
        .values_list("college__code", "year", "count")
    ):
        rows.append([str(year), "studenten", college, "", str(count), "", "", "", ""])
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
