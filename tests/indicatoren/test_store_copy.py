"""The bulk store of measurements_apply: values and history as COPY, the checks once per unit (issue 16)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda.models import College, Indicator, Team
from indicatoren.choices import UploadStatus
from indicatoren.models import Measurement, Upload
from indicatoren.services import (
    HISTORY_COLUMNS,
    STORED_COLUMNS,
    MeasurementRow,
    measurements_apply,
    plausibility_problems,
    stored_values,
    value_rows,
)

pytestmark = pytest.mark.django_db


def test_the_copied_columns_are_the_values_and_their_history():
    """COPY names every column of the values table, which is what its history table tracks."""
    history = Measurement.history.model
    assert sorted(STORED_COLUMNS) == sorted(field.column for field in Measurement._meta.concrete_fields)
    assert sorted(STORED_COLUMNS) == sorted(field.column for field in history.tracked_fields)
    assert set(HISTORY_COLUMNS) <= {field.column for field in history._meta.concrete_fields}


def test_new_and_changed_values_have_history_equal_to_what_is_stored(rocvaf_demo):
    """Each new and changed value's history row holds exactly the stored columns, awkward notes included."""
    beleid = get_user_model().objects.get(username="beleid")
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2b")
    team = Team.objects.get(code="5100-ENT")
    college = College.objects.get(code="5100")
    note = "tab\there, line\nbreak, back\\slash\r end"
    rows = [
        MeasurementRow(indicator=indicator, year=2012, value=Decimal("12.25"), team=team, n=40, note=note),
        MeasurementRow(indicator=indicator, year=2012, value=Decimal("1E+1"), college=college, source="JOB"),
    ]
    report = measurements_apply(institution=rocvaf_demo, rows=rows, user=beleid, source="test\tbron")
    assert (report.new, report.changed) == (2, 0)
    created = list(Measurement.objects.filter(indicator=indicator, year=2012).order_by("level"))
    assert [(m.level, m.value, m.n, m.note, m.source) for m in created] == [
        ("college", Decimal(10), None, "", "JOB"),
        ("team", Decimal("12.25"), 40, note, ""),
    ]
    changed = [MeasurementRow(indicator=indicator, year=2012, value=Decimal("13.5"), team=team, n=41, note="ok")]
    assert measurements_apply(institution=rocvaf_demo, rows=changed, user=beleid, source="tweede").changed == 1
    for measurement in Measurement.objects.filter(pk__in=[m.pk for m in created]):
        history = list(measurement.history.order_by("history_id"))
        latest = history[-1]
        assert [getattr(latest, f.attname) for f in Measurement._meta.concrete_fields] == [
            getattr(measurement, f.attname) for f in Measurement._meta.concrete_fields
        ]
        assert latest.history_user == beleid
    team_history = list(Measurement.history.filter(level="team", indicator=indicator, year=2012).order_by("history_id"))
    assert [(h.history_type, h.value, h.note, h.history_change_reason) for h in team_history] == [
        ("+", Decimal("12.25"), note, "test\tbron"),
        ("~", Decimal("13.5"), "ok", "tweede"),
    ]


@pytest.mark.postgres
def test_postgresql_stores_values_and_history_with_copy_not_per_row_inserts(rocvaf_demo):
    """On PostgreSQL the store COPYs the values and their history: no INSERT ... SELECT through the statement log."""
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2b")
    teams = list(Team.objects.filter(college__institution=rocvaf_demo).order_by("code")[:20])
    rows = [MeasurementRow(indicator=indicator, year=2012, value=Decimal(30 + i), team=t) for i, t in enumerate(teams)]
    with CaptureQueriesContext(connection) as queries:
        report = measurements_apply(institution=rocvaf_demo, rows=rows, source="copy", keep_uncounted=True)
    assert report.new == len(teams)
    tables = ("indicatoren_measurement", "indicatoren_historicalmeasurement")
    inserts = [
        q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"] and any(t in q["sql"] for t in tables)
    ]
    assert inserts == []  # the values and their history go through COPY, which the statement log does not show
    assert Measurement.history.filter(indicator=indicator, year=2012, history_type="+").count() == len(teams)
    ids = sorted(Measurement.objects.filter(indicator=indicator, year=2012).values_list("pk", flat=True))
    assert sorted(Measurement.history.filter(indicator=indicator, year=2012).values_list("id", flat=True)) == ids


def test_a_problem_in_a_later_row_of_a_checked_unit_is_still_refused(rocvaf_demo):
    """The unit is checked once, the value of every row: a bad value after good ones of the same unit is refused."""
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2b")  # a percentage
    team = Team.objects.get(code="5100-ENT")
    rows = [
        MeasurementRow(indicator=indicator, year=2012, value=Decimal("50"), team=team),
        MeasurementRow(indicator=indicator, year=2013, value=Decimal("50.0"), team=team),
        MeasurementRow(indicator=indicator, year=2014, value=Decimal("101"), team=team),
    ]
    with pytest.raises(ValidationError, match="101"):
        measurements_apply(institution=rocvaf_demo, rows=rows)
    rows[2].value, rows[2].n = Decimal("50.0000001"), None
    with pytest.raises(ValidationError, match="decimalen"):
        measurements_apply(institution=rocvaf_demo, rows=rows)
    rows[2].value, rows[2].n = Decimal("50"), -1
    with pytest.raises(ValidationError, match="n moet"):
        measurements_apply(institution=rocvaf_demo, rows=rows)
    assert not Measurement.objects.filter(indicator=indicator, year__in=(2012, 2013, 2014), team=team).exists()


def test_a_unit_outside_the_writers_colleges_is_refused_after_allowed_rows(rocvaf_demo):
    """A director's rows of another college are refused even when the same indicator's own rows came first."""
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2b")
    own, other = Team.objects.get(code="5100-ENT"), Team.objects.exclude(college__code="5100").first()
    rows = [
        MeasurementRow(indicator=indicator, year=2020, value=Decimal("50"), team=own),
        MeasurementRow(indicator=indicator, year=2020, value=Decimal("50"), team=other),
    ]
    with pytest.raises(PermissionDenied):
        measurements_apply(institution=rocvaf_demo, rows=rows, allowed_colleges={own.college_id})


def test_stored_values_read_past_the_orm_are_what_the_orm_reads(rocvaf_demo):
    """value_rows (a cursor of its own on PostgreSQL, issue 16) yields the ORM's tuples: Decimals, ids, texts."""
    query = Measurement.objects.filter(indicator__institution=rocvaf_demo).values_list(
        "indicator_id", "year", "level", "college_id", "team_id", "pk", "value", "n", "updated_by_id", "note", "source"
    )
    read = sorted(value_rows(query.order_by()))
    assert read == sorted(query.order_by())
    assert read and all(isinstance(row[6], Decimal) for row in read)


def test_plausibility_of_a_small_write_reads_only_the_history_of_its_own_units(rocvaf_demo):
    """A grid-sized write reads the other years of the units it writes only, and still finds their jump."""
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2b")
    team = Team.objects.get(code="5100-ENT")
    stored = Measurement.objects.filter(indicator=indicator, team=team).order_by("year")
    earlier, last = list(stored)[-2:]
    row = MeasurementRow(indicator=indicator, year=last.year, value=earlier.value + 40, team=team, college=team.college)
    keyed = [(row.key(), row)]
    current = stored_values({indicator.pk}, {last.year})
    with CaptureQueriesContext(connection) as queries:
        problems = plausibility_problems(rocvaf_demo, keyed, current)
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert f'"team_id" IN ({team.pk})' in sql  # the written team's history, not every unit of the indicator
    assert problems and any(flag.check == "history" for flag in problems[0].flags)


def _hot_updates_of_values() -> tuple[int, int]:
    """Return (rows updated, of which HOT) in the values table by this transaction so far (live, not sampled)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = %s::regclass",
            [Measurement._meta.db_table],
        )
        return cursor.fetchone()


@pytest.mark.postgres
def test_corrected_values_are_updated_in_place_without_index_entries(rocvaf_demo):
    """A correction by another upload is a HOT update: room on the page (fillfactor 50), no changed column indexed.

    Migration 0007 (issue 16): the corrected file's UPDATE wrote a new row elsewhere and an entry in
    every index for each of its values, because the pages were full and upload_id was indexed.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [Measurement._meta.db_table])
        assert "fillfactor=50" in (cursor.fetchone()[0] or [])
    institution = rocvaf_demo
    indicator = Indicator.objects.get(institution=institution, code="2b")
    teams = list(Team.objects.filter(college__institution=institution).order_by("code")[:20])
    first, second = (
        Upload.objects.create(institution=institution, original_name=name, checksum=name, status=UploadStatus.ACCEPTED)
        for name in ("eerste.csv", "correctie.csv")
    )
    rows = [MeasurementRow(indicator=indicator, year=2012, value=Decimal(30 + i), team=t) for i, t in enumerate(teams)]
    measurements_apply(institution=institution, rows=rows, upload=first, keep_uncounted=True, flag_note="test")
    updated_before, hot_before = _hot_updates_of_values()
    corrected = [
        MeasurementRow(indicator=indicator, year=2012, value=Decimal(31 + i), team=t, n=50) for i, t in enumerate(teams)
    ]
    report = measurements_apply(
        institution=institution, rows=corrected, upload=second, keep_uncounted=True, flag_note="test"
    )
    assert report.changed == len(teams)
    updated, hot = _hot_updates_of_values()
    assert (updated - updated_before, hot - hot_before) == (len(teams), len(teams))
    stored = Measurement.objects.filter(indicator=indicator, year=2012, team__in=teams)
    assert sorted((m.value, m.n, m.upload_id) for m in stored) == [
        (Decimal(31 + i), 50, second.pk) for i in range(len(teams))
    ]
