"""Reads of measured values: every value of an institution as benchmark rows (backup)."""

from agenda.models import Institution
from indicatoren.models import Measurement, StudentCount

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
