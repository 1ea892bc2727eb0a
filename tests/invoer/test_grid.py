"""The results grid of a college (issue 5): entry, validation beside the cell, all or nothing, history, Excel."""

import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from agenda.models import College, Indicator, Team
from indicatoren.models import Measurement, Upload
from invoer.grid import (
    MSG_N,
    MSG_N_WITHOUT_VALUE,
    Cell,
    Grid,
    GridRow,
    grid_parse,
    value_text,
)
from rapportage.models import RecomputeRun, RunState
from rapportage.services import recompute_run

GRID = "/invoer/college/{code}/"
YEAR = 2022


class _FormFields(HTMLParser):
    """Collect what a browser would submit from one form: its inputs' names and values."""

    def __init__(self, form_id: str):
        """Start collecting the fields of the form with id `form_id`."""
        super().__init__()
        self.form_id, self.inside, self.fields, self.ids = form_id, False, {}, []

    def handle_starttag(self, tag, attrs):
        """Note the form's start and each named input inside it."""
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        elif tag == "input" and self.inside and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
            if attrs.get("type") != "hidden":
                self.ids.append(attrs.get("id"))

    def handle_endtag(self, tag):
        """Note the end of a form."""
        if tag == "form":
            self.inside = False


def grid_form(html: str) -> _FormFields:
    """Return the grid form's fields (name -> value) and its visible inputs' ids in document order."""
    parser = _FormFields("grid-form")
    parser.feed(html)
    return parser


def key(code: str, team_code: str) -> str:
    """Return the field suffix of a cell: team id and indicator id."""
    team = Team.objects.get(code=team_code)
    indicator = Indicator.objects.get(code=code, institution_id=team.institution_id)
    return f"{team.pk}_{indicator.pk}"


def stored(code: str, team_code: str, year: int = YEAR) -> tuple[Decimal, int | None] | None:
    """Return the stored (value, n) of a team cell, or None."""
    m = Measurement.objects.filter(indicator__code=code, team__code=team_code, year=year).first()
    return None if m is None else (m.value, m.n)


def post_grid(client, college: str, changes: dict[tuple[str, str], str], year: int = YEAR, **kwargs):
    """Load the grid page, change cells as a user would ({(indicator, team): value}) and post it."""
    page = client.get(f"{GRID.format(code=college)}?jaar={year}")
    fields = grid_form(page.content.decode()).fields
    for (code, team_code), text in changes.items():
        fields[f"v_{key(code, team_code)}"] = text
    return client.post(f"{GRID.format(code=college)}?jaar={year}", fields, **kwargs)


@pytest.fixture
def director(client, rocvaf_demo, db):
    """Return a client logged in as the director of 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


# --- parsing, without a database ------------------------------------------------------------


def _cell(unit: str, stored_value=None, stored_n=None) -> tuple[Grid, Cell]:
    """Return a one-cell grid with an indicator of `unit` and optionally a stored value."""
    college = College(pk=1, code="5100")
    team = Team(pk=7, code="5100-ENT", name="Entree", college=college)
    indicator = Indicator(pk=3, code="x", unit=unit, levels=["team", "college", "institution"])
    measurement = None
    if stored_value is not None:
        measurement = Measurement(indicator=indicator, team=team, value=Decimal(stored_value), n=stored_n)
    cell = Cell(team=team, indicator=indicator, measurement=measurement)
    cell.value_input = value_text(measurement.value) if measurement else ""
    cell.n_input = "" if stored_n is None else str(stored_n)
    cell.original = "" if measurement is None else f"{cell.value_input};{cell.n_input}"
    return Grid(college=college, year=YEAR, indicators=[indicator], rows=[GridRow(team, [cell])]), cell


@pytest.mark.parametrize(
    ("unit", "text", "value"),
    [
        ("percent", "77,5", Decimal("77.5")),
        ("percent", "77.5", Decimal("77.5")),
        ("percent", "77,5%", Decimal("77.5")),
        ("percent", " 77,5 % ", Decimal("77.5")),
        ("percent", "0", Decimal("0")),
        ("percent", "100", Decimal("100")),
        ("score", "1", Decimal("1")),
        ("score", "7,25", Decimal("7.25")),
        ("score", "10", Decimal("10")),
        ("count", "0", Decimal("0")),
        ("count", "12345", Decimal("12345")),
    ],
)
def test_decimal_comma_point_and_percent_sign_are_read_as_one_value(unit, text, value):
    """77,5 and 77.5 and 77,5% all store 77.5; the unit's bounds themselves are allowed."""
    grid, cell = _cell(unit)
    submission = grid_parse(grid, {f"v_{cell.key}": text, f"n_{cell.key}": "", f"o_{cell.key}": ""})
    assert not cell.has_error, cell.value_error
    assert [(row.value, row.n) for row in submission.rows] == [(value, None)]


@pytest.mark.parametrize(
    ("unit", "text", "n", "message"),
    [
        ("percent", "100,1", "", "tussen 0 en 100"),
        ("percent", "-1", "", "tussen 0 en 100"),
        ("score", "0,5", "", "tussen 1 en 10"),
        ("score", "11", "", "tussen 1 en 10"),
        ("count", "-1", "", "minstens 0"),
        ("percent", "abc", "", "Geen getal"),
        ("percent", "77,1234567", "", "Te veel decimalen"),
        ("percent", "=A1", "", "Formules"),
        ("percent", "50", "12,5", MSG_N),
        ("percent", "50", "-3", MSG_N),
        ("percent", "", "40", MSG_N_WITHOUT_VALUE),
    ],
)
def test_invalid_input_puts_a_message_on_the_cell_and_stores_nothing(unit, text, n, message):
    """A value outside the unit, not a number, or a bad n gives the cell a message and no row."""
    grid, cell = _cell(unit)
    submission = grid_parse(grid, {f"v_{cell.key}": text, f"n_{cell.key}": n, f"o_{cell.key}": ""})
    assert message in (cell.value_error or cell.n_error or "")
    assert submission.rows == []
    assert (cell.value_input, cell.n_input) == (text, n)  # re-rendered as entered


def test_untouched_cell_is_not_stored_even_in_other_notation():
    """A stored 50 posted back as '50,0' is no change, so nothing is written."""
    grid, cell = _cell("percent", "50", 10)
    submission = grid_parse(grid, {f"v_{cell.key}": "50,0", f"n_{cell.key}": "10", f"o_{cell.key}": "50;10"})
    assert submission.rows == [] and not cell.has_error


def test_clearing_n_keeps_the_value_and_stores_no_n():
    """Emptying only n stores the value without n."""
    grid, cell = _cell("percent", "50", 10)
    submission = grid_parse(grid, {f"v_{cell.key}": "50", f"n_{cell.key}": "", f"o_{cell.key}": "50;10"})
    assert [(row.value, row.n) for row in submission.rows] == [(Decimal("50"), None)]


def test_emptied_value_is_a_deliberate_deletion_with_its_n():
    """Emptying a value that was shown deletes the stored value, even when n is left standing."""
    grid, cell = _cell("percent", "50", 10)
    submission = grid_parse(grid, {f"v_{cell.key}": "", f"n_{cell.key}": "10", f"o_{cell.key}": "50;10"})
    # A deletion is a row without a value, checked against what the page showed (issue 12).
    assert [(row.value, row.n, row.expected) for row in submission.rows] == [(None, None, (Decimal("50"), 10))]


def test_changed_cell_carries_what_the_page_showed_for_the_check_inside_the_write():
    """The page showed 40: the row carries (40, 10), so the write service refuses it when 50 is stored now."""
    grid, cell = _cell("percent", "50", 10)
    submission = grid_parse(grid, {f"v_{cell.key}": "45", f"n_{cell.key}": "10", f"o_{cell.key}": "40;10"})
    assert [(row.value, row.expected) for row in submission.rows] == [(Decimal("45"), (Decimal("40"), 10))]


@pytest.mark.django_db
def test_changed_cell_that_someone_else_changed_meanwhile_is_refused(director):
    """The page showed the old value, someone stored another since: the save is refused naming the current value."""
    page = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    fields = grid_form(page.content.decode()).fields
    m = Measurement.objects.get(indicator__code="1a", team__code="5100-JUR", year=YEAR)
    Measurement.objects.filter(pk=m.pk).update(value=Decimal("6.1"))  # someone else, after the page was built
    fields[f"v_{key('1a', '5100-JUR')}"] = "6,3"
    response = director.post(f"{GRID.format(code='5100')}?jaar={YEAR}", fields)
    assert response.status_code == 400
    assert "Intussen gewijzigd" in response.content.decode() and "nu 6,1" in response.content.decode()
    assert stored("1a", "5100-JUR")[0] == Decimal("6.1")
    # The re-rendered page compares with 6,1 now: saving again after checking stores the value.
    fields = grid_form(response.content.decode()).fields
    assert director.post(f"{GRID.format(code='5100')}?jaar={YEAR}", fields).status_code == 302
    assert stored("1a", "5100-JUR")[0] == Decimal("6.3")


def test_untouched_cell_that_someone_else_changed_meanwhile_keeps_their_value():
    """The page showed 40 and the user left it: the 50 stored meanwhile is kept and shown."""
    grid, cell = _cell("percent", "50", 10)
    submission = grid_parse(grid, {f"v_{cell.key}": "40", f"n_{cell.key}": "10", f"o_{cell.key}": "40;10"})
    assert submission.rows == [] and not cell.has_error
    assert (cell.value_input, cell.original) == ("50", "50;10")


# --- the page -------------------------------------------------------------------------------


def test_grid_has_a_row_per_active_team_and_a_column_per_team_indicator(director):
    """Rows are 5100's teams active in 2022, columns the team-level indicators (not 3c), in tab order."""
    response = director.get(f"{GRID.format(code='5100')}?jaar=2022")
    assert response.status_code == 200
    html = response.content.decode()
    teams = list(Team.objects.filter(college__code="5100").order_by("code"))
    indicators = [i for i in Indicator.objects.order_by("position") if "team" in i.levels]
    assert "3c" not in [i.code for i in indicators]
    expected = []
    for team in teams:
        for indicator in indicators:
            expected += [f"v_{team.pk}_{indicator.pk}", f"n_{team.pk}_{indicator.pk}"]
    assert grid_form(html).ids == expected  # document order = tab order, row by row
    for input_id in expected:
        assert f'<label for="{input_id}"' in html or f'for="{input_id}"' in html


def test_every_cell_shows_who_changed_it_last_and_links_its_history(director):
    """A stored cell names its last editor and date and links to its history page."""
    m = Measurement.objects.get(indicator__code="1a", team__code="5100-JUR", year=YEAR)
    html = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}").content.decode()
    cell_key = key("1a", "5100-JUR")
    link = re.search(rf'<a class="cell-meta" id="m_{cell_key}" href="([^"]+)">(.*?)</a>', html, re.S)
    assert link, "cell meta link missing"
    assert link.group(1) == f"/invoer/college/5100/geschiedenis/5100-JUR/1a/?jaar={YEAR}"
    assert "import" in link.group(2)  # the demo values came from an upload without a user
    assert m.updated_at.astimezone().strftime("%Y") in link.group(2)


def test_year_defaults_to_the_last_agenda_year_and_ignores_nonsense(director):
    """Without ?jaar, or with a year outside the agenda, the grid shows 2022."""
    for query in ("", "?jaar=abc", "?jaar=1999"):
        assert director.get(GRID.format(code="5100") + query).context["year"] == 2022
    assert director.get(GRID.format(code="5100") + "?jaar=2020").context["year"] == 2020


def test_a_team_deactivated_after_2020_is_not_in_the_2021_grid(client, rocvaf_demo, db):
    """7200-ISK is active until 2020: a row in 2020, none in 2021."""
    client.force_login(get_user_model().objects.get(username="directeur7200"))
    team = Team.objects.get(code="7200-ISK")
    assert team.active_until == 2020
    rows_2020 = [row.team for row in client.get("/invoer/college/7200/?jaar=2020").context["grid"].rows]
    rows_2021 = [row.team for row in client.get("/invoer/college/7200/?jaar=2021").context["grid"].rows]
    assert team in rows_2020 and team not in rows_2021


@pytest.mark.parametrize("text", ["7,5", "7.5", "7,5%"])
def test_saving_stores_the_value_with_the_user_and_shows_a_message(director, text):
    """A value typed with a comma, a point or a percent sign is stored as 7.5 with its author."""
    before = Measurement.objects.get(indicator__code="1a", team__code="5100-JUR", year=YEAR)
    versions = before.history.count()
    response = post_grid(director, "5100", {("1a", "5100-JUR"): text}, follow=True)
    after = Measurement.objects.get(pk=before.pk)
    assert (after.value, after.n) == (Decimal("7.5"), before.n)
    assert after.updated_by.username == "directeur5100"
    assert after.history.count() == versions + 1
    assert "Opgeslagen voor 2022: 0 nieuw, 1 gewijzigd, 0 verwijderd." in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{GRID.format(code='5100')}?jaar={YEAR}"


def test_one_invalid_cell_saves_nothing_and_shows_the_message_beside_it(director):
    """A valid change and a percentage of 120: nothing stored, both entries re-shown, error linked to the cell."""
    valid, invalid = ("1a", "5100-JUR"), ("2b", "5100-PW")
    before = {cell: stored(*cell) for cell in (valid, invalid)}
    response = post_grid(director, "5100", {valid: "7,5", invalid: "120"})
    assert response.status_code == 400
    assert {cell: stored(*cell) for cell in (valid, invalid)} == before
    html = response.content.decode()
    bad = key(*invalid)
    td = re.search(rf'<td class="cell has-error">((?:(?!</td>).)*id="v_{bad}"(?:(?!</td>).)*)</td>', html, re.S)
    assert td, "the invalid cell is not marked"
    assert f'<span class="cell-error" id="ve_{bad}">' in td.group(1)
    assert "tussen 0 en 100" in td.group(1)
    assert re.search(
        rf'id="v_{bad}" name="v_{bad}" value="120"\s+aria-invalid="true" aria-describedby="ve_{bad}', td.group(1)
    )
    assert f'name="v_{key(*valid)}" value="7,5"' in html  # the valid entry is still there
    assert re.search(rf'<td class="cell changed">\s*<label class="visually-hidden" for="v_{key(*valid)}"', html)
    assert 'data-dirty="true"' in html  # the unsaved-changes warning stays armed
    assert f'href="#v_{bad}"' in html  # the summary at the top links to the cell


def test_emptying_a_cell_deletes_the_value_and_history_keeps_it(director):
    """An emptied cell is deleted deliberately; the history page shows the old value and who deleted it."""
    old = stored("2b", "5100-PW")
    response = post_grid(director, "5100", {("2b", "5100-PW"): ""}, follow=True)
    assert stored("2b", "5100-PW") is None
    assert "0 nieuw, 0 gewijzigd, 1 verwijderd" in response.content.decode()
    history = director.get(f"/invoer/college/5100/geschiedenis/5100-PW/2b/?jaar={YEAR}")
    entry = history.context["entries"][0]
    assert (entry["kind"], entry["old_value"], entry["user"].username) == ("-", old[0], "directeur5100")
    assert "verwijderd" in history.content.decode()


def test_history_lists_each_change_with_user_date_and_old_value(director):
    """After two saves the history shows both, newest first, each with the value it replaced."""
    original = stored("1a", "5100-JUR")[0]
    post_grid(director, "5100", {("1a", "5100-JUR"): "7,5"})
    post_grid(director, "5100", {("1a", "5100-JUR"): "8"})
    page = director.get(f"/invoer/college/5100/geschiedenis/5100-JUR/1a/?jaar={YEAR}")
    entries = page.context["entries"]
    assert [(e["old_value"], e["value"]) for e in entries[:2]] == [(Decimal("7.5"), 8), (original, Decimal("7.5"))]
    assert entries[0]["user"].username == "directeur5100" and entries[0]["date"] >= entries[1]["date"]
    html = page.content.decode()
    assert "7,5" in html and "directeur5100" in html


def test_a_failure_halfway_through_the_save_stores_nothing(director, monkeypatch):
    """When a deletion fails after the values were applied, the values are rolled back too."""
    import indicatoren.services

    def broken(*args, **kwargs):
        """Fail like a lost database connection would."""
        raise RuntimeError("disk full")

    monkeypatch.setattr(indicatoren.services, "_delete", broken)
    before = (stored("1a", "5100-JUR"), stored("2b", "5100-PW"))
    with pytest.raises(RuntimeError):
        post_grid(director, "5100", {("1a", "5100-JUR"): "7,5", ("2b", "5100-PW"): ""})
    assert (stored("1a", "5100-JUR"), stored("2b", "5100-PW")) == before


def test_posted_fields_of_another_colleges_team_are_ignored(director):
    """A crafted field for a 5200 team in 5100's grid changes nothing in 5200."""
    page = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    fields = grid_form(page.content.decode()).fields
    other = Team.objects.filter(college__code="5200").order_by("code").first()
    before = stored("1a", other.code)
    fields[f"v_{key('1a', other.code)}"] = "9"
    director.post(f"{GRID.format(code='5100')}?jaar={YEAR}", fields)
    assert stored("1a", other.code) == before


def test_after_saving_the_footer_shows_the_recomputed_college_status(director, django_capture_on_commit_callbacks):
    """1a in 2022: 5 of 9 teams contributed (not met); JUR at 7,5 makes it 6 of 9 and the footer says met."""
    page = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    status = dict((c["indicator"].code, c["status"]) for c in page.context["columns"])["1a"]
    assert (status["met"], status["teams_contributed"], status["teams_total"]) == (False, 5, 9)
    with django_capture_on_commit_callbacks(execute=True):
        post_grid(director, "5100", {("1a", "5100-JUR"): "7,5"})
    html = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}").content.decode()
    footer = re.search(r'<td class="status" id="status-1a">(.*?)</td>', html, re.S).group(1)
    assert 'class="verdict met"' in footer and "6 van 9 teams" in footer


FLIP_1A = "Oordeel 5100 voor 1a in 2022: niet gehaald → gehaald (6 van 9 teams droegen bij)."


def _messages(response) -> list[str]:
    """Return the texts of the Django messages a response shows."""
    return [str(message) for message in response.context["messages"]]


def test_the_flips_of_a_save_are_shown_once_the_worker_has_recomputed(director):
    """With a worker the run is still pending after the save; the next visit after the run shows the flips.

    In-process (make demo) the run is done before the redirect, so the flips follow the save at
    once: tests/invoer/test_browser_grid.py shows that on a live server.
    """
    response = post_grid(director, "5100", {("1a", "5100-JUR"): "7,5"}, follow=True)
    shown = _messages(response)
    assert any("worden herberekend" in text for text in shown) and FLIP_1A not in shown
    run = RecomputeRun.objects.get(state=RunState.PENDING)
    # The worker's part, done here by hand: the service the task calls (rapportage.tasks).
    recompute_run(run_id=run.pk)
    later = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    assert FLIP_1A in _messages(later)
    again = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    assert FLIP_1A not in _messages(again), "announced once"


def test_board_member_sees_the_grid_read_only(client, rocvaf_demo, db):
    """bestuur reads the values but gets no inputs and no save button."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    response = client.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    html = response.content.decode()
    assert response.status_code == 200 and not response.context["writable"]
    assert grid_form(html).ids == [] and "Opslaan" not in html
    assert "7,4" in html  # 5100-ECA 1a, with a decimal comma


def test_anonymous_user_is_sent_to_the_login_page(client, rocvaf_demo, db):
    """Every grid page needs a login."""
    for url in (GRID, GRID + "export.xlsx", GRID + "upload/"):
        response = client.get(url.format(code="5100"))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Excel export and upload ------------------------------------------------------------------


def export(client, college: str = "5100") -> openpyxl.Workbook:
    """Download the grid export and open it."""
    response = client.get(f"{GRID.format(code=college)}export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def upload(client, workbook: openpyxl.Workbook, college: str = "5100", name: str = "resultaten-5100.xlsx"):
    """Upload a workbook through the grid's upload page."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return client.post(f"{GRID.format(code=college)}upload/", {"file": buffer})


@pytest.fixture
def media(settings, tmp_path):
    """Keep uploaded files in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_export_has_a_sheet_per_year_with_team_naam_codes_and_n_columns(director):
    """Sheets 2019-2022; header team, naam, then each team indicator and 'n <code>'; values as numbers."""
    workbook = export(director)
    assert workbook.sheetnames == ["2019", "2020", "2021", "2022", "bij export"]
    assert workbook["bij export"].sheet_state == "hidden"  # what each cell held: the upload compares with it
    sheet = workbook["2022"]
    codes = [i.code for i in Indicator.objects.order_by("position") if "team" in i.levels]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["team", "naam"]
    assert header[2:] == [name for code in codes for name in (code, f"n {code}")]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert sorted(rows) == sorted(Team.objects.filter(college__code="5100").values_list("code", flat=True))
    value, n = stored("1a", "5100-JUR")
    assert Decimal(str(rows["5100-JUR"]["1a"])) == value and rows["5100-JUR"]["n 1a"] == n


def test_export_writes_a_formula_like_team_name_as_text(director):
    """A team renamed to '=HYPERLINK(...)' is exported as a string cell, never as a formula (issue 8)."""
    Team.objects.filter(code="5100-JUR").update(name='=HYPERLINK("http://evil.example","klik")')
    sheet = export(director)["2022"]
    cell = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "5100-JUR")[1]
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value.startswith("=HYPERLINK")


def test_export_changed_in_excel_and_uploaded_stores_the_new_value(director, media):
    """Round trip: export, change 1a of 5100-JUR in sheet 2022 with openpyxl, upload: 7.5 stored."""
    workbook = export(director)
    sheet = workbook["2022"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "5100-JUR")
    row[header.index("1a")].value = 7.5
    response = upload(director, workbook)
    assert response.status_code == 302, response.content.decode()[:2000]
    # A dry run first (issue 12): nothing stored until the director confirms the preview.
    preview = director.get(response["Location"])
    assert stored("1a", "5100-JUR")[0] != Decimal("7.5") and preview.context["counts"]["gewijzigd"] == 1
    fingerprint = preview.context["confirm_form"].initial["fingerprint"]
    record = Upload.objects.latest("id")
    assert director.post(f"/uploads/{record.pk}/bevestigen/", {"fingerprint": fingerprint}).status_code == 302
    assert stored("1a", "5100-JUR")[0] == Decimal("7.5")
    record = Upload.objects.latest("id")
    assert (record.channel, record.scope_college.code, record.layout) == ("grid", "5100", "wide")
    assert (record.rows_new, record.rows_changed) == (0, 1)
    assert Measurement.objects.get(indicator__code="1a", team__code="5100-JUR", year=YEAR).updated_by.username == (
        "directeur5100"
    )


def test_upload_with_errors_lists_every_error_and_stores_nothing(director, media):
    """A percentage of 150 and a 5200 team in 5100's file: both errors shown, nothing stored."""
    workbook = export(director)
    sheet = workbook["2022"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "5100-PW")
    row[header.index("2b")].value = 150
    other = Team.objects.filter(college__code="5200").order_by("code").first()
    sheet.append([other.code, other.name, 7])
    accepted = Upload.objects.filter(status="accepted")
    before = (stored("2b", "5100-PW"), stored("1a", other.code), accepted.count())
    response = upload(director, workbook)
    assert response.status_code == 400
    errors = response.context["errors"]
    assert len(errors) == 2
    assert {e["column"] for e in errors} == {"2b", "team"}
    assert all(e["sheet"] == "2022" and e["row"] for e in errors)
    html = response.content.decode()
    assert "niet verwerkt" in html and other.code in html
    assert (stored("2b", "5100-PW"), stored("1a", other.code), accepted.count()) == before


def test_values_of_a_team_not_active_in_the_year_are_shown_apart_as_not_counted(director):
    """domain.md: values stored before a team was deactivated are kept, shown as "niet meegeteld"."""
    from agenda.services import team_update

    team = Team.objects.get(code="5100-ONA")
    assert Measurement.objects.filter(team=team, year=YEAR).exists()
    team_update(team=team, name=team.name, active_until=2020)
    page = director.get(f"{GRID.format(code='5100')}?jaar={YEAR}")
    grid = page.context["grid"]
    assert team not in [row.team for row in grid.rows]
    assert [t for t, _ in grid.uncounted] == [team]
    html = page.content.decode()
    section = html[html.index('id="uncounted-title"') :]
    assert "Niet meegeteld in 2022" in html and 'id="uncounted-5100-ONA"' in section and "niet meegeteld" in section
    # In 2020 the team is active: an ordinary, editable row, nothing apart.
    earlier = director.get(f"{GRID.format(code='5100')}?jaar=2020").context["grid"]
    assert team in [row.team for row in earlier.rows] and not earlier.uncounted
