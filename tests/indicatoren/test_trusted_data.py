"""Figures you can trust (issue 12): one write path, locks, baseline protection, conflicts, plausibility flags."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.models import College, Indicator, Team
from indicatoren.models import Measurement, SignoffEvent, SignoffState, Upload, UploadStatus, YearSignoff
from indicatoren.selectors import data_status
from indicatoren.services import measurement_etag
from invoer.grid import grid_build

pytestmark = pytest.mark.django_db
YEAR = 2021


def user(name):
    return get_user_model().objects.get(username=name)


def client_for(name) -> Client:
    client = Client()
    client.force_login(user(name))
    return client


def api_for(name) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user(name))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def cell(code: str, team: str, year: int = YEAR) -> Measurement:
    return Measurement.objects.get(indicator__code=code, year=year, team__code=team)


def grid_post(client, college: College, year: int, values: dict, notes: dict | None = None):
    """Post the grid as a browser would: every field of the page, with `values` typed in {(team, code): text}."""
    grid = grid_build(college, year)
    data = {}
    for c in grid.cells():
        data[f"v_{c.key}"], data[f"n_{c.key}"], data[f"o_{c.key}"] = c.value_input, c.n_input, c.original
        typed = values.get((c.team.code, c.indicator.code))
        if typed is not None:
            data[f"v_{c.key}"] = typed
        note = (notes or {}).get((c.team.code, c.indicator.code))
        if note:
            data[f"t_{c.key}"] = note
    return client.post(f"/invoer/college/{college.code}/?jaar={year}", data)


def percent_cell(rocvaf, college="5100", year=YEAR, low=60):
    """Return a team value of a percent indicator above `low` in the college (e.g. a 'jaarresultaat')."""
    return (
        Measurement.objects.filter(
            indicator__institution=rocvaf,
            indicator__unit="percent",
            year=year,
            team__college__code=college,
            value__gt=low,
        )
        .select_related("indicator", "team")
        .order_by("indicator__code", "team__code")
        .first()
    )


# --- plausibility ------------------------------------------------------------------------------


def test_typo_8_77_for_85_9_is_flagged_in_the_grid_and_saved_only_with_a_note(rocvaf_demo):
    """A value a tenth of its history and peers is flagged beside the cell; with a note it is stored with it."""
    m = percent_cell(rocvaf_demo)
    college = m.team.college
    key = (m.team.code, m.indicator.code)
    response = grid_post(client_for("directeur5100"), college, YEAR, {key: "8,77"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Onwaarschijnlijke waarde" in html and "toelichting" in html.lower()
    assert cell(m.indicator.code, m.team.code).value == m.value  # nothing stored
    response = grid_post(client_for("directeur5100"), college, YEAR, {key: "8,77"}, {key: "echt gedaald na fusie"})
    assert response.status_code == 302
    stored = cell(m.indicator.code, m.team.code)
    assert stored.value == Decimal("8.77") and stored.note == "echt gedaald na fusie"
    assert stored.history.first().note == "echt gedaald na fusie"  # kept with the value in its history


def test_vsv_of_95_is_flagged_through_the_api_and_a_note_confirms_it(rocvaf_demo):
    """A vsv of 95 % is refused without a note (400 naming the flag) and stored with one; the flag is reported."""
    m = Measurement.objects.filter(indicator__code="2b", year=YEAR, team__college__code="5100").first()
    api = api_for("beleid")
    body = {"indicator": "2b", "year": YEAR, "team": m.team.code, "value": "95"}
    response = api.post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 400, response.content
    assert "Onwaarschijnlijke waarde" in response.json()["detail"]
    assert cell("2b", m.team.code).value == m.value
    response = api.post("/api/v1/measurements/", {**body, "note": "klopt: herindeling"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["flags"] and response.json()["note"] == "klopt: herindeling"


def test_an_ordinary_correction_is_not_flagged(rocvaf_demo):
    """A small correction (half a point) saves at once without a note."""
    m = percent_cell(rocvaf_demo)
    key = (m.team.code, m.indicator.code)
    new = (m.value + Decimal("0.5")).normalize()
    response = grid_post(client_for("directeur5100"), m.team.college, YEAR, {key: format(new, "f").replace(".", ",")})
    assert response.status_code == 302
    assert cell(m.indicator.code, m.team.code).value == new


# --- sign-off and locking ----------------------------------------------------------------------


def test_approved_year_refuses_every_channel_and_reopen_is_logged(rocvaf_demo):
    """After `approve`, grid, API, upload and admin writes are refused and nothing changes; `reopen` logs who/why."""
    m = percent_cell(rocvaf_demo)
    original = m.value
    out = io.StringIO()
    call_command("approve", "--year", str(YEAR), "--user", "beleid", stdout=out)
    assert "vastgesteld" in out.getvalue()
    assert data_status(rocvaf_demo, YEAR) == "vastgesteld"
    key = (m.team.code, m.indicator.code)

    response = grid_post(client_for("directeur5100"), m.team.college, YEAR, {key: "70"})
    assert response.status_code in (200, 409)  # the page is read-only now; a forged post is refused
    api = api_for("beleid")
    response = api.post(
        "/api/v1/measurements/",
        {"indicator": m.indicator.code, "year": YEAR, "team": m.team.code, "value": "70"},
        format="json",
    )
    assert response.status_code == 409 and "vastgesteld" in response.json()["detail"]
    csv = f"jaar;indicator;team;waarde\n{YEAR};{m.indicator.code};{m.team.code};70\n".encode()
    response = api.post("/api/v1/uploads/", {"file": io.BytesIO(csv)}, format="multipart")
    assert response.status_code == 409 and "vastgesteld" in response.json()["errors"][0]["message"]
    page_upload = io.BytesIO(csv)
    page_upload.name = "locked.csv"
    response = client_for("beleid").post("/uploads/", {"file": page_upload})
    assert response.status_code == 400 and "vastgesteld" in response.content.decode()
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "pw"))
    response = admin.post(
        f"/admin/indicatoren/measurement/{m.pk}/change/",
        {
            "indicator": m.indicator_id,
            "year": YEAR,
            "college": m.college_id,
            "team": m.team_id,
            "value": "70",
            "n": "",
            "note": "",
        },
    )
    assert response.status_code == 200 and "vastgesteld" in response.content.decode()
    assert cell(m.indicator.code, m.team.code).value == original
    assert api.get(f"/api/v1/status/?year={YEAR}").json()["data_status"] == "vastgesteld"

    with pytest.raises(CommandError):
        call_command("reopen", "--year", str(YEAR), "--reason", "", stdout=io.StringIO())
    call_command("reopen", "--year", str(YEAR), "--college", "5100", "--reason", "correctie 1a", stdout=io.StringIO())
    event = SignoffEvent.objects.filter(action="reopen").get()
    assert (event.reason, event.signoff.college.code, event.from_state, event.to_state) == (
        "correctie 1a",
        "5100",
        SignoffState.APPROVED,
        SignoffState.OPEN,
    )
    response = grid_post(client_for("directeur5100"), m.team.college, YEAR, {key: "70"})
    assert response.status_code == 302
    assert cell(m.indicator.code, m.team.code).value == Decimal(70)
    assert data_status(rocvaf_demo, YEAR) == "voorlopig"  # 5100 is open again


def test_director_submits_and_policy_approves_in_the_pages(rocvaf_demo):
    """Submit on the grid by the director, approve by policy staff; the grid then shows the year locked."""
    director = client_for("directeur5100")
    response = director.post("/invoer/college/5100/vaststelling/", {"jaar": YEAR, "actie": "indienen"})
    assert response.status_code == 302
    signoff = YearSignoff.objects.get(college__code="5100", year=YEAR)
    assert signoff.state == SignoffState.SUBMITTED
    response = director.post("/invoer/college/5100/vaststelling/", {"jaar": YEAR, "actie": "vaststellen"})
    assert YearSignoff.objects.get(pk=signoff.pk).state == SignoffState.SUBMITTED  # a director cannot approve
    client_for("beleid").post("/invoer/college/5100/vaststelling/", {"jaar": YEAR, "actie": "vaststellen"})
    assert YearSignoff.objects.get(pk=signoff.pk).state == SignoffState.APPROVED
    html = director.get(f"/invoer/college/5100/?jaar={YEAR}").content.decode()
    assert "vastgesteld en vergrendeld" in html and 'name="v_' not in html


def test_reopen_without_reason_is_refused_by_the_command(rocvaf_demo):
    """`reopen` needs a reason; `approve` of an unknown college exits 1."""
    with pytest.raises(CommandError, match="Onbekend college"):
        call_command("approve", "--year", str(YEAR), "--college", "9999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="buiten de agendaperiode"):
        call_command("approve", "--year", "2030", stdout=io.StringIO())


# --- baseline protection -----------------------------------------------------------------------


def test_baseline_year_is_writable_only_by_policy_staff(rocvaf_demo):
    """A director's API write or Excel sheet for the baseline year is refused; policy staff may write it."""
    m = Measurement.objects.filter(indicator__code="1a", team__college__code="5100").order_by("year").first()
    baseline = m.indicator.baseline_year
    assert m.year <= baseline
    body = {"indicator": "1a", "year": m.year, "team": m.team.code, "value": "5.5"}
    response = api_for("directeur5100").post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 403 and "referentiejaar" in response.json()["detail"]
    assert cell("1a", m.team.code, m.year).value == m.value
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(m.year)
    sheet.append(["team", "1a"])
    sheet.append([m.team.code, 5.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.name = "met-2017.xlsx"
    buffer.seek(0)
    response = client_for("directeur5100").post("/invoer/college/5100/upload/", {"file": buffer})
    # Refused already at the dry run, naming the sheet and row; the attempt is on record as rejected.
    assert response.status_code == 400 and "referentiejaar" in response.content.decode()
    assert Upload.objects.order_by("-id").first().status == UploadStatus.REJECTED
    assert cell("1a", m.team.code, m.year).value == m.value
    response = api_for("beleid").post("/api/v1/measurements/", {**body, "value": "7.3"}, format="json")
    assert response.status_code == 200


def test_a_baseline_year_set_by_a_herijking_is_writable_only_by_policy_staff(rocvaf_demo):
    """1a judged from 2021 against 2019: a director's and the grid's write of 2019 are refused, policy staff's is not.

    Before, only the original baseline year (2017) was protected, so a director could lower the
    2019 value their teams are judged against from 2021 on.
    """
    from agenda.services import baseline_revise

    indicator = Indicator.objects.get(institution=rocvaf_demo, code="1a")
    m = Measurement.objects.filter(indicator=indicator, team__college__code="5100", year=2019).order_by("pk").first()
    body = {"indicator": "1a", "year": 2019, "team": m.team.code, "value": "6.05", "note": "gecorrigeerd"}
    assert api_for("directeur5100").post("/api/v1/measurements/", body, format="json").status_code == 200
    Measurement.objects.filter(pk=m.pk).update(value=m.value)  # back to the stored value
    baseline_revise(
        indicator=indicator, from_year=2021, baseline_year=2019, reason="herijking 2020", author=user("beleid")
    )

    response = api_for("directeur5100").post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 403 and "2019 is het referentiejaar (nulmeting) van 1a" in response.json()["detail"]
    response = grid_post(client_for("directeur5100"), m.team.college, 2019, {(m.team.code, "1a"): "6,05"})
    assert "referentiejaar" in response.content.decode()
    assert cell("1a", m.team.code, 2019).value == m.value
    # 2020 is not a baseline year: still the director's to write.
    body_2020 = {**body, "year": 2020}
    assert api_for("directeur5100").post("/api/v1/measurements/", body_2020, format="json").status_code == 200
    assert api_for("beleid").post("/api/v1/measurements/", body, format="json").status_code == 200
    assert cell("1a", m.team.code, 2019).value == Decimal("6.05")


# --- no lost updates ---------------------------------------------------------------------------


def export_of(client, college="5100") -> openpyxl.Workbook:
    response = client.get(f"/invoer/college/{college}/export.xlsx")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def as_file(workbook, name="resultaten-5100.xlsx") -> io.BytesIO:
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def set_cell(workbook, year: int, team: str, code: str, value):
    sheet = workbook[str(year)]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == team:
            row[header.index(code)].value = value
            return
    raise AssertionError(f"{team} not in sheet {year}")


def test_stale_excel_is_refused_cell_by_cell(rocvaf_demo):
    """Export, a colleague corrects a cell, the old export comes back: that cell is shown as a conflict, not stored."""
    director = client_for("directeur5100")
    a, b = (
        Measurement.objects.filter(indicator__code="1a", year=YEAR, team__college__code="5100")
        .select_related("team")
        .order_by("team__code")[:2]
    )
    workbook = export_of(director)
    colleague = api_for("beleid")
    etag = colleague.get(f"/api/v1/measurements/{a.pk}/").headers["ETag"]
    corrected = (a.value + Decimal("0.2")).normalize()
    response = colleague.patch(
        f"/api/v1/measurements/{a.pk}/", {"value": str(corrected)}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    mine = (b.value + Decimal("0.1")).normalize()
    set_cell(workbook, YEAR, b.team.code, "1a", float(mine))  # the director's own edit; a's cell left as exported

    # Through the API at once: refused as a whole, naming the conflicting cell; nothing stored.
    response = api_for("directeur5100").post(
        "/api/v1/uploads/", {"file": as_file(workbook), "college": "5100"}, format="multipart"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and a.team.code in errors[0]["message"] and "intussen gewijzigd" in errors[0]["message"]
    assert (cell("1a", a.team.code).value, cell("1a", b.team.code).value) == (corrected, b.value)

    # Through the page: a dry run lists the conflict (old, theirs, yours); confirming keeps theirs.
    director.post("/invoer/college/5100/upload/", {"file": as_file(workbook)})
    upload = Upload.objects.filter(status=UploadStatus.PREVIEW).order_by("-id").first()
    page = director.get(f"/uploads/{upload.pk}/")
    conflicts = page.context["conflicts"]
    assert [(c.row.team.code, c.old, c.theirs, c.yours) for c in conflicts] == [
        (a.team.code, a.value, corrected, a.value)
    ]
    fingerprint = page.context["confirm_form"].initial["fingerprint"]
    response = director.post(f"/uploads/{upload.pk}/bevestigen/", {"fingerprint": fingerprint})
    assert response.status_code == 302
    assert (cell("1a", a.team.code).value, cell("1a", b.team.code).value) == (corrected, mine)


def test_api_if_match_gives_412_on_a_stale_etag(rocvaf_demo):
    """A PATCH with the ETag of an older read is refused (412) and names the newer value; '*' or none writes."""
    m = percent_cell(rocvaf_demo)
    api = api_for("beleid")
    response = api.get(f"/api/v1/measurements/{m.pk}/")
    etag = response.headers["ETag"]
    assert etag == measurement_etag(m.value, m.n)
    first = (m.value + 1).normalize()
    assert (
        api.patch(f"/api/v1/measurements/{m.pk}/", {"value": str(first)}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    response = api.patch(f"/api/v1/measurements/{m.pk}/", {"value": "1"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["cells"][0]["stored_value"] == float(first) or str(first) in response.json()["detail"]
    assert cell(m.indicator.code, m.team.code).value == first


def test_grid_conflict_is_checked_inside_the_write(rocvaf_demo):
    """A grid page built before another save is refused for that cell, with the newer value named."""
    m = percent_cell(rocvaf_demo)
    college = m.team.college
    stale = grid_build(college, YEAR)
    api_for("beleid").patch(f"/api/v1/measurements/{m.pk}/", {"value": str((m.value + 1).normalize())}, format="json")
    data = {}
    for c in stale.cells():
        data[f"v_{c.key}"], data[f"n_{c.key}"], data[f"o_{c.key}"] = c.value_input, c.n_input, c.original
        if (c.team.pk, c.indicator.pk) == (m.team_id, m.indicator_id):
            data[f"v_{c.key}"] = format((m.value + 2).normalize(), "f")
    response = client_for("directeur5100").post(f"/invoer/college/{college.code}/?jaar={YEAR}", data)
    assert response.status_code == 400 and "Intussen gewijzigd" in response.content.decode()
    assert cell(m.indicator.code, m.team.code).value == (m.value + 1)


def test_status_and_budget_say_voorlopig_until_approved(rocvaf_demo):
    """API bodies, the command and the pages carry data_status; the overview shows the badge."""
    api = api_for("bestuur")
    assert api.get(f"/api/v1/status/?year={YEAR}").json()["data_status"] == "voorlopig"
    assert api.get(f"/api/v1/budget/?year={YEAR}").json()["data_status"] == "voorlopig"
    html = client_for("bestuur").get(f"/dashboard/?jaar={YEAR}").content.decode()
    assert "Oordelen voorlopig" in html


def test_admin_ambition_and_value_go_through_the_services(rocvaf_demo):
    """The admin adds an ambition revision through ambition_revise and refuses an out-of-range value in Dutch."""
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root2", "r2@example.org", "pw"))
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2b")
    before = indicator.ambitions.filter(year=2022).count()
    response = admin.post(
        "/admin/agenda/ambition/add/",
        {
            "indicator": indicator.pk,
            "year": 2022,
            "type": "maintain",
            "target": "",
            "tolerance": "0.5",
            "reason": "test",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert indicator.ambitions.filter(year=2022).count() == before + 1
    team = Team.objects.filter(college__code="5100").first()
    response = admin.post(
        "/admin/indicatoren/measurement/add/",
        {"indicator": indicator.pk, "year": 2022, "college": team.college_id, "team": team.pk, "value": "150", "n": ""},
    )
    assert response.status_code == 200 and "past niet bij de eenheid" in response.content.decode()


def test_a_busy_sqlite_database_gives_a_dutch_retry_answer_not_a_500(rocvaf_demo, monkeypatch):
    """SQLite's 'database is locked' after its timeout is a 503 with a Dutch retry message, page and API alike."""
    from django.db import OperationalError

    import indicatoren.services
    import invoer.grid

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(invoer.grid, "measurements_apply", locked)
    monkeypatch.setattr(indicatoren.services, "_keyed_rows", lambda *a: locked())
    m = percent_cell(rocvaf_demo)
    page = Client(raise_request_exception=False)
    page.force_login(user("directeur5100"))
    response = grid_post(page, m.team.college, YEAR, {(m.team.code, m.indicator.code): "70"})
    assert response.status_code == 503 and "probeer het over een paar seconden opnieuw" in response.content.decode()
    assert response["Retry-After"] == "2"
    api = api_for("beleid")
    api.raise_request_exception = False
    response = api.post(
        "/api/v1/measurements/",
        {"indicator": m.indicator.code, "year": YEAR, "team": m.team.code, "value": "70"},
        format="json",
    )
    assert response.status_code == 503 and "Er is niets opgeslagen" in response.json()["detail"]


def test_an_unchanged_export_reuploaded_after_an_approval_is_accepted(rocvaf_demo):
    """Rows that change nothing meet no lock: the export of all years still uploads after 2019 is approved."""
    call_command("approve", "--year", "2019", "--college", "5100", stdout=io.StringIO())
    director = client_for("directeur5100")
    workbook = export_of(director)
    m = Measurement.objects.filter(indicator__code="1a", year=YEAR, team__college__code="5100").first()
    set_cell(workbook, YEAR, m.team.code, "1a", float(m.value + Decimal("0.1")))
    response = director.post("/invoer/college/5100/upload/", {"file": as_file(workbook)})
    assert response.status_code == 302, response.content.decode()[:1500]
    # But a changed 2019 cell is refused, naming the lock.
    set_cell(workbook, 2019, m.team.code, "1a", 9.9)
    response = director.post("/invoer/college/5100/upload/", {"file": as_file(workbook)})
    assert response.status_code == 400 and "vastgesteld" in response.content.decode()


def test_correcting_n_of_a_flagged_value_keeps_its_note(rocvaf_demo):
    """A value confirmed with a note keeps it when only n changes; no new note is asked."""
    m = Measurement.objects.filter(indicator__code="2b", year=YEAR, team__college__code="5100").first()
    api = api_for("beleid")
    body = {"indicator": "2b", "year": YEAR, "team": m.team.code, "value": "95", "note": "klopt"}
    response = api.post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 200
    response = api.patch(f"/api/v1/measurements/{m.pk}/", {"value": "95", "n": 33}, format="json")
    assert response.status_code == 200, response.content
    stored = cell("2b", m.team.code)
    assert (stored.value, stored.n, stored.note) == (Decimal(95), 33, "klopt")
    # PATCH without n keeps the stored n.
    assert (
        api.patch(f"/api/v1/measurements/{m.pk}/", {"value": "94", "note": "nog steeds"}, format="json").json()["n"]
        == 33
    )


def test_if_match_is_a_strong_comparison_and_star_needs_an_existing_cell(rocvaf_demo):
    """A weak tag never matches; 'If-Match: *' on an empty cell is 412; a list of tags is honoured."""
    m = percent_cell(rocvaf_demo)
    api = api_for("beleid")
    etag = api.get(f"/api/v1/measurements/{m.pk}/").headers["ETag"]
    url = f"/api/v1/measurements/{m.pk}/"
    assert api.patch(url, {"value": "70"}, format="json", HTTP_IF_MATCH=f"W/{etag}").status_code == 412
    assert api.patch(url, {"value": "70"}, format="json", HTTP_IF_MATCH=f'"x", {etag}').status_code == 200
    taken = Measurement.objects.filter(indicator__code="2a-entree", year=YEAR, team__isnull=False).values("team")
    team = Team.objects.filter(college__code="5100").exclude(pk__in=taken).order_by("code")
    body = {"indicator": "2a-entree", "year": YEAR, "team": team.first().code, "value": "70"}
    assert api.post("/api/v1/measurements/", body, format="json", HTTP_IF_MATCH="*").status_code == 412


def test_admin_adds_a_team_value_without_college_and_a_student_number(rocvaf_demo):
    """The admin finds the team's college itself, and a new student number is stored without a false error."""
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root3", "r3@example.org", "pw"))
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="2a-entree")
    taken = Measurement.objects.filter(indicator=indicator, year=YEAR, team__isnull=False).values("team")
    team = Team.objects.filter(college__code="5100").exclude(pk__in=taken).order_by("code").first()
    response = admin.post(
        "/admin/indicatoren/measurement/add/",
        {"indicator": indicator.pk, "year": YEAR, "college": "", "team": team.pk, "value": "71", "n": ""},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert cell("2a-entree", team.code).value == Decimal(71)
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    response = admin.post("/admin/indicatoren/studentcount/add/", {"college": college.pk, "year": 2023, "count": 1234})
    assert response.status_code == 302, response.content.decode()[:1500]


def test_a_value_for_another_institutions_team_is_refused(rocvaf_demo):
    """The write service keeps rows inside the indicator's institution, also for policy scope."""
    from django.core.exceptions import PermissionDenied

    from agenda.models import Institution
    from indicatoren.services import MeasurementRow, measurements_apply

    other = Institution.objects.create(code="ROCX", name="ROC X")
    college = College.objects.create(institution=other, code="9100", name="X")
    team = Team.objects.create(institution=other, college=college, code="9100-A", name="A")
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="3a")
    row = MeasurementRow(indicator=indicator, year=YEAR, value=Decimal(70), college=college, team=team)
    with pytest.raises(PermissionDenied):
        measurements_apply(institution=rocvaf_demo, rows=[row])


def test_the_note_is_shown_in_the_cell_history(rocvaf_demo):
    """The history page of a cell lists the note saved with a flagged value."""
    m = percent_cell(rocvaf_demo)
    key = (m.team.code, m.indicator.code)
    director = client_for("directeur5100")
    grid_post(director, m.team.college, YEAR, {key: "8,77"}, {key: "na fusie opnieuw gestart"})
    page = director.get(f"/invoer/college/5100/geschiedenis/{m.team.code}/{m.indicator.code}/?jaar={YEAR}")
    assert "na fusie opnieuw gestart" in page.content.decode()
    grid = director.get(f"/invoer/college/5100/?jaar={YEAR}").content.decode()
    assert "met toelichting" in grid


# --- an approved year's baseline ---------------------------------------------------------------


def test_a_baseline_year_value_is_locked_while_a_year_judged_against_it_is_approved(rocvaf_demo):
    """1a is judged against 2017: after 2020 is approved for 5100, even policy staff's 2017 correction is 409.

    The correction changed the approved 2020 verdict, still labelled vastgesteld, so what the board
    signed no longer matched the document made again. After reopening 2020 it is accepted.
    """
    from indicatoren.signoff import signoff_approve, signoff_reopen

    college = College.objects.get(institution=rocvaf_demo, code="5100")
    m = Measurement.objects.filter(indicator__code="1a", team__college=college, year=2017).order_by("pk").first()
    body = {"indicator": "1a", "year": 2017, "team": m.team.code, "value": "6.15", "note": "gecorrigeerd"}
    signoff_approve(institution=rocvaf_demo, year=2020, college=college, user=user("beleid"))

    response = api_for("beleid").post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "2017 is de nulmeting waarmee 2019 wordt beoordeeld" not in detail  # 2019 is not approved
    assert "2017 is de nulmeting waarmee 2020 wordt beoordeeld, en het jaar 2020 is voor college 5100" in detail
    assert cell("1a", m.team.code, 2017).value == m.value
    # A value of a year no approved year is judged against stays writable (1a's 2018 values).
    body_2018 = {**body, "year": 2018}
    assert api_for("beleid").post("/api/v1/measurements/", body_2018, format="json").status_code == 200

    signoff_reopen(
        institution=rocvaf_demo, year=2020, college=college, reason="nulmeting 2017 hersteld", user=user("beleid")
    )
    assert api_for("beleid").post("/api/v1/measurements/", body, format="json").status_code == 200
    assert cell("1a", m.team.code, 2017).value == Decimal("6.15")
