"""Token authentication that reads the token, its user and the user's roles in one statement (issue 16).

DRF's TokenAuthentication reads the token and its user; every stored-result answer then reads
the user's memberships (the partner check, the institution, the read permission): two round
trips where one does, and the ORM's join of three models cost more CPU than the database spent
on it (rapportage.roles). Under load every round trip cost more than the rest of a warm answer
(bench/api_bench.py).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from rapportage import roles


class TokenWithRolesAuthentication(TokenAuthentication):
    """`Authorization: Token KEY`, as DRF's TokenAuthentication, with the user's memberships read in the same statement."""

    def authenticate_credentials(self, key):
        """Return (user, token) for `key`, the user's memberships already read; refuse an unknown or inactive one."""
        found = roles.by_token(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))  # DRF's own messages
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
