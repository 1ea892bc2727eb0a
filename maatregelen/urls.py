"""Measures, evidence and Q-reviews of a college."""

from django.urls import path

from maatregelen import views

app_name = "maatregelen"

urlpatterns = [
    path("college/<str:code>/", views.college, name="college"),
    path("college/<str:code>/maatregel/nieuw/", views.form_page, {"page": views.MEASURE_ADD}, name="measure_add"),
    path("college/<str:code>/maatregel/<int:pk>/", views.form_page, {"page": views.MEASURE_EDIT}, name="measure_edit"),
    path("college/<str:code>/merkbaar/nieuw/", views.form_page, {"page": views.EVIDENCE_ADD}, name="evidence_add"),
    path("college/<str:code>/q-gesprek/nieuw/", views.form_page, {"page": views.REVIEW_ADD}, name="review_add"),
    path("college/<str:code>/q-gesprek/<int:pk>/", views.form_page, {"page": views.REVIEW_EDIT}, name="review_edit"),
]
