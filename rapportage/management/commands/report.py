"""`report annual --year Y` / `report midterm`: write the board's document as PDF or DOCX."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agenda.cli import institution_for
from rapportage import documents
from rapportage.management.commands._output import check_year


def writable(path: str) -> Path:
    """Return `path` when a file can be written there, else stop with the reason in Dutch."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CommandError(f"Kan niet schrijven naar {path}: dat is een map; geef een bestandsnaam.")
    if not folder.is_dir():
        raise CommandError(f"Kan niet schrijven naar {path}: de map {folder} bestaat niet.")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CommandError(f"Kan niet schrijven naar {path}: geen schrijfrechten.")
    return target


class Command(BaseCommand):
    help = "Maak het jaarverslaghoofdstuk (annual) of het midterm-reviewpakket (midterm) als PDF of DOCX."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, metavar="annual|midterm")
        for kind, text in ((documents.ANNUAL, "jaarverslaghoofdstuk"), (documents.MIDTERM, "midterm-reviewpakket")):
            p = sub.add_parser(kind, help=text)
            if kind == documents.ANNUAL:
                p.add_argument("--year", type=int, required=True, help="jaar, binnen de agendaperiode")
            p.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")
            p.add_argument("--format", choices=["pdf", "docx"], default="pdf", help="pdf of docx")
            p.add_argument("--out", required=True, help="pad van het bestand dat wordt geschreven")

    def handle(self, *args, kind, institution, format, out, **options):
        inst = institution_for(institution)
        year = options.get("year")
        if kind == documents.ANNUAL:
            check_year(inst, year)
        target = writable(out)
        document = documents.build(kind, inst, year)
        from rapportage.docx_render import render_docx
        from rapportage.pdf_render import DocumentError, render_pdf

        try:
            content = render_pdf(document) if format == "pdf" else render_docx(document)
        except DocumentError as exc:
            raise CommandError(str(exc)) from None
        try:
            target.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Kan niet schrijven naar {out}: {exc.strerror}.") from None
        self.stdout.write(f"{document.title}: {target} ({len(content):,} bytes)".replace(",", "."))
        # The file is made anyway (the board may need it now); what its title page warns of is said here too.
        for lead, text in document.warnings:
            self.stderr.write(f"{lead} {text}")
