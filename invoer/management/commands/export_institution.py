"""`export_institution OUTDIR [--institution CODE]`: the whole agenda and data as YAML + CSV.

The files use the import formats (contracts.md sections 1 and 2), so a backup is restored
with `load_agenda OUTDIR/agenda.yaml` and `import_benchmark OUTDIR/data.csv --restore --note "hersteld uit back-up"`.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand

from agenda.cli import institution_for
from agenda.schema import dump_agenda_text
from agenda.selectors import agenda_document
from indicatoren.selectors import COLUMNS, benchmark_rows
from kern.spreadsheet import csv_text

# Text a spreadsheet could run ("=1+2"): codes, and the series, source and group of issue 18.
CODE_COLUMNS = ("indicator", "college", "team", "reeks", "bron", "groep")


class Command(BaseCommand):
    help = "Exporteer de agenda (YAML) en alle gegevens (CSV) van een instelling, in de importformaten."

    def add_arguments(self, parser):
        parser.add_argument("outdir", help="map voor agenda.yaml en data.csv")
        parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")

    def handle(self, *args, outdir, institution, **options):
        inst = institution_for(institution)
        folder = Path(outdir)
        folder.mkdir(parents=True, exist_ok=True)
        document = agenda_document(inst)
        header = f"# Export van {inst.code} {inst.name}: laad met load_agenda (contracts.md sectie 1).\n"
        (folder / "agenda.yaml").write_text(header + dump_agenda_text(document), encoding="utf-8")
        rows = benchmark_rows(inst)
        codes = [COLUMNS.index(name) for name in CODE_COLUMNS]
        with open(folder / "data.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(COLUMNS)
            for row in rows:
                # Codes are text a spreadsheet could run ("=1+2"); the importer restores them
                # (kern.spreadsheet). Years, values and n are numbers and stay as they are.
                writer.writerow([csv_text(cell) if position in codes else cell for position, cell in enumerate(row)])
        self.stdout.write(f"{inst.code}: agenda.yaml en data.csv ({len(rows)} rijen) geschreven naar {folder}.")
