"""The read-only team page (issue 15, item 1): per indicator the team's reference, what it needs and whether it contributes."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404

from agenda.models import College, Team
from agenda.permissions import can_write_college
from rapportage import page_cache
from rapportage.guidance import college_guidance
from rapportage.views import _context


@login_required
def team(request, code, team):
    """Show one team of a college in the chosen year: its guidance per team-level indicator, read-only."""
    institution, year, years = _context(request)
    college = get_object_or_404(College, institution=institution, code=code)
    unit = get_object_or_404(Team, college=college, code=team)

    def build() -> dict:
        found = college_guidance(college, year, [unit])
        rows = [
            {"indicator": item, "guide": found["teams"][(unit.code, indicator)]}
            for indicator, item in found["indicators"].items()
        ]
        return {
            "year": year,
            "years": years,
            "college": college,
            "team": unit,
            "rows": rows,
            "can_write": can_write_college(request.user, college),
        }

    return page_cache.page(request, institution, "rapportage/team.html", build)
