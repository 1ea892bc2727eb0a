"""`reopen --year Y --reason TEXT [--college C] [--institution CODE] [--user NAME]`: reopen an approved year."""

from django.core.management.base import BaseCommand

from indicatoren.management.commands import _signoff
from indicatoren.signoff import signoff_reopen


class Command(BaseCommand):
    help = (
        "Heropen een vastgesteld jaar (één college, of alle colleges en het instellingsniveau) met een reden die "
        "wordt vastgelegd. Exit 1 zonder reden of bij een onbekend jaar, college of instelling."
    )

    def add_arguments(self, parser):
        _signoff.add_arguments(parser)
        parser.add_argument("--reason", required=True, help="waarom het jaar wordt heropend (wordt vastgelegd)")

    def handle(self, *args, year, college, institution, user, reason, **options):
        inst, unit, account = _signoff.resolve(self, institution=institution, college=college, user=user)
        report = _signoff.run(
            signoff_reopen,
            institution=inst,
            year=year,
            reason=reason,
            college=unit,
            user=account,
            system=account is None,
        )
        changed = ", ".join(report.changed) or "niets (niet vastgesteld)"
        self.stdout.write(f"{inst.code} {year} heropend voor: {changed}. Reden vastgelegd: {reason.strip()}")
