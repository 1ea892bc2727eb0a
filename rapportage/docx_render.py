"""Render a document tree (rapportage/documents.py) to an editable Word file (python-docx).

The same tree as the PDF, so the two say the same; the charts are the same figures as PNG.
Amounts use the site's own filters (€ 1.234.567,89) with a non-breaking space after the euro
sign, so Word never wraps an amount. The table of contents and page numbers are Word fields,
filled in when the file is opened ("Velden bijwerken").
"""

from io import BytesIO

from django.utils import timezone
from django.utils.formats import date_format
from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from rapportage.documents import ANNUAL, Document, budget_table_totals
from rapportage.pdf_render import FONT_FAMILY, chart_images
from rapportage.templatetags.kwaliteit import ambition_words, effect_words, euro, nl, nl_against, verdict_text

NBSP = "\u00a0"


def money(cents) -> str:
    """Return a Dutch euro amount that never wraps."""
    return euro(cents).replace(" ", NBSP)


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
    shown.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, shown, end):
        run._r.append(element)


def _table(word, headers: list[str], rows: list[list[str]], footer: list[str] | None = None, numeric=()) -> None:
    """Add a table with a bold header (and footer) row; columns in `numeric` are right-aligned."""
    if not rows and not footer:
        word.add_paragraph("Geen wijzigingen vastgelegd.")
        return
    table = word.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for index, header in enumerate(headers):
        cell = table.rows[0].cells[index]
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
    for values in rows + ([footer] if footer else []):
        cells = table.add_row().cells
        for index, value in enumerate(values):
            cells[index].text = value
            if index in numeric:
                cells[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if footer:
        for cell in table.rows[-1].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)


def _start(document: Document):
    """Return a Word document with the title page, the table of contents and page numbers."""
    word = WordDocument()
    style = word.styles["Normal"]
    style.font.name = FONT_FAMILY
    style.font.size = Pt(10)
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Pagina ")
    _field(footer, "PAGE", "1")
    word.add_heading(document.title, level=0)
    word.add_paragraph(document.subtitle)
    facts = [
        ("Instelling", f"{document.institution.name} ({document.institution.code})"),
        ("Jaar" if len(document.years) == 1 else "Jaren", ", ".join(str(y) for y in document.years)),
        ("Status van de gegevens", document.data_status),
        ("Berekend op", document.computed_at or "nog niet berekend"),
        ("Gemaakt op", document.generated_at),
    ]
    for label, value in facts:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    if document.stale:
        word.add_paragraph(
            "Verouderd: de laatste herberekening is mislukt; dit zijn de oordelen van de laatste geslaagde."
        )
    if document.synthetic:
        word.add_paragraph("Dit document bevat synthetische demogegevens (gegenereerd, niet echt).")
    word.add_page_break()
    word.add_heading("Inhoud", level=1)
    for _, title in document.toc:
        word.add_paragraph(title, style="List Number")
    _field(word.add_paragraph(), 'TOC \\o "1-2" \\h', "Kies in Word 'Velden bijwerken' voor de paginanummers.")
    return word


def _annual(word, document: Document, images: dict[str, bytes]) -> None:
    """Add the annual report's chapters."""
    c = document.content
    year = c["year"]
    for theme in c["themes"]:
        word.add_page_break()
        word.add_heading(theme.title, level=1)
        if theme.ambition:
            word.add_heading("Ambitie", level=2)
            word.add_paragraph(theme.ambition)
        if theme.goals:
            word.add_heading("Doelen", level=2)
            for goal in theme.goals:
                word.add_paragraph(goal, style="List Bullet")
        word.add_heading(f"Indicatoren {year}", level=2)
        for part in theme.indicators:
            status = part.status or {}
            word.add_heading(f"{part.code} {part.name}: {part.verdict}", level=3)
            word.add_paragraph(
                f"Ambitie: {ambition_words(status)}. Instelling: "
                f"{nl_against(status.get('institution_value'), status.get('baseline'))}; nulmeting "
                f"{nl_against(status.get('baseline'), status.get('institution_value'))} ({status.get('baseline_year')}). "
                f"Afstand: {status.get('distance') or '–'}."
            )
            word.add_paragraph(status.get("explanation") or "")
            if part.chart and part.chart in images:
                word.add_picture(BytesIO(images[part.chart]), width=Cm(16))
            if part.factors:
                word.add_paragraph(
                    "Verklarende factoren: " + "; ".join(f"{f.name} ({effect_words(f.effect)})" for f in part.factors)
                )
        word.add_heading("Maatregelen: gepland en gerealiseerd", level=2)
        if theme.measures:
            _table(
                word,
                ["Maatregel", "College", "Gepland (periode)", f"Gerealiseerd {year}", f"T/m {year}", "Stand"],
                [
                    [
                        m.title,
                        m.college or "ROC-breed",
                        money(m.planned_cents),
                        money(m.realised_cents),
                        money(m.realised_to_date_cents),
                        "overschreden" if m.overspent else "",
                    ]
                    for m in theme.measures
                ],
                numeric=(2, 3, 4),
            )
        else:
            word.add_paragraph("Dit thema heeft geen maatregelen.")
        word.add_heading(f"Merkbaar in {year}", level=2)
        for item in theme.evidence:
            word.add_paragraph(f"{item.title}: {item.text}" if item.text else item.title, style="List Bullet")
        if not theme.evidence:
            word.add_paragraph(f"Geen merkbaar bewijs vastgelegd voor {year}.")
    _annual_budget(word, c)


def _annual_budget(word, c: dict) -> None:
    """Add the budget with the reserve, the spending account and the manifesto's checks."""
    year, budget = c["year"], c["budget"]
    word.add_page_break()
    word.add_heading(f"Kwaliteitsbudget {year} en reserve", level=1)
    body = budget["body"]
    if body:
        for warning in body.get("warnings", []):
            word.add_paragraph(warning)
        totals = budget["totals"]
        _table(
            word,
            ["Thema", "Aandeel", "Bedrag", "Gem. voorzieningen", "Vrijgegeven", "Gereserveerd"],
            [
                [
                    f"{row['theme']} {budget['theme_names'].get(row['theme'], '')}",
                    f"{nl(row['share_pct'])} %",
                    money(row["amount_cents"]),
                    money(row["central_cents"]),
                    money(row["released_cents"]),
                    money(row["reserved_cents"]),
                ]
                for row in budget["theme_rows"]
            ],
            [
                "Totaal",
                "100 %",
                money(body["total_cents"]),
                money(totals["central_cents"]),
                money(totals["released_cents"]),
                money(totals["reserved_cents"]),
            ],
            numeric=(1, 2, 3, 4, 5),
        )
        rows = c["budget_rows"]
        sums = c["budget_totals"]
        _table(
            word,
            ["Thema", "College", "Bedrag", "Vast", "Vrijgegeven", "Uit reserve", "Gereserveerd"],
            [
                [
                    r["theme"],
                    r["college"],
                    money(r["amount_cents"]),
                    money(r["fixed_cents"]),
                    money(r["released_cents"]),
                    money(r["released_from_reserve_cents"]),
                    money(r["reserved_cents"]),
                ]
                for r in rows
            ],
            ["Totaal colleges", ""]
            + [
                money(sums[key])
                for key in (
                    "amount_cents",
                    "fixed_cents",
                    "released_cents",
                    "released_from_reserve_cents",
                    "reserved_cents",
                )
            ],
            numeric=(2, 3, 4, 5, 6),
        )
    else:
        word.add_paragraph(f"Geen budget voor {year} in de agenda.")
    spending = c["spending"]
    word.add_heading(f"Besteding {year}", level=1)
    summary = spending["summary"]
    total = summary.total
    _table(
        word,
        ["Thema · college", "Toegekend", "Gepland", "Gerealiseerd", "Verschil", "Stand"],
        [
            [
                f"{r.theme} · {r.college or 'ROC-breed'}",
                money(r.allocated_cents),
                money(r.planned_cents),
                money(r.realised_cents),
                money(r.difference_cents),
                "overschreden" if r.overspent else "",
            ]
            for theme in summary.themes
            for r in theme.rows
        ],
        [
            f"Totaal {year}",
            money(total.allocated_cents),
            money(total.planned_cents),
            money(total.realised_cents),
            money(total.difference_cents),
            "overschreden" if total.overspent else "",
        ],
        numeric=(1, 2, 3, 4),
    )
    if spending["final"] and spending["period"]:
        word.add_paragraph(
            f"Na afloop van de periode: {money(spending['period'].available_cents)} blijft beschikbaar voor de mbo-sector."
        )
    manifesto = c["manifesto"]
    word.add_heading("Manifest: beloftes en toetsen", level=1)
    _table(
        word,
        ["Toets", "Uitkomst", "Norm", "Oordeel", "Cijfers"],
        [
            [
                check.label,
                check.figure,
                check.target,
                "n.v.t." if check.holds is None else "voldoet" if check.holds else "voldoet niet",
                check.detail,
            ]
            for check in manifesto["checks"]
        ],
    )
    for promise in manifesto["promises"]:
        word.add_paragraph(f"{promise.title}: {promise.promise} (budget {money(promise.budget_cents)})")


def _midterm(word, document: Document) -> None:
    """Add the mid-term pack's chapters."""
    c = document.content
    years = c["years"]
    word.add_page_break()
    word.add_heading(f"Voortgang {years[0]}-{years[-1]} per indicator", level=1)
    headers = ["Indicator"] + [f"{label} {y}" for y in years for label in ("Oordeel", "Waarde")]
    _table(
        word,
        headers,
        [
            [f"{row['code']} {row['name']}"]
            + [
                value
                for y in row["years"]
                for value in (
                    y["verdict"],
                    nl_against((y["status"] or {}).get("institution_value"), (y["status"] or {}).get("baseline")),
                )
            ]
            for row in c["progress"]
        ],
    )
    h = c["herijking"]
    word.add_heading("Herijking: oude en nieuwe ambities", level=1)

    # The same words as the PDF (templates/rapportage/documents/midterm.html): the two never disagree.
    def ambition(a) -> str:
        target = f" {nl(a.target)}" if a.target is not None else ""
        margin = f" (marge {nl(a.tolerance)})" if a.tolerance else ""
        return a.get_type_display() + target + margin

    def reason(revision) -> str:
        author = revision.author.get_full_name() or revision.author.username if revision.author else ""
        when = date_format(timezone.localtime(revision.created_at), "j F Y") if revision.created_at else ""
        return (revision.reason or "–") + (f" ({author}, {when})" if author else "")

    def baseline(year, value) -> str:
        return f"{year}: " + ("uit de gegevens" if value is None else nl(value))

    _table(
        word,
        ["Indicator", "Jaar", "Oude ambitie", "Nieuwe ambitie", "Reden"],
        [
            [
                f"{item['indicator'].code}",
                str(item["year"]),
                ambition(item["revisions"][0]),
                ambition(item["revisions"][-1]),
                reason(item["revisions"][-1]),
            ]
            for item in h["revisions"]
        ],
    )
    word.add_heading(f"Oordelen {years[-1]} onder de oorspronkelijke en de huidige ambitie", level=2)

    def judged(status) -> str:
        return f"{ambition_words(status)}: {verdict_text(status['attained'])}" if status else "–"

    _table(
        word,
        ["Indicator", "Oorspronkelijk", "Huidig", "Veranderd"],
        [
            [
                row["code"],
                judged(row["original"]),
                judged(row["current"]),
                "oordeel" if row["verdict_changed"] else ("ambitie" if row["ambition_changed"] else "–"),
            ]
            for row in h["rows"]
        ],
    )
    word.add_heading("Wat is er veranderd en waarom", level=1)
    word.add_heading("Budgetaandelen", level=2)
    _table(
        word,
        ["Thema", "Vanaf", "Was", "Wordt", "Reden"],
        [
            [r["theme"].code, str(r["from_year"]), f"{nl(r['before'])} %", f"{nl(r['after'])} %", r["revision"].reason]
            for r in h["share_revisions"]
        ],
    )
    word.add_heading("Toepasbaarheid", level=2)
    _table(
        word,
        ["Indicator", "Vanaf", "Was", "Wordt", "Reden"],
        [
            [
                r["indicator"].code,
                str(r["from_year"]),
                f"{len(r['before'])} van {r['total']} colleges",
                f"{len(r['after'])} van {r['total']} colleges",
                r["revision"].reason,
            ]
            for r in h["applicability_revisions"]
        ],
    )
    word.add_heading("Nulmetingen", level=2)
    _table(
        word,
        ["Indicator", "Vanaf", "Was", "Wordt", "Reden"],
        [
            [
                r["indicator"].code,
                str(r["from_year"]),
                baseline(r["before_year"], r["before_value"]),
                baseline(r["after_year"], r["after_value"]),
                r["revision"].reason,
            ]
            for r in h["baseline_revisions"]
        ],
    )
    word.add_heading("Verklarende factoren", level=2)
    _table(
        word,
        ["Indicator", "Factor", "Effect", "Reden", "Wanneer"],
        [
            [
                r.factor.indicator.code if r.factor else "–",
                r.name,
                effect_words(r.effect),
                r.reason,
                date_format(timezone.localtime(r.created_at), "j F Y"),
            ]
            for r in c["factor_revisions"]
        ],
    )
    word.add_heading(f"Kwaliteitsbudget {years[0]}-{years[-1]}", level=1)
    for item in c["budgets"]:
        word.add_heading(str(item["year"]), level=2)
        data = item["data"]
        if not data["body"]:
            word.add_paragraph(f"Geen budget voor {item['year']}.")
            continue
        sums = budget_table_totals(item["rows"])
        _table(
            word,
            ["Thema", "Bedrag", "Gem. voorzieningen", "Vast", "Vrijgegeven", "Gereserveerd"],
            [
                [
                    f"{row['theme']} {data['theme_names'].get(row['theme'], '')}",
                    money(row["amount_cents"]),
                    money(row["central_cents"]),
                    money(row["fixed_cents"]),
                    money(row["released_cents"]),
                    money(row["reserved_cents"]),
                ]
                for row in data["theme_rows"]
            ],
            [
                "Totaal",
                money(data["body"]["total_cents"]),
                money(data["totals"]["central_cents"]),
                money(data["totals"]["fixed_cents"]),
                money(data["totals"]["released_cents"]),
                money(data["totals"]["reserved_cents"]),
            ],
            numeric=(1, 2, 3, 4, 5),
        )
        word.add_paragraph(f"Uit reserve vrijgegeven in {item['year']}: {money(sums['released_from_reserve_cents'])}.")


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
