"""Bounded uploads (issue 13): the probe's worst-case files on every channel, the error cap, retention.

The probe's files: a 1 MB xlsx whose parts unpack to 30 x 10 MB (217 s, ~3 GB, a 534 MB body), a
6 MB CSV of a million bad rows (a 233 MB body) and a 600 kB file on the grid upload page (a 47 MB
page). Each is generated here, sent through the web page, the grid upload page, the API and
`import_benchmark`, and must be refused or answered with a capped error list in a small body,
storing no value. Sizes are asserted in bytes, never in seconds.
"""

import io
import tracemalloc
import zipfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from bench.upload_load import grid_file_of_bad_cells, million_bad_rows, zip_bomb
from indicatoren.importers import Catalogue, Limits, more_errors_text, parse_benchmark
from indicatoren.models import Measurement, Upload, UploadStatus
from invoer import uploads
from invoer.uploads import UploadRejected, benchmark_import, upload_files_prune, upload_preview
from kwaliteit.celery import app as celery_app
from kwaliteit.settings import CELERY_BEAT_SCHEDULE

ROOT = Path(__file__).resolve().parents[2]
SMALL_BODY = 200_000  # bytes: a hundred errors and the page around them


# --- the worst-case files -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """The zip bomb, built once for the module."""
    data = zip_bomb()
    assert 900 * 1024 < len(data) < 1100 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(info.file_size for info in archive.infolist()) > 300 * 1024 * 1024
    return data


@pytest.fixture(scope="module")
def bad_rows() -> bytes:
    """The million bad rows, built once for the module."""
    return million_bad_rows()


# --- the pure importer: limits and the error cap --------------------------------------------------


@pytest.fixture
def catalogue() -> Catalogue:
    """A small agenda: two indicators, one college with one team, 2015-2022."""
    return Catalogue(
        indicators={"1a": "percent", "2b": "percent"},
        indicator_levels={"1a": frozenset({"team", "college"}), "2b": frozenset({"team", "college"})},
        colleges=frozenset({"5100"}),
        teams={"5100-ENT": "5100"},
        years=range(2015, 2023),
    )


def test_zip_bomb_is_refused_before_it_is_opened(catalogue, bomb):
    """A 1 MB xlsx that declares 300 MB is one error naming the unpacked size, the ratio and the limits."""
    tracemalloc.start()
    try:
        result = parse_benchmark(bomb, "bom.xlsx", catalogue)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [message] = [error.message for error in result.errors]
    assert message.startswith("Het Excel-bestand pakt uit tot 300,7 MB (")
    assert message.endswith(
        "x zo groot als het bestand); de grens is 10 MB en 25x. Sla het op als CSV, of verdeel het over meer bestanden"
    )
    assert result.over_limit and result.rows.empty
    assert peak < 20 * 1024 * 1024  # nothing was unpacked


def test_a_lying_zip_cannot_unpack_past_its_declared_size(catalogue):
    """A member that declares a small size but holds more is unreadable, not unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (5 * 1024 * 1024))
    data = bytearray(buffer.getvalue())
    # Patch the declared uncompressed size (local header offset 22, central directory +24) to 1 kB.
    small = (1024).to_bytes(4, "little")
    data[22:26] = small
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = small
    result = parse_benchmark(bytes(data), "lie.xlsx", catalogue)
    assert len(result.errors) == 1 and "kan niet worden gelezen" in result.errors[0].message


def test_a_million_bad_rows_stop_after_ten_times_the_cap_with_bounded_memory(catalogue, bad_rows):
    """The first 100 errors, a count of at least 1,000, and a parse that never holds the million rows."""
    tracemalloc.start()
    try:
        result = parse_benchmark(bad_rows, "fout.csv", catalogue)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result.errors) == 100 and result.error_count == 1000 and not result.errors_complete
    assert [error.row for error in result.errors[:3]] == [2, 2, 2]
    # The decoded text (6 MB) is held once; a million parsed rows would be hundreds of MB.
    assert peak < 60 * 1024 * 1024


def test_rows_and_cells_over_their_limits_refuse_the_file(catalogue):
    """A valid file with more rows, or more cells, than allowed is one error saying the limit."""
    rows = "".join(f"{year};2b;5100;;7{year % 10}\n" for year in range(2015, 2023))
    data = f"jaar;indicator;college;team;waarde\n{rows}".encode()
    assert parse_benchmark(data, "b.csv", catalogue).ok
    result = parse_benchmark(data, "b.csv", catalogue, limits=Limits(max_rows=5))
    assert [error.message for error in result.errors] == [
        "Het bestand heeft meer dan 5 rijen; verdeel het over meer bestanden van hoogstens 5 rijen"
    ]
    assert result.over_limit and result.rows.empty
    result = parse_benchmark(data, "b.csv", catalogue, limits=Limits(max_cells=30))
    assert result.errors[0].message.startswith("Het bestand heeft meer dan 30 cellen")
    wide = b"team;2b\n" + b";;;;;;;;;;;;;;;;;;;;\n" * 100 + b"5100-ENT;70\n"
    result = parse_benchmark(wide, "5100-2020.csv", catalogue, limits=Limits(max_cells=1000))
    assert result.over_limit, "blank rows cost reading too"


def test_an_xlsx_over_the_row_limit_is_refused(catalogue):
    """The row limit holds for a workbook too, counted over its sheets."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["jaar", "indicator", "college", "waarde"])
    for year in range(2015, 2023):
        sheet.append([year, "2b", "5100", 70])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = parse_benchmark(buffer.getvalue(), "b.xlsx", catalogue, limits=Limits(max_rows=5))
    assert result.over_limit and "meer dan 5 rijen" in result.errors[0].message


@pytest.mark.parametrize(
    ("shown", "total", "complete", "text"),
    [
        (100, 100, True, None),
        (100, 101, True, "En nog 1 fout; herstel eerst de fouten hierboven."),
        (100, 1250, True, "En nog 1.150 fouten; herstel eerst de fouten hierboven."),
        (
            100,
            1000,
            False,
            "En nog ten minste 900 fouten: na 1.000 fouten is het bestand niet verder gecontroleerd. "
            "Herstel eerst de fouten hierboven.",
        ),
    ],
)
def test_the_line_under_a_capped_error_list(shown, total, complete, text):
    """The rest of the errors is counted in Dutch, 'at least' when reading stopped early."""
    assert more_errors_text(shown, total, complete) == text


def test_every_error_is_counted_below_the_stop(catalogue):
    """A file of 250 bad rows lists 100 errors and counts all 250."""
    data = b"jaar;indicator;college;waarde\n" + b"2020;zz;5100;70\n" * 250
    result = parse_benchmark(data, "b.csv", catalogue)
    assert (len(result.errors), result.error_count, result.errors_complete) == (100, 250, True)


# --- every channel, on the demo -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep the files of these tests in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


def snapshot() -> tuple[int, int, int]:
    """Return the number of stored values, their history rows and accepted uploads."""
    return (
        Measurement.objects.count(),
        Measurement.history.count(),
        Upload.objects.filter(status=UploadStatus.ACCEPTED).count(),
    )


def user(username: str):
    """Return a demo user."""
    return get_user_model().objects.get(username=username)


def post_page(client, data: bytes, name: str):
    """Post a file on the policy staff's upload page as beleid."""
    client.force_login(user("beleid"))
    return client.post("/uploads/", {"file": SimpleUploadedFile(name, data)})


def post_grid(client, data: bytes, name: str):
    """Post a file on college 5100's grid upload page as its director."""
    client.force_login(user("directeur5100"))
    return client.post(reverse("invoer:grid_upload", args=["5100"]), {"file": SimpleUploadedFile(name, data)})


def post_api(client, data: bytes, name: str):
    """Post a file to the upload API as beleid."""
    client.force_login(user("beleid"))
    return client.post("/api/v1/uploads/", {"file": SimpleUploadedFile(name, data)})


CHANNELS = [post_page, post_grid, post_api]


@pytest.mark.parametrize("channel", CHANNELS, ids=["page", "grid", "api"])
def test_zip_bomb_is_refused_on_every_web_channel_and_not_kept(rocvaf_demo, client, bomb, channel):
    """The zip bomb gets one clear error in a small answer; no value is stored and the file is not kept."""
    before = snapshot()
    response = channel(client, bomb, "resultaten.xlsx")
    assert response.status_code == 400
    assert len(response.content) < SMALL_BODY
    assert "pakt uit tot 300,7 MB" in response.content.decode()
    assert snapshot() == before
    upload = Upload.objects.latest("pk")
    assert upload.status == UploadStatus.REJECTED and upload.size_bytes == len(bomb)
    assert upload.stored_file == ""  # refused by a limit: the record stays, the file is not kept


@pytest.mark.parametrize("channel", CHANNELS, ids=["page", "grid", "api"])
def test_a_million_bad_rows_get_a_capped_error_list_on_every_web_channel(rocvaf_demo, client, bad_rows, channel):
    """The 6 MB CSV of a million bad rows: the first 100 errors and 'at least 900 more', in a small answer."""
    before = snapshot()
    response = channel(client, bad_rows, "fout.csv")
    assert response.status_code == 400
    assert len(response.content) < SMALL_BODY
    assert "En nog ten minste 900 fouten" in response.content.decode()
    assert snapshot() == before
    upload = Upload.objects.latest("pk")
    assert upload.status == UploadStatus.REJECTED
    kept = upload.errors
    assert len(kept) == 101 and kept[-1]["more"] == 900 and kept[-1]["complete"] is False


def test_the_api_body_counts_every_error_it_does_not_list(rocvaf_demo, client, catalogue):
    """API: 100 errors listed, error_count with the full count, errors_complete, and the 'more' line."""
    data = b"jaar;indicator;college;team;waarde\n" + b"2020;zz;;5100-ENT;70\n" * 250
    body = post_api(client, data, "fout.csv").json()
    assert len(body["errors"]) == 100
    assert (body["error_count"], body["errors_complete"]) == (250, True)
    assert body["more"] == "En nog 150 fouten; herstel eerst de fouten hierboven."
    stopped = post_api(client, million_bad_rows(), "fout.csv").json()
    assert (len(stopped["errors"]), stopped["error_count"], stopped["errors_complete"]) == (100, 1000, False)


def test_the_probes_600_kb_grid_file_renders_a_small_page(rocvaf_demo, client):
    """A 600 kB grid file of 90,000 bad cells on the grid upload page: a page of 100 errors, not 47 MB."""
    data = grid_file_of_bad_cells()
    assert 550_000 < len(data) < 650_000
    before = snapshot()
    response = post_grid(client, data, "5100-2020.csv")
    assert response.status_code == 400
    assert len(response.content) < SMALL_BODY
    html = response.content.decode()
    assert html.count("<tr><td>") == 100
    assert "ten minste 1000 fouten" in html and "En nog ten minste 900 fouten" in html
    assert snapshot() == before


def test_the_upload_page_of_a_rejected_file_lists_100_errors_and_the_count(rocvaf_demo, client):
    """The upload's own page (as kept on record) says how many errors there are and lists the first 100."""
    data = b"jaar;indicator;college;team;waarde\n" + b"2020;zz;;5100-ENT;70\n" * 250
    post_page(client, data, "fout.csv")
    upload = Upload.objects.latest("pk")
    html = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "zijn 250 fouten gevonden" in html
    assert "de eerste 100 van 250" in html and "En nog 150 fouten" in html
    assert "250 fouten" in client.get("/uploads/").content.decode()  # the list counts them all too


@pytest.mark.parametrize(
    ("maker", "fragment"),
    [(zip_bomb, "pakt uit tot 300,7 MB"), (million_bad_rows, "En nog ten minste 900 fouten")],
    ids=["zip-bomb", "million-bad-rows"],
)
def test_import_benchmark_refuses_the_worst_cases_with_a_capped_list(rocvaf_demo, tmp_path, maker, fragment):
    """The command prints the first errors and the count of the rest, exits 1 and stores nothing."""
    path = tmp_path / ("bom.xlsx" if maker is zip_bomb else "fout.csv")
    path.write_bytes(maker())
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", str(path), stdout=StringIO())
    text = str(raised.value)
    assert fragment in text
    assert len(text.splitlines()) <= 102  # the summary, at most 100 errors and the line on the rest
    assert snapshot() == before


def test_a_busy_process_answers_503_and_stores_nothing(rocvaf_demo, client, settings):
    """With every parse slot of the process taken, an upload is told to try again (503); nothing stored."""
    settings.UPLOAD_PARSE_WAIT_SECONDS = 0
    data = b"jaar;indicator;college;team;waarde\n2020;2b;;5100-ENT;29,9\n"
    before = snapshot()
    with uploads._parse_slot():
        api = post_api(client, data, "b.csv")
        page = post_page(client, data, "b.csv")
        grid = post_grid(client, data, "b.csv")
    assert api.status_code == page.status_code == grid.status_code == 503
    assert "Probeer het over een minuut opnieuw" in api.json()["detail"]
    assert snapshot() == before
    assert post_api(client, data, "b.csv").status_code == 201, "the slot is free again"


# --- retention of rejected files -------------------------------------------------------------------


def test_rejected_and_cancelled_files_are_deleted_after_the_retention_period(rocvaf_demo, settings):
    """Files of rejected and cancelled uploads older than the retention go; their records, and other files, stay."""
    settings.UPLOAD_REJECTED_RETENTION_DAYS = 30
    institution = rocvaf_demo
    bad = b"jaar;indicator;college;team;waarde\n2020;2b;;5100-ENT;abc\n"
    good = b"jaar;indicator;college;team;waarde\n2020;2b;;5100-ENT;29,9\n"
    with pytest.raises(UploadRejected) as old:
        upload_preview(institution=institution, data=bad, filename="oud.csv")
    with pytest.raises(UploadRejected) as recent:
        upload_preview(institution=institution, data=bad + b"\n", filename="recent.csv")
    cancelled = upload_preview(institution=institution, data=good, filename="geannuleerd.csv")
    uploads.upload_cancel(upload=cancelled)
    preview = upload_preview(institution=institution, data=good + b"\n", filename="open.csv")
    accepted = benchmark_import(institution=institution, data=good + b"\n\n", filename="verwerkt.csv")
    long_ago = timezone.now() - timedelta(days=31)
    for upload in (old.value.upload, cancelled, preview, accepted):
        Upload.objects.filter(pk=upload.pk).update(uploaded_at=long_ago)
    files = {u.pk: Path(Upload.objects.get(pk=u.pk).stored_file) for u in (old.value.upload, recent.value.upload)}
    files.update({u.pk: Path(Upload.objects.get(pk=u.pk).stored_file) for u in (cancelled, preview, accepted)})
    assert all(path.exists() for path in files.values())

    assert upload_files_prune() == 2
    for upload in (old.value.upload, cancelled):
        assert not files[upload.pk].exists()
        record = Upload.objects.get(pk=upload.pk)  # the record stays for the audit trail
        assert record.stored_file == "" and record.checksum
    for upload in (recent.value.upload, preview, accepted):
        assert files[upload.pk].exists()
        assert Upload.objects.get(pk=upload.pk).stored_file == str(files[upload.pk])
    assert upload_files_prune() == 0


def test_prune_command_and_nightly_beat_entry(rocvaf_demo):
    """`prune_upload_files` runs the service; beat runs the registered task every day."""
    out = StringIO()
    call_command("prune_upload_files", stdout=out)
    assert "ouder dan 30 dagen verwijderd" in out.getvalue()
    celery_app.loader.import_default_modules()
    entry = CELERY_BEAT_SCHEDULE["upload-retention"]
    assert entry["task"] == "invoer.tasks.upload_files_prune_task" and entry["task"] in celery_app.tasks
    assert entry["schedule"] == 24 * 3600


# --- the production shape --------------------------------------------------------------------------


def test_gunicorn_runs_threaded_workers_in_compose_and_the_image():
    """A parse occupies one thread, not one of the workers: compose and the image run gthread workers."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert "--worker-class gthread --threads 8" in " ".join(command.split())
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--worker-class", "gthread", "--threads", "8"' in dockerfile


# --- a body over the limit is refused by its length, unread -----------------------------------------


@pytest.mark.parametrize("path", ["/uploads/", "/api/v1/uploads/"])
def test_a_body_over_the_limit_is_refused_by_its_length(client, path):
    """Content-Length over UPLOAD_MAX_BYTES plus the form's slack gives a Dutch 413 before the body is read."""
    response = client.post(path, data=b"x", content_type="application/octet-stream", CONTENT_LENGTH=str(10**10))
    assert response.status_code == 413
    assert "te groot" in response.content.decode()


def test_a_ten_gigabyte_announcement_is_answered_without_sending_the_body(live_server):
    """A real server answers 413 to the headers alone: nothing of the announced 10 GB is awaited or spooled."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as connection:
        connection.sendall(
            b"POST /api/v1/uploads/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 10000000000\r\nConnection: close\r\n\r\n"
        )
        answer = connection.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413")
