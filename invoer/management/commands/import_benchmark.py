"""`import_benchmark PATH [--institution CODE] [--user NAME]`: import a benchmark file, then recompute.

Exit 1 when the file is rejected (every error on stderr) and when the recompute after it failed
(the values are stored, the verdicts are stale: domain.md, issue 11 part 7).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from agenda.cli import institution_for
from indicatoren.importers import RowError
from invoer.uploads import UploadRejected, benchmark_import
from rapportage.choices import RunState


def error_line(error: RowError) -> str:
    """Return one error as the command prints it: where (sheet, row, column), the value, the message."""
    where = ", ".join(
        part
        for part in (
            f"blad {error.sheet}" if error.sheet else "",
            f"rij {error.row}" if error.row is not None else "",
            f"kolom {error.column}" if error.column else "",
        )
        if part
    )
    value = f" (waarde {error.value!r})" if error.value not in (None, "") else ""
    return f"  {where or 'bestand'}{value}: {error.message}"


class Command(BaseCommand):
    help = (
        "Importeer een benchmarkbestand (CSV of XLSX). Alles of niets; exit 1 met elke fout bij afwijzing, "
        "en exit 1 met de reden als de herberekening daarna mislukt."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="pad naar het CSV- of XLSX-bestand")
        parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")
        parser.add_argument("--user", help="gebruikersnaam die als uploader en in de geschiedenis wordt vastgelegd")
        parser.add_argument(
            "--note",
            default="",
            help="toelichting bij waarden die als onwaarschijnlijk worden gemarkeerd (zonder: afgewezen)",
        )
        parser.add_argument(
            "--restore",
            action="store_true",
            help="herstel uit een back-up: ook waarden van jaren waarin het team niet actief is terugzetten "
            "(bewaard, tellen niet mee); zonder deze optie worden zulke waarden geweigerd",
        )

    def handle(self, *args, path, institution, user, note, restore, **options):
        inst = institution_for(institution)
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"Onbekende gebruiker: {user}")
        file = Path(path)
        try:
            handle = file.open("rb")
        except OSError as exc:
            raise CommandError(f"{path}: kan het bestand niet lezen: {exc}") from None
        try:
            with handle:
                # A File, not bytes: a file over the size limit is refused without being read.
                upload = benchmark_import(
                    institution=inst,
                    data=File(handle, name=file.name),
                    filename=file.name,
                    user=account,
                    note=note,
                    keep_uncounted=restore,
                )
        except UploadRejected as exc:
            record = f" Vastgelegd als upload #{exc.upload.pk}." if exc.upload else ""
            count = f"{exc.total} fouten" if exc.complete else f"ten minste {exc.total} fouten"
            lines = [f"{file.name}: afgewezen, niets opgeslagen ({count}).{record}"]
            lines += [error_line(error) for error in exc.errors]
            if exc.more:
                lines.append(f"  {exc.more}")
            raise CommandError("\n".join(lines)) from None
        upload.refresh_from_db()  # the recompute ran on commit (in-process when there is no broker)
        duplicate = (
            f" Let op: hetzelfde bestand als upload #{upload.duplicate_of_id}." if upload.duplicate_of_id else ""
        )
        run = upload.recompute_run
        self.stdout.write(
            f"{file.name}: upload #{upload.pk} verwerkt: {upload.rows_new} nieuw, {upload.rows_changed} gewijzigd, "
            f"{upload.rows_unchanged} ongewijzigd.{duplicate}"
            + (f" Herberekening #{run.pk}: {run.get_state_display()}." if run else " Geen herberekening nodig.")
        )
        if run is not None and run.state == RunState.FAILED:
            # The values are stored, but the verdicts and the budget do not follow them: never exit 0 then.
            raise CommandError(
                f"{file.name}: de waarden zijn opgeslagen (upload #{upload.pk}), maar herberekening #{run.pk} is "
                f"mislukt: {run.error or 'onbekende fout'}. De oordelen en het budget zijn VEROUDERD tot een "
                "herberekening slaagt; herstel de oorzaak en draai `recompute`."
            )
