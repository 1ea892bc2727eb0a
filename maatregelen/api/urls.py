from rest_framework.routers import SimpleRouter

from maatregelen.api import views

router = SimpleRouter()
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("review-actions", views.ActionItemViewSet, basename="review-action")
router.register("review-follow-ups", views.ActionFollowUpViewSet, basename="review-follow-up")
router.register("review-check-ins", views.CheckInViewSet, basename="review-check-in")
router.register("spending", views.SpendingViewSet, basename="spending")
router.register("promises", views.PromiseViewSet, basename="promise")

urlpatterns = router.urls
