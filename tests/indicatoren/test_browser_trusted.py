"""Figures you can trust (issue 12) in a real browser: a plausibility flag with its note, sign-off and lock."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from agenda.models import College
from indicatoren.models import Measurement, SignoffState, YearSignoff

pytestmark = pytest.mark.browser

YEAR = 2021
COLLEGE = "5100"
TYPO = "8,77"
NOTE = "Klopt: het team is na de fusie opnieuw gestart"
WIDTHS = {390: 844, 768: 1024, 1366: 768}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse as a Dutch user: dates, number inputs and file pickers in Dutch."""
    return {**browser_context_args, "locale": "nl-NL"}


def percent_cell() -> Measurement:
    """Return a stored team value above 60 of a percent indicator of college 5100 in YEAR."""
    m = (
        Measurement.objects.filter(indicator__unit="percent", year=YEAR, team__college__code=COLLEGE, value__gt=60)
        .select_related("indicator", "team")
        .order_by("indicator__position", "indicator__code", "team__code")
        .first()
    )
    assert m is not None, "the demo has no percent value above 60 for 5100 in 2021"
    return m


def cell_key(m: Measurement) -> str:
    """Return the field suffix of a grid cell: team id and indicator id."""
    return f"{m.team_id}_{m.indicator_id}"


def open_grid(page, live_server, college: str = COLLEGE):
    """Go to the grid of YEAR."""
    page.goto(f"{live_server.url}/invoer/college/{college}/?jaar={YEAR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resultaten van de teams")


def save(page):
    """Press Opslaan and wait for the answer page."""
    with page.expect_navigation():
        page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state("networkidle")


def type_typo(page, m: Measurement):
    """Type the typo into the cell and save without a note: the cell comes back flagged."""
    page.locator(f"#v_{cell_key(m)}").fill(TYPO)
    save(page)
    expect(page.locator(f"#ve_{cell_key(m)}")).to_contain_text("Onwaarschijnlijke waarde")
    expect(page.locator(f"#t_{cell_key(m)}")).to_be_visible()


def log_out(page):
    """Log out through the button in the header."""
    with page.expect_navigation():
        page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_load_state("networkidle")


def horizontal_overflow(page) -> str | None:
    """Return what makes the page wider than the viewport, or None when it does not scroll sideways."""
    return page.evaluate(
        """() => {
        const root = document.documentElement, width = root.clientWidth;
        const extra = root.scrollWidth - width;
        if (extra <= 0) return null;
        const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
            + [...el.classList].map((c) => "." + c).join("");
        // The outermost elements sticking out: their parent still fits in the viewport.
        const culprits = [...document.body.querySelectorAll("*")].filter((el) => {
            const right = el.getBoundingClientRect().right, parent = el.parentElement;
            return right > width + 1 && parent && parent.getBoundingClientRect().right <= width + 1;
        }).map((el) => `${name(el)} to ${Math.round(el.getBoundingClientRect().right)}px`);
        return `${extra}px wider: ${culprits.join(", ")}`;
    }"""
    )


def covered(page, selector: str) -> str | None:
    """Return what covers the middle of an element (e.g. the sticky team column), or None when it is on top."""
    return page.evaluate(
        """(selector) => {
        const el = document.querySelector(selector), box = el.getBoundingClientRect();
        const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        if (!top || el === top || el.contains(top)) return null;
        const cover = top.closest("th, td") || top;
        return `${selector} lies under ${cover.tagName.toLowerCase()}.${[...cover.classList].join(".")}`
            + ` (${cover.textContent.trim().split(/\\s+/).slice(0, 2).join(" ")})`;
    }""",
        selector,
    )


def test_director_confirms_a_flagged_typo_with_a_note(rocvaf_demo_tx, login, page, live_server, screenshot):
    """8,77 for a percentage above 60 is flagged beside the cell; with a Toelichting it is stored with the note."""
    m = percent_cell()
    original, key = m.value, cell_key(m)
    login("directeur5100")
    open_grid(page, live_server)
    type_typo(page, m)

    message = page.locator(f"#ve_{key}")
    expect(message).to_be_visible()
    expect(message).to_contain_text("geef dan een korte toelichting")
    expect(page.get_by_label("Toelichting")).to_be_visible()
    expect(page.locator("#grid-errors")).to_contain_text("Niets opgeslagen")
    expect(page.locator(f"#v_{key}")).to_have_value(TYPO)
    assert Measurement.objects.get(pk=m.pk).value == original  # nothing stored yet
    page.locator(f"#t_{key}").scroll_into_view_if_needed()
    screenshot("trusted-grid-flag")

    page.locator(f"#t_{key}").fill(NOTE)
    save(page)
    success = page.locator(".message.success")
    expect(success).to_contain_text(f"Opgeslagen voor {YEAR}: 0 nieuw, 1 gewijzigd, 0 verwijderd (1 met toelichting).")
    expect(page.locator(f"#v_{key}")).to_have_value(TYPO)
    expect(page.locator(f"#t_{key}")).to_have_count(0)  # the flag is answered: no note field any more
    stored = Measurement.objects.get(pk=m.pk)
    assert (stored.value, stored.note) == (Decimal("8.77"), NOTE)
    assert stored.updated_by.username == "directeur5100"
    assert stored.history.first().note == NOTE
    page.locator(f"#v_{key}").scroll_into_view_if_needed()
    screenshot("trusted-grid-saved")


def test_director_submits_and_policy_approves_the_year_which_locks_the_grid(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """Indienen by the director, Vaststellen voor alle colleges by policy staff; the grid is then read-only."""
    login("directeur5100")
    open_grid(page, live_server)
    panel = page.locator(".signoff-panel")
    expect(panel.locator(".signoff-state")).to_have_text("open")
    with page.expect_navigation():
        page.get_by_role("button", name="Indienen voor vaststelling").click()
    expect(page.locator(".message.success")).to_contain_text(
        f"De resultaten van {COLLEGE} over {YEAR} zijn ingediend voor vaststelling."
    )
    expect(panel.locator(".signoff-state")).to_have_text("ingediend")
    expect(page.get_by_role("button", name="Indiening intrekken")).to_be_visible()
    expect(page.get_by_role("button", name="Vaststellen")).to_have_count(0)  # a director cannot approve
    assert YearSignoff.objects.get(college__code=COLLEGE, year=YEAR).state == SignoffState.SUBMITTED
    screenshot("trusted-grid-submitted")

    log_out(page)
    login("beleid")
    page.goto(f"{live_server.url}/vaststelling/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vaststelling van de resultaten")
    row = page.locator("table.signoff-table tbody tr").filter(has=page.get_by_role("link", name=COLLEGE))
    expect(row).to_contain_text("ingediend")
    page.locator("#jaar-vast").select_option(str(YEAR))
    with page.expect_navigation():
        page.get_by_role("button", name="Vaststellen voor alle colleges").click()
    units = College.objects.filter(institution=rocvaf_demo_tx).count() + 1  # every college and the institution
    expect(page.locator(".message.success")).to_contain_text(f"{YEAR} vastgesteld voor {units} eenheden.")
    assert YearSignoff.objects.filter(institution=rocvaf_demo_tx, year=YEAR, state=SignoffState.APPROVED).count() == (
        units
    )
    years = list(rocvaf_demo_tx.years)
    column = years.index(YEAR)
    expect(page.locator("table.signoff-table tfoot td").nth(column)).to_contain_text("vastgesteld")
    expect(page.locator("table.signoff-table tfoot td").nth(column)).to_contain_text(
        f"({units} van {units} vastgesteld)"
    )
    expect(row.locator("td").nth(column)).to_have_text("vastgesteld")
    expect(page.locator("table.compact").last).to_contain_text("ingediend → vastgesteld")
    screenshot("trusted-signoff-overview")

    open_grid(page, live_server)
    expect(page.locator(".signoff-panel .signoff-state")).to_have_text("vastgesteld")
    expect(page.get_by_text("Dit jaar is vastgesteld en vergrendeld.")).to_be_visible()
    expect(page.locator("input[name^='v_']")).to_have_count(0)
    expect(page.get_by_role("button", name="Opslaan")).to_have_count(0)
    expect(page.get_by_role("button", name="Heropenen")).to_be_visible()  # policy staff may reopen, with a reason
    screenshot("trusted-grid-locked")

    log_out(page)
    login("directeur5100")
    open_grid(page, live_server)
    expect(page.locator("input[name^='v_']")).to_have_count(0)
    expect(page.get_by_role("button", name="Indienen voor vaststelling")).to_have_count(0)
    expect(page.get_by_role("button", name="Heropenen")).to_have_count(0)
    expect(page.locator(".signoff-panel")).to_contain_text("vastgesteld en vergrendeld")


def test_flagged_grid_and_signoff_overview_at_three_widths(rocvaf_demo_tx, login, page, live_server, screenshot):
    """At 390, 768 and 1366 px: the error link leads to the flagged cell, uncovered; no page scrolls sideways."""
    m = percent_cell()
    key = cell_key(m)
    problems = {}
    login("directeur5100")
    open_grid(page, live_server)
    with page.expect_navigation():
        page.get_by_role("button", name="Indienen voor vaststelling").click()
    type_typo(page, m)
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        # As a user arrives: page and grid unscrolled, then the link in the error box to the cell.
        page.evaluate("window.scrollTo(0, 0); document.querySelector('.grid-scroll').scrollLeft = 0")
        page.locator("#grid-errors a").click()
        expect(page.locator(f"#v_{key}")).to_be_focused()
        expect(page.locator(f"#v_{key}")).to_be_in_viewport()
        problems[f"grid {width}"] = horizontal_overflow(page)
        problems[f"grid {width}, value"] = covered(page, f"#v_{key}")
        problems[f"grid {width}, note"] = covered(page, f"#t_{key}")
        screenshot(f"trusted-grid-flag-{width}")

    page.set_viewport_size({"width": 1366, "height": 768})
    log_out(page)
    login("beleid")
    page.goto(f"{live_server.url}/vaststelling/")
    expect(page.get_by_role("button", name="Vaststellen voor alle colleges")).to_be_visible()
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        problems[f"vaststelling {width}"] = horizontal_overflow(page)
        screenshot(f"trusted-signoff-{width}")

    found = {where: problem for where, problem in problems.items() if problem}
    assert not found, f"layout problems: {found}"


def test_director_upload_preview_shows_conflicts_and_flags_then_stores_the_choice(
    rocvaf_demo_tx, live_server, login, page, screenshot, tmp_path
):
    """An edited old export with a typo: the dry run lists the changed-since cell and the flag; the choice is kept."""
    import io

    import openpyxl

    from indicatoren.services import measurement_record
    from invoer.grid import grid_workbook

    college = College.objects.get(code=COLLEGE)
    m = percent_cell()
    other = (
        Measurement.objects.filter(indicator__code="1a", year=YEAR, team__college__code=COLLEGE)
        .exclude(team=m.team)
        .select_related("indicator", "team")
        .first()
    )
    workbook = openpyxl.load_workbook(io.BytesIO(grid_workbook(college, college.institution.years)))
    sheet = workbook[str(YEAR)]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == m.team.code:
            row[header.index(m.indicator.code)].value = 8.77  # the typo
        if row[0].value == other.team.code:
            row[header.index("1a")].value = float(other.value + Decimal("0.3"))  # the director's edit
    path = tmp_path / "resultaten-5100.xlsx"
    workbook.save(path)
    # A colleague corrects the director's cell after the export.
    theirs = other.value + Decimal("0.1")
    measurement_record(indicator=other.indicator, year=YEAR, value=theirs, team=other.team, source="collega")

    login("directeur5100")
    page.goto(f"{live_server.url}/invoer/college/{COLLEGE}/upload/")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="Uploaden en controleren").click()
    expect(page.locator("#conflicts")).to_contain_text(other.team.code)
    expect(page.locator("#flags")).to_contain_text("Onwaarschijnlijke waarde")
    screenshot("trusted-upload-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("trusted-upload-preview-390")
    # Wide tables scroll inside their own region; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.locator("#conflicts input[type=checkbox]").check()
    page.locator("#id_note").fill("Typfout gecontroleerd: klopt na herindeling")
    with page.expect_navigation():
        page.get_by_role("button", name="Bevestigen en opslaan").click()
    expect(page.locator(".messages")).to_contain_text("verwerkt")
    stored = Measurement.objects.get(pk=m.pk)
    assert (stored.value, stored.note) == (Decimal("8.77"), "Typfout gecontroleerd: klopt na herindeling")
    assert Measurement.objects.get(pk=other.pk).value == other.value + Decimal("0.3")  # the director chose theirs over
