"""Result entry by college directors: the grid, its Excel export and upload, value history."""

from django.urls import path

from indicatoren import signoff_views
from invoer import views

app_name = "invoer"

urlpatterns = [
    path("college/<str:code>/", views.grid, name="grid"),
    path("college/<str:code>/export.xlsx", views.grid_export, name="grid_export"),
    path("college/<str:code>/upload/", views.grid_upload, name="grid_upload"),
    path("college/<str:code>/vaststelling/", signoff_views.signoff_action, name="signoff_action"),
    path("college/<str:code>/geschiedenis/<str:team_code>/<str:indicator_code>/", views.history, name="history"),
]
