"""Reads of measured values: benchmark rows (backup) and the sign-off state of a year, of its verdicts and budget."""

from django.db.models import Count, DateTimeField, IntegerField, Max, Q, Value

from agenda.models import BudgetYear, College, Institution
from indicatoren.choices import SignoffState
from indicatoren.models import ContextValue, Measurement, StudentCount, YearSignoff

PROVISIONAL, FINAL = "voorlopig", "vastgesteld"

# The long format of contracts.md section 2 with the optional columns of issue 18 (series, source, group).
COLUMNS = ["jaar", "indicator", "college", "team", "waarde", "n", "reeks", "bron", "groep"]


def _number(value) -> str:
    """Return a stored value as the import format writes it: exact, with a decimal comma."""
    return format(value.normalize(), "f").replace(".", ",")


def benchmark_rows(institution: Institution) -> list[list[str]]:
    """Return all values, comparison and breakdown values and student numbers in the long format (contracts.md section 2).

    Own totals have an empty reeks and groep and their source; a ContextValue row its series,
    source and 'dimensie: groep', so importing the file gives the same rows (issue 18).
    """
    rows = []
    for year, code, college, team, value, n, source in (
        Measurement.objects.filter(indicator__institution=institution)
        .order_by("indicator__position", "year", "level", "college__code", "team__code")
        .values_list("year", "indicator__code", "college__code", "team__code", "value", "n", "source")
    ):
        rows.append(
            [str(year), code, college or "", team or "", _number(value), "" if n is None else str(n), "", source, ""]
        )
    for year, code, college, value, n, series, source, dimension, group in (
        ContextValue.objects.filter(indicator__institution=institution)
        .order_by("indicator__position", "series", "dimension", "group", "year", "level", "college__code")
        .values_list("year", "indicator__code", "college__code", "value", "n", "series", "source", "dimension", "group")
    ):
        rows.append(
            [
                str(year),
                code,
                college or "",
                "",
                _number(value),
                "" if n is None else str(n),
                series,
                source,
                f"{dimension}: {group}" if group else "",
            ]
        )
    for college, year, count in (
        StudentCount.objects.filter(college__institution=institution)
        .order_by("college__code", "year")
        .values_list("college__code", "year", "count")
    ):
        rows.append([str(year), "studenten", college, "", str(count), "", "", "", ""])
    return rows


def year_states(institution: Institution, years) -> dict[tuple[int | None, int], str]:
    """Return the sign-off state per (college id or None, year); units without a row are open."""
    rows = YearSignoff.objects.filter(institution=institution, year__in=list(years)).values_list(
        "college_id", "year", "state"
    )
    return {(college, year): state for college, year, state in rows}


def _units_and_signoffs(institution: Institution, years: Q, budget_years: bool = False):
    """Return (college ids, {(college id or None, year): (state, changed_at)}, budget years) in one query.

    The colleges, the sign-offs of `years` and, for a budget, the institution's budget years come
    in one UNION ALL (as rapportage.api.conditional reads its validators): every page and body asks
    this, and each round trip was worth more than the rest (issue 12, tests/rapportage/test_views.py).
    """
    no_id = Value(None, output_field=IntegerField())
    no_time = Value(None, output_field=DateTimeField())
    parts = [
        College.objects.filter(institution=institution)
        .order_by()
        .values_list(Value("c"), "pk", no_id, Value(""), no_time),
        YearSignoff.objects.filter(years, institution=institution)
        .order_by()
        .values_list(Value("s"), "college_id", "year", "state", "changed_at"),
    ]
    if budget_years:
        parts.append(
            BudgetYear.objects.filter(years, institution=institution)
            .order_by()
            .values_list(Value("b"), no_id, "year", Value(""), no_time)
        )
    rows = list(parts[0].union(*parts[1:], all=True))
    colleges = [pk for kind, pk, *_ in rows if kind == "c"]
    signoffs = {(pk, year): (state, at) for kind, pk, year, state, at in rows if kind == "s"}
    return colleges, signoffs, {year for kind, _, year, _, _ in rows if kind == "b"}


def _provisional_because(institution: Institution, years, colleges: list, signoffs: dict) -> str:
    """Return why figures resting on `years` are voorlopig, in Dutch ("" when they are vastgesteld).

    domain.md, "Sign-off and locking": verdicts on unapproved data are voorlopig, on approved data
    vastgesteld. A figure is *vastgesteld* only when every year in `years` is approved for every
    unit (nothing it is computed from can still move) and what is shown was computed from the
    approved data (_results_follow).
    """
    units = [*colleges, None]
    open_years = sorted(
        year
        for year in years
        if any((unit := signoffs.get((college, year))) is None or unit[0] != SignoffState.APPROVED for college in units)
    )
    if open_years:
        *rest, last = map(str, open_years)
        listed, verb = (f"{', '.join(rest)} en {last}", "zijn") if rest else (last, "is")
        return f"{listed} {verb} nog niet voor alle colleges en het instellingsniveau vastgesteld"
    approved_at = max(signoffs[(college, year)][1] for college in units for year in years)
    if not _results_follow(institution, approved_at):
        return "vastgesteld, maar de herberekening met de vastgestelde gegevens is nog niet geslaagd"
    return ""


def years_status(institution: Institution, years) -> str:
    """Return the status of figures that rest on every year in `years` (a document over several years)."""
    return years_status_explained(institution, years)[0]


def years_status_explained(institution: Institution, years) -> tuple[str, str]:
    """Return (status, why it is voorlopig or "") of figures that rest on every year in `years` (a signed document)."""
    years = set(years)
    colleges, signoffs, _ = _units_and_signoffs(institution, Q(year__in=years))
    why = _provisional_because(institution, years, colleges, signoffs)
    return (PROVISIONAL if why else FINAL), why


def _results_follow(institution: Institution, approved_at) -> bool:
    """Return whether the stored verdicts and cents were computed from the data as it was approved at `approved_at`.

    A correction asks for a recompute; approving before it ran served the verdicts from before the
    correction as vastgesteld (review of 2026-12-02). Every write before the approval is covered by
    a run asked before it (or joined to one waiting), which reads the data when it starts, and the
    approved years cannot change after it. The results follow the approved data when a run that
    started after the approval has succeeded (the approval asks for one itself; the demo runs it
    when the approval commits), or when no run asked before the approval is still open (waiting or
    running) and every one of them that failed is covered by a successful run that started after it
    had failed: the writes that joined a failed run came before its start, so that later run read
    them. Otherwise the stored results are older than the approved data: *voorlopig* (and
    *verouderd*, which every page and body says, `stale`), not vastgesteld over figures the approval
    never saw (review of 2026-12-02, second session: a failed run no longer counted as "open").
    The runs are read through the institution's reverse relation, not imported: indicatoren sits
    below rapportage (import-linter layers; agenda.views._refers_to_team does the same). Only a
    finished run has finished_at; locked_at is written with a successful run's results only, and
    started_at when a run is claimed, before it reads anything.
    """
    before = Q(requested_at__lt=approved_at)
    succeeded = Q(locked_at__isnull=False)
    failed = Q(finished_at__isnull=False, locked_at__isnull=True)
    done_after = Q(started_at__gt=approved_at) & succeeded
    runs = institution.recompute_runs.filter(before | done_after).aggregate(
        done_after=Count("pk", filter=done_after),
        open_before=Count("pk", filter=before & Q(finished_at__isnull=True)),
        last_failed=Max("finished_at", filter=before & failed),
        last_success_started=Max("started_at", filter=before & succeeded),
    )
    if runs["done_after"]:
        return True
    if runs["open_before"]:
        return False
    return runs["last_failed"] is None or (
        runs["last_success_started"] is not None and runs["last_success_started"] > runs["last_failed"]
    )


def data_status(institution: Institution, year: int) -> str:
    """Return the status of the verdicts of `year`: 'vastgesteld' when the year is approved for every unit
    and the stored verdicts were computed from the approved data (_status).

    A verdict of Y rests on Y's values and the baseline year's, and the baseline is locked while a
    year judged against it is approved (services._refuse_locked_baseline): Y's own approval is enough.
    """
    return years_status(institution, [year])


def _basis_years(year: int, budget_years: set[int]) -> list[int]:
    """Return the years a budget of `year` rests on, given the institution's budget years up to it.

    domain.md, "The reserve": a portion reserved in an earlier budget year Y0 is released in the
    first later budget year in which the college met, so the money of `year` moves with the
    verdicts of every budget year before it. The student numbers it borrows from an earlier year
    are locked by its own approval instead (services._refuse_locked_students), as that year may lie
    outside the period and never be approved. A year without a budget row has no money of its own
    (domain.md, fine print): its verdicts only.
    """
    return sorted({*budget_years, year}) if year in budget_years else [year]


def budget_basis_years(institution: Institution, year: int) -> list[int]:
    """Return the years whose approval a budget of `year` rests on: `year` and every earlier budget year."""
    budget_years = BudgetYear.objects.filter(
        institution=institution, year__lte=year, year__gte=institution.period_start
    ).values_list("year", flat=True)
    return _basis_years(year, set(budget_years))


def budget_status(institution: Institution, year: int) -> str:
    """Return the status of the budget of `year`: 'vastgesteld' only when every year it rests on is (_basis_years)."""
    return budget_status_explained(institution, year)[0]


def budget_status_explained(institution: Institution, year: int) -> tuple[str, str]:
    """Return (status, why it is voorlopig or "") of the budget of `year` (the board pack says why)."""
    years = Q(year__lte=year, year__gte=institution.period_start)
    colleges, signoffs, budget_years = _units_and_signoffs(institution, years, budget_years=True)
    why = _provisional_because(institution, _basis_years(year, budget_years), colleges, signoffs)
    return (PROVISIONAL if why else FINAL), why
