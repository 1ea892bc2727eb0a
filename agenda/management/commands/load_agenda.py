"""`load_agenda PATH [--file-wins]`: load or update an agenda file (contracts.md section 3)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agenda.schema import AgendaFileError, parse_agenda_text
from agenda.services import AgendaConflictError, AgendaLockedError, agenda_load


class Command(BaseCommand):
    help = (
        "Laad of werk een agendabestand (YAML of JSON) bij. Exit 1 bij een ongeldig bestand, of wanneer het"
        " bestand een wijziging uit de applicatie ongedaan zou maken (tenzij --file-wins) of een vastgesteld jaar"
        " zou veranderen."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="pad naar het agendabestand (.yaml, .yml of .json)")
        parser.add_argument(
            "--file-wins",
            action="store_true",
            help="het bestand wint van wat in de applicatie is gewijzigd; die waarden blijven in de geschiedenis",
        )

    def handle(self, *args, path, file_wins=False, **options):
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: kan het bestand niet lezen: {exc}") from None
        try:
            report = agenda_load(data=parse_agenda_text(text, file.name), source=file.name, file_wins=file_wins)
        except AgendaLockedError as exc:
            # domain.md, "Sign-off and locking": approved years change only after policy staff reopen them.
            lines = [
                f"{path}: het bestand verandert wat in een vastgesteld jaar is beoordeeld of betaald;"
                f" niets gewijzigd ({len(exc.errors)} wijziging(en)):"
            ]
            lines += [f"  {error}" for error in exc.errors]
            lines.append(
                "Laat deze wijzigingen (nog) uit het bestand, of laat een beleidsmedewerker het jaar eerst heropenen"
                " (reopen --year JAAR --reason TEKST)."
            )
            raise CommandError("\n".join(lines)) from None
        except AgendaFileError as exc:
            lines = [f"{path}: ongeldig agendabestand, niets gewijzigd ({len(exc.errors)} fouten):"]
            raise CommandError("\n".join(lines + [f"  {error}" for error in exc.errors])) from None
        except AgendaConflictError as exc:
            # domain.md, "The agenda changes over time": never silently undo a revision made in the application.
            lines = [
                f"{path}: het bestand zou {len(exc.conflicts)} wijziging(en) uit de applicatie ongedaan maken;"
                " niets gewijzigd:"
            ]
            lines += [f"  {conflict}" for conflict in exc.conflicts]
            lines.append(
                "Neem deze waarden over in het bestand (export_institution schrijft de huidige agenda),"
                " of laad opnieuw met --file-wins: dan geldt het bestand en blijven deze waarden in de geschiedenis."
            )
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(report.summary())
