"""Accountability pages under /maatregelen/: realised spending and the manifesto's model (issue 14)."""

from django.urls import path

from rapportage import accountability_views

app_name = "verantwoording"

urlpatterns = [
    path("besteding/", accountability_views.spending, name="spending"),
    path("manifest/", accountability_views.manifesto, name="manifesto"),
]
