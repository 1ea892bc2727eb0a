"""`load_agenda PATH`: load or update an agenda file (contracts.md section 3)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

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
            self.stderr.write(f"{path}: kan het bestand niet lezen: {exc}")
            sys.exit(1)
        try:
            report = agenda_load(data=parse_agenda_text(text, file.name), source=file.name)
        except AgendaFileError as exc:
            self.stderr.write(f"{path}: ongeldig agendabestand, niets gewijzigd ({len(exc.errors)} fouten):")
            for error in exc.errors:
                self.stderr.write(f"  {error}")
            sys.exit(1)
        self.stdout.write(report.summary())
