"""API v1 (contracts.md section 4): each app contributes its routes."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("rapportage.api.urls")),
    path("", include("agenda.api.urls")),
    path("", include("invoer.api.urls")),
    path("", include("maatregelen.api.urls")),
]
