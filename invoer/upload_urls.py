"""Benchmark uploads by policy staff: upload, dry-run preview, confirm or cancel.

The kept files themselves have no route: they live under MEDIA_ROOT and are never served.
"""

from django.urls import path

from invoer import upload_views

app_name = "uploads"

urlpatterns = [
    path("", upload_views.uploads, name="list"),
    path("<int:pk>/", upload_views.detail, name="detail"),
    path("<int:pk>/bevestigen/", upload_views.confirm, name="confirm"),
    path("<int:pk>/annuleren/", upload_views.cancel, name="cancel"),
]
