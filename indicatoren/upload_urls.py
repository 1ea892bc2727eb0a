"""Benchmark uploads by policy staff: upload, dry-run preview, confirm or cancel."""

from django.urls import path

from indicatoren import upload_views

app_name = "uploads"

urlpatterns = [
    path("", upload_views.uploads, name="list"),
]
