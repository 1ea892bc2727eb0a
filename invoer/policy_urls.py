"""The policy pages of the agenda (mounted under /beleid/): revisions with a reason and a dry run."""

from django.urls import path

from invoer import policy_views as views

app_name = "beleid"

urlpatterns = [
    path("ambities/", views.policy_page, {"page": views.AMBITIONS}, name="ambitions"),
    path("toepasbaarheid/", views.policy_page, {"page": views.APPLICABILITY}, name="applicability"),
    path("budgetaandelen/", views.policy_page, {"page": views.THEME_SHARES}, name="theme_shares"),
    path("nulmetingen/", views.policy_page, {"page": views.BASELINES}, name="baselines"),
    path("factoren/", views.policy_page, {"page": views.FACTORS}, name="factors"),
]
