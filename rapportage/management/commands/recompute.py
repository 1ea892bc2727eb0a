"""`recompute [--institution CODE] [--async]`: recompute verdicts and budget now."""

from django.core.management.base import BaseCommand, CommandError

from agenda.cli import institution_for
from rapportage.choices import RunState
from rapportage.services import recompute_now, recompute_request


class Command(BaseCommand):
    help = "Herbereken alle oordelen en de budgetverdeling van een instelling."

    def add_arguments(self, parser):
        parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")
        parser.add_argument(
            "--async", dest="queue", action="store_true", help="via de Celery-worker in plaats van hier"
        )

    def handle(self, *args, institution, queue, **options):
        inst = institution_for(institution)
        if queue:
            run = recompute_request(institution=inst, reason="commando recompute")
            self.stdout.write(f"Herberekening #{run.pk} aangevraagd voor {inst.code}.")
            return
        run = recompute_now(institution=inst, reason="commando recompute")
        if run.state != RunState.DONE:
            raise CommandError(f"Herberekening #{run.pk} mislukt: {run.error}")
        self.stdout.write(f"{inst.code}: herberekend in {run.duration_ms} ms; {run.changes} oordelen gewijzigd.")
