"""What every management command shares: finding the institution it works on.

A command that cannot go on raises Django's CommandError (exit status 1, the message on
stderr; contracts.md section 3), so no command writes its own exit.
"""

from django.core.management.base import CommandError

from agenda.models import Institution


def institution_for(code: str | None) -> Institution:
    """Return the institution with `code`, or the only one when `code` is None."""
    if code:
        try:
            return Institution.objects.get(code=code)
        except Institution.DoesNotExist:
            raise CommandError(f"Onbekende instelling: {code}") from None
    institutions = list(Institution.objects.all()[:2])
    if len(institutions) != 1:
        raise CommandError(
            "Geef --institution CODE: er zijn " + ("geen" if not institutions else "meerdere") + " instellingen."
        )
    return institutions[0]
