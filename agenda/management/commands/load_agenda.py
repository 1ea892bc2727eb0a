"""`load_agenda PATH`: load or update an agenda file (contracts.md section 3)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agenda.schema import AgendaFileError, parse_agenda_text
from agenda.services import agenda_load


class Command(BaseCommand):
    help = "Laad of werk een agendabestand (YAML of JSON) bij. Exit 1 bij een ongeldig bestand."

    def add_arguments(self, parser):
        parser.add_argument("path", help="pad naar het agendabestand (.yaml, .yml of .json)")

    def handle(self, *args, path, **options):
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: kan het bestand niet lezen: {exc}") from None
        try:
            report = agenda_load(data=parse_agenda_text(text, file.name), source=file.name)
        except AgendaFileError as exc:
            lines = [f"{path}: ongeldig agendabestand, niets gewijzigd ({len(exc.errors)} fouten):"]
            raise CommandError("\n".join(lines + [f"  {error}" for error in exc.errors])) from None
        self.stdout.write(report.summary())
