"""Board pages: overview, indicator, college, budget, herijking."""

from django.urls import path

from rapportage import views

app_name = "rapportage"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("colleges/", views.colleges, name="colleges"),
    path("college/<str:code>/", views.college, name="college"),
    path("indicator/<str:code>/", views.indicator, name="indicator"),
    path("budget/", views.budget, name="budget"),
    path("herijking/", views.herijking, name="herijking"),
]
