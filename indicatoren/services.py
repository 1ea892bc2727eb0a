"""Writes of measured values: one value, or many at once (grid, upload), always with history."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from agenda.choices import Level
from agenda.data_lock import DATA_LOCK_NAMESPACE, lock_institution_data  # noqa: F401 -- their old home
from agenda.models import BudgetYear, College, Indicator, Institution, Team
from agenda.selectors import latest_baseline_years, years_judged_against
from indicatoren.models import OWN_SERIES, ContextValue, Measurement, StudentCount
from kern import rules
from kern.errors import Refusal
from kern.pg_copy import NULL, copy_cell, copy_in, copy_text
from kern.signals import announce_change
from kern.text import visible_length

# django-simple-history keeps the change reason in a CharField(max_length=100).
HISTORY_REASON_LENGTH = 100
NOTE_LENGTH = rules.NOTE_MAX_LENGTH  # Measurement.note

# The write service checks in this order, all inside the institution's write lock so that no
# other writer can slip in between a check and the write (issue 12): permission, level and
# value rules (rules.py) -> sign-off lock -> baseline year -> conflicts with what the writer
# saw -> plausibility notes. Any refusal stores nothing.


class WriteRefused(Refusal):
    """A write the service refused as a whole; `problems` names each cell and why, in Dutch."""

    def __init__(self, problems: list["CellProblem"]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems[:3]) + (" …" if len(problems) > 3 else ""))

    @property
    def messages(self) -> list[str]:
        """Return every problem's message."""
        return [p.message for p in self.problems]

    def api_body(self) -> dict:
        """Return the API body of a refused write: a summary and every cell with its message."""
        cells = []
        for problem in self.problems:
            cell = {"message": problem.message}
            row = problem.row
            if row is not None:
                cell.update(indicator=row.indicator.code, year=row.year, unit=row.unit_label)
            if isinstance(self, WriteConflict):
                cell.update(stored_value=problem.stored_value, stored_n=problem.stored_n, stored_by=problem.stored_by)
            if problem.flags:
                cell["flags"] = [flag.reason for flag in problem.flags]
            cells.append(cell)
        return {"detail": " ".join(self.messages[:3]), "cells": cells}


class YearLocked(WriteRefused):
    """A write to a year that policy staff approved (vastgesteld): HTTP 409 in the API."""

    http_status = 409


class BaselineProtected(WriteRefused):
    """A write to an indicator's baseline year (or earlier) by someone who is not policy staff."""

    http_status = 403


class WriteConflict(WriteRefused):
    """A write based on an older read: the stored value changed since (no lost updates)."""

    http_status = 412


class TeamInactive(WriteRefused):
    """A new value for a year in which its team is not active: it would never count (domain.md)."""


class TeamNotAllowed(WriteRefused):
    """Rows outside a teamleider's own teams: it writes only those (issue 15), HTTP 403 in the API."""

    http_status = 403


TEAM_ONLY = "u bent geen teamleider van dit team; u mag alleen de waarden van uw eigen team(s) invoeren."


class NoteRequired(WriteRefused):
    """Values flagged as implausible were saved without the short note that confirms them."""


@dataclass
class CellProblem:
    """Why one row was refused, with what is stored now (for conflicts: theirs beside yours)."""

    row: "MeasurementRow"
    message: str
    stored_value: Decimal | None = None
    stored_n: int | None = None
    stored_by: str = ""
    flags: list = field(default_factory=list)


UNCHECKED = object()  # a row whose writer did not say what they saw: no conflict check


def value_problem(indicator: Indicator, value: Decimal) -> str | None:
    """Return why `value` is not valid for the indicator's unit, or None (kern.rules)."""
    return rules.value_problem(indicator.unit, value)


def unit_of(college: College | None, team: Team | None) -> tuple[str, College | None]:
    """Return the level and college of a unit given by team, college or neither."""
    if team is not None:
        if college is not None and team.college_id != college.pk:
            raise ValidationError(f"Team {team.code} hoort niet bij college {college.code}.")
        return Level.TEAM, team.college
    if college is not None:
        return Level.COLLEGE, college
    return Level.INSTITUTION, None


@dataclass
class MeasurementRow:
    """A value to store (or, with value None, to delete): indicator, year, unit, value and optional n.

    `expected` is what the writer saw of this cell: (value, n), (None, None) for an empty
    cell, or an ETag string (the API's If-Match); UNCHECKED skips the conflict check.
    `note` confirms a value flagged as implausible.
    """

    indicator: Indicator
    year: int
    value: Decimal | None
    college: College | None = None
    team: Team | None = None
    n: int | None = None
    expected: object = UNCHECKED
    note: str = ""
    origin: tuple | None = None  # (sheet, row, column) in an uploaded file, for its error list
    # Where the figure comes from (a file's `bron` column, issue 18: JOB or STO): written to
    # Measurement.source and compared like the value; None keeps the cell's stored source. The
    # channel that wrote it (upload, grid, API, admin) is provenance, kept in `upload` and the
    # history's change reason, never in `source`: a trend marks a change of source (JOB -> STO),
    # and a grid correction must not read as one.
    source: str | None = None

    def __post_init__(self):
        # -0 is 0: PostgreSQL's numeric has no negative zero, SQLite kept '-0.000000' as text and the
        # API then answered -0.0 (review of 2026-12-01). abs keeps the decimals as written.
        if isinstance(self.value, Decimal) and self.value.is_zero() and self.value.is_signed():
            self.value = abs(self.value)

    @property
    def unit_label(self) -> str:
        """Return the code of the row's unit."""
        return self.team.code if self.team else (self.college.code if self.college else "instelling")

    def key(self) -> tuple:
        """Return the cell's unit key (indicator, year, level, college, team), as the stored values are keyed."""
        level, college = unit_of(self.college, self.team)
        return (
            self.indicator.pk,
            self.year,
            level,
            college.pk if college else None,
            self.team.pk if self.team else None,
        )

    def describe(self) -> str:
        """Return 'indicator 1a, 2020, 5100-ECA' for messages."""
        return f"{self.indicator.code}, {self.year}, {self.unit_label}"


@dataclass
class ApplyReport:
    """How many values were new, changed, unchanged or deleted, and the flags of those stored."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    flagged: list[CellProblem] = field(default_factory=list)


def _check_unit(row: MeasurementRow, allowed_colleges) -> tuple[str, College | None]:
    """Return the row's level and college after checking institution, permission and level (not the value)."""
    level, college = unit_of(row.college, row.team)
    if college is not None and college.institution_id != row.indicator.institution_id:
        raise PermissionDenied("College of team van een andere instelling.")
    if allowed_colleges is not None and (college is None or college.pk not in allowed_colleges):
        raise PermissionDenied("Geen rechten voor deze eenheid.")
    if level not in row.indicator.levels:
        raise ValidationError(f"Indicator {row.indicator.code} wordt niet op niveau {Level(level).label} gemeten.")
    return level, college


class ReadNotInLock(RuntimeError):
    """A caller handed measurements_apply stored values it may not trust: a programming error, never the user's."""


@dataclass(frozen=True)
class LockedRead:
    """Stored values read inside the institution's write lock, by stored_values_in_lock, for a write in the same
    transaction.

    `mark` names the transaction and how many rows of the values table it had written when it read:
    measurements_apply takes the read only while both are the same (issue 16: an import read the same
    100,000 values twice in one lock, for its plan and for the write).
    """

    institution_pk: int
    mark: tuple | None  # None where the database has no transaction id to compare (SQLite): never taken
    indicator_ids: frozenset
    years: frozenset
    values: dict


def _write_mark() -> tuple | None:
    """Return (this transaction's id, rows of the values table it inserted, updated and deleted so far); None on SQLite.

    PostgreSQL's transaction id is the same for every statement of one transaction (savepoints
    included) and never reused; pg_stat_xact_user_tables counts this transaction's own writes,
    savepoints included, so a value written in between moves the mark.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_current_xact_id()::text, "
            "(SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables WHERE relid = %s::regclass)",
            [Measurement._meta.db_table],
        )
        return tuple(cursor.fetchone())


def stored_values_in_lock(institution: Institution, indicator_ids: set[int], years: set[int]) -> LockedRead:
    """Take the institution's write lock and read its stored values of these indicators and years (stored_values).

    For a caller that compares with them and then writes through measurements_apply in the same
    transaction (an upload: its plan, then the write): handed to measurements_apply as `locked_read`,
    the write service checks them against its own lock instead of reading them again.
    """
    lock_institution_data(institution)
    mark = _write_mark()
    return LockedRead(
        institution.pk, mark, frozenset(indicator_ids), frozenset(years), stored_values(indicator_ids, years)
    )


def _stored_in_lock(institution: Institution, keyed, locked_read: LockedRead | None) -> dict:
    """Return the stored values of the rows' indicators and years, read now or, when it still holds, the caller's read.

    Called after lock_institution_data. The caller's read holds when it was made by
    stored_values_in_lock for this institution, in this transaction, with no value written since,
    and covers every indicator and year of the rows: no other writer can have changed a value
    since (the lock), and this transaction did not (the mark). Anything else is a bug of the
    caller: raise ReadNotInLock rather than judge the write on values that may be stale.
    """
    indicator_ids, years = {key[0] for key, _ in keyed}, {key[1] for key, _ in keyed}
    if locked_read is None or locked_read.mark is None:
        return stored_values(indicator_ids, years)
    if locked_read.institution_pk != institution.pk:
        raise ReadNotInLock("De gelezen waarden horen bij een andere instelling.")
    if locked_read.mark != _write_mark():
        raise ReadNotInLock("De waarden zijn niet in deze transactie gelezen, of er is sindsdien geschreven.")
    if not (indicator_ids <= locked_read.indicator_ids and years <= locked_read.years):
        raise ReadNotInLock("De gelezen waarden dekken niet elke indicator en elk jaar van de rijen.")
    return locked_read.values


def etag_matches(header: str, value: Decimal | None, n: int | None, *, exists: bool) -> bool:
    """Return whether an If-Match header holds for a cell (RFC 9110 13.1.1: strong comparison, '*' = exists)."""
    from django.utils.http import parse_etags

    tags = parse_etags(header)
    if tags == ["*"]:
        return exists
    return measurement_etag(value, n) in tags  # a weak tag (W/"...") never matches strongly


def measurement_etag(value: Decimal | None, n: int | None) -> str:
    """Return the ETag of a cell's content: the API's If-Match compares it inside the write lock."""
    text = "" if value is None else format(value.normalize(), "f")
    digest = hashlib.sha256(f"{text};{'' if n is None else n}".encode()).hexdigest()[:32]
    return f'"{digest}"'


@transaction.atomic
def measurements_apply(
    *,
    institution: Institution,
    rows: list[MeasurementRow],
    user=None,
    source: str = "",
    upload=None,
    allowed_colleges=None,
    allowed_teams=None,
    flag_note: str = "",
    keep_uncounted: bool = False,
    locked_read: LockedRead | None = None,
) -> ApplyReport:
    """Insert, replace or delete many values at once, keeping history; all or nothing, one recompute.

    The one write path for values (grid, Excel, upload, API, admin, commands, demo).
    `allowed_colleges` None means policy scope (policy staff, commands); a set limits the
    writer to those colleges and keeps them out of baseline years; `allowed_teams` (a teamleider,
    agenda.permissions.value_write_scope) limits it further to those teams' rows. Raise a WriteRefused
    subclass, storing nothing, when a year is locked, a baseline is protected, a value
    changed since the writer read it, or a flagged value has no note.
    `flag_note` is the note for every flagged row that has none of its own (an upload's
    confirmation, a command's --note). `keep_uncounted` lets a restore from a backup put back
    values of years in which their team is not active (kept, never counted); every other
    channel refuses them (TeamInactive). `locked_read` (stored_values_in_lock, the caller's read in
    this transaction and lock) spares reading the stored values again; every check below still runs
    on them (_stored_in_lock).
    """
    report = ApplyReport()
    keyed = _keyed_rows(institution, rows, allowed_colleges)
    lock_institution_data(institution)
    stored = _stored_in_lock(institution, keyed, locked_read)
    _refuse_conflicts(keyed, stored)
    creates, updates, deletes, changing = _changes(keyed, stored)
    report.unchanged = len(keyed) - len(changing)
    _refuse_other_teams(changing, allowed_teams)
    # Only rows that change something meet the year lock and the baseline protection: an
    # unchanged export or backup that repeats an approved year is no write (review, issue 12).
    _refuse_locked(institution, changing)
    _refuse_locked_baseline(institution, changing)
    if allowed_colleges is not None:
        _refuse_baseline(changing)
    if not keep_uncounted:
        _refuse_inactive(changing)
    revalued = [(key, row) for key, row in changing if row.value is not None and _value_changes(row, stored.get(key))]
    report.flagged = plausibility_problems(institution, revalued, stored)
    flag_note = (flag_note or "").strip()
    if rules.note_problem(flag_note):
        raise ValidationError(rules.note_problem(flag_note))
    # A note confirms a flagged value only when a reader can see it: zero-width spaces say nothing.
    for problem in report.flagged:
        if not visible_length(problem.row.note) and visible_length(flag_note):
            problem.row.note = flag_note
    missing = [problem for problem in report.flagged if not visible_length(problem.row.note)]
    if missing:
        raise NoteRequired(missing)
    report.new, report.changed, report.deleted = len(creates), len(updates), len(deletes)
    if not creates and not updates and not deletes:
        return report
    source = source[: rules.SOURCE_MAX_LENGTH]
    now = timezone.now()
    if creates or updates:
        store = _store_postgresql if connection.vendor == "postgresql" else _store_orm
        store(creates, updates, user=user, source=source, upload=upload, now=now)
    if deletes:
        _delete(deletes, user=user, source=source)
    announce_change(institution=institution, reason=source or "waarden gewijzigd")
    return report


KEEP = object()  # MeasurementRow.n: keep the stored n (an API POST or PATCH without n), read inside the lock


def _changes(keyed, stored) -> tuple[list, list, list, list]:
    """Return the rows to create, to update (stored id, key, row), the ids to delete, and every (key, row) that changes.

    A row that keeps n (KEEP) takes the stored n; an unchanged value without a new note keeps
    the stored note, so correcting n alone never drops the note of a flagged value.
    """
    creates, updates, deletes, changing = [], [], [], []
    for key, row in keyed:
        current = stored.get(key)
        if row.n is KEEP:
            row.n = current[2] if current else None
        if row.value is None:
            if current is not None:
                deletes.append(current[0])
                changing.append((key, row))
            continue
        if current is None:
            creates.append((key, row))
            changing.append((key, row))
            continue
        if not row.note and current[1] == row.value:
            row.note = current[4]
        # A named source that differs is a change of its own (JOB read as STO misleads a trend);
        # a row that names none keeps the cell's.
        if row.source is None or row.source.casefold() == current[5].casefold():
            row.source = current[5]  # none named, or the same source in other letters ('job', 'JOB')
        if (current[1], current[2], current[4], current[5]) != (row.value, row.n, row.note, row.source):
            updates.append((current[0], key, row))
            changing.append((key, row))
    return creates, updates, deletes, changing


def _value_changes(row: MeasurementRow, current) -> bool:
    """Return whether the row sets a value the cell does not hold yet (the plausibility rule asks only then)."""
    return current is None or current[1] != row.value


def _keyed_rows(
    institution: Institution, rows: list[MeasurementRow], allowed_colleges
) -> list[tuple[tuple, MeasurementRow]]:
    """Return each row with its unit key (indicator, year, level, college, team) after every check.

    The unit checks (institution, permission, level) depend only on the row's indicator, college
    and team objects, and a value that obeys the rules obeys them for every row of the same unit
    of measure: both are checked once per distinct case, not once per row (an upload of 100,000
    values has a few thousand units; issue 16). Rows are still checked in order, so the first
    problem raised is the same as before.
    """
    seen = set()
    keyed = []
    units: dict[tuple[int, int, int], tuple] = {}  # id() of indicator, college, team -> key parts
    valid_values: set[tuple[str, Decimal]] = set()  # (unit of measure, value) pairs without a problem
    institution_pk = institution.pk
    for row in rows:
        indicator = row.indicator
        objects = (id(indicator), id(row.college), id(row.team))
        unit = units.get(objects)
        if unit is None:
            if indicator.institution_id != institution_pk:
                raise PermissionDenied("Indicator van een andere instelling.")
            level, college = _check_unit(row, allowed_colleges)
            team = row.team
            # str(): the level as stored and as COPY writes it, not the Level member.
            unit = units[objects] = (
                indicator.pk,
                str(level),
                college.pk if college else None,
                team.pk if team else None,
            )
        value, n = row.value, row.n
        if value is not None and (indicator.unit, value) not in valid_values:
            problem = value_problem(indicator, value)
            if problem:
                raise ValidationError(problem)
            # No problem holds for every equal value: the range compares values, and the decimals
            # rule counts significant decimals, which equal values share.
            valid_values.add((indicator.unit, value))
        if n is not None and n is not KEEP and rules.n_problem(n):
            raise ValidationError(rules.n_problem(n))
        key = (unit[0], row.year, unit[1], unit[2], unit[3])
        if key in seen:
            where = row.team or row.college or "de instelling"
            raise ValidationError(f"Dubbele waarde voor indicator {indicator.code}, jaar {row.year}, {where}.")
        seen.add(key)
        row.note = (row.note or "").strip()
        if rules.note_problem(row.note):
            raise ValidationError(f"{row.describe()}: {rules.note_problem(row.note)}")
        if row.source is not None:
            row.source = row.source.strip()[: rules.SOURCE_MAX_LENGTH]
        keyed.append((key, row))
    return keyed


def _refuse_other_teams(changing, allowed_teams) -> None:
    """Raise TeamNotAllowed for rows that would change a value outside a teamleider's teams, each named.

    Only changing rows: an export of the whole college repeats the other teams' values unchanged.
    """
    if allowed_teams is None:
        return
    problems = [
        CellProblem(row, f"{row.describe()}: {TEAM_ONLY}")
        for _, row in changing
        if row.team is None or row.team.pk not in allowed_teams
    ]
    if problems:
        raise TeamNotAllowed(problems)


def _refuse_locked(institution: Institution, keyed) -> None:
    """Raise YearLocked when a row falls in a college-year (or the institution's year) that is approved."""
    from indicatoren.signoff import approved_units

    locked = approved_units(institution, {key[1] for key, _ in keyed})
    problems = []
    for key, row in keyed:
        approval = locked.get((key[3], key[1]))
        if approval is not None:
            problems.append(CellProblem(row, f"{row.describe()}: {approval}"))
    if problems:
        raise YearLocked(problems)


def _refuse_locked_baseline(institution: Institution, keyed) -> None:
    """Raise YearLocked for a value of a baseline year while a year judged against that baseline is approved.

    Teams and colleges are judged against their values in the baseline year (domain.md, step 2),
    and the institution's baseline from data is their aggregate: correcting 2017 after 2020 was
    approved changed the 2020 verdict the board had as vastgesteld ("Sign-off and locking"). Any
    approved unit of that year locks it, as the institution's baseline reaches every college.
    """
    from indicatoren.signoff import approved_units

    if not keyed:
        return
    locked = approved_units(institution, institution.years)
    if not locked:
        return  # the usual case, before any approval: no pass over the rows
    judged = years_judged_against({row.indicator for _, row in keyed}, institution.years)
    problems = []
    for _, row in keyed:
        for year in judged[row.indicator.pk].get(row.year, ()):
            unit = next((unit for unit in sorted(locked, key=str) if unit[1] == year), None)
            if unit is not None:
                message = f"{row.year} is de nulmeting waarmee {year} wordt beoordeeld, en {locked[unit]}"
                problems.append(CellProblem(row, f"{row.describe()}: {message}"))
                break
    if problems:
        raise YearLocked(problems)


def team_inactive_problem(team, year: int) -> str | None:
    """Return why a team cannot get a new value for `year` (not active then), or None (domain.md)."""
    if team is None or team.is_active(year):
        return None
    span = " ".join(
        part
        for part in (
            f"vanaf {team.active_from}" if team.active_from is not None else "",
            f"tot en met {team.active_until}" if team.active_until is not None else "",
        )
        if part
    )
    return (
        f"Team {team.code} is in {year} niet actief (actief {span}); een waarde voor dat jaar telt niet mee "
        "en wordt niet opgeslagen."
    )


def _refuse_inactive(keyed) -> None:
    """Raise TeamInactive for new values of a team in a year it is not active (deleting stays possible)."""
    problems = []
    for _, row in keyed:
        message = team_inactive_problem(row.team, row.year) if row.value is not None else None
        if message:
            problems.append(CellProblem(row, f"{row.describe()}: {message}"))
    if problems:
        raise TeamInactive(problems)


def _refuse_baseline(keyed) -> None:
    """Raise BaselineProtected for rows in an indicator's baseline year or before: the bar teams are judged by.

    The latest baseline year counts, revised ones included: a director who could still write the
    2019 values after a herijking judged 2021 against 2019 would set their own teams' bar.
    """
    latest = latest_baseline_years({row.indicator for _, row in keyed}) if keyed else {}
    problems = [
        CellProblem(
            row,
            f"{row.describe()}: {row.year} is het referentiejaar (nulmeting) van {row.indicator.code} of eerder; "
            "alleen een beleidsmedewerker mag deze waarden wijzigen.",
        )
        for _, row in keyed
        if row.year <= latest[row.indicator.pk]
    ]
    if problems:
        raise BaselineProtected(problems)


def baseline_refusals(college: College, year: int, indicators, *, allowed_colleges) -> dict[int, list[tuple[str, str]]]:
    """Return, per indicator id, why measurements_apply would refuse any value of `year` for this writer's scope.

    The baseline's two rules ("Sign-off and locking": a baseline year under an approved year is
    locked; baseline-year values are policy staff's only) depend on the indicator and the year
    alone, so a page can show a whole column read-only (the grid) with the service's own words:
    [("approved" | "baseline", message without the cell it names)], in the order measurements_apply
    checks them. `allowed_colleges` None is policy scope, as there.
    """
    keyed = [(None, MeasurementRow(indicator=i, year=year, value=None, college=college)) for i in indicators]
    checks = [("approved", lambda rows: _refuse_locked_baseline(college.institution, rows))]
    if allowed_colleges is not None:
        checks.append(("baseline", _refuse_baseline))
    found: dict[int, list[tuple[str, str]]] = {}
    for kind, check in checks:
        try:
            check(keyed)
        except WriteRefused as refused:
            for problem in refused.problems:
                message = problem.message.removeprefix(f"{problem.row.describe()}: ")
                found.setdefault(problem.row.indicator.pk, []).append((kind, message))
    return found


def _refuse_conflicts(keyed, stored) -> None:
    """Raise WriteConflict for every row whose cell changed since its writer read it (old, theirs, yours)."""
    problems = []
    names = None
    for key, row in keyed:
        if row.expected is UNCHECKED:
            continue
        current = stored.get(key)
        now_value, now_n = (current[1], current[2]) if current else (None, None)
        wanted_n = now_n if row.n is KEEP else row.n
        if row.value is None and current is None:
            continue  # deleting what is not there: nothing is lost
        if row.value is not None and (row.value, wanted_n) == (now_value, now_n):
            continue  # the writer asks for what is stored already: nothing is lost
        if isinstance(row.expected, str):
            same = etag_matches(row.expected, now_value, now_n, exists=current is not None)
        else:
            seen_value, seen_n = row.expected
            same = (seen_value, seen_n) == (now_value, now_n) or (seen_value is None and current is None)
        if same:
            continue
        if names is None:
            names = _user_names({c[3] for c in stored.values() if c[3]})
        who = names.get(current[3], "") if current else ""
        now = f"nu {rules.dutch(now_value)}" if now_value is not None else "nu leeg"
        by = f" door {who}" if who else ""
        yours = "leeg" if row.value is None else rules.dutch(row.value)
        problems.append(
            CellProblem(
                row,
                f"{row.describe()}: intussen gewijzigd{by} ({now}); uw waarde {yours} is niet opgeslagen.",
                stored_value=now_value,
                stored_n=now_n,
                stored_by=who,
            )
        )
    if problems:
        raise WriteConflict(problems)


def _user_names(ids: set[int]) -> dict[int, str]:
    """Return the usernames of the given user ids."""
    from django.contrib.auth import get_user_model

    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def write_refusal(
    institution: Institution, rows: list[MeasurementRow], allowed_colleges=None, students=None, allowed_teams=None
) -> WriteRefused | None:
    """Return why the write services would refuse these rows (and student numbers) for a locked year or a
    protected baseline, or None: a dry run for previews. The writes check again inside their lock.
    """
    from indicatoren.signoff import approved_units

    keyed = _keyed_rows(institution, rows, allowed_colleges)
    stored = stored_values({key[0] for key, _ in keyed}, {key[1] for key, _ in keyed})
    changing = _changes(keyed, stored)[3]
    try:
        _refuse_other_teams(changing, allowed_teams)
        _refuse_locked(institution, changing)
        _refuse_locked_baseline(institution, changing)
        if allowed_colleges is not None:
            _refuse_baseline(changing)
        _refuse_inactive(changing)
        _refuse_locked_students(institution, students or {}, approved_units)
    except WriteRefused as exc:
        return exc
    return None


def _refuse_locked_students(institution: Institution, counts: dict, approved_units) -> None:
    """Raise YearLocked for student numbers that would change in an approved college-year, or that a later
    approved budget year of the college borrows.

    A budget year without its own student numbers splits by the latest earlier year's (domain.md,
    "Budget, precisely"): writing that year's count moved the money of the approved later year
    ("Sign-off and locking"), and the year borrowed may lie before the period, where no approval
    can reach it. So the count a budget year reads is locked by that year's approval: the stored
    count of the latest earlier year, and a new count between it and the budget year.
    """
    if not counts:
        return
    first = min(year for _, year in counts)
    budget_years = sorted(
        set(BudgetYear.objects.filter(institution=institution, year__gt=first).values_list("year", flat=True))
    )
    locked = approved_units(institution, {year for _, year in counts} | set(budget_years))
    stored = {
        (s.college_id, s.year): s.count
        for s in StudentCount.objects.filter(college__institution=institution, year__gte=first)
    }
    refused = []
    for (college, year), count in counts.items():
        if stored.get((college.pk, year)) == count:
            continue
        if (college.pk, year) in locked:
            refused.append(f"Studentaantal {college.code} {year}: {locked[(college.pk, year)]}")
            continue
        borrower = next(
            (
                later
                for later in budget_years
                if later > year
                and (college.pk, later) in locked
                and not any((college.pk, between) in stored for between in range(year + 1, later + 1))
            ),
            None,
        )
        if borrower is not None:
            refused.append(
                f"Studentaantal {college.code} {year}: het budget van {borrower} verdeelt met dit aantal "
                f"(het laatste van {college.code} tot en met {borrower}), en {locked[(college.pk, borrower)]}"
            )
    if refused:
        raise YearLocked([CellProblem(None, message) for message in refused])


def rows_flags(institution: Institution, rows: list[MeasurementRow]) -> list[CellProblem]:
    """Return the plausibility flags of the rows that would set a new value (for a dry run)."""
    keyed = [(r.key(), r) for r in rows if r.value is not None]
    stored = stored_values({key[0] for key, _ in keyed}, {key[1] for key, _ in keyed})
    changing = [(key, row) for key, row in keyed if _value_changes(row, stored.get(key))]
    return plausibility_problems(institution, changing, stored)


def stored_cells(rows: list[MeasurementRow]) -> dict[int, tuple]:
    """Return, per id() of a row, the stored (id, value, n, updated_by id, note, source) of its cell, for a dry run."""
    keyed = {id(r): r.key() for r in rows}
    stored = stored_values({key[0] for key in keyed.values()}, {key[1] for key in keyed.values()})
    return {row_id: stored[key] for row_id, key in keyed.items() if key in stored}


def plausibility_problems(institution: Institution, keyed, stored: dict | None = None) -> list[CellProblem]:
    """Return a CellProblem for every row whose new value is valid but implausible (kern.rules).

    Peers are the other units of the same indicator, year and level as they will be after
    the write (those not written by it are counted apart: only they clear a jump from history);
    history is the unit's nearest earlier stored (or written) value. `stored` is
    stored_values() of the rows' indicators and years, read in the same lock: only the other
    years are read again (issue 16: the same 100,000 values were read twice).
    """
    keyed = [(key, row) for key, row in keyed if row.value is not None]
    if not keyed:
        return []
    indicator_ids = {key[0] for key, _ in keyed}
    written_units = {(key[0], key[2], key[3], key[4]) for key, _ in keyed}
    values: dict[tuple, Decimal] = {}
    query = Measurement.objects.filter(indicator_id__in=indicator_ids)
    if stored is not None:
        # The peers are in `stored` (same indicators and years); other years give only the history
        # of the units being written: a grid save reads a team's earlier years, not every unit's.
        query = query.exclude(year__in={key[1] for key, _ in keyed})
        if len(written_units) <= UNIT_FILTER_LIMIT:
            query = query.filter(_units_filter(written_units))
        for key, current in stored.items():
            if key[0] in indicator_ids:
                values[key] = current[1]
    for row in value_rows(query.values_list("indicator_id", "year", "level", "college_id", "team_id", "value")):
        values[row[:5]] = row[5]
    for key, row in keyed:
        values[key] = row.value
    # One pass over the values: the peers of each (indicator, year, level) group, and the
    # (year, value) history of the units being written only (issue 16: 100,000 rows).
    groups: dict[tuple, list[Decimal]] = {}
    history: dict[tuple, list[tuple[int, Decimal]]] = {}
    for (indicator, year, level, college, team), value in values.items():
        group = groups.get((indicator, year, level))
        if group is None:
            groups[(indicator, year, level)] = [value]
        else:
            group.append(value)
        unit = (indicator, level, college, team)
        if unit in written_units:
            entries = history.get(unit)
            if entries is None:
                history[unit] = [(year, value)]
            else:
                entries.append((year, value))
    stats: dict[tuple, rules.PeerStats] = {}
    # How many of a group's values this write brings: the others are independent of it, and only
    # they may vouch for a value that jumps from its history (kern.rules.plausibility_flags).
    written_in_group = Counter(key[:3] for key, _ in keyed)
    problems = []
    flags_of = rules.plausibility_flags
    for key, row in keyed:
        indicator, year, level, college, team = key
        previous = None
        for entry in history[(indicator, level, college, team)]:
            # The nearest earlier (year, value): a unit has one value a year, so the latest earlier year.
            if entry[0] < year and (previous is None or entry[0] > previous[0]):
                previous = entry
        peers = stats.get((indicator, year, level))
        if peers is None:  # once per group: a median per value would be quadratic in big files
            peers = stats[(indicator, year, level)] = rules.PeerStats.of(groups[(indicator, year, level)])
        independent = peers.count - written_in_group[(indicator, year, level)]
        flags = flags_of(row.indicator.unit, row.value, peers=peers, previous=previous, independent=independent)
        if flags:
            message = f"{row.describe()}: {rules.flags_text(flags)} Sla op met een korte toelichting."
            problems.append(CellProblem(row, message, flags=flags))
    return problems


UNIT_FILTER_LIMIT = 500  # more units than this: read the indicators' other years whole (one scan, no long IN list)


def _units_filter(units: set[tuple]) -> Q:
    """Return the filter of the stored values of the given (indicator, level, college, team) units, any year."""
    teams = {team for _, level, _, team in units if level == Level.TEAM}
    colleges = {college for _, level, college, _ in units if level == Level.COLLEGE}
    found = Q(level=Level.TEAM, team_id__in=teams) | Q(level=Level.COLLEGE, college_id__in=colleges)
    if any(level == Level.INSTITUTION for _, level, _, _ in units):
        found |= Q(level=Level.INSTITUTION)
    return found


def stored_values(indicator_ids: set[int], years: set[int]) -> dict[tuple, tuple[int, Decimal, int | None]]:
    """Return the stored (id, value, n, updated_by id, note, source) per unit key, as plain tuples (no model instances)."""
    if not indicator_ids:
        return {}
    rows = Measurement.objects.filter(indicator_id__in=indicator_ids, year__in=years).values_list(
        "indicator_id", "year", "level", "college_id", "team_id", "pk", "value", "n", "updated_by_id", "note", "source"
    )
    return {row[:5]: row[5:] for row in value_rows(rows)}


def value_rows(query):
    """Yield the tuples of a values_list() query of stored values: on PostgreSQL straight from the cursor.

    psycopg2 returns numeric as Decimal and the other columns as the ORM would, so the ORM's
    per-row converters add nothing there but cost about 10 µs a row: a third of the reads of a
    100,000-row import (bench/import_bench.py, issue 16). SQLite keeps the ORM, whose ValueField
    turns the stored exact text back into a Decimal.
    """
    if connection.vendor != "postgresql":
        yield from query.iterator(chunk_size=10_000)
        return
    sql, params = query.query.sql_with_params()
    # A server-side cursor, as the ORM's iterator() uses: the client never holds all rows at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(10_000):
            yield from chunk


def _history_user_id(user) -> int | None:
    """Return the id of the user history records name: the given one, else the request's (middleware)."""
    if user is not None and getattr(user, "pk", None) is not None:
        return user.pk
    default = Measurement.history.model.get_default_history_user(None)
    return getattr(default, "pk", None)


def _store_orm(creates, updates, *, user, source: str, upload, now) -> None:
    """Store through the ORM with django-simple-history's bulk helpers (SQLite, the demo setup)."""
    user = user if getattr(user, "pk", None) is not None else None
    reason = source[:HISTORY_REASON_LENGTH]
    if creates:
        objects = [
            Measurement(
                indicator=row.indicator,
                year=row.year,
                level=key[2],
                college_id=key[3],
                team_id=key[4],
                value=row.value,
                n=row.n,
                note=row.note,
                source=_row_source(row),
                upload=upload,
                updated_by=user,
                updated_at=now,
            )
            for key, row in creates
        ]
        bulk_create_with_history(objects, Measurement, batch_size=2000, default_user=user, default_change_reason=reason)
    if updates:
        # Every column is known: the unit from its key (read in the lock), the rest is written now.
        # No second read of the rows being replaced (a grid save, or 100,000 on SQLite).
        objects = [
            Measurement(
                pk=pk,
                indicator_id=key[0],
                year=key[1],
                level=key[2],
                college_id=key[3],
                team_id=key[4],
                value=row.value,
                n=row.n,
                note=row.note,
                source=_row_source(row),
                upload=upload,
                updated_by=user,
                updated_at=now,
            )
            for pk, key, row in updates
        ]
        bulk_update_with_history(
            objects,
            Measurement,
            ["value", "n", "note", "source", "upload", "updated_by", "updated_at"],
            batch_size=2000,
            default_user=user,
            default_change_reason=reason,
        )


def _row_source(row: MeasurementRow) -> str:
    """Return the source to store for a row: its own (a file's `bron`), else none (the channel is provenance)."""
    return "" if row.source is None else row.source


# The values table's columns as COPY writes them; its history table tracks the same ones
# (tests/indicatoren/test_store_copy.py keeps the two lists equal).
STORED_COLUMNS = (
    "id",
    "indicator_id",
    "year",
    "level",
    "college_id",
    "team_id",
    "value",
    "n",
    "source",
    "note",
    "upload_id",
    "updated_at",
    "updated_by_id",
)
HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _copy_lines(rows, tail: str) -> list[str]:
    """Return a COPY line (STORED_COLUMNS) per (id, key, row); `tail` holds upload_id, updated_at, updated_by_id.

    A row without a source stores none (_row_source); empty text needs no escaping.
    """
    text = copy_text
    return [
        f"{pk}\t{indicator}\t{year}\t{level}\t{NULL if college is None else college}\t"
        f"{NULL if team is None else team}\t{row.value:f}\t{NULL if row.n is None else row.n}\t"
        f"{text(row.source) if row.source else ''}\t{text(row.note) if row.note else ''}\t{tail}"
        for pk, (indicator, year, level, college, team), row in rows
    ]


def _store_postgresql(creates, updates, *, user, source: str, upload, now) -> None:
    """Store on PostgreSQL with COPY: new values straight into the table, changed ones through a staging table.

    History rows are COPY'd from the very lines the values are stored from, so history holds
    exactly the stored values, as django-simple-history's bulk helpers would write them ('+'
    created, '~' changed), without building 200,000 model instances. New values get their ids
    from the table's own sequence first, so their history rows can name them. COPY writes a page
    of rows per log record where INSERT ... SELECT writes one per row (issue 16: the import within
    3x of COPY with production durability; bench/import_bench.py). Constraints, foreign keys and
    the unique unit keys are checked by PostgreSQL as for any insert.
    """
    quote = connection.ops.quote_name
    table = Measurement._meta.db_table
    history_table = Measurement.history.model._meta.db_table
    write_history = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    stamp = now.isoformat()
    tail = f"{copy_cell(getattr(upload, 'pk', None))}\t{stamp}\t{copy_cell(getattr(user, 'pk', None))}"
    reason = copy_text(source[:HISTORY_REASON_LENGTH])
    history_user = copy_cell(_history_user_id(user))
    columns = ", ".join(quote(column) for column in STORED_COLUMNS)
    history_columns = f"{columns}, {', '.join(quote(column) for column in HISTORY_COLUMNS)}"
    with connection.cursor() as cursor:
        if creates:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(creates)]
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            lines = _copy_lines(((pk, key, row) for pk, (key, row) in zip(ids, creates, strict=True)), tail)
            copy_in(cursor, f"COPY {quote(table)} ({columns}) FROM STDIN", lines)
            if write_history:
                end = f"\t{stamp}\t{reason}\t+\t{history_user}\n"
                copy_in(cursor, f"COPY {quote(history_table)} ({history_columns}) FROM STDIN", lines, end)
        if updates:
            lines = _copy_lines(updates, tail)
            cursor.execute(f"CREATE TEMPORARY TABLE measurement_stage (LIKE {quote(table)}) ON COMMIT DROP")
            copy_in(cursor, f"COPY measurement_stage ({columns}) FROM STDIN", lines)
            cursor.execute(
                f"UPDATE {quote(table)} AS m SET value = s.value, n = s.n, note = s.note, source = s.source, "
                "upload_id = s.upload_id, updated_at = s.updated_at, updated_by_id = s.updated_by_id "
                "FROM measurement_stage AS s WHERE m.id = s.id"
            )
            cursor.execute("DROP TABLE measurement_stage")
            if write_history:
                end = f"\t{stamp}\t{reason}\t~\t{history_user}\n"
                copy_in(cursor, f"COPY {quote(history_table)} ({history_columns}) FROM STDIN", lines, end)


def _delete(ids: list[int], *, user, source: str) -> None:
    """Delete values deliberately emptied by their writer; history keeps each one ('-')."""
    for measurement in Measurement.objects.filter(pk__in=ids):
        measurement._history_user = user if getattr(user, "pk", None) is not None else None
        measurement._change_reason = (source or "waarde verwijderd")[:HISTORY_REASON_LENGTH]
        measurement.delete()


def measurement_record(
    *,
    indicator: Indicator,
    year: int,
    value: Decimal,
    college=None,
    team=None,
    n=None,
    user=None,
    source="",
    allowed_colleges=None,
    allowed_teams=None,
    expected=UNCHECKED,
    note: str = "",
) -> ApplyReport:
    """Insert or replace one value (with history) and ask for a recompute."""
    row = MeasurementRow(
        indicator=indicator, year=year, value=value, college=college, team=team, n=n, expected=expected, note=note
    )
    return measurements_apply(
        institution=indicator.institution,
        rows=[row],
        user=user,
        source=source,
        allowed_colleges=allowed_colleges,
        allowed_teams=allowed_teams,
    )


def measurement_delete(
    *,
    measurement: Measurement,
    user=None,
    allowed_colleges=None,
    allowed_teams=None,
    expected=UNCHECKED,
    source: str = "",
) -> ApplyReport:
    """Delete one value (history keeps it) through the one write path, and ask for a recompute."""
    if allowed_colleges is not None and measurement.college_id not in allowed_colleges:
        raise PermissionDenied("Geen rechten voor deze eenheid.")
    row = MeasurementRow(
        indicator=measurement.indicator,
        year=measurement.year,
        value=None,
        college=measurement.college,
        team=measurement.team,
        expected=expected,
    )
    return measurements_apply(
        institution=measurement.indicator.institution,
        rows=[row],
        user=user,
        source=source or "waarde verwijderd",
        allowed_colleges=allowed_colleges,
        allowed_teams=allowed_teams,
    )


@transaction.atomic
def student_counts_apply(
    *, institution: Institution, counts: dict[tuple[College, int], int], upload=None, user=None
) -> ApplyReport:
    """Insert or replace student numbers per college and year (the budget weights)."""
    from indicatoren.signoff import approved_units

    report = ApplyReport()
    for (college, year), count in counts.items():
        if college.institution_id != institution.pk:
            raise PermissionDenied("College van een andere instelling.")
        problem = rules.student_count_problem(count)
        if problem:
            raise ValidationError(f"Studentaantal {college.code} {year}: {problem}")
    lock_institution_data(institution)
    _refuse_locked_students(institution, counts, approved_units)
    for (college, year), count in counts.items():
        current = StudentCount.objects.filter(college=college, year=year).first()
        if current is None:
            current = StudentCount(college=college, year=year, count=count, upload=upload)
            current._history_user = user  # simple-history records who set it
            current.save()
            report.new += 1
        elif current.count != count:
            current.count, current.upload = count, upload
            current._history_user = user
            current.save()
            report.changed += 1
        else:
            report.unchanged += 1
    if report.new or report.changed:
        announce_change(institution=institution, reason="studentaantallen gewijzigd")
    return report


# --- comparison series and breakdowns (issue 18) ----------------------------------------------
# ContextValue rows never reach the engine, a verdict or a euro, so their writes ask for no
# recompute. They keep the rules that guard what people read: the value rules, the institution
# boundary, who may write which unit, history, and the year lock for the own institution's
# breakdowns. Comparison series (landelijk, DUO) are other people's published figures, which
# often arrive after a year is approved: the year lock does not hold them back.

CONTEXT_POLICY_ONLY = "alleen een beleidsmedewerker levert vergelijkingsreeksen en waarden op instellingsniveau aan."


@dataclass
class ContextRow:
    """A comparison-series or breakdown value to store: indicator, year, unit (institution or college), series, group."""

    indicator: Indicator
    year: int
    value: Decimal
    college: College | None = None  # None: the institution level
    series: str = OWN_SERIES
    dimension: str = ""
    group: str = ""
    n: int | None = None
    source: str = ""
    note: str = ""
    origin: tuple | None = None  # (sheet, row, column) in an uploaded file, for its error list

    @property
    def level(self) -> str:
        """Return the row's level: college or institution."""
        return Level.COLLEGE if self.college is not None else Level.INSTITUTION

    @property
    def unit_label(self) -> str:
        """Return the code of the row's unit."""
        return self.college.code if self.college else "instelling"

    def key(self) -> tuple:
        """Return (indicator, year, level, college, series, dimension, group); year and college where _refuse_locked reads them."""
        return (
            self.indicator.pk,
            self.year,
            self.level,
            self.college.pk if self.college else None,
            self.series.casefold(),
            self.dimension,
            self.group,
        )

    def describe(self) -> str:
        """Return '2a-entree, 2020, instelling, reeks landelijk, vooropleiding: PrO' for messages."""
        parts = [self.indicator.code, str(self.year), self.unit_label]
        if self.series:
            parts.append(f"reeks {self.series}")
        if self.group:
            parts.append(f"{self.dimension}: {self.group}")
        return ", ".join(parts)


def _check_context_row(row: ContextRow, institution: Institution, allowed_colleges, known_series) -> None:
    """Check one context row in place: boundary, permission, shape, declared group, value rules; normalise its series."""
    if row.indicator.institution_id != institution.pk:
        raise PermissionDenied("Indicator van een andere instelling.")
    if row.college is not None and row.college.institution_id != institution.pk:
        raise PermissionDenied("College van een andere instelling.")
    series, problem = rules.series_label(row.series)
    if problem:
        raise ValidationError(problem)
    row.series = rules.series_match(series, known_series)
    if allowed_colleges is not None and (row.series or row.college is None or row.college.pk not in allowed_colleges):
        # agenda.permissions.value_write_scope: a director writes its own colleges' own figures only.
        raise PermissionDenied(f"{row.describe()}: {CONTEXT_POLICY_ONLY}")
    if bool(row.dimension) != bool(row.group):
        raise ValidationError(f"{row.describe()}: een groep hoort bij een dimensie.")
    if not row.series and not row.group:
        raise ValidationError(f"{row.describe()}: het eigen totaal is een meting, geen vergelijkingswaarde.")
    if row.group and row.group not in (row.indicator.breakdowns or {}).get(row.dimension, ()):
        raise ValidationError(
            f"{row.describe()}: groep '{row.group}' is voor {row.indicator.code} niet gedeclareerd in de agenda."
        )
    problem = value_problem(row.indicator, row.value) or rules.n_problem(row.n)
    if problem:
        raise ValidationError(f"{row.describe()}: {problem}")
    row.source = (row.source or "").strip()[: rules.SOURCE_MAX_LENGTH]
    row.note = (row.note or "").strip()
    if rules.note_problem(row.note):
        raise ValidationError(f"{row.describe()}: {rules.note_problem(row.note)}")


def _context_keyed(institution: Institution, rows: list[ContextRow], allowed_colleges, allowed_teams):
    """Return each context row with its key after every check (raise on the first problem)."""
    if allowed_teams is not None and rows:
        # A teamleider writes its teams' values only (issue 15); context rows are college or institution level.
        raise TeamNotAllowed([CellProblem(row, f"{row.describe()}: {TEAM_ONLY}") for row in rows])
    known = set(ContextValue.objects.filter(indicator__institution=institution).values_list("series", flat=True))
    known.discard(OWN_SERIES)
    keyed, seen = [], set()
    for row in rows:
        _check_context_row(row, institution, allowed_colleges, known)
        if row.series:
            known.add(row.series)
        key = row.key()
        if key in seen:
            raise ValidationError(f"Dubbele waarde: {row.describe()}.")
        seen.add(key)
        keyed.append((key, row))
    return keyed


def _stored_context(keyed) -> dict[tuple, ContextValue]:
    """Return the stored ContextValue per key for the rows' indicators and years."""
    if not keyed:
        return {}
    stored = ContextValue.objects.filter(
        indicator_id__in={key[0] for key, _ in keyed}, year__in={key[1] for key, _ in keyed}
    )
    return {
        (c.indicator_id, c.year, c.level, c.college_id, c.series.casefold(), c.dimension, c.group): c for c in stored
    }


def _context_changes(keyed, stored) -> tuple[list, list, list]:
    """Return the rows to create, the (stored, row) pairs to update, and every (key, row) that changes something."""
    creates, updates, changing = [], [], []
    for key, row in keyed:
        current = stored.get(key)
        if current is not None and row.source.casefold() == current.source.casefold():
            row.source = current.source  # the same source in other letters is no change
        if current is None:
            creates.append((key, row))
        elif (current.value, current.n, current.source, current.note) != (row.value, row.n, row.source, row.note):
            updates.append((current, row))
        else:
            continue
        changing.append((key, row))
    return creates, updates, changing


def _refuse_locked_context(institution: Institution, changing) -> None:
    """Raise YearLocked for own-series breakdown rows that would change in an approved year (not comparison series).

    Only changing rows, as for values: a backup that repeats an approved year's breakdowns is no write.
    """
    _refuse_locked(institution, [(key, row) for key, row in changing if not row.series])


def context_refusal(
    institution: Institution, rows: list[ContextRow], allowed_colleges=None, allowed_teams=None
) -> WriteRefused | None:
    """Return why context_values_apply would refuse these rows for a locked year or a teamleider, or None (a dry run)."""
    try:
        keyed = _context_keyed(institution, rows, allowed_colleges, allowed_teams)
        _refuse_locked_context(institution, _context_changes(keyed, _stored_context(keyed))[2])
    except WriteRefused as exc:
        return exc
    return None


@transaction.atomic
def context_values_apply(
    *,
    institution: Institution,
    rows: list[ContextRow],
    user=None,
    upload=None,
    allowed_colleges=None,
    allowed_teams=None,
) -> ApplyReport:
    """Insert or replace comparison-series and breakdown values, keeping history; all or nothing.

    `allowed_colleges` None means policy scope; a set (a director) allows only the own series at
    those colleges. Raise YearLocked, storing nothing, when an own-series breakdown would change in
    an approved year; comparison series are not held by the lock. No recompute: nothing here moves
    a verdict or a euro (the values' own recompute, in the same upload, is asked by measurements_apply).
    """
    report = ApplyReport()
    keyed = _context_keyed(institution, rows, allowed_colleges, allowed_teams)
    lock_institution_data(institution)
    creates, updates, changing = _context_changes(keyed, _stored_context(keyed))
    _refuse_locked_context(institution, changing)
    report.new, report.changed = len(creates), len(updates)
    report.unchanged = len(keyed) - len(creates) - len(updates)
    user = user if getattr(user, "pk", None) is not None else None
    reason = (f"upload #{upload.pk}" if upload is not None else "vergelijkingswaarden")[:HISTORY_REASON_LENGTH]
    now = timezone.now()
    if creates:
        objects = [
            ContextValue(
                indicator=row.indicator,
                year=row.year,
                level=row.level,
                college=row.college,
                series=row.series,
                dimension=row.dimension,
                group=row.group,
                value=row.value,
                n=row.n,
                source=row.source,
                note=row.note,
                upload=upload,
                updated_by=user,
                updated_at=now,
            )
            for _, row in creates
        ]
        bulk_create_with_history(objects, ContextValue, default_user=user, default_change_reason=reason)
    if updates:
        objects = []
        for current, row in updates:
            current.value, current.n, current.source, current.note = row.value, row.n, row.source, row.note
            current.upload, current.updated_by, current.updated_at = upload, user, now
            objects.append(current)
        bulk_update_with_history(
            objects,
            ContextValue,
            ["value", "n", "source", "note", "upload", "updated_by", "updated_at"],
            default_user=user,
            default_change_reason=reason,
        )
    return report
