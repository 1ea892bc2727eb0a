"""Writes of the front door: counting password-reset mails (issue 13)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from kwaliteit.models import PasswordResetRequest

RESET_WINDOW = timedelta(hours=1)


def _digest(value: str) -> str:
    """Return a keyed digest of `value`: countable, but not readable back from the table."""
    return salted_hmac("kwaliteit.password-reset", value.strip().lower(), algorithm="sha256").hexdigest()


@transaction.atomic
def password_reset_request(*, address: str, email: str) -> bool:
    """Record a reset request and return whether its mail may be sent.

    At most PASSWORD_RESET_MAX_PER_HOUR mails per client address and per e-mail address, so the
    form can neither flood one mailbox nor be used to mail every address in a list. Counted in
    the database, not the cache: the same Redis outage that must not stop logins must not lift
    the limit either. Refused requests are not recorded, so a flood does not push the limit on
    past the hour. Unknown e-mail addresses count like known ones: the answer (and the count)
    must not reveal whether an account exists.
    """
    now = timezone.now()
    since = now - RESET_WINDOW
    PasswordResetRequest.objects.filter(requested_at__lt=since).delete()
    address_digest, email_digest = _digest(address), _digest(email)
    recent = PasswordResetRequest.objects.filter(requested_at__gte=since)
    limit = settings.PASSWORD_RESET_MAX_PER_HOUR
    if (
        recent.filter(address_digest=address_digest).count() >= limit
        or recent.filter(email_digest=email_digest).count() >= limit
    ):
        return False
    PasswordResetRequest.objects.create(address_digest=address_digest, email_digest=email_digest, requested_at=now)
    return True
