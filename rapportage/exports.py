"""The annual-report workbook: pure functions from stored payloads (dicts) to XLSX bytes.

No queries (style.md, "Where things go"): the view reads with `selectors.report_data` and
hands the plain parts over. Numbers are written as numbers with the digits of the payload
(Decimal, never a rounded float); money as euros from exact cents. Every text cell goes through
`put`, which writes it with kern.spreadsheet.xlsx_text: a text a spreadsheet could read as a
formula (= + - @, tab, carriage return: OWASP "CSV injection") is an explicit string with
Excel's quote prefix, never evaluated.
"""

from datetime import datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kern.rules import SMALL_GROUP_N, small_group
from kern.spreadsheet import xlsx_text
from rapportage.engine.words import COLLEGE, INDICATOR, TEAM, basis_word, need_symbol, verdict_word
from rapportage.templatetags.kwaliteit import ambition_words

EURO = '"€" #,##0.00'
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
WARNING_FILL = PatternFill("solid", fgColor="FFF8C5")


def put(ws, row: int, column: int, value, *, number_format: str | None = None, bold: bool = False):
    """Write one cell: numbers as numbers, texts always as texts (formula-looking ones neutralised)."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, bool):
        value = "ja" if value else "nee"
    if isinstance(value, float):
        value = Decimal(str(value))  # the payload's digits, not the binary float's
    if isinstance(value, str):
        xlsx_text(cell, value)  # never a formula (kern.spreadsheet)
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _euros(cents: int | None) -> Decimal | None:
    """Return integer cents as exact euros."""
    return None if cents is None else Decimal(cents) / 100


def _table(ws, start_row: int, headers: list[str], rows: list[list], *, formats: dict[int, str] | None = None) -> int:
    """Write a header and rows from `start_row`; return the next free row."""
    for col, header in enumerate(headers, start=1):
        cell = put(ws, start_row, col, header, bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for offset, values in enumerate(rows, start=1):
        for col, value in enumerate(values, start=1):
            put(ws, start_row + offset, col, value, number_format=(formats or {}).get(col))
    return start_row + len(rows) + 1


def _widths(ws, widths: list[int]) -> None:
    """Set the column widths (characters)."""
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def status_rows(body: dict, theme_names: dict[str, str]) -> list[list]:
    """Return one row per indicator: the verdict, the numbers behind it and the explanation."""
    return [
        [
            s["theme"],
            theme_names.get(s["theme"], ""),
            s["indicator"],
            s["name"],
            s["year"],
            verdict_word(s["attained"], INDICATOR),
            basis_word(s["basis"]),
            ambition_words(s),
            s["ambition_year"],
            s["indicative"],
            s["baseline_year"],
            s["baseline"],
            s["target"],
            s["institution_value"],
            "" if s["institution_met"] is None else s["institution_met"],
            s["colleges_met"] if s["colleges_total"] else None,
            s["colleges_total"] or None,
            s.get("distance", ""),
            s.get("explanation", ""),
        ]
        for s in body["indicators"]
    ]


def college_rows(body: dict) -> list[list]:
    """Return one row per indicator and college: result, value, reference, teams and explanation."""
    return [
        [
            s["indicator"],
            c["college"],
            c["name"],
            verdict_word(c["met"], COLLEGE),
            basis_word(c["basis"]),
            c["value"],
            c["reference"],
            c["teams_contributed"],
            c["teams_total"],
            c.get("teams_needed", 0),
            c.get("explanation", ""),
        ]
        for s in body["indicators"]
        for c in s["colleges"]
    ]


def team_rows(body: dict) -> list[list]:
    """Return one row per judged team: value, reference, contribution and cohort size."""
    return [
        [
            s["indicator"],
            c["college"],
            t["team"],
            t["value"],
            t["reference"],
            verdict_word(t["contributed"], TEAM),
            t.get("n"),
            "ja" if small_group(t.get("n")) else "",
            # Issue 15: the value the team needs to contribute, and how it must compare with it.
            t.get("needed"),
            need_symbol(-1 if s.get("polarity") == "lower" else 1, bool(t.get("needed_strict")))
            if t.get("needed") is not None
            else "",
        ]
        for s in body["indicators"]
        for c in s["colleges"]
        for t in c["teams"]
    ]


def budget_rows(body: dict, theme_names: dict[str, str], college_names: dict[str, str]) -> list[list]:
    """Return per theme its colleges' parts, the top-slice and a theme total; then the year total.

    The last two columns are the reserve ledger (manifesto principle 8): earlier years' reserve
    released in this year, and the reserve still open after it.
    """
    rows = []
    for theme in body["themes"]:
        name = f"{theme['theme']} {theme_names.get(theme['theme'], '')}".strip()
        for part in theme["colleges"]:
            rows.append(
                [
                    name,
                    f"{part['college']} {college_names.get(part['college'], '')}".strip(),
                    _euros(part["amount_cents"]),
                    _euros(part["fixed_cents"]),
                    _euros(part["result_dependent_cents"]),
                    _euros(part["released_cents"]),
                    _euros(part["reserved_cents"]),
                    part.get("indicators_met"),
                    part.get("indicators_judged"),
                    _euros(part.get("released_from_reserve_cents")),
                    _euros(part.get("reserve_open_cents")),
                ]
            )
        rows.append([name, "Gemeenschappelijke voorzieningen", _euros(theme["central_cents"])] + [None] * 8)
        rows.append(
            [f"Totaal {name}", f"{theme['share_pct']} % van het budget", _euros(theme["amount_cents"])]
            + [None] * 6
            + [_euros(theme.get("released_from_reserve_cents")), _euros(theme.get("reserve_open_cents"))]
        )
    rows.append(
        ["Totaal", "", _euros(body["total_cents"])]
        + [None] * 6
        + [_euros(body.get("released_from_reserve_cents")), _euros(body.get("reserve_open_cents"))]
    )
    if body.get("not_realised_cents") is not None:
        rows.append(
            ["Niet gerealiseerd na het laatste budgetjaar", "het bestuur besluit", None]
            + [None] * 7
            + [_euros(body["not_realised_cents"])]
        )
    return rows


def reserve_rows(body: dict, theme_names: dict[str, str], college_names: dict[str, str]) -> list[list]:
    """Return one row per reserved portion in the year's ledger: released now, still open or not realised."""
    year = body["year"]
    rows = []
    for theme in body["themes"]:
        name = f"{theme['theme']} {theme_names.get(theme['theme'], '')}".strip()
        for part in theme["colleges"]:
            college = f"{part['college']} {college_names.get(part['college'], '')}".strip()
            final = part.get("not_realised_cents") is not None
            kinds = [
                (f"uit reserve vrijgegeven in {year}", part.get("reserve_releases", [])),
                ("niet gerealiseerd" if final else f"nog open na {year}", part.get("reserve_open", [])),
            ]
            for kind, entries in kinds:
                for entry in entries:
                    rows.append([name, college, kind, entry["from_year"], entry["indicator"], _euros(entry["cents"])])
    return rows


def stale_line(meta: dict) -> str:
    """Return the workbook's warning that its figures are verouderd (the last recompute failed), or ""."""
    if not meta.get("stale"):
        return ""
    failed = meta.get("recompute_failed_at")
    when = f" van {datetime.fromisoformat(failed):%d-%m-%Y %H:%M}" if failed else ""
    return (
        f"VEROUDERD: de herberekening{when} is mislukt. De oordelen en bedragen in dit bestand zijn van de"
        " herberekening daarvoor en volgen de huidige gegevens niet; ze zijn verouderd tot een herberekening slaagt."
    )


def annual_report_xlsx(report: dict) -> bytes:
    """Return the annual-report workbook for one year as XLSX bytes.

    `report`: meta (institution, name, year, computed_at, synthetic, data_status, stale,
    recompute_failed_at), body (the STATUS body), theme_names, budget (body, college_names,
    funds_table; body may be None).
    """
    meta, body, theme_names = report["meta"], report["body"], report["theme_names"]
    budget = report.get("budget") or {}
    wb = Workbook()

    ws = wb.active
    ws.title = "Toelichting"
    computed: datetime | None = meta.get("computed_at")
    lines = [
        (f"Kwaliteitsagenda 2019-2022: stand {meta['year']}", True),
        (f"{meta['institution']} {meta['name']}", False),
        (f"Berekend op: {computed:%d-%m-%Y %H:%M}" if computed else "Berekend op: onbekend", False),
        (
            f"Oordelen: {meta.get('data_status', 'voorlopig')} (voorlopig tot het jaar voor alle colleges is vastgesteld)"
            # The money moves with every earlier budget year's verdicts (the reserve): its own status.
            + (
                f"; budget: {budget['body'].get('data_status', 'voorlopig')} (voorlopig tot ook alle eerdere budgetjaren zijn vastgesteld)"
                if budget.get("body")
                else ""
            ),
            True,
        ),
        (
            "Oordeel volgens de tweederderegel (agenda hoofdstuk 4.3): tweederde van de colleges heeft de ambitie"
            " gehaald, anders beslist het instellingsniveau.",
            False,
        ),
        (
            "Bladen: Status (per indicator), Colleges (per indicator en college), Teams (bijdrage per team),"
            " Budget (verdeling en vrijgave), Reserve (vrijgegeven uit en nog open in de reserve),"
            " Middelen (andere additionele middelen, agenda hoofdstuk 12).",
            False,
        ),
    ]
    if meta.get("synthetic"):
        lines.append(("Let op: synthetische demogegevens, geen echte cijfers.", True))
    stale = stale_line(meta)
    if stale:
        # Right under the title: a board reading the file must not take these figures for current
        # (domain.md, decided points: a failed recompute leaves them verouderd everywhere).
        lines.insert(1, (stale, True))
    for row, (text, bold) in enumerate(lines, start=1):
        put(ws, row, 1, text, bold=bold)
    if stale:
        ws.cell(row=2, column=1).fill = WARNING_FILL
    _widths(ws, [120])

    ws = wb.create_sheet("Status")
    _table(
        ws,
        1,
        [
            "Thema",
            "Themanaam",
            "Indicator",
            "Naam",
            "Jaar",
            "Oordeel",
            "Grond",
            "Ambitie",
            "Ambitiejaar",
            "Indicatief",
            "Nulmeting jaar",
            "Nulmeting",
            "Streefcijfer",
            "Instelling",
            "Instelling gehaald",
            "Colleges gehaald",
            "Colleges totaal",
            "Afstand",
            "Uitleg",
        ],
        status_rows(body, theme_names),
    )
    _widths(ws, [7, 28, 10, 40, 6, 13, 22, 24, 11, 10, 11, 11, 11, 11, 11, 10, 10, 40, 80])
    ws.freeze_panes = "E2"
    ws.auto_filter.ref = ws.dimensions

    ws = wb.create_sheet("Colleges")
    _table(
        ws,
        1,
        [
            "Indicator",
            "College",
            "Naam",
            "Resultaat",
            "Grond",
            "Waarde",
            "Referentie",
            "Teams bijgedragen",
            "Teams totaal",
            "Nog nodig",
            "Uitleg",
        ],
        college_rows(body),
    )
    _widths(ws, [10, 8, 28, 13, 18, 10, 10, 10, 10, 9, 70])
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = ws.dimensions

    ws = wb.create_sheet("Teams")
    _table(
        ws,
        1,
        [
            "Indicator",
            "College",
            "Team",
            "Waarde",
            "Referentie",
            "Bijdrage",
            "n",
            f"Kleine groep (n < {SMALL_GROUP_N})",
            "Nodig om bij te dragen",
            "Vergelijking",
        ],
        team_rows(body),
    )
    _widths(ws, [10, 8, 14, 10, 10, 16, 7, 18, 12, 8])
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = ws.dimensions

    ws = wb.create_sheet("Budget")
    budget_body = budget.get("body")
    if budget_body is None:
        put(ws, 1, 1, f"Geen budget voor {meta['year']} in de agenda.")
    else:
        row = 1
        for warning in budget_body.get("warnings", []):
            put(ws, row, 1, f"Waarschuwing: {warning}", bold=True).fill = WARNING_FILL
            row += 1
        if row > 1:
            row += 1
        _table(
            ws,
            row,
            [
                "Thema",
                "College",
                "Bedrag",
                "Vast deel",
                "Resultaatafhankelijk",
                "Vrijgegeven",
                "Gereserveerd",
                "Indicatoren gehaald",
                "Indicatoren met oordeel",
                "Uit reserve vrijgegeven (eerdere jaren)",
                "Reserve nog open na dit jaar",
            ],
            budget_rows(budget_body, theme_names, budget.get("college_names", {})),
            formats={3: EURO, 4: EURO, 5: EURO, 6: EURO, 7: EURO, 10: EURO, 11: EURO},
        )
        _widths(ws, [40, 36, 16, 16, 18, 16, 16, 12, 12, 18, 18])

    # Manifesto principle 8: reserved money is released when the result is realised later.
    ws = wb.create_sheet("Reserve")
    if budget_body is None:
        put(ws, 1, 1, f"Geen budget voor {meta['year']} in de agenda.")
    else:
        put(
            ws,
            1,
            1,
            "Gereserveerd resultaatafhankelijk budget vervalt niet: het komt vrij in het eerste latere budgetjaar"
            " waarin het college de indicator haalt (manifest, principe 8). Na het laatste budgetjaar is wat nog"
            " openstaat niet gerealiseerd; het bestuur besluit wat ermee gebeurt.",
        )
        reserve = reserve_rows(budget_body, theme_names, budget.get("college_names", {}))
        if reserve:
            _table(
                ws,
                3,
                ["Thema", "College", "Stand", "Gereserveerd in", "Indicator", "Bedrag"],
                reserve,
                formats={6: EURO},
            )
        else:
            put(ws, 3, 1, f"Geen reserve vrijgegeven in {meta['year']} en niets meer open.")
        _widths(ws, [40, 36, 30, 14, 12, 16])

    ws = wb.create_sheet("Middelen")
    table = budget.get("funds_table")
    if budget_body is None or not table:
        put(ws, 1, 1, "Geen budget of andere additionele middelen voor dit jaar.")
    else:
        rows = [
            [
                f"{r['theme']} {r['name']}",
                r["quality_pct_of_budget"],
                _euros(r["quality_cents"]),
                r["quality_pct"],
                _euros(r["other_cents"]),
                r["other_pct"],
                _euros(r["total_cents"]),
            ]
            for r in table["rows"]
        ]
        t = table["total"]
        rows.append(
            [
                "Totaal landelijke thema's",
                t["quality_pct_of_budget"],
                _euros(t["quality_cents"]),
                t["quality_pct"],
                _euros(t["other_cents"]),
                t["other_pct"],
                _euros(t["total_cents"]),
            ]
        )
        _table(
            ws,
            1,
            [
                "Thema",
                "Kwaliteitsagenda: % van het budget",
                "Kwaliteitsagenda (€)",
                "Kwaliteitsagenda: % van totaal additioneel",
                "Andere additionele middelen (€)",
                "Andere: % van totaal additioneel",
                "Totaal additioneel (€)",
            ],
            rows,
            formats={3: EURO, 5: EURO, 7: EURO},
        )
        _widths(ws, [44, 16, 18, 18, 20, 16, 18])

    out = BytesIO()
    wb.save(out)
    return out.getvalue()
