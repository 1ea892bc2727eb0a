"""Team management pages for college directors (list, add, rename, deactivate, delete without data).

The herijking pages of policy staff moved to invoer.policy_views (a dry run needs rapportage).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from agenda import services
from agenda.forms import (
    TeamCreateForm,
    TeamUpdateForm,
    add_service_error,
)
from agenda.models import College, Team
from agenda.permissions import (
    can_write_college,
    current_institution,
    require_college_write,
    require_read,
    writable_colleges,
)
from kern import versions


def college_for(request, code: str) -> College:
    """Return the college `code` of the user's institution after checking read access (404 if unknown)."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_read(request.user, institution)
    return get_object_or_404(College.objects.select_related("institution"), institution=institution, code=code)


def _team(college: College, team_code: str) -> Team:
    """Return the team `team_code` of the college (404 for a team of another college)."""
    return get_object_or_404(Team, college=college, code=team_code)


def _refers_to_team(relation) -> Exists:
    """Return whether rows of a higher app's model point at the team, through its reverse relation.

    The apps above declare the foreign key to Team; asking through that relation keeps agenda
    free of imports from them (import-linter layers, README "Map of the apps").
    """
    return Exists(relation.rel.related_model.objects.filter(team=OuterRef("pk")))


def _teams_with_data(college: College):
    """Return the college's teams, each annotated with whether values or evidence refer to it."""
    return Team.objects.filter(college=college).annotate(
        has_measurements=_refers_to_team(Team.measurements),
        has_evidence=_refers_to_team(Team.evidence),
    )


@login_required
@require_http_methods(["GET", "POST"])
def teams(request, code):
    """Show the college's teams; a POST adds a team."""
    college = college_for(request, code)
    writable = can_write_college(request.user, college)
    form = TeamCreateForm()
    if request.method == "POST":
        require_college_write(request.user, college)
        form = TeamCreateForm(request.POST)
        if form.is_valid():
            try:
                team = services.team_create(
                    college=college,
                    allowed_colleges=writable_colleges(request.user, college.institution),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Team {team.code} {team.name} is toegevoegd.")
                return redirect("agenda:teams", code=college.code)
    context = {
        "college": college,
        "teams": _teams_with_data(college),
        "form": form,
        "writable": writable,
        "years": list(college.institution.years),
    }
    return render(request, "agenda/teams.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, code, team_code):
    """Rename a team or deactivate it from a year on."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    team = _team(college, team_code)
    form = TeamUpdateForm(initial=_team_initial(team))
    stale = None
    if request.method == "POST":
        form = TeamUpdateForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            shown = data.pop("version")
            try:
                services.team_update(
                    team=team,
                    allowed_colleges=writable_colleges(request.user, college.institution),
                    seen=versions.Read.from_token(shown, Team) if shown else None,
                    **data,
                )
            except versions.StaleEdit as exc:
                # domain.md, "No lost updates": the page shows the team as it is now with the user's
                # other change, and the version of now; saving again is the user's decision.
                stale = exc
                form = TeamUpdateForm(initial={**_team_initial(exc.record), **exc.pending})
            except ValidationError as exc:
                add_service_error(form, exc)
                team.refresh_from_db()
            else:
                messages.success(request, f"Team {team.code} is bijgewerkt.")
                return redirect("agenda:teams", code=college.code)
    return render(
        request,
        "agenda/team_form.html",
        {"college": college, "team": team, "form": form, "stale": stale},
        status=400 if form.errors else 409 if stale else 200,
    )


def _team_initial(team: Team) -> dict:
    """Return the team form's initial data: the team as stored, with its version."""
    return {"name": team.name, "active_until": team.active_until, "version": versions.token(team)}


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request, code, team_code):
    """Delete a team without data after confirmation; a team with data can only be deactivated."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    team = get_object_or_404(_teams_with_data(college), code=team_code)
    if request.method == "POST":
        try:
            services.team_delete(team=team, allowed_colleges=writable_colleges(request.user, college.institution))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Team {team.code} {team.name} is verwijderd.")
        return redirect("agenda:teams", code=college.code)
    return render(request, "agenda/team_delete.html", {"college": college, "team": team})
