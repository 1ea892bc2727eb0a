"""Series, sources and breakdowns through every way in (issue 18): preview, confirm, API, command, backup, locks."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.models import College, Indicator, Institution
from indicatoren.models import ContextValue, Measurement, Upload, UploadStatus
from indicatoren.services import ContextRow, context_values_apply
from indicatoren.signoff import signoff_approve
from invoer.uploads import UploadRejected, benchmark_import, upload_confirm, upload_plan, upload_preview
from rapportage.selectors import status_body
from rapportage.services import recompute_now

pytestmark = pytest.mark.django_db

HEADER = "jaar;indicator;college;team;waarde;n;reeks;bron;groep"
# The ROCvAF agenda file's breakdown of 2a-entree (agenda 7.4 names the groups).
BREAKDOWNS = {"vooropleiding": ["PrO", "vso", "vmbo-b", "afgebroken vmbo"]}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep the files of these tests in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def institution(rocvaf_demo):
    """Return the demo institution without the demo's own comparison rows, so a test counts what it seeds."""
    assert Indicator.objects.get(institution=rocvaf_demo, code="2a-entree").breakdowns == BREAKDOWNS
    ContextValue.objects.filter(indicator__institution=rocvaf_demo).delete()
    return rocvaf_demo


@pytest.fixture
def beleid(rocvaf_demo):
    """Return the demo's policy officer."""
    return get_user_model().objects.get(username="beleid")


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    """Return a semicolon-separated long-format file."""
    return "\n".join([header, *lines, ""]).encode("utf-8")


def college_total() -> Measurement:
    """Return a stored college-level value of 2a-entree (the demo's college figures)."""
    return Measurement.objects.filter(indicator__code="2a-entree", level="college").order_by("-year", "pk").first()


def context_rows() -> list[tuple]:
    """Return every stored comparison and breakdown value without ids or times, sorted."""
    return sorted(
        ContextValue.objects.values_list(
            "indicator__code", "year", "level", "college__code", "series", "dimension", "group", "value", "n", "source"
        )
    )


def mixed_file() -> bytes:
    """Return a file with own totals (same values, a new source), landelijk, DUO and vooropleiding rows."""
    own = college_total()
    value = format(own.value.normalize(), "f").replace(".", ",")
    return csv_bytes(
        f"{own.year};2a-entree;{own.college.code};;{value};{own.n or ''};;STO 2019;",
        "2016;2a-entree;;;72;;landelijk;agenda r. 412 (landelijk 72 %);",
        "2017;2a-entree;;;73,5;;Landelijk;;",
        "2017;2a-entree;5100;;70;;DUO;DUO open onderwijsdata;",
        "2019;2a-entree;;;61,3;41;;telling 1-10;vooropleiding: PrO",
        "2019;2a-entree;;;80;12;;;vso",
        "2019;2a-entree;5100;;59;25;;;vooropleiding: PrO",
        "2019;2a-entree;;;64;;landelijk;;PrO",
    )


def test_preview_lists_context_rows_with_series_group_and_source(institution, beleid):
    """The upload page's dry run counts and lists the comparison and breakdown rows and shows each value's source."""
    client = Client()
    client.force_login(beleid)
    response = client.post("/uploads/", {"file": SimpleUploadedFile("reeks.csv", mixed_file())})
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = Upload.objects.get(original_name="reeks.csv")
    assert (upload.rows_total, upload.rows_new, upload.rows_changed) == (8, 7, 1)  # the source change counts
    page = client.get(response["Location"]).content.decode()
    assert "Vergelijkingsreeksen en uitsplitsingen" in page
    for text in ("landelijk", "DUO", "vooropleiding: PrO", "vooropleiding: vso", "agenda r. 412", "STO 2019"):
        assert text in page, text
    plan = upload_plan(upload)
    assert [change.kind for change in plan.context_changes] == ["nieuw"] * 7
    assert [change.kind for change in plan.changes] == ["gewijzigd"]
    assert not ContextValue.objects.exists()  # a preview stores nothing


def test_confirm_stores_context_values_and_sources_with_history(
    institution, beleid, django_capture_on_commit_callbacks
):
    """Confirming writes the context rows (linked to the upload, with history) and the own total's new source."""
    upload = upload_preview(institution=institution, data=mixed_file(), filename="reeks.csv", user=beleid)
    plan = upload_plan(upload)
    with django_capture_on_commit_callbacks(execute=True):
        upload_confirm(upload=upload, fingerprint=plan.fingerprint(), user=beleid)
    assert len(context_rows()) == 7
    landelijk = ContextValue.objects.get(indicator__code="2a-entree", year=2017, series="landelijk")
    assert landelijk.value == Decimal("73.5") and landelijk.level == "institution"  # one series, stored spelling
    pro = ContextValue.objects.get(year=2019, level="institution", series="", group="PrO")
    assert (pro.dimension, pro.value, pro.n, pro.source, pro.upload_id) == (
        "vooropleiding",
        Decimal("61.3"),
        41,
        "telling 1-10",
        upload.pk,
    )
    assert [h.history_type for h in pro.history.all()] == ["+"]
    client = Client()
    client.force_login(beleid)
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "Vergelijkingsreeksen en uitsplitsingen" in page and "telling 1-10" in page and "STO 2019" in page
    own = college_total()
    assert own.source == "STO 2019"
    history = list(own.history.order_by("history_id"))
    assert history[-1].source == "STO 2019" and history[-2].source != "STO 2019"  # the source change is in history

    # The same file again: nothing new, nothing changed.
    again = benchmark_import(institution=institution, data=mixed_file(), filename="reeks2.csv", user=beleid)
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 8)
    # A corrected comparison figure is a change with history, and asks for no recompute (no verdict moves).
    fixed = benchmark_import(
        institution=institution, data=csv_bytes("2016;2a-entree;;;72,4;;landelijk;DUO 2017;"), filename="fix.csv"
    )
    assert (fixed.rows_changed, fixed.recompute_run_id) == (1, None)
    row = ContextValue.objects.get(year=2016, series="landelijk")
    assert [(h.value, h.source) for h in row.history.order_by("history_id")] == [
        (Decimal(72), "agenda r. 412 (landelijk 72 %)"),
        (Decimal("72.4"), "DUO 2017"),
    ]


def test_cell_history_shows_the_source(institution, beleid):
    """The history page of a team's cell and the measurement API name the source the file gave (JOB, STO)."""
    team_value = Measurement.objects.filter(
        indicator__code="2a-entree", level="team", college__code="5100", year__in=list(institution.years)
    ).first()
    value = format(team_value.value.normalize(), "f").replace(".", ",")
    upload = benchmark_import(
        institution=institution,
        data=csv_bytes(f"{team_value.year};2a-entree;;{team_value.team.code};{value};{team_value.n or ''};;JOB 2020;"),
        filename="bron.csv",
        user=beleid,
    )
    assert upload.rows_changed == 1
    client = Client()
    client.force_login(beleid)
    url = f"/invoer/college/5100/geschiedenis/{team_value.team.code}/2a-entree/?jaar={team_value.year}"
    page = client.get(url).content.decode()
    assert "JOB 2020" in page and f"upload #{upload.pk} bron.csv" in page
    # The API's measurement body carries it too.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=beleid)[0].key}")
    body = api.get(
        "/api/v1/measurements/", {"indicator": "2a-entree", "team": team_value.team.code, "year": team_value.year}
    ).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["source"] for row in rows] == ["JOB 2020"]


def test_a_correction_without_a_source_keeps_the_figures_source(institution, beleid):
    """A value named JOB by a file keeps 'JOB' when the API or a file without bron corrects it.

    The channel is provenance (the upload link, the history's reason): written into the source it
    would read as a change of survey on the trend chart (JOB -> 'API').
    """
    team_value = Measurement.objects.filter(
        indicator__code="2a-entree", level="team", college__code="5100", year__in=list(institution.years)
    ).first()
    unit = f"{team_value.year};2a-entree;;{team_value.team.code}"
    n = team_value.n or ""
    first, second, third = (team_value.value + Decimal(step) for step in ("0.1", "0.2", "0.3"))
    text = lambda value: format(value.normalize(), "f").replace(".", ",")  # noqa: E731
    benchmark_import(
        institution=institution, data=csv_bytes(f"{unit};{text(first)};{n};;JOB 2020;"), filename="a.csv", user=beleid
    )
    old = "jaar;indicator;college;team;waarde;n"
    benchmark_import(
        institution=institution, data=csv_bytes(f"{unit};{text(second)};{n}", header=old), filename="b.csv", user=beleid
    )
    team_value.refresh_from_db()
    assert (team_value.value, team_value.source) == (second, "JOB 2020")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=beleid)[0].key}")
    answer = api.patch(f"/api/v1/measurements/{team_value.pk}/", {"value": str(third)}, format="json")
    assert answer.status_code == 200, answer.content
    team_value.refresh_from_db()
    assert (team_value.value, team_value.source) == (third, "JOB 2020")
    assert team_value.history.latest().history_change_reason == "API"
    # The same source in other letters is no change (nothing rewritten, no history, no recompute).
    again = benchmark_import(
        institution=institution, data=csv_bytes(f"{unit};{text(third)};{n};;job 2020;"), filename="d.csv", user=beleid
    )
    assert (again.rows_changed, again.rows_unchanged) == (0, 1)
    team_value.refresh_from_db()
    assert team_value.source == "JOB 2020"
    # A new cell written by a channel without a source has none (not the channel's name).
    Measurement.objects.filter(indicator__code="2a-entree", year=team_value.year, level="institution").delete()
    institution_total = text(team_value.value)
    fresh = benchmark_import(
        institution=institution,
        data=csv_bytes(f"{team_value.year};2a-entree;;;{institution_total};", header=old),
        filename="c.csv",
        user=beleid,
    )
    assert fresh.rows_new == 1
    stored = Measurement.objects.get(indicator__code="2a-entree", year=team_value.year, level="institution")
    assert stored.source == ""


def test_locked_year_refuses_an_own_breakdown_but_accepts_a_landelijk_row(institution, beleid):
    """An approved year refuses the institution's own breakdown (409 in the API) but takes a comparison series."""
    signoff_approve(institution=institution, year=2019, system=True)
    with pytest.raises(UploadRejected) as refused:
        benchmark_import(institution=institution, data=csv_bytes("2019;2a-entree;;;61;41;;;PrO"), filename="a.csv")
    assert refused.value.locked
    assert "2019 is voor het instellingsniveau vastgesteld" in refused.value.errors[0].message
    assert refused.value.errors[0].row == 2
    assert not ContextValue.objects.exists()
    accepted = benchmark_import(
        institution=institution, data=csv_bytes("2019;2a-entree;;;71;;landelijk;DUO;"), filename="b.csv"
    )
    assert accepted.status == UploadStatus.ACCEPTED
    assert ContextValue.objects.get().series == "landelijk"
    # The preview says so too, row by row, before anything is confirmed.
    with pytest.raises(UploadRejected) as previewed:
        upload_preview(institution=institution, data=csv_bytes("2019;2a-entree;5100;;61;41;;;PrO"), filename="c.csv")
    assert previewed.value.locked
    # And the API: 409 with the row, nothing stored.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=beleid)[0].key}")
    response = api.post(
        "/api/v1/uploads/",
        {"file": SimpleUploadedFile("d.csv", csv_bytes("2019;2a-entree;;;61;41;;;vso"))},
        format="multipart",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["row"] == 2
    assert ContextValue.objects.count() == 1


def test_a_director_cannot_write_institution_or_comparison_rows(institution):
    """A director's grid upload and API upload refuse institution-level and comparison rows; the service too."""
    director = get_user_model().objects.get(username="directeur5100")
    college = College.objects.get(institution=institution, code="5100")
    client = Client()
    client.force_login(director)
    for line, fragment in (
        ("2019;2a-entree;;;71;;landelijk;;", "Alleen gegevens van college 5100"),
        ("2019;2a-entree;5100;;71;;landelijk;;", "alleen door beleidsmedewerkers"),
    ):
        page = client.post(
            "/invoer/college/5100/upload/", {"file": SimpleUploadedFile("r.csv", csv_bytes(line))}
        ).content.decode()
        assert fragment in page
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=director)[0].key}")
    response = api.post(
        "/api/v1/uploads/",
        {"file": SimpleUploadedFile("r.csv", csv_bytes("2019;2a-entree;;;71;;landelijk;;")), "college": "5100"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "Alleen gegevens van college 5100" in response.json()["errors"][0]["message"]
    assert not ContextValue.objects.exists()
    indicator = Indicator.objects.get(institution=institution, code="2a-entree")
    for row in (
        ContextRow(indicator=indicator, year=2019, value=Decimal(71), series="landelijk"),
        ContextRow(indicator=indicator, year=2019, value=Decimal(71), college=college, series="landelijk"),
        ContextRow(indicator=indicator, year=2019, value=Decimal(61), dimension="vooropleiding", group="PrO"),
    ):
        with pytest.raises(PermissionDenied):
            context_values_apply(institution=institution, rows=[row], user=director, allowed_colleges={college.pk})
    # Its own college's breakdown it may write.
    own = ContextRow(indicator=indicator, year=2019, value=Decimal(61), college=college, dimension="vooropleiding")
    own.group = "PrO"
    report = context_values_apply(institution=institution, rows=[own], user=director, allowed_colleges={college.pk})
    assert report.new == 1


def _run(*args) -> str:
    """Run a management command and return its output."""
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _statuses(institution) -> dict:
    """Return every stored status payload of the institution (both ambition versions)."""
    return {(y, v): status_body(institution, y, v) for y in institution.years for v in ("current", "original")}


def test_series_sources_and_groups_round_trip_through_the_backup(rocvaf_demo, beleid, tmp_path):
    """Import a file with reeks, bron and groep, export the backup, restore it into an empty database: same rows, sources, verdicts."""
    institution = rocvaf_demo
    demo_rows = ContextValue.objects.count()  # the demo's comparison figures (demo/data/rocvaf_comparisons.csv)
    # Own-series rows only: the demo already holds the landelijk figures the mixed file quotes.
    own = [line for line in mixed_file().decode().splitlines()[1:] if line.split(";")[6] == ""]
    benchmark_import(institution=institution, data=csv_bytes(*own), filename="reeks.csv", user=beleid)
    recompute_now(institution=institution, reason="na upload")
    contexts = context_rows()
    sources = sorted(
        Measurement.objects.values_list("indicator__code", "year", "level", "college__code", "team__code", "source")
    )
    statuses = _statuses(institution)
    assert len(contexts) >= demo_rows
    assert (
        "2a-entree",
        2019,
        "institution",
        None,
        "",
        "vooropleiding",
        "PrO",
        Decimal("61.3"),
        41,
        "telling 1-10",
    ) in (contexts)

    _run("export_institution", str(tmp_path))
    data = (tmp_path / "data.csv").read_text(encoding="utf-8")
    assert data.splitlines()[0] == HEADER
    assert "2019;2a-entree;;;61,3;41;;telling 1-10;vooropleiding: PrO" in data
    if connection.vendor == "postgresql":
        # The import's deferred foreign-key checks would otherwise stop the flush (pending trigger events).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", "--noinput", verbosity=0)
    _run("load_agenda", str(tmp_path / "agenda.yaml"))
    restored = Institution.objects.get(code="ROCVAF")
    # The agenda file carries the breakdowns the groep column is checked against.
    assert Indicator.objects.get(institution=restored, code="2a-entree").breakdowns == BREAKDOWNS
    _run("import_benchmark", str(tmp_path / "data.csv"), "--restore", "--note", "hersteld uit back-up")
    recompute_now(institution=restored, reason="hersteld")

    assert context_rows() == contexts
    assert (
        sorted(
            Measurement.objects.values_list("indicator__code", "year", "level", "college__code", "team__code", "source")
        )
        == sources
    )
    assert _statuses(restored) == statuses
