"""Shared arguments and handling of the sign-off commands `approve` and `reopen`."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from agenda.cli import institution_for
from agenda.models import College


def add_arguments(parser) -> None:
    """Add --year, --college, --institution and --user."""
    parser.add_argument("--year", type=int, required=True, help="jaar")
    parser.add_argument("--college", help="collegecode; weg te laten: alle colleges en het instellingsniveau")
    parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")
    parser.add_argument("--user", help="gebruikersnaam die in het logboek komt (standaard: systeem)")


def resolve(command, *, institution, college, user):
    """Return (institution, college or None, user or None); raise CommandError (exit 1) on unknown codes."""
    inst = institution_for(institution)
    unit = None
    if college:
        unit = College.objects.filter(institution=inst, code=college).first()
        if unit is None:
            raise CommandError(f"Onbekend college voor {inst.code}: {college}")
    account = None
    if user:
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"Onbekende gebruiker: {user}")
    return inst, unit, account


def run(action, **kwargs):
    """Call a sign-off service; turn its Dutch refusals into CommandError (exit 1)."""
    try:
        return action(**kwargs)
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise CommandError(" ".join(messages)) from exc
