"""Board pages: overview, indicator, college, budget, herijking, the print layout and the export."""

from django.urls import path

import kern.codes  # noqa: F401 -- registers the <code:...> converter (kern/codes.py)
from rapportage import document_views, subscription_views, team_views, views

app_name = "rapportage"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("colleges/", views.colleges, name="colleges"),
    path("college/<code:code>/", views.college, name="college"),
    path("college/<code:code>/team/<code:team>/", team_views.team, name="team"),
    path("indicator/<code:code>/", views.indicator, name="indicator"),
    path("budget/", views.budget, name="budget"),
    path("herijking/", views.herijking, name="herijking"),
    path("veranderd/", views.changes, name="changes"),
    path("afdrukken/", views.report_print, name="print"),
    path("export.xlsx", views.report_xlsx, name="export"),
    path("document/", document_views.document_download, name="document"),
    path("abonnementen/", subscription_views.subscriptions, name="subscriptions"),
]
