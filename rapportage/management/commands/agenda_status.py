"""`agenda_status --year Y`: print every indicator's verdict with its explanation."""

from django.core.management.base import BaseCommand

from agenda.cli import institution_for
from rapportage import selectors
from rapportage.engine.words import INDICATOR_WORDS
from rapportage.management.commands._output import (
    add_common_arguments,
    check_year,
    ensure_results,
    print_json,
    refuse_if_stale,
)

MARK = {True: INDICATOR_WORDS[True].upper(), False: INDICATOR_WORDS[False].upper(), None: INDICATOR_WORDS[None]}


class Command(BaseCommand):
    help = "Toon per indicator of de ambitie is behaald (tweederderegel), met uitleg."

    def add_arguments(self, parser):
        add_common_arguments(parser)

    def handle(self, *args, year, institution, format, **options):
        inst = institution_for(institution)
        check_year(inst, year)
        ensure_results(inst)
        body = selectors.status_body(inst, year)
        if format == "json":
            print_json(self, body)
        else:
            self.print_table(inst, year, body)
        # Printed, but not as current: a failed recompute leaves these verdicts stale (exit 1).
        refuse_if_stale(inst)

    def print_table(self, inst, year: int, body: dict) -> None:
        """Print the verdicts as a table with their explanations."""
        self.stdout.write(f"{inst.code} {inst.name}: stand {year}" + ("  [VEROUDERD]" if body["stale"] else ""))
        if not body["indicators"]:
            self.stdout.write(f"  Geen oordelen over {year}.")
        for status in body["indicators"]:
            counts = (
                f"{status['colleges_met']}/{status['colleges_total']} colleges"
                if status["colleges_total"]
                else "instellingsniveau"
            )
            self.stdout.write(
                f"  {status['indicator']:<10} {MARK[status['attained']]:<13} {status['basis']:<12} {counts:<16} "
                f"{status['name']}"
            )
            self.stdout.write(f"  {'':<10} {status['explanation']}")
            if status["distance"]:
                self.stdout.write(f"  {'':<10} afstand: {status['distance']}")
