"""`approve --year Y [--college C] [--institution CODE] [--user NAME]`: approve (vaststellen) a year and lock it."""

from django.core.management.base import BaseCommand

from indicatoren.management.commands import _signoff
from indicatoren.signoff import signoff_approve


class Command(BaseCommand):
    help = (
        "Stel de resultaten van een jaar vast (vergrendelt het jaar): één college, of alle colleges en het "
        "instellingsniveau. Exit 1 bij een onbekend jaar, college of instelling."
    )

    def add_arguments(self, parser):
        _signoff.add_arguments(parser)

    def handle(self, *args, year, college, institution, user, **options):
        inst, unit, account = _signoff.resolve(self, institution=institution, college=college, user=user)
        report = _signoff.run(
            signoff_approve, institution=inst, year=year, college=unit, user=account, system=account is None
        )
        changed = ", ".join(report.changed) or "niets"
        already = f" Al vastgesteld: {', '.join(report.already)}." if report.already else ""
        self.stdout.write(f"{inst.code} {year} vastgesteld voor: {changed}.{already}")
