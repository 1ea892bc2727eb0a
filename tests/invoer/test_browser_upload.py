"""The upload page in Debian's chromium: upload, see the verdict flip before saving, confirm or cancel."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from indicatoren.models import Measurement, Upload, UploadStatus
from rapportage.models import IndicatorResult, Version

pytestmark = pytest.mark.browser

HEADER = "jaar;indicator;college;team;waarde;n"
# 5210-ENT contributes to college 5210 (6 of 9 teams, exactly two-thirds) for 1a in 2022; at 6,0 it
# no longer does: 5210 misses, 7 of 12 colleges is not two-thirds and 1a 2022 is no longer attained.
FLIP = f"{HEADER}\n2022;1a;;5210-ENT;6,0;28\n2022;1a;;5210-VZ;7,2;152\n".encode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep the kept files of these tests in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_1a_2022(team: str) -> Measurement:
    """Return the stored 1a 2022 value of a team."""
    return Measurement.objects.get(indicator__code="1a", year=2022, team__code=team)


def attained_1a_2022() -> bool | None:
    """Return the stored verdict of 1a in 2022."""
    return IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).attained


def open_preview(page, tmp_path, name: str, data: bytes) -> None:
    """Go to the upload page, choose a file, submit it and wait for its preview."""
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Uploads").click()
    expect(page.get_by_role("heading", name="Benchmarkgegevens uploaden")).to_be_visible()
    path = tmp_path / name
    path.write_bytes(data)
    page.get_by_label("Bestand", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Controleren").click()


def test_policy_officer_sees_the_flip_in_the_preview_and_confirms_it(rocvaf_demo_tx, login, page, screenshot, tmp_path):
    """beleid uploads a correction, sees 1a 2022 flip before anything is saved, confirms, and the verdict flips."""
    assert attained_1a_2022() is True
    login("beleid")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Uploads").click()
    screenshot("upload-01-list")

    open_preview(page, tmp_path, "ibm-2022-correctie.csv", FLIP)
    expect(page.get_by_role("heading", name="Voorbeeld: ibm-2022-correctie.csv")).to_be_visible()
    flips = page.locator("table.flips")
    institution_row = flips.locator("tr", has_text="instelling")
    expect(institution_row).to_contain_text("1a")
    expect(institution_row).to_contain_text("8 van 12 colleges")
    expect(institution_row).to_contain_text("7 van 12 colleges")
    expect(institution_row.locator(".verdict.met")).to_have_text("behaald")
    expect(institution_row.locator(".verdict.notmet")).to_have_text("niet behaald")
    expect(flips.locator("tr", has_text="college 5210")).to_contain_text("5 van 9 teams")
    expect(page.locator("table.changes")).to_contain_text("5210-ENT")
    screenshot("upload-02-preview")
    # Nothing is stored yet.
    assert stored_1a_2022("5210-ENT").value == Decimal("7.2") and attained_1a_2022() is True

    page.get_by_role("button", name="Bevestigen en opslaan").click()
    expect(page.get_by_role("heading", name="Verwerkt: ibm-2022-correctie.csv")).to_be_visible()
    expect(page.locator("ul.messages")).to_contain_text("0 nieuw, 1 gewijzigd, 1 ongewijzigd")
    screenshot("upload-03-confirmed")
    upload = Upload.objects.get(original_name="ibm-2022-correctie.csv")
    value = stored_1a_2022("5210-ENT")
    assert (value.value, value.upload_id, value.updated_by.username) == (Decimal(6), upload.pk, "beleid")
    assert value.history.order_by("-history_id").first().history_user.username == "beleid"
    assert attained_1a_2022() is False

    page.goto(page.url.split("/uploads/")[0] + "/dashboard/indicator/1a/?jaar=2022")
    expect(page.locator("main .verdict").first).to_have_text("niet behaald")
    screenshot("upload-04-indicator-after")


def test_policy_officer_cancels_a_preview_with_the_keyboard(rocvaf_demo_tx, login, page, screenshot, tmp_path):
    """Cancelling (keyboard only) stores nothing; the list shows the upload as cancelled."""
    login("beleid")
    open_preview(page, tmp_path, "ibm-2022-correctie.csv", FLIP)
    expect(page.get_by_role("heading", name="Voorbeeld: ibm-2022-correctie.csv")).to_be_visible()
    cancel = page.get_by_role("button", name="Annuleren")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(page.locator("ul.messages")).to_contain_text("geannuleerd; er is niets opgeslagen")
    expect(page.locator("table.uploads tr", has_text="ibm-2022-correctie.csv")).to_contain_text("geannuleerd")
    screenshot("upload-05-cancelled")
    assert Upload.objects.get(original_name="ibm-2022-correctie.csv").status == UploadStatus.CANCELLED
    assert stored_1a_2022("5210-ENT").value == Decimal("7.2") and attained_1a_2022() is True


def test_a_rejected_file_shows_every_error_in_a_table(rocvaf_demo_tx, login, page, screenshot, tmp_path):
    """A file with two bad rows is refused: the page lists row, column, value and message; nothing is stored."""
    bad = f"{HEADER}\n2022;1a;;5210-ENT;6,0;28\n2022;1a;;5210-XYZ;abc;\n2030;9z;;5210-VZ;7;\n".encode()
    login("beleid")
    open_preview(page, tmp_path, "fouten.csv", bad)
    expect(page.get_by_role("heading", name="Het bestand is niet verwerkt")).to_be_focused()
    rows = page.locator("table.upload-errors tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("team")
    expect(rows.nth(0)).to_contain_text("5210-XYZ")
    expect(rows.nth(1)).to_contain_text("Geen getal: 'abc'")
    expect(rows.nth(2)).to_contain_text("Onbekende indicator '9z'")
    expect(rows.nth(3)).to_contain_text("Jaar 2030 valt buiten de agenda")
    screenshot("upload-06-rejected")
    assert stored_1a_2022("5210-ENT").value == Decimal("7.2")


def test_submitting_shows_that_the_file_is_being_checked(rocvaf_demo_tx, login, page, screenshot, tmp_path):
    """On submit the form says it is checking and blocks a second submit (the request itself is held back)."""
    login("beleid")
    # Wait for the list page's load: before it, uploads.js (deferred) may not have attached its submit
    # handler, and the evaluate below could still run on the page being left.
    with page.expect_navigation():
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Uploads").click()
    path = tmp_path / "groot.csv"
    path.write_bytes(FLIP)
    page.get_by_label("Bestand", exact=True).set_input_files(str(path))
    # Hold the navigation back so the busy state stays on screen; the page's own handler still runs.
    page.evaluate("document.addEventListener('submit', (event) => event.preventDefault(), true)")
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator(".upload-form [data-busy-status]")).to_contain_text("Bezig met controleren")
    expect(page.get_by_role("button", name="Controleren")).to_have_attribute("aria-disabled", "true")
    screenshot("upload-07-busy")
