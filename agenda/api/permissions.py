"""The API's default permission beside IsAuthenticated (settings REST_FRAMEWORK).

Its own module: DRF imports the default permission classes while rest_framework.views loads,
so this one must not import that module (agenda.api.common does).
"""

from rest_framework import permissions

from agenda.permissions import partner_only


class NoPartner(permissions.BasePermission):
    """Refuse an account whose only role is partner: it reads the curated account, not the API (issue 14, item 4)."""

    message = "Een regionale partner leest alleen de openbare verantwoording (/verantwoording/), niet de API."

    def has_permission(self, request, view) -> bool:
        """Return whether the caller is not a partner-only account."""
        return not partner_only(request.user)
