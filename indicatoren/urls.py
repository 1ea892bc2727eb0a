"""Result entry by college directors: the grid, its Excel export and upload, value history."""

from django.urls import path

from indicatoren import views

app_name = "indicatoren"

urlpatterns = [
    path("college/<str:code>/", views.grid, name="grid"),
]
