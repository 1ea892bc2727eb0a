from django.urls import path
from rest_framework.routers import SimpleRouter

from invoer.api import views

router = SimpleRouter()
router.register("measurements", views.MeasurementViewSet, basename="measurement")

urlpatterns = [
    path("uploads/", views.UploadCreateApi.as_view(), name="upload-create"),
    path("uploads/<str:pk>/", views.UploadDetailApi.as_view(), name="upload-detail"),
    *router.urls,
]
