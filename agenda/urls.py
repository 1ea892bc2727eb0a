"""Team management inside a college, and the herijking pages of policy staff (mounted under /teams/)."""

from django.urls import path

import kern.codes  # noqa: F401 -- registers the <code:...> converter (kern/codes.py)
from agenda import views

app_name = "agenda"

urlpatterns = [
    path("herijking/toepasbaarheid/", views.applicability, name="applicability"),
    path("herijking/budgetaandelen/", views.theme_shares, name="theme_shares"),
    path("college/<code:code>/", views.teams, name="teams"),
    path("college/<code:code>/<code:team_code>/", views.team_edit, name="team_edit"),
    path("college/<code:code>/<code:team_code>/verwijderen/", views.team_delete, name="team_delete"),
]
