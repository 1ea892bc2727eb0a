"""`import_benchmark PATH [--institution CODE]`: import a benchmark file, then recompute."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from indicatoren.uploads import UploadRejected, benchmark_import
from rapportage.management.commands._output import institution_or_exit


class Command(BaseCommand):
    help = "Importeer een benchmarkbestand (CSV of XLSX). Alles of niets; exit 1 met elke fout bij afwijzing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="pad naar het CSV- of XLSX-bestand")
        parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")

    def handle(self, *args, path, institution, **options):
        inst = institution_or_exit(self, institution)
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            self.stderr.write(f"{path}: kan het bestand niet lezen: {exc}")
            sys.exit(1)
        try:
            upload = benchmark_import(institution=inst, data=data, filename=file.name, channel="command")
        except UploadRejected as exc:
            self.stderr.write(f"{file.name}: afgewezen, niets opgeslagen ({len(exc.errors)} fouten):")
            for e in exc.errors:
                where = ", ".join(
                    part
                    for part in (
                        f"blad {e.sheet}" if e.sheet else "",
                        f"rij {e.row}" if e.row else "",
                        f"kolom {e.column}" if e.column else "",
                    )
                    if part
                )
                value = f" (waarde {e.value!r})" if e.value not in (None, "") else ""
                self.stderr.write(f"  {where or 'bestand'}{value}: {e.message}")
            sys.exit(1)
        upload.refresh_from_db()  # the recompute ran on commit (in-process when there is no broker)
        duplicate = (
            f" Let op: hetzelfde bestand als upload #{upload.duplicate_of_id}." if upload.duplicate_of_id else ""
        )
        run = upload.recompute_run
        self.stdout.write(
            f"{file.name}: upload #{upload.pk} verwerkt: {upload.rows_new} nieuw, {upload.rows_changed} gewijzigd, "
            f"{upload.rows_unchanged} ongewijzigd.{duplicate}"
            + (f" Herberekening #{run.pk}: {run.get_state_display()}." if run else "")
        )
