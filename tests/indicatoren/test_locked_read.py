"""An import reads the stored values once: its plan's read, made in the write lock, is the write service's (issue 16).

measurements_apply stays the one home of every rule; it takes a caller's read only when
stored_values_in_lock made it for this institution, in this transaction, with no value written
since, and covering every indicator and year of the rows. Anything else is refused (ReadNotInLock).
On PostgreSQL; SQLite has no transaction id to compare, so there the service reads for itself.
"""

import dataclasses
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agenda.models import Indicator, Team
from indicatoren.models import Measurement, Upload, UploadStatus
from indicatoren.services import (
    DATA_LOCK_NAMESPACE,
    MeasurementRow,
    ReadNotInLock,
    measurement_record,
    measurements_apply,
    stored_values_in_lock,
)
from invoer import uploads
from invoer.uploads import benchmark_import

YEAR = 2021
INDICATOR = "1a"  # a score, 1-10
COLLEGE = "5100"
STEP = Decimal("0.01")
WAIT_SECONDS = 300  # the longest any thread here waits for another; nothing asserts on time


def cells(institution) -> list[Measurement]:
    """Return the stored 1a values of college 5100's teams in 2021, by team code."""
    return list(
        Measurement.objects.filter(
            indicator__institution=institution, indicator__code=INDICATOR, year=YEAR, team__college__code=COLLEGE
        )
        .select_related("team")
        .order_by("team__code")
    )


def nudged(value: Decimal, steps: int = 1) -> Decimal:
    """Return the value a few hundredths away, within 1..10 (too small a step for a plausibility flag)."""
    return value - steps * STEP if value + steps * STEP > 10 else value + steps * STEP


def corrected_file(measurements: list[Measurement]) -> bytes:
    """Return a long-format file that changes each of the values a little."""
    lines = ["jaar;indicator;college;team;waarde;n"]
    for m in measurements:
        value = format(nudged(m.value), "f").replace(".", ",")
        lines.append(f"{YEAR};{INDICATOR};{COLLEGE};{m.team.code};{value};{'' if m.n is None else m.n}")
    return ("\n".join(lines) + "\n").encode()


def value_reads(queries) -> list[str]:
    """Return the statements that read stored values of the file's year (the plausibility read of other years excluded)."""
    return [
        q["sql"]
        for q in queries
        # A plain SELECT, or the server-side cursor of value_rows (DECLARE ... FOR SELECT).
        if q["sql"].lstrip().startswith(("SELECT", "DECLARE"))
        and 'FROM "indicatoren_measurement"' in q["sql"]
        and '"indicatoren_measurement"."value"' in q["sql"]
        and " NOT " not in q["sql"]
    ]


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_import_reads_the_stored_values_once(rocvaf_demo, settings, tmp_path):
    """A corrected file's plan and write share one read of the stored values; every value is still changed."""
    settings.MEDIA_ROOT = tmp_path
    measurements = cells(rocvaf_demo)
    assert len(measurements) >= 5
    with CaptureQueriesContext(connection) as queries:
        upload = benchmark_import(institution=rocvaf_demo, data=corrected_file(measurements), filename="correctie.csv")
    assert len(value_reads(queries.captured_queries)) == 1
    assert (upload.rows_new, upload.rows_changed, upload.rows_unchanged) == (0, len(measurements), 0)
    assert [m.value for m in cells(rocvaf_demo)] == [nudged(m.value) for m in measurements]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_write_service_takes_a_read_only_from_its_own_lock_and_transaction(rocvaf_demo):
    """A read of another institution, another transaction, too few years, or with a value written since is refused."""
    indicator = Indicator.objects.get(institution=rocvaf_demo, code=INDICATOR)
    measurement = cells(rocvaf_demo)[0]
    row = MeasurementRow(indicator=indicator, year=YEAR, value=nudged(measurement.value), team=measurement.team)

    def apply(read, rows=(row,)):
        return measurements_apply(institution=rocvaf_demo, rows=list(rows), locked_read=read)

    read = stored_values_in_lock(rocvaf_demo, {indicator.pk}, {YEAR})
    with pytest.raises(ReadNotInLock):
        apply(dataclasses.replace(read, institution_pk=rocvaf_demo.pk + 1000))
    with pytest.raises(ReadNotInLock):
        apply(dataclasses.replace(read, mark=("1", read.mark[1])))  # another transaction's
    with pytest.raises(ReadNotInLock):
        apply(read, [MeasurementRow(indicator=indicator, year=YEAR - 1, value=Decimal("7"), team=measurement.team)])
    measurement.refresh_from_db()
    assert measurement.value != row.value  # nothing refused was stored

    other = cells(rocvaf_demo)[1]
    measurement_record(indicator=indicator, year=YEAR, value=nudged(other.value), team=other.team)
    with pytest.raises(ReadNotInLock):
        apply(read)  # a value was written in this transaction since the read

    fresh = stored_values_in_lock(rocvaf_demo, {indicator.pk}, {YEAR})
    with CaptureQueriesContext(connection) as queries:
        report = apply(fresh)
    assert report.changed == 1
    assert value_reads(queries.captured_queries) == []  # the write took the read it was given
    measurement.refresh_from_db()
    assert measurement.value == row.value


@pytest.mark.django_db
def test_without_a_transaction_id_the_write_service_reads_for_itself(rocvaf_demo):
    """SQLite: a read handed in is never taken (nothing to check it against); the service reads the values again."""
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only: PostgreSQL checks the read against its transaction id")
    indicator = Indicator.objects.get(institution=rocvaf_demo, code=INDICATOR)
    measurement = cells(rocvaf_demo)[0]
    read = stored_values_in_lock(rocvaf_demo, {indicator.pk}, {YEAR})
    assert read.mark is None
    row = MeasurementRow(indicator=indicator, year=YEAR, value=nudged(measurement.value), team=measurement.team)
    report = measurements_apply(institution=rocvaf_demo, rows=[row], locked_read=dataclasses.replace(read, values={}))
    assert (report.new, report.changed) == (0, 1)  # judged on what is stored, not on the emptied read


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_read_from_an_earlier_transaction_is_refused(rocvaf_demo_tx):
    """The lock ends with its transaction: a read kept past the commit is not the write's read."""
    indicator = Indicator.objects.get(institution=rocvaf_demo_tx, code=INDICATOR)
    measurement = cells(rocvaf_demo_tx)[0]
    with transaction.atomic():
        read = stored_values_in_lock(rocvaf_demo_tx, {indicator.pk}, {YEAR})
    row = MeasurementRow(indicator=indicator, year=YEAR, value=nudged(measurement.value), team=measurement.team)
    with pytest.raises(ReadNotInLock):
        measurements_apply(institution=rocvaf_demo_tx, rows=[row], locked_read=read)
    measurement.refresh_from_db()
    assert measurement.value != row.value


def _waiting_for_the_lock(institution) -> bool:
    """Return whether a session waits for the institution's write lock (pg_locks, from another connection)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s AND NOT granted",
            [DATA_LOCK_NAMESPACE, institution.pk],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_writer_arriving_between_the_plans_read_and_the_write_waits_for_the_import(
    rocvaf_demo_tx, settings, tmp_path
):
    """A grid-style write of a cell in the file, sent after the import read the values, is stored after it, not lost.

    The import is held right after its plan's read (in the lock); the other writer then waits for
    the lock, the import writes what its read said (every value changed), and the other writer's
    value lands on top, each with its history row: the order one-after-the-other gives.
    """
    settings.MEDIA_ROOT = tmp_path
    institution = rocvaf_demo_tx
    measurements = cells(institution)
    target = measurements[0]
    before = target.value
    indicator = Indicator.objects.get(institution=institution, code=INDICATOR)
    team = Team.objects.get(pk=target.team_id)
    theirs = nudged(before, 3)
    data = corrected_file(measurements)
    read_done, go = threading.Event(), threading.Event()
    original = uploads.stored_values_in_lock
    errors, results = [], {}

    def held_after_the_read(*args, **kwargs):
        read = original(*args, **kwargs)
        read_done.set()
        go.wait(timeout=WAIT_SECONDS)
        return read

    def importer():
        try:
            results["upload"] = benchmark_import(institution=institution, data=data, filename="correctie.csv")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            read_done.set()
            connection.close()

    def writer():
        try:
            measurement_record(indicator=indicator, year=YEAR, value=theirs, team=team, source="rooster")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    uploads.stored_values_in_lock = held_after_the_read
    try:
        importing = threading.Thread(target=importer)
        importing.start()
        assert read_done.wait(timeout=WAIT_SECONDS) and not errors
        writing = threading.Thread(target=writer)
        writing.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not _waiting_for_the_lock(institution) and writing.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_for_the_lock(institution), "the other writer did not wait for the import's lock"
        target.refresh_from_db()
        assert target.value == before  # neither has written yet
    finally:
        go.set()
        uploads.stored_values_in_lock = original
    importing.join(timeout=WAIT_SECONDS)
    writing.join(timeout=WAIT_SECONDS)
    assert errors == []
    upload = Upload.objects.get(pk=results["upload"].pk)
    assert (upload.status, upload.rows_changed) == (UploadStatus.ACCEPTED, len(measurements))
    target.refresh_from_db()
    assert target.value == theirs
    history = list(Measurement.history.filter(id=target.pk).order_by("history_date", "history_id"))
    assert [(h.history_type, h.value, h.upload_id) for h in history[-2:]] == [
        ("~", nudged(before), upload.pk),
        ("~", theirs, None),
    ]
    assert [m.value for m in cells(institution)[1:]] == [nudged(m.value) for m in measurements[1:]]
