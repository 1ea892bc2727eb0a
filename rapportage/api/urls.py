from django.urls import path
from rest_framework.routers import SimpleRouter

from rapportage.api import changes, context, views

router = SimpleRouter()
router.register("context-values", context.ContextValueViewSet, basename="context-value")

urlpatterns = [
    path("status/", views.StatusListApi.as_view(), name="status-list"),
    path("indicators/<str:code>/status/", views.IndicatorStatusApi.as_view(), name="indicator-status"),
    path("budget/", views.BudgetApi.as_view(), name="budget"),
    path("changes/", changes.ChangesApi.as_view(), name="changes"),
    *router.urls,
]
