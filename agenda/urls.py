"""Team management inside a college."""

from django.urls import path

from agenda import views

app_name = "agenda"

urlpatterns = [
    path("college/<str:code>/", views.teams, name="teams"),
]
