"""The upload pipeline on the ROCvAF demo: preview, confirm, cancel, provenance, history, the upload pages."""

import hashlib
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from agenda.models import College, Indicator, Team
from indicatoren.models import Measurement, StudentCount, Upload, UploadStatus
from indicatoren.services import MeasurementRow, measurement_record, measurements_apply
from invoer.uploads import (
    UploadRejected,
    UploadStale,
    benchmark_import,
    upload_cancel,
    upload_confirm,
    upload_plan,
    upload_preview,
    verdict_effects,
)
from rapportage.models import IndicatorResult, RunState, Version

pytestmark = pytest.mark.django_db

HEADER = "jaar;indicator;college;team;waarde;n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep the files of these tests in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def institution(rocvaf_demo):
    """Return the demo institution."""
    return rocvaf_demo


@pytest.fixture
def beleid(rocvaf_demo):
    """Return the demo's policy officer."""
    return get_user_model().objects.get(username="beleid")


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    """Return a semicolon-separated long-format file."""
    return "\n".join([header, *lines, ""]).encode(encoding)


def stored(code: str, year: int, team: str | None = None, college: str | None = None) -> Measurement | None:
    """Return the stored value of an indicator, year and unit, or None."""
    queryset = Measurement.objects.filter(indicator__code=code, year=year)
    if team:
        return queryset.filter(team__code=team).first()
    if college:
        return queryset.filter(level="college", college__code=college).first()
    return queryset.filter(level="institution").first()


def snapshot() -> tuple:
    """Return every stored value, student number and history row, to compare before and after."""
    return (
        list(Measurement.objects.order_by("pk").values_list("pk", "value", "n", "source", "upload_id", "updated_at")),
        list(StudentCount.objects.order_by("pk").values_list("pk", "count", "upload_id", "updated_at")),
        list(Measurement.history.order_by("history_id").values_list("history_id", "id", "value", "history_type")),
        list(StudentCount.history.order_by("history_id").values_list("history_id", "id", "count", "history_type")),
    )


# Three rows against the demo: 5100-ENT 2b 2020 is stored as 29.9 (n 30), 2021 as 30.0 (n 35); 2012 is empty.
MIXED = csv_bytes("2020;2b;;5100-ENT;29,9;30", "2021;2b;;5100-ENT;31,5%;35", "2012;2b;;5100-ENT;12;")
# Lowering one contributing team of college 5210 (6 of 9 teams, exactly two-thirds) flips 1a 2022:
# 5210 no longer meets, 7 of 12 colleges do not reach two-thirds and the institution misses its target.
FLIP = csv_bytes("2022;1a;;5210-ENT;6,0;28")


def test_preview_counts_new_changed_unchanged_and_stores_nothing(institution, beleid):
    """A preview counts 1 new, 1 changed and 1 unchanged value, keeps the file and stores no value."""
    before = snapshot()
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PREVIEW
    assert (upload.rows_total, upload.rows_new, upload.rows_changed, upload.rows_unchanged) == (3, 1, 1, 1)
    assert upload.uploaded_by == beleid and upload.channel == "web"
    assert upload.file_format == "csv" and upload.size_bytes == len(MIXED)
    assert upload.checksum == hashlib.sha256(MIXED).hexdigest()
    assert Path(upload.stored_file).read_bytes() == MIXED
    assert upload.duplicate_of is None and upload.applied_at is None and upload.recompute_run is None
    assert snapshot() == before


def test_confirm_applies_exactly_the_preview_with_provenance_and_history(
    institution, beleid, django_capture_on_commit_callbacks
):
    """Confirming stores every previewed value, links it to the upload and keeps the replaced value in history."""
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    plan = upload_plan(upload)
    unchanged_before = stored("2b", 2020, team="5100-ENT")
    with django_capture_on_commit_callbacks(execute=True):
        upload = upload_confirm(upload=upload, fingerprint=plan.fingerprint(), user=beleid)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED and upload.applied_at is not None
    assert (upload.rows_new, upload.rows_changed, upload.rows_unchanged) == (1, 1, 1)
    assert upload.recompute_run is not None and upload.recompute_run.state == RunState.DONE

    for change in plan.changes:
        value = stored(change.indicator, change.year, team=change.unit)
        assert (value.value, value.n) == (change.new, change.new_n)
    changed, new = stored("2b", 2021, team="5100-ENT"), stored("2b", 2012, team="5100-ENT")
    assert changed.value == Decimal("31.5") and new.value == Decimal(12) and new.n is None
    for value in (changed, new):
        assert value.upload == upload and value.updated_by == beleid
        # The channel is provenance (the upload link and the history's reason), not the figure's source.
        assert value.source == ""
        assert value.history.latest().history_change_reason == f"upload #{upload.pk} mix.csv"
    # The unchanged value is not rewritten: it keeps its own provenance.
    same = stored("2b", 2020, team="5100-ENT")
    assert (same.upload_id, same.updated_at) == (unchanged_before.upload_id, unchanged_before.updated_at)

    history = list(changed.history.order_by("history_id"))
    assert [h.value for h in history] == [Decimal(30), Decimal("31.5")]
    assert [h.history_type for h in history] == ["+", "~"]
    assert history[-1].history_user == beleid and history[-1].upload_id == upload.pk
    assert history[-1].history_change_reason == f"upload #{upload.pk} mix.csv"
    assert [(h.history_type, h.history_user) for h in new.history.all()] == [("+", beleid)]


def test_stale_confirm_is_refused_and_stores_nothing(institution, beleid):
    """A value changed after the preview makes the confirm fail; the fresh preview can then be confirmed."""
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    seen = upload_plan(upload).fingerprint()
    indicator = Indicator.objects.get(institution=institution, code="2b")
    measurement_record(
        indicator=indicator, year=2021, value=Decimal("33"), team=Team.objects.get(code="5100-ENT"), n=35
    )
    before = snapshot()
    with pytest.raises(UploadStale, match="sinds het voorbeeld gewijzigd"):
        upload_confirm(upload=upload, fingerprint=seen, user=beleid)
    assert snapshot() == before
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PREVIEW
    upload_confirm(upload=upload, fingerprint=upload_plan(upload).fingerprint(), user=beleid)
    assert stored("2b", 2021, team="5100-ENT").value == Decimal("31.5")


def test_cancel_stores_nothing_and_ends_the_preview(institution, beleid):
    """A cancelled preview stores nothing and can no longer be confirmed; an applied upload cannot be cancelled."""
    before = snapshot()
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    fingerprint = upload_plan(upload).fingerprint()
    assert upload_cancel(upload=upload).status == UploadStatus.CANCELLED
    with pytest.raises(UploadStale, match="geannuleerd"):
        upload_confirm(upload=upload, fingerprint=fingerprint, user=beleid)
    assert snapshot() == before

    applied = benchmark_import(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    with pytest.raises(UploadStale, match="al verwerkt"):
        upload_cancel(upload=applied)
    with pytest.raises(UploadStale, match="al verwerkt"):
        upload_confirm(upload=applied, fingerprint=fingerprint, user=beleid)


def test_a_changed_kept_file_makes_the_preview_stale(institution, beleid):
    """Confirm re-reads the kept file and refuses when it no longer matches the checksum."""
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    fingerprint = upload_plan(upload).fingerprint()
    Path(upload.stored_file).write_bytes(FLIP)
    with pytest.raises(UploadStale, match="ontbreekt of is gewijzigd"):
        upload_confirm(upload=upload, fingerprint=fingerprint, user=beleid)


def test_the_same_file_again_is_flagged_as_a_duplicate(institution, beleid):
    """A file with the checksum of an accepted upload points to it; the second import changes nothing."""
    first = benchmark_import(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    assert first.duplicate_of is None
    again = upload_preview(institution=institution, data=MIXED, filename="mix-kopie.csv", user=beleid)
    assert again.duplicate_of == first
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 3)
    second = benchmark_import(institution=institution, data=MIXED, filename="mix.csv")
    assert second.duplicate_of == first and second.recompute_run is None
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (0, 0, 3)


def test_a_rejected_file_is_recorded_without_touching_any_value(institution, beleid):
    """A file with one bad row stores no value, and its attempt is on record with every error and the file."""
    data = csv_bytes("2021;2b;;5100-ENT;1,5;40", "2020;2b;;5100-XYZ;abc;")
    before = snapshot()
    with pytest.raises(UploadRejected) as caught:
        benchmark_import(institution=institution, data=data, filename="fout.csv", user=beleid, channel="api")
    assert snapshot() == before
    record = caught.value.upload
    assert record.status == UploadStatus.REJECTED and record.channel == "api" and record.uploaded_by == beleid
    assert [(e["row"], e["column"], e["value"]) for e in record.errors] == [
        (3, "team", "5100-XYZ"),
        (3, "waarde", "abc"),
    ]
    assert [e.message for e in caught.value.errors] == [e["message"] for e in record.errors]
    assert Path(record.stored_file).read_bytes() == data
    assert (record.rows_new, record.rows_changed, record.rows_unchanged, record.applied_at) == (0, 0, 0, None)


def test_a_file_over_the_limit_is_refused_unread(institution, settings):
    """An UploadedFile over UPLOAD_MAX_BYTES is refused by its size: recorded with checksum, not kept."""
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    data = csv_bytes(*["2021;2b;;5100-ENT;1,5;40"] * 60_000)
    before = snapshot()
    with pytest.raises(UploadRejected) as caught:
        upload_preview(institution=institution, data=SimpleUploadedFile("groot.csv", data), filename="groot.csv")
    assert [e.message for e in caught.value.errors] == [
        f"Het bestand is te groot ({len(data) / 2**20:.1f} MB); de grens is 1 MB".replace(".", ",")
    ]
    record = caught.value.upload
    assert record.stored_file == "" and record.size_bytes == len(data)
    assert record.checksum == hashlib.sha256(data).hexdigest()
    assert snapshot() == before


def test_the_preview_shows_the_verdict_flip_and_confirm_makes_it(
    institution, beleid, django_capture_on_commit_callbacks
):
    """Lowering 5210-ENT's 1a 2022 flips 1a 2022 and college 5210 before saving, and after confirming."""
    status = IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).payload
    assert (status["attained"], status["colleges_met"], status["institution_met"]) == (True, 8, False)
    upload = upload_preview(institution=institution, data=FLIP, filename="flip.csv", user=beleid)
    plan = upload_plan(upload)
    effects = verdict_effects(upload, plan)
    flips = {(f["indicator"], f["year"], f["college"]): (f["old"], f["new"]) for f in effects["flips"]}
    assert flips == {("1a", 2022, None): (True, False), ("1a", 2022, "5210"): (True, False)}
    budget = {(b["year"], b["theme"], b["college"]) for b in effects["budget"]}
    assert (2022, "T1", "5210") in budget
    assert IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).attained is True

    with django_capture_on_commit_callbacks(execute=True):
        upload_confirm(upload=upload, fingerprint=plan.fingerprint(), user=beleid)
    assert IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).attained is False


def test_student_numbers_are_stored_with_their_upload(institution, beleid):
    """'studenten' rows set the budget weights per college and year, linked to the upload, with history."""
    data = csv_bytes("2022;studenten;5100;;6000;", "2012;studenten;5100;;4000;")
    upload = upload_preview(institution=institution, data=data, filename="studenten.csv", user=beleid)
    assert (upload.rows_new, upload.rows_changed) == (1, 1)
    effects = verdict_effects(upload)
    assert any(b["year"] == 2022 and b["college"] == "5100" for b in effects["budget"])
    upload_confirm(upload=upload, fingerprint=upload_plan(upload).fingerprint(), user=beleid)
    counts = {s.year: s for s in StudentCount.objects.filter(college__code="5100", year__in=[2012, 2022])}
    assert (counts[2022].count, counts[2012].count) == (6000, 4000)
    assert counts[2022].upload == upload and counts[2012].upload == upload
    assert [h.count for h in counts[2022].history.order_by("history_id")] == [4827, 6000]


def test_a_college_scoped_upload_only_touches_its_own_college(institution):
    """With scope_college, other colleges' rows and student numbers are refused; its own teams are stored."""
    college = College.objects.get(institution=institution, code="5100")
    data = csv_bytes("2021;2b;;5110-ENT;1;", "2021;2b;5100;;5;", "2022;studenten;5100;;1;", "2021;2b;;5100-ENT;2;")
    with pytest.raises(UploadRejected) as caught:
        benchmark_import(institution=institution, data=data, filename="5100.csv", scope_college=college)
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "team"), (4, "indicator")]
    assert "Alleen gegevens van college 5100" in caught.value.errors[0].message
    assert "beleidsmedewerkers" in caught.value.errors[1].message
    assert caught.value.upload.scope_college == college

    upload = benchmark_import(
        institution=institution,
        data=csv_bytes("2021;2b;5100;;5;", "2021;2b;;5100-ENT;2;"),
        filename="5100.csv",
        scope_college=college,
    )
    assert (upload.rows_new, upload.rows_changed) == (1, 1) and upload.scope_college == college
    assert stored("2b", 2021, college="5100").upload == upload


def test_values_with_trailing_zeros_and_a_long_filename_are_stored(institution, beleid):
    """'77,5000000' is 77.5 (not a crash on 6 decimals); a 250-character name fits the history's reason."""
    name = "x" * 246 + ".csv"
    upload = benchmark_import(
        institution=institution, data=csv_bytes("2012;2b;;5100-ENT;7,5000000;"), filename=name, user=beleid
    )
    value = stored("2b", 2012, team="5100-ENT")
    assert value.value == Decimal("7.5") and value.upload == upload
    assert value.source == ""
    assert len(value.history.get().history_change_reason) == 100


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("2012;2b;;5100-ENT;7;99999999999", "n", "Ongeldige n"),
        ("2012;studenten;5100;;99999999999;", "waarde", "Studentaantal '99999999999' is te groot"),
    ],
)
def test_numbers_too_large_to_store_are_row_errors(institution, line, column, message):
    """An n or student number beyond the 32-bit column is a row error, not a database failure."""
    with pytest.raises(UploadRejected) as caught:
        benchmark_import(institution=institution, data=csv_bytes(line), filename="groot.csv")
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, column)]
    assert message in caught.value.errors[0].message


def test_measurements_apply_refuses_the_same_unit_twice(institution):
    """Two rows for one indicator, year and unit are refused as a whole, before anything is written."""
    indicator = Indicator.objects.get(institution=institution, code="2b")
    team = Team.objects.get(code="5100-ENT")
    rows = [MeasurementRow(indicator=indicator, year=2012, value=Decimal(v), team=team) for v in ("1", "2")]
    with pytest.raises(ValidationError, match="Dubbele waarde"):
        measurements_apply(institution=institution, rows=rows)
    assert stored("2b", 2012, team="5100-ENT") is None


# --- the same files through the command and the web page ---------------------------------------


def xlsx_bytes() -> bytes:
    """Return a real Excel workbook (openpyxl): English headers, a percentage cell, a blank row."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Benchmark"
    sheet.append(["Year", "Indicator", "College", "Team", "Value", "N"])
    sheet.append([2021, "2b", None, "5100-ENT", 0.315, 35])
    sheet["E2"].number_format = "0.0%"
    sheet.append([])
    sheet.append([2012, "2b", "5100", None, 12.25, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cp1252_tab_bytes() -> bytes:
    """Return a Windows-1252 tab-separated export with a Dutch remark column (ignored) and a percent sign."""
    text = "jaar\tindicator\tcollege\tteam\twaarde\tn\topmerking\r\n"
    text += "2021\t2b\t\t5100-ENT\t31,5%\t35\tgeïmporteerd uit ‘JOB’ – één\r\n"
    text += "2012\t2b\t5100\t\t12,25\t\tcafé\r\n"
    return text.encode("cp1252")


def import_by_command(data: bytes, filename: str, tmp_path) -> Upload:
    """Import through `import_benchmark --user beleid` and return the upload."""
    path = tmp_path / filename
    path.write_bytes(data)
    out = StringIO()
    call_command("import_benchmark", str(path), "--user", "beleid", stdout=out, stderr=StringIO())
    assert "verwerkt: 1 nieuw, 1 gewijzigd, 0 ongewijzigd" in out.getvalue()
    return Upload.objects.latest("pk")


def import_by_web(data: bytes, filename: str, tmp_path, client, beleid) -> Upload:
    """Upload through the page as beleid, read the preview and confirm it; return the upload."""
    client.force_login(beleid)
    response = client.post("/uploads/", {"file": SimpleUploadedFile(filename, data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response["Location"])
    assert preview.context["counts"] == {"nieuw": 1, "gewijzigd": 1, "ongewijzigd": 0}
    upload = preview.context["upload"]
    fingerprint = preview.context["confirm_form"]["fingerprint"].value()
    done = client.post(f"/uploads/{upload.pk}/bevestigen/", {"fingerprint": fingerprint}, follow=True)
    assert "verwerkt: 1 nieuw, 1 gewijzigd, 0 ongewijzigd" in done.content.decode()
    return Upload.objects.get(pk=upload.pk)


@pytest.mark.parametrize("channel", ["command", "web"])
@pytest.mark.parametrize(
    ("make", "filename", "file_format"),
    [(xlsx_bytes, "benchmark.xlsx", "xlsx"), (cp1252_tab_bytes, "job-monitor.txt", "csv")],
)
def test_excel_and_windows_tab_files_import_with_provenance(
    institution, beleid, client, tmp_path, channel, make, filename, file_format
):
    """A real .xlsx and a Windows-1252 tab file store their values, linked to the upload, with the user in history."""
    data = make()
    if channel == "command":
        upload = import_by_command(data, filename, tmp_path)
    else:
        upload = import_by_web(data, filename, tmp_path, client, beleid)
    assert upload.status == UploadStatus.ACCEPTED and upload.file_format == file_format
    assert upload.uploaded_by == beleid and upload.channel == channel
    team_value, college_value = stored("2b", 2021, team="5100-ENT"), stored("2b", 2012, college="5100")
    assert (team_value.value, team_value.n) == (Decimal("31.5"), 35)
    assert (college_value.value, college_value.n) == (Decimal("12.25"), None)
    for value in (team_value, college_value):
        assert value.upload == upload
        latest = value.history.order_by("-history_id").first()
        assert latest.history_user == beleid and latest.upload_id == upload.pk
    assert [h.value for h in team_value.history.order_by("history_id")] == [Decimal(30), Decimal("31.5")]


# --- the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["bestuur", "directeur5100"])
def test_only_policy_staff_may_use_the_upload_pages(institution, client, username):
    """Board members and directors get 403 on every upload page and action; nothing is recorded."""
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv")
    client.force_login(get_user_model().objects.get(username=username))
    uploads = Upload.objects.count()
    assert client.get("/uploads/").status_code == 403
    assert client.post("/uploads/", {"file": SimpleUploadedFile("mix.csv", MIXED)}).status_code == 403
    assert client.get(f"/uploads/{upload.pk}/").status_code == 403
    assert client.post(f"/uploads/{upload.pk}/bevestigen/", {"fingerprint": "0" * 64}).status_code == 403
    assert client.post(f"/uploads/{upload.pk}/annuleren/").status_code == 403
    assert Upload.objects.count() == uploads
    upload.refresh_from_db()
    assert upload.status == UploadStatus.PREVIEW


def test_anonymous_visitors_are_sent_to_the_login(client, institution):
    """Without a login the upload page redirects to the login form."""
    response = client.get("/uploads/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_kept_file_is_not_served(institution, beleid, client, settings):
    """The original file lives under MEDIA_ROOT; no URL, however spelled, serves it."""
    upload = upload_preview(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    path = Path(upload.stored_file)
    assert path.is_file() and path.is_relative_to(settings.MEDIA_ROOT)
    relative = path.relative_to(settings.MEDIA_ROOT).as_posix()
    client.force_login(beleid)
    for url in (
        f"/{relative}",
        f"/media/{relative}",
        f"/uploads/{relative}",
        f"/static/{relative}",
        f"/var/uploads/{relative}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert MIXED not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_the_list_shows_earlier_uploads_and_the_form(institution, beleid, client):
    """The page has a labelled file input, the limits, and each upload's status, counts, flag and recompute."""
    first = benchmark_import(institution=institution, data=MIXED, filename="mix.csv", user=beleid)
    upload_preview(institution=institution, data=MIXED, filename="mix-opnieuw.csv", user=beleid)
    with pytest.raises(UploadRejected):
        upload_preview(institution=institution, data=b"", filename="leeg.csv", user=beleid)
    client.force_login(beleid)
    html = client.get("/uploads/").content.decode()
    assert '<label for="id_file">Bestand</label>' in html and 'type="file"' in html
    assert "Hoogstens 10 MB" in html
    for text in ("mix.csv", "mix-opnieuw.csv", "leeg.csv", "verwerkt", "voorbeeld (nog niet opgeslagen)", "afgewezen"):
        assert text in html
    assert f'Zelfde bestand als <a href="/uploads/{first.pk}/">#{first.pk}</a>' in html
    assert "1 fout" in html


def test_the_list_has_a_helpful_empty_state(institution, beleid, client):
    """Without uploads the page says what to do first."""
    Upload.objects.all().delete()
    client.force_login(beleid)
    assert "Nog geen uploads." in client.get("/uploads/").content.decode()


def test_the_preview_page_shows_old_and_new_values_and_the_flip(institution, beleid, client):
    """The dry-run page lists old -> new per indicator, year and unit and the verdicts that would flip."""
    client.force_login(beleid)
    response = client.post("/uploads/", {"file": SimpleUploadedFile("flip.csv", FLIP)}, follow=True)
    html = response.content.decode()
    assert "Nog niets opgeslagen." in html
    assert "5210-ENT" in html and "7,2" in html and "<strong>6</strong>" in html
    assert "Oordelen die zouden veranderen" in html
    assert "8 van 12 colleges" in html and "7 van 12 colleges" in html
    assert "6 van 9 teams" in html and "5 van 9 teams" in html
    assert 'name="fingerprint"' in html and "csrfmiddlewaretoken" in html
    assert stored("1a", 2022, team="5210-ENT").value == Decimal("7.2")


def test_a_stale_confirm_on_the_page_says_so_and_shows_the_new_preview(institution, beleid, client):
    """Confirming a preview whose stored values changed stores nothing and explains why."""
    client.force_login(beleid)
    location = client.post("/uploads/", {"file": SimpleUploadedFile("mix.csv", MIXED)})["Location"]
    fingerprint = client.get(location).context["confirm_form"]["fingerprint"].value()
    upload = Upload.objects.latest("pk")
    measurement_record(
        indicator=Indicator.objects.get(institution=institution, code="2b"),
        year=2021,
        value=Decimal("33"),
        team=Team.objects.get(code="5100-ENT"),
        n=35,
    )
    response = client.post(f"/uploads/{upload.pk}/bevestigen/", {"fingerprint": fingerprint}, follow=True)
    assert "sinds het voorbeeld gewijzigd" in response.content.decode()
    assert response.context["confirm_form"]["fingerprint"].value() != fingerprint
    assert stored("2b", 2021, team="5100-ENT").value == Decimal(33)


def test_cancel_on_the_page_returns_to_the_list(institution, beleid, client):
    """Cancelling a preview says nothing was stored and lists the upload as cancelled."""
    client.force_login(beleid)
    location = client.post("/uploads/", {"file": SimpleUploadedFile("mix.csv", MIXED)})["Location"]
    upload = Upload.objects.latest("pk")
    response = client.post(f"/uploads/{upload.pk}/annuleren/", follow=True)
    assert response.redirect_chain[-1][0] == "/uploads/"
    assert "geannuleerd; er is niets opgeslagen" in response.content.decode()
    assert client.get(location).context["upload"].status == UploadStatus.CANCELLED


def test_an_empty_form_asks_for_a_file(institution, beleid, client):
    """Submitting without a file is a 400 with a message next to the field; nothing is recorded."""
    client.force_login(beleid)
    uploads = Upload.objects.count()
    response = client.post("/uploads/", {})
    assert response.status_code == 400
    assert "Kies een bestand om te uploaden." in response.content.decode()
    assert Upload.objects.count() == uploads
