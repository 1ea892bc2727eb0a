"""Measures, evidence and Q-reviews of a college; the Q-gesprekken of every level."""

from django.urls import path

import kern.codes  # noqa: F401 -- registers the <code:...> converter (kern/codes.py)
from maatregelen import views

app_name = "maatregelen"

urlpatterns = [
    path("college/<code:code>/", views.college, name="college"),
    path("college/<code:code>/maatregel/nieuw/", views.form_page, {"page": views.MEASURE_ADD}, name="measure_add"),
    path("college/<code:code>/maatregel/<int:pk>/", views.form_page, {"page": views.MEASURE_EDIT}, name="measure_edit"),
    path("college/<code:code>/merkbaar/nieuw/", views.form_page, {"page": views.EVIDENCE_ADD}, name="evidence_add"),
    path(
        "college/<code:code>/merkbaar/<int:pk>/", views.form_page, {"page": views.EVIDENCE_EDIT}, name="evidence_edit"
    ),
    path("college/<code:code>/merkbaar/<int:pk>/verwijderen/", views.evidence_delete, name="evidence_delete"),
    path("college/<code:code>/q-gesprek/nieuw/", views.form_page, {"page": views.REVIEW_ADD}, name="review_add"),
    path("college/<code:code>/q-gesprek/<int:pk>/", views.form_page, {"page": views.REVIEW_EDIT}, name="review_edit"),
    path("q-gesprek/<int:pk>/", views.review, name="review"),
    path("q-gesprekken/", views.institution_reviews, name="institution_reviews"),
    path("q-gesprekken/nieuw/", views.institution_review_form, name="institution_review_add"),
    path("q-gesprekken/<int:pk>/", views.institution_review_form, name="institution_review_edit"),
]
