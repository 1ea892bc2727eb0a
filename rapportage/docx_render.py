"""Render a document tree (rapportage/documents.py) to an editable Word file (python-docx).

The same tree as the PDF, so the two say the same: every table is one of the tree's `Table`s and
every sentence with a figure comes from the tree; this module only lays them out. The charts
are the same figures as PNG. Amounts come from the tree as documents.money wrote them
(€ 1.234.567,89 with a non-breaking space after the euro sign), so Word never wraps an amount. The table of contents
and page numbers are Word fields, filled in when the file is opened ("Velden bijwerken").
Every text goes through `clean` on its way in: WordprocessingML is XML, and text pasted from
Word itself carries characters XML refuses.
"""

import re
from io import BytesIO

from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from rapportage.documents import ANNUAL, Document, Table
from rapportage.pdf_render import FONT_FAMILY, chart_images

# Word's own soft line break (Shift+Enter) and page break arrive as vertical tab and form feed
# when its text is pasted into a form: they become a line break, as the writer meant.
_LINE_BREAKS = re.compile("[\x0b\x0c]")
# What XML 1.0 cannot hold: other C0 controls, lone surrogates and U+FFFE/U+FFFF. lxml refuses
# them (ValueError), which would turn the whole download into an error: they carry no text, drop them.
_NOT_XML = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The PDF's colours of a state cell (templates/rapportage/documents/_base.html).
_COLOURS = {
    "good": RGBColor(0x1A, 0x7F, 0x37),
    "met": RGBColor(0x1A, 0x7F, 0x37),
    "bad": RGBColor(0xCF, 0x22, 0x2E),
    "notmet": RGBColor(0xCF, 0x22, 0x2E),
}


def clean(text) -> str:
    """Return `text` as Word can store it: soft line and page breaks as line breaks, other XML-invalid characters dropped."""
    return _NOT_XML.sub("", _LINE_BREAKS.sub("\n", "" if text is None else str(text)))


def _paragraph(word, text="", style: str | None = None):
    """Add a paragraph holding `text` (cleaned) and return it."""
    return word.add_paragraph(clean(text), style=style)


def _heading(word, text, level: int):
    """Add a heading (cleaned) and return it."""
    return word.add_heading(clean(text), level=level)


def _run(paragraph, text, bold: bool = False):
    """Add a run of `text` (cleaned) to `paragraph` and return it."""
    run = paragraph.add_run(clean(text))
    run.bold = bold or None
    return run


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """Add a Word field (PAGE, TOC ...) to `paragraph`; Word computes it when fields are updated."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = clean(placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, shown, end):
        run._r.append(element)


def _table(word, table: Table) -> None:
    """Add one of the tree's tables as the PDF prints it: bold header (repeated on every page) and total, amounts right."""
    if not table.rows and not table.footer:
        _paragraph(word, table.empty)
        return
    grid = word.add_table(rows=0, cols=len(table.headers))
    grid.style = "Table Grid"
    lines = [table.headers, *table.rows] + ([table.footer] if table.footer else [])
    for number, cells in enumerate(lines):
        row = grid.add_row()
        heading = number == 0 or (table.footer is not None and number == len(lines) - 1)
        column = 0
        for index, cell in enumerate(cells):
            target = row.cells[column]
            if cell.span > 1:
                target = target.merge(row.cells[column + cell.span - 1])
            column += cell.span
            paragraph = target.paragraphs[0]
            # Bold where the PDF has a <th> (the header, the total, each row's first cell) and for a coloured state.
            bold = heading or index == 0 or bool(cell.classes & _COLOURS.keys())
            run = _run(paragraph, cell.text, bold=bold)
            run.font.size = Pt(8)
            colour = next((_COLOURS[name] for name in cell.classes if name in _COLOURS), None)
            if colour is not None:
                run.font.color.rgb = colour
            if "num" in cell.classes:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # The header row repeats on every page of a long table, as the PDF's <thead> does.
    header = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)


def _start(document: Document):
    """Return a Word document with the title page (and its warnings), the table of contents and page numbers."""
    word = WordDocument()
    style = word.styles["Normal"]
    style.font.name = FONT_FAMILY
    style.font.size = Pt(10)
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "Pagina ")
    _field(footer, "PAGE", "1")
    _heading(word, document.title, 0)
    _paragraph(word, document.subtitle)
    facts = [
        ("Instelling", f"{document.institution.name} ({document.institution.code})"),
        ("Jaar" if len(document.years) == 1 else "Jaren", ", ".join(str(y) for y in document.years)),
        (
            "Status van de gegevens",
            f"{document.data_status} ({document.data_status_reason})"
            if document.data_status_reason
            else document.data_status,
        ),
        ("Berekend op", document.computed_at or "nog niet berekend"),
        ("Gemaakt op", document.generated_at),
    ]
    for label, value in facts:
        paragraph = _paragraph(word)
        _run(paragraph, f"{label}: ", bold=True)
        _run(paragraph, value)
    for lead, text in document.warnings:
        paragraph = _paragraph(word, style="Intense Quote")
        _run(paragraph, lead, bold=True)
        _run(paragraph, f" {text}")
    word.add_page_break()
    _heading(word, "Inhoud", 1)
    for _, title in document.toc:
        _paragraph(word, title, style="List Number")
    _field(_paragraph(word), 'TOC \\o "1-2" \\h', "Kies in Word 'Velden bijwerken' voor de paginanummers.")
    return word


def _annual(word, document: Document, images: dict[str, bytes]) -> None:
    """Add the annual report's chapters."""
    c = document.content
    year = c["year"]
    for theme in c["themes"]:
        word.add_page_break()
        _heading(word, theme.title, 1)
        _paragraph(word, theme.summary)
        if theme.ambition:
            _heading(word, "Ambitie", 2)
            _paragraph(word, theme.ambition)
        if theme.goals:
            _heading(word, "Doelen", 2)
            for goal in theme.goals:
                _paragraph(word, goal, style="List Bullet")
        _heading(word, f"Indicatoren {year}", 2)
        for part in theme.indicators:
            _heading(word, f"{part.code} {part.name}: {part.verdict}", 3)
            _paragraph(
                word,
                f"Ambitie: {part.ambition_text}. Instelling: {part.institution_text}; nulmeting {part.baseline_text}. "
                f"Colleges: {part.colleges_text}. Afstand: {part.distance_text}.",
            )
            _paragraph(word, (part.status or {}).get("explanation") or "")
            if part.chart and part.chart in images:
                word.add_picture(BytesIO(images[part.chart]), width=Cm(16))
            if part.factors:
                paragraph = _paragraph(word)
                _run(paragraph, "Verklarende factoren: ", bold=True)
                _run(paragraph, part.factors_text)
        if not theme.indicators:
            _paragraph(word, f"Geen indicatoren met een oordeel in {year}.")
        _heading(word, "Maatregelen: gepland en gerealiseerd", 2)
        _table(word, theme.measures_table)
        if theme.spending_line:
            _paragraph(word, theme.spending_line)
        _heading(word, f"Merkbaar in {year}", 2)
        for title, note, text in theme.evidence_items:
            paragraph = _paragraph(word, style="List Bullet")
            _run(paragraph, title, bold=True)
            _run(paragraph, f" {note}" + (f": {text}" if text else ""))
        if not theme.evidence_items:
            _paragraph(word, f"Geen merkbaar bewijs vastgelegd voor {year}.")
    _annual_budget(word, c)


def _annual_budget(word, c: dict) -> None:
    """Add the budget with the reserve, the spending account and the manifesto's checks and promises."""
    year = c["year"]
    word.add_page_break()
    _heading(word, f"Kwaliteitsbudget {year} en reserve", 1)
    body = c["budget"]["body"]
    if body:
        for warning in body.get("warnings", []):
            _paragraph(word, warning, style="Intense Quote")
        _heading(word, "Per thema", 2)
        _table(word, c["budget_themes_table"])
        _heading(word, "Per thema en college", 2)
        _table(word, c["budget_colleges_table"])
        _paragraph(word, c["reserve_note"])
    else:
        _paragraph(word, f"Geen budget voor {year} in de agenda.")
    word.add_page_break()
    _heading(word, f"Besteding {year}", 1)
    _table(word, c["spending_table"])
    _paragraph(word, c["spending_note"])
    if c["period_title"]:
        _heading(word, c["period_title"], 2)
        _table(word, c["period_table"])
    word.add_page_break()
    _heading(word, "Manifest: beloftes en toetsen", 1)
    _heading(word, f"Toetsen {year}", 2)
    _table(word, c["checks_table"])
    _heading(word, "Beloftes", 2)
    for group in c["promise_groups"]:
        _heading(word, group["heading"], 3)
        for promise in group["promises"]:
            paragraph = _paragraph(word)
            _run(paragraph, promise["title"], bold=True)
            _run(paragraph, f"{promise['tag']}: {promise['promise']}")
            _paragraph(word, promise["details"])
    if c["promise_groups"]:
        _run(_paragraph(word), c["promise_total"], bold=True)
    else:
        _paragraph(word, "Er zijn nog geen beloftes vastgelegd.")


def _midterm(word, document: Document) -> None:
    """Add the mid-term pack's chapters."""
    c = document.content
    years = c["years"]
    word.add_page_break()
    _heading(word, f"Voortgang {years[0]}-{years[-1]} per indicator", 1)
    _paragraph(word, c["progress_note"])
    _table(word, c["progress_table"])
    word.add_page_break()
    _heading(word, "Herijking: oude en nieuwe ambities", 1)
    _table(word, c["revisions_table"])
    _heading(word, f"Oordelen {years[-1]} onder de oorspronkelijke en de huidige ambitie", 2)
    _table(word, c["verdicts_table"])
    word.add_page_break()
    _heading(word, "Wat is er veranderd en waarom", 1)
    for title, key in (
        ("Budgetaandelen", "shares_table"),
        ("Toepasbaarheid", "applicability_table"),
        ("Nulmetingen", "baselines_table"),
        ("Verklarende factoren", "factors_table"),
    ):
        _heading(word, title, 2)
        _table(word, c[key])
    word.add_page_break()
    _heading(word, f"Kwaliteitsbudget {years[0]}-{years[-1]}", 1)
    for item in c["budgets"]:
        _heading(word, str(item["year"]), 2)
        if item["table"] is None:
            _paragraph(word, f"Geen budget voor {item['year']}.")
            continue
        _table(word, item["table"])
        _paragraph(word, item["note"])


def render_docx(document: Document) -> bytes:
    """Return the document as DOCX bytes."""
    word = _start(document)
    if document.kind == ANNUAL:
        _annual(word, document, chart_images(document.figures, "png"))
    else:
        _midterm(word, document)
    out = BytesIO()
    word.save(out)
    return out.getvalue()
