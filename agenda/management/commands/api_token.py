"""`api_token create|revoke|list [USER]`: hand out, rotate and revoke API tokens (contracts.md section 4).

A token acts with its user's role (agenda/permissions.py); revoking deletes it, after which
requests with it get 401. `list` never prints whole keys.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from agenda.models import Membership


class Command(BaseCommand):
    help = "Maak, vervang, trek in of toon API-tokens (Authorization: Token SLEUTEL)."

    def add_arguments(self, parser):
        """Add the create, revoke and list subcommands."""
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="maak een token (of toon het bestaande)")
        create.add_argument("username")
        create.add_argument("--rotate", action="store_true", help="vervang een bestaand token door een nieuw")
        revoke = sub.add_parser("revoke", help="trek het token in (verwijderen: daarna 401)")
        revoke.add_argument("username")
        listing = sub.add_parser("list", help="toon wie een token heeft")
        listing.add_argument("username", nargs="?")

    def handle(self, *args, action, username=None, rotate=False, **options):
        """Run the chosen subcommand."""
        if action == "list":
            self._list(username)
            return
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Onbekende gebruiker: {username}")
        if action == "create":
            self._create(user, rotate)
        else:
            deleted, _ = Token.objects.filter(user=user).delete()
            self.stdout.write(
                f"Token van {user.username} ingetrokken." if deleted else f"{user.username} had geen token."
            )

    def _create(self, user, rotate: bool) -> None:
        """Print the user's token, made (or replaced with --rotate) when needed."""
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if not Membership.objects.filter(user=user).exists() and not user.is_superuser:
            self.stderr.write(f"Let op: {user.username} heeft geen rol in een instelling; de API antwoordt 403.")
        if not user.is_active:
            self.stderr.write(f"Let op: {user.username} is niet actief; de API antwoordt 401.")
        self.stdout.write(token.key)
        state = "nieuw" if created else "bestaand"
        self.stderr.write(f"{state} token voor {user.username}: stuur 'Authorization: Token {token.key[:6]}...'")

    def _list(self, username: str | None) -> None:
        """Print one line per token: user, roles, created, the first characters of the key."""
        tokens = Token.objects.select_related("user").order_by("user__username")
        if username:
            tokens = tokens.filter(user__username=username)
        roles = {}
        for m in Membership.objects.select_related("institution"):
            roles.setdefault(m.user_id, []).append(
                f"{m.institution.code}:{m.role}{'+schrijven' if m.api_write else ''}"
            )
        found = False
        for token in tokens:
            found = True
            created = token.created.strftime("%Y-%m-%d %H:%M")
            role_text = ", ".join(roles.get(token.user_id, [])) or "geen rol"
            self.stdout.write(f"{token.user.username:<20} {role_text:<30} {created}  {token.key[:6]}...")
        if not found:
            self.stdout.write("Geen tokens.")
