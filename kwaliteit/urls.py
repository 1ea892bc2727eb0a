"""URL map: pages per app, the admin, authentication and the API (contracts.md section 4)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kwaliteit import views

urlpatterns = [
    # First: REST clients poll the status API most, and Django tries the patterns in order
    # (resolving it after every page's URLconf was 0.09 ms of a 2.6 ms warm answer, issue 16).
    path("api/v1/", include("kwaliteit.api_v1")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Logins are throttled by django-axes' backend (settings); the reset form counts its mails.
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("dashboard/", include("rapportage.urls")),
    path("invoer/", include("invoer.urls")),
    path("uploads/", include("invoer.upload_urls")),
    path("vaststelling/", include("indicatoren.signoff_urls")),
    # Realised spending and the manifesto's model read the stored budget, so their pages are rapportage's (issue 14).
    path("maatregelen/", include("rapportage.accountability_urls")),
    path("maatregelen/", include("maatregelen.urls")),
    path("teams/", include("agenda.urls")),
    # The curated account for partners, /verantwoording/ and /openbaar/<code>/ (issue 14, item 4).
    path("", include("rapportage.partner_urls")),
    path("beleid/", include("invoer.policy_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script as a file: the CSP refuses inline scripts (issue 13).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Dutch error pages inside the layout; JSON for the API (kwaliteit.views, issue 15 item 7).
handler403 = "kwaliteit.views.permission_denied"
handler404 = "kwaliteit.views.page_not_found"
handler500 = "kwaliteit.views.server_error"
