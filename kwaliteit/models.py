"""The front door's own table: the password-reset requests it has answered (issue 13)."""

from django.db import models


class PasswordResetRequest(models.Model):
    """One password-reset mail request, counted against the hourly limits (never shown, never kept long).

    The e-mail and client addresses are stored as keyed digests: the table only has to count
    them, and it must not become a list of who asked for what from where. Rows older than the
    window are deleted by the next request.
    """

    address_digest = models.CharField(max_length=64, verbose_name="adrescontrole")
    email_digest = models.CharField(max_length=64, verbose_name="e-mailcontrole")
    requested_at = models.DateTimeField(db_index=True, verbose_name="aangevraagd op")

    class Meta:
        verbose_name = "wachtwoordherstelverzoek"
        verbose_name_plural = "wachtwoordherstelverzoeken"
        indexes = [
            models.Index(fields=["address_digest", "requested_at"]),
            models.Index(fields=["email_digest", "requested_at"]),
        ]

    def __str__(self):
        return f"verzoek van {self.requested_at:%Y-%m-%d %H:%M}"
