"""Measures, evidence and Q-reviews of a college."""

from django.urls import path

from maatregelen import views

app_name = "maatregelen"

urlpatterns = [
    path("college/<str:code>/", views.college, name="college"),
    path("college/<str:code>/maatregel/nieuw/", views.measure_add, name="measure_add"),
    path("college/<str:code>/maatregel/<int:pk>/", views.measure_edit, name="measure_edit"),
    path("college/<str:code>/merkbaar/nieuw/", views.evidence_add, name="evidence_add"),
    path("college/<str:code>/q-gesprek/nieuw/", views.review_add, name="review_add"),
    path("college/<str:code>/q-gesprek/<int:pk>/", views.review_edit, name="review_edit"),
]
