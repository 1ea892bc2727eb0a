from django.urls import path

from rapportage.api import changes, views

urlpatterns = [
    path("status/", views.StatusListApi.as_view(), name="status-list"),
    path("indicators/<str:code>/status/", views.IndicatorStatusApi.as_view(), name="indicator-status"),
    path("budget/", views.BudgetApi.as_view(), name="budget"),
    path("changes/", changes.ChangesApi.as_view(), name="changes"),
]
