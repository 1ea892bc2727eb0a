"""Pages for the sign-off of a year: the panel on the grid, its buttons, and the overview for policy staff.

Thin views (style.md): check the role, call indicatoren.signoff, redirect with a Dutch message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agenda.models import College
from agenda.permissions import can_write_college, current_institution, is_policy, require_read
from agenda.views import college_for
from indicatoren.choices import SignoffState
from indicatoren.signoff import (
    FINAL,
    PROVISIONAL,
    data_status,
    signoff_approve,
    signoff_events,
    signoff_reopen,
    signoff_submit,
    signoff_withdraw,
    year_states,
)

ACTIONS = {"indienen": "submit", "intrekken": "withdraw", "vaststellen": "approve", "heropenen": "reopen"}


def signoff_panel(user, college: College, year: int) -> dict:
    """Return what the grid shows of a college-year's sign-off and which buttons the user gets."""
    institution = college.institution
    state = year_states(institution, [year]).get((college.pk, year), SignoffState.OPEN)
    writer = can_write_college(user, college)
    policy = is_policy(user, institution)
    return {
        "state": state,
        "label": SignoffState(state).label,
        "locked": state == SignoffState.APPROVED,
        # The verdicts' status, as every page, document and API body says it: a college's approval
        # alone leaves them voorlopig until every college and the institution level are approved.
        "data_status": data_status(institution, year),
        "can_submit": writer and state == SignoffState.OPEN,
        "can_withdraw": writer and state == SignoffState.SUBMITTED,
        "can_approve": policy and state != SignoffState.APPROVED,
        "can_reopen": policy and state == SignoffState.APPROVED,
        "events": list(signoff_events(institution, year).filter(signoff__college=college)[:10]),
    }


@login_required
@require_POST
def signoff_action(request, code):
    """Submit, withdraw, approve or reopen one college's year from the grid page."""
    college = college_for(request, code)
    try:
        year = int(request.POST.get("jaar", ""))
    except ValueError:
        year = None
    action = ACTIONS.get(request.POST.get("actie", ""))
    back = f"{reverse('invoer:grid', args=[college.code])}?jaar={year or ''}"
    if action is None or year is None:
        messages.error(request, "Onbekende handeling of jaar; er is niets gewijzigd.")
        return redirect(back)
    institution = college.institution
    try:
        if action == "submit":
            signoff_submit(institution=institution, college=college, year=year, user=request.user)
        elif action == "withdraw":
            signoff_withdraw(institution=institution, college=college, year=year, user=request.user)
        elif action == "approve":
            signoff_approve(institution=institution, college=college, year=year, user=request.user)
        else:
            reason = request.POST.get("reden", "")
            signoff_reopen(institution=institution, college=college, year=year, reason=reason, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    done = {
        "submit": f"De resultaten van {college.code} over {year} zijn ingediend voor vaststelling.",
        "withdraw": f"De indiening van {college.code} over {year} is ingetrokken; u kunt verder corrigeren.",
        "approve": f"{year} is voor {college.code} vastgesteld; de waarden zijn nu vergrendeld.",
        "reopen": f"{year} is voor {college.code} heropend; de reden is vastgelegd.",
    }
    messages.success(request, done[action])
    return redirect(back)


@login_required
def signoff_overview(request):
    """Show per year and college the sign-off state; policy staff approve or reopen a whole year here."""
    institution = current_institution(request.user)
    if institution is None:
        raise PermissionDenied("Geen instelling.")
    require_read(request.user, institution)
    policy = is_policy(request.user, institution)
    if request.method == "POST":
        if not policy:
            raise PermissionDenied("Alleen beleidsmedewerkers stellen een jaar vast of heropenen het.")
        try:
            year = int(request.POST.get("jaar", ""))
        except ValueError:
            year = None
        action = ACTIONS.get(request.POST.get("actie", ""))
        try:
            if year is None or action not in ("approve", "reopen"):
                raise ValidationError("Onbekende handeling of jaar; er is niets gewijzigd.")
            if action == "approve":
                report = signoff_approve(institution=institution, year=year, user=request.user)
                messages.success(request, f"{year} vastgesteld voor {len(report.changed)} eenheden.")
            else:
                report = signoff_reopen(
                    institution=institution, year=year, reason=request.POST.get("reden", ""), user=request.user
                )
                messages.success(
                    request, f"{year} heropend voor {len(report.changed)} eenheden; de reden is vastgelegd."
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("signoff:overview")
    years = list(institution.years)
    states = year_states(institution, years)
    colleges = list(College.objects.filter(institution=institution).order_by("code"))
    rows = [
        {
            "college": college,
            "cells": [SignoffState(states.get((college.pk, y), SignoffState.OPEN)) for y in years],
        }
        for college in colleges
    ]
    institution_row = [SignoffState(states.get((None, y), SignoffState.OPEN)) for y in years]
    totals = []
    for index, year in enumerate(years):
        cells = [row["cells"][index] for row in rows] + [institution_row[index]]
        approved = sum(1 for cell in cells if cell == SignoffState.APPROVED)
        totals.append(
            {
                "year": year,
                "approved": approved,
                "total": len(cells),
                "status": FINAL if approved == len(cells) else PROVISIONAL,
            }
        )
    open_years = [t["year"] for t in totals if t["status"] == PROVISIONAL]
    final_years = [t["year"] for t in totals if t["approved"]]
    context = {
        # Preselect the first year still provisional to approve, and the latest approved one to reopen.
        "suggested": open_years[0] if open_years else None,
        "suggested_reopen": final_years[-1] if final_years else None,
        "years": years,
        "rows": rows,
        "institution_row": institution_row,
        "totals": totals,
        "policy": policy,
        "events": signoff_events(institution)[:50],
    }
    return render(request, "indicatoren/signoff.html", context)
