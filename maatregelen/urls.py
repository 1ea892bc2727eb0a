"""Measures, evidence and Q-reviews of a college."""

from django.urls import path

from maatregelen import views

app_name = "maatregelen"

urlpatterns = [
    path("college/<str:code>/", views.college, name="college"),
]
