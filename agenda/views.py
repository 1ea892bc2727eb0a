"""Team management pages for college directors (list, add, rename, deactivate, delete without data),
and the herijking pages for policy staff: applicability of indicators and theme budget shares from a year on.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from agenda import selectors, services
from agenda.forms import (
    ApplicabilityForm,
    TeamCreateForm,
    TeamUpdateForm,
    ThemeShareForm,
    add_service_error,
)
from agenda.models import College, Institution, Team
from agenda.permissions import (
    can_write_college,
    current_institution,
    require_college_write,
    require_policy,
    require_read,
    writable_colleges,
)
from kern.rules import dutch


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
    form = TeamUpdateForm(initial={"name": team.name, "active_until": team.active_until})
    if request.method == "POST":
        form = TeamUpdateForm(request.POST)
        if form.is_valid():
            try:
                services.team_update(
                    team=team,
                    allowed_colleges=writable_colleges(request.user, college.institution),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
                team.refresh_from_db()
            else:
                messages.success(request, f"Team {team.code} is bijgewerkt.")
                return redirect("agenda:teams", code=college.code)
    return render(
        request,
        "agenda/team_form.html",
        {"college": college, "team": team, "form": form},
        status=400 if form.errors else 200,
    )


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


# Herijking (agenda ch. 12; domain.md, "The agenda changes over time"): policy staff only.


def policy_institution(request) -> Institution:
    """Return the user's institution after checking that the user is policy staff (403 otherwise)."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_policy(request.user, institution)
    return institution


def _chosen_year(query, institution: Institution) -> int | None:
    """Return the year `from_year` of a query string when it lies in the agenda period, else None."""
    try:
        year = int(query.get("from_year", ""))
    except ValueError:
        return None
    return year if year in institution.years else None


@login_required
@require_http_methods(["GET", "POST"])
def applicability(request):
    """Let policy staff set the colleges an indicator applies to from a year on; show what applies now.

    A GET with ?indicator=<code>&from_year=<year> fills the colleges in with the list in force in
    that year, so the form starts from what applies (without JavaScript too).
    """
    institution = policy_institution(request)
    colleges, rows, lists = selectors.applicability_overview(institution)
    prefilled = None  # the year whose list the college boxes show
    if request.method == "POST":
        form = ApplicabilityForm(request.POST, institution=institution)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.applicability_revise(
                    indicator=data["indicator"],
                    from_year=data["from_year"],
                    colleges=data["colleges"],
                    reason=data["reason"],
                    author=request.user,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                code, year = data["indicator"].code, data["from_year"]
                messages.success(
                    request,
                    f"Vastgelegd: {code} geldt vanaf {year} voor {len(data['colleges'])} van de {len(colleges)}"
                    " colleges. De oordelen en het budget worden opnieuw berekend.",
                )
                query = urlencode({"indicator": code, "from_year": year})
                return redirect(f"{reverse('agenda:applicability')}?{query}")
    else:
        initial = {"reason": request.GET.get("reason", "")}
        code, year = request.GET.get("indicator", ""), _chosen_year(request.GET, institution)
        if year is not None:
            initial["from_year"] = year
        if code in lists:
            # Without a year: the list in force in the period's last year (what applies now).
            prefilled = year if year is not None else institution.period_end
            initial.update(indicator=code, colleges=lists[code][prefilled])
        form = ApplicabilityForm(initial=initial, institution=institution)
    context = {
        "form": form,
        "prefilled": prefilled,
        "colleges": colleges,
        "rows": rows,
        "lists": lists,
        "years": list(institution.years),
    }
    return render(request, "agenda/applicability.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def theme_shares(request):
    """Let policy staff set a theme's budget share from a year on; show the shares in force per year.

    A GET with ?theme=<code>&from_year=<year> fills the share in with the one in force in that year.
    """
    institution = policy_institution(request)
    rows, totals, shares = selectors.share_overview(institution)
    prefilled = None  # the year whose share the form shows
    if request.method == "POST":
        form = ThemeShareForm(request.POST, institution=institution)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.theme_share_revise(
                    theme=data["theme"],
                    from_year=data["from_year"],
                    budget_share_pct=data["budget_share_pct"],
                    reason=data["reason"],
                    author=request.user,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                code, year = data["theme"].code, data["from_year"]
                messages.success(
                    request,
                    f"Vastgelegd: {code} krijgt vanaf {year} {dutch(data['budget_share_pct'])} % van het budget."
                    " De oordelen en het budget worden opnieuw berekend.",
                )
                query = urlencode({"theme": code, "from_year": year})
                return redirect(f"{reverse('agenda:theme_shares')}?{query}")
    else:
        initial = {"reason": request.GET.get("reason", "")}
        code, year = request.GET.get("theme", ""), _chosen_year(request.GET, institution)
        if year is not None:
            initial["from_year"] = year
        if code in shares:
            prefilled = year if year is not None else institution.period_end
            initial.update(theme=code, budget_share_pct=shares[code][prefilled])
        form = ThemeShareForm(initial=initial, institution=institution)
    context = {
        "form": form,
        "prefilled": prefilled,
        "rows": rows,
        "totals": totals,
        "unbalanced": [t for t in totals if not t["balanced"]],
        "shares": shares,
        "years": list(institution.years),
    }
    return render(request, "agenda/theme_shares.html", context, status=400 if form.errors else 200)
