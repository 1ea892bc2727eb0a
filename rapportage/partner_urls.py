"""The curated public account for partners (issue 14, item 4)."""

from django.urls import path

from rapportage import partner_views

app_name = "partner"

urlpatterns = [
    path("verantwoording/", partner_views.index, name="index"),
    path("openbaar/<str:code>/", partner_views.public, name="public"),
]
