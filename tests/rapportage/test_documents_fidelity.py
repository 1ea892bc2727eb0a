"""The board's documents say what the data say, in both formats (a reviewer's reproductions, issue 14 item 3).

Text pasted from Word still makes a Word file; a document made while a recompute waits says so on
its title page; the Word file prints every table row and amount the PDF prints; the download's
file name survives any institution code. Charts are left out (`no_charts`) where they are not the
point: kaleido would start Chromium for every document.
"""

import html
import re
from decimal import Decimal
from io import BytesIO, StringIO
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from docx import Document as WordDocument
from pypdf import PdfReader

from agenda.choices import Level, Role
from agenda.models import Indicator, Membership, Team, Theme
from agenda.services import agenda_load
from indicatoren.models import Measurement
from indicatoren.services import measurement_record
from maatregelen import services as measures
from maatregelen.choices import EvidenceKind, MeasureCategory
from rapportage import documents, selectors
from rapportage.choices import RunState
from rapportage.documents import money
from rapportage.docx_render import render_docx
from rapportage.models import RecomputeRun
from rapportage.pdf_render import document_html, render_pdf
from rapportage.services import recompute_now
from tests.api.conftest import agenda_spec

YEAR = 2020
# Shift+Enter in Word is a vertical tab once copied; a form feed and a stray control character come along too.
PASTED = "Taalcoaching\x0bmet de regio"
WARNING = "de cijfers worden op dit moment opnieuw berekend; dit document toont de vorige berekening"


def _spec(code: str, prefix: str) -> dict:
    """Return the API tests' small agenda (two colleges of two teams, vsv and kw) with budgets for 2019 and 2020."""
    spec = agenda_spec(code, [f"{prefix}A1", f"{prefix}B2"])
    spec["institution"]["name"] = "ROC Documentstad"
    spec["budget"] = [
        {"year": 2019, "total_eur": 1000000, "result_dependent_pct": 25},
        {"year": YEAR, "total_eur": 1000000, "result_dependent_pct": 25},
    ]
    return spec


def _world(code: str, prefix: str | None = None) -> dict:
    """Return a recomputed institution with a board member and a policy officer (usernames from the prefix)."""
    prefix = prefix or code
    inst = agenda_load(data=_spec(code, prefix)).institution
    vsv = Indicator.objects.get(institution=inst, code="vsv")
    kw = Indicator.objects.get(institution=inst, code="kw")
    for indicator, year, value in ((vsv, 2017, "6.7"), (vsv, YEAR, "6.25"), (kw, 2017, "50"), (kw, YEAR, "52.5")):
        Measurement.objects.create(indicator=indicator, year=year, level=Level.INSTITUTION, value=Decimal(value))
    for team in Team.objects.filter(institution=inst):
        for year, value in ((2017, "6.0"), (YEAR, "5.5")):
            Measurement.objects.create(
                indicator=vsv, year=year, level=Level.TEAM, college=team.college, team=team, value=Decimal(value), n=40
            )
    recompute_now(institution=inst, reason="test")
    users = {}
    for name, role in (("bestuur", Role.BOARD), ("beleid", Role.POLICY)):
        users[name] = get_user_model().objects.create_user(username=f"{prefix.lower()}-{name}", password="x")
        Membership.objects.create(user=users[name], institution=inst, role=role)
    return {"inst": inst, "users": users, "themes": {t.code: t for t in Theme.objects.filter(institution=inst)}}


def _client(user) -> Client:
    """Return a client logged in as `user` that answers a server error with a 500 instead of raising."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def docx_text(content: bytes) -> str:
    """Return every paragraph and table cell of a DOCX as one text."""
    word = WordDocument(BytesIO(content))
    parts = [p.text for p in word.paragraphs]
    parts += [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _plain(text: str) -> str:
    """Return `text` with every run of white space (a non-breaking one too) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def pdf_text(document) -> str:
    """Return the text of the document's PDF source (its HTML without tags, no space left where a tag closed)."""
    text = _plain(html.unescape(re.sub(r"<[^>]+>", " ", document_html(document, {}))))
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([.,;:)])", r"\1", text))


def html_table_rows(document) -> list[tuple[str, ...]]:
    """Return every row of every PDF table with a header row (the indicator fact boxes have none), as cell texts."""
    rows = []
    for table in re.findall(r"<table[^>]*>(.*?)</table>", document_html(document, {}), re.S):
        if "<thead>" not in table:
            continue
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
            cells = []
            for attributes, cell in re.findall(r"<t[hd]([^>]*)>(.*?)</t[hd]>", row, re.S):
                span = re.search(r'colspan="(\d+)"', attributes)
                # Word names a merged cell once per column it covers.
                cells += [_plain(html.unescape(re.sub(r"<[^>]+>", "", cell)))] * int(span.group(1) if span else 1)
            rows.append(tuple(cells))
    return rows


def docx_table_rows(content: bytes) -> list[tuple[str, ...]]:
    """Return every row of every table of a DOCX, as cell texts."""
    word = WordDocument(BytesIO(content))
    return [tuple(_plain(cell.text) for cell in row.cells) for table in word.tables for row in table.rows]


@pytest.fixture
def no_charts(monkeypatch):
    """Make documents without their charts (kaleido and Chromium are not what these tests are about)."""
    monkeypatch.setattr("rapportage.docx_render.chart_images", lambda figures, fmt: {})
    monkeypatch.setattr("rapportage.pdf_render.chart_images", lambda figures, fmt: {})


# --- Text pasted from Word --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Taalcoaching\x0bmet de regio", "Taalcoaching\nmet de regio"),
        ("Pagina een\x0cpagina twee", "Pagina een\npagina twee"),
        ("a\x00b\x01c\x08d\x1fe", "abcde"),
        ("tab\tregel\nterug\r", "tab\tregel\nterug\r"),
        ("half \ud800 paar, \ufffe\uffff", "half  paar, "),
        ("€ 1.234,56 · ✓ é", "€ 1.234,56 · ✓ é"),
        (None, ""),
    ],
)
def test_clean_keeps_what_word_can_store(text, expected):
    """Vertical tab and form feed become a line break; other XML-invalid characters are dropped; the rest stays."""
    from rapportage.docx_render import clean

    assert clean(text) == expected


@pytest.mark.django_db
def test_annual_word_download_takes_text_pasted_from_word(no_charts):
    """A measure title, evidence text and theme ambition holding \\x0b, \\x0c or \\x01 still give the board a Word file."""
    w = _world("DOCCTL")
    theme = w["themes"]["T1"]
    Theme.objects.filter(pk=theme.pk).update(ambition="Kansen voor iedereen\x0cook in de regio\x01.")
    measures.measure_create(college=None, theme=theme, title=PASTED, category=MeasureCategory.SUPPORT)
    measures.evidence_create(
        college=None, theme=theme, year=YEAR, kind=EvidenceKind.STORY, title="Verhaal\x01", text=PASTED
    )
    board = _client(w["users"]["bestuur"])
    form = {"soort": "annual", "formaat": "docx", "jaar": str(YEAR)}
    response = board.post(reverse("rapportage:document"), form)
    assert response.status_code == 200
    text = docx_text(response.content)
    assert "Taalcoaching\nmet de regio" in text, "Word's soft line break stays a line break"
    assert "Kansen voor iedereen\nook in de regio." in text
    assert "Verhaal" in text and "\x01" not in text
    # The PDF prints the same data as it always did.
    assert board.post(reverse("rapportage:document"), form | {"formaat": "pdf"}).status_code == 200


@pytest.mark.django_db
def test_report_command_writes_the_word_file_of_text_pasted_from_word(no_charts, tmp_path):
    """`report annual --format docx` writes the file when a measure title holds \\x0b, instead of a traceback."""
    w = _world("DOCCMD")
    measures.measure_create(college=None, theme=w["themes"]["T1"], title=PASTED, category=MeasureCategory.SUPPORT)
    out = tmp_path / "jaarverslag.docx"
    args = ["annual", "--year", str(YEAR), "--institution", "DOCCMD", "--format", "docx", "--out", str(out)]
    call_command("report", *args, stdout=StringIO(), stderr=StringIO())
    assert "Taalcoaching\nmet de regio" in docx_text(out.read_bytes())


# --- A recompute that waits ---------------------------------------------------------------------


@pytest.mark.django_db
def test_documents_made_while_a_recompute_waits_or_runs_say_so_on_the_title_page(no_charts, tmp_path):
    """After a correction the PDF, the Word file and the command warn that the figures are the previous run's."""
    w = _world("DOCRUN")
    inst = w["inst"]
    assert selectors.indicator_status(inst, "kw", YEAR)["attained"] is True
    # Policy staff correct kw 2020 below its baseline: the next recompute flips the verdict.
    measurement_record(
        indicator=Indicator.objects.get(institution=inst, code="kw"),
        year=YEAR,
        value=Decimal("40"),
        user=w["users"]["beleid"],
    )
    waiting = RecomputeRun.objects.filter(institution=inst, state=RunState.PENDING)
    assert waiting.exists()

    document = documents.annual_report(inst, YEAR)
    kw = next(i for t in document.content["themes"] for i in t.indicators if i.code == "kw")
    assert kw.status["institution_value"] == 52.5, "the previous run's figure, as the warning says"
    first_page = PdfReader(BytesIO(render_pdf(document))).pages[0].extract_text()
    assert "Herberekening bezig:" in first_page and "vorige berekening" in first_page
    assert WARNING in pdf_text(document)
    assert WARNING in docx_text(render_docx(document))

    waiting.update(state=RunState.RUNNING)
    assert WARNING in docx_text(render_docx(documents.midterm_pack(inst)))

    # The download is made all the same, and the command says why the file may be outdated.
    response = _client(w["users"]["bestuur"]).post(
        reverse("rapportage:document"), {"soort": "midterm", "formaat": "docx"}
    )
    assert response.status_code == 200 and WARNING in docx_text(response.content)
    err = StringIO()
    args = ["midterm", "--institution", "DOCRUN", "--format", "docx", "--out", str(tmp_path / "m.docx")]
    call_command("report", *args, stdout=StringIO(), stderr=err)
    assert WARNING in err.getvalue()

    RecomputeRun.objects.filter(institution=inst, state=RunState.RUNNING).update(state=RunState.DONE)
    assert WARNING not in pdf_text(documents.annual_report(inst, YEAR))


# --- The Word file prints what the PDF prints ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind, year", [("annual", 2019), ("annual", 2022), ("midterm", None)])
def test_word_tables_are_the_pdf_tables_row_for_row(rocvaf_demo, no_charts, kind, year):
    """Every table row of the PDF (headers and totals too) is a row of the Word file with the same cells, and back."""
    document = documents.build(kind, rocvaf_demo, year)
    pdf = html_table_rows(document)
    word = docx_table_rows(render_docx(document))
    assert pdf, "the PDF has tables"
    assert sorted(set(pdf) - set(word)) == []
    assert sorted(set(word) - set(pdf)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2019, 2022])
def test_every_amount_of_the_pdf_is_in_the_word_file(rocvaf_demo, no_charts, year):
    """Every euro amount the annual PDF prints (theme spending totals, the promises' total ...) is in the Word file."""

    def amounts(text: str) -> set[str]:
        return {re.sub(r"\s", "", x) for x in re.findall(r"€\s*[-−]?[\d.]+,\d\d", _plain(text))}

    document = documents.annual_report(rocvaf_demo, year)
    missing = amounts(pdf_text(document)) - amounts(docx_text(render_docx(document)))
    assert not missing, sorted(missing)


@pytest.mark.django_db
def test_word_file_marks_indicative_ambitions_like_the_pdf(rocvaf_demo, no_charts):
    """An indicative 2022 ambition reads "(indicatief)" in both formats of the 2022 report."""
    document = documents.annual_report(rocvaf_demo, 2022)
    indicative = [i for t in document.content["themes"] for i in t.indicators if i.status.get("indicative")]
    assert indicative, "the demo has indicative 2022 ambitions"
    assert pdf_text(document).count("(indicatief)") == len(indicative)
    assert docx_text(render_docx(document)).count("(indicatief)") == len(indicative)


@pytest.mark.django_db
def test_word_file_reports_the_reserve_open_and_not_realised(rocvaf_demo, no_charts):
    """The reserve still open after 2020, and in 2022 the reserve not realised for the board to decide, are in both."""
    open_2020 = selectors.budget_body(rocvaf_demo, 2020)["reserve_open_cents"]
    sentence = f"Nog open na 2020: {money(open_2020)}."
    document = documents.annual_report(rocvaf_demo, 2020)
    assert _plain(sentence) in pdf_text(document)
    assert sentence in docx_text(render_docx(document))

    final = documents.annual_report(rocvaf_demo, 2022)
    not_realised = final.content["budget"]["body"]["not_realised_cents"]
    assert not_realised is not None
    sentence = f"Niet gerealiseerd na het laatste budgetjaar: {money(not_realised)}; het bestuur beslist"
    assert _plain(sentence) in pdf_text(final)
    assert sentence in docx_text(render_docx(final))


# --- The download's file name -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, header",
    [
        ('DOC"Q', 'attachment; filename="midterm-doc\\"q-2019-2020.docx"'),
        ('DOCŁ"1', "attachment; filename*=utf-8''midterm-doc%C5%82%221-2019-2020.docx"),
    ],
)
def test_download_name_survives_a_quote_or_a_letter_outside_latin_1(code, header):
    """An institution code with a quote is escaped, one with a letter outside Latin-1 is UTF-8 encoded (RFC 6266)."""
    w = _world(code, prefix=f"DOCH{len(code)}")
    response = _client(w["users"]["bestuur"]).post(
        reverse("rapportage:document"), {"soort": "midterm", "formaat": "docx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == header
    if "filename*=" in header:
        assert unquote(header.split("''", 1)[1]) == f"midterm-{code.lower()}-2019-2020.docx"
