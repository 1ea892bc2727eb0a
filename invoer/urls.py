"""Result entry by college directors: the grid, its Excel export and upload, value history."""

from django.urls import path

import kern.codes  # noqa: F401 -- registers the <code:...> converter (kern/codes.py)
from indicatoren import signoff_views
from invoer import views

app_name = "invoer"

urlpatterns = [
    path("college/<code:code>/", views.grid, name="grid"),
    path("college/<code:code>/export.xlsx", views.grid_export, name="grid_export"),
    path("college/<code:code>/upload/", views.grid_upload, name="grid_upload"),
    path("college/<code:code>/vaststelling/", signoff_views.signoff_action, name="signoff_action"),
    path("college/<code:code>/geschiedenis/<code:team_code>/<code:indicator_code>/", views.history, name="history"),
]
