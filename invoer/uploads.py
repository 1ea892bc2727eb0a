"""The upload pipeline: parse, dry run (what would change, down to the verdicts), apply atomically.

One pipeline for every channel (web page, API, `import_benchmark`, the director's grid
upload), so validation, messages and the audit record are identical everywhere (issue 4,
contracts.md section 2). Every attempt leaves an Upload record: a rejected file is kept with
its errors but never touches a stored value; an accepted one links every value it set.
"""

import hashlib
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from agenda.choices import Level
from agenda.models import College, Indicator, Institution, Team
from indicatoren.choices import UploadStatus
from indicatoren.importers import (
    STUDENTS_CODE,
    Catalogue,
    Limits,
    ParseResult,
    RowError,
    more_errors_text,
    parse_benchmark,
    size_error,
)
from indicatoren.models import ContextValue, StudentCount, Upload
from indicatoren.services import (
    KEEP,
    CellProblem,
    ContextRow,
    LockedRead,
    MeasurementRow,
    NoteRequired,
    WriteConflict,
    WriteRefused,
    YearLocked,
    context_refusal,
    context_values_apply,
    lock_institution_data,
    measurements_apply,
    rows_flags,
    stored_cells,
    stored_values,
    stored_values_in_lock,
    student_counts_apply,
    write_refusal,
)
from kern import rules
from kern.collector import collector_paused
from kern.errors import Refusal
from rapportage.choices import RunState, Version
from rapportage.engine.payload import verdict_flips
from rapportage.models import RecomputeRun
from rapportage.whatif import budget_changes

BASELINE_MARGIN_YEARS = 5  # accept history this many years before the earliest baseline year

KIND_NEW, KIND_CHANGED, KIND_UNCHANGED = "nieuw", "gewijzigd", "ongewijzigd"


class UploadRejected(Exception):
    """A file with errors: no value was stored; `errors` says where and why, `upload` is the audit record.

    `errors` holds the first UPLOAD_MAX_ERRORS errors, `total` counts them all (a minimum when
    not `complete`: reading stopped early), on every channel (issue 13).
    """

    def __init__(self, errors: list[RowError], parsed: ParseResult | None = None, upload: Upload | None = None):
        if parsed is not None and errors is parsed.errors:
            total, complete = max(parsed.error_count, len(errors)), parsed.errors_complete
        else:
            total, complete = len(errors), True
        super().__init__(f"{total} fouten")
        self.errors = list(errors[: settings.UPLOAD_MAX_ERRORS])
        self.total = total
        self.complete = complete
        self.parsed = parsed
        self.upload = upload
        self.locked = False  # refused because a year is approved (the API answers 409)

    @property
    def more(self) -> str | None:
        """Return the line under the listed errors ("En nog N fouten ..."), or None when all are listed."""
        return more_errors_text(len(self.errors), self.total, self.complete)


class UploadBusy(Refusal):
    """Other files are being parsed in this process: nothing was stored, try again shortly (503)."""

    http_status = 503

    def __init__(self):
        super().__init__(
            "Er worden nu andere bestanden gecontroleerd; uw bestand is niet verwerkt en er is niets opgeslagen. "
            "Probeer het over een minuut opnieuw."
        )


class UploadStale(Exception):
    """The preview no longer holds (stored values, the agenda or the kept file changed); nothing was stored."""


def measurement_years(indicator: Indicator, institution: Institution) -> range:
    """Return the years a value of `indicator` may be stored for: from its margin before the baseline to the period's end.

    One rule for every channel: the upload checks each row by it (_plan_parsed), the API's
    serializer each value. The upload once took the earliest baseline of all indicators, so a year
    the API refused for one indicator was stored through a file (review of 2026-12-01).
    """
    earliest = min(indicator.baseline_year, institution.period_start) - BASELINE_MARGIN_YEARS
    return range(earliest, institution.period_end + 1)


def _year_error(indicator: Indicator, institution: Institution, year: int) -> str | None:
    """Return the Dutch message for a year outside measurement_years of the indicator, or None."""
    years = measurement_years(indicator, institution)
    if year in years:
        return None
    return f"Het jaar {year} valt buiten de jaren van indicator {indicator.code}: {years[0]} tot en met {years[-1]}."


def catalogue_for(institution: Institution, scope_college: College | None = None) -> Catalogue:
    """Return what the institution's agenda allows in a benchmark file (its years: any indicator's, measurement_years)."""
    indicators = list(Indicator.objects.filter(institution=institution))
    earliest = min(
        (measurement_years(i, institution).start for i in indicators),
        default=institution.period_start - BASELINE_MARGIN_YEARS,
    )
    return Catalogue(
        indicators={i.code: i.unit for i in indicators},
        indicator_levels={i.code: frozenset(i.levels) for i in indicators},
        colleges=frozenset(College.objects.filter(institution=institution).values_list("code", flat=True)),
        teams=dict(Team.objects.filter(institution=institution).values_list("code", "college__code")),
        years=range(earliest, institution.period_end + 1),
        scope_college=scope_college.code if scope_college else None,
        breakdowns={i.code: {d: tuple(groups) for d, groups in (i.breakdowns or {}).items()} for i in indicators},
        series=frozenset(
            ContextValue.objects.filter(indicator__institution=institution)
            .exclude(series="")
            .values_list("series", flat=True)
            .distinct()
        ),
    )


def error_dict(error: RowError) -> dict:
    """Return an error in the API's shape (contracts.md section 4)."""
    body = {"row": error.row, "column": error.column, "value": error.value, "message": error.message}
    if error.sheet:
        body["sheet"] = error.sheet
    return body


@dataclass
class Change:
    """One value the file would set: where, old and new."""

    indicator: str
    year: int
    unit: str  # team or college code, or "instelling"
    old: Decimal | None
    new: Decimal
    old_n: int | None = None
    new_n: int | None = None
    # Issue 18: the source the file names (None: no `bron`, the stored one stays) and the stored one.
    source: str | None = None
    old_source: str = ""

    @property
    def kind(self) -> str:
        """Return nieuw, gewijzigd or ongewijzigd."""
        if self.old is None:
            return KIND_NEW
        same_source = self.source is None or self.source == self.old_source
        return KIND_UNCHANGED if self.old == self.new and self.old_n == self.new_n and same_source else KIND_CHANGED

    @property
    def shown_source(self) -> str:
        """Return the source the value will have after the upload (the file's, else the stored one)."""
        return self.old_source if self.source is None else self.source


@dataclass
class ContextChange:
    """One comparison-series or breakdown value the file would set (issue 18): where, which series and group, old and new."""

    row: ContextRow
    old: Decimal | None
    old_n: int | None = None
    old_source: str = ""

    @property
    def kind(self) -> str:
        """Return nieuw, gewijzigd or ongewijzigd."""
        row = self.row
        if self.old is None:
            return KIND_NEW
        same = (self.old, self.old_n, self.old_source) == (row.value, row.n, row.source)
        return KIND_UNCHANGED if same else KIND_CHANGED


@dataclass
class Conflict:
    """A cell of an edited export that changed since the export: what it was, what it is now, what the file says."""

    key: str  # "indicator|year|team": the form field that lets the user keep their own value
    row: MeasurementRow
    old: Decimal | None
    old_n: int | None
    theirs: Decimal | None
    theirs_n: int | None
    theirs_by: str

    @property
    def yours(self) -> Decimal | None:
        return self.row.value


@dataclass
class Plan:
    """A parsed, resolved file: the rows to store and how they compare with what is stored."""

    parsed: ParseResult
    rows: list[MeasurementRow]
    students: dict[tuple[College, int], int]
    changes: list[Change] = field(default_factory=list)
    checksum: str = ""
    conflicts: list[Conflict] = field(default_factory=list)
    flags: list[CellProblem] = field(default_factory=list)
    uncompared: bool = False
    context: list[ContextRow] = field(default_factory=list)  # comparison series and breakdowns (issue 18)
    context_changes: list[ContextChange] = field(default_factory=list)
    # The stored values the changes were compared with, read in the write lock when the plan is to be
    # applied at once (not for a preview): the write service takes them instead of reading them again.
    locked_read: LockedRead | None = None

    def rows_to_store(self, keep_mine=()) -> list[MeasurementRow]:
        """Return the rows to write: a conflicting cell only when the user chose their own value (`keep_mine`)."""
        conflicted = {id(c.row): c for c in self.conflicts}
        rows = []
        for row in self.rows:
            conflict = conflicted.get(id(row))
            if conflict is None:
                rows.append(row)
            elif conflict.key in keep_mine:
                # The user saw theirs in the preview and chose to replace it: compare with that.
                row.expected = (conflict.theirs, conflict.theirs_n)
                rows.append(row)
        return rows

    def counts(self) -> dict[str, int]:
        """Return the number of new, changed and unchanged values, comparison and breakdown values included."""
        result = {KIND_NEW: 0, KIND_CHANGED: 0, KIND_UNCHANGED: 0}
        for change in self.changes:
            result[change.kind] += 1
        for change in self.context_changes:
            result[change.kind] += 1
        return result

    def context_counts(self) -> dict[str, int]:
        """Return the number of new, changed and unchanged comparison and breakdown values (issue 18)."""
        result = {KIND_NEW: 0, KIND_CHANGED: 0, KIND_UNCHANGED: 0}
        for change in self.context_changes:
            result[change.kind] += 1
        return result

    def fingerprint(self) -> str:
        """Return a digest of the file and of every stored value it would replace.

        A preview hands it to the confirm form; confirming with a different fingerprint means
        the stored values changed in between, so the preview no longer shows what would happen.
        """
        digest = hashlib.sha256(self.checksum.encode())
        for c in self.changes:
            digest.update(f"{c.indicator}|{c.year}|{c.unit}|{c.old}|{c.old_n}|{c.old_source}\n".encode())
        for c in self.context_changes:
            digest.update(f"{c.row.describe()}|{c.old}|{c.old_n}|{c.old_source}\n".encode())
        return digest.hexdigest()

    def groups(self) -> list[dict]:
        """Return the counts per indicator and year, in file order."""
        groups: dict[tuple[str, int], dict] = {}
        for change in self.changes:
            key = (change.indicator, change.year)
            group = groups.get(key)
            if group is None:
                group = groups[key] = {
                    "indicator": key[0],
                    "year": key[1],
                    KIND_NEW: 0,
                    KIND_CHANGED: 0,
                    KIND_UNCHANGED: 0,
                }
            group[change.kind] += 1
        return list(groups.values())


def upload_limits() -> Limits:
    """Return what one upload may cost, from the settings (UPLOAD_*; README, Environment)."""
    return Limits(
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_unpacked_bytes=settings.UPLOAD_MAX_UNPACKED_BYTES,
        max_unpack_ratio=settings.UPLOAD_MAX_UNPACK_RATIO,
        max_rows=settings.UPLOAD_MAX_ROWS,
        max_cells=settings.UPLOAD_MAX_CELLS,
        max_errors=settings.UPLOAD_MAX_ERRORS,
        stop_after_errors=10 * settings.UPLOAD_MAX_ERRORS,
    )


_parse_slots: threading.BoundedSemaphore | None = None
_parse_slots_lock = threading.Lock()


@contextmanager
def _parse_slot():
    """Hold one of this process's UPLOAD_CONCURRENT_PARSES parse slots; raise UploadBusy after waiting too long.

    A parse holds the GIL for as long as it runs: parsing several files at once in one gunicorn
    worker only multiplies its memory, and waiting uploads must not occupy every thread the
    worker has for other pages (issue 13). The parse itself takes no database lock, so holding a
    slot never waits on a transaction (callers may hold the institution's write lock).
    """
    global _parse_slots
    with _parse_slots_lock:
        if _parse_slots is None:
            _parse_slots = threading.BoundedSemaphore(max(settings.UPLOAD_CONCURRENT_PARSES, 1))
    if not _parse_slots.acquire(timeout=settings.UPLOAD_PARSE_WAIT_SECONDS):
        raise UploadBusy
    try:
        yield
    finally:
        _parse_slots.release()


def plan_upload(
    institution: Institution, data: bytes, filename: str, scope_college: College | None = None, *, preview: bool = False
) -> Plan:
    """Parse and resolve a file against the agenda; raise UploadRejected with its errors (stores nothing).

    `preview`: also find the plausibility flags and whether an edited export can be compared,
    which only a person deciding needs (a write finds the flags itself, inside its lock).
    """
    catalogue = catalogue_for(institution, scope_college)
    with collector_paused():
        with _parse_slot():
            parsed = parse_benchmark(data, filename, catalogue, limits=upload_limits())
        if not parsed.ok:
            raise UploadRejected(parsed.errors, parsed)
        plan = _plan_parsed(institution, parsed, preview)
    plan.checksum = hashlib.sha256(data).hexdigest()
    return plan


def _plan_parsed(institution: Institution, parsed: ParseResult, preview: bool = False) -> Plan:
    """Resolve the parsed codes to the agenda's rows and compare them with the stored values."""
    indicators = {i.code: i for i in Indicator.objects.filter(institution=institution)}
    colleges = {c.code: c for c in College.objects.filter(institution=institution)}
    teams = {t.code: t for t in Team.objects.filter(institution=institution).select_related("college")}
    rows, students, context = [], {}, []
    frame = parsed.rows
    value_column = "waarde" if parsed.layout == "long" else None
    # Issue 18: a file with series, source or group columns carries them (importers.EXTRA_COLUMNS).
    blank = [None] * len(frame)
    extended = "series" in frame.columns

    def column(name: str) -> list:
        # Plain lists: iterating a Series makes a Python scalar per cell through numpy (issue 16).
        return frame[name].tolist() if name in frame.columns else blank

    # The parser hands out one Decimal per distinct text, so each is checked once (by identity).
    stored_as: dict[int, Decimal] = {}
    # The parser checked each year against every indicator's years at once; each row's own here.
    year_errors: dict[tuple[str, int], str | None] = {}
    errors: list[RowError] = []
    for code, year, college_code, team_code, value, n, sheet, line, series, dimension, group, source in zip(
        column("indicator"),
        column("year"),
        column("college"),
        column("team"),
        column("value"),
        column("n"),
        column("sheet"),
        column("row"),
        column("series") if extended else blank,
        column("dimension") if extended else blank,
        column("group") if extended else blank,
        column("source") if extended else blank,
        strict=True,
    ):
        year = int(year)
        if code == STUDENTS_CODE:
            students[(colleges[college_code], year)] = int(value)
            continue
        key = (code, year)
        if key not in year_errors:
            year_errors[key] = _year_error(indicators[code], institution, year)
        if year_errors[key]:
            column_name = "jaar" if parsed.layout == "long" else (value_column or code)
            errors.append(RowError(int(line), column_name, str(year), year_errors[key], sheet))
            continue
        exact = stored_as.get(id(value))
        if exact is None:
            exact = stored_as[id(value)] = (
                # '77,5000000' has only trailing zeros beyond storage's 6 decimals (the parser allows it).
                value.quantize(rules.STORAGE_PLACES) if value.as_tuple().exponent < -rules.MAX_DECIMALS else value
            )
        value = exact
        if series or group:
            # A comparison series or a breakdown group: never a judged value (ContextValue).
            context.append(
                ContextRow(
                    indicator=indicators[code],
                    year=year,
                    value=value,
                    college=colleges[college_code] if college_code else None,
                    series=series,
                    dimension=dimension,
                    group=group,
                    n=None if n is None else int(n),
                    source=source or "",
                    origin=(sheet, int(line), value_column or code),
                )
            )
            continue
        team = teams[team_code] if team_code else None
        row = MeasurementRow(
            indicator=indicators[code],
            year=year,
            value=value,
            college=team.college if team else (colleges[college_code] if college_code else None),
            team=team,
            # No n column: the stored n stays (ParseResult.keeps_n), read in _compare.
            n=(None if n is None else int(n)) if parsed.n_given(code) else KEEP,
            origin=(sheet, int(line), value_column or code),
            source=source,
        )
        if parsed.exported is not None:
            # An edited grid export: compare with what the cell held at export (no lost updates).
            row.expected = parsed.exported.get((code, year, team_code or college_code or ""), (None, None))
        rows.append(row)
    if errors:
        raise UploadRejected(errors, parsed)
    changes, locked_read = _compare(institution, rows, students, in_lock=not preview)
    plan = Plan(parsed=parsed, rows=rows, students=students, changes=changes, locked_read=locked_read)
    plan.context, plan.context_changes = context, _compare_context(context)
    plan.conflicts = _conflicts(rows)
    if preview:
        # Conflicting cells are flagged too: keeping one's own implausible value needs the note as well.
        plan.flags = rows_flags(institution, rows)
        # An edited grid export without its hidden sheet cannot be compared with the export (no lost updates).
        plan.uncompared = parsed.layout == "wide" and parsed.exported is None
    return plan


def _conflicts(rows: list[MeasurementRow]) -> list[Conflict]:
    """Return the cells whose stored value changed since the export and differs from the file (old, theirs, yours)."""
    checked = [row for row in rows if isinstance(row.expected, tuple)]
    if not checked:
        return []
    stored = stored_cells(checked)
    from django.contrib.auth import get_user_model

    names = dict(
        get_user_model().objects.filter(pk__in={c[3] for c in stored.values() if c[3]}).values_list("pk", "username")
    )
    conflicts = []
    for row in checked:
        current = stored.get(id(row))
        theirs, theirs_n = (current[1], current[2]) if current else (None, None)
        old, old_n = row.expected
        if (old, old_n) == (theirs, theirs_n) or (row.value, row.n) == (theirs, theirs_n):
            continue
        key = f"{row.indicator.code}|{row.year}|{row.unit_label}"
        who = names.get(current[3], "") if current else ""
        conflicts.append(Conflict(key, row, old, old_n, theirs, theirs_n, who))
    return conflicts


def _conflict_error(conflict: Conflict) -> RowError:
    """Return a conflict as a file error: the cell, with what it was at export, what it is now and the file's value."""
    row = conflict.row
    sheet, line, column = row.origin or (None, None, None)
    now = rules.dutch(conflict.theirs) if conflict.theirs is not None else "leeg"
    was = rules.dutch(conflict.old) if conflict.old is not None else "leeg"
    by = f" door {conflict.theirs_by}" if conflict.theirs_by else ""
    yours = rules.dutch(row.value) if row.value is not None else "leeg"
    message = (
        f"{row.describe()}: intussen gewijzigd{by} (bij export {was}, nu {now}); uw waarde {yours} is niet "
        "opgeslagen. Exporteer opnieuw, of upload via de pagina en kies per cel."
    )
    return RowError(line, column, yours, message, sheet)


def refused_errors(exc: WriteRefused) -> list[RowError]:
    """Return a refused write's problems as file errors (row and column as the user sees them)."""
    errors = []
    for problem in exc.problems:
        origin = problem.row.origin if problem.row is not None and problem.row.origin else (None, None, None)
        sheet, line, column = origin
        value = None if problem.row is None or problem.row.value is None else rules.dutch(problem.row.value)
        errors.append(RowError(line, column, value, problem.message, sheet))
    return errors


def _unit_label(row: MeasurementRow) -> str:
    """Return the code of a row's unit."""
    return row.team.code if row.team else (row.college.code if row.college else "instelling")


def _compare(
    institution: Institution, rows: list[MeasurementRow], students, *, in_lock: bool = False
) -> tuple[list[Change], LockedRead | None]:
    """Return each row with the stored value it would replace, and the read it compared with when `in_lock`.

    `in_lock` (a plan to apply now, in the caller's transaction): the stored values are read in the
    institution's write lock (stored_values_in_lock), and measurements_apply takes that read instead
    of making the same one again (issue 16: 100,000 values read twice in one lock).
    """
    stored, read = {}, None
    if rows:
        indicator_ids, years = {r.indicator.id for r in rows}, {r.year for r in rows}
        if in_lock:
            read = stored_values_in_lock(institution, indicator_ids, years)
            stored = read.values
        else:
            stored = stored_values(indicator_ids, years)
    changes = []
    missing = (None, None, None, None, None, "")  # stored_values' (id, value, n, updated_by, note, source)
    # The parts of a key and the unit's label once per (indicator, college, team), not per row (issue 16).
    units: dict[tuple[int, int, int], tuple] = {}
    for row in rows:
        indicator, college, team = row.indicator, row.college, row.team
        unit = units.get((id(indicator), id(college), id(team)))
        if unit is None:
            level = Level.TEAM if team else (Level.COLLEGE if college else Level.INSTITUTION)
            unit = units[(id(indicator), id(college), id(team))] = (
                indicator.id,
                str(level),
                college.id if college else None,
                team.id if team else None,
                indicator.code,
                _unit_label(row),
            )
        current = stored.get((unit[0], row.year, unit[1], unit[2], unit[3]), missing)
        if row.n is KEEP:
            # A file without an n column keeps the stored n: taken from this read, which is the one
            # in the write lock when the plan is applied (in_lock), so the write keeps what it read.
            row.n = current[2]
        changes.append(
            Change(unit[4], row.year, unit[5], current[1], row.value, current[2], row.n, row.source, current[5])
        )
    stored_students = {
        (s.college_id, s.year): s.count for s in StudentCount.objects.filter(college__institution=institution)
    }
    for (college, year), count in students.items():
        old = stored_students.get((college.pk, year))
        changes.append(Change(STUDENTS_CODE, year, college.code, None if old is None else Decimal(old), Decimal(count)))
    return changes, read


def _compare_context(rows: list[ContextRow]) -> list[ContextChange]:
    """Return each comparison or breakdown row with the stored value it would replace (series matched ignoring case)."""
    if not rows:
        return []
    stored = {
        (c.indicator_id, c.year, c.college_id, c.series.casefold(), c.dimension, c.group): c
        for c in ContextValue.objects.filter(
            indicator_id__in={r.indicator.pk for r in rows}, year__in={r.year for r in rows}
        )
    }
    changes = []
    for row in rows:
        key = (row.indicator.pk, row.year, row.college.pk if row.college else None, row.series.casefold())
        current = stored.get((*key, row.dimension, row.group))
        if current is None:
            changes.append(ContextChange(row, None))
        else:
            changes.append(ContextChange(row, current.value, current.n, current.source))
    return changes


def _read(source: bytes | File) -> tuple[bytes | None, int, str]:
    """Return the content, size and sha256 of an upload; the content is None (never read) when over the limit."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        return data, len(data), hashlib.sha256(data).hexdigest()
    size = source.size
    digest = hashlib.sha256()
    if size > settings.UPLOAD_MAX_BYTES:
        # Hash in chunks for the audit record, but never hold a file over the limit in memory.
        for chunk in source.chunks():
            digest.update(chunk)
        return None, size, digest.hexdigest()
    source.seek(0)
    data = source.read()
    digest.update(data)
    return data, len(data), digest.hexdigest()


def _store_file(institution: Institution, data: bytes, checksum: str, filename: str) -> str:
    """Keep the original file under MEDIA_ROOT, which no URL serves (settings.py); return its path."""
    folder = Path(settings.MEDIA_ROOT) / institution.code / timezone.now().strftime("%Y")
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(filename).name)[-120:]
    path = folder / f"{checksum[:16]}-{safe}"
    if not path.exists():
        path.write_bytes(data)
    return str(path)


def error_dicts(errors: list[RowError], total: int | None = None, complete: bool = True) -> list[dict]:
    """Return errors in the API's shape to keep with the record: the first UPLOAD_MAX_ERRORS and a note on the rest.

    The note is the last entry, marked with "more" (the number not listed) and "complete";
    error_listing() splits it off again for a page.
    """
    shown = errors[: settings.UPLOAD_MAX_ERRORS]
    kept = [error_dict(e) for e in shown]
    total = len(errors) if total is None else total
    more = more_errors_text(len(shown), total, complete)
    if more:
        note = {"row": None, "column": None, "value": None, "message": more}
        kept.append({**note, "more": total - len(shown), "complete": complete})
    return kept


def rejected_error_dicts(exc: UploadRejected) -> list[dict]:
    """Return a rejection's errors as error_dicts keeps them: the first ones and a note on the rest."""
    return error_dicts(exc.errors, exc.total, exc.complete)


def error_listing(errors: list[dict]) -> dict:
    """Return a page's view of kept errors: the errors to list, their total and the line on the rest."""
    listed = [e for e in errors if "more" not in e]
    notes = [e for e in errors if "more" in e]
    more = notes[0]["message"] if notes else None
    total = len(listed) + (notes[0]["more"] if notes else 0)
    complete = notes[0].get("complete", True) if notes else True
    return {"errors": listed, "error_total": total, "more_errors": more, "errors_complete": complete}


def _record(
    institution: Institution,
    *,
    data: bytes | None,
    size: int,
    checksum: str,
    filename: str,
    status: str,
    user,
    channel: str,
    scope_college: College | None,
    plan: Plan | None = None,
    parsed: ParseResult | None = None,
    rejection: UploadRejected | None = None,
) -> Upload:
    """Create the record of one received file: who, when, the kept file, checksum, duplicate flag, counts, errors."""
    parsed = plan.parsed if plan else parsed
    counts = plan.counts() if plan else dict.fromkeys((KIND_NEW, KIND_CHANGED, KIND_UNCHANGED), 0)
    if parsed is not None and parsed.over_limit:
        # A file refused by a limit (a zip bomb, a million rows) is not kept; its record (size,
        # checksum, the error) is.
        data = None
    return Upload.objects.create(
        institution=institution,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        channel=channel,
        original_name=Path(filename).name[:255] or "upload",
        stored_file=_store_file(institution, data, checksum, filename) if data is not None else "",
        size_bytes=size,
        checksum=checksum,
        file_format=parsed.file_format if parsed else "",
        layout=parsed.layout if parsed else "",
        status=status,
        duplicate_of=Upload.objects.filter(institution=institution, checksum=checksum, status=UploadStatus.ACCEPTED)
        .order_by("uploaded_at", "pk")
        .first(),
        rows_total=len(plan.changes) + len(plan.context_changes) if plan else 0,
        rows_new=counts[KIND_NEW],
        rows_changed=counts[KIND_CHANGED],
        rows_unchanged=counts[KIND_UNCHANGED],
        errors=rejected_error_dicts(rejection) if rejection is not None else [],
        scope_college=scope_college,
    )


def _receive(
    institution: Institution,
    source: bytes | File,
    filename: str,
    *,
    apply: bool,
    user,
    channel,
    scope_college,
    note: str = "",
    keep_uncounted: bool = False,
    allowed_teams=None,
) -> Upload:
    """Record a received file and plan it; apply it too when `apply`; on errors record the rejection and raise.

    `allowed_teams`: a teamleider's teams (agenda.permissions.value_write_scope); rows of other teams
    reject the file, each named with its row.
    """
    data, size, checksum = _read(source)
    recorded = {"data": data, "size": size, "checksum": checksum, "filename": filename}
    who = {"user": user, "channel": channel, "scope_college": scope_college}
    try:
        with transaction.atomic():
            if data is None:
                raise UploadRejected([size_error(size, settings.UPLOAD_MAX_BYTES)])
            if apply:
                # Plan against the values as they are once earlier writers are done (issue 8).
                lock_institution_data(institution)
            plan = plan_upload(institution, data, filename, scope_college, preview=not apply)
            # A locked year or a protected baseline is refused already in the preview, row by row
            # (an import at once meets the same checks in the write itself).
            refusal = (
                None
                if apply
                else write_refusal(
                    institution,
                    plan.rows,
                    {scope_college.pk} if scope_college else None,
                    plan.students,
                    allowed_teams=allowed_teams,
                )
            )
            if refusal is None and not apply and plan.context:
                refusal = context_refusal(
                    institution,
                    plan.context,
                    {scope_college.pk} if scope_college else None,
                    allowed_teams=allowed_teams,
                )
            if refusal is not None:
                rejected = UploadRejected(refused_errors(refusal), plan.parsed)
                rejected.locked = isinstance(refusal, YearLocked)
                raise rejected
            status = UploadStatus.ACCEPTED if apply else UploadStatus.PREVIEW
            upload = _record(institution, **recorded, **who, status=status, plan=plan)
            if apply and plan.conflicts:
                # At once (API, command) nobody can choose per cell: refuse each changed-since cell.
                raise UploadRejected([_conflict_error(c) for c in plan.conflicts], plan.parsed)
            if apply:
                try:
                    _apply(
                        institution,
                        plan,
                        upload,
                        user,
                        scope_college,
                        note=note,
                        keep_uncounted=keep_uncounted,
                        allowed_teams=allowed_teams,
                    )
                except WriteRefused as exc:
                    rejected = UploadRejected(refused_errors(exc), plan.parsed)
                    rejected.locked = isinstance(exc, YearLocked)
                    raise rejected from exc
            return upload
    except UploadRejected as exc:
        # The rejection is recorded after the rollback: an audit trail, with no value touched.
        exc.upload = _record(
            institution, **recorded, **who, status=UploadStatus.REJECTED, parsed=exc.parsed, rejection=exc
        )
        raise


def benchmark_import(
    *,
    institution: Institution,
    data: bytes | File,
    filename: str,
    user=None,
    channel: str = "command",
    scope_college: College | None = None,
    note: str = "",
    keep_uncounted: bool = False,
) -> Upload:
    """Import a benchmark file at once (command, API): all or nothing, then recompute.

    `note` confirms the values flagged as implausible; without it a flagged value rejects
    the file (each named with its row). `keep_uncounted` (a restore from a backup) accepts
    values of years in which their team is not active, kept and never counted; otherwise they
    reject the file. Cells of an edited export changed since the export
    are refused cell by cell; the preview (upload_preview) lets a person choose instead.

    `data` is the file's bytes or a Django File (an UploadedFile): a file over
    UPLOAD_MAX_BYTES is then refused without being read. Raise UploadRejected with every
    error (and the rejected record as `.upload`) when the file is not valid.
    """
    return _receive(
        institution,
        data,
        filename,
        apply=True,
        user=user,
        channel=channel,
        scope_college=scope_college,
        note=note,
        keep_uncounted=keep_uncounted,
    )


def upload_preview(
    *,
    institution: Institution,
    data: bytes | File,
    filename: str,
    user=None,
    channel: str = "web",
    scope_college: College | None = None,
    allowed_teams=None,
) -> Upload:
    """Validate a file and keep it as a preview; no value is stored until upload_confirm."""
    return _receive(
        institution,
        data,
        filename,
        apply=False,
        user=user,
        channel=channel,
        scope_college=scope_college,
        allowed_teams=allowed_teams,
    )


def _apply(
    institution: Institution,
    plan: Plan,
    upload: Upload,
    user,
    scope_college,
    keep_mine=(),
    note: str = "",
    keep_uncounted: bool = False,
    allowed_teams=None,
) -> Upload:
    """Store the plan's values and student numbers, linked to the upload, and link the recompute it asked for.

    A director's upload (`scope_college`) writes like a director: own college only, no baseline years;
    a teamleider's (`allowed_teams`) only its own teams.
    """
    source = f"upload #{upload.pk} {upload.original_name}"
    allowed = {scope_college.pk} if scope_college else None
    with collector_paused():
        values = measurements_apply(
            institution=institution,
            rows=plan.rows_to_store(keep_mine),
            user=user,
            source=source,
            upload=upload,
            allowed_colleges=allowed,
            allowed_teams=allowed_teams,
            flag_note=note,
            keep_uncounted=keep_uncounted,
            locked_read=plan.locked_read,
        )
    # Issue 18: comparison and breakdown rows in the same transaction (all or nothing with the values).
    context = context_values_apply(
        institution=institution,
        rows=plan.context,
        user=user,
        upload=upload,
        allowed_colleges=allowed,
        allowed_teams=allowed_teams,
    )
    recompute_asked = bool(values.new or values.changed or values.deleted)
    new, changed = values.new + context.new, values.changed + context.changed
    unchanged = values.unchanged + context.unchanged
    if plan.students:
        students = student_counts_apply(institution=institution, counts=plan.students, upload=upload, user=user)
        new, changed, unchanged = new + students.new, changed + students.changed, unchanged + students.unchanged
        recompute_asked = recompute_asked or bool(students.new or students.changed)
    upload.status = UploadStatus.ACCEPTED
    upload.applied_at = timezone.now()
    # The record holds what was applied, counted inside this transaction.
    upload.rows_total = len(plan.changes) + len(plan.context_changes)
    upload.rows_new, upload.rows_changed, upload.rows_unchanged = new, changed, unchanged
    if recompute_asked:  # context values move no verdict: they ask for no recompute
        # The services asked for a recompute on commit; requests coalesce into the one pending run.
        upload.recompute_run = RecomputeRun.objects.filter(institution=institution, state=RunState.PENDING).first()
    upload.save(
        update_fields=[
            "status",
            "applied_at",
            "rows_total",
            "rows_new",
            "rows_changed",
            "rows_unchanged",
            "recompute_run",
        ]
    )
    return upload


def upload_plan(upload: Upload, *, preview: bool = True) -> Plan:
    """Return the plan of a kept upload, re-read from its original file (checked against its checksum)."""
    try:
        data = Path(upload.stored_file).read_bytes() if upload.stored_file else None
    except OSError:
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != upload.checksum:
        raise UploadStale("Het bewaarde bestand ontbreekt of is gewijzigd; upload het bestand opnieuw.")
    return plan_upload(upload.institution, data, upload.original_name, upload.scope_college, preview=preview)


class NoteMissing(Exception):
    """A preview with flagged values was confirmed without the note that confirms them; nothing was stored."""


@transaction.atomic
def upload_confirm(
    *, upload: Upload, fingerprint: str, user=None, keep_mine=(), note: str = "", allowed_teams=None
) -> Upload:
    """Apply exactly what was previewed; raise UploadStale when it no longer holds (nothing stored).

    `keep_mine` names the conflicting cells (Conflict.key) for which the user chose their own
    value; the other conflicting cells keep what is stored. `note` confirms flagged values.
    `allowed_teams` limits a teamleider's confirmation to its own teams.
    """
    upload = (
        Upload.objects.select_for_update(of=("self",)).select_related("institution", "scope_college").get(pk=upload.pk)
    )
    if upload.status != UploadStatus.PREVIEW:
        raise UploadStale(f"Deze upload is al {upload.get_status_display()}; er is niets opnieuw opgeslagen.")
    lock_institution_data(upload.institution)  # compare with the values as earlier writers left them
    try:
        plan = upload_plan(upload, preview=False)
    except UploadRejected as exc:
        raise UploadStale(
            f"Het bestand past niet meer bij de agenda ({len(exc.errors)} fouten); bekijk het voorbeeld opnieuw."
        ) from exc
    if plan.fingerprint() != fingerprint:
        raise UploadStale(
            "De opgeslagen waarden zijn sinds het voorbeeld gewijzigd; er is niets opgeslagen. "
            "Bekijk het bijgewerkte voorbeeld en bevestig opnieuw."
        )
    try:
        return _apply(
            upload.institution, plan, upload, user, upload.scope_college, keep_mine, note, allowed_teams=allowed_teams
        )
    except NoteRequired as exc:
        raise NoteMissing(
            f"{len(exc.problems)} waarde(n) zijn als onwaarschijnlijk gemarkeerd; geef een korte toelichting "
            "om ze toch op te slaan. Er is niets opgeslagen."
        ) from exc
    except WriteConflict as exc:
        raise UploadStale(
            "Een waarde is sinds het voorbeeld gewijzigd; er is niets opgeslagen. " + " ".join(exc.messages[:3])
        ) from exc
    except WriteRefused as exc:
        raise UploadStale("Er is niets opgeslagen: " + " ".join(exc.messages[:3])) from exc


@transaction.atomic
def upload_cancel(*, upload: Upload) -> Upload:
    """Cancel a previewed upload; nothing was stored. Raise UploadStale when it was already applied."""
    upload = Upload.objects.select_for_update().get(pk=upload.pk)
    if upload.status == UploadStatus.PREVIEW:
        upload.status = UploadStatus.CANCELLED
        upload.save(update_fields=["status"])
    elif upload.status == UploadStatus.ACCEPTED:
        raise UploadStale("Deze upload is al verwerkt en kan niet meer worden geannuleerd.")
    return upload


def verdict_effects(upload: Upload, plan: Plan | None = None) -> dict:
    """Return the verdicts and budget amounts the upload would change, computed without saving.

    Both sides are computed now, from the stored values with and without the file, so a flip
    is caused by this upload alone, whatever recompute is still pending.
    """
    from rapportage.services import evaluate_institution

    plan = plan or upload_plan(upload)
    institution = upload.institution
    overrides = [
        {
            "indicator": r.indicator.pk,
            "year": r.year,
            "level": "team" if r.team else ("college" if r.college else "institution"),
            "college": r.college.pk if r.college else None,
            "team": r.team.pk if r.team else None,
            "value": r.value,
            "n": r.n,
        }
        for r in plan.rows
    ]
    student_overrides = {(college.code, year): count for (college, year), count in plan.students.items()}
    before = evaluate_institution(institution)
    after = evaluate_institution(institution, overrides, student_overrides)
    return {
        "flips": verdict_flips(
            before["statuses"][Version.CURRENT].values(), after["statuses"][Version.CURRENT].values()
        ),
        "budget": budget_changes(before["budgets"], after["budgets"]),
    }


def upload_files_prune(*, now=None) -> int:
    """Delete the kept files of rejected and cancelled uploads older than UPLOAD_REJECTED_RETENTION_DAYS.

    Their records stay (who, when, checksum, errors) for the audit trail; only the file goes, and
    stored_file is emptied. Accepted uploads and open previews keep their files: they are the
    provenance of stored values, or may still be confirmed. Return the number of files deleted.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.UPLOAD_REJECTED_RETENTION_DAYS)
    expired = Upload.objects.filter(
        status__in=(UploadStatus.REJECTED, UploadStatus.CANCELLED), uploaded_at__lt=cutoff
    ).exclude(stored_file="")
    deleted = 0
    for upload in expired.iterator():
        path = Path(upload.stored_file)
        # One file may back several records (same checksum and name): keep it while a record that
        # is still within retention, accepted or an open preview points at it.
        shared = (
            Upload.objects.filter(stored_file=upload.stored_file)
            .exclude(pk=upload.pk)
            .exclude(status__in=(UploadStatus.REJECTED, UploadStatus.CANCELLED), uploaded_at__lt=cutoff)
            .exists()
        )
        if not shared:
            try:
                path.unlink()
                deleted += 1
            except FileNotFoundError:
                pass
        Upload.objects.filter(pk=upload.pk).update(stored_file="")
    return deleted
