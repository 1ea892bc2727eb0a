"""The sign-off overview: per year and college submitted or approved; approve or reopen a year."""

from django.urls import path

from indicatoren import signoff_views

app_name = "signoff"

urlpatterns = [path("", signoff_views.signoff_overview, name="overview")]
