from rest_framework.routers import SimpleRouter

from agenda.api import views

router = SimpleRouter()
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("colleges", views.CollegeViewSet, basename="college")
router.register("teams", views.TeamViewSet, basename="team")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("indicators", views.IndicatorViewSet, basename="indicator")

urlpatterns = router.urls
