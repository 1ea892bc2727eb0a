"""The documents the board signs (issue 14, item 3): annual report chapter and mid-term pack, PDF and DOCX.

The builder reads stored results only; the PDF (WeasyPrint, charts through kaleido and Debian's
Chromium, hence `browser`) numbers its pages and its table of contents; the DOCX carries the
same content; the command and the page refuse what they cannot do, in Dutch.
"""

import re
from io import BytesIO, StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from docx import Document as WordDocument
from pypdf import PdfReader

from agenda.models import Ambition, Indicator, Theme
from rapportage import documents, selectors
from rapportage.documents import money
from rapportage.docx_render import render_docx
from rapportage.models import RecomputeRun

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_text(content: bytes) -> str:
    """Return every paragraph and table cell of a DOCX as one text."""
    word = WordDocument(BytesIO(content))
    parts = [p.text for p in word.paragraphs]
    parts += [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_pages(content: bytes) -> list[str]:
    """Return the text of every page of a PDF."""
    return [page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages]


@pytest.fixture
def board(client, rocvaf_demo):
    """Return a client logged in as the board member."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    return client


@pytest.mark.django_db
def test_annual_report_reads_stored_results_and_its_totals_equal_the_stored_budget(rocvaf_demo):
    """The annual tree holds every theme and indicator; its budget rows add up to the stored split, to the cent."""
    runs = RecomputeRun.objects.count()
    document = documents.annual_report(rocvaf_demo, 2020)
    assert RecomputeRun.objects.count() == runs, "a document never recomputes"
    c = document.content
    assert [t.code for t in c["themes"]] == list(
        Theme.objects.filter(institution=rocvaf_demo).order_by("position", "code").values_list("code", flat=True)
    )
    stored = {s["indicator"] for s in selectors.status_body(rocvaf_demo, 2020)["indicators"]}
    assert {i.code for t in c["themes"] for i in t.indicators} == stored
    body = selectors.budget_body(rocvaf_demo, 2020)
    central = sum(theme["central_cents"] for theme in body["themes"])
    assert c["budget_totals"]["amount_cents"] + central == body["total_cents"]
    assert c["budget_totals"]["released_from_reserve_cents"] == body["released_from_reserve_cents"]
    assert c["budget_totals"]["reserved_cents"] == sum(
        part["reserved_cents"] for theme in body["themes"] for part in theme["colleges"]
    )
    assert [k.key for k in c["manifesto"]["checks"]] == ["result_dependent", "national", "spearheads", "investment"]
    assert document.data_status in ("voorlopig", "vastgesteld")
    assert re.fullmatch(r"\d{1,2} [a-z]+ \d{4} \d{2}:\d{2}", document.generated_at), document.generated_at


@pytest.mark.django_db
def test_annual_report_shows_no_values_after_its_year(rocvaf_demo):
    """The 2020 report's trend charts end in 2020: a report never shows figures of later years."""
    document = documents.annual_report(rocvaf_demo, 2020)
    years = {
        int(x)
        for figure in document.figures.values()
        for trace in figure.data
        if trace.x is not None and getattr(trace, "mode", None) != "text"
        for x in trace.x
        if str(x).isdigit()
    }
    assert years and max(years) <= 2020


@pytest.mark.django_db
def test_midterm_docx_has_progress_the_herijking_with_reasons_and_the_budget(rocvaf_demo):
    """The mid-term pack lists every indicator's 2019 and 2020 verdicts, each revised ambition with its reason, and the budget."""
    document = documents.midterm_pack(rocvaf_demo)
    assert document.years == [2019, 2020]
    text = docx_text(render_docx(document))
    for code in Indicator.objects.filter(institution=rocvaf_demo).values_list("code", flat=True):
        assert code in text
    assert "Oordeel 2019" in text and "Oordeel 2020" in text
    revised = [a for a in Ambition.objects.filter(indicator__institution=rocvaf_demo, revision__gt=1) if a.reason]
    assert revised, "the demo has a herijking"
    for ambition in revised:
        assert ambition.reason in text
    for year in (2019, 2020):
        assert money(selectors.budget_body(rocvaf_demo, year)["total_cents"]) in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["annual", "--year", "2030", "--out", "{tmp}/a.pdf"], "valt buiten de agendaperiode 2019-2022"),
        (["annual", "--year", "2020", "--institution", "NOPE", "--out", "{tmp}/a.pdf"], "Onbekende instelling: NOPE"),
        (["annual", "--year", "2020", "--out", "{tmp}/geen-map/a.pdf"], "de map"),
        (["midterm", "--format", "docx", "--out", "{tmp}"], "dat is een map"),
    ],
)
def test_report_command_refuses_in_dutch(rocvaf_demo, tmp_path, args, message):
    """A year outside the period, an unknown institution or an unwritable path stops the command (exit 1) in Dutch."""
    with pytest.raises(CommandError, match=message):
        call_command("report", *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.django_db
def test_report_command_writes_the_midterm_docx(rocvaf_demo, tmp_path):
    """`report midterm --format docx --out PATH` writes a Word file that opens."""
    out = tmp_path / "midterm.docx"
    call_command("report", "midterm", "--format", "docx", "--out", str(out), stdout=StringIO())
    assert "Herijking" in docx_text(out.read_bytes())


@pytest.mark.django_db
def test_documents_are_for_the_board_and_policy_staff_only(client, rocvaf_demo):
    """A director gets 403 and sees no buttons; a GET never generates; the board gets the buttons and the file."""
    url = reverse("rapportage:document")
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    assert client.post(url, {"soort": "midterm", "formaat": "docx"}).status_code == 403
    assert "Midterm-review (PDF)" not in client.get(reverse("rapportage:print")).content.decode()
    client.force_login(get_user_model().objects.get(username="bestuur"))
    assert client.get(url).status_code == 405
    page = client.get(reverse("rapportage:print") + "?jaar=2020").content.decode()
    assert "Jaarverslag 2020 (PDF)" in page and "Jaarverslag 2020 (Word)" in page and "Midterm-review (PDF)" in page
    response = client.post(url, {"soort": "midterm", "formaat": "docx", "token": "abc123"})
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"] == 'attachment; filename="midterm-rocvaf-2019-2020.docx"'
    assert response.cookies["document_token"].value == "abc123"
    assert "Voortgang 2019-2020" in docx_text(response.content)


@pytest.mark.django_db
def test_annual_document_form_refuses_a_year_outside_the_period(board):
    """The page's form refuses a year outside the agenda period with a Dutch message (400)."""
    response = board.post(reverse("rapportage:document"), {"soort": "annual", "formaat": "pdf", "jaar": "2031"})
    assert response.status_code == 400
    assert "Kies een jaar van 2019 tot en met 2022" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db
def test_annual_pdf_has_page_numbers_a_right_toc_every_theme_and_a_chart_per_judged_indicator(rocvaf_demo, tmp_path):
    """The PDF numbers its pages, each TOC entry's page holds that heading, and every judged indicator has a chart."""
    from rapportage.pdf_render import chart_images, document_html

    document = documents.annual_report(rocvaf_demo, 2020)
    out = tmp_path / "jaarverslag.pdf"
    call_command("report", "annual", "--year", "2020", "--format", "pdf", "--out", str(out))
    pages = pdf_pages(out.read_bytes())
    total = len(pages)
    for number, text in enumerate(pages[1:], start=2):
        assert f"Pagina {number} van {total}" in text
    toc_page = next(i for i, text in enumerate(pages) if text.lstrip().startswith("Inhoud"))
    toc = pages[toc_page]
    for _, title in document.toc:
        found = re.search(re.escape(title) + r"[\s.]*?(\d+)\s*$", toc, re.M)
        assert found, f"{title!r} not in the table of contents"
        page = int(found.group(1))
        first = next(i + 1 for i, text in enumerate(pages) if i > toc_page and title in text)
        assert first == page, f"{title!r}: listed on page {page}, first printed on page {first}"
    for theme in Theme.objects.filter(institution=rocvaf_demo):
        assert any(f"{theme.code} {theme.name}" in text for text in pages[toc_page + 1 :])
    judged = [i for t in document.content["themes"] for i in t.indicators if i.judged]
    assert judged
    assert all(i.chart for i in judged)
    html = document_html(document, chart_images({i.chart: document.figures[i.chart] for i in judged[:1]}, "svg"))
    assert 'src="data:image/svg+xml;base64,' in html
    # The trend chart's own title is drawn (as SVG text) once per judged indicator.
    assert sum(text.count("Trend: instelling") for text in pages) >= len(judged)


@pytest.mark.browser
@pytest.mark.django_db
def test_annual_docx_holds_every_theme_indicator_budget_total_and_check(rocvaf_demo, tmp_path):
    """The Word file holds every theme, every indicator code, the stored budget total to the cent, the checks and the charts."""
    out = tmp_path / "jaarverslag.docx"
    call_command("report", "annual", "--year", "2020", "--format", "docx", "--out", str(out))
    content = out.read_bytes()
    text = docx_text(content)
    for theme in Theme.objects.filter(institution=rocvaf_demo):
        assert f"{theme.code} {theme.name}" in text
    for status in selectors.status_body(rocvaf_demo, 2020)["indicators"]:
        assert status["indicator"] in text
    body = selectors.budget_body(rocvaf_demo, 2020)
    assert money(body["total_cents"]) in text
    assert "\u00a0" in money(body["total_cents"]), "an amount never wraps"
    for label in ("Resultaatafhankelijk deel", "Landelijke thema's", "Eigen en regionale speerpunten"):
        assert label in text
    pictures = WordDocument(BytesIO(content)).inline_shapes
    judged = sum(1 for s in selectors.status_body(rocvaf_demo, 2020)["indicators"] if s["attained"] in (True, False))
    assert len(pictures) >= judged


@pytest.mark.browser
def test_print_page_downloads_the_midterm_pack_and_says_it_is_busy(
    rocvaf_demo_tx, live_server, login, page, screenshot
):
    """The board clicks 'Midterm-review (Word)': the button says 'Bezig', the file downloads, the page says it is done."""
    login("bestuur")
    page.goto(f"{live_server.url}/dashboard/afdrukken/?jaar=2020")
    button = page.get_by_role("button", name="Midterm-review (Word)")
    # The busy state lasts until the file arrives, and click() may itself wait for the POST's
    # answer: polling for the text after the click lost the race on a loaded machine (CI, load 14).
    # An observer installed before the click records every state the forms pass through.
    page.evaluate(BUSY_OBSERVER)
    with page.expect_download(timeout=120_000) as download:
        button.click()
    assert download.value.suggested_filename == "midterm-rocvaf-2019-2020.docx"
    assert "Voortgang 2019-2020" in docx_text(open(download.value.path(), "rb").read())
    page.get_by_text("Klaar: het document is gedownload.").wait_for(timeout=30_000)
    busy = page.evaluate("window.busyStates")
    assert {"text": "Bezig met maken…", "disabled": True, "busy": "true"} in busy, busy
    assert page.get_by_role("button", name="Midterm-review (Word)").is_enabled()
    screenshot("report-download-done")


# Records, after each change to the document forms, the state of a button that says it is busy.
BUSY_OBSERVER = """() => {
  window.busyStates = [];
  document.querySelectorAll("form[data-document]").forEach((form) => {
    new MutationObserver(() => {
      form.querySelectorAll("button").forEach((b) => {
        if (b.textContent.startsWith("Bezig")) {
          window.busyStates.push({text: b.textContent, disabled: b.disabled, busy: form.getAttribute("aria-busy")});
        }
      });
    }).observe(form, {subtree: true, childList: true, characterData: true, attributes: true});
  });
}"""


@pytest.mark.django_db
def test_without_chromium_the_command_and_the_page_say_why_instead_of_hanging(
    board, rocvaf_demo, tmp_path, monkeypatch
):
    """No browser for the charts: the command stops (exit 1) and the page answers 503, both in Dutch."""
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "geen-chromium"))
    with pytest.raises(CommandError, match="De grafieken kunnen niet worden gemaakt: geen Chromium"):
        call_command("report", "annual", "--year", "2020", "--out", str(tmp_path / "a.pdf"))
    assert not (tmp_path / "a.pdf").exists()
    response = board.post(reverse("rapportage:document"), {"soort": "annual", "formaat": "docx", "jaar": "2020"})
    assert response.status_code == 503
    assert "geen Chromium" in response.content.decode()
