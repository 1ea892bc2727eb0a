"""Result entry and uploads."""

from django.urls import path

from indicatoren import views

app_name = "indicatoren"

urlpatterns = [
    path("college/<str:code>/", views.grid, name="grid"),
    path("uploads/", views.uploads, name="uploads"),
]
