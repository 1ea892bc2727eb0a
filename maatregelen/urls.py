"""Measures, evidence and Q-reviews."""

app_name = "maatregelen"

urlpatterns = []
