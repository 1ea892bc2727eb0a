"""Team management inside a college (mounted under /teams/), and redirects from the old herijking pages."""

from django.urls import path
from django.views.generic import RedirectView

import kern.codes  # noqa: F401 -- registers the <code:...> converter (kern/codes.py)
from agenda import views

app_name = "agenda"

urlpatterns = [
    # The herijking pages moved to the policy pages with a dry run (invoer.policy_views); old links keep working.
    path(
        "herijking/toepasbaarheid/",
        RedirectView.as_view(pattern_name="beleid:applicability", query_string=True, permanent=True),
        name="applicability",
    ),
    path(
        "herijking/budgetaandelen/",
        RedirectView.as_view(pattern_name="beleid:theme_shares", query_string=True, permanent=True),
        name="theme_shares",
    ),
    path("college/<code:code>/", views.teams, name="teams"),
    path("college/<code:code>/<code:team_code>/", views.team_edit, name="team_edit"),
    path("college/<code:code>/<code:team_code>/verwijderen/", views.team_delete, name="team_delete"),
]
