"""Result entry pages for college directors: the grid, its Excel export and upload, a cell's history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from agenda.models import Indicator, Team
from agenda.permissions import (
    can_write_values,
    require_value_write,
    value_write_scope,
)
from agenda.views import college_for
from indicatoren.services import NoteRequired, TeamInactive, TeamNotAllowed, WriteConflict, WriteRefused
from indicatoren.signoff_views import signoff_panel
from invoer.forms import GridUploadForm
from invoer.grid import (
    UNIT_SHORT,
    cell_history,
    college_verdict,
    flip_mark,
    flips_since,
    grid_build,
    grid_guide,
    grid_locks,
    grid_parse,
    grid_refused,
    grid_save,
    grid_workbook,
    lock_legends,
)
from invoer.uploads import UploadBusy, UploadRejected, error_dict, upload_preview
from rapportage.choices import RunState
from rapportage.selectors import last_run

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request, institution) -> int:
    """Return the year asked for with ?jaar=, else the latest year of the agenda."""
    years = list(institution.years)
    try:
        year = int(request.GET.get("jaar", ""))
    except ValueError:
        year = None
    return year if year in years else years[-1]


def _grid_url(college, year: int) -> str:
    """Return the grid page of a college and year."""
    return f"{reverse('invoer:grid', args=[college.code])}?jaar={year}"


def _waiting_key(college) -> str:
    """Return the session key under which a save waits for its recompute's flips."""
    return f"grid-flips-{college.institution_id}-{college.code}"


def _announce_flips(request, college, mark: int) -> bool:
    """Add the college verdicts the recompute changed since `mark` as messages; False while it still runs.

    The flips are read from the flip log the recompute writes (rapportage.models.VerdictChange),
    so this works the same with an in-process recompute and with the Celery worker.
    """
    run = last_run(college.institution)
    if run is None or run.state in (RunState.PENDING, RunState.RUNNING):
        return False
    if run.state == RunState.FAILED:
        messages.warning(request, "De herberekening van de oordelen is mislukt; de getoonde oordelen zijn van eerder.")
        return True
    changes = flips_since(college, mark)
    for change in changes:
        entry = college_verdict(college, change.indicator.code, change.year)
        counts = (
            f" ({entry['teams_contributed']} van {entry['teams_total']} teams droegen bij)"
            if entry.get("basis") == "teams"
            else ""
        )
        messages.info(
            request,
            f"Oordeel {college.code} voor {change.indicator.code} in {change.year}: {change.old} → {change.new}{counts}.",
        )
    if not changes:
        messages.info(request, f"Oordelen herberekend: geen oordeel van {college.code} is veranderd.")
    return True


def _announce_recompute(request, college, mark: int) -> None:
    """Announce the flips of the save now, or remember to announce them once the worker is done."""
    if not _announce_flips(request, college, mark):
        request.session[_waiting_key(college)] = mark
        messages.info(request, "De oordelen worden herberekend; ververs de pagina over enkele ogenblikken.")


def _announce_waiting(request, college) -> None:
    """On a later visit, announce the flips of a save whose recompute had not finished then."""
    mark = request.session.get(_waiting_key(college))
    if mark is not None and _announce_flips(request, college, mark):
        del request.session[_waiting_key(college)]


@login_required
@require_http_methods(["GET", "POST"])
def grid(request, code):
    """Show the results grid of one college and year; a POST saves it all or nothing."""
    college = college_for(request, code)
    year = _year(request, college.institution)
    # A save that succeeds redirects: its grid needs the values, not the guidance (grid_guide below).
    table = grid_build(college, year, guidance=request.method == "GET")
    # A teamleider edits its own teams' rows only; the service refuses any other row, forged or not.
    scope = value_write_scope(request.user, college.institution)
    for row in table.rows:
        row.editable = scope["allowed_teams"] is None or row.team.pk in scope["allowed_teams"]
    refused, status = [], 200
    if request.method == "POST":
        require_value_write(request.user, college)
        submission = grid_parse(table, request.POST)
        if not table.errors:
            mark = flip_mark(college.institution)
            try:
                report = grid_save(
                    grid=table,
                    submission=submission,
                    user=request.user,
                    **scope,
                )
            except WriteRefused as exc:
                refused = grid_refused(table, submission, exc)
                status = 409 if not isinstance(exc, (NoteRequired, WriteConflict, TeamInactive)) else 400
                if isinstance(exc, TeamNotAllowed):
                    status = 403
            except ValidationError as exc:
                # The write service's own last check (one rule per value, kern.rules): whatever the
                # page did not catch itself is shown above the grid, with every entry kept.
                refused, status = exc.messages, 400
            else:
                applied = report.applied
                if applied.new or applied.changed or report.deleted:
                    flagged = f" ({len(applied.flagged)} met toelichting)" if applied.flagged else ""
                    messages.success(
                        request,
                        f"Opgeslagen voor {year}: {applied.new} nieuw, {applied.changed} gewijzigd, "
                        f"{report.deleted} verwijderd{flagged}.",
                    )
                    _announce_recompute(request, college, mark)
                else:
                    messages.info(request, "Er was niets gewijzigd; er is niets opgeslagen.")
                return redirect(_grid_url(college, year))
    if request.method == "GET":
        _announce_waiting(request, college)
    else:
        grid_guide(table)  # a refused save shows the page again, with the guidance as stored
    signoff = signoff_panel(request.user, college, year)  # shown only: the write service checks the lock
    writable = can_write_values(request.user, college) and not signoff["locked"]
    if writable:
        # Cells the save would refuse (a baseline year) are shown read-only: the service still checks.
        grid_locks(table, allowed_colleges=scope["allowed_colleges"])
    locks = table.locks or [None] * len(table.indicators)
    columns = [
        {"indicator": ind, "unit": UNIT_SHORT[ind.unit], "status": verdict, "lock": lock}
        for ind, verdict, lock in zip(table.indicators, table.verdicts, locks, strict=True)
    ]
    context = {
        "college": college,
        "year": year,
        "years": list(college.institution.years),
        "grid": table,
        "columns": columns,
        "writable": writable,
        # Opslaan only when some cell has a field to save (every column may be a baseline year).
        "savable": writable and table.has_fields,
        "lock_legends": lock_legends(table) if table.locks else [],
        "team_leader": scope["allowed_teams"] is not None,
        "run": last_run(college.institution),
        "signoff": signoff,
        "refused": refused,
    }
    if table.errors and status == 200:
        status = 400
    return render(request, "invoer/grid.html", context, status=status)


@login_required
def grid_export(request, code):
    """Download the college's grid of every agenda year as an Excel file (one sheet per year)."""
    college = college_for(request, code)
    response = HttpResponse(grid_workbook(college, college.institution.years), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="resultaten-{college.code}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def grid_upload(request, code):
    """Upload a changed grid export for one college through the upload pipeline (wide format)."""
    college = college_for(request, code)
    require_value_write(request.user, college)
    form = GridUploadForm()
    errors, more_errors, error_total, complete, status = [], None, 0, True, 200
    if request.method == "POST":
        form = GridUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                # A dry run first, as for policy staff: what changes, which verdicts flip, and
                # the cells changed since the export (issue 12).
                upload = upload_preview(
                    institution=college.institution,
                    data=upload_file,
                    filename=upload_file.name,
                    user=request.user,
                    channel="grid",
                    scope_college=college,
                    allowed_teams=value_write_scope(request.user, college.institution)["allowed_teams"],
                )
            except UploadRejected as exc:
                # The first errors and a count of the rest: a file of 100,000 bad cells is no 47 MB page.
                errors = [error_dict(error) for error in exc.errors]
                more_errors, error_total, complete = exc.more, exc.total, exc.complete
            except UploadBusy as exc:
                form.add_error(None, str(exc))
                status = 503
            else:
                return redirect("uploads:detail", pk=upload.pk)
    if status == 200 and (errors or form.errors):
        status = 400
    context = {
        "college": college,
        "form": form,
        "errors": errors,
        "error_total": error_total,
        "more_errors": more_errors,
        "errors_complete": complete,
    }
    return render(request, "invoer/upload.html", context, status=status)


@login_required
def history(request, code, team_code, indicator_code):
    """Show every change of one grid cell: who, when, the old and the new value."""
    college = college_for(request, code)
    year = _year(request, college.institution)
    team = get_object_or_404(Team, college=college, code=team_code)
    indicator = get_object_or_404(Indicator, institution=college.institution, code=indicator_code)
    entries = cell_history(team, indicator, year)
    context = {"college": college, "team": team, "indicator": indicator, "year": year, "entries": entries}
    return render(request, "invoer/history.html", context)
