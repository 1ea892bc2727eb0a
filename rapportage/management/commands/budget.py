"""`budget --year Y`: print the split of the quality budget in cents."""

from django.core.management.base import BaseCommand, CommandError

from agenda.cli import institution_for
from rapportage import selectors
from rapportage.management.commands._output import (
    add_common_arguments,
    check_year,
    ensure_results,
    print_json,
    refuse_if_stale,
)


def euro(cents: int) -> str:
    """Return cents as a Dutch euro amount."""
    whole, rest = divmod(cents, 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"


class Command(BaseCommand):
    help = "Toon de verdeling van het kwaliteitsbudget over thema's en colleges (in centen)."

    def add_arguments(self, parser):
        add_common_arguments(parser)

    def handle(self, *args, year, institution, format, **options):
        inst = institution_for(institution)
        check_year(inst, year)
        ensure_results(inst)
        body = selectors.budget_body(inst, year)
        if body is None:
            refuse_if_stale(inst)  # no split stored: the reason may be a failed recompute
            raise CommandError(f"Geen budget voor {year} in de agenda van {inst.code}.")
        if format == "json":
            print_json(self, body)
        else:
            self.print_table(inst, year, body)
        # Printed, but not as current: a failed recompute leaves this split stale (exit 1).
        refuse_if_stale(inst)

    def print_table(self, inst, year: int, body: dict) -> None:
        """Print the split per theme and college, with the reserve."""
        stale = "  [VEROUDERD]" if body["stale"] else ""
        self.stdout.write(f"{inst.code}: kwaliteitsbudget {year}: {euro(body['total_cents'])}{stale}")
        for warning in body.get("warnings", []):
            self.stdout.write(f"  LET OP: {warning}")
        for theme in body["themes"]:
            self.stdout.write(
                f"  {theme['theme']} ({theme['share_pct']} %): {euro(theme['amount_cents'])}, "
                f"gemeenschappelijk {euro(theme['central_cents'])}"
            )
            for c in theme["colleges"]:
                self.stdout.write(
                    f"    {c['college']}: {euro(c['amount_cents']):>18}  vast {euro(c['fixed_cents']):>16}  "
                    f"vrijgegeven {euro(c['released_cents']):>15}  gereserveerd {euro(c['reserved_cents']):>15}"
                )
                for line in reserve_lines(c, year):
                    self.stdout.write(f"          {line}")
        total = sum(t["amount_cents"] for t in body["themes"])
        self.stdout.write(
            f"  som van de thema's: {euro(total)} ({'klopt' if total == body['total_cents'] else 'KLOPT NIET'})"
        )
        # Manifesto principle 8: reserved money is released when the result is realised later.
        self.stdout.write(
            f"  reserve: uit eerdere jaren vrijgegeven in {year} {euro(body.get('released_from_reserve_cents', 0))}, "
            f"nog open na {year} {euro(body.get('reserve_open_cents', 0))}"
        )
        if body.get("not_realised_cents") is not None:
            self.stdout.write(
                f"  niet gerealiseerd na het laatste budgetjaar: {euro(body['not_realised_cents'])} "
                "(het bestuur besluit wat ermee gebeurt)"
            )


def reserve_lines(college: dict, year: int) -> list[str]:
    """Return the college's reserve in words: what came free this year, from which year and indicator, what is open."""
    lines = []
    releases = college.get("reserve_releases", [])
    if releases:
        parts = ", ".join(f"{r['indicator']} uit {r['from_year']} {euro(r['cents'])}" for r in releases)
        lines.append(f"uit reserve vrijgegeven {euro(college['released_from_reserve_cents'])}: {parts}")
    if college.get("reserve_open_cents"):
        parts = ", ".join(f"{r['indicator']} uit {r['from_year']} {euro(r['cents'])}" for r in college["reserve_open"])
        label = "niet gerealiseerd" if college.get("not_realised_cents") is not None else f"nog open na {year}"
        lines.append(f"{label} {euro(college['reserve_open_cents'])}: {parts}")
    return lines
