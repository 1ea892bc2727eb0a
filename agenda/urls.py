"""Team management inside a college, and the herijking pages of policy staff (mounted under /teams/)."""

from django.urls import path

from agenda import views

app_name = "agenda"

urlpatterns = [
    path("herijking/toepasbaarheid/", views.applicability, name="applicability"),
    path("herijking/budgetaandelen/", views.theme_shares, name="theme_shares"),
    path("college/<str:code>/", views.teams, name="teams"),
    path("college/<str:code>/<str:team_code>/", views.team_edit, name="team_edit"),
    path("college/<str:code>/<str:team_code>/verwijderen/", views.team_delete, name="team_delete"),
]
