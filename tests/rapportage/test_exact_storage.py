"""Every value is stored exactly at any size the formats accept (domain.md; issue 11 part 7).

SQLite used to keep a decimal as a binary REAL of 15 significant digits: 123456789012,345678
came back rounded and 999999999999,9999, which the importer accepts, crashed the recompute
(decimal.InvalidOperation). These tests run on SQLite and the same on PostgreSQL.
"""

from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction

from agenda.models import Ambition, Indicator
from indicatoren.models import Measurement
from rapportage.models import RecomputeRun, RunState
from rapportage.selectors import measurements_frame
from tests.rapportage.exact_world import V16_NL, V18, V18_NL, benchmark_file, load_exact_world, measure, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def exact(db, django_capture_on_commit_callbacks):
    """Return the institution with one count indicator and nothing measured (its first recompute done)."""
    with django_capture_on_commit_callbacks(execute=True):
        return load_exact_world()


def test_a_value_of_18_significant_digits_is_stored_and_read_back_exactly(exact):
    """123456789012,345678 comes back with every digit, read as a row, a value list or a filter."""
    row = measure(V18)
    assert Measurement.objects.get(pk=row.pk).value == Decimal(V18)
    assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal(V18)]
    assert Measurement.objects.filter(value=Decimal(V18)).count() == 1
    # The agenda's numbers too: the baseline and target were loaded from strings in the file.
    indicator = Indicator.objects.get(institution=exact, code="cnt")
    assert indicator.baseline_value == Decimal("123456789012.345677")
    assert Ambition.objects.get(indicator=indicator).target == Decimal(V18)


def test_values_compare_and_sort_as_numbers(exact):
    """SQL still compares and sorts values as numbers (as text 8,5 would come after 60)."""
    for year, value in ((2018, "8.5"), (2019, "60"), (2020, "123.25"), (2021, "0.000001")):
        measure(value, year=year)
    mine = Measurement.objects.filter(indicator__institution=exact)
    assert list(mine.order_by("value").values_list("value", flat=True)) == [
        Decimal(v) for v in ("0.000001", "8.5", "60", "123.25")
    ]
    assert [m.year for m in mine.order_by("-value")] == [2020, 2019, 2018, 2021]
    assert set(mine.filter(value__gt=60).values_list("year", flat=True)) == {2020}
    assert set(mine.filter(value__gte=Decimal("8.5"), value__lt=100).values_list("year", flat=True)) == {2018, 2019}
    assert set(mine.filter(value__range=(0, 61)).values_list("year", flat=True)) == {2018, 2019, 2021}


def test_storage_keeps_six_decimals_as_numeric_18_6_does(exact):
    """A value reads back with the column's six decimals; what does not fit numeric(18, 6) is refused."""
    row = measure("77.5")
    assert str(Measurement.objects.get(pk=row.pk).value) == "77.500000"
    with pytest.raises(DataError), transaction.atomic():
        measure("1000000000000", year=2021)


def test_the_engine_reads_18_digit_values_exactly(exact):
    """The engine's frame holds the exact units of long values (not a REAL's 15 digits)."""
    measure(V18)
    measure("999999999999.9999", team_code="C1-T2")
    frame = measurements_frame([Indicator.objects.get(institution=exact, code="cnt").pk])
    assert sorted(int(u) for u in frame["value"]) == [123456789012345678, 999999999999999900]


def test_importing_999999999999_9999_recomputes_without_a_crash(exact, tmp_path, django_capture_on_commit_callbacks):
    """The value the importer accepts is stored exactly and the recompute after it succeeds."""
    path = benchmark_file(tmp_path, [(2017, "C1", "C1-T1", V16_NL), (2020, "C1", "C1-T1", V18_NL)])
    with django_capture_on_commit_callbacks(execute=True):
        status, out, err = run("import_benchmark", str(path), "--institution", "EXA", "--note", "grote aantallen")
    assert status == 0, err
    values = sorted(Measurement.objects.filter(indicator__institution=exact).values_list("value", flat=True))
    assert values == [Decimal(V18), Decimal("999999999999.9999")]
    runs = list(RecomputeRun.objects.filter(institution=exact).values_list("state", "error"))
    assert all(state == RunState.DONE for state, _ in runs), runs


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps the exact text; PostgreSQL a numeric")
def test_sqlite_keeps_the_exact_text(exact):
    """On SQLite the column holds the decimal's text, of fixed width, not a REAL of 15 digits."""
    row = measure(V18)
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, typeof(value) FROM indicatoren_measurement WHERE id = %s", [row.pk])
        assert cursor.fetchone() == ("123456789012.345678", "text")
        cursor.execute("SELECT tolerance FROM agenda_ambition WHERE indicator_id = %s", [row.indicator_id])
        assert cursor.fetchone() == ("000000000000.000000",)
