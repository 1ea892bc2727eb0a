"""The results grid of one college: rows are its active teams, columns the team-level indicators.

Building the grid (reads), parsing a posted grid into rows to store, saving it all or nothing,
and the Excel export that the upload pipeline reads back in its wide format (contracts.md 2).
"""

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from agenda.choices import Level
from agenda.models import College, Indicator, Team
from indicatoren.importers import EXPORT_COLUMNS, EXPORT_SHEET, parse_number
from indicatoren.models import Measurement
from indicatoren.services import (
    NOTE_LENGTH,
    ApplyReport,
    MeasurementRow,
    NoteRequired,
    WriteConflict,
    WriteRefused,
    baseline_refusals,
    measurements_apply,
    value_problem,
)
from kern import rules
from rapportage.choices import Version
from rapportage.exports import put
from rapportage.guidance import IndicatorGuidance, TeamGuidance, college_guidance
from rapportage.models import VerdictChange
from rapportage.selectors import indicator_status, status_body

UNIT_SHORT = {"percent": "%", "score": "cijfer 1-10", "count": "aantal"}
_WHOLE = re.compile(r"[0-9]+")
# Enough digits to lie beyond rules.MAX_WHOLE, few enough to convert cheaply: int() refuses
# more than 4300 digits (Python's int_max_str_digits), and a posted field can hold any number.
_N_DIGITS = len(str(rules.MAX_WHOLE)) + 1
MSG_N = "n moet een geheel getal van 0 of meer zijn, bijvoorbeeld 148."
MSG_N_WITHOUT_VALUE = "Vul ook een waarde in, of maak n leeg."
# The line above the grid for each kind of read-only column (ColumnLock.kinds); each column's own
# reason is the write service's message.
LOCK_LEGENDS = {
    "approved": "Nulmeting van een vastgesteld jaar: wijzigen kan pas nadat een beleidsmedewerker dat jaar heropent.",
    "baseline": "Nulmetingsjaar: alleen beleidsmedewerkers wijzigen deze waarden.",
}


def value_text(value: Decimal | None) -> str:
    """Return a stored value as the grid shows it: decimal comma, no trailing zeros ('77,5')."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _fingerprint(measurement: Measurement | None) -> str:
    """Return what a cell held when the page was built: 'value;n', '' when empty."""
    if measurement is None:
        return ""
    return _fingerprint_of(measurement.value, measurement.n)


def _split_fingerprint(text: str) -> tuple[Decimal | None, int | None]:
    """Return the value and n of a fingerprint; anything unreadable counts as empty."""
    value_part, _, n_part = (text or "").partition(";")
    value, problem = parse_number(value_part)
    # A forged n beyond storage reads as a number no stored cell has: the write refuses it as a conflict.
    n = _whole_capped(n_part) if _WHOLE.fullmatch(n_part) else None
    return (None if problem else value), n


def _whole_capped(digits: str) -> int:
    """Return ASCII digits as an int, or a number just beyond rules.MAX_WHOLE when they are longer.

    Only the size matters past the bound (rules.n_problem refuses it either way), so no more than
    _N_DIGITS significant digits are ever converted.
    """
    significant = digits.lstrip("0") or "0"
    return int(significant[:_N_DIGITS])


@dataclass
class Cell:
    """One team's value of one indicator in the grid, as stored and as entered."""

    team: Team
    indicator: Indicator
    measurement: Measurement | None
    value_input: str = ""
    n_input: str = ""
    original: str = ""
    value_error: str | None = None
    n_error: str | None = None
    changed: bool = False  # entered but not saved: marked on a page re-rendered with errors
    note_input: str = ""
    flag: str | None = None  # why the entered value looks implausible: a note confirms it
    guide: TeamGuidance | None = None  # what the team needs to contribute (issue 15, item 1)
    locked: "ColumnLock | None" = None  # why the user cannot write it (grid_locks): shown read-only

    @property
    def key(self) -> str:
        """Return the suffix of the cell's field names: team id and indicator id."""
        return f"{self.team.pk}_{self.indicator.pk}"

    @property
    def has_error(self) -> bool:
        """Return whether the cell has a message to show beside it."""
        return bool(self.value_error or self.n_error)

    @property
    def needs_note(self) -> bool:
        """Return whether the cell shows the note field: its value was flagged, or a note was typed."""
        return bool(self.flag or self.note_input)


@dataclass
class GridRow:
    """One team with its cells in column order."""

    team: Team
    cells: list[Cell]
    # False for a teamleider on another team's row: shown read-only (agenda.permissions.writable_teams).
    editable: bool = True

    @property
    def runs(self) -> list["GridRow"]:
        """Return the row as runs of adjacent cells that are all locked or all not, each a row of its own.

        A locked run is not editable, so the grid's cells are rendered read-only there the same
        way as a teamleider's other rows (invoer.templatetags.grid_cells), with no field to send.
        """
        runs: list[GridRow] = []
        for cell in self.cells:
            locked = cell.locked is not None
            if runs and (runs[-1].cells[-1].locked is not None) == locked:
                runs[-1].cells.append(cell)
            else:
                runs.append(GridRow(team=self.team, cells=[cell], editable=self.editable and not locked))
        return runs


@dataclass
class Grid:
    """The grid of one college and year."""

    college: College
    year: int
    indicators: list[Indicator]
    rows: list[GridRow]
    # Teams not active in the year that still have values stored for it: shown, never counted
    # (domain.md, "Which teams and colleges count"), read-only: (team, [Measurement or None per indicator]).
    uncounted: list[tuple[Team, list]] = field(default_factory=list)
    # Per indicator, in column order: the college's STATUS entry and how many teams it still needs.
    guides: list[IndicatorGuidance | None] = field(default_factory=list)
    # Per indicator, in column order: the college's stored verdict entry (None: none stored yet).
    verdicts: list[dict | None] = field(default_factory=list)
    # Per indicator, in column order: why the user cannot write its cells in this year (grid_locks).
    locks: list["ColumnLock | None"] = field(default_factory=list)

    def cells(self):
        """Yield every cell, row by row."""
        for row in self.rows:
            yield from row.cells

    @property
    def errors(self) -> list[Cell]:
        """Return the cells with a message, in tab order."""
        return [cell for cell in self.cells() if cell.has_error]

    @property
    def has_fields(self) -> bool:
        """Return whether some cell is shown as fields to save: an editable row's cell that is not locked."""
        return any(row.editable and cell.locked is None for row in self.rows for cell in row.cells)


@dataclass
class Submission:
    """What a posted grid asks to store (value None: delete), each row with what its writer saw."""

    rows: list[MeasurementRow] = field(default_factory=list)
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)


def team_indicators(institution) -> list[Indicator]:
    """Return the institution's indicators measured at team level, in agenda order."""
    return [i for i in Indicator.objects.filter(institution=institution).order_by("position", "code") if i.team_level]


def active_teams(college: College, year: int) -> list[Team]:
    """Return the college's teams that exist in `year`."""
    return list(
        Team.objects.filter(college=college)
        .filter(Q(active_from__isnull=True) | Q(active_from__lte=year))
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=year))
        .order_by("code")
    )


def grid_build(college: College, year: int, *, guidance: bool = True) -> Grid:
    """Return the grid of the college's active teams and team-level indicators with the stored values.

    With `guidance`, each cell carries what its team needs to contribute and each column the
    college's verdict (grid_guide); a save builds it without, as it redirects and shows none.
    """
    indicators = team_indicators(college.institution)
    teams = active_teams(college, year)
    stored = {
        (m.team_id, m.indicator_id): m
        for m in Measurement.objects.filter(
            level=Level.TEAM, college=college, year=year, indicator__in=indicators
        ).select_related("updated_by")
    }
    rows = []
    for team in teams:
        cells = []
        for indicator in indicators:
            m = stored.get((team.pk, indicator.pk))
            cells.append(
                Cell(
                    team=team,
                    indicator=indicator,
                    measurement=m,
                    value_input=value_text(m.value) if m else "",
                    n_input="" if m is None or m.n is None else str(m.n),
                    original=_fingerprint(m),
                )
            )
        rows.append(GridRow(team=team, cells=cells))
    active = {team.pk for team in teams}
    others = Team.objects.filter(pk__in={team_id for team_id, _ in stored} - active).order_by("code")
    uncounted = [(team, [stored.get((team.pk, indicator.pk)) for indicator in indicators]) for team in others]
    grid = Grid(college=college, year=year, indicators=indicators, rows=rows, uncounted=uncounted)
    if guidance:
        grid_guide(grid)
    return grid


def grid_guide(grid: Grid) -> None:
    """Attach to each cell its team's guidance and to each column the college's verdict and remaining need.

    One read of the year's stored STATUS serves both: decoding every indicator's payload is
    most of what a grid page costs (issue 16), so it is never done twice for one page.
    """
    body = status_body(grid.college.institution, grid.year)
    found = college_guidance(grid.college, grid.year, [row.team for row in grid.rows], body=body)
    for cell in grid.cells():
        cell.guide = found["teams"].get((cell.team.code, cell.indicator.code))
    grid.guides = [found["indicators"].get(indicator.code) for indicator in grid.indicators]
    entries = _college_entries(grid.college, body)
    grid.verdicts = [entries.get(indicator.code) for indicator in grid.indicators]


@dataclass(frozen=True)
class ColumnLock:
    """Why the user cannot write an indicator's cells in the grid's year, as the write service refuses them."""

    kinds: tuple[str, ...]  # keys of LOCK_LEGENDS, in the order the write service checks them
    reason: str  # the write service's own messages, without the cell they name


def grid_locks(grid: Grid, *, allowed_colleges) -> None:
    """Mark the columns whose cells the user cannot write in the grid's year, so they are shown read-only.

    Baseline-year values are writable only by policy staff, and not at all while a year judged
    against that baseline is approved (domain.md, "Sign-off and locking"). A cell with a message
    keeps its field, so the message and what was typed stay beside it (a herijking between the
    page and its save); the write service refuses it again either way.
    """
    found = baseline_locks(grid.college, grid.year, grid.indicators, allowed_colleges=allowed_colleges)
    grid.locks = [found.get(indicator.pk) for indicator in grid.indicators]
    for cell in grid.cells():
        cell.locked = None if cell.has_error else found.get(cell.indicator.pk)


def baseline_locks(college: College, year: int, indicators, *, allowed_colleges) -> dict[int, ColumnLock]:
    """Return {indicator id: ColumnLock} for the indicators whose values of `year` the write service refuses
    for a writer with this scope because of the baseline (indicatoren.services.baseline_refusals: the rule
    stays there, so the grid shows read-only exactly the cells a save would refuse).
    """
    return {
        pk: ColumnLock(kinds=tuple(kind for kind, _ in found), reason=" ".join(message for _, message in found))
        for pk, found in baseline_refusals(college, year, indicators, allowed_colleges=allowed_colleges).items()
    }


def lock_legends(grid: Grid) -> list[dict]:
    """Return a line per kind of read-only column in the grid, with the codes of its columns."""
    legends = []
    for kind, text in LOCK_LEGENDS.items():
        codes = [i.code for i, lock in zip(grid.indicators, grid.locks, strict=True) if lock and kind in lock.kinds]
        if codes:
            legends.append({"kind": kind, "text": text, "codes": codes})
    return legends


def _parse_n(text: str) -> tuple[int | None, str | None]:
    """Return an entered n as an int, None when empty, or a message (the range is rules.n_problem's)."""
    compact = text.strip()
    if not compact:
        return None, None
    if not _WHOLE.fullmatch(compact):
        return None, MSG_N
    n = _whole_capped(compact)
    # The write service checks n with the same rule; checked here too, so the message lands on the cell.
    problem = rules.n_problem(n)
    return (None, problem) if problem else (n, None)


def grid_parse(grid: Grid, data) -> Submission:
    """Read the posted cells into the grid and return what to store; messages go on the cells.

    Only cells the user changed are stored, so a value someone else saved meanwhile in an
    untouched cell is never overwritten. Each stored row carries what the page showed
    (`o_` field); the write service compares it with the stored value inside its lock and
    refuses a cell changed since (issue 12). An emptied cell that had a value is deleted
    (history keeps it).
    """
    submission = Submission()
    for cell in grid.cells():
        stored_value, stored_n, current = cell.value_input, cell.n_input, cell.original
        cell.value_input = data.get(f"v_{cell.key}", cell.value_input)
        cell.n_input = data.get(f"n_{cell.key}", cell.n_input)
        cell.note_input = (data.get(f"t_{cell.key}", "") or "").strip()[:NOTE_LENGTH]
        shown = data.get(f"o_{cell.key}", current)
        cell.original = shown  # a re-rendered page keeps comparing against what the user saw
        value, cell.value_error = parse_number(cell.value_input)
        n, cell.n_error = _parse_n(cell.n_input)
        if value is not None and cell.value_error is None:
            cell.value_error = value_problem(cell.indicator, value)
        if value is None and n is not None and cell.value_error is None and not shown:
            cell.n_error = MSG_N_WITHOUT_VALUE
        cell.changed = True
        if cell.has_error:
            continue
        shown_value, shown_n = _split_fingerprint(shown)
        if value is None and n is not None and shown_value is not None:
            n = None  # emptying the value deletes the cell; the n beside it goes with it
        if (value, n) == (shown_value, shown_n) and not (cell.note_input and value is not None):
            # Untouched: show what is stored now, including a change someone else saved meanwhile.
            cell.value_input, cell.n_input, cell.original = stored_value, stored_n, current
            cell.changed = False
            continue
        if value is None and shown_value is None:
            continue  # an empty cell left empty
        submission.rows.append(
            MeasurementRow(
                indicator=cell.indicator,
                year=grid.year,
                value=value,
                college=grid.college,
                team=cell.team,
                n=n,
                expected=(shown_value, shown_n),
                note=cell.note_input,
            )
        )
        submission.cells[(cell.team.pk, cell.indicator.pk)] = cell
    return submission


@dataclass
class SaveReport:
    """How many values a grid save stored and deleted, and the flags it stored with their notes."""

    applied: ApplyReport
    deleted: int


@transaction.atomic
def grid_save(*, grid: Grid, submission: Submission, user, allowed_colleges, allowed_teams=None) -> SaveReport:
    """Store a parsed grid all or nothing through the one write service (conflicts checked in its lock)."""
    source = f"invoer {grid.college.code} {grid.year}"
    applied = measurements_apply(
        institution=grid.college.institution,
        rows=submission.rows,
        user=user,
        source=source,
        allowed_colleges=allowed_colleges,
        allowed_teams=allowed_teams,
    )
    return SaveReport(applied=applied, deleted=applied.deleted)


def grid_refused(grid: Grid, submission: Submission, refused: WriteRefused) -> list[str]:
    """Put a refused save's messages on its cells; return the messages that belong to no cell."""
    loose = []
    for problem in refused.problems:
        row = problem.row
        cell = submission.cells.get((row.team.pk, row.indicator.pk)) if row is not None and row.team else None
        if cell is None:
            loose.append(problem.message)
            continue
        if isinstance(refused, NoteRequired):
            cell.flag = "; ".join(flag.reason for flag in problem.flags)
            cell.value_error = (
                "Onwaarschijnlijke waarde: "
                + cell.flag
                + ". Controleer haar; klopt ze, geef dan een korte toelichting."
            )
        elif isinstance(refused, WriteConflict):
            now = f"nu {value_text(problem.stored_value)}" if problem.stored_value is not None else "nu leeg"
            who = f" door {problem.stored_by}" if problem.stored_by else ""
            cell.value_error = f"Intussen gewijzigd{who} ({now}); controleer de waarde en sla opnieuw op."
            # The next save compares with what is stored now: the user has seen it in this message.
            cell.original = _fingerprint_of(problem.stored_value, problem.stored_n)
        else:
            cell.value_error = problem.message
    return loose


def _fingerprint_of(value: Decimal | None, n: int | None) -> str:
    """Return the fingerprint of a cell content given as value and n."""
    if value is None:
        return ""
    return f"{value_text(value)};{'' if n is None else n}"


def cell_history(team: Team, indicator: Indicator, year: int) -> list[dict]:
    """Return the history of one cell, newest first, each entry with the value it replaced."""
    records = list(
        Measurement.history.filter(team=team, indicator=indicator, year=year, level=Level.TEAM)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries, previous = [], None
    for record in records:
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "kind": record.history_type,
                "value": None if record.history_type == "-" else record.value,
                "n": None if record.history_type == "-" else record.n,
                "old_value": previous.value if previous is not None else None,
                "old_n": previous.n if previous is not None else None,
                # Where the figure comes from (a file's `bron`: JOB, STO; issue 18) and, when it says
                # more, how it was written (the upload or page that stored it).
                "source": record.source,
                "via": ""
                if record.history_change_reason in (None, "", record.source)
                else record.history_change_reason,
                "note": "" if record.history_type == "-" else record.note,
            }
        )
        previous = None if record.history_type == "-" else record
    return entries[::-1]


def _excel_number(value: Decimal) -> int | Decimal | str:
    """Return a stored value for a spreadsheet cell: an int when whole, else the shortest Decimal.

    A value of more than rules.EXCEL_DIGITS significant digits is written as its exact text (decimal
    comma, as the grid shows it): the upload reads number text exactly, so the export round-trips
    (domain.md, "Every number is exact at any size the formats accept").
    """
    shortest = value.normalize()
    if len(shortest.as_tuple().digits) > rules.EXCEL_DIGITS:
        return value_text(value)
    return int(value) if value == value.to_integral_value() else shortest


def grid_workbook(college: College, years) -> bytes:
    """Return the college's grid of each year as XLSX: one sheet per year, read back by the wide format.

    Columns: team, naam, then per indicator its code and 'n <code>' (contracts.md section 2, wide).
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    exported = []  # (year, indicator, team, value, n) of every cell: what the export showed
    for year in years:
        grid = grid_build(college, year, guidance=False)
        for row in grid.rows:
            for cell in row.cells:
                m = cell.measurement
                exported.append(
                    (year, cell.indicator.code, row.team.code, format(m.value, "f") if m else None, m.n if m else None)
                )
        sheet = workbook.create_sheet(title=str(year))
        header = ["team", "naam"]
        for indicator in grid.indicators:
            header += [indicator.code, f"n {indicator.code}"]
        for column, title in enumerate(header, start=1):
            put(sheet, 1, column, title, bold=True)
        for number, row in enumerate(grid.rows, start=2):
            line = [row.team.code, row.team.name]
            for cell in row.cells:
                m = cell.measurement
                line += [_excel_number(m.value) if m else None, m.n if m else None]
            for column, value in enumerate(line, start=1):
                # Team names are typed by directors: a name like "=HYPERLINK(...)" must stay text.
                put(sheet, number, column, value)
        sheet.freeze_panes = "C2"
        sheet.column_dimensions["A"].width = 14
        sheet.column_dimensions["B"].width = 32
        for position in range(3, len(header) + 1):
            sheet.column_dimensions[get_column_letter(position)].width = 10
    # Hidden: what each cell held at export (values as exact text); an upload compares with it.
    hidden = workbook.create_sheet(title=EXPORT_SHEET)
    hidden.sheet_state = "hidden"
    for column, title in enumerate(EXPORT_COLUMNS, start=1):
        put(hidden, 1, column, title)
    for number, line in enumerate(exported, start=2):
        for column, value in enumerate(line, start=1):
            put(hidden, number, column, value)  # a team code like "=1+2" stays text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _college_entries(college: College, body: dict) -> dict[str, dict]:
    """Return the college's entry of each indicator in a status body, by indicator code."""
    entries = {}
    for status in body["indicators"]:
        for entry in status["colleges"]:
            if entry["college"] == college.code:
                entries[status["indicator"]] = entry
    return entries


def college_verdict(college: College, indicator_code: str, year: int) -> dict:
    """Return the college's stored verdict entry of one indicator and year ({} when none is stored).

    Reads that indicator's STATUS only: a save's message names the few verdicts it flipped.
    """
    status = indicator_status(college.institution, indicator_code, year)
    return _college_entries(college, {"indicators": [status] if status else []}).get(indicator_code, {})


def flip_mark(institution) -> int:
    """Return the newest entry of the institution's flip log, so later flips can be told apart."""
    return VerdictChange.objects.filter(institution=institution).aggregate(mark=Max("id"))["mark"] or 0


def flips_since(college: College, mark: int) -> list[VerdictChange]:
    """Return the college's verdict flips logged after `mark`, the latest per indicator and year."""
    changes = (
        VerdictChange.objects.filter(institution=college.institution, college=college, id__gt=mark)
        .filter(version=Version.CURRENT)
        .select_related("indicator")
        .order_by("id")
    )
    # Two runs after one save (coalesced requests) may flip a verdict and flip it back:
    # report where each verdict ended, and only when it differs from where it started.
    first, last = {}, {}
    for change in changes:
        key = (change.year, change.indicator.code)
        first.setdefault(key, change)
        last[key] = change
    return [last[key] for key in sorted(last) if first[key].old != last[key].new]
