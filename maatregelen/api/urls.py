from rest_framework.routers import SimpleRouter

from maatregelen.api import views

router = SimpleRouter()
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("evidence", views.EvidenceViewSet, basename="evidence")

urlpatterns = router.urls
